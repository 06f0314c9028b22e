package ubus

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/floatgw/floatgw/ubus/internal/vectors"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// seedVectors adds every recorded frame (or, with data, every blobmsg payload)
// as a seed. Without the shared fixtures the hand-written seeds remain.
func seedVectors(f *testing.F, data bool) {
	if _, err := vectors.Find(); err != nil {
		f.Logf("!!! no seeds from the recorded vectors: %v", err)
		return
	}
	for _, name := range vectors.Names(f) {
		for _, m := range vectors.Load(f, name).Msgs {
			if !data {
				f.Add(m.Bytes)
				continue
			}
			msg, err := ParseMessage(m.Bytes)
			if err != nil {
				continue
			}
			for _, a := range msg.Attrs {
				if a.ID == AttrData || a.ID == AttrSignature {
					f.Add(a.Data)
				}
			}
		}
	}
}

var fuzzOpts = cmp.Options{cmpopts.EquateNaNs(), cmpopts.EquateEmpty()}

// FuzzMessage: every frame either fails to parse or survives
// parse → marshal → parse unchanged, and the stream reader agrees.
func FuzzMessage(f *testing.F) {
	f.Add(mustHex("00000000a8950fd800000004"))
	f.Add(mustHex("00010001000000000000000c0100000800000000"))
	f.Add(mustHex("00ff0001000000000000000c0100000800000000")) // unknown type
	f.Add(mustHex("000100010000000000ffffff01000008"))
	f.Add(mustHex("000a0006000000000000002003000008000000010b00000c0000000800000002"))
	seedVectors(f, false)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMessage(b)
		rm, rerr := ReadMessage(bytes.NewReader(b))
		if err != nil {
			if rerr == nil {
				// Only a prefix may be accepted: b had bytes after the frame.
				if n, _ := checkHeader(b); 8+n == len(b) {
					t.Fatalf("ReadMessage accepted what ParseMessage rejected (%v)", err)
				}
			}
			return
		}
		if rerr != nil {
			t.Fatalf("ReadMessage rejected a valid frame: %v", rerr)
		}
		if diff := cmp.Diff(m, rm, fuzzOpts); diff != "" {
			t.Fatalf("ReadMessage differs:\n%s", diff)
		}
		out, err := m.MarshalBinary()
		if err != nil {
			t.Fatalf("marshal of a parsed message: %v", err)
		}
		m2, err := ParseMessage(out)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if diff := cmp.Diff(m, m2, fuzzOpts); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
		_, _ = m.Subscribers()
		_, _ = m.Table(AttrData)
		_, _ = m.Table(AttrSignature)
	})
}

type plainAttr struct {
	ID       uint8
	Extended bool
	Payload  []byte
}

func parsePlain(b []byte) ([]plainAttr, error) {
	var out []plainAttr
	for off := 0; off < len(b); {
		a, next, err := nextAttr(b, off)
		if err != nil {
			return nil, err
		}
		out = append(out, plainAttr{a.id, a.extended, append([]byte{}, a.payload...)})
		off = next
	}
	return out, nil
}

func encodePlain(list []plainAttr) ([]byte, error) {
	var b []byte
	for _, a := range list {
		var start int
		b, start = appendHeaderPlaceholder(b)
		b = append(b, a.Payload...)
		var err error
		if b, err = finishAttr(b, start, a.ID, a.Extended); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// FuzzBlob: the plain blob attribute walker used for message bodies and the
// SUBSCRIBERS list never panics and round-trips.
func FuzzBlob(f *testing.F) {
	f.Add(mustHex("0100000800000000"))
	f.Add(mustHex("03000008000000030400000861646400"))
	f.Add(mustHex("0b00000c00000008aa854130"))
	f.Add(mustHex("00000003"))
	f.Add(mustHex("0000000900000000"))
	seedVectors(f, true)
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := parsePlain(b)
		if err != nil {
			return
		}
		out, err := encodePlain(list)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		list2, err := parsePlain(out)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if diff := cmp.Diff(list, list2, fuzzOpts); diff != "" {
			t.Fatalf("round trip:\n%s", diff)
		}
		m := &Message{Attrs: []MsgAttr{{ID: AttrSubscribers, Data: b}}}
		_, _ = m.Subscribers()
	})
}

// FuzzBlobmsg: table contents either fail to decode or survive
// decode → encode → decode, the second encoding is canonical, the sticky
// decoder agrees with UnmarshalTable, and JSON rendering never panics.
func FuzzBlobmsg(f *testing.F) {
	f.Add(mustHex("8500000c0001610000000001"))
	f.Add(mustHex("870000110007656e61626c656400000001000000"))
	f.Add(mustHex("8100001c000361727200000081000010000000008500000c0000000000000001"))
	f.Add(mustHex("8200000800016f00"))
	f.Add(mustHex("88000010000164003ff8000000000000"))
	seedVectors(f, true)
	f.Fuzz(func(t *testing.T, b []byte) {
		tbl, err := UnmarshalTable(b)
		walkDecoder(NewDecoder(b))
		if err != nil {
			return
		}
		out, err := MarshalTable(tbl)
		if err != nil {
			t.Fatalf("marshal of a decoded table: %v", err)
		}
		tbl2, err := UnmarshalTable(out)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if diff := cmp.Diff(tbl, tbl2, fuzzOpts); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
		out2, err := MarshalTable(tbl2)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("encoding not canonical: %v", err)
		}
		if _, err := BlobmsgToJSON(tbl); err != nil {
			t.Fatalf("json: %v", err)
		}
		if _, err := BlobmsgToJSONIndent(tbl); err != nil {
			t.Fatalf("json indent: %v", err)
		}
	})
}

// walkDecoder exercises every getter, right or wrong, to prove the sticky
// decoder never panics.
func walkDecoder(d *Decoder) {
	for d.Next() {
		switch d.Type() {
		case TypeTable, TypeArray:
			walkDecoder(d.Nested())
		default:
			_ = d.Int32()
			_ = d.String()
		}
		_ = d.Value()
	}
	_ = d.Err()
}
