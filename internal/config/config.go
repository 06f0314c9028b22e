package config

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/floatgw/floatgw/uci"
)

// Role is this node's place in the pair.
type Role string

// Roles. The primary is the node that should hold the VIP while it is
// healthy: in the usual home setup that is the bypass router (旁路由), whose
// proxy or second uplink is the reason the VIP exists. The secondary (usually
// the main router) takes the VIP over when the primary fails or is demoted.
const (
	RolePrimary   Role = "primary"
	RoleSecondary Role = "secondary"
)

// Default priorities per role. They are far enough apart that one unhealthy
// step (DefaultWeight) always moves the primary below the secondary.
const (
	DefaultPriorityPrimary   = 150
	DefaultPrioritySecondary = 100
	DefaultWeight            = 100
	DefaultVRID              = 51
	DefaultLAN               = "lan"
)

// HealthMode selects what health checking does.
type HealthMode string

// Health modes.
const (
	HealthOff      HealthMode = "off"      // no checks; always healthy
	HealthBasic    HealthMode = "basic"    // run the configured checks
	HealthInternet HealthMode = "internet" // run the configured checks (meant for upstream targets)
)

// CheckType is the kind of one health check.
type CheckType string

// Check types.
const (
	CheckPing CheckType = "ping"
	CheckDNS  CheckType = "dns"
	CheckTCP  CheckType = "tcp"
	CheckHTTP CheckType = "http"
)

// Config is the validated content of /etc/config/floatgw. It is a plain
// value built only by Parse; treat it as immutable (slices are never shared
// with other Configs).
type Config struct {
	Enabled bool
	Role    Role
	// Priority is the base VRRP priority, 1–254.
	Priority int
	// LAN is the logical OpenWrt network ("lan"); empty when the device
	// was given explicitly (lan_device).
	LAN string
	// Device is the LAN device VRRP runs on (e.g. br-lan).
	Device string
	// Address is this node's LAN address with the subnet prefix.
	Address netip.Prefix
	// VIPs are the virtual addresses with their prefix length.
	VIPs []netip.Prefix
	VRID int
	// Version is the VRRP version, 2 or 3.
	Version int
	// AdvertInt is the advertisement interval.
	AdvertInt    time.Duration
	Preempt      bool
	PreemptDelay time.Duration
	// Peers are unicast peers; empty means multicast (224.0.0.18).
	Peers    []netip.Addr
	AuthPass string
	GARP     GARP
	// StartupDelay keeps keepalived from becoming MASTER right after start.
	StartupDelay time.Duration
	// DHCPGateway makes floatgw hand out the first VIP as the default
	// gateway (dnsmasq option 3) on the LAN. Meant for the DHCP server.
	DHCPGateway bool
	// Firewall makes floatgw maintain the firewall rule firewall.vrrp.
	Firewall bool
	Health   Health
}

// GARP are the gratuitous ARP settings of a new master.
type GARP struct {
	MasterDelay         time.Duration
	MasterRepeat        int
	MasterRefresh       time.Duration
	MasterRefreshRepeat int
}

// Health is the health-checking configuration.
type Health struct {
	Mode     HealthMode
	Interval time.Duration
	Fall     int
	Rise     int
	// K of the N checks of a round must pass.
	K, N     int
	HoldDown time.Duration
	// Weight is how much an unhealthy verdict lowers the priority (1–254).
	Weight int
	Checks []Check
}

// Check is one enabled health check.
type Check struct {
	// Section is the UCI section reference, for messages (e.g. "@check[0]").
	Section string
	Type    CheckType
	Target  string
	Timeout time.Duration
	Port    int    // tcp (required), dns (53), http (80)
	Name    string // dns: name queried (default ".")
	Path    string // http: request path (default "/")
	Expect  string // dns/http: see the reference config
}

// Env is what Parse needs to know about this machine: where the LAN is and
// which addresses this node has there. The daemon resolves it (netifd's
// network.interface.<lan> status on OpenWrt, the kernel's addresses
// elsewhere) and passes it in, so Parse stays pure. The options lan_device
// and lan_address override it.
type Env struct {
	// LANDevice is the device of the configured logical network.
	LANDevice string
	// LANAddrs are this node's IPv4 addresses on that device, with prefix.
	// The first one is this node's LAN address.
	LANAddrs []netip.Prefix
}

