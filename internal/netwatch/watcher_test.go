package netwatch

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/testenv"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// startWatcher opens a watcher in ns and runs it until the test ends.
func startWatcher(t *testing.T, ns *testenv.Netns) *Watcher {
	t.Helper()
	w, err := Open(Options{NetNS: ns.FD()})
	if err != nil {
		t.Fatal(err)
	}
	testenv.Start(t, w.Run)
	return w
}

// waitEvent returns the first event for which match is true.
func waitEvent(t *testing.T, w *Watcher, match func(Event) bool) Event {
	t.Helper()
	timeout := time.After(2 * time.Second)
	for {
		select {
		case ev, ok := <-w.Events():
			if !ok {
				t.Fatal("events channel closed")
			}
			if match(ev) {
				return ev
			}
		case <-timeout:
			t.Fatal("no matching event within 2 s")
		}
	}
}

func linkIndex(t *testing.T, w *Watcher, name string) int {
	t.Helper()
	for _, l := range w.Links() {
		if l.Ifname == name {
			return l.Index
		}
	}
	t.Fatalf("link %s not in the watcher's dump", name)
	return 0
}

// addrRequest builds RTM_NEWADDR / RTM_DELADDR for p on index.
func addrRequest(t *testing.T, typ netlink.HeaderType, index int, p netip.Prefix) netlink.Message {
	t.Helper()
	m := AddrMessage{Family: unix.AF_INET, PrefixLen: uint8(p.Bits()), Index: uint32(index), Local: p.Addr(), Address: p.Addr()}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	flags := netlink.Request | netlink.Acknowledge
	if typ == unix.RTM_NEWADDR {
		flags |= netlink.Create | netlink.Excl
	}
	return netlink.Message{Header: netlink.Header{Type: typ, Flags: flags}, Data: b}
}

func stats(d []time.Duration) (min, med, max time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[0], s[len(s)/2], s[len(s)-1]
}

// TestVIPMoveLatency moves a /32 "VIP" between two interfaces 20 times with
// rtnetlink requests and measures, for each removal and each addition, the
// time from just before the request was sent to the event arriving on the
// Events channel (an upper bound on kernel change → delivery), and from the
// request's acknowledgement to delivery.
func TestVIPMoveLatency(t *testing.T) {
	testenv.NeedNetns(t)
	ns := testenv.NewNetns(t, "nw", "lat")
	// veth pairs: this kernel may lack the dummy driver.
	ns.Veth(t, "lan0", nil, "lan0p")
	ns.Veth(t, "lan1", nil, "lan1p")
	ns.IP(t, "link", "set", "lan0", "up")
	ns.IP(t, "link", "set", "lan1", "up")
	ns.IP(t, "addr", "add", "198.51.100.2/24", "dev", "lan0")

	w := startWatcher(t, ns)
	if !w.HasAddr("lan0", netip.MustParseAddr("198.51.100.2")) {
		t.Fatalf("initial dump misses lan0's address: %+v", w.Addrs())
	}
	idx := [2]int{linkIndex(t, w, "lan0"), linkIndex(t, w, "lan1")}
	names := [2]string{"lan0", "lan1"}

	nl, err := netlink.Dial(unix.NETLINK_ROUTE, &netlink.Config{NetNS: ns.FD()})
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()

	vip := netip.MustParsePrefix("198.51.100.1/32")
	var fromSend, fromAck []time.Duration
	step := func(typ netlink.HeaderType, on int) {
		t0 := time.Now()
		if _, err := nl.Execute(addrRequest(t, typ, idx[on], vip)); err != nil {
			t.Fatalf("%v on %s: %v", typ, names[on], err)
		}
		t1 := time.Now()
		added := typ == unix.RTM_NEWADDR
		ev := waitEvent(t, w, func(e Event) bool {
			a, ok := e.(AddrEvent)
			return ok && a.Addr == vip && a.Added == added && a.Index == idx[on]
		}).(AddrEvent)
		got := time.Now()
		if ev.Ifname != names[on] {
			t.Errorf("event names %q, want %q", ev.Ifname, names[on])
		}
		if ev.Time.Before(t0) {
			t.Errorf("event stamped %v before the request", t0.Sub(ev.Time))
		}
		fromSend = append(fromSend, got.Sub(t0))
		fromAck = append(fromAck, got.Sub(t1))
	}
	step(unix.RTM_NEWADDR, 0)
	for i := 0; i < 20; i++ {
		from, to := i%2, (i+1)%2
		step(unix.RTM_DELADDR, from)
		step(unix.RTM_NEWADDR, to)
		if w.HasAddr(names[from], vip.Addr()) || !w.HasAddr(names[to], vip.Addr()) {
			t.Fatalf("move %d: state not updated: %+v", i, w.Addrs())
		}
	}
	smin, smed, smax := stats(fromSend)
	amin, amed, amax := stats(fromAck)
	t.Logf("netwatch latency over %d VIP changes: request sent → event: min %v median %v max %v; ack → event: min %v median %v max %v",
		len(fromSend), smin, smed, smax, amin, amed, amax)
	if smed >= 10*time.Millisecond {
		t.Fatalf("median latency %v, want < 10 ms", smed)
	}
}

func TestLinkEvents(t *testing.T) {
	testenv.NeedNetns(t)
	ns := testenv.NewNetns(t, "nw", "link")
	ns.Veth(t, "lan0", nil, "lan0p")
	ns.Veth(t, "wan0", nil, "wan0p")
	ns.IP(t, "link", "set", "lan0", "up")
	ns.IP(t, "addr", "add", "203.0.113.7/24", "dev", "wan0")
	w := startWatcher(t, ns)

	var lan LinkEvent
	for _, l := range w.Links() {
		if l.Ifname == "lan0" {
			lan = l
		}
	}
	if !lan.Up || !lan.Multicast {
		t.Fatalf("dump: lan0 = %+v, want up and multicast", lan)
	}

	ns.IP(t, "link", "set", "lan0", "down")
	ev := waitEvent(t, w, func(e Event) bool { l, ok := e.(LinkEvent); return ok && l.Ifname == "lan0" && !l.Up }).(LinkEvent)
	if ev.Running || ev.Removed {
		t.Errorf("down event %+v", ev)
	}
	ns.IP(t, "link", "set", "lan0", "up")
	waitEvent(t, w, func(e Event) bool { l, ok := e.(LinkEvent); return ok && l.Ifname == "lan0" && l.Up })

	ns.IP(t, "link", "set", "lan0", "multicast", "off")
	waitEvent(t, w, func(e Event) bool { l, ok := e.(LinkEvent); return ok && l.Ifname == "lan0" && !l.Multicast })

	if !w.HasAddr("wan0", netip.MustParseAddr("203.0.113.7")) {
		t.Fatal("wan0 address missing")
	}
	ns.IP(t, "link", "del", "wan0")
	waitEvent(t, w, func(e Event) bool { l, ok := e.(LinkEvent); return ok && l.Ifname == "wan0" && l.Removed })
	if w.HasAddr("wan0", netip.MustParseAddr("203.0.113.7")) {
		t.Fatal("address of a deleted link still reported")
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	testenv.NeedNetns(t)
	ns := testenv.NewNetns(t, "nw", "stop")
	w, err := Open(Options{NetNS: ns.FD()})
	if err != nil {
		t.Fatal(err)
	}
	if d := testenv.StopAfterCancel(t, 50*time.Millisecond, w.Run); d > 200*time.Millisecond {
		t.Fatalf("Run took %v to stop", d)
	}
	if _, ok := <-w.Events(); ok {
		t.Fatal("events channel not closed")
	}
}
