package netwatch

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParseMessage feeds arbitrary bytes to both rtnetlink decoders. They
// must not panic or modify their input, and whatever decodes must encode
// and decode to the same value.
func FuzzParseMessage(f *testing.F) {
	f.Add(newaddrVIP)
	f.Add(cat([]byte{0, 0}, ne16(1), ne32(4), ne32(0x11043), ne32(0), ne16(11), ne16(iflaIfname), []byte("br-lan\x00"), []byte{0}))
	f.Add(cat(make([]byte, 16), []byte{8, 0}))
	f.Add(cat([]byte{10, 64, 0, 0}, ne32(1), ne16(20), ne16(ifaLocal), make([]byte, 16)))
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := bytes.Clone(b)
		if m, err := ParseAddrMessage(b); err == nil {
			enc, err := m.MarshalBinary()
			if err != nil {
				t.Fatalf("decoded but does not encode: %v", err)
			}
			back, err := ParseAddrMessage(enc)
			if err != nil {
				t.Fatalf("re-decode: %v", err)
			}
			if diff := cmp.Diff(m, back, addrComparer); diff != "" {
				t.Fatalf("addr round trip (-first +second):\n%s", diff)
			}
		}
		if m, err := ParseLinkMessage(b); err == nil {
			enc, err := m.MarshalBinary()
			if err != nil {
				t.Fatalf("decoded but does not encode: %v", err)
			}
			back, err := ParseLinkMessage(enc)
			if err != nil {
				t.Fatalf("re-decode: %v", err)
			}
			if diff := cmp.Diff(m, back); diff != "" {
				t.Fatalf("link round trip (-first +second):\n%s", diff)
			}
		}
		if !bytes.Equal(orig, b) {
			t.Fatal("decoder modified its input")
		}
	})
}