// FieldError is one rejected value: floatgw.<section>.<option>: <reason>,
// got "<value>".
type FieldError struct {
	Section string // e.g. "main", "@check[1]"
	Option  string // empty for a problem with a whole section
	Reason  string
	Value   string
}

func (e *FieldError) Error() string {
	field := "floatgw." + e.Section
	if e.Option != "" {
		field += "." + e.Option
	}
	return fmt.Sprintf("%s: %s, got %q", field, e.Reason, e.Value)
}

// Field is the dotted name of the offending option.
func (e *FieldError) Field() string {
	if e.Option == "" {
		return "floatgw." + e.Section
	}
	return "floatgw." + e.Section + "." + e.Option
}

// Error lists every problem Parse found, in file order.
type Error struct {
	Problems []*FieldError
}

func (e *Error) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Error()
	}
	return strings.Join(parts, "; ")
}

// Problems returns the FieldErrors inside err (nil if there are none).
func Problems(err error) []*FieldError {
	var ce *Error
	if errors.As(err, &ce) {
		return ce.Problems
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return []*FieldError{fe}
	}
	return nil
}

// reader collects problems while reading one section.
type reader struct {
	errs *[]*FieldError
	ref  string
	sec  uci.Section
	used map[string]bool
}

func (r *reader) fail(opt, value, format string, args ...any) {
	*r.errs = append(*r.errs, &FieldError{Section: r.ref, Option: opt, Reason: fmt.Sprintf(format, args...), Value: value})
}

func (r *reader) raw(opt string) (string, bool) {
	r.used[opt] = true
	o, ok := r.sec.Option(opt)
	if !ok {
		return "", false
	}
	if o.List {
		if len(o.Values) == 1 {
			return o.Values[0], true
		}
		r.fail(opt, strings.Join(o.Values, " "), "must be a single value, not a list")
		return "", false
	}
	return o.Values[0], true
}

func (r *reader) list(opt string) []string {
	r.used[opt] = true
	o, ok := r.sec.Option(opt)
	if !ok {
		return nil
	}
	if o.List {
		return o.Values
	}
	// `option vip 'a b'` is accepted as a space-separated list, the way
	// OpenWrt's shell helpers (config_list_foreach callers) often treat it.
	return strings.Fields(o.Values[0])
}

func parseBool(s string) (bool, bool) {
	switch s {
	case "1", "on", "true", "yes", "enabled":
		return true, true
	case "0", "off", "false", "no", "disabled":
		return false, true
	}
	return false, false
}

func (r *reader) boolean(opt string, def bool) bool {
	v, ok := r.raw(opt)
	if !ok {
		return def
	}
	b, ok := parseBool(v)
	if !ok {
		r.fail(opt, v, "must be 0 or 1")
		return def
	}
	return b
}

func (r *reader) integer(opt string, lo, hi, def int) int {
	v, ok := r.raw(opt)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi || strings.HasPrefix(v, "+") {
		r.fail(opt, v, "must be %d–%d", lo, hi)
		return def
	}
	return n
}

// parseSeconds reads a decimal number of seconds with at most 3 decimals
// ("1", "0.5", "2.25") into a Duration, without floating point.
func parseSeconds(s string) (time.Duration, bool) {
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" && !hasDot || len(intPart) > 7 || len(frac) > 3 || hasDot && frac == "" {
		return 0, false
	}
	if intPart == "" {
		intPart = "0"
	}
	for _, c := range intPart + frac {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, _ := strconv.Atoi(intPart)
	ms := 0
	if frac != "" {
		f := frac + strings.Repeat("0", 3-len(frac))
		ms, _ = strconv.Atoi(f)
	}
	return time.Duration(n)*time.Second + time.Duration(ms)*time.Millisecond, true
}

func (r *reader) seconds(opt string, lo, hi, def time.Duration) (time.Duration, string) {
	v, ok := r.raw(opt)
	if !ok {
		return def, ""
	}
	d, ok := parseSeconds(v)
	if !ok || d < lo || d > hi {
		r.fail(opt, v, "must be %s–%s seconds", fmtSec(lo), fmtSec(hi))
		return def, v
	}
	return d, v
}

