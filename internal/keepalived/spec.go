package keepalived

import (
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"time"
)

// Spec is the complete input of Render: the keepalived configuration
// floatgw owns, expressed in keepalived's own terms. The daemon builds it
// from the validated floatgw configuration. A Spec is a plain value; Render
// never modifies it.
type Spec struct {
	// RouterID is global_defs router_id. Empty leaves keepalived's default
	// (the host name).
	RouterID string

	// NotifyFIFO is the absolute path of vrrp_notify_fifo. Required: it is
	// floatgw's ordered event source (FIFOReader reads it).
	NotifyFIFO string

	// StartupDelay is vrrp_startup_delay: keepalived waits this long after
	// start before it may become MASTER (avoids boot-time false masters).
	// Zero omits the option. Resolution is 1 ms; at most 1 hour.
	StartupDelay time.Duration

	// GARP holds the global gratuitous-ARP settings. Nil leaves
	// keepalived's defaults (delay 5 s, repeat 5, no refresh).
	GARP *GARP

	// Hotplug, when non-nil, adds notify_master/backup/fault/stop commands
	// that call OpenWrt's hotplug-call the way OpenWrt's own keepalived
	// init script does (ACTION/TYPE/NAME in an empty environment). This is
	// the fallback event path; the FIFO stays the primary one.
	Hotplug *Hotplug

	// Instances are the VRRP instances, rendered in this order. At least
	// one is required.
	Instances []InstanceSpec
}

// GARP is the global gratuitous ARP behaviour of a new master
// (global_defs vrrp_garp_master_*). All fields are rendered.
type GARP struct {
	// MasterDelay is the delay before the second GARP burst after becoming
	// MASTER; whole seconds, 0 disables the second burst.
	MasterDelay time.Duration
	// MasterRepeat is the number of GARPs per burst (1..255).
	MasterRepeat int
	// MasterRefresh is the interval of periodic GARPs while MASTER; whole
	// seconds, 0 disables refresh.
	MasterRefresh time.Duration
	// MasterRefreshRepeat is the number of GARPs per refresh (1..255).
	MasterRefreshRepeat int
}

// Hotplug names the two executables of the hotplug notify commands.
type Hotplug struct {
	// Env is the absolute path of env(1), used as `env -i` so that only
	// ACTION, TYPE and NAME reach the scripts. Empty means /usr/bin/env.
	Env string
	// Call is the absolute path of hotplug-call. Empty means
	// /sbin/hotplug-call.
	Call string
}

// InstanceSpec is one vrrp_instance. Both nodes always start in BACKUP;
// priority decides who becomes MASTER.
type InstanceSpec struct {
	// Name is the instance name (vrrp_instance NAME): 1..32 characters of
	// [A-Za-z0-9_.-]. It appears in FIFO lines, logs and hotplug NAME.
	Name string
	// Interface is the device the instance runs on (e.g. br-lan).
	Interface string
	// VRID is virtual_router_id, 1..255, unique per interface.
	VRID int
	// Priority is the base priority, 1..254. 255 (address owner) is
	// rejected because keepalived ignores tracking weights for it.
	Priority int
	// Version is the VRRP version, 2 or 3. Zero means 2.
	Version int
	// AdvertInterval is advert_int: whole seconds 1..255 for VRRPv2, a
	// multiple of 10 ms from 10 ms to 40.95 s for VRRPv3.
	AdvertInterval time.Duration
	// NoPreempt renders nopreempt: a higher-priority node that comes back
	// does not take the VIP back. The default (false) is keepalived's
	// default, preempt.
	NoPreempt bool
	// PreemptDelay is preempt_delay (0..1000 s, ms resolution). Only valid
	// with preemption.
	PreemptDelay time.Duration
	// UnicastSource is unicast_src_ip; only used with UnicastPeers. The
	// zero Addr lets keepalived pick the interface's primary address.
	UnicastSource netip.Addr
	// UnicastPeers are the unicast_peer addresses (IPv4). Empty means
	// multicast to 224.0.0.18.
	UnicastPeers []netip.Addr
	// AuthPass, when non-empty, renders PASS authentication (VRRPv2 only,
	// 1..8 printable characters: keepalived truncates longer ones).
	AuthPass string
	// VIPs are the virtual addresses (IPv4, at least one). The prefix
	// length is the subnet the address is added with.
	VIPs []VIP
	// Health is the weighted health track file: the daemon writes 0
	// (healthy) or 1 (unhealthy); keepalived adds value × weight to the
	// priority. Required.
	Health TrackFile
	// DemotePath is the weight-0 demotion track file (switch, maintenance,
	// verification): any non-zero value puts the instance into FAULT, which
	// sends a priority-0 advert and hands the VIP over in about Skew_Time.
	// Required; see DESIGN.md.
	DemotePath string
	// PromotePath, when set, is a track file with weight +254 that raises
	// the priority (keepalived clamps at 254): the drift verifier started
	// on the backup writes 1 to outrank the master, which then steps down
	// when it hears the higher advert (preempt). Empty renders none.
	PromotePath string
}

