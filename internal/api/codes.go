package api

// Code is a stable problem code, UPPER_SNAKE. Codes travel over ubus and the
// control socket in [Problem]; the LuCI app turns each into a translated
// sentence (luci-app/htdocs/luci-static/resources/floatgw.js) and the CLI
// into an English one (CodeInfo.Meaning). Codes are never renamed once
// released; new ones may be added.
type Code string

// Severity says how bad a problem is.
type Severity string

// Severities, worst first.
const (
	// SeverityError: VIP failover does not work, or the call failed.
	SeverityError Severity = "error"
	// SeverityWarning: failover works but is slower, fragile or one-way.
	SeverityWarning Severity = "warning"
	// SeverityInfo: worth knowing, nothing to fix.
	SeverityInfo Severity = "info"
)

// Diagnosis codes, one per item of PRODUCT.md §6.
const (
	KeepalivedNotRunning    Code = "KEEPALIVED_NOT_RUNNING"
	KeepalivedConfigInvalid Code = "KEEPALIVED_CONFIG_INVALID"
	FirewallNoVRRPRule      Code = "FIREWALL_NO_VRRP_RULE"
	AdvertSendEPERM         Code = "ADVERT_SEND_EPERM"
	PeerNoAdverts           Code = "PEER_NO_ADVERTS"
	SplitBrain              Code = "SPLIT_BRAIN"
	VRIDConflict            Code = "VRID_CONFLICT"
	AuthMismatch            Code = "AUTH_MISMATCH"
	AuthPassTooLong         Code = "AUTH_PASS_TOO_LONG"
	AdvertIntervalMismatch  Code = "ADVERT_INTERVAL_MISMATCH"
	NotifyHandlerMissing    Code = "NOTIFY_HANDLER_MISSING"
	PeerUnreachable         Code = "PEER_UNREACHABLE"
	VIPUnreachable          Code = "VIP_UNREACHABLE"
	StaleARP                Code = "STALE_ARP"
	VIPAddressConflict      Code = "VIP_ADDRESS_CONFLICT"
	InterfaceDown           Code = "INTERFACE_DOWN"
	VIPOutsideSubnet        Code = "VIP_OUTSIDE_SUBNET"
	DnsmasqHotplugPresent   Code = "DNSMASQ_HOTPLUG_PRESENT"
	PreemptOff              Code = "PREEMPT_OFF"
)

// Codes of floatgw's own configuration, operations and verification runs.
const (
	ConfigInvalid    Code = "CONFIG_INVALID"
	ApplyFailed      Code = "APPLY_FAILED"
	VerifyBusy       Code = "VERIFY_BUSY"
	VerifyNoTakeover Code = "VERIFY_NO_TAKEOVER"
	VerifySlow       Code = "VERIFY_SLOW"
	VerifyNoFailback Code = "VERIFY_NO_FAILBACK"
	VerifyAborted    Code = "VERIFY_ABORTED"
	RunNotFound      Code = "RUN_NOT_FOUND"
	// Codes of a verification run (internal/drift).
	ConfigNotApplied    Code = "CONFIG_NOT_APPLIED"
	VRRPFault           Code = "VRRP_FAULT"
	VIPNotHeld          Code = "VIP_NOT_HELD"
	VerifyCannotOutrank Code = "VERIFY_CANNOT_OUTRANK"
	VerifySwitchFailed  Code = "VERIFY_SWITCH_FAILED"
	VerifyRestoreFailed Code = "VERIFY_RESTORE_FAILED"
	VerifyTimeout       Code = "VERIFY_TIMEOUT"
	NotHolder           Code = "NOT_HOLDER"
	FixNotFound         Code = "FIX_NOT_FOUND"
	FixFailed           Code = "FIX_FAILED"
	Internal            Code = "INTERNAL"
)

// Argument errors, returned by [Method.Check] with ubus status
// INVALID_ARGUMENT.
const (
	ArgUnknown   Code = "ARG_UNKNOWN"
	ArgMissing   Code = "ARG_MISSING"
	ArgWrongType Code = "ARG_TYPE"
	ArgRange     Code = "ARG_RANGE"
	ArgEnum      Code = "ARG_ENUM"
)

// CodeInfo is one entry of the code catalogue.
type CodeInfo struct {
	Code Code
	// Severity is the usual severity; a Problem may carry another.
	Severity Severity
	// Meaning is one English line for people (CLI, logs, README).
	Meaning string
}

