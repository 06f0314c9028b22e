package daemon

import (
	"context"
	"net"
	"net/netip"
	"os"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/floatgw/floatgw/internal/api"
	"github.com/floatgw/floatgw/internal/arp"
	"github.com/floatgw/floatgw/internal/drift"
	"github.com/floatgw/floatgw/internal/health"
	"github.com/floatgw/floatgw/internal/keepalived"
	"github.com/floatgw/floatgw/internal/netwatch"
	"github.com/floatgw/floatgw/internal/vrrp"
)

const maxTransitions = 50

// runFIFO follows keepalived's notify FIFO: the ordered source of this node's VRRP state.
func (d *Daemon) runFIFO(ctx context.Context) error {
	r := &keepalived.FIFOReader{
		Path:    d.opt.fifoPath(),
		OnEvent: d.onKeepalived,
		OnBadLine: func(line string, _ time.Time, err error) {
			d.log.Limitf("fifo-bad", 4, "notify fifo: %v", err)
		},
		OnWriterGone: func(at time.Time) {
			d.mu.Lock()
			d.kaStopped = true
			d.mu.Unlock()
			d.log.Infof("keepalived closed the notify fifo (stopped or restarting)")
		},
	}
	if err := r.Run(ctx); err != nil {
		d.log.Errorf("notify fifo: %v (state changes will not be seen)", err)
	}
	return nil
}

// onKeepalived records one notify line and passes it to a running verification.
func (d *Daemon) onKeepalived(ev keepalived.Event) {
	if ev.Name != Instance || ev.Scope != keepalived.Scope("INSTANCE") {
		return
	}
	state, rxLower, ok := drift.ParseFIFOWord(string(ev.Type))
	if !ok {
		return
	}
	word := state.String()
	d.mu.Lock()
	from := d.kaState
	d.kaPrio = ev.Priority
	d.kaEventAt = ev.Received
	d.kaStopped = state == drift.StateStop
	if word != from {
		d.kaState = word
		reason := d.reasonLocked()
		d.transitions = append(d.transitions, api.Transition{At: ev.Received.Unix(), From: from, To: word, Priority: ev.Priority, Reason: reason})
		if len(d.transitions) > maxTransitions {
			d.transitions = d.transitions[len(d.transitions)-maxTransitions:]
		}
	}
	d.mu.Unlock()
	if word != from {
		d.log.Noticef("VRRP %s → %s (priority %d)", from, word, ev.Priority)
		d.broadcastState("vrrp")
	}
	d.publish(drift.KeepalivedEvent{At: ev.Received, Instance: ev.Name, State: state, Priority: uint8(clamp(ev.Priority, 0, 255)), RxLowerPri: rxLower})
}

