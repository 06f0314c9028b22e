package api

// Schema is the version of every reply shape in this file. It is sent as
// the "schema" member of each reply and raised on any incompatible change.
const Schema = 1

// Times: "at" members are Unix time in seconds; "*_ms" members are
// milliseconds (durations, or offsets from a verification's trigger).
// Slices should be sent empty rather than nil; the LuCI views treat a
// missing or null list as empty anyway.

// Problem is one finding: a stable code plus the data to explain it.
// It is the {code, field, want, got, detail} shape of STYLE rule 9.
type Problem struct {
	Code     Code     `json:"code"`
	Severity Severity `json:"severity"`
	// Field names what is wrong: a UCI option ("floatgw.main.vrid"), a
	// method argument ("scan.seconds") or a target ("firewall.vrrp").
	Field string `json:"field,omitempty"`
	// Want and Got are the expected and the observed value, as text.
	Want string `json:"want,omitempty"`
	Got  string `json:"got,omitempty"`
	// Detail is one English line with specifics not covered by the code.
	Detail string `json:"detail,omitempty"`
	// Evidence quotes what the finding rests on: log lines, packets seen,
	// command output.
	Evidence []string `json:"evidence,omitempty"`
	// Fix is what can be done about it, if anything.
	Fix *Fix `json:"fix,omitempty"`
}

// Fix is a remedy offered for a problem.
type Fix struct {
	// ID is what doctor_fix takes to apply this fix.
	ID string `json:"id"`
	// Label is one English line saying what the fix does; the LuCI app
	// translates known IDs itself and falls back to Label.
	Label string `json:"label"`
	// Safe fixes floatgw applies itself (doctor_fix, LuCI buttons); the
	// others are instructions for a person.
	Safe bool `json:"safe"`
}

// Vocabulary words. Views show them translated, never derive them.
const (
	RolePrimary   = "primary"
	RoleSecondary = "secondary"

	StateInit    = "INIT"
	StateBackup  = "BACKUP"
	StateMaster  = "MASTER"
	StateFault   = "FAULT"
	StateUnknown = "UNKNOWN"
	// StateSilent: a peer that was heard before but sends no adverts now.
	StateSilent = "SILENT"
	// StateStop: keepalived reported STOP (it is exiting).
	StateStop = "STOP"

	ReasonHealth       = "health"
	ReasonMaintenance  = "maintenance"
	ReasonVerification = "verification"
	ReasonSwitch       = "switch"
	// ReasonVRRP: a transition caused by the VRRP election itself
	// (transitions only, never a priority reason).
	ReasonVRRP = "vrrp"

	HealthOK      = "ok"
	HealthFailing = "failing"
	HealthPending = "pending"
	HealthOff     = "off"

	StepPending = "pending"
	StepRunning = "running"
	StepOK      = "ok"
	StepFail    = "fail"
	StepSkip    = "skip"

	VerdictPass    = "pass"
	VerdictFail    = "fail"
	VerdictAborted = "aborted"

	LogKeepalived = "keepalived"
	LogFloatgw    = "floatgw"
)

// Vocabulary lists, per kind, every word a reply may carry in an enumerated
// member. The LuCI contract test checks that each has a translation.
var Vocabulary = map[string][]string{
	"role":          {RolePrimary, RoleSecondary},
	"vrrp_state":    {StateInit, StateBackup, StateMaster, StateFault, StateUnknown, StateSilent, StateStop},
	"reason":        {ReasonHealth, ReasonMaintenance, ReasonVerification, ReasonSwitch},
	"health_state":  {HealthOK, HealthFailing, HealthPending, HealthOff},
	"step_status":   {StepPending, StepRunning, StepOK, StepFail, StepSkip},
	"verdict":       {VerdictPass, VerdictFail, VerdictAborted},
	"severity":      {string(SeverityError), string(SeverityWarning), string(SeverityInfo)},
	"verify_mode":   {"soft", "hard"},
	"verify_phase":  {"precheck", "switch", "observe", "restore", "verdict", "done"},
	"log_source":    {LogKeepalived, LogFloatgw},
	"check_type":    {"ping", "dns", "tcp", "http"},
	"health_mode":   {"off", "basic", "internet"},
	"apply_action":  {"create", "update", "delete", "reload", "none"},
	"transition_by": {ReasonVRRP, ReasonHealth, ReasonMaintenance, ReasonVerification, ReasonSwitch},
}

