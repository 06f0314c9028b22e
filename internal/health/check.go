package health

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// Check is one health probe. Run performs it once and reports the
// outcome; it never panics and returns when ctx is done at the latest
// (the Monitor gives each run a context bounded by the check's
// timeout). A Check may be run concurrently with itself; it forks no
// process and holds no socket between runs.
type Check interface {
	Run(ctx context.Context) Result
	// String describes the check for people, e.g. "tcp 192.0.2.1:443".
	String() string
}

// Result is the outcome of one run of a Check.
type Result struct {
	OK      bool          `json:"ok"`
	Latency time.Duration `json:"latency_ns"`      // from the start of the run to the verdict
	Err     string        `json:"error,omitempty"` // why it failed; empty when OK
}

func okResult(start time.Time) Result {
	return Result{OK: true, Latency: time.Since(start)}
}

func failResult(start time.Time, format string, args ...any) Result {
	return Result{Latency: time.Since(start), Err: fmt.Sprintf(format, args...)}
}

// NewCheck builds the Check described by spec after applying defaults
// and validating it (as Config.Validate does, with the spec's own
// timeout standing in for the interval bound).
func NewCheck(spec CheckSpec) (Check, error) {
	spec = spec.withDefaults()
	if err := spec.validate(MaxInterval); err != nil {
		return nil, err
	}
	switch spec.Type {
	case CheckPing:
		return NewPingCheck(spec.Target, spec.Timeout)
	case CheckDNS:
		return NewDNSCheck(netip.AddrPortFrom(netip.MustParseAddr(spec.Target), uint16(spec.Port)), spec.Name, spec.Expect, spec.Timeout)
	case CheckTCP:
		return NewTCPCheck(spec.Target, spec.Port, spec.Timeout)
	case CheckHTTP:
		return NewHTTPCheck(spec.Target, spec.Port, spec.Path, spec.Expect, spec.Timeout)
	}
	return nil, fmt.Errorf("unknown check type %q", spec.Type)
}

// withTimeout bounds ctx by the check's own timeout, so that a Check
// used outside a Monitor still ends.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// resolve4 turns an IPv4 literal or a host name into one IPv4 address
// with the package's own stub resolver (resolve.go: hosts file, then
// UDP to the resolv.conf nameservers; no process, no cgo, no net
// resolver).
func resolve4(ctx context.Context, host string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return a, nil
	}
	addrs, err := stubSystem.lookup4(ctx, host)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("resolve %s: %w", host, err)
	}
	return addrs[0], nil
}

// TCPCheck connects to a TCP port and closes the connection at once.
type TCPCheck struct {
	host    string
	port    int
	timeout time.Duration
}

// NewTCPCheck returns a check that succeeds when a TCP connection to
// host:port is established within timeout.
func NewTCPCheck(host string, port int, timeout time.Duration) (*TCPCheck, error) {
	if err := validHost(host); err != nil {
		return nil, fmt.Errorf("tcp check target %q: %w", host, err)
	}
	if port < 1 || port > 65535 {
		return nil, fmt.Errorf("tcp check port %d: must be between 1 and 65535", port)
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("tcp check timeout %v: must be positive", timeout)
	}
	return &TCPCheck{host: host, port: port, timeout: timeout}, nil
}

// String implements Check.
func (c *TCPCheck) String() string { return fmt.Sprintf("tcp %s", hostPort(c.host, c.port)) }

// Run implements Check.
func (c *TCPCheck) Run(ctx context.Context) Result {
	start := time.Now()
	ctx, cancel := withTimeout(ctx, c.timeout)
	defer cancel()
	conn, err := dialTCP(ctx, c.host, c.port)
	if err != nil {
		return failResult(start, "%v", err)
	}
	r := okResult(start)
	conn.Close()
	return r
}

func hostPort(host string, port int) string {
	return net.JoinHostPort(host, fmt.Sprint(port))
}

func dialTCP(ctx context.Context, host string, port int) (net.Conn, error) {
	addr, err := resolve4(ctx, host)
	if err != nil {
		return nil, err
	}
	return connectTCP4(ctx, netip.AddrPortFrom(addr, uint16(port)))
}

// unwrapOp drops net.OpError's address prefix, which the check's own
// description already carries, keeping messages short.
func unwrapOp(err error) error {
	if oe, ok := err.(*net.OpError); ok && oe.Err != nil {
		return oe.Err
	}
	return err
}