// syncFromDump reads this node's VRRP state from keepalived's JSON dump when no notify line
// told it yet (the daemon started after keepalived). It is bounded by a few seconds.
func (d *Daemon) syncFromDump(ctx context.Context) {
	if d.keepalivedPID() == 0 {
		return
	}
	d.mu.Lock()
	known := d.kaState != api.StateUnknown
	d.mu.Unlock()
	if known {
		return
	}
	pidfile := d.opt.KeepalivedPidfile
	if pidfile == "" {
		pidfile = "/var/run/keepalived.pid"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	dumper := &keepalived.Dumper{PIDFile: pidfile, Path: d.opt.KeepalivedJSON}
	states, err := dumper.Dump(ctx)
	if err != nil {
		d.log.Limitf("json-dump", 4, "keepalived JSON dump: %v", err)
		return
	}
	for _, st := range states {
		if st.Name != Instance {
			continue
		}
		word := map[keepalived.VRRPState]string{keepalived.StateInit: api.StateInit, keepalived.StateBackup: api.StateBackup,
			keepalived.StateMaster: api.StateMaster, keepalived.StateFault: api.StateFault}[st.State]
		if word == "" {
			return
		}
		d.mu.Lock()
		if d.kaState == api.StateUnknown {
			d.kaState, d.kaPrio, d.kaStopped = word, st.EffectivePriority, false
			d.transitions = append(d.transitions, api.Transition{At: time.Now().Unix(), From: api.StateUnknown, To: word, Priority: st.EffectivePriority, Reason: api.ReasonVRRP})
		}
		d.mu.Unlock()
		d.log.Infof("VRRP state %s (priority %d) from keepalived's JSON dump", word, st.EffectivePriority)
		return
	}
}

// reasonLocked says why this node's state is changing (d.mu held).
func (d *Daemon) reasonLocked() string {
	switch {
	case d.activeRun != "":
		return api.ReasonVerification
	case d.demote[demoteMaintenance]:
		return api.ReasonMaintenance
	case d.demote[demoteSwitch]:
		return api.ReasonSwitch
	}
	if d.monitor != nil && d.monitor.Status().Verdict == health.Down {
		return api.ReasonHealth
	}
	return "vrrp"
}

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// consumeNetwatch passes VIP address events of the LAN device to a running verification.
func (d *Daemon) consumeNetwatch(ctx context.Context, w *netwatch.Watcher) {
	for ev := range w.Events() {
		switch e := ev.(type) {
		case netwatch.AddrEvent:
			d.mu.Lock()
			cfg := d.cfg
			d.mu.Unlock()
			if cfg == nil || e.Ifname != cfg.Device || !isVIP(cfg.VIPs, e.Addr.Addr()) {
				continue
			}
			if e.Added {
				d.publish(drift.VIPAdded{At: e.Time, IP: e.Addr.Addr()})
			} else {
				d.publish(drift.VIPRemoved{At: e.Time, IP: e.Addr.Addr()})
			}
			d.broadcastState("vip")
		case netwatch.LinkEvent:
			d.mu.Lock()
			cfg := d.cfg
			d.mu.Unlock()
			if cfg != nil && e.Ifname == cfg.Device {
				d.broadcastState("link")
			}
		}
	}
}

func isVIP(vips []netip.Prefix, a netip.Addr) bool {
	for _, v := range vips {
		if v.Addr() == a {
			return true
		}
	}
	return false
}

// onFrame is called by the VRRP listener for every protocol-112 frame on the LAN.
func (d *Daemon) onFrame(f vrrp.Frame) {
	d.mu.Lock()
	d.tracker.Observe(f)
	d.mu.Unlock()
	if f.Err != nil {
		return
	}
	// This node's own adverts are published too: the verifier times the first MASTER
	// advert of a takeover from them.
	a := f.Packet.Advert
	mac, _ := drift.MACFrom(f.SrcMAC)
	d.publish(drift.Advert{At: f.Time, Src: f.Packet.Src, SrcMAC: mac, VRID: a.VRID, Priority: a.Priority, Interval: a.AdvertInterval(), VIPs: append([]netip.Addr(nil), a.Addrs...)})
}

// onARP passes gratuitous ARPs (this node's own included) and replies from other hosts to a running
// verification.
func (d *Daemon) onARP(ev arp.Event) {
	if ev.Outgoing && ev.Kind != arp.KindGratuitous {
		return
	}
	mac, ok := drift.MACFrom(ev.MAC)
	if !ok {
		return
	}
	switch ev.Kind {
	case arp.KindGratuitous:
		d.publish(drift.GARP{At: ev.Time, IP: ev.IP, MAC: mac})
	case arp.KindReply:
		d.publish(drift.ARPReply{At: ev.Time, IP: ev.IP, MAC: mac})
	}
}

// peerSource returns the most recent advert source on our VRID that is not this node,
// preferring configured unicast peers and sources with our VIP set.
func (d *Daemon) peerSourceLocked() (vrrp.Source, bool) {
	cfg := d.cfg
	if cfg == nil {
		return vrrp.Source{}, false
	}
	var best vrrp.Source
	found := false
	for _, s := range d.tracker.Sources() {
		if s.Local || int(s.VRID) != cfg.VRID || s.Addr == cfg.Address.Addr() {
			continue
		}
		if len(cfg.Peers) > 0 && !containsAddr(cfg.Peers, s.Addr) {
			continue
		}
		if !sameVIPs(cfg.VIPs, s.VIPs) {
			continue
		}
		if !found || s.LastSeen.After(best.LastSeen) {
			best, found = s, true
		}
	}
	return best, found
}

func containsAddr(list []netip.Addr, a netip.Addr) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

func sameVIPs(cfg []netip.Prefix, seen []netip.Addr) bool {
	if len(cfg) != len(seen) {
		return false
	}
	for _, a := range seen {
		if !isVIP(cfg, a) {
			return false
		}
	}
	return true
}

// keepalivedPID returns the pid of the running keepalived parent, 0 if none.
func (d *Daemon) keepalivedPID() int {
	files := []string{d.opt.KeepalivedPidfile}
	if d.opt.KeepalivedPidfile == "" {
		files = []string{"/var/run/keepalived.pid", "/run/keepalived.pid"}
	}
	for _, f := range files {
		if pid := readPID(f); pid > 0 && syscall.Kill(pid, 0) == nil {
			return pid
		}
	}
	return 0
}

// vrrpPID returns the pid of keepalived's VRRP child, 0 if unknown.
func (d *Daemon) vrrpPID() int {
	f := "/var/run/keepalived_vrrp.pid"
	if d.opt.KeepalivedPidfile != "" {
		f = strings.TrimSuffix(d.opt.KeepalivedPidfile, "keepalived.pid") + "vrrp.pid"
	}
	if pid := readPID(f); pid > 0 && syscall.Kill(pid, 0) == nil {
		return pid
	}
	return 0
}

func readPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	s := strings.TrimSpace(string(b))
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' || n > 1<<22 {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// Status builds the status reply.
func (d *Daemon) Status() api.StatusReply {
	now := time.Now()
	host, _ := os.Hostname()
	s := api.StatusReply{
		Schema: api.Schema, Now: now.Unix(),
		Node:        api.Node{Hostname: host, State: api.StateUnknown, PriorityReasons: []api.PriorityReason{}, VIPs: []string{}, UnicastPeers: []string{}},
		Health:      api.Health{State: "off", Mode: "off", Checks: []api.Check{}},
		Transitions: []api.Transition{},
		Problems:    []api.Problem{},
	}
	s.Keepalived.Running = d.keepalivedPID() > 0

	d.mu.Lock()
	cfg := d.cfg
	s.Problems = append(s.Problems, d.cfgProblems...)
	s.Problems = append(s.Problems, d.applyProbs...)
	s.Transitions = append(s.Transitions, d.transitions...)
	s.Maintenance = d.demote[demoteMaintenance]
	s.VerifyRunning = d.activeRun
	kaState, kaPrio, kaStopped := d.kaState, d.kaPrio, d.kaStopped
	demote := map[string]bool{}
	for k, v := range d.demote {
		demote[k] = v
	}
	peer, peerOK := d.peerSourceLocked()
	mon := d.monitor
	d.mu.Unlock()

	if !s.Keepalived.Running || kaStopped {
		kaState = api.StateUnknown
	}
	s.Node.State = kaState
	s.Keepalived.ConfigOK = len(s.Problems) == 0
	if cfg == nil {
		return s
	}
	s.Node.Role = string(cfg.Role)
	s.Node.BasePriority = cfg.Priority
	s.Node.EffectivePriority = cfg.Priority
	if kaPrio > 0 || kaState == api.StateFault {
		s.Node.EffectivePriority = kaPrio
	}
	s.Node.LAN = api.LAN{Network: cfg.LAN, Device: cfg.Device, Address: cfg.Address.String()}
	if ifi, err := net.InterfaceByName(cfg.Device); err == nil {
		s.Node.LAN.MAC = ifi.HardwareAddr.String()
		s.Node.LAN.Up = ifi.Flags&net.FlagUp != 0
	}
	for _, v := range cfg.VIPs {
		s.Node.VIPs = append(s.Node.VIPs, v.String())
	}
	for _, p := range cfg.Peers {
		s.Node.UnicastPeers = append(s.Node.UnicastPeers, p.String())
	}
	s.Node.VRID, s.Node.Version, s.Node.Preempt = cfg.VRID, cfg.Version, cfg.Preempt
	s.Node.AdvertIntMs = int(cfg.AdvertInt.Milliseconds())

	for _, r := range []string{demoteVerification, demoteMaintenance, demoteSwitch} {
		if demote[r] {
			s.Node.PriorityReasons = append(s.Node.PriorityReasons, api.PriorityReason{Reason: r, Delta: 0, Detail: "demote track file: FAULT, priority-0 adverts"})
		}
	}
	if mon != nil {
		hs := mon.Status()
		s.Health.Mode = string(hs.Mode)
		switch hs.Verdict {
		case health.Up:
			s.Health.State = "ok"
		case health.Down:
			s.Health.State = "failing"
			s.Node.PriorityReasons = append(s.Node.PriorityReasons, api.PriorityReason{Reason: api.ReasonHealth, Delta: -cfg.Health.Weight})
		default:
			s.Health.State = "pending"
		}
		if hs.Mode == health.ModeOff {
			s.Health.State = "off"
		}
		for _, c := range hs.Checks {
			ch := api.Check{Name: c.Name, Type: string(c.Type), Target: c.Target, OK: c.Last.OK, LatencyMs: int(c.Last.Latency.Milliseconds()), Error: c.Last.Err}
			if !c.At.IsZero() {
				ch.At = c.At.Unix()
			}
			s.Health.Checks = append(s.Health.Checks, ch)
		}
	}

	// Who holds the VIP: this node (the kernel says so), else the peer while it advertises
	// as master.
	if d.watcher != nil && len(cfg.VIPs) > 0 && d.watcher.HasAddr(cfg.Device, cfg.VIPs[0].Addr()) {
		s.Holder = api.Holder{IP: cfg.Address.Addr().String(), MAC: s.Node.LAN.MAC, Self: true, Via: "netlink"}
	}
	if peerOK {
		age := now.Sub(peer.LastSeen)
		s.Peer = api.Peer{Seen: true, Address: peer.Addr.String(), MAC: peer.MAC, Priority: int(peer.Priority),
			LastAdvertMs: age.Milliseconds(), IntervalMs: int(peer.AdvertIntervalMS)}
		interval := time.Duration(peer.AdvertIntervalMS) * time.Millisecond
		switch {
		case age > 3*interval+time.Second:
			s.Peer.State = api.StateSilent
		case peer.Priority == 0:
			s.Peer.State = api.StateBackup
		default:
			s.Peer.State = api.StateMaster
			if !s.Holder.Self {
				s.Holder = api.Holder{IP: peer.Addr.String(), MAC: peer.MAC, Peer: true, Via: "vrrp"}
			}
		}
	}
	sort.SliceStable(s.Problems, func(i, j int) bool {
		return s.Problems[i].Severity == api.SeverityError && s.Problems[j].Severity != api.SeverityError
	})
	return s
}

// broadcastState sends the floatgw.state event (ubus) when something changed.
func (d *Daemon) broadcastState(what string) {
	d.sendEvent("floatgw.state", map[string]any{"changed": what})
}
