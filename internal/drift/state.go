package drift

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/floatgw/floatgw/internal/api"
)

// Phase is where a run is. See DESIGN.md for the diagram.
//
//enumcheck:exhaustive
type Phase uint8

// Phases, in the order a successful run goes through them.
const (
	// PhasePrecheck: waiting for Facts; nothing changed yet.
	PhasePrecheck Phase = iota
	// PhaseSwitch: journalling and applying the switch, one Op at a time.
	PhaseSwitch
	// PhaseObserve: timing the new holder's takeover, then the settle
	// window (split-brain check).
	PhaseObserve
	// PhaseRestore: undoing every change, one Op at a time.
	PhaseRestore
	// PhaseFailback: timing the VIP's return to the original holder.
	PhaseFailback
	// PhaseDone: finished; the verdict is set.
	PhaseDone
)

var phaseNames = [...]string{"precheck", "switch", "observe", "restore", "failback", "done"}

// String returns the phase name.
func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return fmt.Sprintf("Phase(%d)", uint8(p))
}

func (p Phase) after(q Phase) bool { return p > q }

// apiWord maps the phase to internal/api's "verify_phase" vocabulary.
func (p Phase) apiWord() string {
	switch p {
	case PhasePrecheck, PhaseSwitch, PhaseObserve, PhaseRestore, PhaseDone:
		return p.String()
	case PhaseFailback:
		return "restore"
	}
	panic(fmt.Sprintf("drift: unknown phase %d", uint8(p)))
}

// Defaults of the timers the plan leaves at zero (DESIGN.md, "Timers").
const (
	defaultOpTimeout    = 5 * time.Second
	defaultFaultTimeout = 2 * time.Second
	retryDelay          = time.Second
	maxRetries          = 5
	maxEvidence         = 5
	maxLogs             = 20
)

type opRole uint8

const (
	rolePlain   opRole = iota
	roleTrigger        // its Done is the switch's trigger time
)

type queued struct {
	op   Op
	role opRole
}

// State is one run. It is a value: [Step] returns a new State and never
// modifies the one passed in, so a caller may keep old States (for
// example to diff them). The zero State is not a run; use [New] or
// [Recover]. A State is owned by one goroutine at a time.
type State struct {
	plan    Plan
	phase   Phase
	started time.Time
	intent  Intent
	obs     Observed
	changes Changes
	// journal is true while a journal may be on disk.
	journal bool

	queue    []queued
	inflight *queued
	nextID   OpID
	timers   uint16 // bit per TimerName: started and not stopped/fired

	triggerIssued bool
	settling      bool
	awaitFault    bool
	faultSeen     bool
	retries       int
	retryWait     bool
	recovered     bool
	lastPeer      time.Time // last peer advert (priority > 0) after the trigger

	verdict  string
	steps    []api.Step
	problems []api.Problem
}

// Phase returns where the run is.
func (s State) Phase() Phase { return s.phase }

// Finished reports whether the run is over (PhaseDone).
func (s State) Finished() bool { return s.phase == PhaseDone }

// Direction returns the direction decided at pre-check (DirUnknown before).
func (s State) Direction() Direction { return s.intent.Direction }

// Changes returns what the run changed and has not undone yet.
func (s State) Changes() Changes { return s.changes }

// Intent returns the run's intent (zero before pre-check); its slices are
// copies.
func (s State) Intent() Intent {
	in := s.intent
	in.Plan.VIPs = append([]netip.Addr(nil), in.Plan.VIPs...)
	return in
}

// Observed returns what the run observed so far. The slices are copies.
func (s State) Observed() Observed { return s.clone().obs }

// Journal returns the crash-recovery record for the current changes.
func (s State) Journal() Journal {
	return Journal{RunID: s.plan.ID, Started: s.started, Changes: s.changes}
}

// New starts a run of plan p at now. It returns the error of
// [Plan.Validate] for a bad plan; otherwise the run is in PhasePrecheck and
// the actions ask for the pre-check facts.
func New(p Plan, now time.Time) (State, []Action, error) {
	if err := p.Validate(); err != nil {
		return State{}, nil, err
	}
	p.VIPs = append([]netip.Addr(nil), p.VIPs...)
	s := State{plan: p, started: now, phase: PhasePrecheck}
	s.intent = Intent{Plan: p, Peer: p.Peer}
	var acts []Action
	for _, name := range precheckSteps {
		s.steps = append(s.steps, api.Step{Name: name, Status: api.StepRunning})
		acts = append(acts, Progress{Step: s.steps[len(s.steps)-1]})
	}
	listen := p.AdvertInterval * 3 / 2
	if listen < 300*time.Millisecond {
		listen = 300 * time.Millisecond
	}
	to := p.Timeouts.Precheck
	if to == 0 {
		to = listen + 5*time.Second
	}
	acts = append(acts, CollectFacts{Listen: listen, VIPs: append([]netip.Addr(nil), p.VIPs...)})
	acts = append(acts, s.startTimer(TimerPrecheck, to))
	return s, acts, nil
}

