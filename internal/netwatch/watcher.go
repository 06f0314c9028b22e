package netwatch

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Event is an AddrEvent or a LinkEvent.
type Event interface{ event() }

// AddrEvent reports an IPv4 address added to or removed from an interface.
type AddrEvent struct {
	// Time is when the watcher read the kernel's notification.
	Time   time.Time
	Index  int
	Ifname string
	Addr   netip.Prefix
	Added  bool
	// Flags are IFA_F_* (AddrFlagSecondary, …); Scope is RT_SCOPE_*;
	// Label is the address label (the interface name or an alias such as
	// br-lan:1).
	Flags uint32
	Scope uint8
	Label string
	// Resync marks an event derived from a re-dump after the kernel dropped
	// notifications (ENOBUFS) rather than from a notification.
	Resync bool
}

// LinkEvent reports a link's state: created or changed (RTM_NEWLINK) or
// removed (RTM_DELLINK, Removed true).
type LinkEvent struct {
	Time   time.Time
	Index  int
	Ifname string
	// Up is IFF_UP (administratively up), Running IFF_RUNNING (operationally
	// up), LowerUp IFF_LOWER_UP (carrier), Multicast IFF_MULTICAST (VRRP
	// needs it).
	Up        bool
	Running   bool
	LowerUp   bool
	Multicast bool
	Removed   bool
	MTU       int
	Resync    bool
}

func (AddrEvent) event() {}
func (LinkEvent) event() {}

// IFF_* (net/if.h).
const (
	iffUp        = 0x1
	iffRunning   = 0x40
	iffMulticast = 0x1000
	iffLowerUp   = 0x10000
)

// Options configure a Watcher.
type Options struct {
	// NetNS is a file descriptor of the network namespace to watch; 0 means
	// the namespace of the thread that calls Open.
	NetNS int
	// Buffer is the capacity of the event channel (default 128). When it is
	// full Run waits; the kernel queues meanwhile and, if its socket buffer
	// overflows, Run re-dumps and reports the difference (Resync).
	Buffer int
}

type addrKey struct {
	index  int
	prefix netip.Prefix
}

// Watcher follows IPv4 addresses and links through rtnetlink notifications
// (RTNLGRP_IPV4_IFADDR, RTNLGRP_LINK): no polling. Open subscribes and then
// dumps the current state; Run delivers events on Events until its context
// ends. The state methods (HasAddr, Addrs, Links) may be called from any
// goroutine at any time.
type Watcher struct {
	sub    *netlink.Conn // notifications
	dump   *netlink.Conn // requests, opened in the same namespace
	events chan Event
	close  sync.Once

	mu    sync.Mutex
	links map[int]LinkEvent
	addrs map[addrKey]AddrEvent
}

// Open subscribes to address and link notifications, then dumps links and
// IPv4 addresses so that the state is known before the first event. The
// order (subscribe, then dump) loses nothing; a change that lands in both
// is applied twice, harmlessly.
func Open(opts Options) (*Watcher, error) {
	sub, err := netlink.Dial(unix.NETLINK_ROUTE, &netlink.Config{NetNS: opts.NetNS})
	if err != nil {
		return nil, fmt.Errorf("netwatch: dial rtnetlink: %w", err)
	}
	for _, g := range []uint32{unix.RTNLGRP_LINK, unix.RTNLGRP_IPV4_IFADDR} {
		if err := sub.JoinGroup(g); err != nil {
			_ = sub.Close()
			return nil, fmt.Errorf("netwatch: join rtnetlink group %d: %w", g, err)
		}
	}
	// A larger queue makes ENOBUFS (lost notifications) unlikely in bursts.
	_ = sub.SetReadBuffer(1 << 20)
	dump, err := netlink.Dial(unix.NETLINK_ROUTE, &netlink.Config{NetNS: opts.NetNS})
	if err != nil {
		_ = sub.Close()
		return nil, fmt.Errorf("netwatch: dial rtnetlink: %w", err)
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 128
	}
	w := &Watcher{sub: sub, dump: dump, events: make(chan Event, opts.Buffer)}
	links, addrs, err := w.dumpState(time.Now())
	if err != nil {
		w.Close()
		return nil, err
	}
	w.links, w.addrs = links, addrs
	return w, nil
}

