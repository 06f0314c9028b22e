package health

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"
)

// DNS wire constants (RFC 1035 §4.1).
const (
	dnsHeaderLen  = 12
	dnsTypeA      = 1
	dnsTypeCNAME  = 5
	dnsClassIN    = 1
	dnsFlagQR     = 1 << 15
	dnsFlagTC     = 1 << 9
	dnsFlagRD     = 1 << 8
	dnsRcodeMask  = 0xf
	dnsMaxUDP     = 512 // RFC 1035 §2.3.4, no EDNS0
	dnsMaxPointer = 32  // compression pointers followed per name
)

// DNS response codes this package names (RFC 1035 §4.1.1).
const (
	RcodeNoError  = 0
	RcodeServFail = 2
	RcodeNXDomain = 3
	RcodeRefused  = 5
)

// dnsReply is the part of a DNS response a health check needs.
type dnsReply struct {
	ID        uint16
	Rcode     int
	Truncated bool
	Answers   int          // ANCOUNT as sent
	A         []netip.Addr // A records of class IN among the answers
	Records   []dnsRecord  // the A and CNAME records of class IN among the answers, in order
}

// dnsRecord is one A or CNAME answer record.
type dnsRecord struct {
	Name   string     // owner, lower case without the trailing dot
	Type   uint16     // dnsTypeA or dnsTypeCNAME
	A      netip.Addr // for A
	Target string     // for CNAME, lower case without the trailing dot
}

// dnsMaxCNAME bounds the CNAME records followed from the question name.
const dnsMaxCNAME = 8

// chase follows the CNAME chain from name through the answer records
// (a recursive resolver sends the whole chain, RFC 1034 §3.6.2) and
// returns the A records of the name it ends at, and that name. No A
// records and no error means the chain ends without an address.
func (r dnsReply) chase(name string) ([]netip.Addr, string, error) {
	cur := strings.ToLower(strings.TrimSuffix(name, "."))
	for hops := 0; ; hops++ {
		var addrs []netip.Addr
		next := ""
		for _, rr := range r.Records {
			if rr.Name != cur {
				continue
			}
			if rr.Type == dnsTypeA {
				addrs = append(addrs, rr.A)
			} else if next == "" {
				next = rr.Target
			}
		}
		if len(addrs) > 0 || next == "" {
			return addrs, cur, nil
		}
		if hops == dnsMaxCNAME {
			return nil, cur, fmt.Errorf("CNAME chain longer than %d records (a loop?)", dnsMaxCNAME)
		}
		cur = next
	}
}

// encodeName appends the wire form of name (RFC 1035 §3.1) to b. "."
// or "" is the root.
func encodeName(b []byte, name string) ([]byte, error) {
	name = strings.TrimSuffix(name, ".")
	if name == "" {
		return append(b, 0), nil
	}
	if len(name) > maxNameLen {
		return nil, fmt.Errorf("name longer than %d characters", maxNameLen)
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" {
			return nil, fmt.Errorf("empty label")
		}
		if len(label) > 63 {
			return nil, fmt.Errorf("label longer than 63 characters")
		}
		for i := 0; i < len(label); i++ {
			if label[i] <= ' ' || label[i] >= 0x7f {
				return nil, fmt.Errorf("name must be printable ASCII without spaces")
			}
		}
		b = append(b, byte(len(label)))
		b = append(b, label...)
	}
	return append(b, 0), nil
}

// buildQuery returns a standard query with recursion desired for the A
// record of name.
func buildQuery(id uint16, name string) ([]byte, error) {
	b := make([]byte, dnsHeaderLen, dnsHeaderLen+len(name)+6)
	binary.BigEndian.PutUint16(b[0:], id)
	binary.BigEndian.PutUint16(b[2:], dnsFlagRD)
	binary.BigEndian.PutUint16(b[4:], 1) // QDCOUNT
	b, err := encodeName(b, name)
	if err != nil {
		return nil, err
	}
	b = binary.BigEndian.AppendUint16(b, dnsTypeA)
	b = binary.BigEndian.AppendUint16(b, dnsClassIN)
	return b, nil
}

// readName decodes the (possibly compressed) name at off and returns it
// in lower case without the trailing dot, and the offset just past it
// in the original position.
func readName(msg []byte, off int) (string, int, error) {
	var sb strings.Builder
	end := -1
	for hops := 0; ; {
		if off >= len(msg) {
			return "", 0, errors.New("name runs past the message")
		}
		l := int(msg[off])
		switch {
		case l == 0:
			if end < 0 {
				end = off + 1
			}
			return sb.String(), end, nil
		case l&0xc0 == 0xc0:
			if off+1 >= len(msg) {
				return "", 0, errors.New("compression pointer runs past the message")
			}
			if hops++; hops > dnsMaxPointer {
				return "", 0, errors.New("too many compression pointers")
			}
			if end < 0 {
				end = off + 2
			}
			off = int(binary.BigEndian.Uint16(msg[off:]) & 0x3fff)
		case l&0xc0 != 0:
			return "", 0, fmt.Errorf("unsupported label type 0x%02x", l&0xc0)
		default:
			if off+1+l > len(msg) {
				return "", 0, errors.New("label runs past the message")
			}
			if sb.Len()+l+1 > maxNameLen+1 {
				return "", 0, errors.New("name too long")
			}
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(strings.ToLower(string(msg[off+1 : off+1+l])))
			off += 1 + l
		}
	}
}