// Recover builds the restore run for a journal found at daemon start-up.
// p supplies the instance name and timeouts of the current configuration
// (its ID is replaced by the journal's); it need not be valid. The run is
// in PhaseRestore: the daemon executes the actions and feeds inputs to
// [Step] as for any run, until Finish. Its verdict is aborted.
func Recover(j Journal, p Plan, now time.Time) (State, []Action) {
	p.ID = j.RunID
	p.VIPs = append([]netip.Addr(nil), p.VIPs...)
	s := State{plan: p, started: j.Started, phase: PhaseRestore, changes: j.Changes, journal: true, recovered: true}
	s.intent = Intent{Plan: p, Peer: p.Peer}
	s.obs.Reached = PhaseRestore
	s.obs.Aborted = "the daemon stopped during run " + j.RunID + "; its changes were undone at start-up"
	var acts []Action
	acts = append(acts, s.setStep(now, restoreStepName(j.Changes), api.StepRunning, "undoing what run "+j.RunID+" left behind"))
	acts = append(acts, s.issue(now)...)
	return s, acts
}

// Undo returns the operations that undo the changes of s, in order, with
// zero IDs; it is what the restore phase issues ([Step] adds the journal
// writes, the IDs, and, for a paused keepalived, the wait for its FAULT
// between ResumeKeepalived and Undemote). Empty when nothing is left.
func Undo(s State) []Action {
	c := s.changes
	var a []Action
	if c.Paused {
		if !c.Demoted {
			a = append(a, Demote{})
		}
		a = append(a, ResumeKeepalived{}, Undemote{})
		if c.Promoted {
			a = append(a, Unpromote{})
		}
		return a
	}
	if c.Demoted {
		a = append(a, Undemote{})
	}
	if c.Promoted {
		a = append(a, Unpromote{})
	}
	return a
}

// Step advances run s by one input observed or happening at now. It is
// deterministic and pure: no I/O, no clock but now, and s is not modified.
// Inputs that do not apply to the current phase are recorded if they are
// evidence, else ignored. A nil input is ignored.
func Step(s State, in Input, now time.Time) (State, []Action) {
	if s.phase == PhaseDone || s.plan.ID == "" || in == nil {
		return s, nil
	}
	s = s.clone()
	var acts []Action
	switch in := in.(type) {
	case Facts:
		acts = s.onFacts(in, now)
	case Done:
		acts = s.onDone(in, now)
	case TimerFired:
		acts = s.onTimer(in.Name, now)
	case Abort:
		acts = s.onAbort(in.Reason, now)
	case Advert, GARP, ARPReply, VIPAdded, VIPRemoved, KeepalivedEvent, LogSeen:
		acts = s.onEvidence(in, now)
	}
	return s, acts
}

// clone copies every slice so the returned State shares nothing mutable
// with s.
func (s State) clone() State {
	s.queue = append([]queued(nil), s.queue...)
	if s.inflight != nil {
		q := *s.inflight
		s.inflight = &q
	}
	s.steps = append([]api.Step(nil), s.steps...)
	s.problems = cloneProblems(s.problems)
	s.obs.TimedOut = append([]string(nil), s.obs.TimedOut...)
	s.obs.Logs = append([]LogSeen(nil), s.obs.Logs...)
	s.obs.SplitBrain = append([]string(nil), s.obs.SplitBrain...)
	return s
}

func cloneProblems(ps []api.Problem) []api.Problem {
	if ps == nil {
		return nil
	}
	out := make([]api.Problem, len(ps))
	for i, p := range ps {
		p.Evidence = append([]string(nil), p.Evidence...)
		if p.Fix != nil {
			f := *p.Fix
			p.Fix = &f
		}
		out[i] = p
	}
	return out
}

// --- timers ---------------------------------------------------------------

func (s *State) startTimer(n TimerName, d time.Duration) Action {
	s.timers |= 1 << n
	return StartTimer{Name: n, After: d}
}

func (s *State) stopTimer(n TimerName) []Action {
	if s.timers&(1<<n) == 0 {
		return nil
	}
	s.timers &^= 1 << n
	return []Action{StopTimer{Name: n}}
}

func (s *State) running(n TimerName) bool { return s.timers&(1<<n) != 0 }

func (s *State) onTimer(n TimerName, now time.Time) []Action {
	if !s.running(n) {
		return nil // stale: stopped or never started
	}
	s.timers &^= 1 << n
	switch n {
	case TimerPrecheck:
		if s.phase == PhasePrecheck {
			s.obs.timedOut("precheck")
			return s.finish(now)
		}
	case TimerOp:
		if s.inflight != nil {
			return s.onDone(Done{ID: s.inflight.op.OpID(), At: now,
				Err: fmt.Errorf("no answer within %s", s.opTimeout())}, now)
		}
	case TimerSwitch:
		if s.phase == PhaseSwitch || s.phase == PhaseObserve {
			s.obs.timedOut("switch")
			return s.startRestore(now)
		}
	case TimerSettle:
		if s.phase == PhaseSwitch || s.phase == PhaseObserve {
			s.endSettle()
			return s.startRestore(now)
		}
	case TimerProbe:
		if s.observing() {
			return []Action{ProbeVIPs{VIPs: append([]netip.Addr(nil), s.plan.VIPs...)}, s.startTimer(TimerProbe, s.plan.probeInterval())}
		}
	case TimerFault:
		if s.awaitFault {
			s.awaitFault = false
			s.obs.timedOut("fault")
			return s.issue(now)
		}
	case TimerFailback:
		if s.phase == PhaseFailback {
			s.obs.timedOut("failback")
			return s.finish(now)
		}
	case TimerRetry:
		if s.retryWait {
			s.retryWait = false
			return s.issue(now)
		}
	}
	return nil
}

