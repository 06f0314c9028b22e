package drift

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/floatgw/floatgw/internal/api"
)

// Fixes offered by the problems of this package. Every ID is one of
// internal/api's catalogue (api.Fixes), with the catalogue's Safe: safe ones
// the daemon applies itself (doctor_fix), the others are instructions. The
// labels say what the fix means for a verification run.
var (
	fixFirewall       = &api.Fix{ID: "firewall_vrrp", Label: "add the Allow-VRRP firewall rule (firewall.vrrp: proto 112 from the LAN zone, ACCEPT) and reload the firewall", Safe: true}
	fixPeerFirewall   = &api.Fix{ID: "peer.firewall.vrrp", Label: "on the peer router, accept VRRP (IP protocol 112) from the LAN: run floatgw doctor there, or add firewall.vrrp", Safe: false}
	fixStartKA        = &api.Fix{ID: "keepalived_start", Label: "start keepalived (/etc/init.d/keepalived start)", Safe: true}
	fixPeerKA         = &api.Fix{ID: "peer.keepalived", Label: "start keepalived on the peer router and check that it runs the same VRID (floatgw status there)", Safe: false}
	fixApply          = &api.Fix{ID: "keepalived_render", Label: "render and apply floatgw's keepalived configuration (floatgw apply)", Safe: true}
	fixMulticast      = &api.Fix{ID: "unicast_peers", Label: "let multicast 224.0.0.18 through between the routers (PVE/ESXi: promiscuous mode, MAC changes and forged transmits accepted; IGMP snooping off), or configure unicast peers", Safe: false}
	fixVRID           = &api.Fix{ID: "vrid_change", Label: "choose a VRID no other router uses on this LAN (floatgw scan lists the ones in use)", Safe: false}
	fixInterval       = &api.Fix{ID: "advert_int", Label: "use the same advert_int on both routers", Safe: false}
	fixSendEPERM      = &api.Fix{ID: "output_vrrp", Label: "let this router send VRRP: remove the output rule that drops IP protocol 112 (iptables -A OUTPUT -p vrrp -j ACCEPT)", Safe: false}
	fixGARP           = &api.Fix{ID: "garp_refresh", Label: "apply floatgw's keepalived configuration, which sets vrrp_garp_master_refresh; check that the switch does not filter gratuitous ARP", Safe: true}
	fixRunOnHolder    = &api.Fix{ID: "verify.on_holder", Label: "run the verification on the router that holds the VIP", Safe: false}
	fixPreempt        = &api.Fix{ID: "enable_preempt", Label: "enable preempt on the preferred router (floatgw.main.preempt=1)", Safe: false}
	fixRestore        = &api.Fix{ID: "daemon.restart", Label: "restart floatgw: at start-up it undoes what a verification left behind", Safe: false}
	fixPeerReachable  = &api.Fix{ID: "peer.reachable", Label: "check the peer's cabling, address and firewall; it must answer on the LAN", Safe: false}
	fixVIPConflict    = &api.Fix{ID: "vip", Label: "remove the VIP from the other host or choose a free VIP", Safe: false}
	fixNotifyHandler  = &api.Fix{ID: "notify_handler", Label: "reinstall floatgw's notify handler (the hotplug script and the notify FIFO of the rendered keepalived configuration) so floatgw follows keepalived's state", Safe: true}
	fixLocalFault     = &api.Fix{ID: "status", Label: "see floatgw status for why this node is in FAULT (interface, health check or maintenance) and fix that first", Safe: false}
	fixWaitForHolder  = &api.Fix{ID: "status", Label: "bring the gateway back first: floatgw status shows keepalived and VRRP on both routers", Safe: false}
	fixCannotOutrank  = &api.Fix{ID: "verify.on_holder", Label: "run the verification on the holder, which can demote itself", Safe: false}
	fixSwitchFailed   = &api.Fix{ID: "logs", Label: "see floatgw logs for why the change failed (track file directory, permissions, keepalived pid)", Safe: false}
	fixTimeoutGeneric = &api.Fix{ID: "logs", Label: "see floatgw logs; the daemon did not report in time", Safe: false}
)