// Events returns the channel events are delivered on. Run closes it when it
// returns.
func (w *Watcher) Events() <-chan Event { return w.events }

// Run reads notifications, updates the state and delivers events until ctx
// ends; it then closes the sockets and the channel and returns nil. Run must
// be called once.
func (w *Watcher) Run(ctx context.Context) error {
	defer close(w.events)
	defer w.Close()
	stop := context.AfterFunc(ctx, func() { _ = w.sub.SetReadDeadline(time.Now()) })
	defer stop()
	for {
		msgs, err := w.sub.Receive()
		now := time.Now()
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, unix.ENOBUFS) {
			if err := w.resync(ctx, now); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("netwatch: receive: %w", err)
		}
		for _, m := range msgs {
			ev, ok := w.apply(m, now)
			if !ok {
				continue
			}
			select {
			case w.events <- ev:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// Close releases the sockets; it is safe to call more than once. Run calls
// it on return; call it yourself only if Run never ran.
func (w *Watcher) Close() error {
	var err error
	w.close.Do(func() {
		err = errors.Join(w.sub.Close(), w.dump.Close())
	})
	return err
}

// apply updates the state with one notification and returns its event.
func (w *Watcher) apply(m netlink.Message, now time.Time) (Event, bool) {
	switch m.Header.Type {
	case unix.RTM_NEWADDR, unix.RTM_DELADDR:
		am, err := ParseAddrMessage(m.Data)
		if err != nil || am.Family != unix.AF_INET {
			return nil, false
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		ev := w.addrEvent(am, m.Header.Type == unix.RTM_NEWADDR, now)
		k := addrKey{ev.Index, ev.Addr}
		if ev.Added {
			w.addrs[k] = ev
		} else {
			delete(w.addrs, k)
		}
		return ev, true
	case unix.RTM_NEWLINK, unix.RTM_DELLINK:
		lm, err := ParseLinkMessage(m.Data)
		if err != nil {
			return nil, false
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		ev := linkEvent(lm, m.Header.Type == unix.RTM_DELLINK, now)
		if ev.Removed {
			delete(w.links, ev.Index)
			for k := range w.addrs {
				if k.index == ev.Index {
					delete(w.addrs, k)
				}
			}
		} else {
			if ev.Ifname == "" { // partial update: keep the known name
				ev.Ifname = w.links[ev.Index].Ifname
			}
			w.links[ev.Index] = ev
		}
		return ev, true
	}
	return nil, false
}

// addrEvent builds an AddrEvent; w.mu must be held (for the name).
func (w *Watcher) addrEvent(am AddrMessage, added bool, now time.Time) AddrEvent {
	ev := AddrEvent{Time: now, Index: int(am.Index), Addr: am.Prefix(), Added: added,
		Flags: am.Flags, Scope: am.Scope, Label: am.Label}
	if l, ok := w.links[ev.Index]; ok {
		ev.Ifname = l.Ifname
	} else {
		ev.Ifname = am.Label
	}
	return ev
}

func linkEvent(lm LinkMessage, removed bool, now time.Time) LinkEvent {
	return LinkEvent{
		Time: now, Index: int(lm.Index), Ifname: lm.Name,
		Up: lm.Flags&iffUp != 0, Running: lm.Flags&iffRunning != 0,
		LowerUp: lm.Flags&iffLowerUp != 0, Multicast: lm.Flags&iffMulticast != 0,
		Removed: removed, MTU: int(lm.MTU),
	}
}

// dumpState asks the kernel for every link and IPv4 address.
func (w *Watcher) dumpState(now time.Time) (map[int]LinkEvent, map[addrKey]AddrEvent, error) {
	links := map[int]LinkEvent{}
	msgs, err := w.dump.Execute(netlink.Message{
		Header: netlink.Header{Type: unix.RTM_GETLINK, Flags: netlink.Request | netlink.Dump},
		Data:   make([]byte, ifinfomsgLen),
	})
	if err != nil {
		return nil, nil, fmt.Errorf("netwatch: dump links: %w", err)
	}
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWLINK {
			continue
		}
		lm, err := ParseLinkMessage(m.Data)
		if err != nil {
			return nil, nil, fmt.Errorf("netwatch: dump links: %w", err)
		}
		links[int(lm.Index)] = linkEvent(lm, false, now)
	}
	req := make([]byte, ifaddrmsgLen)
	req[0] = unix.AF_INET
	msgs, err = w.dump.Execute(netlink.Message{
		Header: netlink.Header{Type: unix.RTM_GETADDR, Flags: netlink.Request | netlink.Dump},
		Data:   req,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("netwatch: dump addresses: %w", err)
	}
	addrs := map[addrKey]AddrEvent{}
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWADDR {
			continue
		}
		am, err := ParseAddrMessage(m.Data)
		if err != nil {
			return nil, nil, fmt.Errorf("netwatch: dump addresses: %w", err)
		}
		if am.Family != unix.AF_INET {
			continue
		}
		ev := AddrEvent{Time: now, Index: int(am.Index), Addr: am.Prefix(), Added: true,
			Flags: am.Flags, Scope: am.Scope, Label: am.Label, Ifname: links[int(am.Index)].Ifname}
		addrs[addrKey{ev.Index, ev.Addr}] = ev
	}
	return links, addrs, nil
}

// resync re-dumps after lost notifications and delivers the difference.
func (w *Watcher) resync(ctx context.Context, now time.Time) error {
	links, addrs, err := w.dumpState(now)
	if err != nil {
		return err
	}
	var evs []Event
	w.mu.Lock()
	for k, old := range w.addrs {
		if _, ok := addrs[k]; !ok {
			old.Time, old.Added, old.Resync = now, false, true
			evs = append(evs, old)
		}
	}
	for k, ev := range addrs {
		if _, ok := w.addrs[k]; !ok {
			ev.Resync = true
			evs = append(evs, ev)
		}
	}
	for i, old := range w.links {
		if _, ok := links[i]; !ok {
			old.Time, old.Removed, old.Resync = now, true, true
			evs = append(evs, old)
		}
	}
	for i, l := range links {
		if old, ok := w.links[i]; !ok || old.Up != l.Up || old.Running != l.Running ||
			old.LowerUp != l.LowerUp || old.Multicast != l.Multicast || old.Ifname != l.Ifname {
			l.Resync = true
			evs = append(evs, l)
		}
	}
	w.links, w.addrs = links, addrs
	w.mu.Unlock()
	for _, ev := range evs {
		select {
		case w.events <- ev:
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}

// HasAddr reports whether the interface named ifname currently holds addr
// (with any prefix length), as far as the watcher knows.
func (w *Watcher) HasAddr(ifname string, addr netip.Addr) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k := range w.addrs {
		if k.prefix.Addr() == addr && w.links[k.index].Ifname == ifname {
			return true
		}
	}
	return false
}

// Addrs returns the IPv4 addresses currently known, sorted by interface
// index and address.
func (w *Watcher) Addrs() []AddrEvent {
	w.mu.Lock()
	out := make([]AddrEvent, 0, len(w.addrs))
	for _, a := range w.addrs {
		out = append(out, a)
	}
	w.mu.Unlock()
	// sort.Slice, not slices.SortFunc: each generic instantiation costs ~10 KB on mipsle.
	sort.Slice(out, func(i, j int) bool {
		if out[i].Index != out[j].Index {
			return out[i].Index < out[j].Index
		}
		return out[i].Addr.Addr().Less(out[j].Addr.Addr())
	})
	return out
}

// Links returns the links currently known, sorted by index.
func (w *Watcher) Links() []LinkEvent {
	w.mu.Lock()
	out := make([]LinkEvent, 0, len(w.links))
	for _, l := range w.links {
		out = append(out, l)
	}
	w.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}