// StepInfo names one step of a drift verification.
type StepInfo struct {
	Name    string
	Phase   string
	Meaning string
}

// VerifySteps lists every step a verification run can report, in the order
// a run reports them (PRODUCT.md §5). A run has one switch step: demote
// (soft run on the VIP holder), promote (run on the backup, which raises
// its own priority to take the VIP over) or silence_master (hard run); and
// one restore step: unpromote after a promote, else undemote. A run refused
// by the pre-check stops after the pre-check steps.
var VerifySteps = []StepInfo{
	{"keepalived", "precheck", "keepalived is running with floatgw's configuration"},
	{"local_state", "precheck", "local VRRP state and effective priority"},
	{"vip_holder", "precheck", "who holds the VIP (netlink, else ARP probe)"},
	{"peer_adverts", "precheck", "adverts from the peer: VRID, priority, interval, VIPs, auth"},
	{"firewall", "precheck", "firewall accepts VRRP from the LAN zone"},
	{"vrid_conflict", "precheck", "no other router uses our VRID on the segment"},
	{"demote", "switch", "demote the VIP holder through its track file"},
	{"promote", "switch", "raise this node's priority above the holder's through its promote track file (run on the backup)"},
	{"silence_master", "switch", "make the holder silent like a crashed router (hard mode)"},
	{"vip_removed", "observe", "VIP removed from the old holder"},
	{"vip_added", "observe", "VIP added on the new holder"},
	{"master_advert", "observe", "first MASTER advert from the new holder"},
	{"garp", "observe", "gratuitous ARP for the VIP from the new holder"},
	{"arp_answer", "observe", "ARP answer for the VIP from the new MAC"},
	{"undemote", "restore", "undo the demotion"},
	{"unpromote", "restore", "undo the promotion"},
	{"failback", "restore", "the VIP returns to the preferred node (preempt)"},
	{"diagnose", "verdict", "compare timings with the VRRP budget and look for causes"},
}

// VerifyTimings lists the measured times of a run, each in milliseconds
// from the trigger (failback: from the undemote).
var VerifyTimings = []StepInfo{
	{"vip_removed", "observe", "VIP removed from the old holder"},
	{"vip_added", "observe", "VIP added on the new holder"},
	{"master_advert", "observe", "first MASTER advert from the new holder"},
	{"garp", "observe", "first gratuitous ARP from the new holder"},
	{"arp_answer", "observe", "ARP answer from the new MAC"},
	{"failback", "restore", "VIP back on the preferred node"},
}

// StatusReply is the reply of status.
type StatusReply struct {
	Schema int `json:"schema"`
	// Now is the router's clock (Unix seconds), so views can place "at"
	// times without trusting the browser's clock.
	Now  int64 `json:"now"`
	Node Node  `json:"node"`
	// Holder is who holds the VIP now, as observed (netlink or ARP).
	Holder Holder `json:"vip_holder"`
	// Peer is the other router as seen on the wire (its adverts).
	Peer        Peer       `json:"peer"`
	Health      Health     `json:"health"`
	Maintenance bool       `json:"maintenance"`
	Keepalived  Keepalived `json:"keepalived"`
	// Transitions are the most recent state changes, newest last.
	Transitions []Transition `json:"transitions"`
	// Problems the daemon currently knows about (rejected config, failed
	// apply, problems seen by continuous monitoring).
	Problems []Problem `json:"problems"`
	// VerifyRunning is the id of the verification run in progress, or "".
	VerifyRunning string `json:"verify_running,omitempty"`
}

// Node is this router.
type Node struct {
	Hostname string `json:"hostname,omitempty"`
	Role     string `json:"role"`
	// State is this node's VRRP state: INIT, BACKUP, MASTER, FAULT or
	// UNKNOWN (no notify event seen yet).
	State             string           `json:"state"`
	BasePriority      int              `json:"base_priority"`
	EffectivePriority int              `json:"effective_priority"`
	PriorityReasons   []PriorityReason `json:"priority_reasons"`
	LAN               LAN              `json:"lan"`
	VIPs              []string         `json:"vips"`
	VRID              int              `json:"vrid"`
	Version           int              `json:"version"`
	AdvertIntMs       int              `json:"advert_int_ms"`
	Preempt           bool             `json:"preempt"`
	// Unicast peers, empty for multicast.
	UnicastPeers []string `json:"unicast_peers"`
}