// VIP is one virtual_ipaddress entry.
type VIP struct {
	// Prefix is the address with the prefix length it is added with, e.g.
	// 192.168.77.1/24. Only IPv4 is supported for now.
	Prefix netip.Prefix
	// Device is the device the address is added to. Empty means the
	// instance's Interface.
	Device string
}

// TrackFile is a weighted keepalived track_file.
type TrackFile struct {
	// Path is the absolute path of the file the daemon writes.
	Path string
	// Weight is negative, -254..-1: the priority drops by |Weight| for each
	// unit of the number in the file.
	Weight int
}

// Limits enforced by Validate, from keepalived 2.2.7 (keepalived-samples
// config-test and vrrp_parser.c ranges).
const (
	maxNameLen        = 32
	maxIfNameLen      = 15 // IFNAMSIZ - 1
	maxAuthPassLen    = 8
	maxPreemptDelay   = 1000 * time.Second
	maxStartupDelay   = time.Hour
	maxV2AdvertInt    = 255 * time.Second
	maxV3AdvertInt    = 4095 * 10 * time.Millisecond
	minV3AdvertInt    = 10 * time.Millisecond
	maxTrackWeight    = 254
	defaultHotplugEnv = "/usr/bin/env"
	defaultHotplugCmd = "/sbin/hotplug-call"
)

// Validate reports the first problem Render would refuse, naming the field.
// It is called by Render; callers may use it to check a Spec early.
func (s *Spec) Validate() error {
	if s.RouterID != "" && !isToken(s.RouterID, 64) {
		return fmt.Errorf("router_id: must be 1..64 characters of [A-Za-z0-9_.-], got %q", s.RouterID)
	}
	if err := checkPath(s.NotifyFIFO); err != nil {
		return fmt.Errorf("notify_fifo: %w", err)
	}
	if s.StartupDelay < 0 || s.StartupDelay > maxStartupDelay || s.StartupDelay%time.Millisecond != 0 {
		return fmt.Errorf("startup_delay: must be 0..1h in whole milliseconds, got %v", s.StartupDelay)
	}
	if g := s.GARP; g != nil {
		if g.MasterDelay < 0 || g.MasterDelay%time.Second != 0 || g.MasterDelay > 255*time.Second {
			return fmt.Errorf("garp master_delay: must be whole seconds 0..255, got %v", g.MasterDelay)
		}
		if g.MasterRefresh < 0 || g.MasterRefresh%time.Second != 0 || g.MasterRefresh > 86400*time.Second {
			return fmt.Errorf("garp master_refresh: must be whole seconds 0..86400, got %v", g.MasterRefresh)
		}
		// keepalived: "vrrp_garp_master_repeat must be greater than 0".
		if g.MasterRepeat < 1 || g.MasterRepeat > 255 {
			return fmt.Errorf("garp master_repeat: must be 1..255, got %d", g.MasterRepeat)
		}
		if g.MasterRefreshRepeat < 1 || g.MasterRefreshRepeat > 255 {
			return fmt.Errorf("garp master_refresh_repeat: must be 1..255, got %d", g.MasterRefreshRepeat)
		}
	}
	if h := s.Hotplug; h != nil {
		if h.Env != "" {
			if err := checkPath(h.Env); err != nil {
				return fmt.Errorf("hotplug env: %w", err)
			}
		}
		if h.Call != "" {
			if err := checkPath(h.Call); err != nil {
				return fmt.Errorf("hotplug call: %w", err)
			}
		}
	}
	if len(s.Instances) == 0 {
		return errors.New("instances: at least one vrrp instance is required")
	}
	names := map[string]bool{}
	type ifVRID struct {
		dev  string
		vrid int
	}
	vrids := map[ifVRID]string{}
	vipOwner := map[netip.Addr]string{}
	for i := range s.Instances {
		in := &s.Instances[i]
		if err := in.validate(); err != nil {
			if in.Name != "" {
				return fmt.Errorf("instance %q: %w", in.Name, err)
			}
			return fmt.Errorf("instance %d: %w", i, err)
		}
		if names[in.Name] {
			return fmt.Errorf("instance %q: name used twice", in.Name)
		}
		names[in.Name] = true
		k := ifVRID{in.Interface, in.VRID}
		if other, ok := vrids[k]; ok {
			// keepalived -t: "GW and GW2 both use VRID 51 with IPv4 on interface eth0".
			return fmt.Errorf("instance %q: vrid %d on %s already used by instance %q", in.Name, in.VRID, in.Interface, other)
		}
		vrids[k] = in.Name
		for _, v := range in.VIPs {
			if other, ok := vipOwner[v.Prefix.Addr()]; ok && other != in.Name {
				return fmt.Errorf("instance %q: vip %s already belongs to instance %q", in.Name, v.Prefix.Addr(), other)
			}
			vipOwner[v.Prefix.Addr()] = in.Name
		}
	}
	return nil
}