// parseReply decodes a response to the query for name with identifier
// id. It checks the header, the echoed question and every answer record
// it walks, and collects the A records.
func parseReply(msg []byte, id uint16, name string) (dnsReply, error) {
	if len(msg) < dnsHeaderLen {
		return dnsReply{}, fmt.Errorf("dns message of %d bytes is shorter than its header", len(msg))
	}
	r := dnsReply{ID: binary.BigEndian.Uint16(msg[0:])}
	flags := binary.BigEndian.Uint16(msg[2:])
	qd := int(binary.BigEndian.Uint16(msg[4:]))
	r.Answers = int(binary.BigEndian.Uint16(msg[6:]))
	r.Rcode = int(flags & dnsRcodeMask)
	r.Truncated = flags&dnsFlagTC != 0
	if r.ID != id {
		return r, fmt.Errorf("reply id %d does not match query id %d", r.ID, id)
	}
	if flags&dnsFlagQR == 0 {
		return r, errors.New("message is a query, not a reply")
	}
	off := dnsHeaderLen
	if qd != 1 {
		// RFC 1035 allows an empty question section only in some error
		// replies; accept it there.
		if qd == 0 && r.Rcode != RcodeNoError {
			return r, nil
		}
		return r, fmt.Errorf("reply has %d questions, want 1", qd)
	}
	q, off, err := readName(msg, off)
	if err != nil {
		return r, fmt.Errorf("question: %w", err)
	}
	if want := strings.ToLower(strings.TrimSuffix(name, ".")); q != want {
		return r, fmt.Errorf("reply is for %q, not %q", q, want)
	}
	if off+4 > len(msg) {
		return r, errors.New("question runs past the message")
	}
	if t, c := binary.BigEndian.Uint16(msg[off:]), binary.BigEndian.Uint16(msg[off+2:]); t != dnsTypeA || c != dnsClassIN {
		return r, fmt.Errorf("reply is for type %d class %d, not A IN", t, c)
	}
	off += 4
	if r.Truncated {
		return r, nil // answers may be cut anywhere
	}
	for i := 0; i < r.Answers; i++ {
		owner, next, err := readName(msg, off)
		if err != nil {
			return r, fmt.Errorf("answer %d: %w", i, err)
		}
		off = next
		if off+10 > len(msg) {
			return r, fmt.Errorf("answer %d runs past the message", i)
		}
		typ := binary.BigEndian.Uint16(msg[off:])
		class := binary.BigEndian.Uint16(msg[off+2:])
		rdlen := int(binary.BigEndian.Uint16(msg[off+8:]))
		off += 10
		if off+rdlen > len(msg) {
			return r, fmt.Errorf("answer %d data runs past the message", i)
		}
		switch {
		case typ == dnsTypeA && class == dnsClassIN:
			if rdlen != 4 {
				return r, fmt.Errorf("answer %d: A record of %d bytes", i, rdlen)
			}
			a := netip.AddrFrom4([4]byte(msg[off : off+4]))
			r.A = append(r.A, a)
			r.Records = append(r.Records, dnsRecord{Name: owner, Type: dnsTypeA, A: a})
		case typ == dnsTypeCNAME && class == dnsClassIN:
			target, end, err := readName(msg, off)
			if err != nil {
				return r, fmt.Errorf("answer %d: CNAME target: %w", i, err)
			}
			if end != off+rdlen {
				return r, fmt.Errorf("answer %d: CNAME data of %d bytes holds a name of %d", i, rdlen, end-off)
			}
			r.Records = append(r.Records, dnsRecord{Name: owner, Type: dnsTypeCNAME, Target: target})
		}
		off += rdlen
	}
	return r, nil
}

// dnsExpect is the parsed CheckSpec.Expect of a dns check.
type dnsExpect struct {
	kind string     // "answer", "noerror", "reply", "addr"
	addr netip.Addr // for "addr"
}

func parseDNSExpect(s string) (dnsExpect, error) {
	switch s {
	case "":
		return dnsExpect{kind: "answer"}, nil
	case "noerror", "reply":
		return dnsExpect{kind: s}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return dnsExpect{}, errors.New(`must be empty, "noerror", "reply" or an IPv4 address`)
	}
	return dnsExpect{kind: "addr", addr: a}, nil
}

// judge applies the expectation to a reply; nil means success.
func (e dnsExpect) judge(r dnsReply) error {
	if e.kind == "reply" {
		return nil
	}
	if r.Rcode != RcodeNoError {
		return fmt.Errorf("resolver answered %s", rcodeName(r.Rcode))
	}
	switch e.kind {
	case "noerror":
		return nil
	case "answer":
		if len(r.A) > 0 || r.Truncated {
			return nil
		}
		return errors.New("resolver returned no A record")
	case "addr":
		for _, a := range r.A {
			if a == e.addr {
				return nil
			}
		}
		if r.Truncated {
			return fmt.Errorf("truncated reply, %s not seen", e.addr)
		}
		return fmt.Errorf("resolver did not return %s (got %v)", e.addr, r.A)
	}
	return fmt.Errorf("unknown expectation %q", e.kind)
}