func fmtSec(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

func (r *reader) unknown() {
	for _, o := range r.sec.Options {
		if !r.used[o.Name] {
			r.fail(o.Name, strings.Join(o.Values, " "), "unknown option")
		}
	}
}

// Parse reads and validates floatgw's package. It is the only place that
// interprets /etc/config/floatgw. On any problem it returns a *Error listing
// every rejected value and a nil Config.
func Parse(pkg *uci.Package, env Env) (*Config, error) {
	if pkg == nil {
		return nil, errors.New("config: no package")
	}
	var errs []*FieldError
	c := &Config{}

	var mains, healths []uci.Section
	checks := []struct {
		ref string
		sec uci.Section
	}{}
	count := map[string]int{}
	for _, s := range pkg.Sections() {
		ref := s.Name
		if s.Anonymous {
			ref = fmt.Sprintf("@%s[%d]", s.Type, count[s.Type])
		}
		count[s.Type]++
		switch s.Type {
		case "floatgw":
			mains = append(mains, s)
		case "health":
			healths = append(healths, s)
		case "check":
			checks = append(checks, struct {
				ref string
				sec uci.Section
			}{ref, s})
		default:
			errs = append(errs, &FieldError{Section: ref, Reason: "unknown section type (want floatgw, health or check)", Value: s.Type})
		}
	}
	switch {
	case len(mains) == 0:
		errs = append(errs, &FieldError{Section: "main", Reason: "missing section `config floatgw 'main'`", Value: ""})
		return nil, &Error{errs}
	case len(mains) > 1:
		errs = append(errs, &FieldError{Section: mains[1].Name, Reason: "only one floatgw section is allowed", Value: mains[1].Name})
	}
	if len(healths) > 1 {
		errs = append(errs, &FieldError{Section: healths[1].Name, Reason: "only one health section is allowed", Value: healths[1].Name})
	}
	ref := mains[0].Name
	if mains[0].Anonymous {
		ref = "@floatgw[0]"
	}
	r := &reader{errs: &errs, ref: ref, sec: mains[0], used: map[string]bool{}}
	parseMain(r, c, env)
	r.unknown()

	hs := uci.Section{Name: "health", Type: "health"}
	href := "health"
	if len(healths) > 0 {
		hs = healths[0]
		href = hs.Name
		if hs.Anonymous {
			href = "@health[0]"
		}
	}
	hr := &reader{errs: &errs, ref: href, sec: hs, used: map[string]bool{}}
	parseHealth(hr, c, checks)
	hr.unknown()

	if len(errs) > 0 {
		return nil, &Error{errs}
	}
	return c, nil
}

func parseMain(r *reader, c *Config, env Env) {
	c.Enabled = r.boolean("enabled", true)
	role, ok := r.raw("role")
	switch {
	case !ok:
		c.Role = RoleSecondary
	case role == string(RolePrimary) || role == string(RoleSecondary):
		c.Role = Role(role)
	default:
		r.fail("role", role, "must be primary or secondary")
		c.Role = RoleSecondary
	}
	def := DefaultPrioritySecondary
	if c.Role == RolePrimary {
		def = DefaultPriorityPrimary
	}
	c.Priority = r.integer("priority", 1, 254, def)

	// the LAN: explicit device and address, or a logical network
	dev, hasDev := r.raw("lan_device")
	addrText, hasAddr := r.raw("lan_address")
	lan, hasLAN := r.raw("lan")
	if hasDev {
		if !validDevice(dev) {
			r.fail("lan_device", dev, "must be a network device name (1–15 characters, no / or spaces)")
		}
		if hasLAN {
			r.fail("lan", lan, "set either lan or lan_device, not both")
		}
		c.Device = dev
	} else {
		if !hasLAN {
			lan = DefaultLAN
		} else if !validLogical(lan) {
			r.fail("lan", lan, "must be an OpenWrt network name (letters, digits, _)")
		}
		c.LAN = lan
		c.Device = env.LANDevice
	}
	if hasAddr {
		p, err := netip.ParsePrefix(addrText)
		if err != nil || !p.Addr().Is4() || p.Bits() < 8 || p.Bits() > 30 {
			r.fail("lan_address", addrText, "must be this node's IPv4 address with prefix, like 192.168.1.2/24 (prefix 8–30)")
		} else {
			c.Address = p
		}
	} else {
		for _, a := range env.LANAddrs {
			if a.Addr().Is4() {
				c.Address = a
				break
			}
		}
	}
	// Without a device or address nothing below can be checked; when the
	// node is disabled that is fine (e.g. the shipped file on a fresh box).
	haveLAN := c.Device != "" && c.Address.IsValid()
	if c.Enabled && c.Device == "" {
		r.fail("lan", c.LAN, "network has no device (is it up?); set lan_device on plain Linux")
	}
	if c.Enabled && c.Device != "" && !c.Address.IsValid() {
		opt, val := "lan", c.LAN
		if hasDev {
			opt, val = "lan_device", dev
		}
		r.fail(opt, val, "no IPv4 address found on the LAN device %s; set lan_address", c.Device)
	}
	subnet := c.Address.Masked()

	// VIPs
	seen := map[netip.Addr]bool{}
	for _, v := range r.list("vip") {
		p, ok := parseVIP(v, c.Address)
		if !ok {
			r.fail("vip", v, "must be an IPv4 address, optionally with /prefix")
			continue
		}
		a := p.Addr()
		switch {
		case seen[a]:
			r.fail("vip", v, "listed twice")
			continue
		case a.IsLoopback() || a.IsMulticast() || a.IsUnspecified() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
			r.fail("vip", v, "must be a unicast address")
			continue
		}
		seen[a] = true
		if haveLAN {
			switch {
			case !subnet.Contains(a):
				r.fail("vip", v, "must be inside the LAN subnet %s", subnet)
			case p.Bits() != c.Address.Bits():
				r.fail("vip", v, "prefix must match the LAN's /%d", c.Address.Bits())
			case a == subnet.Addr() || a == broadcast(subnet):
				r.fail("vip", v, "is the network or broadcast address of %s", subnet)
			case isOwn(a, c.Address, envAddrs(env, hasAddr)):
				r.fail("vip", v, "is an address of this node; the VIP must be a free address")
			}
		}
		c.VIPs = append(c.VIPs, p)
	}
	if len(c.VIPs) == 0 && c.Enabled {
		r.fail("vip", "", "at least one virtual IP is required")
	}
	if len(c.VIPs) > 20 {
		r.fail("vip", strconv.Itoa(len(c.VIPs)), "at most 20 virtual IPs")
	}

	c.VRID = r.integer("vrid", 1, 255, DefaultVRID)
	c.Version = 2
	if v, ok := r.raw("version"); ok {
		switch v {
		case "2", "3":
			c.Version = int(v[0] - '0')
		default:
			r.fail("version", v, "must be 2 or 3")
		}
	}
	c.AdvertInt = time.Second
	if v, ok := r.raw("advert_int"); ok {
		d, good := parseSeconds(v)
		switch {
		case !good:
			r.fail("advert_int", v, "must be a number of seconds")
		case c.Version == 2 && d%time.Second != 0:
			r.fail("advert_int", v, "sub-second intervals need version 3")
		case c.Version == 2 && (d < time.Second || d > 255*time.Second):
			r.fail("advert_int", v, "must be 1–255 seconds with VRRPv2")
		case c.Version == 3 && (d%(10*time.Millisecond) != 0 || d < 10*time.Millisecond || d > 40950*time.Millisecond):
			r.fail("advert_int", v, "must be 0.01–40.95 seconds in steps of 0.01 with VRRPv3")
		default:
			c.AdvertInt = d
		}
	}
	c.Preempt = r.boolean("preempt", true)
	var pdText string
	c.PreemptDelay, pdText = r.seconds("preempt_delay", 0, 1000*time.Second, 0)
	if c.PreemptDelay > 0 && !c.Preempt {
		r.fail("preempt_delay", pdText, "only makes sense with preempt 1")
	}

	seenPeer := map[netip.Addr]bool{}
	for _, v := range r.list("peer") {
		a, err := netip.ParseAddr(v)
		if err != nil || !a.Is4() {
			r.fail("peer", v, "must be an IPv4 address")
			continue
		}
		switch {
		case seenPeer[a]:
			r.fail("peer", v, "listed twice")
		case seen[a]:
			r.fail("peer", v, "is a VIP; list the peer's own address")
		case haveLAN && isOwn(a, c.Address, envAddrs(env, hasAddr)):
			r.fail("peer", v, "is this node; list the other router's address")
		case haveLAN && !subnet.Contains(a):
			r.fail("peer", v, "must be inside the LAN subnet %s", subnet)
		default:
			seenPeer[a] = true
			c.Peers = append(c.Peers, a)
			continue
		}
	}
	if v, ok := r.raw("auth_pass"); ok {
		switch {
		case c.Version != 2:
			r.fail("auth_pass", v, "authentication exists only in VRRPv2 (version 2)")
		case len(v) > 8:
			r.fail("auth_pass", v, "at most 8 characters (keepalived silently truncates longer ones)")
		case !printable(v):
			r.fail("auth_pass", v, "only printable ASCII without spaces")
		default:
			c.AuthPass = v
		}
	}

	c.GARP.MasterDelay, _ = r.wholeSeconds("garp_master_delay", 0, 255, 5*time.Second)
	c.GARP.MasterRepeat = r.integer("garp_master_repeat", 1, 255, 5)
	c.GARP.MasterRefresh, _ = r.wholeSeconds("garp_master_refresh", 0, 86400, 10*time.Second)
	c.GARP.MasterRefreshRepeat = r.integer("garp_master_refresh_repeat", 1, 255, 1)
	c.StartupDelay, _ = r.seconds("startup_delay", 0, time.Hour, 0)
	c.DHCPGateway = r.boolean("dhcp_gateway", false)
	c.Firewall = r.boolean("firewall", true)
}

func (r *reader) wholeSeconds(opt string, lo, hi int, def time.Duration) (time.Duration, bool) {
	n := r.integer(opt, lo, hi, int(def/time.Second))
	return time.Duration(n) * time.Second, true
}

func envAddrs(env Env, explicit bool) []netip.Prefix {
	if explicit {
		return nil
	}
	return env.LANAddrs
}

func isOwn(a netip.Addr, self netip.Prefix, others []netip.Prefix) bool {
	if self.IsValid() && self.Addr() == a {
		return true
	}
	for _, p := range others {
		if p.Addr() == a {
			return true
		}
	}
	return false
}

func broadcast(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func parseVIP(v string, lan netip.Prefix) (netip.Prefix, bool) {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		if err != nil || !p.Addr().Is4() || p.Bits() < 8 || p.Bits() > 32 {
			return netip.Prefix{}, false
		}
		return p, true
	}
	a, err := netip.ParseAddr(v)
	if err != nil || !a.Is4() {
		return netip.Prefix{}, false
	}
	bits := 32
	if lan.IsValid() {
		bits = lan.Bits()
	}
	return netip.PrefixFrom(a, bits), true
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return s != ""
}

func validDevice(s string) bool {
	if s == "" || len(s) > 15 || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == '/' || c == ':' || c > '~' {
			return false
		}
	}
	return true
}