func (s *State) observing() bool {
	switch s.phase {
	case PhaseSwitch, PhaseObserve, PhaseRestore:
		return s.triggerIssued
	case PhaseFailback:
		return true
	case PhasePrecheck, PhaseDone:
	}
	return false
}

func (s *State) opTimeout() time.Duration {
	if s.plan.Timeouts.Op > 0 {
		return s.plan.Timeouts.Op
	}
	return defaultOpTimeout
}

// --- pre-check ------------------------------------------------------------

var precheckSteps = []string{"keepalived", "local_state", "vip_holder", "peer_adverts", "firewall", "vrid_conflict"}

func (s *State) onFacts(f Facts, now time.Time) []Action {
	if s.phase != PhasePrecheck {
		return nil
	}
	f = copyFacts(f)
	acts := s.stopTimer(TimerPrecheck)
	s.obs.Facts = &f
	s.intent = Decide(s.plan, f)
	s.problems = Compare(s.intent, Observed{Facts: &f})
	acts = append(acts, s.precheckSteps(now, f)...)
	if Blocking(s.problems) {
		return append(acts, s.finish(now)...)
	}
	// Go: the switch.
	s.phase = PhaseSwitch
	s.obs.Reached = PhaseSwitch
	for _, name := range []string{s.switchStepName(), "vip_removed", "vip_added", "master_advert", "garp", "arp_answer",
		restoreStepName(s.plannedChanges()), "failback", "diagnose"} {
		s.steps = append(s.steps, api.Step{Name: name, Status: api.StepPending})
	}
	acts = append(acts, s.setStep(now, s.switchStepName(), api.StepRunning, s.switchDetail()))
	c := s.plannedChanges()
	s.changes = c
	s.journal = true
	s.enqueue(SaveJournal{J: s.Journal()}, rolePlain)
	switch {
	case c.Demoted:
		s.enqueue(Demote{}, roleTrigger)
	case c.Promoted:
		s.enqueue(Promote{Value: 1}, roleTrigger)
	case c.Paused:
		s.enqueue(PauseKeepalived{}, roleTrigger)
		s.enqueue(RemoveVIPs{VIPs: append([]netip.Addr(nil), s.plan.VIPs...)}, rolePlain)
	}
	return append(acts, s.issue(now)...)
}

func copyFacts(f Facts) Facts {
	f.LocalVIPs = append([]netip.Addr(nil), f.LocalVIPs...)
	f.VIPAnswers = append([]ARPReply(nil), f.VIPAnswers...)
	ads := make([]Advert, len(f.Adverts))
	for i, a := range f.Adverts {
		a.VIPs = append([]netip.Addr(nil), a.VIPs...)
		ads[i] = a
	}
	f.Adverts = ads
	f.Logs = append([]LogSeen(nil), f.Logs...)
	return f
}

// plannedChanges is what the switch of this run changes.
func (s *State) plannedChanges() Changes {
	switch {
	case s.intent.Direction == DirTakeover:
		return Changes{Promoted: true}
	case s.plan.Mode == ModeHard:
		return Changes{Paused: true, VIPsRemoved: true}
	}
	return Changes{Demoted: true}
}

func (s *State) switchStepName() string {
	switch {
	case s.intent.Direction == DirTakeover:
		return "promote"
	case s.plan.Mode == ModeHard:
		return "silence_master"
	}
	return "demote"
}

func restoreStepName(c Changes) string {
	if c.Promoted && !c.Demoted && !c.Paused {
		return "unpromote"
	}
	return "undemote"
}

func (s *State) switchDetail() string {
	switch s.switchStepName() {
	case "promote":
		return fmt.Sprintf("raise this node's priority from %d to %d (promote track file) to outrank the holder %s (priority %d)",
			s.plan.Local.Priority, PromotedPriority, addrText(s.intent.Peer.Addr), s.intent.Peer.Priority)
	case "silence_master":
		return "pause keepalived (SIGSTOP, no priority-0 advert) and remove the VIPs, like a crash"
	}
	return "demote this node through the drift track file: FAULT, priority-0 advert"
}

func (s *State) precheckSteps(now time.Time, f Facts) []Action {
	status := map[string]string{}
	for _, p := range s.problems {
		name := precheckStepOf(p)
		if p.Severity == api.SeverityError {
			status[name] = api.StepFail
		}
	}
	detail := map[string]string{
		"keepalived":    "running with floatgw's configuration",
		"local_state":   fmt.Sprintf("%s, effective priority %d", f.LocalState, f.LocalPriority),
		"vip_holder":    s.holderText(f),
		"peer_adverts":  s.peerText(f),
		"firewall":      map[Check]string{CheckOK: "VRRP accepted", CheckFailed: "no rule accepts VRRP", CheckUnknown: "not checked"}[f.Firewall],
		"vrid_conflict": fmt.Sprintf("no other router on VRID %d", s.plan.VRID),
	}
	for _, p := range s.problems {
		if name := precheckStepOf(p); status[name] == api.StepFail && p.Severity == api.SeverityError {
			detail[name] = p.Detail
		}
	}
	var acts []Action
	for _, name := range precheckSteps {
		st := status[name]
		if st == "" {
			st = api.StepOK
		}
		acts = append(acts, s.setStep(now, name, st, detail[name]))
	}
	return acts
}

