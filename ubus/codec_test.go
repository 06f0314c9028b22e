package ubus

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/floatgw/floatgw/ubus/internal/vectors"
	"github.com/google/go-cmp/cmp"
)

// chunks joins hex chunks, one per protocol field, so expectations read like
// the wire.
func chunks(parts ...string) []byte {
	return mustHex(strings.ReplaceAll(strings.Join(parts, ""), " ", ""))
}

func TestMarshalTableLayout(t *testing.T) {
	// The example of ubus-protocol.md §4, produced by `ubus call`.
	tbl := Table{
		{Name: "enabled", Value: Bool(true)},
		{Name: "vip", Value: String("1.2.3.4")},
		{Name: "prio", Value: Int32(100)},
		{Name: "big", Value: Int64(5000000000)},
		{Name: "d", Value: Double(1.5)},
		{Name: "n", Value: Null()},
		{Name: "arr", Value: ArrayOf(Int32(1), String("a"))},
		{Name: "o", Value: TableOf(Table{{Name: "x", Value: Int32(-1)}})},
	}
	want := chunks(
		"87000011", "0007 656e61626c6564 00 0000", "01 000000",
		"83000014", "0003 766970 00 0000", "312e322e332e3400",
		"85000010", "0004 7072696f 00 00", "00000064",
		"84000014", "0003 626967 00 0000", "000000012a05f200",
		"88000010", "0001 64 00", "3ff8000000000000",
		"80000008", "0001 6e 00",
		"81000024", "0003 617272 00 0000",
		"8500000c", "0000 00 00", "00000001",
		"8300000a", "0000 00 00", "6100 0000",
		"82000014", "0001 6f 00",
		"8500000c", "0001 78 00", "ffffffff",
	)
	got, err := MarshalTable(tbl)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %x\nwant %x", got, want)
	}
	back, err := UnmarshalTable(got)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tbl, back, fuzzOpts); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// The same from JSON, as the ubus CLI would send it.
	js, err := JSONToBlobmsg([]byte(`{"enabled":true,"vip":"1.2.3.4","prio":100,"big":5000000000,"d":1.5,"n":null,"arr":[1,"a"],"o":{"x":-1}}`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tbl, js, fuzzOpts); diff != "" {
		t.Errorf("json (-want +got):\n%s", diff)
	}
}

func nested(depth int) Value {
	v := Int32(1)
	for i := 0; i < depth; i++ {
		v = ArrayOf(v)
	}
	return v
}

