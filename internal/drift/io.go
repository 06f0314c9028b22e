package drift

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/floatgw/floatgw/internal/api"
)

// Input is something the daemon observed or that happened to the run; it
// feeds one to [Step] at a time. The variants are the types in this file
// that implement it; the set is closed.
type Input interface{ isInput() }

// VRRPState is a keepalived instance state.
//
//enumcheck:exhaustive
type VRRPState uint8

// VRRP states.
const (
	StateUnknown VRRPState = iota
	StateInit
	StateBackup
	StateMaster
	StateFault
	// StateStop: keepalived wrote STOP (it is exiting).
	StateStop
)

// String returns the internal/api vocabulary word (INIT, BACKUP, …).
func (v VRRPState) String() string {
	switch v {
	case StateUnknown:
		return api.StateUnknown
	case StateInit:
		return api.StateInit
	case StateBackup:
		return api.StateBackup
	case StateMaster:
		return api.StateMaster
	case StateFault:
		return api.StateFault
	case StateStop:
		return "STOP"
	}
	return fmt.Sprintf("VRRPState(%d)", uint8(v))
}

// Check is the outcome of a yes/no check that may not have been made.
//
//enumcheck:exhaustive
type Check uint8

// Check outcomes.
const (
	CheckUnknown Check = iota
	CheckOK
	CheckFailed
)

// Facts is the pre-check evidence the daemon gathers when asked by
// [CollectFacts]. It is an Input. Slices are copied by [Step].
type Facts struct {
	At time.Time
	// KeepalivedRunning: the keepalived VRRP process is alive.
	KeepalivedRunning bool
	// ConfigApplied: keepalived runs floatgw's rendered configuration,
	// with Plan.Instance and the drift and promote track files.
	ConfigApplied bool
	// LocalState and LocalPriority are this node's instance state and
	// effective priority (notify FIFO, else the JSON dump).
	LocalState    VRRPState
	LocalPriority uint8
	// LocalVIPs are the VIPs present on the LAN device (netlink).
	LocalVIPs []netip.Addr
	// VIPAnswers are the answers to an ARP probe of each VIP, as seen
	// within the listening window (none when this node holds them).
	VIPAnswers []ARPReply
	// Adverts are the VRRP adverts for Plan.VRID heard on the LAN during
	// the listening window, from any source (this node's own are
	// ignored). The latest per source is enough.
	Adverts []Advert
	// PeerReachable: the peer's own address answers (ARP or ping).
	PeerReachable Check
	// Firewall: a firewall rule accepts VRRP from the LAN zone (or the
	// zone accepts all input).
	Firewall Check
	// Logs are known error patterns in recent keepalived log lines.
	Logs []LogSeen
}

// Advert is a VRRP advertisement seen on the LAN (packet socket, so it is
// seen even when the local firewall drops it before keepalived).
type Advert struct {
	At       time.Time
	Src      netip.Addr
	SrcMAC   MAC
	VRID     uint8
	Priority uint8
	Interval time.Duration
	VIPs     []netip.Addr
}

// GARP is a gratuitous ARP (sender IP = target IP) seen on the LAN.
type GARP struct {
	At  time.Time
	IP  netip.Addr
	MAC MAC
}

// ARPReply is an ARP reply for a probed address.
type ARPReply struct {
	At  time.Time
	IP  netip.Addr
	MAC MAC
}

// VIPAdded and VIPRemoved are netlink address events of the LAN device.
type VIPAdded struct {
	At time.Time
	IP netip.Addr
}

// VIPRemoved: see [VIPAdded].
type VIPRemoved struct {
	At time.Time
	IP netip.Addr
}