func (in *InstanceSpec) version() int {
	if in.Version == 0 {
		return 2
	}
	return in.Version
}

func (in *InstanceSpec) validate() error {
	if !isToken(in.Name, maxNameLen) {
		return fmt.Errorf("name: must be 1..%d characters of [A-Za-z0-9_.-], got %q", maxNameLen, in.Name)
	}
	if err := checkIfName(in.Interface); err != nil {
		return fmt.Errorf("interface: %w", err)
	}
	if in.VRID < 1 || in.VRID > 255 {
		return fmt.Errorf("vrid: must be 1..255, got %d", in.VRID)
	}
	if in.Priority < 1 || in.Priority > 254 {
		// 255 is the address owner: keepalived then ignores every tracking
		// weight ("ignoring tracked file ... due to address_owner").
		return fmt.Errorf("priority: must be 1..254, got %d", in.Priority)
	}
	switch in.version() {
	case 2:
		if in.AdvertInterval < time.Second || in.AdvertInterval > maxV2AdvertInt || in.AdvertInterval%time.Second != 0 {
			return fmt.Errorf("advert_int: VRRPv2 needs whole seconds 1..255, got %v", in.AdvertInterval)
		}
	case 3:
		if in.AdvertInterval < minV3AdvertInt || in.AdvertInterval > maxV3AdvertInt || in.AdvertInterval%(10*time.Millisecond) != 0 {
			return fmt.Errorf("advert_int: VRRPv3 needs a multiple of 10ms from 10ms to 40.95s, got %v", in.AdvertInterval)
		}
		if in.AuthPass != "" {
			return errors.New("auth_pass: VRRPv3 has no authentication")
		}
	default:
		return fmt.Errorf("version: must be 2 or 3, got %d", in.Version)
	}
	if in.NoPreempt && in.PreemptDelay != 0 {
		return fmt.Errorf("preempt_delay: incompatible with nopreempt, got %v", in.PreemptDelay)
	}
	if in.PreemptDelay < 0 || in.PreemptDelay > maxPreemptDelay || in.PreemptDelay%time.Millisecond != 0 {
		return fmt.Errorf("preempt_delay: must be 0..1000s in whole milliseconds, got %v", in.PreemptDelay)
	}
	if in.UnicastSource.IsValid() {
		if !in.UnicastSource.Is4() {
			return fmt.Errorf("unicast_src_ip: must be an IPv4 address, got %s", in.UnicastSource)
		}
		if len(in.UnicastPeers) == 0 {
			return errors.New("unicast_src_ip: set without unicast peers")
		}
	}
	seenPeer := map[netip.Addr]bool{}
	for _, p := range in.UnicastPeers {
		if !p.IsValid() || !p.Is4() || p.IsUnspecified() || p.IsMulticast() {
			return fmt.Errorf("unicast_peer: must be a unicast IPv4 address, got %s", p)
		}
		if p == in.UnicastSource {
			return fmt.Errorf("unicast_peer: %s is the unicast source itself", p)
		}
		if seenPeer[p] {
			return fmt.Errorf("unicast_peer: %s listed twice", p)
		}
		seenPeer[p] = true
	}
	if in.AuthPass != "" {
		if len(in.AuthPass) > maxAuthPassLen {
			return fmt.Errorf("auth_pass: at most %d characters (keepalived truncates longer ones), got %d", maxAuthPassLen, len(in.AuthPass))
		}
		for _, c := range []byte(in.AuthPass) {
			if c <= ' ' || c > '~' || c == '"' || c == '\'' || c == '#' || c == '!' || c == '{' || c == '}' || c == '\\' {
				return errors.New("auth_pass: only printable ASCII without spaces, quotes, '#', '!', braces or backslash")
			}
		}
	}
	if len(in.VIPs) == 0 {
		return errors.New("vips: at least one virtual address is required")
	}
	seenVIP := map[netip.Addr]bool{}
	for _, v := range in.VIPs {
		if !v.Prefix.IsValid() || !v.Prefix.Addr().Is4() {
			return fmt.Errorf("vip: must be an IPv4 address with prefix length, got %s", v.Prefix)
		}
		a := v.Prefix.Addr()
		if a.IsUnspecified() || a.IsMulticast() || a.IsLoopback() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			return fmt.Errorf("vip: %s is not a usable host address", a)
		}
		if seenVIP[a] {
			return fmt.Errorf("vip: %s listed twice", a)
		}
		seenVIP[a] = true
		if seenPeer[a] || a == in.UnicastSource {
			return fmt.Errorf("vip: %s is also a unicast address of the instance", a)
		}
		if v.Device != "" {
			if err := checkIfName(v.Device); err != nil {
				return fmt.Errorf("vip %s device: %w", a, err)
			}
		}
	}
	if err := checkPath(in.Health.Path); err != nil {
		return fmt.Errorf("health track file: %w", err)
	}
	if in.Health.Weight >= 0 || in.Health.Weight < -maxTrackWeight {
		return fmt.Errorf("health track file weight: must be -254..-1, got %d", in.Health.Weight)
	}
	if err := checkPath(in.DemotePath); err != nil {
		return fmt.Errorf("demote track file: %w", err)
	}
	if in.DemotePath == in.Health.Path {
		return fmt.Errorf("demote track file: must differ from the health track file, got %q for both", in.DemotePath)
	}
	if in.PromotePath != "" {
		if err := checkPath(in.PromotePath); err != nil {
			return fmt.Errorf("promote track file: %w", err)
		}
		if in.PromotePath == in.Health.Path || in.PromotePath == in.DemotePath {
			return fmt.Errorf("promote track file: must differ from the health and demote track files, got %q", in.PromotePath)
		}
	}
	return nil
}

