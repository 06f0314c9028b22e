package arp

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/floatgw/floatgw/internal/testenv"
	"github.com/google/go-cmp/cmp"
)

// FuzzParseFrame feeds arbitrary bytes to ParseFrame and ParsePacket. They
// must not panic or modify their input; whatever decodes must encode back
// to the same bytes (Ethernet padding aside) and classify the same way.
func FuzzParseFrame(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(testenv.RepoRoot(f), "..", "shared", "keepalived-samples", "pcap", "garp-*.pcap"))
	for _, file := range files {
		for i, rec := range testenv.ReadPcap(f, file) {
			if i < 2 {
				f.Add(bytes.Clone(rec.Data))
			}
		}
	}
	good, _ := Frame{Dst: Broadcast, Src: macA, Packet: Packet{Op: OpRequest, SenderMAC: macA, SenderIP: any4, TargetMAC: zero, TargetIP: vip}}.MarshalBinary()
	f.Add(good)
	f.Add(good[:41])
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := bytes.Clone(b)
		opt := cmp.Comparer(func(x, y netip.Addr) bool { return x == y })
		if fr, err := ParseFrame(b); err == nil {
			enc, err := fr.MarshalBinary()
			if err != nil {
				t.Fatalf("decoded but does not encode: %v", err)
			}
			if !bytes.Equal(enc, b[:len(enc)]) {
				t.Fatalf("round trip\n got % x\nwant % x", enc, b[:len(enc)])
			}
			back, err := ParseFrame(enc)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(fr, back, opt); diff != "" || back.Kind() != fr.Kind() {
				t.Fatalf("re-decode (-first +second):\n%s", diff)
			}
		}
		if p, err := ParsePacket(b); err == nil {
			enc, err := p.MarshalBinary()
			if err != nil {
				t.Fatalf("decoded but does not encode: %v", err)
			}
			if !bytes.Equal(enc, b[:len(enc)]) {
				t.Fatalf("packet round trip\n got % x\nwant % x", enc, b[:len(enc)])
			}
		}
		if !bytes.Equal(orig, b) {
			t.Fatal("decoder modified its input")
		}
	})
}