func precheckStepOf(p api.Problem) string {
	switch p.Code {
	case api.KeepalivedNotRunning, api.ConfigNotApplied:
		return "keepalived"
	case api.SplitBrain, api.VIPAddressConflict, api.VIPNotHeld:
		return "vip_holder"
	case api.PeerNoAdverts, api.AdvertIntervalMismatch, api.PeerUnreachable:
		return "peer_adverts"
	case api.FirewallNoVRRPRule:
		if p.Field == "firewall.vrrp" {
			return "firewall"
		}
		return "peer_adverts"
	case api.VRIDConflict:
		return "vrid_conflict"
	}
	return "local_state"
}

func (s *State) holderText(f Facts) string {
	if s.intent.Direction == DirHandover {
		return "this node (netlink)"
	}
	for _, a := range f.VIPAnswers {
		if s.plan.isVIP(a.IP) {
			return fmt.Sprintf("%s (ARP: %s is-at %s)", addrText(s.intent.Peer.Addr), a.IP, a.MAC)
		}
	}
	return "nobody answers"
}

func (s *State) peerText(f Facts) string {
	if pa, ok := peerAdvert(s.plan, f); ok {
		return fmt.Sprintf("%s priority %d, interval %s", pa.Src, pa.Priority, fmtDur(pa.Interval))
	}
	if s.intent.Direction == DirHandover {
		return "none (expected: the peer is BACKUP and silent)"
	}
	return "none"
}

// --- ops ------------------------------------------------------------------

func (s *State) enqueue(a Action, role opRole) {
	s.nextID++
	id := s.nextID
	var op Op
	switch a := a.(type) {
	case SaveJournal:
		a.ID = id
		op = a
	case ClearJournal:
		a.ID = id
		op = a
	case Demote:
		a.ID = id
		op = a
	case Undemote:
		a.ID = id
		op = a
	case Promote:
		a.ID = id
		op = a
	case Unpromote:
		a.ID = id
		op = a
	case PauseKeepalived:
		a.ID = id
		op = a
	case ResumeKeepalived:
		a.ID = id
		op = a
	case RemoveVIPs:
		a.ID = id
		op = a
	default:
		panic(fmt.Sprintf("drift: enqueue of non-op %T", a))
	}
	s.queue = append(s.queue, queued{op: op, role: role})
}

// requeueFront puts op back at the head of the queue with a fresh ID.
func (s *State) requeueFront(op Op) {
	rest := s.queue
	s.queue = nil
	s.enqueue(op, rolePlain)
	s.queue = append(s.queue, rest...)
}

// issue sends the next queued op, or, when nothing is queued or in
// flight, moves the phase on.
func (s *State) issue(now time.Time) []Action {
	if s.inflight != nil || s.retryWait {
		return nil
	}
	if len(s.queue) == 0 {
		return s.drained(now)
	}
	q := s.queue[0]
	s.queue = s.queue[1:]
	s.inflight = &q
	if q.role == roleTrigger {
		s.triggerIssued = true
	}
	return []Action{q.op, s.startTimer(TimerOp, s.opTimeout())}
}

func (s *State) onDone(d Done, now time.Time) []Action {
	if s.inflight == nil || d.ID != s.inflight.op.OpID() {
		return nil // stale or unknown: ignore
	}
	q := *s.inflight
	s.inflight = nil
	acts := s.stopTimer(TimerOp)
	if d.Err != nil {
		return append(acts, s.opFailed(q, d, now)...)
	}
	switch q.op.(type) {
	case Undemote:
		s.changes.Demoted = false
	case Unpromote:
		s.changes.Promoted = false
	case ResumeKeepalived:
		s.changes.Paused = false
		s.changes.VIPsRemoved = false
		if !s.faultSeen {
			s.awaitFault = true
			acts = append(acts, s.startTimer(TimerFault, s.faultTimeout()))
		}
	case ClearJournal:
		s.journal = false
	}
	if s.phase == PhaseRestore {
		s.retries = 0
		switch q.op.(type) {
		case Undemote, Unpromote:
			if !s.changes.Demoted && !s.changes.Promoted && !s.changes.Paused {
				s.obs.RestoreAt = d.At
			}
		}
	}
	if q.role == roleTrigger && s.phase == PhaseSwitch {
		s.obs.Trigger = d.At
		acts = append(acts, s.setStep(now, s.switchStepName(), api.StepOK, s.switchDetail()))
		acts = append(acts, s.startTimer(TimerSwitch, s.switchTimeout()))
		acts = append(acts, ProbeVIPs{VIPs: append([]netip.Addr(nil), s.plan.VIPs...)}, s.startTimer(TimerProbe, s.plan.probeInterval()))
		acts = append(acts, s.progress(now)...)
	}
	return append(acts, s.issue(now)...)
}

func (s *State) opFailed(q queued, d Done, now time.Time) []Action {
	msg := fmt.Sprintf("%s: %v", opName(q.op), d.Err)
	switch s.phase {
	case PhaseSwitch:
		s.obs.SwitchErr = msg
		if _, ok := q.op.(SaveJournal); ok && !s.obs.Reached.after(PhaseSwitch) && !s.triggerIssued {
			// The journal was not written, so the change it announced was
			// never issued: nothing to undo.
			s.changes = Changes{}
			s.journal = false
		}
		acts := s.setStep(now, s.switchStepName(), api.StepFail, msg)
		return append([]Action{acts}, s.startRestore(now)...)
	case PhaseRestore:
		if _, ok := q.op.(ClearJournal); ok {
			// The changes are undone; a stale journal only makes the next
			// start repeat idempotent undos.
			s.journal = false
			return s.issue(now)
		}
		s.retries++
		s.obs.RestoreErr = msg
		if s.retries > maxRetries {
			return s.finish(now)
		}
		// Retry the same undo first: the order of undos matters (a paused
		// keepalived must see the drift track file set before it resumes).
		s.requeueFront(q.op)
		s.retryWait = true
		return []Action{s.startTimer(TimerRetry, retryDelay)}
	case PhasePrecheck, PhaseObserve, PhaseFailback, PhaseDone:
	}
	return s.issue(now)
}