// KeepalivedEvent is one line of this node's keepalived notify FIFO,
// `INSTANCE "<name>" <WORD> <priority>`; see [ParseFIFOWord].
type KeepalivedEvent struct {
	At       time.Time
	Instance string
	// State is the state after the line: MASTER_PRIORITY and
	// MASTER_RX_LOWER_PRI mean MASTER, BACKUP_PRIORITY means BACKUP.
	State VRRPState
	// Priority is the effective priority in the line.
	Priority uint8
	// RxLowerPri: MASTER_RX_LOWER_PRI, a master heard a lower-priority
	// advert (keepalived writes one per advert while two masters exist).
	RxLowerPri bool
}

// ParseFIFOWord maps a notify-FIFO word to the state after it. ok is false
// for words that carry no state (DELETED, unknown words).
func ParseFIFOWord(word string) (state VRRPState, rxLowerPri, ok bool) {
	switch word {
	case "MASTER", "MASTER_PRIORITY":
		return StateMaster, false, true
	case "MASTER_RX_LOWER_PRI":
		return StateMaster, true, true
	case "BACKUP", "BACKUP_PRIORITY":
		return StateBackup, false, true
	case "FAULT":
		return StateFault, false, true
	case "STOP":
		return StateStop, false, true
	}
	return StateUnknown, false, false
}

// LogSeen is a keepalived log line matching a known error pattern, with its
// internal/api code (api.AdvertSendEPERM, api.AuthMismatch, …).
type LogSeen struct {
	At   time.Time
	Code api.Code
	Line string
}

// Done answers an [Op]: the operation with that ID finished at At (the
// moment the change took effect, e.g. right after the track file's rename
// or the kill(2) returned), with Err nil on success.
type Done struct {
	ID  OpID
	At  time.Time
	Err error
}

// TimerFired says the timer started by [StartTimer] with that name ran out.
// A timer that was stopped or restarted must not fire for its old start;
// a stale one is ignored anyway if the run no longer waits for it.
type TimerFired struct{ Name TimerName }

// Abort ends the run early: daemon shutdown or context cancellation. The
// run restores what it changed and finishes with verdict aborted. A second
// verify caller is not an abort (the daemon answers "busy").
type Abort struct{ Reason string }

func (Facts) isInput()           {}
func (Advert) isInput()          {}
func (GARP) isInput()            {}
func (ARPReply) isInput()        {}
func (VIPAdded) isInput()        {}
func (VIPRemoved) isInput()      {}
func (KeepalivedEvent) isInput() {}
func (LogSeen) isInput()         {}
func (Done) isInput()            {}
func (TimerFired) isInput()      {}
func (Abort) isInput()           {}

// Action is something the daemon must do for the run, in the order
// returned. The variants are the types in this file that implement it.
type Action interface{ isAction() }

// OpID identifies one [Op] of a run.
type OpID uint64

// Op is an Action the daemon must answer with exactly one [Done] carrying
// its ID: the journal writes and every change to the router. The run
// issues one Op at a time and waits for its Done (or its op timer), so the
// order of changes is the order of Ops.
type Op interface {
	Action
	OpID() OpID
}

// CollectFacts asks for the pre-check [Facts]: listen to VRRP on the LAN
// for at least Listen (or use what a running listener heard in the last
// Listen), probe each VIP with ARP, and feed the Facts.
type CollectFacts struct {
	Listen time.Duration
	VIPs   []netip.Addr
}

// SaveJournal: write J atomically (temp file, fsync, rename) where the
// daemon finds it at start-up. It always precedes the change it records.
type SaveJournal struct {
	ID OpID
	J  Journal
}

// ClearJournal: remove the journal; every change was undone.
type ClearJournal struct{ ID OpID }

// Demote: write 1 to the drift track file (weight 0): keepalived enters
// FAULT and, if master, sends priority 0 and removes the VIPs.
type Demote struct{ ID OpID }

// Undemote: write 0 to the drift track file.
type Undemote struct{ ID OpID }

// Promote: write Value to the promote track file (weight +254): the
// effective priority becomes 254 ([PromotedPriority]) and this backup
// outranks the holder.
type Promote struct {
	ID OpID
	// Value is the number to write; always 1.
	Value int
}

