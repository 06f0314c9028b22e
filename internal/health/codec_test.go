package health

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create): %v", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s mismatch:\nwant %s\ngot  %s", name, want, got)
	}
}

func TestInetChecksum(t *testing.T) {
	// RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2.
	b := []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}
	if got := inetChecksum(b); got != ^uint16(0xddf2) {
		t.Errorf("checksum = %#04x, want %#04x", got, ^uint16(0xddf2))
	}
	// A message carrying its own checksum sums to zero.
	m := marshalEcho(echo{Type: icmpEchoRequest, ID: 0x1234, Seq: 7, Payload: []byte("odd")})
	if got := inetChecksum(m); got != 0 {
		t.Errorf("checksum over a checksummed message = %#04x, want 0", got)
	}
}

func TestEchoGolden(t *testing.T) {
	m := marshalEcho(echo{Type: icmpEchoRequest, ID: 0xbeef, Seq: 1, Payload: []byte("floatgw-health!!")})
	golden(t, "echo-request.hex", []byte(hex.EncodeToString(m)+"\n"))
}

func TestEchoRoundTrip(t *testing.T) {
	in := echo{Type: icmpEchoReply, ID: 0xbeef, Seq: 513, Payload: []byte{1, 2, 3, 4, 5}}
	b := marshalEcho(in)
	got, err := parseEcho(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	b[icmpHeaderLen] = 99 // the decoded payload must not alias the input
	if got.Payload[0] != 1 {
		t.Error("parseEcho aliases its input")
	}
}

func TestParseEchoErrors(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":       nil,
		"short":       {0, 0, 0, 0, 0, 0, 0},
		"unreachable": {3, 1, 0, 0, 0, 0, 0, 0},
	} {
		if _, err := parseEcho(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestBuildQueryGolden(t *testing.T) {
	q, err := buildQuery(0x4242, "Gw.Lab.example.")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "query-gw.lab.example.hex", []byte(hex.EncodeToString(q)+"\n"))
	root, err := buildQuery(1, ".")
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1}
	if !bytes.Equal(root, want) {
		t.Errorf("root query = % x, want % x", root, want)
	}
}

func TestBuildQueryErrors(t *testing.T) {
	for _, name := range []string{"a..b", strings.Repeat("x", 64) + ".com", strings.Repeat("abcdefghi.", 26), "sp ace", "nul\x00"} {
		if _, err := buildQuery(1, name); err == nil {
			t.Errorf("buildQuery(%q): no error", name)
		}
	}
}

// reply builds a DNS response to buildQuery(id, name) with the given
// flags and answer records (already encoded).
func reply(t *testing.T, id uint16, name string, flags uint16, answers ...[]byte) []byte {
	t.Helper()
	q, err := buildQuery(id, name)
	if err != nil {
		t.Fatal(err)
	}
	binary.BigEndian.PutUint16(q[2:], flags|dnsFlagQR)
	binary.BigEndian.PutUint16(q[6:], uint16(len(answers)))
	for _, a := range answers {
		q = append(q, a...)
	}
	return q
}

// rrA is an A record whose owner is a pointer to the question name.
func rrA(a string) []byte {
	ip := netip.MustParseAddr(a).As4()
	return append([]byte{0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4}, ip[:]...)
}

// wireName is name in uncompressed wire form.
func wireName(t *testing.T, name string) []byte {
	t.Helper()
	b, err := encodeName(nil, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rrNamed is an answer record of class IN with an uncompressed owner.
func rrNamed(t *testing.T, owner string, typ uint16, data []byte) []byte {
	t.Helper()
	b := wireName(t, owner)
	b = binary.BigEndian.AppendUint16(b, typ)
	b = binary.BigEndian.AppendUint16(b, dnsClassIN)
	b = binary.BigEndian.AppendUint32(b, 60)
	b = binary.BigEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

func TestParseReply(t *testing.T) {
	cname := []byte{0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 4, 1, 'x', 0xc0, 12}
	tests := []struct {
		name    string
		msg     []byte
		want    dnsReply
		wantErr string
	}{
		{
			name: "one A",
			msg:  reply(t, 7, "gw.lab", 0, rrA("192.0.2.1")),
			want: dnsReply{ID: 7, Answers: 1, A: []netip.Addr{netip.MustParseAddr("192.0.2.1")},
				Records: []dnsRecord{{Name: "gw.lab", Type: dnsTypeA, A: netip.MustParseAddr("192.0.2.1")}}},
		},
		{
			name: "cname then two A, question case differs",
			msg:  reply(t, 7, "GW.lab", 0, cname, rrA("192.0.2.1"), rrA("192.0.2.2")),
			want: dnsReply{ID: 7, Answers: 3, A: []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")},
				Records: []dnsRecord{
					{Name: "gw.lab", Type: dnsTypeCNAME, Target: "x.gw.lab"},
					{Name: "gw.lab", Type: dnsTypeA, A: netip.MustParseAddr("192.0.2.1")},
					{Name: "gw.lab", Type: dnsTypeA, A: netip.MustParseAddr("192.0.2.2")},
				}},
		},
		{
			name: "cname chain with uncompressed names, other types skipped",
			msg: reply(t, 7, "gw.lab", 0,
				rrNamed(t, "gw.lab", dnsTypeCNAME, wireName(t, "Edge.CDN.example")),
				rrNamed(t, "edge.cdn.example", 28, make([]byte, 16)), // AAAA
				rrNamed(t, "edge.cdn.example", dnsTypeA, []byte{198, 51, 100, 7})),
			want: dnsReply{ID: 7, Answers: 3, A: []netip.Addr{netip.MustParseAddr("198.51.100.7")},
				Records: []dnsRecord{
					{Name: "gw.lab", Type: dnsTypeCNAME, Target: "edge.cdn.example"},
					{Name: "edge.cdn.example", Type: dnsTypeA, A: netip.MustParseAddr("198.51.100.7")},
				}},
		},
		{name: "cname data longer than its name", msg: reply(t, 7, "gw.lab", 0, rrNamed(t, "gw.lab", dnsTypeCNAME, append(wireName(t, "x"), 0))), wantErr: "CNAME data of 4 bytes holds a name of 3"},
		{name: "cname name past the message", msg: reply(t, 7, "gw.lab", 0, rrNamed(t, "gw.lab", dnsTypeCNAME, []byte{5, 'a'})), wantErr: "CNAME target: label runs past the message"},
		{name: "cname name past its data", msg: reply(t, 7, "gw.lab", 0, rrNamed(t, "gw.lab", dnsTypeCNAME, []byte{1, 'x'}), rrA("192.0.2.1")), wantErr: "CNAME data of 2 bytes holds a name of 4"},
		{name: "cname target bad", msg: reply(t, 7, "gw.lab", 0, rrNamed(t, "gw.lab", dnsTypeCNAME, []byte{0x40, 0})), wantErr: "CNAME target: unsupported label type"},
		{
			name: "nxdomain",
			msg:  reply(t, 7, "gw.lab", RcodeNXDomain),
			want: dnsReply{ID: 7, Rcode: RcodeNXDomain},
		},
		{
			name: "truncated stops before answers",
			msg:  reply(t, 7, "gw.lab", dnsFlagTC, []byte{0xc0}),
			want: dnsReply{ID: 7, Truncated: true, Answers: 1},
		},
		{name: "short", msg: []byte{0, 7, 0x80}, wantErr: "shorter than its header"},
		{name: "wrong id", msg: reply(t, 8, "gw.lab", 0), wantErr: "does not match"},
		{name: "query not reply", msg: func() []byte { q, _ := buildQuery(7, "gw.lab"); return q }(), wantErr: "not a reply"},
		{name: "other question", msg: reply(t, 7, "gw.lan", 0), wantErr: "reply is for"},
		{name: "answer past end", msg: reply(t, 7, "gw.lab", 0, rrA("192.0.2.1")[:12]), wantErr: "runs past"},
		{name: "A of 5 bytes", msg: reply(t, 7, "gw.lab", 0, []byte{0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 5, 1, 2, 3, 4, 5}), wantErr: "A record of 5 bytes"},
		{name: "pointer loop", msg: reply(t, 7, "gw.lab", 0, []byte{0xc0, 24, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4}), wantErr: "too many compression pointers"},
		{name: "bad label type", msg: reply(t, 7, "gw.lab", 0, []byte{0x80, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1, 2, 3, 4}), wantErr: "unsupported label type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseReply(tt.msg, 7, "gw.lab")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("parseReply (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDNSExpect(t *testing.T) {
	a1 := netip.MustParseAddr("192.0.2.1")
	tests := []struct {
		expect string
		r      dnsReply
		ok     bool
	}{
		{"", dnsReply{A: []netip.Addr{a1}}, true},
		{"", dnsReply{}, false},
		{"", dnsReply{Truncated: true}, true},
		{"", dnsReply{Rcode: RcodeServFail}, false},
		{"noerror", dnsReply{}, true},
		{"noerror", dnsReply{Rcode: RcodeNXDomain}, false},
		{"reply", dnsReply{Rcode: RcodeNXDomain}, true},
		{"192.0.2.1", dnsReply{A: []netip.Addr{a1}}, true},
		{"192.0.2.2", dnsReply{A: []netip.Addr{a1}}, false},
		{"192.0.2.2", dnsReply{Truncated: true}, false},
	}
	for _, tt := range tests {
		e, err := parseDNSExpect(tt.expect)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.judge(tt.r); (err == nil) != tt.ok {
			t.Errorf("expect %q on %+v: err = %v, want ok=%v", tt.expect, tt.r, err, tt.ok)
		}
	}
	for _, bad := range []string{"yes", "::1", "1.2.3"} {
		if _, err := parseDNSExpect(bad); err == nil {
			t.Errorf("parseDNSExpect(%q): no error", bad)
		}
	}
}

func TestParseStatusLine(t *testing.T) {
	tests := []struct {
		line    string
		want    int
		wantErr bool
	}{
		{line: "HTTP/1.1 200 OK\r\n", want: 200},
		{line: "HTTP/1.0 204\r\n", want: 204},
		{line: "HTTP/1.1 503 Service Unavailable\n", want: 503},
		{line: "HTTP/1.1 404 ", want: 404},
		{line: "HTTP/2 200\r\n", wantErr: true},
		{line: "HTTP/1.1 20 OK\r\n", wantErr: true},
		{line: "HTTP/1.1 2000\r\n", wantErr: true},
		{line: "HTTP/1.1  200 OK\r\n", wantErr: true},
		{line: "HTTP/1.1 099 x\r\n", wantErr: true},
		{line: "SSH-2.0-OpenSSH_9.2\r\n", wantErr: true},
		{line: "", wantErr: true},
		{line: "HTTP/1.x 200\r\n", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseStatusLine([]byte(tt.line))
		if (err != nil) != tt.wantErr || got != tt.want && !tt.wantErr {
			t.Errorf("parseStatusLine(%q) = %d, %v; want %d, err=%v", tt.line, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestBuildRequest(t *testing.T) {
	got := string(buildRequest("192.0.2.1", 8080, "/generate_204"))
	want := "GET /generate_204 HTTP/1.1\r\nHost: 192.0.2.1:8080\r\nUser-Agent: floatgw-health\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	if got != want {
		t.Errorf("request:\n%q\nwant\n%q", got, want)
	}
	if got := string(buildRequest("gw.lab", 80, "/")); !strings.Contains(got, "\r\nHost: gw.lab\r\n") {
		t.Errorf("port 80 Host header: %q", got)
	}
}