func opName(op Op) string {
	switch op.(type) {
	case SaveJournal:
		return "save journal"
	case ClearJournal:
		return "clear journal"
	case Demote:
		return "demote"
	case Undemote:
		return "undemote"
	case Promote:
		return "promote"
	case Unpromote:
		return "unpromote"
	case PauseKeepalived:
		return "pause keepalived"
	case ResumeKeepalived:
		return "resume keepalived"
	case RemoveVIPs:
		return "remove VIPs"
	}
	return fmt.Sprintf("%T", op)
}

func (s *State) faultTimeout() time.Duration {
	if s.plan.Timeouts.Fault > 0 {
		return s.plan.Timeouts.Fault
	}
	return defaultFaultTimeout
}

func (s *State) switchTimeout() time.Duration {
	if s.plan.Timeouts.Switch > 0 {
		return s.plan.Timeouts.Switch
	}
	return 2*s.intent.Budgets.Switch.Budget() + time.Second
}

func (s *State) failbackTimeout() time.Duration {
	if s.plan.Timeouts.Failback > 0 {
		return s.plan.Timeouts.Failback
	}
	return 2*s.intent.Budgets.Failback.Budget() + time.Second
}

func (s *State) settleTime() time.Duration {
	return 2*s.plan.AdvertInterval + s.plan.probeInterval()
}

// splitGrace is how long the old holder may still advertise or answer
// after the new one became master: it needs one of the new master's
// adverts to step down (RFC 3768 §6.4.3), the first is sent at once.
func (s *State) splitGrace() time.Duration {
	g := s.plan.AdvertInterval
	if g < 100*time.Millisecond {
		g = 100 * time.Millisecond
	}
	return g
}

// drained is called when no op is queued or in flight.
func (s *State) drained(now time.Time) []Action {
	switch s.phase {
	case PhaseSwitch:
		s.phase = PhaseObserve
		s.obs.Reached = PhaseObserve
		return s.progress(now)
	case PhaseRestore:
		return s.restoreNext(now)
	case PhasePrecheck, PhaseObserve, PhaseFailback, PhaseDone:
	}
	return nil
}

// --- restore --------------------------------------------------------------

func (s *State) startRestore(now time.Time) []Action {
	if s.phase == PhaseRestore || s.phase == PhaseDone {
		return nil
	}
	acts := s.stopTimer(TimerSwitch)
	acts = append(acts, s.stopTimer(TimerSettle)...)
	s.phase = PhaseRestore
	s.obs.Reached = PhaseRestore
	s.queue = nil
	acts = append(acts, s.closeObserveSteps(now)...)
	acts = append(acts, s.setStep(now, restoreStepName(s.plannedChanges()), api.StepRunning, "undo the switch"))
	return append(acts, s.issue(now)...)
}

// restoreNext queues the next undo batch derived from the changes left, or
// ends the restore.
func (s *State) restoreNext(now time.Time) []Action {
	c := s.changes
	switch {
	case c.Paused:
		if !c.Demoted {
			// keepalived must go through FAULT when it resumes, so that it
			// drops its stale MASTER state and re-adds the VIPs itself.
			s.changes.Demoted = true
			s.journal = true
			s.enqueue(SaveJournal{J: s.Journal()}, rolePlain)
			s.enqueue(Demote{}, rolePlain)
		}
		s.faultSeen = false
		s.enqueue(ResumeKeepalived{}, rolePlain)
	case s.awaitFault:
		return nil // TimerFault or a FAULT line moves on
	case c.Demoted:
		s.enqueue(Undemote{}, rolePlain)
	case c.Promoted:
		s.enqueue(Unpromote{}, rolePlain)
	case s.journal:
		s.enqueue(ClearJournal{}, rolePlain)
	default:
		return s.afterRestore(now)
	}
	return s.issue(now)
}

func (s *State) afterRestore(now time.Time) []Action {
	s.obs.Restored = true
	s.obs.RestoreErr = ""
	if s.obs.RestoreAt.IsZero() {
		s.obs.RestoreAt = now
	}
	name := restoreStepName(s.plannedChanges())
	if s.recovered {
		name = s.steps[0].Name
	}
	acts := []Action{s.setStep(now, name, api.StepOK, "every change undone")}
	held := newHolderHeld(s.intent, s.obs)
	returning := !held && s.intent.Direction == DirHandover && !s.obs.Trigger.IsZero() && s.obs.VIPRemoved.Seen()
	if s.recovered || s.obs.Aborted != "" || (!held && !returning) {
		acts = append(acts, s.setStep(now, "failback", api.StepSkip, "no switch to fail back from"))
		return append(acts, s.finish(now)...)
	}
	if len(s.obs.SplitBrain) > 0 {
		acts = append(acts, s.setStep(now, "failback", api.StepSkip, "the old holder never released the VIP (split brain)"))
		return append(acts, s.finish(now)...)
	}
	if returning {
		// Nobody took over: this node must take the VIP back by itself,
		// after its Master_Down_Interval (no master is advertising).
		s.intent.Budgets.Failback = returnExpectation(s.plan)
		s.intent.Budgets.FailbackExpected = true
		s.intent.Budgets.FailbackWhyNot = ""
	} else if !s.intent.Budgets.FailbackExpected {
		acts = append(acts, s.setStep(now, "failback", api.StepSkip, s.intent.Budgets.FailbackWhyNot))
		return append(acts, s.finish(now)...)
	}
	s.phase = PhaseFailback
	s.obs.Reached = PhaseFailback
	acts = append(acts, s.setStep(now, "failback", api.StepRunning, s.intent.Budgets.Failback.Rule))
	acts = append(acts, s.startTimer(TimerFailback, s.failbackTimeout()))
	if !s.running(TimerProbe) {
		acts = append(acts, ProbeVIPs{VIPs: append([]netip.Addr(nil), s.plan.VIPs...)}, s.startTimer(TimerProbe, s.plan.probeInterval()))
	}
	return append(acts, s.progress(now)...)
}

