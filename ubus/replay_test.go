package ubus

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floatgw/floatgw/ubus/internal/vectors"
	"github.com/google/go-cmp/cmp"
)

// replayUbusd plays ubusd's side of one recorded connection on a fresh
// socket: it writes the recorded ubusd messages and checks that what the
// client sends is byte for byte the recorded client messages, in order.
// It reports on done once the recording is exhausted (nil) or on the first
// mismatch; the connection stays open until the test ends.
func replayUbusd(t *testing.T, msgs []vectors.Msg) (string, <-chan error) {
	t.Helper()
	dir, err := os.MkdirTemp("", "ubusreplay")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	conns := make(chan net.Conn, 1)
	t.Cleanup(func() {
		ln.Close()
		select {
		case nc := <-conns:
			nc.Close()
		default:
		}
		os.RemoveAll(dir)
	})
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		conns <- nc
		br := bufio.NewReader(nc)
		for _, rec := range msgs {
			if !rec.FromClient {
				if _, err := nc.Write(rec.Bytes); err != nil {
					done <- fmt.Errorf("msg %d: write: %v", rec.Index, err)
					return
				}
				continue
			}
			nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			m, err := ReadMessage(br)
			if err != nil {
				done <- fmt.Errorf("msg %d: want client %s, read: %v", rec.Index, rec.Type, err)
				return
			}
			got, _ := m.MarshalBinary()
			if string(got) != string(rec.Bytes) {
				want, _ := ParseMessage(rec.Bytes)
				done <- fmt.Errorf("msg %d: client sent\n  %v\n  %x\nrecorded\n  %v\n  %x", rec.Index, m, got, want, rec.Bytes)
				return
			}
		}
		done <- nil
	}()
	return path, done
}

// exampleServer is ubus's examples/server object "test" written with this
// package: the same policies, hello deferred, count answering {rc: 0}.
func exampleServer() *Object {
	return &Object{
		Name: "test",
		Methods: []Method{
			{Name: "hello", Policy: []Arg{{Name: "id", Type: TypeInt32}, {Name: "msg", Type: TypeString}},
				Handler: func(ctx context.Context, req *Request) (Table, error) {
					msg, _ := req.Args.String("msg")
					d := req.Defer()
					go func() {
						time.Sleep(20 * time.Millisecond)
						d.Reply(Table{{Name: "message", Value: String("test received a message: " + msg)}}, nil)
					}()
					return nil, nil
				}},
			{Name: "watch", Policy: []Arg{{Name: "id", Type: TypeInt32, Required: true}, {Name: "counter", Type: TypeInt32}},
				Handler: func(ctx context.Context, req *Request) (Table, error) {
					return nil, errors.New("watch must not be reached in the transcripts")
				}},
			{Name: "count", Policy: []Arg{{Name: "to", Type: TypeInt32, Required: true}, {Name: "string", Type: TypeString, Required: true}},
				Handler: func(ctx context.Context, req *Request) (Table, error) {
					return Table{{Name: "rc", Value: Int32(0)}}, nil
				}},
		},
	}
}

// echoServer is the C helper of c2/c3: echo returns its arguments, types
// returns one value of every type.
func echoServer() *Object {
	return &Object{
		Name: "echo",
		Methods: []Method{
			{Name: "echo", Handler: func(ctx context.Context, req *Request) (Table, error) { return req.Args, nil }},
			{Name: "types", Handler: func(ctx context.Context, req *Request) (Table, error) {
				return Table{
					{Name: "string", Value: String("hello")},
					{Name: "int32", Value: Int32(-2)},
					{Name: "int64", Value: Int64(78187493530)},
					{Name: "int16", Value: Int16(4660)},
					{Name: "bool", Value: Bool(true)},
					{Name: "double", Value: Double(3.5)},
					{Name: "table", Value: TableOf(Table{
						{Name: "k", Value: String("v")},
						{Name: "inner", Value: ArrayOf(Int32(1), Int32(2))},
					})},
					{Name: "array", Value: ArrayOf(String("a"), Bool(false))},
					{Name: "empty_table", Value: TableOf(nil)},
					{Name: "empty_array", Value: ArrayOf()},
				}, nil
			}},
		},
	}
}

