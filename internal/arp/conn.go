package arp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/floatgw/floatgw/internal/netwatch/afpacket"
)

// ErrNoAnswer is returned by Probe when nobody answered in time.
var ErrNoAnswer = errors.New("arp: no answer")

// Conn is an ARP socket on one interface: it sees every ARP frame on the
// link, including those this host sends. Its methods may be used from
// several goroutines, with a single reader.
type Conn struct {
	c *afpacket.Conn
}

// Observed is one ARP frame read from a Conn.
type Observed struct {
	Time     time.Time // kernel timestamp
	Outgoing bool      // sent by this host
	Frame    Frame
}

// Listen opens an ARP socket on ifname, in the calling thread's network
// namespace. It needs CAP_NET_RAW.
func Listen(ifname string) (*Conn, error) {
	c, err := afpacket.Listen(ifname, afpacket.EtherType(EtherType))
	if err != nil {
		return nil, fmt.Errorf("arp: %w", err)
	}
	return &Conn{c: c}, nil
}

// HardwareAddr returns the interface's MAC address.
func (c *Conn) HardwareAddr() net.HardwareAddr { return c.c.Interface().HardwareAddr }

// Read returns the next ARP frame that decodes; frames that do not (other
// hardware types, unknown operations) are skipped. It blocks until ctx ends
// or the read deadline passes.
func (c *Conn) Read(ctx context.Context) (Observed, error) {
	buf := make([]byte, 256)
	for {
		n, info, err := c.c.ReadFrame(ctx, buf)
		if err != nil {
			return Observed{}, fmt.Errorf("arp: %w", err)
		}
		f, err := ParseFrame(buf[:n])
		if err != nil {
			continue
		}
		return Observed{Time: info.Time, Outgoing: info.Outgoing, Frame: f}, nil
	}
}

// Send writes f to the link.
func (c *Conn) Send(ctx context.Context, f Frame) error {
	b, err := f.MarshalBinary()
	if err != nil {
		return err
	}
	if err := c.c.WriteFrame(ctx, b); err != nil {
		return fmt.Errorf("arp: %w", err)
	}
	return nil
}

// SetReadDeadline sets the read deadline.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.c.SetReadDeadline(t) }

// Close closes the socket.
func (c *Conn) Close() error { return c.c.Close() }

// request builds a broadcast who-has for target from this interface.
func (c *Conn) request(sender, target netip.Addr) Frame {
	mac := c.HardwareAddr()
	return Frame{Dst: Broadcast, Src: mac, Packet: Packet{
		Op: OpRequest, SenderMAC: mac, SenderIP: sender,
		TargetMAC: make(net.HardwareAddr, 6), TargetIP: target,
	}}
}

// senderFor picks the interface's IPv4 address on target's subnet, or
// 0.0.0.0 (an RFC 5227 probe, which hosts answer as well).
func senderFor(ifi *net.Interface, target netip.Addr) netip.Addr {
	addrs, err := ifi.Addrs()
	if err == nil {
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(n.IP)
			ones, _ := n.Mask.Size()
			if ok && ip.Unmap().Is4() && netip.PrefixFrom(ip.Unmap(), ones).Contains(target) && ip.Unmap() != target {
				return ip.Unmap()
			}
		}
	}
	return netip.IPv4Unspecified()
}