// isToken reports whether s is 1..max characters of [A-Za-z0-9_.-].
func isToken(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '.', c == '-':
		default:
			return false
		}
	}
	return true
}

// checkIfName applies the kernel's dev_valid_name rules plus the characters
// keepalived's config tokenizer treats specially.
func checkIfName(s string) error {
	if s == "" || len(s) > maxIfNameLen {
		return fmt.Errorf("must be 1..%d characters, got %q", maxIfNameLen, s)
	}
	if s == "." || s == ".." {
		return fmt.Errorf("not a device name: %q", s)
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`/:"'#!{}\`, c) >= 0 {
			return fmt.Errorf("invalid character %q in device name %q", c, s)
		}
	}
	return nil
}

// checkPath accepts clean absolute paths that keepalived's tokenizer reads
// back unchanged.
func checkPath(p string) error {
	if p == "" {
		return errors.New("path is required")
	}
	if !filepath.IsAbs(p) || filepath.Clean(p) != p {
		return fmt.Errorf("must be a clean absolute path, got %q", p)
	}
	if len(p) > 1024 {
		return fmt.Errorf("path longer than 1024 bytes: %q", p[:32]+"...")
	}
	for _, c := range []byte(p) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"'#!{}\`, c) >= 0 {
			return fmt.Errorf("invalid character %q in path %q", c, p)
		}
	}
	return nil
}