func TestBadBlobmsg(t *testing.T) {
	deep, err := appendField(nil, "x", nested(MaxDepth+1), true, -1) // bypass the encoder's own cap
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{"truncated header", chunks("850000")},
		{"length below header", chunks("80000002")},
		{"length past end", chunks("8500000c 0001 6100 000000")},
		{"missing padding", chunks("83000009 0001 6100 62")},
		{"name header truncated", chunks("83000005 00 000000")},
		{"name longer than attribute", chunks("83000008 00ff 0000")},
		{"name not NUL-terminated", chunks("8500000c 0001 6162 00000001")},
		{"table member without name", chunks("8500000c 0000 0000 00000001")},
		{"table member not extended", chunks("05000008 00000001")},
		{"unknown type", chunks("89000008 0001 6100")},
		{"int32 with 2 bytes", chunks("8500000a 0001 6100 0001 0000")},
		{"int8 with 4 bytes", chunks("8700000c 0001 6100 00000001")},
		{"int64 with 4 bytes", chunks("8400000c 0001 6100 00000001")},
		{"double with 4 bytes", chunks("8800000c 0001 6100 00000001")},
		{"string without NUL", chunks("8300000c 0001 6100 61626364")},
		{"empty string value", chunks("83000008 0001 6100")},
		{"bad member inside array", chunks("81000014 0001 6100 8500000a 0000 0000 0001 0000")},
		{"unnamed member inside table", chunks("82000014 0001 6100 8500000c 0000 0000 00000001")},
		{"too deep", deep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := UnmarshalTable(tt.in)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("got %v, want ErrMalformed", err)
			}
		})
	}
	// Exactly MaxDepth levels are fine both ways.
	ok, err := MarshalTable(Table{{Name: "x", Value: nested(MaxDepth)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := UnmarshalTable(ok); err != nil {
		t.Fatal(err)
	}
	if _, err := MarshalTable(Table{{Name: "x", Value: nested(MaxDepth + 1)}}); err == nil {
		t.Fatal("encoder accepted nesting beyond MaxDepth")
	}
	// libubox accepts array members without the extended bit.
	arr := chunks("81000010 0001 6100 05000008 00000007")
	got, err := UnmarshalTable(arr)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Table{{Name: "a", Value: ArrayOf(Int32(7))}}, got); diff != "" {
		t.Error(diff)
	}
}

func TestEncodeErrors(t *testing.T) {
	for name, tbl := range map[string]Table{
		"unnamed table member": {{Value: Int32(1)}},
		"int8 out of range":    {{Name: "a", Value: Value{Type: TypeInt8, Int: 300}}},
		"int32 out of range":   {{Name: "a", Value: Value{Type: TypeInt32, Int: 1 << 40}}},
		"unknown type":         {{Name: "a", Value: Value{Type: 42}}},
		"long name":            {{Name: strings.Repeat("n", 70000), Value: Null()}},
		"nested unnamed":       {{Name: "a", Value: Value{Type: TypeTable, List: []Field{{Value: Null()}}}}},
	} {
		if _, err := MarshalTable(tbl); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	big := &Message{Type: MsgInvoke}
	big.PutRaw(AttrData, make([]byte, MaxMessageLen))
	if _, err := big.MarshalBinary(); err == nil {
		t.Error("oversized message encoded")
	}
}

func TestDecoderSticky(t *testing.T) {
	b, _ := MarshalTable(Table{
		{Name: "n", Value: Int32(7)},
		{Name: "s", Value: String("x")},
		{Name: "t", Value: TableOf(Table{{Name: "b", Value: Bool(true)}})},
	})
	d := NewDecoder(b)
	var n int32
	var s string
	for d.Next() {
		switch d.Name() {
		case "n":
			n = d.Int32()
		case "s":
			s = d.String()
		case "t":
			nd := d.Nested()
			for nd.Next() {
				_ = nd.Bool()
			}
		}
	}
	if d.Err() != nil || n != 7 || s != "x" {
		t.Fatalf("%v %d %q", d.Err(), n, s)
	}
	d = NewDecoder(b)
	d.Next()
	_ = d.String() // wrong type: sticky error
	if d.Next() || d.Err() == nil {
		t.Fatal("decoder continued after a type error")
	}
	if _ = d.Int32(); !strings.Contains(d.Err().Error(), `"n" is int32, want string`) {
		t.Fatalf("first error not kept: %v", d.Err())
	}
}

func TestNoAliasing(t *testing.T) {
	in, _ := MarshalTable(Table{{Name: "s", Value: String("abc")}, {Name: "u", Value: Value{Type: TypeUnspec, Raw: []byte{1, 2, 3, 4}}}})
	tbl, err := UnmarshalTable(in)
	if err != nil {
		t.Fatal(err)
	}
	frame := mustHex("000200010000000000000014030000084c3cf17905000008f25a1fa3")
	m, err := ParseMessage(frame)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		in[i] = 0xee
	}
	for i := range frame {
		frame[i] = 0xee
	}
	if s, _ := tbl.String("s"); s != "abc" {
		t.Errorf("string aliased input: %q", s)
	}
	if u, _ := tbl.Get("u"); !bytes.Equal(u.Raw, []byte{1, 2, 3, 4}) {
		t.Errorf("raw aliased input: %x", u.Raw)
	}
	if id, _ := m.Uint32(AttrObjID); id != 0x4c3cf179 {
		t.Errorf("message aliased input: %08x", id)
	}
}

// slowReader hands out its data and then blocks, like a socket whose peer
// announced more than it sends.
type countingReader struct {
	r    io.Reader
	read int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

func TestBadFrames(t *testing.T) {
	tests := []struct {
		name  string
		in    []byte
		frame bool // ErrBadFrame: stream unusable
		eof   bool
	}{
		{"empty", nil, false, true},
		{"short header", chunks("0000 0000 a895"), false, true},
		{"version 1", chunks("01000000 a8950fd8 00000004"), true, false},
		{"body length 0", chunks("00000000 a8950fd8 00000000"), true, false},
		{"body header id set", chunks("00000000 a8950fd8 01000004"), true, false},
		{"body header extended", chunks("00000000 a8950fd8 80000004"), true, false},
		{"oversized", chunks("00020001 00000000 00fffffc"), true, false},
		{"just over 1 MiB", chunks("00020001 00000000 00100001"), true, false},
		{"truncated body", chunks("00010001 00000000 0000000c 0100"), false, true},
		{"status of 2 bytes", chunks("00010001 00000000 0000000a 01000006 0000 0000"), false, false},
		{"method without NUL", chunks("00050001 00000000 0000000c 04000008 61626364"), false, false},
		{"active of 4 bytes", chunks("000a0001 00000000 0000000c 09000008 00000001"), false, false},
		{"blobmsg bit on attribute", chunks("00010001 00000000 0000000c 81000008 00000000"), false, false},
		{"misaligned attribute", chunks("00010001 00000000 0000000b 01000007 000000"), false, false},
		{"trailing garbage in body", chunks("00010001 00000000 0000000e 01000008 00000000 0000 0000"), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cr := &countingReader{r: bytes.NewReader(tt.in)}
			_, err := ReadMessage(cr)
			switch {
			case tt.eof:
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("got %v, want EOF", err)
				}
			case tt.frame:
				if !errors.Is(err, ErrBadFrame) {
					t.Fatalf("got %v, want ErrBadFrame", err)
				}
				if cr.read > headerLen {
					t.Fatalf("read %d bytes past a bad header", cr.read-headerLen)
				}
			default:
				if !errors.Is(err, ErrMalformed) || errors.Is(err, ErrBadFrame) {
					t.Fatalf("got %v, want ErrMalformed only", err)
				}
			}
			if len(tt.in) >= headerLen {
				if _, err := ParseMessage(tt.in); err == nil {
					t.Fatal("ParseMessage accepted it")
				}
			}
		})
	}
}

