package health

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"
)

// This file is a small IPv4 stub resolver for the host names of checks.
// It replaces net.DefaultResolver: any reachable use of net's resolver
// (or of the generic net.Dial/Listen, which resolve through it) links
// about 218 KB on mipsle (136 KB of it code), a good part of the 4 MiB
// budget.
//
// It does what the pure-Go net resolver did for a name without search
// domains: the hosts file first, then an A query over UDP to each
// nameserver of resolv.conf in order, for options attempts rounds. It
// reuses the dns check's codec (buildQuery, parseReply) and follows the
// CNAME chain in the reply. It does not use search or domain lines
// (dnsmasq on OpenWrt answers bare local names itself), speak TCP (a
// truncated reply is an error that says so), cache, or ask for AAAA.

// Resolver defaults, as in glibc and Go's net (resolv.conf(5)).
const (
	resolvDefaultTimeout  = 5 * time.Second
	resolvDefaultAttempts = 2
	resolvMaxTimeout      = 30 * time.Second
	resolvMaxAttempts     = 5
	resolvMaxServers      = 3 // MAXNS
)

// resolver reads its configuration from files at each lookup, so that
// a changed resolv.conf (netifd rewrites it on every WAN event) takes
// effect at the next check run.
type resolver struct {
	hostsPath string
	// confPaths are read in order; the first that names a nameserver
	// is used. On OpenWrt /etc/resolv.conf names dnsmasq (127.0.0.1)
	// and, with dnsmasq disabled, /tmp/resolv.conf.d/resolv.conf.auto
	// holds the upstream servers netifd learnt.
	confPaths []string
	port      uint16 // 53; tests point it at their own server
}

var stubSystem = &resolver{
	hostsPath: "/etc/hosts",
	confPaths: []string{"/etc/resolv.conf", "/tmp/resolv.conf.d/resolv.conf.auto"},
	port:      53,
}

// resolvConf is the part of resolv.conf the resolver uses.
type resolvConf struct {
	Servers  []netip.Addr
	Timeout  time.Duration // per query, options timeout:n
	Attempts int           // rounds over the servers, options attempts:n
}

// parseResolvConf reads resolv.conf text (resolv.conf(5)): at most
// three nameserver lines and the timeout and attempts options; other
// lines, malformed addresses and unknown options are skipped, as the
// C library does. It never fails.
func parseResolvConf(b []byte) resolvConf {
	c := resolvConf{Timeout: resolvDefaultTimeout, Attempts: resolvDefaultAttempts}
	for _, line := range bytes.Split(b, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) == 0 || f[0][0] == '#' || f[0][0] == ';' {
			continue
		}
		switch f[0] {
		case "nameserver":
			if len(f) < 2 || len(c.Servers) == resolvMaxServers {
				continue
			}
			if a, err := netip.ParseAddr(f[1]); err == nil {
				c.Servers = append(c.Servers, a.Unmap())
			}
		case "options":
			for _, o := range f[1:] {
				if v, ok := strings.CutPrefix(o, "timeout:"); ok {
					if n, err := strconv.Atoi(v); err == nil {
						c.Timeout = min(max(time.Duration(n)*time.Second, time.Second), resolvMaxTimeout)
					}
				} else if v, ok := strings.CutPrefix(o, "attempts:"); ok {
					if n, err := strconv.Atoi(v); err == nil {
						c.Attempts = min(max(n, 1), resolvMaxAttempts)
					}
				}
			}
		}
	}
	return c
}

// hostsLookup4 returns the IPv4 addresses hosts-file text (hosts(5))
// gives name, in file order. name is compared without case and without
// a trailing dot; IPv6 and malformed lines are skipped.
func hostsLookup4(b []byte, name string) []netip.Addr {
	name = strings.TrimSuffix(name, ".")
	var addrs []netip.Addr
	for _, line := range bytes.Split(b, []byte("\n")) {
		if i := bytes.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(string(line))
		if len(f) < 2 {
			continue
		}
		a, err := netip.ParseAddr(f[0])
		if err != nil || !a.Is4() {
			continue
		}
		for _, h := range f[1:] {
			if strings.EqualFold(strings.TrimSuffix(h, "."), name) {
				addrs = append(addrs, a)
				break
			}
		}
	}
	return addrs
}