// Mark is the first observation of something: when and how it was seen.
type Mark struct {
	At time.Time
	// Source is how: "netlink", "advert", "garp", "arp", "fifo".
	Source string
	// Detail is the observation in words (addresses, priority).
	Detail string
}

// Seen reports whether the mark was observed.
func (m Mark) Seen() bool { return !m.At.IsZero() }

func (m *Mark) set(at time.Time, src, detail string) {
	if m.Seen() {
		return
	}
	*m = Mark{At: at, Source: src, Detail: detail}
}

// Intent is what should happen in a run: decided by [Decide] from the plan
// and the pre-check facts.
type Intent struct {
	Plan      Plan
	Direction Direction
	// Peer is the plan's peer completed from the facts (address, MAC and
	// priority learned from its adverts and ARP answers).
	Peer    Node
	Budgets BudgetSet
}

// Observed is what a run saw. [Step] fills it; [Compare] judges it.
type Observed struct {
	// Facts are the pre-check facts; nil if none arrived.
	Facts *Facts
	// Reached is the furthest phase the run entered.
	Reached Phase
	// Trigger is when the switch took effect (Done of the demotion,
	// pause or promotion); zero if the switch never happened.
	Trigger time.Time
	// SwitchErr is why a change of the switch failed.
	SwitchErr string
	// TimedOut names the wait that ran out: "precheck", "switch",
	// "failback", "fault" (several, comma-separated).
	TimedOut []string
	// Aborted is the reason of an [Abort], "" if none.
	Aborted string

	// The switch, relative to Trigger.
	VIPRemoved   Mark // old holder released the VIP
	VIPAdded     Mark // new holder added it
	MasterAdvert Mark // first advert (priority > 0) from the new holder
	GARPSeen     Mark // first gratuitous ARP from the new holder's MAC
	ARPAnswer    Mark // first ARP answer for the VIP from the new MAC
	LocalMaster  Mark // this node's FIFO said MASTER (takeover)
	// PeerAdverts counts adverts (priority > 0) from the peer after Trigger.
	PeerAdverts int
	// SplitBrain is evidence that the old holder still acted as master
	// after the new one took over (the first lines); SplitAdverts and
	// SplitARPs count its adverts and ARP answers after the grace.
	SplitBrain   []string
	SplitAdverts int
	SplitARPs    int
	// RxLowerPri counts MASTER_RX_LOWER_PRI lines after Trigger.
	RxLowerPri int
	// Logs are known error patterns seen during the run.
	Logs []LogSeen

	// The restore.
	RestoreAt  time.Time // Done of the last undo
	RestoreErr string    // last undo error if the restore gave up
	Restored   bool      // every change was undone
	Failback   Mark      // the VIP back on the original holder
}

func (o *Observed) timedOut(what string) {
	for _, w := range o.TimedOut {
		if w == what {
			return
		}
	}
	o.TimedOut = append(o.TimedOut, what)
}

func (o Observed) hasTimedOut(what string) bool {
	for _, w := range o.TimedOut {
		if w == what {
			return true
		}
	}
	return false
}

// Decide derives the intent of a run from its plan and the pre-check facts:
// the direction (this node holds every VIP ⇒ handover), the peer as seen
// on the wire, and the budgets.
func Decide(p Plan, f Facts) Intent {
	in := Intent{Plan: p, Peer: p.Peer}
	holds := len(p.VIPs) > 0
	for _, v := range p.VIPs {
		if !containsAddr(f.LocalVIPs, v) {
			holds = false
		}
	}
	in.Direction = DirTakeover
	if holds {
		in.Direction = DirHandover
	}
	if pa, ok := peerAdvert(p, f); ok {
		if !in.Peer.Addr.IsValid() {
			in.Peer.Addr = pa.Src
		}
		if in.Peer.MAC.IsZero() {
			in.Peer.MAC = pa.SrcMAC
		}
		if pa.Priority > 0 {
			in.Peer.Priority = pa.Priority
		}
	}
	if in.Direction == DirTakeover && in.Peer.MAC.IsZero() {
		// The holder's MAC answers for the VIP.
		for _, a := range f.VIPAnswers {
			if a.MAC != p.Local.MAC && !a.MAC.IsZero() {
				in.Peer.MAC = a.MAC
				break
			}
		}
	}
	p.Peer = in.Peer
	in.Budgets = Budgets(p, in.Direction)
	return in
}