// hostileUbusd accepts one client, sends HELLO, then whatever script says.
func hostileUbusd(t *testing.T, script func(nc net.Conn)) string {
	dir, err := os.MkdirTemp("", "ubushostile")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop); ln.Close(); os.RemoveAll(dir) })
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		script(nc)
		<-stop
	}()
	return path
}

func TestHostileUbusd(t *testing.T) {
	hello := chunks("00000000 0000abcd 00000004")
	tests := []struct {
		name   string
		script func(nc net.Conn)
		want   error
	}{
		{"oversized frame", func(nc net.Conn) {
			nc.Write(hello)
			nc.Write(chunks("00010001 00000000 00ffffff"))
		}, ErrDisconnected},
		{"bad version", func(nc net.Conn) {
			nc.Write(hello)
			nc.Write(chunks("07010001 00000000 0000000c 01000008 00000000"))
		}, ErrDisconnected},
		{"garbage then silence", func(nc net.Conn) {
			nc.Write(hello)
			nc.Write(chunks("00010001 00000000 0000000c 01000006 0000 0000")) // skipped
		}, StatusTimeout},
		{"endless data", func(nc net.Conn) {
			nc.Write(hello)
			d := &Message{Type: MsgData, Seq: 1}
			d.PutRaw(AttrData, make([]byte, 1000000))
			frame, _ := d.MarshalBinary()
			for i := 0; i < 80; i++ {
				if _, err := nc.Write(frame); err != nil {
					return
				}
			}
		}, nil},
		{"status for someone else", func(nc net.Conn) {
			nc.Write(hello)
			nc.Write(chunks("00010001 00000099 0000000c 01000008 00000000"))
		}, StatusTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := hostileUbusd(t, tt.script)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			c, err := Dial(ctx, path, WithoutReconnect(), WithTimeout(300*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			_, err = c.Lookup(context.Background(), "")
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("took %v", d)
			}
		})
	}
	t.Run("no hello", func(t *testing.T) {
		path := hostileUbusd(t, func(nc net.Conn) {})
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		if _, err := Dial(ctx, path); err == nil {
			t.Fatal("dial without HELLO succeeded")
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Fatalf("dial without HELLO returned after %v, want about 200 ms (ctx)", el)
		}
	})
	t.Run("canceled context", func(t *testing.T) {
		path := hostileUbusd(t, func(nc net.Conn) { nc.Write(hello) })
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := Dial(ctx, path); !errors.Is(err, context.Canceled) {
			t.Fatalf("dial with a canceled context: %v, want context.Canceled", err)
		}
	})
}