func validLogical(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func parseHealth(r *reader, c *Config, checks []struct {
	ref string
	sec uci.Section
}) {
	h := &c.Health
	h.Mode = HealthOff
	if len(checks) > 0 {
		h.Mode = HealthBasic
	}
	if v, ok := r.raw("mode"); ok {
		switch HealthMode(v) {
		case HealthOff, HealthBasic, HealthInternet:
			h.Mode = HealthMode(v)
		default:
			r.fail("mode", v, "must be off, basic or internet")
		}
	}
	h.Interval, _ = r.seconds("interval", 100*time.Millisecond, time.Hour, 2*time.Second)
	h.Fall = r.integer("fall", 1, 100, 3)
	h.Rise = r.integer("rise", 1, 100, 2)
	h.HoldDown, _ = r.seconds("hold_down", 0, 24*time.Hour, 0)
	h.Weight = r.integer("weight", 1, 254, DefaultWeight)

	for _, cs := range checks {
		cr := &reader{errs: r.errs, ref: cs.ref, sec: cs.sec, used: map[string]bool{}}
		if ck, ok := parseCheck(cr, h.Interval); ok {
			h.Checks = append(h.Checks, ck)
		}
		cr.unknown()
	}
	n := len(h.Checks)
	if v, set := r.raw("n"); set {
		if x, err := strconv.Atoi(v); err != nil || x != n {
			r.fail("n", v, "must equal the number of enabled checks (%d)", n)
		}
	}
	h.N, h.K = n, n
	if v, set := r.raw("k"); set {
		x, err := strconv.Atoi(v)
		if err != nil || x < 1 || x > n {
			r.fail("k", v, "must be 1–n, where n is the number of enabled checks (%d)", n)
		} else {
			h.K = x
		}
	}
	if h.Mode != HealthOff && n == 0 {
		if mv, set := r.raw("mode"); set {
			r.fail("mode", mv, "health checking is on but there is no enabled check section")
		} else {
			h.Mode = HealthOff // only disabled (or invalid, reported) checks
		}
	}
	if n > 32 {
		r.fail("", strconv.Itoa(n), "at most 32 checks")
	}
}

func parseCheck(r *reader, interval time.Duration) (Check, bool) {
	ck := Check{Section: r.ref}
	if !r.boolean("enabled", true) {
		for _, o := range r.sec.Options {
			r.used[o.Name] = true
		}
		return ck, false
	}
	t, ok := r.raw("type")
	switch CheckType(t) {
	case CheckPing, CheckDNS, CheckTCP, CheckHTTP:
		ck.Type = CheckType(t)
	default:
		if !ok {
			r.fail("type", "", "required: ping, dns, tcp or http")
		} else {
			r.fail("type", t, "must be ping, dns, tcp or http")
		}
		for _, o := range r.sec.Options {
			r.used[o.Name] = true
		}
		return ck, false
	}
	target, ok := r.raw("target")
	switch {
	case !ok:
		r.fail("target", "", "required")
	case !validHost(target):
		r.fail("target", target, "must be an IPv4 address or a host name")
	case ck.Type == CheckDNS:
		if a, err := netip.ParseAddr(target); err != nil || !a.Is4() {
			r.fail("target", target, "a dns check's target is the resolver and must be an IPv4 address")
		}
	}
	ck.Target = target
	var tText string
	ck.Timeout, tText = r.seconds("timeout", 10*time.Millisecond, time.Hour, time.Second)
	if ck.Timeout > interval {
		if tText == "" {
			tText = fmtSec(ck.Timeout)
		}
		r.fail("timeout", tText, "must not exceed the health interval (%s s)", fmtSec(interval))
	}
	switch ck.Type {
	case CheckTCP:
		if _, set := r.sec.Option("port"); !set {
			r.fail("port", "", "required for a tcp check")
		}
		ck.Port = r.integer("port", 1, 65535, 0)
	case CheckDNS:
		ck.Port = r.integer("port", 1, 65535, 53)
		ck.Name = "."
		if v, ok := r.raw("name"); ok {
			if len(v) > 253 || strings.ContainsAny(v, " \t/") {
				r.fail("name", v, "must be a DNS name")
			}
			ck.Name = v
		}
		if v, ok := r.raw("expect"); ok {
			a, err := netip.ParseAddr(v)
			if v != "noerror" && v != "reply" && (err != nil || !a.Is4()) {
				r.fail("expect", v, "must be noerror, reply or an IPv4 address")
			}
			ck.Expect = v
		}
	case CheckHTTP:
		ck.Port = r.integer("port", 1, 65535, 80)
		ck.Path = "/"
		if v, ok := r.raw("path"); ok {
			if !strings.HasPrefix(v, "/") || strings.ContainsAny(v, " \r\n\t") {
				r.fail("path", v, "must start with / and contain no spaces")
			}
			ck.Path = v
		}
		if v, ok := r.raw("expect"); ok {
			n, err := strconv.Atoi(v)
			if err != nil || len(v) != 3 || n < 100 || n > 599 {
				r.fail("expect", v, "must be an HTTP status code (100–599)")
			}
			ck.Expect = v
		}
	}
	return ck, true
}

func validHost(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Is4()
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// Minimal is the smallest useful configuration: a primary node with one VIP
// on the default LAN, health checking off.
const Minimal = `
config floatgw 'main'
	option role 'primary'
	list vip '192.168.1.254'
`
