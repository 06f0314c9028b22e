package health

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Mode is the health-checking mode of PRODUCT.md §2.
type Mode string

// Health-checking modes. The package treats ModeBasic and ModeInternet
// alike: both run Config.Checks. The difference is which checks the
// configuration layer fills in by default (basic: the local upstream;
// internet: hosts beyond it), which is not this package's business.
const (
	ModeOff      Mode = "off"      // no checks; the node always counts as healthy
	ModeBasic    Mode = "basic"    // run the configured checks
	ModeInternet Mode = "internet" // run the configured checks
)

// CheckType names a kind of check.
type CheckType string

// Check types.
const (
	CheckPing CheckType = "ping" // ICMP echo, no process forked
	CheckDNS  CheckType = "dns"  // an A query sent to a given resolver over UDP
	CheckTCP  CheckType = "tcp"  // a TCP connect
	CheckHTTP CheckType = "http" // a plain-HTTP/1.1 GET expecting a 2xx status
)

// Defaults applied by Config.WithDefaults to zero fields.
const (
	DefaultInterval = 2 * time.Second
	DefaultTimeout  = time.Second
	DefaultFall     = 3
	DefaultRise     = 2
	DefaultDNSPort  = 53
	DefaultHTTPPort = 80
	DefaultDNSName  = "."
)

// Limits enforced by Config.Validate.
const (
	MinInterval  = 100 * time.Millisecond
	MaxInterval  = time.Hour
	MinTimeout   = 10 * time.Millisecond
	MaxCount     = 100 // upper bound of Fall and Rise
	MaxChecks    = 32
	MaxHoldDown  = 24 * time.Hour
	maxNameLen   = 253
	maxPathLen   = 1024
	maxTargetLen = 253
)

// CheckSpec describes one check. The zero value is not valid: Type and
// Target are required (Port too for tcp).
type CheckSpec struct {
	Type CheckType
	// Target is the host to check: an IPv4 literal or a host name
	// (resolved on every run with the pure-Go resolver, within the
	// check's timeout). For dns it is the resolver and must be an IPv4
	// literal.
	Target string
	// Timeout bounds one run of the check; zero means DefaultTimeout. It
	// must not exceed the round interval.
	Timeout time.Duration
	// Port is the TCP or UDP port: required for tcp, DefaultDNSPort for
	// dns, DefaultHTTPPort for http; ignored for ping.
	Port int
	// Name is the name queried by a dns check (an A record); default ".".
	Name string
	// Path is the request path of an http check; default "/".
	Path string
	// Expect refines success. dns: "" (NOERROR and at least one A
	// answer, or a truncated NOERROR reply), "noerror" (NOERROR, answers
	// optional), "reply" (any well-formed reply, even NXDOMAIN), or an
	// IPv4 address that must be among the A answers. http: "" (any 2xx)
	// or one three-digit status code. Must be empty for ping and tcp.
	Expect string
}

// Config is the health-checking configuration of one node. The
// configuration layer maps /etc/config/floatgw onto it; this package
// validates it again (Validate) and never reads UCI itself.
type Config struct {
	Mode     Mode
	Interval time.Duration // time between the starts of two rounds
	Fall     int           // consecutive failed rounds before DOWN
	Rise     int           // consecutive passed rounds before UP
	// K is how many of the N checks of a round must pass for the round
	// to pass; zero means all of them.
	K int
	// N is the number of checks; zero means len(Checks). When set it
	// must equal len(Checks) (it exists so that a "k-of-n" setting can
	// be checked against the list it refers to).
	N int
	// HoldDown is the least time spent DOWN before going UP again.
	HoldDown time.Duration
	Checks   []CheckSpec
}

// FieldError is a validation error naming the offending field, so the
// configuration layer can translate it into its own option names.
type FieldError struct {
	Field  string // e.g. "interval", "checks[1].port"
	Reason string // what is wrong, lower case
	Got    string // the rejected value as text
}

// Error implements error.
func (e *FieldError) Error() string {
	return fmt.Sprintf("health.%s: %s, got %q", e.Field, e.Reason, e.Got)
}

