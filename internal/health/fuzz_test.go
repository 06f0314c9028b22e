package health

import (
	"bytes"
	"net/netip"
	"slices"
	"testing"
	"time"
)

func FuzzParseReply(f *testing.F) {
	f.Add(reply(&testing.T{}, 7, "gw.lab", 0, rrA("192.0.2.1")), "gw.lab")
	f.Add(reply(&testing.T{}, 7, "gw.lab", RcodeNXDomain), "gw.lab")
	f.Add(reply(&testing.T{}, 7, ".", 0), ".")
	f.Add([]byte{0, 7, 0x80, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0xc0, 12}, "x")
	t := &testing.T{}
	f.Add(reply(t, 7, "www.lab", 0, rrCNAME(t, "www.lab", "e.cdn.example"), rrCNAME(t, "e.cdn.example", "e1.cdn.example"), rrAOf(t, "e1.cdn.example", "198.51.100.7")), "www.lab")
	f.Add(reply(t, 7, "loop.lab", 0, rrCNAME(t, "loop.lab", "loop2.lab"), rrCNAME(t, "loop2.lab", "loop.lab")), "loop.lab")
	f.Add(reply(t, 7, "gw.lab", 0, []byte{0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 4, 1, 'x', 0xc0, 12}, rrA("192.0.2.1")), "gw.lab")
	f.Fuzz(func(t *testing.T, msg []byte, name string) {
		in := append([]byte(nil), msg...)
		r, err := parseReply(msg, 7, name)
		if !bytes.Equal(in, msg) {
			t.Fatal("parseReply modified its input")
		}
		if err == nil && len(r.A) > r.Answers {
			t.Fatalf("%d A records from ANCOUNT %d", len(r.A), r.Answers)
		}
		if err == nil {
			if len(r.Records) > r.Answers {
				t.Fatalf("%d records from ANCOUNT %d", len(r.Records), r.Answers)
			}
			var as []netip.Addr
			for _, rr := range r.Records {
				if rr.Type == dnsTypeA {
					as = append(as, rr.A)
				}
			}
			if len(as) != len(r.A) {
				t.Fatalf("records hold %d A, reply %d", len(as), len(r.A))
			}
			addrs, _, cerr := r.chase(name)
			if cerr != nil && len(addrs) > 0 {
				t.Fatalf("chase returned addresses and %v", cerr)
			}
			for _, a := range addrs {
				if !slices.Contains(r.A, a) {
					t.Fatalf("chase returned %v, not among the A records %v", a, r.A)
				}
			}
			got, aerr := r.answer4(netip.MustParseAddrPort("127.0.0.1:53"), name)
			if (aerr == nil) != (len(got) > 0) {
				t.Fatalf("answer4 = %v, %v", got, aerr)
			}
		}
		// A reply built for a valid name always parses back to it.
		if q, qerr := buildQuery(7, name); qerr == nil {
			q[2] |= 0x80
			if _, err := parseReply(q, 7, name); err != nil {
				t.Fatalf("own query as reply for %q: %v", name, err)
			}
		}
	})
}

func FuzzParseEcho(f *testing.F) {
	f.Add(marshalEcho(echo{Type: icmpEchoReply, ID: 1, Seq: 2, Payload: []byte("abc")}))
	f.Add([]byte{3, 3, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := parseEcho(b)
		if err != nil {
			return
		}
		again, err := parseEcho(marshalEcho(e))
		if err != nil || again.ID != e.ID || again.Seq != e.Seq || again.Type != e.Type || !bytes.Equal(again.Payload, e.Payload) {
			t.Fatalf("round trip of %+v gave %+v, %v", e, again, err)
		}
	})
}

func FuzzParseStatusLine(f *testing.F) {
	f.Add([]byte("HTTP/1.1 204 No Content\r\n"))
	f.Add([]byte("HTTP/1.0 500\n"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, line []byte) {
		code, err := parseStatusLine(line)
		if err == nil && (code < 100 || code > 999) {
			t.Fatalf("code %d from %q", code, line)
		}
	})
}

func FuzzResolverFiles(f *testing.F) {
	f.Add([]byte("nameserver 127.0.0.1\nnameserver ::1\noptions timeout:1 attempts:3\n127.0.0.1 localhost\n"), "localhost")
	f.Add([]byte("# c\n192.168.77.2\tr1.lan r1 # x\nfe80::1%lan r1\nnameserver 192.0.2.1 x\n"), "R1.")
	f.Add([]byte("options timeout:99999999999999999999 attempts:-1\n"), "")
	f.Fuzz(func(t *testing.T, text []byte, name string) {
		in := append([]byte(nil), text...)
		c := parseResolvConf(text)
		if len(c.Servers) > resolvMaxServers || c.Timeout < time.Second || c.Timeout > resolvMaxTimeout || c.Attempts < 1 || c.Attempts > resolvMaxAttempts {
			t.Fatalf("out of bounds: %+v", c)
		}
		for _, s := range c.Servers {
			if !s.IsValid() || s.Is4In6() {
				t.Fatalf("server %v", s)
			}
		}
		for _, a := range hostsLookup4(text, name) {
			if !a.Is4() {
				t.Fatalf("hosts gave %v for %q", a, name)
			}
		}
		if !bytes.Equal(in, text) {
			t.Fatal("input modified")
		}
	})
}