// Unpromote: write 0 to the promote track file.
type Unpromote struct{ ID OpID }

// PauseKeepalived: SIGSTOP keepalived's VRRP process and its parent. The
// instance goes silent without a priority-0 advert.
type PauseKeepalived struct{ ID OpID }

// ResumeKeepalived: SIGCONT the same processes. It must succeed when
// keepalived is not paused or not running (nothing to resume).
type ResumeKeepalived struct{ ID OpID }

// RemoveVIPs: delete the VIPs from the LAN device (keepalived is paused,
// so it does not notice). keepalived re-adds them itself when it is master
// again; the run never re-adds them.
type RemoveVIPs struct {
	ID   OpID
	VIPs []netip.Addr
}

// ProbeVIPs: send one ARP request for each VIP; answers come back as
// [ARPReply] inputs. Not an Op.
type ProbeVIPs struct{ VIPs []netip.Addr }

// StartTimer: (re)start the named timer; when it runs out, feed
// [TimerFired]. Starting a running timer restarts it.
type StartTimer struct {
	Name  TimerName
	After time.Duration
}

// StopTimer: stop the named timer if running.
type StopTimer struct{ Name TimerName }

// Progress: a step changed; publish it (floatgw.verify event, CLI line).
// [State.Run] has the whole picture.
type Progress struct{ Step api.Step }

// Finish: the run is over; Run is its final report. The daemon publishes
// it and keeps it for verify_status. It is always the last action of a
// run.
type Finish struct{ Run api.VerifyRun }

func (CollectFacts) isAction()     {}
func (SaveJournal) isAction()      {}
func (ClearJournal) isAction()     {}
func (Demote) isAction()           {}
func (Undemote) isAction()         {}
func (Promote) isAction()          {}
func (Unpromote) isAction()        {}
func (PauseKeepalived) isAction()  {}
func (ResumeKeepalived) isAction() {}
func (RemoveVIPs) isAction()       {}
func (ProbeVIPs) isAction()        {}
func (StartTimer) isAction()       {}
func (StopTimer) isAction()        {}
func (Progress) isAction()         {}
func (Finish) isAction()           {}

// OpID implementations.
func (a SaveJournal) OpID() OpID      { return a.ID }
func (a ClearJournal) OpID() OpID     { return a.ID }
func (a Demote) OpID() OpID           { return a.ID }
func (a Undemote) OpID() OpID         { return a.ID }
func (a Promote) OpID() OpID          { return a.ID }
func (a Unpromote) OpID() OpID        { return a.ID }
func (a PauseKeepalived) OpID() OpID  { return a.ID }
func (a ResumeKeepalived) OpID() OpID { return a.ID }
func (a RemoveVIPs) OpID() OpID       { return a.ID }

// TimerName names a run timer. See DESIGN.md, "Timers".
//
//enumcheck:exhaustive
type TimerName uint8

// Timers.
const (
	// TimerPrecheck bounds the wait for Facts.
	TimerPrecheck TimerName = iota + 1
	// TimerOp bounds the wait for the Done of the Op in flight.
	TimerOp
	// TimerSwitch bounds the observation of the switch.
	TimerSwitch
	// TimerSettle is the quiet time after the new holder holds the VIP,
	// in which the old holder must stay silent (split-brain check).
	TimerSettle
	// TimerProbe paces the ARP probes of the VIP.
	TimerProbe
	// TimerFault bounds hard mode's wait for keepalived's FAULT after resume.
	TimerFault
	// TimerFailback bounds the observation of the failback.
	TimerFailback
	// TimerRetry paces retries of a failed undo.
	TimerRetry
)

var timerNames = [...]string{"", "precheck", "op", "switch", "settle", "probe", "fault", "failback", "retry"}

// String returns the timer's name.
func (t TimerName) String() string {
	if int(t) < len(timerNames) && t != 0 {
		return timerNames[t]
	}
	return fmt.Sprintf("TimerName(%d)", uint8(t))
}
