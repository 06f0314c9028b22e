package health

import (
	"bytes"
	"testing"
)

func FuzzParseReply(f *testing.F) {
	f.Add(reply(&testing.T{}, 7, "gw.lab", 0, rrA("192.0.2.1")), "gw.lab")
	f.Add(reply(&testing.T{}, 7, "gw.lab", RcodeNXDomain), "gw.lab")
	f.Add(reply(&testing.T{}, 7, ".", 0), ".")
	f.Add([]byte{0, 7, 0x80, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0xc0, 12}, "x")
	f.Fuzz(func(t *testing.T, msg []byte, name string) {
		in := append([]byte(nil), msg...)
		r, err := parseReply(msg, 7, name)
		if !bytes.Equal(in, msg) {
			t.Fatal("parseReply modified its input")
		}
		if err == nil && len(r.A) > r.Answers {
			t.Fatalf("%d A records from ANCOUNT %d", len(r.A), r.Answers)
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
