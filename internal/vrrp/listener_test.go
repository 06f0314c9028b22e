package vrrp

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/netwatch/afpacket"
	"github.com/floatgw/floatgw/internal/testenv"
)

func ethFrame(dst, src net.HardwareAddr, ip []byte) []byte {
	b := append(append(append([]byte(nil), dst...), src...), 0x08, 0x00)
	return append(b, ip...)
}

// TestListenerCrafted sends hand-made protocol-112 frames from one namespace
// and checks what a Listener in the other reports: multicast v2 and v3
// adverts, a unicast advert to the listener's own address, an advert with
// TTL 254, a CARP packet; and that a listener on the sending side marks the
// same frames as outgoing.
func TestListenerCrafted(t *testing.T) {
	testenv.NeedNetns(t)
	tx, rx := testenv.NewNetns(t, "vrrp", "tx"), testenv.NewNetns(t, "vrrp", "rx")
	testenv.VethPair(t,
		testenv.VethEnd{NS: tx, Dev: "eth0", MAC: "02:77:00:00:00:04", Addrs: []string{"192.168.77.4/24"}},
		testenv.VethEnd{NS: rx, Dev: "eth0", MAC: "02:77:00:00:00:64", Addrs: []string{"192.168.77.100/24"}})
	txMAC := net.HardwareAddr{2, 0x77, 0, 0, 0, 4}
	rxMAC := net.HardwareAddr{2, 0x77, 0, 0, 0, 0x64}
	txIP, rxIP := netip.MustParseAddr("192.168.77.4"), netip.MustParseAddr("192.168.77.100")

	type sink struct {
		mu     sync.Mutex
		frames []Frame
	}
	var rxs, txs sink
	var rxl *Listener
	var txm *Monitor // the sending side runs the daemon's Monitor
	var err1, err2 error
	rx.Do(t, func() {
		rxl, err1 = NewListener("eth0", func(f Frame) { rxs.mu.Lock(); rxs.frames = append(rxs.frames, f); rxs.mu.Unlock() })
	})
	tx.Do(t, func() {
		txm, err2 = NewMonitor("eth0", func(f Frame) { txs.mu.Lock(); txs.frames = append(txs.frames, f); txs.mu.Unlock() })
	})
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{rxl.Run, txm.Run} {
		wg.Add(1)
		go func(run func(context.Context) error) {
			defer wg.Done()
			if err := run(ctx); err != nil {
				t.Errorf("Run: %v", err)
			}
		}(run)
	}

	v2 := Advert{Version: 2, VRID: 51, Priority: 120, Interval: 1, Addrs: []netip.Addr{netip.MustParseAddr("192.168.77.254")}}
	v3 := Advert{Version: 3, VRID: 52, Priority: 100, Interval: 10, Addrs: []netip.Addr{vip}}
	pkt := func(p Packet) []byte {
		b, err := EncodeIPv4(p, 1)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	frames := [][]byte{
		ethFrame(groupMAC, txMAC, pkt(Packet{Src: txIP, Dst: Group, TTL: 255, Advert: v2})),
		ethFrame(groupMAC, txMAC, pkt(Packet{Src: txIP, Dst: Group, TTL: 255, Advert: v3})),
		ethFrame(rxMAC, txMAC, pkt(Packet{Src: txIP, Dst: rxIP, TTL: 255, Advert: v3})), // unicast_peer style
		ethFrame(groupMAC, txMAC, pkt(Packet{Src: txIP, Dst: Group, TTL: 254, Advert: v2})),
		ethFrame(groupMAC, txMAC, ipWrap(t, carpPacket(), 255, Protocol, 0)),
	}
	var sendErr error
	tx.Do(t, func() {
		c, err := afpacket.Listen("eth0", afpacket.EtherType(0xffff)) // a send-only socket
		if err != nil {
			sendErr = err
			return
		}
		defer c.Close()
		for _, f := range frames {
			if err := c.WriteFrame(context.Background(), f); err != nil {
				sendErr = err
				return
			}
		}
	})
	if sendErr != nil {
		t.Fatal(sendErr)
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		rxs.mu.Lock()
		n := len(rxs.frames)
		rxs.mu.Unlock()
		if n >= len(frames) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	cancel()
	wg.Wait()

	check := func(name string, s *sink, outgoing bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.frames) != len(frames) {
			t.Fatalf("%s: %d frames, want %d: %+v", name, len(s.frames), len(frames), s.frames)
		}
		wantErr := []error{nil, nil, nil, ErrTTL, ErrCARP}
		for i, f := range s.frames {
			if !errors.Is(f.Err, wantErr[i]) || (wantErr[i] == nil && f.Err != nil) {
				t.Errorf("%s frame %d: err %v, want %v", name, i, f.Err, wantErr[i])
			}
			if f.SrcMAC.String() != txMAC.String() || f.Outgoing != outgoing || f.Time.IsZero() {
				t.Errorf("%s frame %d: mac %v outgoing %v time %v", name, i, f.SrcMAC, f.Outgoing, f.Time)
			}
			if want := []netip.Addr{txIP, txIP, txIP, txIP, src}[i]; f.Packet.Src != want { // ipWrap sends from src
				t.Errorf("%s frame %d: source %v", name, i, f.Packet.Src)
			}
		}
		if s.frames[2].Packet.Dst != rxIP || s.frames[2].Packet.Advert.VRID != 52 {
			t.Errorf("%s: unicast advert %+v", name, s.frames[2].Packet)
		}
	}
	check("receiver", &rxs, false)
	check("sender", &txs, true)
	if mr := txm.Report(nil); len(mr.VRIDs) != 2 || mr.Adverts != 3 || len(mr.Rejected) != 2 || !mr.VRIDs[0].Sources[0].Local {
		t.Errorf("monitor report: %+v", mr)
	}

	// The receiver's frames through a tracker: two VRIDs, CARP and TTL counted
	// as rejected, the CARP vhid kept out of the free VRIDs.
	tr := NewTracker()
	for _, f := range rxs.frames {
		tr.Observe(f)
	}
	r := tr.Report(&Own{VRID: 51, VIPs: []netip.Addr{vip}})
	if len(r.VRIDs) != 2 || r.Adverts != 3 || len(r.Rejected) != 2 {
		t.Fatalf("report: %d vrids, %d adverts, %d rejected", len(r.VRIDs), r.Adverts, len(r.Rejected))
	}
	if r.FreeVRIDs[0] != 53 {
		t.Errorf("free vrids %v", r.FreeVRIDs)
	}
}

func TestListenerStopsOnCancel(t *testing.T) {
	testenv.NeedNetns(t)
	ns := testenv.NewNetns(t, "vrrp", "stop")
	ns.IP(t, "link", "set", "lo", "up")
	var l *Listener
	var err error
	ns.Do(t, func() { l, err = NewListener("lo", func(Frame) {}) })
	if err != nil {
		t.Fatal(err)
	}
	d := testenv.StopAfterCancel(t, 20*time.Millisecond, l.Run)
	t.Logf("listener stopped %v after cancel", d)
	if _, err := NewListener("nosuchif0", func(Frame) {}); err == nil {
		t.Fatal("listener on a missing interface")
	}
}