// Codes is the catalogue of every problem code, in a stable order. Callers
// must not modify it.
var Codes = []CodeInfo{
	{KeepalivedNotRunning, SeverityError, "keepalived is not running, so this node takes no part in VRRP"},
	{KeepalivedConfigInvalid, SeverityError, "keepalived rejects its configuration (keepalived -t)"},
	{FirewallNoVRRPRule, SeverityError, "no firewall rule accepts VRRP (IP protocol 112) from the LAN zone"},
	{AdvertSendEPERM, SeverityError, "keepalived cannot send adverts: \"send advert error 1 (Operation not permitted)\", local netfilter drops outgoing VRRP"},
	{PeerNoAdverts, SeverityError, "no VRRP adverts from the peer arrive here: multicast is blocked (hypervisor vSwitch, IGMP snooping) or the peer is down; unicast peers avoid multicast"},
	{SplitBrain, SeverityError, "both nodes hold the VIP at the same time (split brain)"},
	{VRIDConflict, SeverityError, "another VRRP router uses the same VRID on this segment (\"bogus VRRP packet\", \"VRID mismatch\")"},
	{AuthMismatch, SeverityError, "the peer's VRRP authentication (type or password) differs from ours"},
	{AuthPassTooLong, SeverityWarning, "auth_pass is longer than 8 characters; keepalived silently truncates it"},
	{AdvertIntervalMismatch, SeverityError, "the peer advertises a different advert interval"},
	{NotifyHandlerMissing, SeverityError, "the keepalived notify handler is missing or not executable, so the VRRP state is unknown"},
	{PeerUnreachable, SeverityError, "the unicast peer does not answer"},
	{VIPUnreachable, SeverityError, "the VIP is held but does not answer (vrrp_strict or no_accept drops its traffic)"},
	{StaleARP, SeverityWarning, "clients still resolve the VIP to the old MAC after a move; gratuitous ARP refresh is missing"},
	{VIPAddressConflict, SeverityError, "another host already answers for the VIP (duplicate address)"},
	{InterfaceDown, SeverityError, "the LAN interface is down or has no MULTICAST flag"},
	{VIPOutsideSubnet, SeverityError, "the VIP is outside the LAN subnet"},
	{DnsmasqHotplugPresent, SeverityWarning, "keepalived-sync's 551-dnsmasq hotplug script is installed; it stops dnsmasq on the BACKUP node"},
	{PreemptOff, SeverityInfo, "preempt is off: the preferred node does not take the VIP back after it recovers"},

	{ConfigInvalid, SeverityError, "/etc/config/floatgw has a value floatgw rejects; nothing was applied"},
	{ApplyFailed, SeverityError, "writing or reloading one of floatgw's targets failed"},
	{VerifyBusy, SeverityInfo, "a drift verification is already running; its run id is returned"},
	{VerifyNoTakeover, SeverityError, "the peer did not take over the VIP within the VRRP budget"},
	{VerifySlow, SeverityWarning, "the VIP moved, but slower than the VRRP timers allow"},
	{VerifyNoFailback, SeverityWarning, "the VIP did not come back to the preferred node after the demotion was undone"},
	{VerifyAborted, SeverityError, "the verification run was aborted; the demotion was undone"},
	{RunNotFound, SeverityError, "no verification run with that id"},
	{ConfigNotApplied, SeverityError, "keepalived does not run floatgw's rendered configuration (its instance or the drift/promote track files are missing); apply it first"},
	{VRRPFault, SeverityError, "this node's VRRP instance is in FAULT (interface down, failing health check or maintenance), so it takes no part in the election"},
	{VIPNotHeld, SeverityError, "nobody holds the VIP: clients have no gateway right now"},
	{VerifyCannotOutrank, SeverityError, "run on the backup, this node cannot raise its priority above the holder's (the holder is at 254 or 255); run the verification on the holder"},
	{VerifySwitchFailed, SeverityError, "the verification could not demote, promote or pause keepalived on this node"},
	{VerifyRestoreFailed, SeverityError, "the verification could not undo its changes after retries; the daemon retries at its next start"},
	{VerifyTimeout, SeverityError, "a step of the verification did not finish in time (the field names the wait)"},
	{NotHolder, SeverityError, "this node does not hold the VIP, so there is nothing to hand over"},
	{FixNotFound, SeverityError, "no current problem offers a fix with that id"},
	{FixFailed, SeverityError, "the fix could not be applied"},
	{Internal, SeverityError, "unexpected failure inside the floatgw daemon"},

	{ArgUnknown, SeverityError, "the method takes no argument of that name"},
	{ArgMissing, SeverityError, "a required argument is missing"},
	{ArgWrongType, SeverityError, "an argument has the wrong type"},
	{ArgRange, SeverityError, "an argument is out of range"},
	{ArgEnum, SeverityError, "an argument is not one of the accepted values"},
}

