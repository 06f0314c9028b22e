package drift

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// Mode is how the holder is taken out of the election.
//
//enumcheck:exhaustive
type Mode uint8

// Modes.
const (
	// ModeSoft demotes the holder through the weight-0 drift track file:
	// keepalived enters FAULT and sends a priority-0 advert, its graceful
	// path. Started on the backup, soft mode raises this node's priority
	// through the promote track file instead (see DESIGN.md).
	ModeSoft Mode = iota
	// ModeHard makes the holder silent without a priority-0 advert, as a
	// crash or power loss would: keepalived is paused (SIGSTOP) and the
	// VIPs are removed from the interface. Only possible on the holder.
	ModeHard
)

// String returns "soft" or "hard", the words of the verify method's mode
// argument.
func (m Mode) String() string {
	switch m {
	case ModeSoft:
		return "soft"
	case ModeHard:
		return "hard"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// ParseMode is the inverse of [Mode.String].
func ParseMode(s string) (Mode, error) {
	switch s {
	case "soft":
		return ModeSoft, nil
	case "hard":
		return ModeHard, nil
	}
	return 0, fmt.Errorf("drift: unknown mode %q, want soft or hard", s)
}

// Direction is which way the VIP moves first. It is decided at pre-check
// from evidence (does this node hold the VIP?), never by the caller.
//
//enumcheck:exhaustive
type Direction uint8

// Directions.
const (
	// DirUnknown: pre-check has not decided yet.
	DirUnknown Direction = iota
	// DirHandover: started on the holder; the VIP goes to the peer and
	// comes back.
	DirHandover
	// DirTakeover: started on the backup; this node takes the VIP and
	// gives it back.
	DirTakeover
)

// String returns "unknown", "handover" or "takeover".
func (d Direction) String() string {
	switch d {
	case DirUnknown:
		return "unknown"
	case DirHandover:
		return "handover"
	case DirTakeover:
		return "takeover"
	}
	return fmt.Sprintf("Direction(%d)", uint8(d))
}

// MAC is an Ethernet address. The zero MAC means unknown.
type MAC [6]byte

// MACFrom converts a 6-byte hardware address; ok is false for any other
// length.
func MACFrom(hw net.HardwareAddr) (m MAC, ok bool) {
	if len(hw) != 6 {
		return MAC{}, false
	}
	copy(m[:], hw)
	return m, true
}

// IsZero reports whether m is unknown.
func (m MAC) IsZero() bool { return m == MAC{} }

// String formats m as 02:77:00:00:00:03, or "" when unknown.
func (m MAC) String() string {
	if m.IsZero() {
		return ""
	}
	return net.HardwareAddr(m[:]).String()
}

// Node describes one router of the pair as the run needs it.
type Node struct {
	// Addr is the router's own LAN address (the source of its adverts).
	Addr netip.Addr
	// MAC is its LAN MAC; zero if unknown (the peer's is learned from its
	// adverts or ARP answers at pre-check).
	MAC MAC
	// Priority is the configured (base) VRRP priority, 1–255. For the
	// peer, 0 means unknown: the budgets then assume the slowest backup
	// (priority 1) and say so.
	Priority uint8
	// Preempt and PreemptDelay are keepalived's settings of that node
	// (nopreempt ⇒ Preempt false). The daemon fills the peer's from this
	// node's configuration, since floatgw renders both nodes from the same
	// settings; they only shape the failback expectation.
	Preempt      bool
	PreemptDelay time.Duration
}

// Timeouts bound each wait of a run. Zero values are derived from the
// budgets (see DESIGN.md, "Timers").
type Timeouts struct {
	// Precheck bounds the wait for [Facts] after [CollectFacts].
	Precheck time.Duration
	// Op bounds the wait for the [Done] of one operation.
	Op time.Duration
	// Switch bounds the observation of the switch, from the trigger.
	Switch time.Duration
	// Failback bounds the observation of the failback, from the undo.
	Failback time.Duration
	// Fault bounds the wait, in hard mode's restore, for keepalived to
	// report FAULT after it was resumed with the drift track file set.
	Fault time.Duration
}

// Plan is everything a run needs to know before it starts. The daemon
// builds it from the validated configuration; [New] validates it. A Plan is
// immutable once passed to New (New copies the VIP slice).
type Plan struct {
	// ID is the run id returned by the verify method.
	ID string
	// Mode is soft or hard.
	Mode Mode
	// Instance is the keepalived vrrp_instance name; [KeepalivedEvent]s of
	// other instances are ignored.
	Instance string
	// Version, VRID and AdvertInterval are the instance's VRRP settings.
	Version        Version
	VRID           uint8
	AdvertInterval time.Duration
	// VIPs are the virtual addresses (IPv4), at least one.
	VIPs []netip.Addr
	// Local is this node, Peer the other router. Peer.Addr may be invalid
	// (multicast setups where the peer was never configured): the peer is
	// then the first other source of adverts for VRID.
	Local, Peer Node
	// Slack is the margin over the RFC times; 0 means [DefaultSlack].
	Slack time.Duration
	// ProbeInterval is how often the VIP is ARP-probed while the run
	// observes; 0 means a tenth of the advert interval, 20–100 ms.
	ProbeInterval time.Duration
	Timeouts      Timeouts
}

// Validate reports the first thing wrong with p, as a lower-case error
// naming the field.
func (p Plan) Validate() error {
	if p.ID == "" {
		return errors.New("drift: plan: empty run id")
	}
	if p.Mode != ModeSoft && p.Mode != ModeHard {
		return fmt.Errorf("drift: plan: mode: unknown %d", p.Mode)
	}
	switch p.Version {
	case V2:
		if p.AdvertInterval < time.Second || p.AdvertInterval > 255*time.Second || p.AdvertInterval%time.Second != 0 {
			return fmt.Errorf("drift: plan: advert interval: VRRPv2 needs whole seconds 1–255, got %s", p.AdvertInterval)
		}
	case V3:
		if p.AdvertInterval < 10*time.Millisecond || p.AdvertInterval > 40950*time.Millisecond || p.AdvertInterval%(10*time.Millisecond) != 0 {
			return fmt.Errorf("drift: plan: advert interval: VRRPv3 needs centiseconds 0.01–40.95 s, got %s", p.AdvertInterval)
		}
	default:
		return fmt.Errorf("drift: plan: version: want 2 or 3, got %d", p.Version)
	}
	if p.VRID == 0 {
		return errors.New("drift: plan: vrid: want 1–255, got 0")
	}
	if len(p.VIPs) == 0 {
		return errors.New("drift: plan: vips: none")
	}
	for _, v := range p.VIPs {
		if !v.Is4() {
			return fmt.Errorf("drift: plan: vips: %s is not an IPv4 address", v)
		}
	}
	if !p.Local.Addr.Is4() {
		return fmt.Errorf("drift: plan: local address: want IPv4, got %q", p.Local.Addr)
	}
	if p.Local.MAC.IsZero() {
		return errors.New("drift: plan: local mac: unknown")
	}
	if p.Local.Priority == 0 {
		return errors.New("drift: plan: local priority: want 1–255, got 0")
	}
	if p.Peer.Addr.IsValid() && (!p.Peer.Addr.Is4() || p.Peer.Addr == p.Local.Addr) {
		return fmt.Errorf("drift: plan: peer address: want an IPv4 address other than ours, got %s", p.Peer.Addr)
	}
	if p.Slack < 0 || p.ProbeInterval < 0 || p.Local.PreemptDelay < 0 || p.Peer.PreemptDelay < 0 {
		return errors.New("drift: plan: negative duration")
	}
	t := p.Timeouts
	if t.Precheck < 0 || t.Op < 0 || t.Switch < 0 || t.Failback < 0 || t.Fault < 0 {
		return errors.New("drift: plan: timeouts: negative duration")
	}
	return nil
}

func (p Plan) probeInterval() time.Duration {
	if p.ProbeInterval > 0 {
		return p.ProbeInterval
	}
	d := p.AdvertInterval / 10
	if d < 20*time.Millisecond {
		d = 20 * time.Millisecond
	}
	if d > 100*time.Millisecond {
		d = 100 * time.Millisecond
	}
	return d
}

func (p Plan) isVIP(a netip.Addr) bool {
	for _, v := range p.VIPs {
		if v == a {
			return true
		}
	}
	return false
}