// peerAdvert returns the latest advert from the peer: the plan's peer
// address, or, when the plan has none, the only other source.
func peerAdvert(p Plan, f Facts) (Advert, bool) {
	var best Advert
	found := false
	for _, a := range f.Adverts {
		if a.VRID != p.VRID || a.Src == p.Local.Addr {
			continue
		}
		if p.Peer.Addr.IsValid() && a.Src != p.Peer.Addr {
			continue
		}
		if !p.Peer.Addr.IsValid() && found && a.Src != best.Src {
			return Advert{}, false // several candidates: a conflict, not a peer
		}
		if !found || !a.At.Before(best.At) {
			best, found = a, true
		}
	}
	return best, found
}

// problems collects findings, like corerad's problems.push.
type problems []api.Problem

func (ps *problems) add(code api.Code, sev api.Severity, field, want, got, detail string, fix *api.Fix, evidence ...string) {
	var f *api.Fix
	if fix != nil {
		c := *fix
		f = &c
	}
	*ps = append(*ps, api.Problem{Code: code, Severity: sev, Field: field, Want: want, Got: got,
		Detail: detail, Evidence: append([]string(nil), evidence...), Fix: f})
}

// Blocking reports whether any problem has severity error.
func Blocking(ps []api.Problem) bool {
	for _, p := range ps {
		if p.Severity == api.SeverityError {
			return true
		}
	}
	return false
}

// Compare judges a run: the intent against what was observed. It returns
// the problems found, each with a stable code, evidence and a fix, in a
// deterministic order (pre-check findings first, then the switch, the
// restore and the failback). It is pure; [Step] calls it after the
// pre-check (any error blocks the switch) and at the end of the run.
func Compare(in Intent, o Observed) []api.Problem {
	var ps problems
	if o.Facts != nil {
		comparePrecheck(&ps, in, *o.Facts)
	} else if o.hasTimedOut("precheck") {
		ps.add(api.VerifyTimeout, api.SeverityError, "precheck", "facts within the pre-check timeout", "nothing", "the daemon did not gather the pre-check facts in time", fixTimeoutGeneric)
	}
	compareSwitch(&ps, in, o)
	compareRestore(&ps, in, o)
	if o.Aborted != "" {
		ps.add(api.VerifyAborted, api.SeverityError, "", "", "", "the run was aborted: "+o.Aborted, nil)
	}
	if len(ps) == 0 {
		return nil
	}
	return ps
}

