package arp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/testenv"
)

// pair builds two namespaces joined by a veth pair: "a" 192.168.77.2 and
// "b" 192.168.77.3 plus the VIP 192.168.77.1, with fixed MACs.
func pair(t *testing.T) (a, b *testenv.Netns, macB net.HardwareAddr) {
	t.Helper()
	testenv.NeedNetns(t)
	a, b = testenv.NewNetns(t, "arp", "a"), testenv.NewNetns(t, "arp", "b")
	testenv.VethPair(t,
		testenv.VethEnd{NS: a, Dev: "eth0", MAC: "02:77:00:00:00:02", Addrs: []string{"192.168.77.2/24"}},
		testenv.VethEnd{NS: b, Dev: "eth0", MAC: "02:77:00:00:00:03", Addrs: []string{"192.168.77.3/24", "192.168.77.1/24"}})
	return a, b, net.HardwareAddr{2, 0x77, 0, 0, 0, 3}
}

func TestProbe(t *testing.T) {
	a, _, macB := pair(t)
	tests := []struct {
		ip      string
		want    net.HardwareAddr
		wantErr error
	}{
		{"192.168.77.1", macB, nil},
		{"192.168.77.3", macB, nil},
		{"192.168.77.50", nil, ErrNoAnswer},
	}
	for _, tt := range tests {
		var mac net.HardwareAddr
		var err error
		start := time.Now()
		a.Do(t, func() {
			mac, err = Probe(context.Background(), "eth0", netip.MustParseAddr(tt.ip), 600*time.Millisecond)
		})
		if !errors.Is(err, tt.wantErr) || mac.String() != tt.want.String() {
			t.Errorf("Probe(%s) = %v, %v; want %v, %v", tt.ip, mac, err, tt.want, tt.wantErr)
		}
		t.Logf("Probe(%s) = %v, %v in %v", tt.ip, mac, err, time.Since(start).Round(time.Millisecond))
	}
}

func TestDAD(t *testing.T) {
	a, _, macB := pair(t)
	opts := DADOptions{Probes: 2, Interval: 100 * time.Millisecond, Wait: 300 * time.Millisecond}
	var taken, free []net.HardwareAddr
	var err1, err2 error
	a.Do(t, func() {
		taken, err1 = DAD(context.Background(), "eth0", netip.MustParseAddr("192.168.77.1"), opts)
		free, err2 = DAD(context.Background(), "eth0", netip.MustParseAddr("192.168.77.77"), opts)
	})
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if len(taken) != 1 || taken[0].String() != macB.String() {
		t.Errorf("DAD(VIP held by b) = %v, want [%v]", taken, macB)
	}
	if len(free) != 0 {
		t.Errorf("DAD(free address) = %v, want none", free)
	}
}

// TestWatch runs a watcher for the VIP in "a" while "b" announces the VIP
// (a gratuitous ARP as keepalived sends it) and answers a probe for it.
func TestWatch(t *testing.T) {
	a, b, macB := pair(t)
	vip := netip.MustParseAddr("192.168.77.1")
	var mu sync.Mutex
	var events []Event
	var w *Watcher
	var err error
	a.Do(t, func() {
		w, err = NewWatcher("eth0", []netip.Addr{vip}, func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() })
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	sent := time.Now()
	var sendErr error
	b.Do(t, func() {
		c, err := Listen("eth0")
		if err != nil {
			sendErr = err
			return
		}
		defer c.Close()
		garp := Frame{Dst: Broadcast, Src: macB, Packet: Packet{Op: OpRequest, SenderMAC: macB, SenderIP: vip, TargetMAC: Broadcast, TargetIP: vip}}
		sendErr = c.Send(context.Background(), garp)
	})
	if sendErr != nil {
		t.Fatal(sendErr)
	}
	var mac net.HardwareAddr
	var perr error
	a.Do(t, func() { mac, perr = Probe(context.Background(), "eth0", vip, 600*time.Millisecond) })
	if perr != nil || mac.String() != macB.String() {
		t.Fatalf("probe: %v %v", mac, perr)
	}
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	kinds := map[Kind]Event{}
	for _, e := range events {
		if e.IP != vip {
			t.Errorf("event for %v", e.IP)
		}
		kinds[e.Kind] = e
	}
	g, ok := kinds[KindGratuitous]
	if !ok || g.MAC.String() != macB.String() || g.Outgoing || g.Time.Before(sent.Add(-time.Second)) {
		t.Errorf("gratuitous event %+v (ok %v)", g, ok)
	}
	if r, ok := kinds[KindReply]; !ok || r.MAC.String() != macB.String() {
		t.Errorf("reply event %+v (ok %v)", r, ok)
	}
	t.Logf("%d events: %v", len(events), kinds)
}
