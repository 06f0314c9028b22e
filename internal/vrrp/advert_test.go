package vrrp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/testenv"
	"github.com/google/go-cmp/cmp"
)

var authSuffix = regexp.MustCompile(` auth "[^"]*"$`)

// TestDecodeFixtures decodes every VRRP frame keepalived 2.2.7 put on the wire
// in the shared captures, checks the result against tcpdump's own decoding
// of the same packet, and re-encodes it byte for byte.
func TestDecodeFixtures(t *testing.T) {
	dir := testenv.SharedDir(t, "keepalived-samples", "pcap")
	files, err := filepath.Glob(filepath.Join(dir, "*.pcap"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no pcap fixtures in %s (%v)", dir, err)
	}
	var total, v2, v3 int
	for _, file := range files {
		name := filepath.Base(file)
		hex := strings.TrimSuffix(file, ".pcap") + ".hex.txt"
		var want map[string]string
		if _, err := filepathStat(hex); err == nil {
			want = readHexSummaries(t, hex)
		}
		for i, rec := range testenv.ReadPcap(t, file) {
			ip := ipPayload(rec.Data)
			if ip == nil || len(ip) < 10 || ip[9] != Protocol {
				continue
			}
			total++
			p, err := DecodeIPv4(ip)
			if err != nil {
				t.Errorf("%s #%d: %v", name, i, err)
				continue
			}
			if p.Advert.Version == 2 {
				v2++
			} else {
				v3++
			}
			if want != nil {
				w, ok := want[rec.TS()]
				if !ok {
					t.Errorf("%s #%d: no tcpdump line for %s", name, i, rec.TS())
				} else if got, w := p.String(), authSuffix.ReplaceAllString(w, ""); got != w {
					t.Errorf("%s #%d:\n got %s\nwant %s", name, i, got, w)
				}
			}
			id := binary.BigEndian.Uint16(ip[4:6])
			enc, err := EncodeIPv4(p, id)
			if err != nil {
				t.Errorf("%s #%d: encode: %v", name, i, err)
				continue
			}
			total := int(binary.BigEndian.Uint16(ip[2:4]))
			if !bytes.Equal(enc, ip[:total]) {
				t.Errorf("%s #%d: re-encoded packet differs\n got % x\nwant % x", name, i, enc, ip[:total])
			}
		}
	}
	if v2 == 0 || v3 == 0 {
		t.Fatalf("fixtures held %d v2 and %d v3 adverts; want both kinds", v2, v3)
	}
	t.Logf("decoded %d adverts (%d v2, %d v3) from %d captures", total, v2, v3, len(files))
}

func TestDecodeAuthFixture(t *testing.T) {
	recs := testenv.ReadPcap(t, filepath.Join(testenv.SharedDir(t, "keepalived-samples", "pcap"), "v2-advert-auth-pass-secret2.pcap"))
	p, err := DecodeIPv4(ipPayload(recs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	want := [8]byte{'s', 'e', 'c', 'r', 'e', 't', '2'}
	if p.Advert.AuthType != AuthSimple || p.Advert.AuthData != want {
		t.Fatalf("auth %v %q, want simple %q", p.Advert.AuthType, p.Advert.AuthData, want)
	}
}

var (
	src = netip.MustParseAddr("192.168.77.3")
	vip = netip.MustParseAddr("192.168.77.1")
)

func mustEncode(t testing.TB, a Advert, s, d netip.Addr) []byte {
	t.Helper()
	b, err := Encode(a, s, d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		a    Advert
		wire []byte // nil: only round-trip
	}{
		{
			name: "v2 keepalived default",
			a:    Advert{Version: 2, VRID: 51, Priority: 150, Interval: 1, Addrs: []netip.Addr{vip}},
			wire: []byte{
				0x21, 51, 150, 1, // version 2 type 1, vrid, prio, count
				0, 1, 0x3b, 0x20, // auth none, 1 s, checksum (as in v2-advert-kaB-prio150.pcap)
				192, 168, 77, 1, // VIP
				0, 0, 0, 0, 0, 0, 0, 0, // auth data
			},
		},
		{
			name: "v2 simple auth, two addresses",
			a: Advert{Version: 2, VRID: 9, Priority: 99, AuthType: AuthSimple, AuthData: [8]byte{'p', 'w'},
				Interval: 2, Addrs: []netip.Addr{vip, netip.MustParseAddr("10.0.0.1")}},
		},
		{
			name: "v3 100 ms",
			a:    Advert{Version: 3, VRID: 51, Priority: 150, Interval: 10, Addrs: []netip.Addr{vip}},
		},
		{
			name: "v3 no addresses, max interval",
			a:    Advert{Version: 3, VRID: 255, Priority: 255, Interval: 0xfff},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustEncode(t, tt.a, src, Group)
			if tt.wire != nil && !bytes.Equal(b, tt.wire) {
				t.Fatalf("wire\n got % x\nwant % x", b, tt.wire)
			}
			got, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if !VerifyChecksum(b, src, Group) {
				t.Fatal("checksum does not verify")
			}
			want := tt.a
			want.Checksum = binary.BigEndian.Uint16(b[6:8])
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Fatalf("decode (-want +got):\n%s", diff)
			}
			// Decode must not alias its input.
			for i := range b {
				b[i] = 0xff
			}
			if got.Addrs != nil && got.Addrs[0] != tt.a.Addrs[0] {
				t.Fatal("decoded advert aliases the input buffer")
			}
		})
	}
}

// carpPacket builds an OpenBSD CARP / ucarp advertisement (netinet/ip_carp.h).
func carpPacket() []byte {
	b := []byte{
		0x21, // version 2, type 1 (CARP_ADVERTISEMENT), same as VRRPv2
		51,   // vhid
		0,    // advskew
		7,    // authlen: counter + HMAC in 32-bit words
		0,    // pad1
		1,    // advbase 1 s
		0, 0, // checksum, below
		0, 0, 0, 1, 0, 0, 0, 2, // counter
	}
	b = append(b, bytes.Repeat([]byte{0xab}, 20)...) // SHA-1 HMAC
	binary.BigEndian.PutUint16(b[6:8], Checksum(b))
	return b
}

func ipWrap(t testing.TB, payload []byte, ttl, proto uint8, frag uint16) []byte {
	t.Helper()
	b := make([]byte, 20+len(payload))
	b[0], b[1] = 0x45, 0xc0
	binary.BigEndian.PutUint16(b[2:4], uint16(len(b)))
	binary.BigEndian.PutUint16(b[6:8], frag)
	b[8], b[9] = ttl, proto
	copy(b[12:16], []byte{192, 168, 77, 3})
	copy(b[16:20], []byte{224, 0, 0, 18})
	binary.BigEndian.PutUint16(b[10:12], Checksum(b[:20]))
	copy(b[20:], payload)
	return b
}

func TestDecodeErrors(t *testing.T) {
	good := mustEncode(t, Advert{Version: 2, VRID: 51, Priority: 100, Interval: 1, Addrs: []netip.Addr{vip}}, src, Group)
	v3 := mustEncode(t, Advert{Version: 3, VRID: 51, Priority: 100, Interval: 100, Addrs: []netip.Addr{vip}}, src, Group)
	mod := func(b []byte, f func([]byte)) []byte {
		c := append([]byte(nil), b...)
		f(c)
		return c
	}
	tests := []struct {
		name   string
		b      []byte
		ip     bool // b is an IPv4 packet
		want   error
		reason string
	}{
		{name: "empty", b: nil, want: ErrTruncated, reason: "TRUNCATED"},
		{name: "short header", b: good[:7], want: ErrTruncated, reason: "TRUNCATED"},
		{name: "version 1", b: mod(good, func(b []byte) { b[0] = 0x11 }), want: ErrVersion, reason: "BAD_VERSION"},
		{name: "type 2", b: mod(good, func(b []byte) { b[0] = 0x22 }), want: ErrType, reason: "NOT_ADVERTISEMENT"},
		{name: "vrid 0", b: mod(good, func(b []byte) { b[1] = 0 }), want: ErrVRID, reason: "BAD_VRID"},
		{name: "count lies", b: mod(good, func(b []byte) { b[3] = 2 }), want: ErrLength, reason: "BAD_LENGTH"},
		{name: "v2 without auth data", b: good[:12], want: ErrLength, reason: "BAD_LENGTH"},
		{name: "trailing byte", b: append(append([]byte(nil), good...), 0), want: ErrLength, reason: "BAD_LENGTH"},
		{name: "v2 checksum", b: mod(good, func(b []byte) { b[2] = 101 }), want: ErrChecksum, reason: "BAD_CHECKSUM"},
		{name: "carp", b: carpPacket(), want: ErrCARP, reason: "CARP"},
		{name: "carp in ip", b: ipWrap(t, carpPacket(), 255, 112, 0), ip: true, want: ErrCARP, reason: "CARP"},
		{name: "ttl 64", b: ipWrap(t, good, 64, 112, 0), ip: true, want: ErrTTL, reason: "BAD_TTL"},
		{name: "protocol 17", b: ipWrap(t, good, 255, 17, 0), ip: true, want: ErrNotVRRP, reason: "NOT_VRRP"},
		{name: "fragment", b: ipWrap(t, good, 255, 112, 0x2000), ip: true, want: ErrFragment, reason: "FRAGMENT"},
		{name: "ip header checksum", b: mod(ipWrap(t, good, 255, 112, 0), func(b []byte) { b[10]++ }), ip: true, want: ErrIPHeader, reason: "BAD_IP_HEADER"},
		{name: "ip total length", b: ipWrap(t, good, 255, 112, 0)[:30], ip: true, want: ErrTruncated, reason: "TRUNCATED"},
		{name: "ip version 6", b: mod(ipWrap(t, good, 255, 112, 0), func(b []byte) { b[0] = 0x65 }), ip: true, want: ErrIPHeader, reason: "BAD_IP_HEADER"},
		{name: "v3 pseudo checksum", b: mod(ipWrap(t, v3, 255, 112, 0), func(b []byte) {
			b[12+3] = 4 // another source: the pseudo-header no longer matches
			b[10], b[11] = 0, 0
			binary.BigEndian.PutUint16(b[10:12], Checksum(b[:20]))
		}), ip: true, want: ErrChecksum, reason: "BAD_CHECKSUM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.ip {
				_, err = DecodeIPv4(tt.b)
			} else {
				_, err = Decode(tt.b)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if got := Reason(err); got != tt.reason {
				t.Fatalf("Reason = %q, want %q", got, tt.reason)
			}
		})
	}
}