// WithDefaults returns a copy of c with zero fields replaced by the
// package defaults. Checks are copied, never aliased.
func (c Config) WithDefaults() Config {
	if c.Mode == "" {
		c.Mode = ModeBasic
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Fall == 0 {
		c.Fall = DefaultFall
	}
	if c.Rise == 0 {
		c.Rise = DefaultRise
	}
	checks := make([]CheckSpec, len(c.Checks))
	for i, s := range c.Checks {
		checks[i] = s.withDefaults()
	}
	c.Checks = checks
	if c.N == 0 {
		c.N = len(c.Checks)
	}
	if c.K == 0 {
		c.K = c.N
	}
	return c
}

func (s CheckSpec) withDefaults() CheckSpec {
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	switch s.Type {
	case CheckDNS:
		if s.Port == 0 {
			s.Port = DefaultDNSPort
		}
		if s.Name == "" {
			s.Name = DefaultDNSName
		}
	case CheckHTTP:
		if s.Port == 0 {
			s.Port = DefaultHTTPPort
		}
		if s.Path == "" {
			s.Path = "/"
		}
	}
	return s
}

// Validate checks a Config that has been through WithDefaults and
// returns the first problem as a *FieldError.
func (c Config) Validate() error {
	switch c.Mode {
	case ModeOff, ModeBasic, ModeInternet:
	default:
		return &FieldError{"mode", "must be off, basic or internet", string(c.Mode)}
	}
	if c.Interval < MinInterval || c.Interval > MaxInterval {
		return &FieldError{"interval", fmt.Sprintf("must be between %v and %v", MinInterval, MaxInterval), c.Interval.String()}
	}
	if c.Fall < 1 || c.Fall > MaxCount {
		return &FieldError{"fall", fmt.Sprintf("must be between 1 and %d", MaxCount), strconv.Itoa(c.Fall)}
	}
	if c.Rise < 1 || c.Rise > MaxCount {
		return &FieldError{"rise", fmt.Sprintf("must be between 1 and %d", MaxCount), strconv.Itoa(c.Rise)}
	}
	if c.HoldDown < 0 || c.HoldDown > MaxHoldDown {
		return &FieldError{"hold_down", fmt.Sprintf("must be between 0 and %v", MaxHoldDown), c.HoldDown.String()}
	}
	if c.Mode == ModeOff {
		return nil // checks are ignored
	}
	if len(c.Checks) == 0 {
		return &FieldError{"checks", "at least one check is required unless mode is off", "0"}
	}
	if len(c.Checks) > MaxChecks {
		return &FieldError{"checks", fmt.Sprintf("at most %d checks", MaxChecks), strconv.Itoa(len(c.Checks))}
	}
	if c.N != len(c.Checks) {
		return &FieldError{"n", fmt.Sprintf("must equal the number of checks (%d)", len(c.Checks)), strconv.Itoa(c.N)}
	}
	if c.K < 1 || c.K > c.N {
		return &FieldError{"k", fmt.Sprintf("must be between 1 and %d", c.N), strconv.Itoa(c.K)}
	}
	for i, s := range c.Checks {
		if err := s.validate(c.Interval); err != nil {
			err.Field = fmt.Sprintf("checks[%d].%s", i, err.Field)
			return err
		}
	}
	return nil
}

func (s CheckSpec) validate(interval time.Duration) *FieldError {
	switch s.Type {
	case CheckPing, CheckDNS, CheckTCP, CheckHTTP:
	default:
		return &FieldError{"type", "must be ping, dns, tcp or http", string(s.Type)}
	}
	if s.Timeout < MinTimeout || s.Timeout > interval {
		return &FieldError{"timeout", fmt.Sprintf("must be between %v and the interval (%v)", MinTimeout, interval), s.Timeout.String()}
	}
	if err := validHost(s.Target); err != nil {
		return &FieldError{"target", err.Error(), s.Target}
	}
	switch s.Type {
	case CheckPing:
		if s.Port != 0 {
			return &FieldError{"port", "not used by ping", strconv.Itoa(s.Port)}
		}
	default:
		if s.Port < 1 || s.Port > 65535 {
			return &FieldError{"port", "must be between 1 and 65535", strconv.Itoa(s.Port)}
		}
	}
	switch s.Type {
	case CheckPing, CheckTCP:
		if s.Expect != "" {
			return &FieldError{"expect", "not used by " + string(s.Type), s.Expect}
		}
	case CheckDNS:
		if a, err := netip.ParseAddr(s.Target); err != nil || !a.Is4() {
			return &FieldError{"target", "the resolver must be an IPv4 address", s.Target}
		}
		if _, err := encodeName(nil, s.Name); err != nil {
			return &FieldError{"name", err.Error(), s.Name}
		}
		if _, err := parseDNSExpect(s.Expect); err != nil {
			return &FieldError{"expect", err.Error(), s.Expect}
		}
	case CheckHTTP:
		if err := validPath(s.Path); err != nil {
			return &FieldError{"path", err.Error(), s.Path}
		}
		if _, err := parseHTTPExpect(s.Expect); err != nil {
			return &FieldError{"expect", err.Error(), s.Expect}
		}
	}
	return nil
}

// validHost accepts an IPv4 literal or a DNS host name.
func validHost(h string) error {
	if h == "" {
		return fmt.Errorf("required")
	}
	if a, err := netip.ParseAddr(h); err == nil {
		if !a.Is4() {
			return fmt.Errorf("must be an IPv4 address or a host name (IPv6 is not supported yet)")
		}
		return nil
	}
	if len(h) > maxTargetLen {
		return fmt.Errorf("host name longer than %d characters", maxTargetLen)
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("must be an IPv4 address or a host name")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
				c == '-' && i > 0 && i < len(label)-1 || c == '_'
			if !ok {
				return fmt.Errorf("must be an IPv4 address or a host name")
			}
		}
	}
	return nil
}

// validPath accepts an origin-form request target (RFC 9112 §3.2.1)
// made of visible ASCII, so that it cannot inject header lines.
func validPath(p string) error {
	if p == "" || p[0] != '/' {
		return fmt.Errorf("must start with /")
	}
	if len(p) > maxPathLen {
		return fmt.Errorf("longer than %d characters", maxPathLen)
	}
	for i := 0; i < len(p); i++ {
		if p[i] <= ' ' || p[i] >= 0x7f {
			return fmt.Errorf("must be visible ASCII without spaces")
		}
	}
	return nil
}