// PriorityReason says why the effective priority differs from the base.
type PriorityReason struct {
	// Reason is health, maintenance, verification or switch.
	Reason string `json:"reason"`
	// Delta is the change it makes (negative), or 0 when the reason puts
	// the node into FAULT (priority 0 adverts).
	Delta  int    `json:"delta"`
	Detail string `json:"detail,omitempty"`
}

// LAN is the LAN this node serves.
type LAN struct {
	// Network is the OpenWrt logical network, "" for an explicit device.
	Network string `json:"network,omitempty"`
	Device  string `json:"device"`
	// Address is this node's address with prefix (192.168.77.2/24).
	Address string `json:"address"`
	MAC     string `json:"mac"`
	Up      bool   `json:"up"`
}

// Holder is who holds the VIP.
type Holder struct {
	// IP is the holder's own LAN address, "" when nobody answers.
	IP  string `json:"ip"`
	MAC string `json:"mac"`
	// Self is true when this node holds the VIP, Peer when our VRRP peer
	// does; both false with a non-empty IP means some other host answers.
	Self bool `json:"self"`
	Peer bool `json:"peer"`
	// Via is how it was observed: "netlink", "arp" or "vrrp" (the adverts).
	Via string `json:"via,omitempty"`
}

// Peer is the other VRRP router of our VRID, as seen on the wire.
type Peer struct {
	// Seen is false when no advert from a peer was ever received.
	Seen     bool   `json:"seen"`
	Address  string `json:"address"`
	MAC      string `json:"mac"`
	Priority int    `json:"priority"`
	// State is MASTER while it advertises, SILENT when its adverts
	// stopped, BACKUP when known from unicast or a priority-0 advert.
	State string `json:"state"`
	// LastAdvertMs is how long ago its last advert arrived.
	LastAdvertMs int64 `json:"last_advert_ms"`
	// IntervalMs is the advert interval it announces.
	IntervalMs int `json:"interval_ms"`
}

// Health is the health-check verdict and the last result of each check.
type Health struct {
	// State is ok, failing, pending (not enough results) or off.
	State  string  `json:"state"`
	Mode   string  `json:"mode"`
	Checks []Check `json:"checks"`
}

// Check is the last result of one health check.
type Check struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Target    string `json:"target"`
	OK        bool   `json:"ok"`
	LatencyMs int    `json:"latency_ms"`
	Error     string `json:"error,omitempty"`
	At        int64  `json:"at"`
}

// Keepalived is the state of the keepalived service.
type Keepalived struct {
	Running  bool   `json:"running"`
	ConfigOK bool   `json:"config_ok"`
	Version  string `json:"version,omitempty"`
}

// Transition is one VRRP state change of this node.
type Transition struct {
	At       int64  `json:"at"`
	From     string `json:"from"`
	To       string `json:"to"`
	Priority int    `json:"priority"`
	// Reason is what caused it (see Vocabulary["transition_by"]).
	Reason string `json:"reason"`
}

// VerifyStartReply is the reply of verify.
type VerifyStartReply struct {
	Schema int    `json:"schema"`
	ID     string `json:"id"`
	// Busy is true when another run was already in progress; ID is then
	// that run's id.
	Busy bool `json:"busy"`
}

// VerifyRun is the reply of verify_status: one run, in progress or done.
//
// No run yet: verify_status without an id, before any run since the daemon
// started (and no journal recovered), answers ubus status 0 with a VerifyRun
// whose ID is "" (Schema set, Busy false, Phase and Verdict "", the lists
// empty), not NOT_FOUND: through LuCI's ucode proxy a missing ubus object
// is also status 4, and the page must tell the two apart. The LuCI view
// treats an empty ID as "no run yet". An id that names no run gets
// RUN_NOT_FOUND (status NOT_FOUND).
//
// Problems carry internal/drift's codes, all in [Codes], and fixes from
// [Fixes]; a safe one is applied through doctor_fix with its ID.
type VerifyRun struct {
	Schema int    `json:"schema"`
	ID     string `json:"id"`
	// Busy is true while the run is in progress.
	Busy      bool   `json:"busy"`
	Mode      string `json:"mode"`
	Phase     string `json:"phase"`
	StartedAt int64  `json:"started_at"`
	Steps     []Step `json:"steps"`
	// Verdict is pass, fail or aborted; "" while running.
	Verdict  string    `json:"verdict"`
	Timings  []Timing  `json:"timings"`
	Problems []Problem `json:"problems"`
}