func comparePrecheck(ps *problems, in Intent, f Facts) {
	p := in.Plan
	if !f.KeepalivedRunning {
		ps.add(api.KeepalivedNotRunning, api.SeverityError, "local", "running", "not running",
			"keepalived is not running on this router, so it takes no part in VRRP", fixStartKA)
		return
	}
	if !f.ConfigApplied {
		ps.add(api.ConfigNotApplied, api.SeverityError, "local", "floatgw's configuration", "other",
			fmt.Sprintf("keepalived does not run floatgw's configuration (instance %q with the drift and promote track files)", p.Instance), fixApply)
	}
	switch f.LocalState {
	case StateUnknown, StateInit, StateStop:
		ps.add(api.NotifyHandlerMissing, api.SeverityError, "local", "BACKUP or MASTER", f.LocalState.String(),
			"this node's VRRP state is not known: no notify FIFO line and no JSON dump gave it", fixNotifyHandler)
	case StateFault:
		ps.add(api.VRRPFault, api.SeverityError, "local", "BACKUP or MASTER", "FAULT",
			"this node's instance is in FAULT and takes no part in the election", fixLocalFault)
	case StateBackup, StateMaster:
	}
	for _, l := range f.Logs {
		ps.add(l.Code, severityOf(l.Code), "local", "", "", "keepalived logged a known error", fixFor(l.Code), l.Line)
	}

	// Adverts: the peer's and anyone else's on our VRID.
	var foreign []string
	for _, a := range f.Adverts {
		if a.VRID != p.VRID || a.Src == p.Local.Addr {
			continue
		}
		if in.Peer.Addr.IsValid() && a.Src == in.Peer.Addr {
			continue
		}
		foreign = append(foreign, advertText(a, f.At))
	}
	if len(foreign) > 0 {
		sort.Slice(foreign, func(i, j int) bool { return foreign[i] < foreign[j] })
		ps.add(api.VRIDConflict, api.SeverityError, "vrid", "only this node and its peer", fmt.Sprint(len(foreign), " other sender(s)"),
			fmt.Sprintf("another VRRP router uses VRID %d on this LAN", p.VRID), fixVRID, foreign...)
	}
	pa, havePeerAdvert := peerAdvert(p, f)
	if havePeerAdvert && pa.Interval > 0 && pa.Interval != p.AdvertInterval {
		ps.add(api.AdvertIntervalMismatch, api.SeverityError, "advert_int", fmtDur(p.AdvertInterval), fmtDur(pa.Interval),
			"the peer advertises another interval; keepalived 2.2.7 then let both nodes become MASTER (fx-e)", fixInterval, advertText(pa, f.At))
	}
	if f.Firewall == CheckFailed {
		ps.add(api.FirewallNoVRRPRule, api.SeverityWarning, "firewall.vrrp", "ACCEPT proto 112 from the LAN zone", "missing",
			"no firewall rule accepts VRRP here; adverts from the peer may be dropped before keepalived sees them", fixFirewall)
	}
	if f.PeerReachable == CheckFailed {
		ps.add(api.PeerUnreachable, api.SeverityError, "peer", "answers", "no answer",
			fmt.Sprintf("the peer %s does not answer on the LAN; moving the VIP now could leave the clients without a gateway", addrText(in.Peer.Addr)), fixPeerReachable)
	}

	localHolds := in.Direction == DirHandover
	var others []string
	peerAnswers := false
	for _, a := range f.VIPAnswers {
		if !p.isVIP(a.IP) || a.MAC == p.Local.MAC || a.MAC.IsZero() {
			continue
		}
		if a.MAC == in.Peer.MAC || (in.Peer.MAC.IsZero() && localHolds) {
			// The peer, or, with its MAC unknown, most likely the peer.
			peerAnswers = true
			continue
		}
		others = append(others, fmt.Sprintf("%s is-at %s", a.IP, a.MAC))
	}
	if len(others) > 0 {
		ps.add(api.VIPAddressConflict, api.SeverityError, "vip", "answered by this node or its peer only", strings.Join(others, ", "),
			"another host answers ARP for the VIP", fixVIPConflict, others...)
	}

	switch in.Direction {
	case DirHandover:
		// Both nodes hold the VIP or both advertise: split brain.
		peerMaster := havePeerAdvert && pa.Priority > 0
		if peerAnswers || peerMaster {
			var ev []string
			ev = append(ev, fmt.Sprintf("this node holds %s (netlink) in state %s", vipList(p.VIPs), f.LocalState))
			if peerMaster {
				ev = append(ev, advertText(pa, f.At))
			}
			if peerAnswers || len(others) > 0 {
				ev = append(ev, fmt.Sprintf("ARP: the VIP is also answered by %s", answerMACs(f.VIPAnswers, p.Local.MAC)))
			}
			ps.add(api.SplitBrain, api.SeverityError, "vip", "held by one node", "held by both", "both routers act as MASTER", nil, ev...)
			splitBrainCause(ps, in, f, pa, havePeerAdvert)
		}
	case DirTakeover:
		if p.Mode == ModeHard {
			ps.add(api.NotHolder, api.SeverityError, "mode", "run on the VIP holder", "this node is the backup",
				fmt.Sprintf("hard mode makes the VIP holder fall silent as in a crash, which only the holder itself can do; run it on %s, which holds the VIP, or use soft mode here",
					addrText(in.Peer.Addr)), fixRunOnHolder)
		}
		if !peerAnswers && !havePeerAdvert && len(others) == 0 {
			ps.add(api.VIPNotHeld, api.SeverityError, "vip", "held by a router", "nobody answers",
				fmt.Sprintf("no router holds %s now: no ARP answer and no VRRP advert for VRID %d", vipList(p.VIPs), p.VRID), fixWaitForHolder)
		}
		if !havePeerAdvert && (peerAnswers || len(others) > 0) {
			ps.add(api.PeerNoAdverts, api.SeverityError, "peer", "adverts from the VIP holder", "none",
				fmt.Sprintf("the VIP is held by %s but no advert for VRID %d arrived here", answerMACs(f.VIPAnswers, p.Local.MAC), p.VRID), fixMulticast)
		}
		if p.Mode == ModeSoft {
			if !p.Local.Preempt {
				ps.add(api.PreemptOff, api.SeverityError, "preempt", "on", "off",
					"started on the backup, the run raises this node's priority above the holder's; with nopreempt a backup never takes over from a live master (RFC 3768 §6.4.2), so run it on the holder", fixRunOnHolder)
			}
			if in.Peer.Priority >= PromotedPriority {
				ps.add(api.VerifyCannotOutrank, api.SeverityError, "priority", "holder below 254", fmt.Sprint(in.Peer.Priority),
					"keepalived clamps a raised priority at 254, so this node cannot outrank the holder", fixCannotOutrank)
			}
		}
	case DirUnknown:
	}
}