type driver func(t *testing.T, ctx context.Context, c *Client, done <-chan struct{}) error

func serve(objs ...func() *Object) driver {
	return func(t *testing.T, ctx context.Context, c *Client, done <-chan struct{}) error {
		for _, o := range objs {
			if err := c.AddObject(ctx, o()); err != nil {
				return err
			}
		}
		<-done
		return nil
	}
}

func anonymous() *Object { return &Object{} }

// cmdJSON extracts the JSON argument of a recorded `ubus call` command.
func cmdJSON(t *testing.T, f *vectors.File, i int) Table {
	cmd := f.Header.Commands[i].Cmd
	a, b := strings.Index(cmd, "'"), strings.LastIndex(cmd, "'")
	if a < 0 || b <= a {
		t.Fatalf("no json in %q", cmd)
	}
	tbl, err := JSONToBlobmsg([]byte(cmd[a+1 : b]))
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

func callWants(object, method string, args func(*testing.T, *vectors.File) Table, wantJSON string, wantErr error) func(*vectors.File) driver {
	return func(f *vectors.File) driver {
		return func(t *testing.T, ctx context.Context, c *Client, done <-chan struct{}) error {
			var a Table
			if args != nil {
				a = args(t, f)
			}
			got, err := c.Call(ctx, object, method, a)
			if wantErr != nil {
				if !errors.Is(err, wantErr) {
					return fmt.Errorf("call: got %v, want %v", err, wantErr)
				}
				var se *StatusError
				if !errors.As(err, &se) {
					return fmt.Errorf("call: %v is not a *StatusError", err)
				}
				return nil
			}
			if err != nil {
				return err
			}
			js, _ := BlobmsgToJSONIndent(got)
			if string(js) != wantJSON {
				return fmt.Errorf("reply %s, want %s", js, wantJSON)
			}
			return nil
		}
	}
}

func stdout(f *vectors.File, who string) string {
	for _, r := range f.Header.ClientResults {
		if strings.HasPrefix(r.Who, who) {
			return strings.TrimSuffix(r.Stdout, "\n")
		}
	}
	return "?"
}

func TestReplayClient(t *testing.T) {
	jsonArg := func(i int) func(*testing.T, *vectors.File) Table {
		return func(t *testing.T, f *vectors.File) Table { return cmdJSON(t, f, i) }
	}
	type tc struct {
		file string
		conn int
		what string
		mk   func(f *vectors.File) driver
	}
	example := func(*vectors.File) driver { return serve(exampleServer, anonymous) }
	echo := func(*vectors.File) driver { return serve(echoServer) }
	cases := []tc{
		{"a_connect_hello", 1, "connect only", func(*vectors.File) driver {
			return func(t *testing.T, ctx context.Context, c *Client, done <-chan struct{}) error {
				if c.ID() != 0xa8950fd8 {
					return fmt.Errorf("client id %08x", c.ID())
				}
				return nil
			}
		}},
		{"b_list_verbose", 1, "example server", example},
		{"b_list_verbose", 2, "list -v", func(f *vectors.File) driver {
			return func(t *testing.T, ctx context.Context, c *Client, done <-chan struct{}) error {
				objs, err := c.Lookup(ctx, "")
				if err != nil {
					return err
				}
				want := []ObjectInfo{{Path: "test", ID: 0xa8a03953, TypeID: 0x9167525b, Methods: []MethodSignature{
					{Name: "hello", Args: []Arg{{Name: "id", Type: TypeInt32}, {Name: "msg", Type: TypeString}}},
					{Name: "watch", Args: []Arg{{Name: "id", Type: TypeInt32}, {Name: "counter", Type: TypeInt32}}},
					{Name: "count", Args: []Arg{{Name: "to", Type: TypeInt32}, {Name: "string", Type: TypeString}}},
				}}}
				if diff := cmp.Diff(want, objs); diff != "" {
					return fmt.Errorf("lookup (-want +got):\n%s", diff)
				}
				return nil
			}
		}},
		{"b2_list_wildcard", 1, "example server", example},
		{"b2_list_wildcard", 2, "echo server", echo},
		{"b2_list_wildcard", 3, "list te*", func(*vectors.File) driver {
			return func(t *testing.T, ctx context.Context, c *Client, done <-chan struct{}) error {
				objs, err := c.Lookup(ctx, "te*")
				if err != nil || len(objs) != 1 || objs[0].Path != "test" {
					return fmt.Errorf("lookup te*: %v %v", objs, err)
				}
				return nil
			}
		}},
		{"b2_list_wildcard", 4, "list echo", func(*vectors.File) driver {
			return func(t *testing.T, ctx context.Context, c *Client, done <-chan struct{}) error {
				id, err := c.LookupID(ctx, "echo")
				if err != nil || id != 0xb963cb2b {
					return fmt.Errorf("lookup echo: %08x %v", id, err)
				}
				return nil
			}
		}},
		{"b2_list_wildcard", 5, "list nosuch", func(*vectors.File) driver {
			return func(t *testing.T, ctx context.Context, c *Client, done <-chan struct{}) error {
				_, err := c.Lookup(ctx, "nosuch")
				if !errors.Is(err, StatusNotFound) {
					return fmt.Errorf("lookup nosuch: %v", err)
				}
				return nil
			}
		}},
		{"c_call_all_types", 1, "example server", example},
		{"c_call_all_types", 2, "call all types", func(f *vectors.File) driver {
			return callWants("test", "hello", jsonArg(1), stdout(f, "ubus call test hello"), nil)(f)
		}},
		{"c2_echo_all_types", 1, "echo server", echo},
		{"c2_echo_all_types", 2, "echo all types", func(f *vectors.File) driver {
			return callWants("echo", "echo", jsonArg(1), stdout(f, "ubus call echo echo"), nil)(f)
		}},
		{"c3_reply_types", 1, "echo server", echo},
		{"c3_reply_types", 2, "reply types", func(f *vectors.File) driver {
			return callWants("echo", "types", nil, stdout(f, "ubus call echo types"), nil)(f)
		}},
		{"d_server_add_object_invoke", 1, "example server", example},
		{"d_server_add_object_invoke", 2, "call hello", func(f *vectors.File) driver {
			return callWants("test", "hello", jsonArg(1), stdout(f, "ubus call test hello"), nil)(f)
		}},
		{"d_server_add_object_invoke", 3, "call count", func(f *vectors.File) driver {
			return callWants("test", "count", jsonArg(2), stdout(f, "ubus call test count"), nil)(f)
		}},
		{"e1_missing_object", 1, "example server", example},
		{"e1_missing_object", 2, "missing object", callWants("nosuch", "foo", jsonArg(1), "", StatusNotFound)},
		{"e2_missing_method", 1, "example server", example},
		{"e2_missing_method", 2, "missing method", callWants("test", "nosuch", jsonArg(1), "", StatusMethodNotFound)},
		{"e3_invalid_argument", 1, "example server", example},
		{"e3_invalid_argument", 2, "watch {}", callWants("test", "watch", jsonArg(1), "", StatusInvalidArgument)},
		{"e3_invalid_argument", 3, "count wrong type", callWants("test", "count", jsonArg(2), "", StatusInvalidArgument)},
		{"e4_empty_bus_and_bad_objid", 1, "empty bus", callWants("nosuch", "m", jsonArg(0), "", StatusNotFound)},
		{"e4_empty_bus_and_bad_objid", 2, "send without listeners", func(*vectors.File) driver {
			return func(t *testing.T, ctx context.Context, c *Client, done <-chan struct{}) error {
				return c.Send(ctx, "nobody.listens", Table{})
			}
		}},
		{"e4_empty_bus_and_bad_objid", 3, "invoke bad id", func(*vectors.File) driver {
			return func(t *testing.T, ctx context.Context, c *Client, done <-chan struct{}) error {
				_, err := c.Invoke(ctx, 0xdeadbeef, "foo", nil)
				if !errors.Is(err, StatusNotFound) {
					return fmt.Errorf("invoke: %v", err)
				}
				return nil
			}
		}},
		{"f_event_listen_send", 1, "listen", func(*vectors.File) driver {
			return func(t *testing.T, ctx context.Context, c *Client, done <-chan struct{}) error {
				got := make(chan string, 1)
				_, err := c.Listen(ctx, "foo.bar", func(ev string, data Table) {
					js, _ := BlobmsgToJSON(data)
					got <- fmt.Sprintf(`{ "%s": %s }`, ev, js)
				})
				if err != nil {
					return err
				}
				select {
				case s := <-got:
					if s != `{ "foo.bar": {"a":1} }` {
						return fmt.Errorf("event %s", s)
					}
				case <-ctx.Done():
					return ctx.Err()
				}
				<-done
				return nil
			}
		}},
		{"f_event_listen_send", 2, "send", func(*vectors.File) driver {
			return func(t *testing.T, ctx context.Context, c *Client, done <-chan struct{}) error {
				return c.Send(ctx, "foo.bar", Table{{Name: "a", Value: Int32(1)}})
			}
		}},
		{"g_subscribe_notify", 1, "notifier", func(*vectors.File) driver {
			return func(t *testing.T, ctx context.Context, c *Client, done <-chan struct{}) error {
				active := make(chan bool, 2)
				obj := &Object{Name: "notifier", OnSubscribe: func(a bool) { active <- a }}
				if err := c.AddObject(ctx, obj); err != nil {
					return err
				}
				if a := <-active; !a || !obj.HasSubscribers() {
					return fmt.Errorf("not active")
				}
				for i := int32(0); i < 2; i++ {
					if err := c.Notify(ctx, obj, "ping", Table{{Name: "counter", Value: Int32(i)}}); err != nil {
						return err
					}
				}
				<-done
				return nil
			}
		}},
		{"g_subscribe_notify", 2, "subscribe", func(*vectors.File) driver {
			return func(t *testing.T, ctx context.Context, c *Client, done <-chan struct{}) error {
				got := make(chan string, 2)
				s, err := c.Subscribe(ctx, "notifier", func(typ string, data Table) {
					js, _ := BlobmsgToJSON(data)
					got <- fmt.Sprintf(`{ "%s": %s }`, typ, js)
				})
				if err != nil {
					return err
				}
				var lines []string
				for len(lines) < 2 {
					select {
					case l := <-got:
						lines = append(lines, l)
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				if want := []string{`{ "ping": {"counter":0} }`, `{ "ping": {"counter":1} }`}; !cmp.Equal(lines, want) {
					return fmt.Errorf("notifications %q", lines)
				}
				<-done
				// ubusd's UNSUBSCRIBE (the notifier left) is the last message.
				for deadline := time.Now().Add(8 * time.Second); s.Subscribed(); {
					if time.Now().After(deadline) {
						return fmt.Errorf("still subscribed after UNSUBSCRIBE")
					}
					time.Sleep(5 * time.Millisecond)
				}
				return nil
			}
		}},
		{"h_wait_for", 1, "wait_for", func(*vectors.File) driver {
			return func(t *testing.T, ctx context.Context, c *Client, done <-chan struct{}) error {
				return c.WaitFor(ctx, "test")
			}
		}},
		{"h_wait_for", 2, "example server", example},
		{"i_monitor", 1, "example server", example},
		{"i_monitor", 3, "call count", func(f *vectors.File) driver {
			return callWants("test", "count", jsonArg(2), stdout(f, "ubus call test count"), nil)(f)
		}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/conn%d_%s", c.file, c.conn, strings.ReplaceAll(c.what, " ", "_")), func(t *testing.T) {
			t.Parallel()
			f := vectors.Load(t, c.file)
			msgs := f.Conn(c.conn)
			path, hdone := replayUbusd(t, msgs)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			cl, err := Dial(ctx, path, WithoutReconnect())
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			done := make(chan struct{})
			var herr error
			go func() {
				herr = <-hdone
				close(done)
			}()
			derr := c.mk(f)(t, ctx, cl, done)
			select {
			case <-done:
			case <-ctx.Done():
				t.Fatal("replay did not finish")
			}
			if herr != nil {
				t.Fatalf("transcript mismatch: %v", herr)
			}
			if derr != nil {
				t.Fatalf("client: %v", derr)
			}
		})
	}
}