// conf reads the first configuration file that names a nameserver.
// With none, the servers are the local host's (127.0.0.1, then ::1, as
// in Go and glibc) and the options those of the first file.
func (r *resolver) conf() resolvConf {
	first := parseResolvConf(nil)
	for i, p := range r.confPaths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		c := parseResolvConf(b)
		if len(c.Servers) > 0 {
			return c
		}
		if i == 0 {
			first = c
		}
	}
	first.Servers = []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()}
	return first
}

// finalError marks answers another server would not change (the name does
// not exist, has no A record, or needs TCP).
type finalError struct{ err error }

func (e *finalError) Error() string { return e.err.Error() }
func (e *finalError) Unwrap() error { return e.err }

// lookup4 returns the IPv4 addresses of name: from the hosts file if it
// lists the name, else from DNS. It returns when ctx ends at the latest.
// It is safe for concurrent use.
func (r *resolver) lookup4(ctx context.Context, name string) ([]netip.Addr, error) {
	name = strings.TrimSuffix(name, ".")
	if _, err := encodeName(nil, name); err != nil || name == "" {
		return nil, fmt.Errorf("bad host name %q", name)
	}
	if b, err := os.ReadFile(r.hostsPath); err == nil {
		if a := hostsLookup4(b, name); len(a) > 0 {
			return a, nil
		}
	}
	c := r.conf()
	tries := c.Attempts * len(c.Servers)
	var lastErr error
	for i := 0; i < tries; i++ {
		if err := ctx.Err(); err != nil {
			break
		}
		server := netip.AddrPortFrom(c.Servers[i%len(c.Servers)], r.port)
		// Each try gets the configured timeout, but no more than its
		// share of what is left of ctx, so every server is asked.
		wait := c.Timeout
		if dl, ok := ctx.Deadline(); ok {
			if share := time.Until(dl) / time.Duration(tries-i); share < wait {
				wait = share
			}
		}
		addrs, err := exchange4(ctx, server, name, wait)
		if err == nil {
			return addrs, nil
		}
		var fe *finalError
		if errors.As(err, &fe) {
			return nil, fe.err
		}
		lastErr = err
	}
	if lastErr == nil {
		lastErr = ctx.Err()
	}
	return nil, lastErr
}

// exchange4 sends one A query for name to server and waits up to wait
// (and no longer than parent) for its reply, through the dns check's
// exchange.
func exchange4(parent context.Context, server netip.AddrPort, name string, wait time.Duration) ([]netip.Addr, error) {
	// The id only has to make off-path forgery unlikely; see DNSCheck.Run.
	id := uint16(rand.Uint32())
	q, err := buildQuery(id, name)
	if err != nil {
		return nil, &finalError{err}
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(parent, wait)
	defer cancel()
	rep, fail := exchange(ctx, server, id, q, name)
	switch {
	case fail == nil:
		return rep.answer4(server, name)
	case fail.step != "":
		return nil, fmt.Errorf("query %s: %w", server, fail.err)
	}
	why := fmt.Errorf("no reply within %v", time.Since(start).Round(time.Millisecond))
	if errors.Is(parent.Err(), context.Canceled) {
		why = context.Canceled
	}
	if fail.lastBad != nil {
		return nil, fmt.Errorf("query %s: %w (last bad reply: %v)", server, why, fail.lastBad)
	}
	return nil, fmt.Errorf("query %s: %w", server, why)
}

// answer4 turns a matching reply into addresses or an error; answers
// another server would not change are final.
func (r dnsReply) answer4(server netip.AddrPort, name string) ([]netip.Addr, error) {
	switch {
	case r.Truncated:
		return nil, &finalError{fmt.Errorf("reply from %s truncated: the answer needs DNS over TCP, which this resolver does not speak", server)}
	case r.Rcode == RcodeNXDomain:
		return nil, &finalError{fmt.Errorf("no such host (NXDOMAIN from %s)", server)}
	case r.Rcode != RcodeNoError:
		return nil, fmt.Errorf("query %s: server answered %s", server, rcodeName(r.Rcode))
	}
	addrs, end, err := r.chase(name)
	if err != nil {
		return nil, &finalError{fmt.Errorf("reply from %s: %w", server, err)}
	}
	if len(addrs) == 0 {
		if end != strings.ToLower(name) {
			return nil, &finalError{fmt.Errorf("no IPv4 address (CNAME chain ends at %s without one; from %s)", end, server)}
		}
		return nil, &finalError{fmt.Errorf("no IPv4 address (from %s)", server)}
	}
	return addrs, nil
}