func rcodeName(rc int) string {
	switch rc {
	case RcodeNoError:
		return "NOERROR"
	case 1:
		return "FORMERR"
	case RcodeServFail:
		return "SERVFAIL"
	case RcodeNXDomain:
		return "NXDOMAIN"
	case 4:
		return "NOTIMP"
	case RcodeRefused:
		return "REFUSED"
	}
	return fmt.Sprintf("RCODE%d", rc)
}

// DNSCheck asks one resolver for the A record of a name over UDP.
type DNSCheck struct {
	server  netip.AddrPort
	name    string
	expect  dnsExpect
	timeout time.Duration
}

// NewDNSCheck returns a check that queries server for the A record of
// name and judges the reply by expect (see CheckSpec.Expect).
func NewDNSCheck(server netip.AddrPort, name, expect string, timeout time.Duration) (*DNSCheck, error) {
	if !server.Addr().Is4() || server.Port() == 0 {
		return nil, fmt.Errorf("dns check resolver %v: must be an IPv4 address and a port", server)
	}
	if name == "" {
		name = DefaultDNSName
	}
	if _, err := encodeName(nil, name); err != nil {
		return nil, fmt.Errorf("dns check name %q: %w", name, err)
	}
	e, err := parseDNSExpect(expect)
	if err != nil {
		return nil, fmt.Errorf("dns check expect %q: %w", expect, err)
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("dns check timeout %v: must be positive", timeout)
	}
	return &DNSCheck{server: server, name: name, expect: e, timeout: timeout}, nil
}

// String implements Check.
func (c *DNSCheck) String() string { return fmt.Sprintf("dns %s @%s", c.name, c.server) }

// Run implements Check.
func (c *DNSCheck) Run(ctx context.Context) Result {
	start := time.Now()
	ctx, cancel := withTimeout(ctx, c.timeout)
	defer cancel()
	// The query id is one of the things a reply must match (RFC 5452
	// §9.1). It comes from math/rand/v2 (the runtime's ChaCha8 generator,
	// seeded by the kernel), not crypto/rand: its only job is to make an
	// off-path forgery of this check's reply unlikely, and a forged reply
	// could at most fake one check result; the reply must also arrive on
	// this connected socket (server address, kernel-chosen source port)
	// and repeat the question.
	id := uint16(rand.Uint32())
	q, err := buildQuery(id, c.name)
	if err != nil {
		return failResult(start, "build query: %v", err)
	}
	r, fail := exchange(ctx, c.server, id, q, c.name)
	switch {
	case fail == nil:
	case fail.step != "":
		return failResult(start, "%s: %v", fail.step, fail.err)
	case fail.lastBad != nil:
		return failResult(start, "no valid reply within %v (last: %v)", time.Since(start).Round(time.Millisecond), fail.lastBad)
	default:
		return failResult(start, "no reply within %v", time.Since(start).Round(time.Millisecond))
	}
	if err := c.expect.judge(r); err != nil {
		return failResult(start, "%v", err)
	}
	return okResult(start)
}

// exchangeFailure says why exchange got no reply: a step that failed, or
// (step "") no matching reply before its context ended.
type exchangeFailure struct {
	step    string // "open udp socket", "send query" or "receive reply"; "" for no reply in time
	err     error  // the step's error, without net.OpError's address prefix
	lastBad error  // for no reply: why the last datagram that came was not the reply
}

// exchange sends the query q (id, for name) to server from a connected UDP
// socket and returns the first datagram that is its reply, waiting until
// ctx ends. Datagrams that are not the reply (wrong id or question,
// garbage) are skipped: a stray or spoofed datagram must not end the
// exchange (RFC 5452 §9.1 matching on id and question); only a datagram
// from server reaches a connected socket.
func exchange(ctx context.Context, server netip.AddrPort, id uint16, q []byte, name string) (dnsReply, *exchangeFailure) {
	// DialUDP, not a net.Dialer: a UDP connect does not wait, and the
	// generic dialers link net's DNS resolver.
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(server))
	if err != nil {
		return dnsReply{}, &exchangeFailure{step: "open udp socket", err: unwrapOp(err)}
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := conn.Write(q); err != nil {
		return dnsReply{}, &exchangeFailure{step: "send query", err: unwrapOp(err)}
	}
	buf := make([]byte, 1500) // larger than dnsMaxUDP: tolerate servers that ignore the limit
	var lastBad error
	for {
		n, err := conn.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return dnsReply{}, &exchangeFailure{lastBad: lastBad}
			}
			// ICMP port unreachable surfaces here as ECONNREFUSED.
			return dnsReply{}, &exchangeFailure{step: "receive reply", err: unwrapOp(err)}
		}
		r, err := parseReply(buf[:n], id, name)
		if err != nil {
			lastBad = err
			continue
		}
		return r, nil
	}
}