// Probe asks who has ip on ifname and returns the MAC of the first reply.
// The request goes out up to three times within timeout, from the
// interface's address on ip's subnet (or 0.0.0.0 if it has none). A host
// does not answer its own requests: probing an address this host holds
// times out. It returns ErrNoAnswer when nobody answered.
func Probe(ctx context.Context, ifname string, ip netip.Addr, timeout time.Duration) (net.HardwareAddr, error) {
	if !ip.Is4() {
		return nil, fmt.Errorf("arp: probe %v: not ipv4", ip)
	}
	c, err := Listen(ifname)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	req := c.request(senderFor(c.c.Interface(), ip), ip)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var mu sync.Mutex
	var sendErr error
	// The sender resends at timeout/3 in case the first broadcast was lost.
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(timeout / 3)
		defer t.Stop()
		for i := 0; i < 3; i++ {
			if err := c.Send(ctx, req); err != nil && ctx.Err() == nil {
				mu.Lock()
				sendErr = err
				mu.Unlock()
				cancel()
				return
			}
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() { cancel(); <-done }()
	for {
		o, err := c.Read(ctx)
		if err != nil {
			mu.Lock()
			defer mu.Unlock()
			if sendErr != nil {
				return nil, fmt.Errorf("arp: probe %v: %w", ip, sendErr)
			}
			if ctx.Err() == context.DeadlineExceeded {
				return nil, fmt.Errorf("probe %v on %s within %v: %w", ip, ifname, timeout, ErrNoAnswer)
			}
			return nil, err
		}
		if !o.Outgoing && o.Frame.Op == OpReply && o.Frame.SenderIP == ip {
			return o.Frame.SenderMAC, nil
		}
	}
}

// DADOptions tune DAD. Zero values take the RFC 5227 §1.1 constants.
type DADOptions struct {
	// Probes is the number of probes sent (PROBE_NUM, 3).
	Probes int
	// Interval separates probes (PROBE_MIN, 1 s; the RFC randomises up to
	// PROBE_MAX, 2 s, which a diagnosis does not need).
	Interval time.Duration
	// Wait is how long to listen after the last probe (ANNOUNCE_WAIT, 2 s).
	Wait time.Duration
}

// DAD checks whether candidate is in use on ifname with RFC 5227 probes
// (who-has with sender IP 0.0.0.0) and returns every MAC that claims it:
// any ARP whose sender IP is candidate, and any other host's probe for the
// same address (§2.1.1). An empty result means the address looks free. The
// initial random PROBE_WAIT delay is skipped. This host's own frames are
// ignored, so an address held here is not reported by DAD.
func DAD(ctx context.Context, ifname string, candidate netip.Addr, opts DADOptions) ([]net.HardwareAddr, error) {
	if !candidate.Is4() || candidate.IsUnspecified() {
		return nil, fmt.Errorf("arp: dad %v: not a usable ipv4 address", candidate)
	}
	if opts.Probes <= 0 {
		opts.Probes = 3
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Wait <= 0 {
		opts.Wait = 2 * time.Second
	}
	c, err := Listen(ifname)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	own := c.HardwareAddr()
	probe := c.request(netip.IPv4Unspecified(), candidate)
	total := time.Duration(opts.Probes-1)*opts.Interval + opts.Wait
	rctx, cancel := context.WithTimeout(ctx, total)
	defer cancel()

	sendErr := make(chan error, 1)
	go func() {
		for i := 0; i < opts.Probes; i++ {
			if i > 0 {
				select {
				case <-time.After(opts.Interval):
				case <-rctx.Done():
					sendErr <- nil
					return
				}
			}
			if err := c.Send(rctx, probe); err != nil && rctx.Err() == nil {
				sendErr <- err
				cancel()
				return
			}
		}
		sendErr <- nil
	}()

	var claimants []net.HardwareAddr
	for {
		o, err := c.Read(rctx)
		if err != nil {
			cancel()
			if serr := <-sendErr; serr != nil {
				return claimants, fmt.Errorf("arp: dad %v: %w", candidate, serr)
			}
			if ctx.Err() != nil {
				return claimants, ctx.Err()
			}
			return claimants, nil
		}
		f := o.Frame
		if o.Outgoing || slices.Equal(f.SenderMAC, own) {
			continue
		}
		if f.SenderIP == candidate || (f.IsProbe() && f.TargetIP == candidate) {
			if !slices.ContainsFunc(claimants, func(m net.HardwareAddr) bool { return slices.Equal(m, f.SenderMAC) }) {
				claimants = append(claimants, f.SenderMAC)
			}
		}
	}
}

// Event is an ARP frame that concerns a watched address.
type Event struct {
	Time time.Time
	// Kind: KindGratuitous (e.g. a new master's GARP for the VIP),
	// KindReply (someone answers for it), KindRequest (its holder asks for
	// another address), KindProbe (someone probes for it).
	Kind Kind
	// IP is the watched address concerned.
	IP netip.Addr
	// MAC is the sender's hardware address from the ARP payload: who claims
	// or asks for IP.
	MAC      net.HardwareAddr
	Outgoing bool // sent by this host
	Frame    Frame
}

// Watcher reports ARP traffic about a set of addresses (all addresses when
// the set is empty): gratuitous ARPs, replies and requests sent with one of
// them as sender IP, and probes for one of them. It is a task: NewWatcher
// opens the socket in the calling thread's namespace, Run reads until its
// context ends.
type Watcher struct {
	c   *Conn
	ips []netip.Addr
	fn  func(Event)
}

// NewWatcher opens a watcher on ifname. fn runs on Run's goroutine, one
// event at a time, and must not block for long.
func NewWatcher(ifname string, ips []netip.Addr, fn func(Event)) (*Watcher, error) {
	if fn == nil {
		return nil, errors.New("arp: watcher needs a callback")
	}
	c, err := Listen(ifname)
	if err != nil {
		return nil, err
	}
	return &Watcher{c: c, ips: slices.Clone(ips), fn: fn}, nil
}

// Match returns the event an observed frame produces for the watched
// addresses, if any. It is pure.
func Match(o Observed, ips []netip.Addr) (Event, bool) {
	f := o.Frame
	watched := func(ip netip.Addr) bool { return len(ips) == 0 || slices.Contains(ips, ip) }
	ev := Event{Time: o.Time, Kind: f.Kind(), MAC: f.SenderMAC, Outgoing: o.Outgoing, Frame: f}
	switch {
	case ev.Kind == KindProbe && watched(f.TargetIP):
		ev.IP = f.TargetIP
	case ev.Kind != KindProbe && watched(f.SenderIP):
		ev.IP = f.SenderIP
	default:
		return Event{}, false
	}
	return ev, true
}

// Run reads and reports until ctx ends, then closes the socket and returns
// nil; a read error ends it with that error.
func (w *Watcher) Run(ctx context.Context) error {
	defer w.c.Close()
	for {
		o, err := w.c.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if ev, ok := Match(o, w.ips); ok {
			w.fn(ev)
		}
	}
}

// Close closes the socket if Run never ran.
func (w *Watcher) Close() error { return w.c.Close() }