// Step is one step of a run (names in VerifySteps).
type Step struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	// AtMs is when the step finished (or started, while running), in
	// milliseconds since the run started.
	AtMs   int64  `json:"at_ms"`
	Detail string `json:"detail,omitempty"`
}

// Timing is one measured time (names in VerifyTimings) against its budget
// (RFC 3768/5798 Skew_Time or Master_Down_Interval).
type Timing struct {
	Name     string `json:"name"`
	Ms       int64  `json:"ms"`
	BudgetMs int64  `json:"budget_ms"`
	OK       bool   `json:"ok"`
}

// DoctorReply is the reply of doctor and doctor_fix.
type DoctorReply struct {
	Schema   int       `json:"schema"`
	Problems []Problem `json:"problems"`
	// Checked lists the names of the checks that ran.
	Checked []string `json:"checked"`
	// Fixed reports each fix attempted (doctor_fix only).
	Fixed []FixResult `json:"fixed"`
}

// FixResult is the outcome of one fix.
type FixResult struct {
	ID     string `json:"id"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// ScanReply is the reply of scan.
type ScanReply struct {
	Schema  int          `json:"schema"`
	Seconds int          `json:"seconds"`
	Routers []ScanRouter `json:"routers"`
	// FreeVRID suggests an unused VRID, 0 if none.
	FreeVRID int `json:"free_vrid"`
}

// ScanRouter is one VRRP sender heard during a scan.
type ScanRouter struct {
	VRID       int      `json:"vrid"`
	Source     string   `json:"source"`
	MAC        string   `json:"mac"`
	Priority   int      `json:"priority"`
	IntervalMs int      `json:"interval_ms"`
	Version    int      `json:"version"`
	VIPs       []string `json:"vips"`
	// Auth is "none", "pass" or "ah" (VRRPv2 only).
	Auth    string `json:"auth"`
	Adverts int    `json:"adverts"`
	// Self is true for this node's own adverts, Peer for our peer's.
	Self bool `json:"self"`
	Peer bool `json:"peer"`
	// Conflict is true when it uses our VRID but is not our peer.
	Conflict bool `json:"conflict"`
}

// ApplyReply is the reply of apply.
type ApplyReply struct {
	Schema  int      `json:"schema"`
	DryRun  bool     `json:"dry_run"`
	Changed bool     `json:"changed"`
	Changes []Change `json:"changes"`
	// Problems found while validating or applying; when any has severity
	// error nothing was changed (validation) or the change stopped there.
	Problems []Problem `json:"problems"`
}

// Change is one write apply made (or would make).
type Change struct {
	// Target is what is written: "keepalived", "firewall.vrrp",
	// "dhcp.lan.dhcp_option", …
	Target string `json:"target"`
	// Action is create, update, delete, reload or none.
	Action string `json:"action"`
	Detail string `json:"detail,omitempty"`
}

// SwitchReply is the reply of switch.
type SwitchReply struct {
	Schema int `json:"schema"`
	// Until is when this node may take the VIP back (Unix seconds).
	Until int64 `json:"until"`
}

// MaintenanceReply is the reply of maintenance.
type MaintenanceReply struct {
	Schema      int  `json:"schema"`
	Maintenance bool `json:"maintenance"`
}

// LogsReply is the reply of logs.
type LogsReply struct {
	Schema int       `json:"schema"`
	Lines  []LogLine `json:"lines"`
}

// LogLine is one log line; Code marks a known error pattern.
type LogLine struct {
	At     int64  `json:"at"`
	Source string `json:"source"`
	Text   string `json:"text"`
	Code   Code   `json:"code,omitempty"`
}