func TestSocketSearch(t *testing.T) {
	f := vectors.Load(t, "a_connect_hello")
	path, done := replayUbusd(t, f.Conn(1))
	old := socketPaths
	socketPaths = []string{filepath.Join(t.TempDir(), "missing.sock"), path}
	defer func() { socketPaths = old }()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c, err := Dial(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if c.ID() != 0xa8950fd8 {
		t.Fatalf("id %08x", c.ID())
	}
	socketPaths = []string{filepath.Join(t.TempDir(), "missing.sock")}
	if _, err := Dial(ctx, ""); err == nil {
		t.Fatal("dial to a missing socket succeeded")
	}
}

func TestJSONToBlobmsg(t *testing.T) {
	tests := []struct {
		in   string
		want Table
		err  bool
	}{
		{`{}`, nil, false},
		{`{"a":1,"b":-2147483648,"c":2147483648,"d":-2147483649}`, Table{
			{Name: "a", Value: Int32(1)}, {Name: "b", Value: Int32(math.MinInt32)},
			{Name: "c", Value: Int64(2147483648)}, {Name: "d", Value: Int64(-2147483649)}}, false},
		{`{"big":99999999999999999999,"neg":-99999999999999999999}`, Table{
			{Name: "big", Value: Int64(math.MaxInt64)}, {Name: "neg", Value: Int64(math.MinInt64)}}, false},
		{`{"f":1.0,"e":1e3,"E":2E-1}`, Table{
			{Name: "f", Value: Double(1)}, {Name: "e", Value: Double(1000)}, {Name: "E", Value: Double(0.2)}}, false},
		{`{"t":true,"f":false,"n":null}`, Table{
			{Name: "t", Value: Bool(true)}, {Name: "f", Value: Bool(false)}, {Name: "n", Value: Null()}}, false},
		{`{"s":"a\u0000b","k\u0000x":1}`, Table{{Name: "s", Value: String("a")}, {Name: "k", Value: Int32(1)}}, false},
		{`{"a":1,"b":2,"a":3}`, Table{{Name: "a", Value: Int32(3)}, {Name: "b", Value: Int32(2)}}, false},
		{`{"arr":[[],{}]}`, Table{{Name: "arr", Value: ArrayOf(ArrayOf(), TableOf(nil))}}, false},
		{`[1]`, nil, true},
		{`"x"`, nil, true},
		{`{"a":`, nil, true},
		{`{"a":{"":1}}`, nil, true},
		{`{"a":` + strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2) + `}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := JSONToBlobmsg([]byte(tt.in))
			if tt.err {
				if !errors.Is(err, StatusParseError) {
					t.Fatalf("got %v, want a parse error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, fuzzOpts); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestBlobmsgToJSON(t *testing.T) {
	tbl := Table{
		{Name: "b", Value: Int8(-1)},
		{Name: "i16", Value: Int16(-3)},
		{Name: "d", Value: Double(1.0 / 3)},
		{Name: "nan", Value: Double(math.NaN())},
		{Name: "s", Value: String("q\"\\\n\t\x01/é\xff")},
		{Name: "u", Value: Null()},
		{Name: "a", Value: ArrayOf(Bool(false), Int64(-5000000000))},
	}
	got, err := BlobmsgToJSON(tbl)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"b":true,"i16":-3,"d":0.333333,"nan":null,"s":"q\"\\\n\t\u0001/é` + "\ufffd" + `","u":null,"a":[false,-5000000000]}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	ind, _ := BlobmsgToJSONIndent(Table{{Name: "t", Value: TableOf(nil)}, {Name: "a", Value: ArrayOf(Int32(1))}})
	if want := "{\n\t\"t\": {\n\t\t\n\t},\n\t\"a\": [\n\t\t1\n\t]\n}"; string(ind) != want {
		t.Errorf("indent got %q\nwant %q", ind, want)
	}
}

// ubusd answers a SUBSCRIBE and says at once that the target went away (UNSUBSCRIBE right
// behind the STATUS, in one write): the subscription must end up not subscribed. With one P
// the read loop handles both before the subscribing goroutine resumes; the state used to be set
// by that goroutine afterwards, so the UNSUBSCRIBE was lost (seen under qemu as a flaky replay).
func TestSubscribeThenImmediateUnsubscribe(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	const subID, targetID = 0x100, 0x200
	path := hostileUbusd(t, func(nc net.Conn) {
		nc.Write(chunks("00000000 0000abcd 00000004"))
		br := bufio.NewReader(nc)
		status := func(req *Message) *Message {
			st := &Message{Type: MsgStatus, Seq: req.Seq, Peer: req.Peer}
			st.PutUint32(AttrStatus, uint32(StatusOK))
			return st
		}
		send := func(ms ...*Message) {
			var b []byte
			for _, m := range ms {
				f, err := m.MarshalBinary()
				if err != nil {
					t.Error(err)
					return
				}
				b = append(b, f...)
			}
			nc.Write(b)
		}
		for {
			m, err := ReadMessage(br)
			if err != nil {
				return
			}
			switch m.Type {
			case MsgAddObject:
				d := &Message{Type: MsgData, Seq: m.Seq, Peer: m.Peer}
				d.PutUint32(AttrObjID, subID)
				d.PutUint32(AttrObjType, 0)
				send(d, status(m))
			case MsgLookup:
				d := &Message{Type: MsgData, Seq: m.Seq, Peer: m.Peer}
				d.PutString(AttrObjPath, "notifier")
				d.PutUint32(AttrObjID, targetID)
				send(d, status(m))
			case MsgSubscribe:
				u := &Message{Type: MsgUnsubscribe}
				u.PutUint32(AttrObjID, subID)
				u.PutUint32(AttrTarget, targetID)
				send(status(m), u)
			default:
				send(status(m))
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, path, WithoutReconnect())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := c.Subscribe(ctx, "notifier", func(string, Table) {})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Second); s.Subscribed(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("still subscribed although ubusd sent UNSUBSCRIBE right after the STATUS")
		}
	}
}