// --- abort and finish -------------------------------------------------------

func (s *State) onAbort(reason string, now time.Time) []Action {
	if reason == "" {
		reason = "aborted"
	}
	if s.obs.Aborted == "" {
		s.obs.Aborted = reason
	}
	switch s.phase {
	case PhasePrecheck, PhaseFailback:
		return s.finish(now)
	case PhaseSwitch, PhaseObserve:
		return s.startRestore(now)
	case PhaseRestore, PhaseDone:
	}
	return nil
}

func (s *State) finish(now time.Time) []Action {
	var acts []Action
	for n := TimerPrecheck; n <= TimerRetry; n++ {
		acts = append(acts, s.stopTimer(n)...)
	}
	s.phase = PhaseDone
	s.inflight = nil
	s.queue = nil
	s.awaitFault = false
	s.retryWait = false
	if !s.changes.Empty() && s.obs.RestoreErr == "" {
		s.obs.RestoreErr = "gave up"
	}
	s.problems = Compare(s.intent, s.obs)
	switch {
	case s.obs.Aborted != "":
		s.verdict = api.VerdictAborted
	case Blocking(s.problems):
		s.verdict = api.VerdictFail
	default:
		s.verdict = api.VerdictPass
	}
	acts = append(acts, s.closeObserveSteps(now)...)
	for i := range s.steps {
		st := &s.steps[i]
		if st.Status == api.StepRunning || st.Status == api.StepPending {
			switch {
			case st.Name == "diagnose":
			case st.Status == api.StepRunning && !s.changes.Empty():
				acts = append(acts, s.setStep(now, st.Name, api.StepFail, s.obs.RestoreErr))
			default:
				acts = append(acts, s.setStep(now, st.Name, api.StepSkip, ""))
			}
		}
	}
	diag := "pass"
	if s.verdict != api.VerdictPass {
		diag = s.verdict
	}
	if len(s.problems) > 0 {
		diag += fmt.Sprintf(": %d problem(s), first %s", len(s.problems), s.problems[0].Code)
	}
	dst := api.StepOK
	if s.verdict != api.VerdictPass {
		dst = api.StepFail
	}
	if s.stepIndex("diagnose") < 0 {
		s.steps = append(s.steps, api.Step{Name: "diagnose", Status: api.StepPending})
	}
	acts = append(acts, s.setStep(now, "diagnose", dst, diag))
	return append(acts, Finish{Run: s.Run()})
}

// --- evidence -------------------------------------------------------------