func TestCARPIsNeverVRRP(t *testing.T) {
	_, err := Decode(carpPacket())
	var ce *CARPError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *CARPError", err)
	}
	want := &CARPError{VHID: 51, AdvBase: 1, Counter: 1<<32 | 2}
	if diff := cmp.Diff(want, ce); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	// A real VRRPv2 advert with 7 addresses (byte 3 = 7, like CARP's
	// authlen) is 44 bytes and must still decode as VRRP.
	addrs := make([]netip.Addr, 7)
	for i := range addrs {
		addrs[i] = netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)})
	}
	b := mustEncode(t, Advert{Version: 2, VRID: 51, Priority: 100, Interval: 1, Addrs: addrs}, src, Group)
	if a, err := Decode(b); err != nil || len(a.Addrs) != 7 {
		t.Fatalf("7-address VRRPv2: %v, %d addrs", err, len(a.Addrs))
	}
}

func TestTTLErrorKeepsAdvert(t *testing.T) {
	good := mustEncode(t, Advert{Version: 2, VRID: 7, Priority: 100, Interval: 1, Addrs: []netip.Addr{vip}}, src, Group)
	p, err := DecodeIPv4(ipWrap(t, good, 254, 112, 0))
	if !errors.Is(err, ErrTTL) {
		t.Fatalf("err = %v", err)
	}
	if p.Advert.VRID != 7 || p.Src != src || p.TTL != 254 {
		t.Fatalf("partial packet = %+v", p)
	}
}