func splitBrainCause(ps *problems, in Intent, f Facts, pa Advert, havePeerAdvert bool) {
	p := in.Plan
	switch {
	case havePeerAdvert && pa.Priority > f.LocalPriority:
		// The peer outranks us yet we are MASTER: keepalived here does
		// not get its adverts although they reach the wire.
		ps.add(api.FirewallNoVRRPRule, api.SeverityError, "local",
			"keepalived here receives the peer's adverts", "it acts as if there were none",
			fmt.Sprintf("the peer advertises priority %d, above ours (%d), yet this node is MASTER: the local firewall drops VRRP before keepalived", pa.Priority, f.LocalPriority),
			fixFirewall, advertText(pa, f.At))
	case havePeerAdvert:
		ps.add(api.FirewallNoVRRPRule, api.SeverityError, "peer",
			"the peer receives our adverts", "it acts as if there were none",
			fmt.Sprintf("the peer advertises priority %d, below ours (%d), as MASTER: it does not hear this node's adverts (its firewall drops VRRP input)", pa.Priority, f.LocalPriority),
			fixPeerFirewall, advertText(pa, f.At))
	default:
		ps.add(api.PeerNoAdverts, api.SeverityError, "peer", "adverts from the peer", "none",
			fmt.Sprintf("the peer holds the VIP too but none of its adverts for VRID %d arrive here, and it does not hear ours: multicast between the routers is blocked", p.VRID),
			fixMulticast)
	}
}

