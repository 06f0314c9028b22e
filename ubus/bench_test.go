package ubus_test

import (
	"context"
	"testing"
	"time"

	"github.com/floatgw/floatgw/ubus"
	"github.com/floatgw/floatgw/ubus/ubustest"
)

// statusReply is a typical floatgw status answer: a few scalars and two
// VIPs with their state.
func statusReply() ubus.Table {
	vip := func(name, addr, role string, prio int32) ubus.Value {
		return ubus.TableOf(ubus.Table{
			{Name: "name", Value: ubus.String(name)},
			{Name: "address", Value: ubus.String(addr)},
			{Name: "vrid", Value: ubus.Int32(51)},
			{Name: "role", Value: ubus.String(role)},
			{Name: "priority", Value: ubus.Int32(prio)},
			{Name: "since", Value: ubus.Int64(1763763600)},
			{Name: "healthy", Value: ubus.Bool(true)},
		})
	}
	return ubus.Table{
		{Name: "schema", Value: ubus.Int32(1)},
		{Name: "node", Value: ubus.String("r1")},
		{Name: "enabled", Value: ubus.Bool(true)},
		{Name: "vips", Value: ubus.ArrayOf(vip("lan", "192.168.77.1", "MASTER", 150), vip("guest", "192.168.78.1", "BACKUP", 100))},
		{Name: "problems", Value: ubus.ArrayOf()},
		{Name: "keepalived", Value: ubus.TableOf(ubus.Table{{Name: "running", Value: ubus.Bool(true)}, {Name: "pid", Value: ubus.Int32(1234)}})},
	}
}

func statusMessage(b *testing.B) *ubus.Message {
	m := &ubus.Message{Type: ubus.MsgData, Seq: 2, Peer: 0xdc000f09}
	m.PutUint32(ubus.AttrObjID, 0x4c3cf179)
	if err := m.PutTable(ubus.AttrData, statusReply()); err != nil {
		b.Fatal(err)
	}
	return m
}

func BenchmarkStatusReplyEncode(b *testing.B) {
	reply := statusReply()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m := &ubus.Message{Type: ubus.MsgData, Seq: 2, Peer: 0xdc000f09}
		m.PutUint32(ubus.AttrObjID, 0x4c3cf179)
		if err := m.PutTable(ubus.AttrData, reply); err != nil {
			b.Fatal(err)
		}
		if _, err := m.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStatusReplyDecode(b *testing.B) {
	frame, err := statusMessage(b).MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := ubus.ParseMessage(frame)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Table(ubus.AttrData); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallRoundTrip is one `ubus call floatgw status` through the
// in-process broker: LOOKUP + INVOKE, relayed DATA + STATUS.
func BenchmarkCallRoundTrip(b *testing.B) {
	br := ubustest.NewTest(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv, err := ubus.Dial(ctx, br.Path())
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	reply := statusReply()
	if err := srv.AddObject(ctx, &ubus.Object{Name: "floatgw", Methods: []ubus.Method{{
		Name:    "status",
		Handler: func(context.Context, *ubus.Request) (ubus.Table, error) { return reply, nil },
	}}}); err != nil {
		b.Fatal(err)
	}
	cl, err := ubus.Dial(ctx, br.Path())
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := cl.Call(ctx, "floatgw", "status", nil); err != nil {
			b.Fatal(err)
		}
	}
}