func (s *State) onEvidence(in Input, now time.Time) []Action {
	p := s.plan
	switch in := in.(type) {
	case LogSeen:
		if s.phase != PhasePrecheck && len(s.obs.Logs) < maxLogs {
			s.obs.Logs = append(s.obs.Logs, in)
		}
		return nil
	case KeepalivedEvent:
		if p.Instance != "" && in.Instance != p.Instance {
			return nil
		}
		if in.State == StateFault && s.phase == PhaseRestore {
			s.faultSeen = true
			if s.awaitFault {
				s.awaitFault = false
				acts := s.stopTimer(TimerFault)
				return append(acts, s.issue(now)...)
			}
		}
	}
	if !s.observing() {
		return nil
	}
	dir := s.intent.Direction
	peer := &s.intent.Peer
	restoring := !s.obs.RestoreAt.IsZero()
	switchWindow := !restoring && s.phase != PhaseRestore && s.phase != PhaseFailback
	switch in := in.(type) {
	case VIPRemoved:
		if !p.isVIP(in.IP) {
			return nil
		}
		if switchWindow && dir == DirHandover {
			s.obs.VIPRemoved.set(in.At, "netlink", "VIP "+in.IP.String()+" removed here")
		}
	case VIPAdded:
		if !p.isVIP(in.IP) {
			return nil
		}
		switch {
		case switchWindow && dir == DirTakeover:
			s.obs.VIPAdded.set(in.At, "netlink", "VIP "+in.IP.String()+" added here")
			s.obs.ARPAnswer.set(in.At, "netlink", "this node's kernel answers ARP for "+in.IP.String())
		case restoring && dir == DirHandover:
			s.obs.Failback.set(in.At, "netlink", "VIP "+in.IP.String()+" back here")
		}
	case Advert:
		if in.VRID != p.VRID || in.Priority == 0 {
			return nil
		}
		if in.Src == p.Local.Addr {
			if switchWindow && dir == DirTakeover {
				s.obs.MasterAdvert.set(in.At, "advert", fmt.Sprintf("this node advertises priority %d", in.Priority))
			}
			return s.progress(now)
		}
		if !s.isPeer(in.Src, in.SrcMAC) {
			return nil
		}
		if peer.MAC.IsZero() {
			peer.MAC = in.SrcMAC
		}
		txt := fmt.Sprintf("advert from %s (%s) priority %d", in.Src, in.SrcMAC, in.Priority)
		switch {
		case switchWindow:
			s.obs.PeerAdverts++
			s.lastPeer = in.At
			if dir == DirHandover {
				s.obs.MasterAdvert.set(in.At, "advert", txt)
				s.obs.VIPAdded.set(in.At, "advert", "the peer advertises as MASTER")
			} else if ref := s.tookOver(); !ref.IsZero() && in.At.Sub(ref) > s.splitGrace() {
				s.splitEvidence(true, fmt.Sprintf("+%d ms: %s, after this node became MASTER", msSince(s.obs.Trigger, in.At), txt))
			}
		case restoring && dir == DirTakeover:
			s.obs.Failback.set(in.At, "advert", txt)
		}
	case GARP:
		if !p.isVIP(in.IP) {
			return nil
		}
		switch {
		case switchWindow && dir == DirHandover && s.isPeerMAC(in.MAC):
			s.obs.GARPSeen.set(in.At, "garp", fmt.Sprintf("gratuitous ARP %s is-at %s", in.IP, in.MAC))
			s.obs.VIPAdded.set(in.At, "garp", "the peer announces the VIP")
		case switchWindow && dir == DirTakeover && in.MAC == p.Local.MAC:
			s.obs.GARPSeen.set(in.At, "garp", fmt.Sprintf("gratuitous ARP %s is-at %s (this node)", in.IP, in.MAC))
		case restoring && dir == DirTakeover && s.isPeerMAC(in.MAC):
			s.obs.Failback.set(in.At, "garp", fmt.Sprintf("gratuitous ARP %s is-at %s", in.IP, in.MAC))
		}
	case ARPReply:
		if !p.isVIP(in.IP) || in.MAC == p.Local.MAC {
			return nil
		}
		txt := fmt.Sprintf("ARP %s is-at %s", in.IP, in.MAC)
		switch {
		case switchWindow && dir == DirHandover && s.isPeerMAC(in.MAC):
			s.obs.ARPAnswer.set(in.At, "arp", txt)
			s.obs.VIPAdded.set(in.At, "arp", "the peer answers for the VIP")
		case switchWindow && dir == DirTakeover && s.isPeerMAC(in.MAC) && !s.tookOver().IsZero() &&
			in.At.Sub(s.tookOver()) > s.splitGrace():
			s.splitEvidence(false, fmt.Sprintf("+%d ms: %s, after this node took the VIP", msSince(s.obs.Trigger, in.At), txt))
		case restoring && dir == DirTakeover && s.isPeerMAC(in.MAC):
			s.obs.Failback.set(in.At, "arp", txt)
		}
	case KeepalivedEvent:
		if switchWindow {
			if in.RxLowerPri {
				s.obs.RxLowerPri++
			} else if in.State == StateMaster && dir == DirTakeover {
				s.obs.LocalMaster.set(in.At, "fifo", fmt.Sprintf("keepalived here: MASTER, priority %d", in.Priority))
			}
		}
	}
	return s.progress(now)
}

func (s *State) isPeer(src netip.Addr, mac MAC) bool {
	if s.intent.Peer.Addr.IsValid() {
		return src == s.intent.Peer.Addr
	}
	// Unknown peer address: the first other sender of our VRID is the
	// peer (a foreign one was refused at pre-check as VRID_CONFLICT).
	s.intent.Peer.Addr = src
	return true
}

func (s *State) isPeerMAC(m MAC) bool {
	if m.IsZero() || m == s.plan.Local.MAC {
		return false
	}
	if s.intent.Peer.MAC.IsZero() {
		s.intent.Peer.MAC = m
		return true
	}
	return m == s.intent.Peer.MAC
}