// LookupCode returns the catalogue entry of c.
func LookupCode(c Code) (CodeInfo, bool) {
	for _, ci := range Codes {
		if ci.Code == c {
			return ci, true
		}
	}
	return CodeInfo{}, false
}

// FixInfo describes one fix. A Problem's Fix.ID is one of these IDs,
// whichever package reports the problem (internal/doctor, internal/drift):
// one remedy has one ID. The LuCI app has a translated label for each.
type FixInfo struct {
	ID string
	// Code is the problem the fix addresses, or "" for a fix offered for
	// several codes (keepalived_render, status, logs, …).
	Code Code
	// Safe fixes are applied by doctor_fix and offered as LuCI buttons;
	// the others are instructions (they touch both routers, or settings
	// only the user can choose). Exactly the IDs in [SafeFixIDs] are safe.
	Safe    bool
	Meaning string
}

// SafeFixIDs are the fixes the daemon's doctor_fix applies itself, in the
// order of [Fixes]; every other fix is an instruction for a person.
var SafeFixIDs = []string{"firewall_vrrp", "keepalived_start", "keepalived_render", "notify_handler", "garp_refresh"}

// Fixes is the catalogue of fixes, in a stable order. Callers must not
// modify it.
var Fixes = []FixInfo{
	{"firewall_vrrp", FirewallNoVRRPRule, true, "add the firewall rule firewall.vrrp (Allow-VRRP: from the LAN zone, protocol 112, accept) and reload the firewall"},
	{"keepalived_start", KeepalivedNotRunning, true, "enable and start the keepalived service"},
	{"keepalived_render", "", true, "render floatgw's keepalived configuration again (instance, track files, notify FIFO) and reload keepalived"},
	{"notify_handler", NotifyHandlerMissing, true, "reinstall the notify handler and make it executable"},
	{"garp_refresh", StaleARP, true, "turn on periodic gratuitous ARP refresh in the rendered keepalived configuration"},
	{"output_vrrp", AdvertSendEPERM, false, "allow outgoing VRRP (protocol 112) in your own firewall rules (iptables/nftables OUTPUT)"},
	{"unicast_peers", PeerNoAdverts, false, "allow multicast on the hypervisor's vSwitch (PVE: firewall off on the NIC; ESXi: promiscuous mode, MAC changes and forged transmits accepted), or set unicast peers on both routers"},
	{"vrid_change", VRIDConflict, false, "set a free VRID (see the scan) on both routers"},
	{"auth_pass_shorten", AuthPassTooLong, false, "use an auth_pass of at most 8 characters on both routers"},
	{"dnsmasq_hotplug", DnsmasqHotplugPresent, false, "remove keepalived-sync's /etc/hotplug.d/keepalived/551-dnsmasq, or uninstall keepalived-sync"},
	{"enable_preempt", PreemptOff, false, "turn preempt on if the preferred router should take the VIP back"},
	{"firewall_vrrp_manual", FirewallNoVRRPRule, false, "allow VRRP in by hand (nft add rule inet filter input ip protocol vrrp accept)"},
	{"advert_int", AdvertIntervalMismatch, false, "use the same advert_int on both routers"},
	{"peer.firewall.vrrp", FirewallNoVRRPRule, false, "on the peer router, accept VRRP from the LAN (run floatgw doctor there)"},
	{"peer.keepalived", KeepalivedNotRunning, false, "start keepalived on the peer router and check that it runs the same VRID"},
	{"peer.reachable", PeerUnreachable, false, "check the peer's cabling, address and firewall"},
	{"vip", VIPAddressConflict, false, "remove the VIP from the other host or choose a free VIP"},
	{"verify.on_holder", "", false, "run the verification on the router that holds the VIP"},
	{"daemon.restart", VerifyRestoreFailed, false, "restart floatgw: at start-up it undoes what a verification left behind"},
	{"status", "", false, "see floatgw status and fix what it shows first"},
	{"logs", "", false, "see floatgw logs for the cause"},
}

// LookupFix returns the catalogue entry of the fix id.
func LookupFix(id string) (FixInfo, bool) {
	for _, f := range Fixes {
		if f.ID == id {
			return f, true
		}
	}
	return FixInfo{}, false
}