func TestLegacyV3Checksum(t *testing.T) {
	peer := netip.MustParseAddr("192.168.77.2")
	a := Advert{Version: 3, VRID: 51, Priority: 100, Interval: 100, Addrs: []netip.Addr{vip}}
	b, err := EncodeIPv4(Packet{Src: src, Dst: peer, TTL: TTL, Advert: a, LegacyChecksum: true}, 1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := DecodeIPv4(b)
	if err != nil || !p.LegacyChecksum {
		t.Fatalf("legacy unicast v3: %v, legacy=%v", err, p.LegacyChecksum)
	}
	b, err = EncodeIPv4(Packet{Src: src, Dst: peer, TTL: TTL, Advert: a}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := DecodeIPv4(b); err != nil || p.LegacyChecksum {
		t.Fatalf("rfc unicast v3: %v, legacy=%v", err, p.LegacyChecksum)
	}
}

func TestAdvertInterval(t *testing.T) {
	if got := (Advert{Version: 2, Interval: 2}).AdvertInterval(); got != 2*time.Second {
		t.Errorf("v2: %v", got)
	}
	if got := (Advert{Version: 3, Interval: 10}).AdvertInterval(); got != 100*time.Millisecond {
		t.Errorf("v3: %v", got)
	}
}

func TestAuthTypeText(t *testing.T) {
	for _, a := range []AuthType{AuthNone, AuthSimple, AuthAH, 9} {
		b, _ := a.MarshalText()
		var back AuthType
		if err := back.UnmarshalText(b); err != nil || back != a {
			t.Errorf("%v: back %v, %v", a, back, err)
		}
	}
	var a AuthType
	if err := a.UnmarshalText([]byte("md5")); err == nil {
		t.Error("md5 accepted")
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name string
		a    Advert
		s, d netip.Addr
	}{
		{"version", Advert{Version: 4, VRID: 1}, src, Group},
		{"vrid", Advert{Version: 2}, src, Group},
		{"v2 interval", Advert{Version: 2, VRID: 1, Interval: 256}, src, Group},
		{"v3 interval", Advert{Version: 3, VRID: 1, Interval: 0x1000}, src, Group},
		{"v3 no src", Advert{Version: 3, VRID: 1}, netip.Addr{}, Group},
		{"ipv6 vip", Advert{Version: 2, VRID: 1, Addrs: []netip.Addr{netip.MustParseAddr("fe80::1")}}, src, Group},
		{"256 addrs", Advert{Version: 2, VRID: 1, Addrs: make([]netip.Addr, 256)}, src, Group},
	}
	for _, tt := range tests {
		if _, err := Encode(tt.a, tt.s, tt.d); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}