// tookOver is when this node became master in a takeover: its FIFO MASTER
// line or its VIP, whichever came first; zero before.
func (s *State) tookOver() time.Time {
	a, b := s.obs.LocalMaster.At, s.obs.VIPAdded.At
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

// splitEvidence records the old holder acting as master: counts all, and
// keeps the first two lines of each kind as evidence.
func (s *State) splitEvidence(advert bool, line string) {
	n := &s.obs.SplitARPs
	if advert {
		n = &s.obs.SplitAdverts
	}
	*n++
	if *n <= 2 && len(s.obs.SplitBrain) < maxEvidence {
		s.obs.SplitBrain = append(s.obs.SplitBrain, line)
	}
}

// endSettle closes the switch window. For a takeover, the peer's release
// is inferred: its last advert, after which it stayed silent.
func (s *State) endSettle() {
	s.settling = false
	if s.intent.Direction == DirTakeover && len(s.obs.SplitBrain) == 0 && s.obs.VIPAdded.Seen() {
		// The peer steps down when it hears this node's first MASTER
		// advert (RFC 3768 §6.4.3), sent on taking over; if it advertised
		// later than that, it released no earlier than its last advert.
		at := s.tookOver()
		if s.lastPeer.After(at) {
			at = s.lastPeer
		}
		s.obs.VIPRemoved.set(at, "advert", "the peer stepped down: no advert or ARP answer from it after this node took over")
	}
}

// progress updates the observe steps and moves on when a wait is over.
func (s *State) progress(now time.Time) []Action {
	var acts []Action
	if s.obs.Trigger.IsZero() {
		return nil
	}
	marks := []struct {
		name string
		m    Mark
	}{
		{"vip_removed", s.obs.VIPRemoved}, {"vip_added", s.obs.VIPAdded}, {"master_advert", s.obs.MasterAdvert},
		{"garp", s.obs.GARPSeen}, {"arp_answer", s.obs.ARPAnswer},
	}
	for _, mk := range marks {
		if mk.m.Seen() {
			if i := s.stepIndex(mk.name); i >= 0 && s.steps[i].Status != api.StepOK {
				acts = append(acts, s.setStepAt(mk.name, api.StepOK, msSince(s.obs.Trigger, mk.m.At), mk.m.Detail))
			}
		}
	}
	switch s.phase {
	case PhaseSwitch, PhaseObserve:
		if !s.settling && !s.running(TimerSettle) && newHolderHeld(s.intent, s.obs) {
			s.settling = true
			acts = append(acts, s.startTimer(TimerSettle, s.settleTime()))
		}
	case PhaseFailback:
		if s.obs.Failback.Seen() {
			acts = append(acts, s.setStepAt("failback", api.StepOK, msSince(s.obs.Trigger, s.obs.Failback.At),
				fmt.Sprintf("%s, %d ms after the undo", s.obs.Failback.Detail, msSince(s.obs.RestoreAt, s.obs.Failback.At))))
			acts = append(acts, s.finish(now)...)
		}
	case PhasePrecheck, PhaseRestore, PhaseDone:
	}
	return acts
}

// closeObserveSteps marks the observe steps still open when the switch
// window ends.
func (s *State) closeObserveSteps(now time.Time) []Action {
	var acts []Action
	for _, name := range []string{"vip_removed", "vip_added", "master_advert", "garp", "arp_answer"} {
		i := s.stepIndex(name)
		if i < 0 || s.steps[i].Status == api.StepOK || s.steps[i].Status == api.StepFail || s.steps[i].Status == api.StepSkip {
			continue
		}
		if s.obs.Trigger.IsZero() {
			acts = append(acts, s.setStep(now, name, api.StepSkip, "no switch"))
			continue
		}
		if name == "garp" && s.intent.Direction == DirTakeover {
			acts = append(acts, s.setStep(now, name, api.StepSkip, "this node's own gratuitous ARPs were not captured"))
			continue
		}
		acts = append(acts, s.setStep(now, name, api.StepFail, "not seen"))
	}
	return acts
}

// --- steps and report -------------------------------------------------------

func (s *State) stepIndex(name string) int {
	for i, st := range s.steps {
		if st.Name == name {
			return i
		}
	}
	return -1
}

// setStep sets a step's status at now (ms from the trigger once there is
// one, else from the run start) and returns the Progress action.
func (s *State) setStep(now time.Time, name, status, detail string) Action {
	ref := s.started
	if !s.obs.Trigger.IsZero() {
		ref = s.obs.Trigger
	}
	return s.setStepAt(name, status, msSince(ref, now), detail)
}

func (s *State) setStepAt(name, status string, atMs int64, detail string) Action {
	i := s.stepIndex(name)
	if i < 0 {
		s.steps = append(s.steps, api.Step{Name: name})
		i = len(s.steps) - 1
	}
	s.steps[i] = api.Step{Name: name, Status: status, AtMs: atMs, Detail: detail}
	return Progress{Step: s.steps[i]}
}

// Run is the report of the run as verify_status returns it: progress
// while running, the verdict, timings and problems once done. Timings not
// observed have Ms -1 and OK false; the failback is timed from the undo,
// the others from the trigger.
func (s State) Run() api.VerifyRun {
	r := api.VerifyRun{
		Schema:    api.Schema,
		ID:        s.plan.ID,
		Busy:      s.phase != PhaseDone,
		Mode:      s.plan.Mode.String(),
		Phase:     s.phase.apiWord(),
		StartedAt: unixOrZero(s.started),
		Steps:     append([]api.Step{}, s.steps...),
		Verdict:   s.verdict,
		Timings:   []api.Timing{},
		Problems:  cloneProblems(s.problems),
	}
	if r.Problems == nil {
		r.Problems = []api.Problem{}
	}
	if s.obs.Trigger.IsZero() {
		return r
	}
	sw := s.intent.Budgets.Switch.Budget().Milliseconds()
	for _, t := range []struct {
		name string
		m    Mark
	}{
		{"vip_removed", s.obs.VIPRemoved}, {"vip_added", s.obs.VIPAdded}, {"master_advert", s.obs.MasterAdvert},
		{"garp", s.obs.GARPSeen}, {"arp_answer", s.obs.ARPAnswer},
	} {
		r.Timings = append(r.Timings, timing(t.name, s.obs.Trigger, t.m, sw))
	}
	if s.intent.Budgets.FailbackExpected && !s.obs.RestoreAt.IsZero() {
		r.Timings = append(r.Timings, timing("failback", s.obs.RestoreAt, s.obs.Failback, s.intent.Budgets.Failback.Budget().Milliseconds()))
	}
	return r
}

func timing(name string, from time.Time, m Mark, budget int64) api.Timing {
	t := api.Timing{Name: name, Ms: -1, BudgetMs: budget}
	if m.Seen() {
		t.Ms = msSince(from, m.At)
		t.OK = t.Ms <= budget
	}
	return t
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