func compareSwitch(ps *problems, in Intent, o Observed) {
	if o.SwitchErr != "" {
		ps.add(api.VerifySwitchFailed, api.SeverityError, "switch", "", "", "the switch could not be applied: "+o.SwitchErr, fixSwitchFailed)
	}
	if o.Trigger.IsZero() {
		return
	}
	for _, l := range o.Logs {
		ps.add(l.Code, severityOf(l.Code), "local", "", "", "keepalived logged a known error during the run", fixFor(l.Code), l.Line)
	}
	b := in.Budgets.Switch
	rel := func(m Mark) string {
		return fmt.Sprintf("+%d ms: %s (%s)", msSince(o.Trigger, m.At), m.Detail, m.Source)
	}
	held := newHolderHeld(in, o)
	if !held {
		if o.Aborted != "" {
			return
		}
		ev := []string{fmt.Sprintf("budget %d ms: %s", b.Budget().Milliseconds(), b.Rule)}
		for _, m := range []Mark{o.VIPRemoved, o.MasterAdvert, o.GARPSeen, o.ARPAnswer, o.VIPAdded, o.LocalMaster} {
			if m.Seen() {
				ev = append(ev, rel(m))
			}
		}
		switch in.Direction {
		case DirHandover:
			ps.add(api.VerifyNoTakeover, api.SeverityError, "peer", fmt.Sprintf("VIP on the peer within %d ms", b.Budget().Milliseconds()), "not taken over",
				"the peer did not take over the VIP", nil, ev...)
			if !o.VIPRemoved.Seen() && o.SwitchErr == "" {
				ps.add(api.ConfigNotApplied, api.SeverityError, "local", "VIP released here after the demotion", "still here",
					"keepalived here ignored the demotion: is the demote track file in its configuration?", fixApply)
				break
			}
			if o.PeerAdverts > 0 {
				ps.add(api.VIPUnreachable, api.SeverityError, "vip", "gratuitous ARP or ARP answer from the new MASTER", "none",
					"the peer advertises as MASTER but neither announced nor answered for the VIP", nil, rel(o.MasterAdvert))
				break
			}
			if !o.GARPSeen.Seen() && !o.ARPAnswer.Seen() {
				if o.Facts != nil && o.Facts.PeerReachable == CheckFailed {
					break // already PEER_UNREACHABLE at pre-check
				}
				ps.add(api.KeepalivedNotRunning, api.SeverityError, "peer", "the peer's keepalived takes over", "no advert, no gratuitous ARP, no ARP answer from the peer",
					"nothing came from the peer after the demotion: its keepalived is stopped, runs without this VRID, or does not hear this node (then it would already be MASTER)",
					fixPeerKA)
			}
		case DirTakeover:
			detail := "this node did not take over the VIP"
			if !o.LocalMaster.Seen() {
				detail += ": keepalived here never reported MASTER after its priority was raised (is the promote track file in its configuration?)"
			}
			ps.add(api.VerifyNoTakeover, api.SeverityError, "local", fmt.Sprintf("VIP here within %d ms", b.Budget().Milliseconds()), "not taken over",
				detail, fixApply, ev...)
		case DirUnknown:
		}
		return
	}
	// Taken over: how fast, and what did the clients see?
	first := o.MasterAdvert
	if !first.Seen() || (o.VIPAdded.Seen() && o.VIPAdded.At.Before(first.At)) {
		first = o.VIPAdded
	}
	if !first.Seen() {
		first = o.ARPAnswer
	}
	if first.Seen() && first.At.Sub(o.Trigger) > b.Budget() {
		ps.add(api.VerifySlow, api.SeverityWarning, "switch", fmt.Sprintf("≤ %d ms", b.Budget().Milliseconds()),
			fmt.Sprintf("%d ms", msSince(o.Trigger, first.At)), "the VIP moved, but slower than the VRRP timers allow", nil,
			b.Rule, rel(first))
	}
	if in.Direction == DirHandover {
		if o.PeerAdverts == 0 {
			ps.add(api.PeerNoAdverts, api.SeverityError, "peer", "adverts from the new MASTER", "none",
				fmt.Sprintf("the peer took the VIP (%s) but none of its adverts arrived here: multicast from the peer is blocked, so this node would not notice if the peer failed", markWord(o)),
				fixMulticast)
		}
		if !o.GARPSeen.Seen() && o.ARPAnswer.Seen() {
			ps.add(api.StaleARP, api.SeverityWarning, "garp", "gratuitous ARP from the new holder", "none seen",
				"clients that do not ask keep the old MAC until their ARP entry expires", fixGARP, rel(o.ARPAnswer))
		}
		if !o.ARPAnswer.Seen() {
			ps.add(api.VIPUnreachable, api.SeverityError, "vip", "ARP answer from "+in.Peer.MAC.String(), "none",
				"the new holder announced the VIP but did not answer an ARP request for it", nil)
		}
	}
	if len(o.SplitBrain) > 0 {
		count := fmt.Sprintf("after the takeover the peer sent %d advert(s) and answered ARP for the VIP %d time(s)", o.SplitAdverts, o.SplitARPs)
		ps.add(api.SplitBrain, api.SeverityError, "vip", "held by one node", "held by both",
			"the old holder still acted as MASTER after this node took over", nil, append([]string{count}, o.SplitBrain...)...)
		ps.add(api.FirewallNoVRRPRule, api.SeverityError, "peer", "the peer receives our adverts", "it ignored them",
			"the peer kept advertising or answering for the VIP after this node became MASTER: it does not hear this node's adverts (its firewall drops VRRP input)",
			fixPeerFirewall, count)
	}
}

func markWord(o Observed) string {
	if o.GARPSeen.Seen() {
		return "gratuitous ARP seen"
	}
	return "ARP answer seen"
}

