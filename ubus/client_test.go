package ubus_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floatgw/floatgw/ubus"
	"github.com/floatgw/floatgw/ubus/ubustest"
	"github.com/google/go-cmp/cmp"
)

func dial(t *testing.T, b *ubustest.Broker, opts ...ubus.Option) *ubus.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := ubus.Dial(ctx, b.Path(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

type server struct {
	obj      *ubus.Object
	setCalls atomic.Int32
	session  atomic.Value
	barrier  chan struct{}
	arrived  atomic.Int32
}

func newServer(name string) *server {
	s := &server{barrier: make(chan struct{})}
	s.obj = &ubus.Object{Name: name, Methods: []ubus.Method{
		{Name: "status", Handler: func(ctx context.Context, req *ubus.Request) (ubus.Table, error) {
			return ubus.Table{{Name: "role", Value: ubus.String("MASTER")}, {Name: "prio", Value: ubus.Int32(100)}}, nil
		}},
		{Name: "set", Policy: []ubus.Arg{
			{Name: "enabled", Type: ubus.TypeBool, Required: true},
			{Name: "vip", Type: ubus.TypeString, Required: true},
			{Name: "prio", Type: ubus.TypeInt32},
		}, Handler: func(ctx context.Context, req *ubus.Request) (ubus.Table, error) {
			s.setCalls.Add(1)
			s.session.Store(req.Session)
			return req.Args, nil
		}},
		{Name: "multi", Handler: func(ctx context.Context, req *ubus.Request) (ubus.Table, error) {
			d := req.Defer()
			go func() {
				d.Data(ubus.Table{{Name: "a", Value: ubus.Int32(1)}})
				d.Reply(ubus.Table{{Name: "b", Value: ubus.Int32(2)}}, nil)
			}()
			return nil, nil
		}},
		{Name: "fail", Handler: func(ctx context.Context, req *ubus.Request) (ubus.Table, error) {
			return nil, fmt.Errorf("vip busy: %w", ubus.StatusNotFound)
		}},
		{Name: "crash", Handler: func(ctx context.Context, req *ubus.Request) (ubus.Table, error) {
			return nil, errors.New("internal")
		}},
		{Name: "slow", Handler: func(ctx context.Context, req *ubus.Request) (ubus.Table, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}},
		{Name: "gather", Handler: func(ctx context.Context, req *ubus.Request) (ubus.Table, error) {
			s.arrived.Add(1)
			select {
			case <-s.barrier:
				return ubus.Table{}, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}},
	}}
	return s
}

func TestCallFlows(t *testing.T) {
	b := ubustest.NewTest(t)
	srv := dial(t, b)
	s := newServer("floatgw")
	ctx := testCtx(t, 10*time.Second)
	if err := srv.AddObject(ctx, s.obj); err != nil {
		t.Fatal(err)
	}
	cl := dial(t, b)

	got, err := cl.Call(ctx, "floatgw", "status", nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ubus.Table{{Name: "role", Value: ubus.String("MASTER")}, {Name: "prio", Value: ubus.Int32(100)}}, got); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}

	objs, err := cl.Lookup(ctx, "float*")
	if err != nil || len(objs) != 1 || objs[0].ID != s.obj.ID() {
		t.Fatalf("lookup: %+v %v", objs, err)
	}
	if diff := cmp.Diff([]ubus.Arg{{Name: "enabled", Type: ubus.TypeBool}, {Name: "vip", Type: ubus.TypeString}, {Name: "prio", Type: ubus.TypeInt32}}, objs[0].Methods[1].Args); diff != "" {
		t.Errorf("signature (-want +got):\n%s", diff)
	}

	tests := []struct {
		name    string
		args    string
		want    error
		handler bool
	}{
		{"valid", `{"enabled":true,"vip":"192.168.77.1","prio":100}`, nil, true},
		{"int64 prio fits", `{"enabled":true,"vip":"x","prio":5000000000}`, ubus.StatusInvalidArgument, false},
		{"bool as 0/1", `{"enabled":1,"vip":"x"}`, nil, true},
		{"missing required", `{"vip":"x"}`, ubus.StatusInvalidArgument, false},
		{"wrong type", `{"enabled":true,"vip":5}`, ubus.StatusInvalidArgument, false},
		{"bool as 2", `{"enabled":2,"vip":"x"}`, ubus.StatusInvalidArgument, false},
		{"unknown args ignored", `{"enabled":false,"vip":"x","other":[1]}`, nil, true},
		{"luci session", `{"ubus_rpc_session":"0123abcd","enabled":false,"vip":"x"}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args, err := ubus.JSONToBlobmsg([]byte(tt.args))
			if err != nil {
				t.Fatal(err)
			}
			before := s.setCalls.Load()
			reply, err := cl.Call(ctx, "floatgw", "set", args)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if called := s.setCalls.Load() != before; called != tt.handler {
				t.Fatalf("handler called %v, want %v", called, tt.handler)
			}
			if tt.want == nil {
				if _, ok := reply.Get("ubus_rpc_session"); ok {
					t.Error("ubus_rpc_session leaked into Args")
				}
			}
		})
	}
	if got := s.session.Load(); got != "0123abcd" {
		t.Errorf("session %q", got)
	}

	all, err := cl.CallAll(ctx, "floatgw", "multi", nil)
	if err != nil || len(all) != 2 {
		t.Fatalf("multi: %v %v", all, err)
	}
	merged, _ := cl.Call(ctx, "floatgw", "multi", nil)
	if diff := cmp.Diff(ubus.Table{{Name: "a", Value: ubus.Int32(1)}, {Name: "b", Value: ubus.Int32(2)}}, merged); diff != "" {
		t.Errorf("multi (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		obj, method string
		want        ubus.Status
	}{
		{"floatgw", "fail", ubus.StatusNotFound},
		{"floatgw", "crash", ubus.StatusUnknownError},
		{"floatgw", "nosuch", ubus.StatusMethodNotFound},
		{"nosuch", "status", ubus.StatusNotFound},
	} {
		_, err := cl.Call(ctx, tc.obj, tc.method, nil)
		var se *ubus.StatusError
		if !errors.As(err, &se) || se.Status != tc.want || !errors.Is(err, tc.want) {
			t.Errorf("%s.%s: %v, want %v", tc.obj, tc.method, err, tc.want)
		}
	}

	// A call never hangs: the slow handler outlives the caller's deadline.
	start := time.Now()
	sctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = cl.Call(sctx, "floatgw", "slow", nil)
	cancel()
	if !errors.Is(err, ubus.StatusTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("slow call took %v", d)
	}

	// Handlers run concurrently: all calls must be inside the handler at once.
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := cl.Call(ctx, "floatgw", "gather", nil)
			errs <- err
		}()
	}
	for deadline := time.Now().Add(5 * time.Second); s.arrived.Load() < n; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d calls arrived concurrently", s.arrived.Load(), n)
		}
	}
	close(s.barrier)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}

	if err := srv.RemoveObject(ctx, s.obj); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Call(ctx, "floatgw", "status", nil); !errors.Is(err, ubus.StatusNotFound) {
		t.Errorf("after remove: %v", err)
	}
	if err := srv.AddObject(ctx, s.obj); err != nil {
		t.Fatalf("re-add after remove: %v", err)
	}
	other := newServer("floatgw")
	if err := cl.AddObject(ctx, other.obj); !errors.Is(err, ubus.StatusInvalidArgument) {
		t.Errorf("duplicate path: %v", err)
	}
}

func TestEventsAndNotifications(t *testing.T) {
	b := ubustest.NewTest(t)
	a, c := dial(t, b), dial(t, b)
	ctx := testCtx(t, 10*time.Second)

	events := make(chan string, 4)
	l, err := a.Listen(ctx, "fg.*", func(ev string, data ubus.Table) {
		js, _ := ubus.BlobmsgToJSON(data)
		events <- ev + " " + string(js)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, "fg.hello", ubus.Table{{Name: "a", Value: ubus.Int32(1)}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, "other", nil); err != nil {
		t.Fatal(err)
	}
	if err := a.Send(ctx, "fg.self", nil); err != nil { // never looped back
		t.Fatal(err)
	}
	if err := c.Send(ctx, "fg.bye", nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`fg.hello {"a":1}`, `fg.bye {}`} {
		select {
		case got := <-events:
			if got != want {
				t.Errorf("event %q, want %q", got, want)
			}
		case <-ctx.Done():
			t.Fatal("event not delivered")
		}
	}
	if err := c.Send(ctx, "ubus.reserved", nil); !errors.Is(err, ubus.StatusPermissionDenied) {
		t.Errorf("reserved event: %v", err)
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}

	active := make(chan bool, 4)
	obj := &ubus.Object{Name: "fg.pub", OnSubscribe: func(on bool) { active <- on }}
	if err := c.AddObject(ctx, obj); err != nil {
		t.Fatal(err)
	}
	notes := make(chan string, 4)
	sub, err := a.Subscribe(ctx, "fg.pub", func(typ string, data ubus.Table) {
		js, _ := ubus.BlobmsgToJSON(data)
		notes <- typ + " " + string(js)
	})
	if err != nil {
		t.Fatal(err)
	}
	if on := <-active; !on {
		t.Fatal("no ACTIVE=1")
	}
	if err := c.Notify(ctx, obj, "vip.update", ubus.Table{{Name: "state", Value: ubus.String("MASTER")}}); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-notes:
		if got != `vip.update {"state":"MASTER"}` {
			t.Errorf("notification %q", got)
		}
	case <-ctx.Done():
		t.Fatal("notification not delivered")
	}
	if err := sub.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if on := <-active; on {
		t.Fatal("no ACTIVE=0 after unsubscribe")
	}
	if _, err := a.Subscribe(ctx, "nosuch", func(string, ubus.Table) {}); !errors.Is(err, ubus.StatusNotFound) {
		t.Errorf("subscribe to missing object: %v", err)
	}
}

func TestWaitFor(t *testing.T) {
	b := ubustest.NewTest(t)
	a, c := dial(t, b), dial(t, b)
	ctx := testCtx(t, 10*time.Second)
	done := make(chan error, 1)
	go func() { done <- a.WaitFor(ctx, "late", "later") }()
	time.Sleep(50 * time.Millisecond)
	for _, p := range []string{"late", "later"} {
		if err := c.AddObject(ctx, &ubus.Object{Name: p}); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := a.WaitFor(short, "never"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("wait for missing: %v", err)
	}
}

// TestReconnect kills and respawns the broker: objects, listeners and
// subscriptions come back by themselves, calls during the outage wait within
// their deadline, and calls outstanding at the moment of loss fail.
func TestReconnect(t *testing.T) {
	b := ubustest.NewTest(t)
	var states sync.Map
	stateFn := func(st ubus.State, err error) {
		n, _ := states.LoadOrStore(st, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
	}
	opts := []ubus.Option{ubus.WithBackoff(10*time.Millisecond, 100*time.Millisecond), ubus.WithStateFunc(stateFn)}
	srv := dial(t, b, opts...)
	pub := dial(t, b, opts...)
	cl := dial(t, b, opts...)
	ctx := testCtx(t, 20*time.Second)

	s := newServer("floatgw")
	if err := srv.AddObject(ctx, s.obj); err != nil {
		t.Fatal(err)
	}
	pubObj := &ubus.Object{Name: "fg.pub"}
	if err := pub.AddObject(ctx, pubObj); err != nil {
		t.Fatal(err)
	}
	events := make(chan string, 16)
	if _, err := srv.Listen(ctx, "fg.*", func(ev string, _ ubus.Table) { events <- ev }); err != nil {
		t.Fatal(err)
	}
	notes := make(chan string, 16)
	sub, err := srv.Subscribe(ctx, "fg.pub", func(typ string, _ ubus.Table) { notes <- typ })
	if err != nil {
		t.Fatal(err)
	}
	oldID := s.obj.ID()

	// A call in flight when ubusd dies fails (retryably) instead of hanging.
	inflight := make(chan error, 1)
	go func() {
		_, err := cl.Call(ctx, "floatgw", "gather", nil)
		inflight <- err
	}()
	for s.arrived.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	b.Stop()
	if err := <-inflight; !errors.Is(err, ubus.ErrDisconnected) {
		t.Errorf("in-flight call: %v", err)
	}

	// While ubusd is down a call with a short deadline gives up in time.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	start := time.Now()
	_, err = cl.Call(short, "floatgw", "status", nil)
	cancel()
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("call during outage: %v after %v", err, time.Since(start))
	}
	// One with a longer deadline rides out the outage.
	later := make(chan error, 1)
	go func() {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		for {
			_, err := cl.Call(cctx, "floatgw", "status", nil)
			if !errors.Is(err, ubus.StatusNotFound) { // object not back yet
				later <- err
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	time.Sleep(150 * time.Millisecond)
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	if err := <-later; err != nil {
		t.Fatalf("call across restart: %v", err)
	}
	if s.obj.ID() == oldID || s.obj.ID() == 0 {
		t.Errorf("object id %08x after restart (was %08x)", s.obj.ID(), oldID)
	}
	// The listener is back.
	for deadline := time.Now().Add(5 * time.Second); ; {
		if err := cl.Send(ctx, "fg.back", nil); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-events:
			if ev != "fg.back" {
				t.Fatalf("event %q", ev)
			}
		case <-time.After(50 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("listener not re-registered")
			}
			continue
		}
		break
	}
	// The subscription follows its target once the publisher is back.
	for deadline := time.Now().Add(5 * time.Second); !sub.Subscribed(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("subscription not re-established")
		}
	}
	if err := pub.Notify(ctx, pubObj, "again", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case typ := <-notes:
		if typ != "again" {
			t.Fatalf("notification %q", typ)
		}
	case <-ctx.Done():
		t.Fatal("notification after restart not delivered")
	}
	for _, st := range []ubus.State{ubus.StateDisconnected, ubus.StateConnected} {
		n, ok := states.Load(st)
		if !ok || n.(*atomic.Int32).Load() < 3 {
			t.Errorf("state %v reported %v times, want 3 (one per client)", st, n)
		}
	}
	close(s.barrier)
}

func TestWithoutReconnect(t *testing.T) {
	b := ubustest.NewTest(t)
	c := dial(t, b, ubus.WithoutReconnect())
	ctx := testCtx(t, 5*time.Second)
	runErr := make(chan error, 1)
	go func() { runErr <- c.Run(ctx) }()
	b.Stop()
	if err := <-runErr; !errors.Is(err, ubus.ErrDisconnected) {
		t.Fatalf("Run: %v", err)
	}
	if err := c.Ping(ctx); !errors.Is(err, ubus.ErrDisconnected) {
		t.Fatalf("ping: %v", err)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	b := ubustest.NewTest(t)
	c := dial(t, b)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	if err := c.Ping(testCtx(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not return")
	}
	if err := c.Ping(context.Background()); !errors.Is(err, ubus.ErrClosed) {
		t.Fatalf("ping after close: %v", err)
	}
}

func TestLimits(t *testing.T) {
	b := ubustest.NewTest(t)
	srv := dial(t, b, ubus.WithMaxConcurrentInvokes(1), ubus.WithEventQueue(1))
	cl := dial(t, b)
	ctx := testCtx(t, 10*time.Second)
	s := newServer("floatgw")
	if err := srv.AddObject(ctx, s.obj); err != nil {
		t.Fatal(err)
	}
	// One handler at a time: a second call is refused at once, not queued.
	first := make(chan error, 1)
	go func() {
		_, err := cl.Call(ctx, "floatgw", "gather", nil)
		first <- err
	}()
	for s.arrived.Load() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := cl.Call(ctx, "floatgw", "status", nil); !errors.Is(err, ubus.StatusUnknownError) {
		t.Errorf("call over the cap: %v", err)
	}
	close(s.barrier)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Call(ctx, "floatgw", "status", nil); err != nil {
		t.Errorf("call after the cap freed: %v", err)
	}

	// A stuck event handler loses events instead of stalling the client.
	release := make(chan struct{})
	l, err := srv.Listen(ctx, "fg.*", func(string, ubus.Table) { <-release })
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if err := cl.Send(ctx, "fg.flood", nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Ping(ctx); err != nil {
		t.Fatalf("client stalled behind a slow handler: %v", err)
	}
	for deadline := time.Now().Add(5 * time.Second); l.Dropped() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no events dropped")
		}
	}
	close(release)
}

func TestDeferredAfterDisconnect(t *testing.T) {
	b := ubustest.NewTest(t)
	srv := dial(t, b, ubus.WithBackoff(10*time.Millisecond, 50*time.Millisecond))
	cl := dial(t, b)
	ctx := testCtx(t, 10*time.Second)
	got := make(chan *ubus.Deferred, 1)
	obj := &ubus.Object{Name: "later", Methods: []ubus.Method{{Name: "m",
		Handler: func(ctx context.Context, req *ubus.Request) (ubus.Table, error) {
			got <- req.Defer()
			return nil, nil
		}}}}
	if err := srv.AddObject(ctx, obj); err != nil {
		t.Fatal(err)
	}
	go cl.Call(ctx, "later", "m", nil)
	d := <-got
	b.Stop()
	for deadline := time.Now().Add(5 * time.Second); srv.ID() != 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("disconnect not noticed")
		}
	}
	if err := d.Reply(nil, nil); !errors.Is(err, ubus.ErrDisconnected) {
		t.Fatalf("reply on a dead connection: %v", err)
	}
	if err := d.Reply(nil, nil); err == nil {
		t.Fatal("second reply accepted")
	}
}
