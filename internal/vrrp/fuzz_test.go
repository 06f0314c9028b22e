package vrrp

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/floatgw/floatgw/internal/testenv"
	"github.com/google/go-cmp/cmp"
)

// FuzzDecode feeds arbitrary bytes to Decode (as a VRRP payload) and to
// DecodeIPv4 (as an IPv4 packet). Neither may panic; whatever decodes must
// encode again and decode to the same value, and a VRRPv2 payload must come
// back byte for byte. The corpus is seeded with every advert of the shared
// keepalived captures, a CARP packet and hand-made edge cases.
func FuzzDecode(f *testing.F) {
	dir := filepath.Join(testenv.RepoRoot(f), "..", "shared", "keepalived-samples", "pcap")
	files, _ := filepath.Glob(filepath.Join(dir, "*.pcap"))
	seen := map[string]bool{}
	for _, file := range files {
		for _, rec := range testenv.ReadPcap(f, file) {
			ip := ipPayload(rec.Data)
			if ip == nil || len(ip) < 20 || ip[9] != Protocol {
				continue
			}
			// Seed one packet per distinct VRRP header, not thousands.
			if k := string(ip[20:26]); !seen[k] {
				seen[k] = true
				f.Add(append([]byte(nil), ip...))
				f.Add(append([]byte(nil), ip[20:]...))
			}
		}
	}
	f.Add(carpPacket())
	f.Add([]byte{0x21, 1, 100, 0, 0, 1, 0, 0})
	f.Add([]byte{0x31, 1, 100, 255, 0xff, 0xff, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := append([]byte(nil), b...)
		if a, err := Decode(b); err == nil {
			enc, err := Encode(a, src, Group)
			if err != nil {
				t.Fatalf("decoded but does not encode: %v\n%+v", err, a)
			}
			if a.Version == 2 && !bytes.Equal(enc, b) {
				t.Fatalf("v2 round trip\n got % x\nwant % x", enc, b)
			}
			back, err := Decode(enc)
			if err != nil {
				t.Fatalf("re-decode: %v", err)
			}
			a.Checksum, back.Checksum = 0, 0
			if diff := cmp.Diff(a, back, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
				t.Fatalf("round trip (-first +second):\n%s", diff)
			}
		}
		if p, err := DecodeIPv4(b); err == nil {
			if p.TTL != TTL {
				t.Fatalf("accepted ttl %d", p.TTL)
			}
			enc, err := EncodeIPv4(p, binary.BigEndian.Uint16(b[4:6]))
			if err != nil {
				t.Fatalf("decoded but does not encode: %v", err)
			}
			back, err := DecodeIPv4(enc)
			if err != nil {
				t.Fatalf("re-decode: %v", err)
			}
			p.Advert.Checksum, back.Advert.Checksum = 0, 0
			if diff := cmp.Diff(p, back, cmp.Comparer(func(x, y netip.Addr) bool { return x == y })); diff != "" {
				t.Fatalf("round trip (-first +second):\n%s", diff)
			}
		}
		if !bytes.Equal(orig, b) {
			t.Fatal("decoder modified its input")
		}
	})
}