// newHolderHeld reports whether the new holder was seen holding the VIP.
func newHolderHeld(in Intent, o Observed) bool {
	switch in.Direction {
	case DirHandover:
		return o.ARPAnswer.Seen() || o.GARPSeen.Seen()
	case DirTakeover:
		return o.VIPAdded.Seen()
	case DirUnknown:
	}
	return false
}

func compareRestore(ps *problems, in Intent, o Observed) {
	if o.RestoreErr != "" && !o.Restored {
		ps.add(api.VerifyRestoreFailed, api.SeverityError, "restore", "every change undone", "undo failed",
			"could not undo the run's changes: "+o.RestoreErr+"; the journal stays and the next daemon start retries", fixRestore)
	}
	if o.hasTimedOut("fault") {
		ps.add(api.VerifyTimeout, api.SeverityWarning, "fault", "keepalived FAULT after resume", "no FAULT line",
			"keepalived did not report FAULT after it was resumed with the drift track file set; the restore went on", nil)
	}
	if o.Trigger.IsZero() || o.Aborted != "" || !o.Restored {
		return
	}
	if !newHolderHeld(in, o) {
		if in.Direction == DirHandover && o.VIPRemoved.Seen() && o.Reached >= PhaseFailback && !o.Failback.Seen() {
			ps.add(api.VIPNotHeld, api.SeverityError, "vip", "back on this node", "not seen",
				"nobody took the VIP over and it did not come back here after the undo: the clients have no gateway", fixWaitForHolder)
		}
		return
	}
	b := in.Budgets
	if !b.FailbackExpected {
		ps.add(api.PreemptOff, api.SeverityInfo, "failback", "", "", b.FailbackWhyNot+"; the VIP stays where the run moved it", fixPreempt)
		return
	}
	if !o.Failback.Seen() {
		if o.Reached >= PhaseFailback {
			ps.add(api.VerifyNoFailback, api.SeverityWarning, "failback", fmt.Sprintf("within %d ms", b.Failback.Budget().Milliseconds()), "not seen",
				"the VIP did not come back to the node that held it before the run", nil, b.Failback.Rule)
		}
		return
	}
	if d := o.Failback.At.Sub(o.RestoreAt); d > b.Failback.Budget() {
		ps.add(api.VerifySlow, api.SeverityWarning, "failback", fmt.Sprintf("≤ %d ms", b.Failback.Budget().Milliseconds()),
			fmt.Sprintf("%d ms", d.Milliseconds()), "the VIP came back, but slower than the VRRP timers allow", nil, b.Failback.Rule)
	}
}

func severityOf(c api.Code) api.Severity {
	if ci, ok := api.LookupCode(c); ok {
		return ci.Severity
	}
	return api.SeverityWarning
}

func fixFor(c api.Code) *api.Fix {
	switch c {
	case api.AdvertSendEPERM:
		return fixSendEPERM
	case api.VRIDConflict:
		return fixVRID
	case api.AdvertIntervalMismatch:
		return fixInterval
	}
	return nil
}

func msSince(from, at time.Time) int64 {
	d := at.Sub(from)
	if d < 0 {
		return 0
	}
	return d.Milliseconds()
}

func advertText(a Advert, ref time.Time) string {
	s := fmt.Sprintf("advert from %s (%s): VRID %d, priority %d, interval %s", a.Src, a.SrcMAC, a.VRID, a.Priority, fmtDur(a.Interval))
	if !ref.IsZero() && !a.At.IsZero() {
		s += fmt.Sprintf(", %d ms before the pre-check", msSince(a.At, ref))
	}
	return s
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return "the peer"
	}
	return a.String()
}

func vipList(v []netip.Addr) string {
	s := make([]string, len(v))
	for i, a := range v {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

func answerMACs(as []ARPReply, except MAC) string {
	var s []string
	for _, a := range as {
		if a.MAC != except {
			w := a.MAC.String()
			if !containsString(s, w) {
				s = append(s, w)
			}
		}
	}
	return strings.Join(s, ", ")
}

func containsString(s []string, w string) bool {
	for _, x := range s {
		if x == w {
			return true
		}
	}
	return false
}

func containsAddr(s []netip.Addr, a netip.Addr) bool {
	for _, x := range s {
		if x == a {
			return true
		}
	}
	return false
}
