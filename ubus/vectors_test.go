package ubus

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/floatgw/floatgw/ubus/internal/vectors"
	"github.com/google/go-cmp/cmp"
)

// TestVectorsRoundTrip decodes every recorded message, re-encodes it byte for
// byte, and checks our reading against the recorded "decoded" view.
func TestVectorsRoundTrip(t *testing.T) {
	for _, name := range vectors.Names(t) {
		f := vectors.Load(t, name)
		t.Run(name, func(t *testing.T) {
			if len(f.Msgs) == 0 {
				t.Fatal("no messages")
			}
			for _, rec := range f.Msgs {
				m, err := ParseMessage(rec.Bytes)
				if err != nil {
					t.Fatalf("msg %d: parse: %v", rec.Index, err)
				}
				// The same bytes through the stream reader.
				m2, err := ReadMessage(bytes.NewReader(rec.Bytes))
				if err != nil {
					t.Fatalf("msg %d: ReadMessage: %v", rec.Index, err)
				}
				if diff := cmp.Diff(m, m2); diff != "" {
					t.Fatalf("msg %d: ReadMessage differs from ParseMessage (-parse +read):\n%s", rec.Index, diff)
				}
				if m.Type.String() != rec.Type || int(m.Seq) != rec.Seq || fmt.Sprintf("%08x", m.Peer) != rec.Peer {
					t.Errorf("msg %d: header %s/%d/%08x, recorded %s/%d/%s", rec.Index, m.Type, m.Seq, m.Peer, rec.Type, rec.Seq, rec.Peer)
				}
				out, err := m.MarshalBinary()
				if err != nil {
					t.Fatalf("msg %d: marshal: %v", rec.Index, err)
				}
				if !bytes.Equal(out, rec.Bytes) {
					t.Errorf("msg %d: re-encoded\n got %x\nwant %x", rec.Index, out, rec.Bytes)
				}
				// Every blobmsg payload re-encodes byte-identically too.
				for _, a := range m.Attrs {
					if m.Type == MsgMonitor || (a.ID != AttrData && a.ID != AttrSignature) {
						continue
					}
					tbl, err := UnmarshalTable(a.Data)
					if err != nil {
						continue // plain blob attrs (the monitor's "add"), checked by the view
					}
					enc, err := MarshalTable(tbl)
					if err != nil {
						t.Fatalf("msg %d: marshal %s: %v", rec.Index, a.ID, err)
					}
					if !bytes.Equal(enc, a.Data) {
						t.Errorf("msg %d: %s re-encoded\n got %x\nwant %x", rec.Index, a.ID, enc, a.Data)
					}
				}
				got := normalise(t, view(t, m))
				want := normalise(t, rec.Decoded)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("msg %d (%s): decoded view (-recorded +ours):\n%s", rec.Index, rec.Type, diff)
				}
			}
		})
	}
}

func normalise(t *testing.T, v any) any {
	t.Helper()
	var b []byte
	if raw, ok := v.(json.RawMessage); ok {
		b = raw
	} else {
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// view renders a message the way the capture script's decoder did.
func view(t *testing.T, m *Message) []any {
	out := []any{}
	for _, a := range m.Attrs {
		if m.Type == MsgMonitor {
			out = append(out, map[string]any{"attr": MonitorAttrName(a.ID), "value": monitorValue(a)})
			continue
		}
		var v any
		switch a.ID {
		case AttrObjID, AttrObjType, AttrTarget:
			v = fmt.Sprintf("%08x", binary.BigEndian.Uint32(a.Data))
		case AttrStatus:
			v = int32(binary.BigEndian.Uint32(a.Data))
		case AttrActive, AttrNoReply:
			v = int8(a.Data[0])
		case AttrObjPath, AttrMethod, AttrUser, AttrGroup:
			v = string(a.Data[:len(a.Data)-1])
		case AttrSubscribers:
			ids, err := m.Subscribers()
			if err != nil {
				t.Fatal(err)
			}
			l := []any{}
			for _, id := range ids {
				l = append(l, fmt.Sprintf("%08x", id))
			}
			v = l
		case AttrData, AttrSignature:
			tbl, err := UnmarshalTable(a.Data)
			if err != nil {
				v = plainView(t, a.Data)
			} else {
				v = fieldsView(tbl, false)
			}
		default:
			t.Fatalf("unexpected attribute %s", a.ID)
		}
		out = append(out, map[string]any{"attr": a.ID.String(), "value": v})
	}
	return out
}

func monitorValue(a MsgAttr) any {
	switch a.ID {
	case MonitorClient, MonitorPeer:
		return fmt.Sprintf("%08x", binary.BigEndian.Uint32(a.Data))
	case MonitorSeq:
		return binary.BigEndian.Uint32(a.Data)
	case MonitorType:
		return MsgType(binary.BigEndian.Uint32(a.Data)).String()
	case MonitorSend:
		return a.Data[0]
	case MonitorData:
		return map[string]any{"hex": hex.EncodeToString(a.Data)}
	}
	return nil
}

func plainView(t *testing.T, b []byte) []any {
	out := []any{}
	for off := 0; off < len(b); {
		a, next, err := nextAttr(b, off)
		if err != nil {
			t.Fatalf("plain blob view: %v", err)
		}
		out = append(out, map[string]any{"blob_attr_id": a.id, "extended": a.extended, "payload_hex": hex.EncodeToString(a.payload)})
		off = next
	}
	return out
}

func fieldsView(list []Field, array bool) []any {
	out := []any{}
	for _, f := range list {
		item := map[string]any{"type": f.Value.Type.String(), "value": valueView(f.Value)}
		if f.Value.Type == TypeInt8 {
			item["type"] = "int8/bool"
		}
		if !array {
			item["name"] = f.Name
		}
		out = append(out, item)
	}
	return out
}

func valueView(v Value) any {
	switch v.Type {
	case TypeUnspec:
		return nil
	case TypeString:
		return v.Str
	case TypeDouble:
		return v.Float
	case TypeArray:
		return fieldsView(v.List, true)
	case TypeTable:
		return fieldsView(v.List, false)
	default:
		return v.Int
	}
}
