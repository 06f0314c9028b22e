package ubus

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// State is the connection state reported to the function given WithStateFunc.
type State int

// socketPaths is the search order for Dial(ctx, "", …); tests replace it.
var socketPaths = []string{DefaultSocketPath, LegacySocketPath}

// Connection states.
const (
	StateDisconnected State = iota
	StateConnected
)

func (s State) String() string {
	if s == StateConnected {
		return "connected"
	}
	return "disconnected"
}

// Option configures a Client.
type Option func(*options)

type options struct {
	minBackoff, maxBackoff time.Duration
	reconnect              bool
	timeout                time.Duration
	handlerTimeout         time.Duration
	maxInvokes             int
	eventQueue             int
	stateFn                func(State, error)
}

// DefaultTimeout bounds a request whose context has no deadline. It is the
// ubus command line's default (-t 30).
const DefaultTimeout = 30 * time.Second

func defaultOptions() options {
	return options{
		minBackoff:     50 * time.Millisecond,
		maxBackoff:     time.Second,
		reconnect:      true,
		timeout:        DefaultTimeout,
		handlerTimeout: DefaultTimeout,
		maxInvokes:     64,
		eventQueue:     256,
	}
}

// WithBackoff sets the reconnection backoff: the first retry waits min, each
// failure doubles the wait, capped at max. Defaults: 50 ms and 1 s, procd's
// values. max is also the interval at which registrations that failed after
// a reconnect (an object path still held by a stale owner, a subscription
// target that has not come back yet) are retried.
func WithBackoff(min, max time.Duration) Option {
	return func(o *options) {
		if min > 0 {
			o.minBackoff = min
		}
		if max >= o.minBackoff {
			o.maxBackoff = max
		}
	}
}

// WithoutReconnect makes a lost connection final: outstanding and later
// requests fail with ErrDisconnected and Run returns.
func WithoutReconnect() Option { return func(o *options) { o.reconnect = false } }

// WithTimeout sets the deadline applied to requests whose context has none
// (default DefaultTimeout). Every request has a deadline.
func WithTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.timeout = d
		}
	}
}

// WithHandlerTimeout sets the deadline of the context passed to method
// handlers (default DefaultTimeout, what callers typically wait).
func WithHandlerTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.handlerTimeout = d
		}
	}
}

// WithMaxConcurrentInvokes caps how many method handlers run at once
// (default 64). An INVOKE beyond the cap is answered UNKNOWN_ERROR at once
// instead of queueing without bound.
func WithMaxConcurrentInvokes(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxInvokes = n
		}
	}
}

// WithEventQueue sets how many events or notifications may wait for one
// slow handler (default 256); further ones are dropped and counted.
func WithEventQueue(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.eventQueue = n
		}
	}
}

// WithStateFunc registers fn to be told about connection changes: after a
// reconnect and re-registration (StateConnected; err is the first
// re-registration failure, if any, which is retried) and on loss of the
// connection (StateDisconnected with the cause). fn runs on the client's
// supervisor goroutine and must return quickly; it must not call the
// Client's blocking methods.
func WithStateFunc(fn func(state State, err error)) Option {
	return func(o *options) { o.stateFn = fn }
}

// Client is a connection to ubusd that both calls (client side) and serves
// objects (server side), like a libubus ubus_context. All methods are safe
// for concurrent use. One goroutine reads and dispatches every message;
// writes are serialised so each frame goes out in one Write.
//
// Unless WithoutReconnect is given, a lost connection is re-established with
// capped exponential backoff, and every object added, every Listen and every
// Subscribe is registered again (ubusd forgets everything when it restarts).
// Requests outstanding at the moment of loss fail with ErrDisconnected;
// requests started while disconnected wait for the reconnection within their
// deadline.
//
// The Client owns its goroutines; Close stops them and waits for them.
type Client struct {
	path string // "" = search DefaultSocketPath, LegacySocketPath
	opts options

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	sem    chan struct{}

	mu        sync.Mutex
	cn        *conn         // nil while disconnected
	up        chan struct{} // closed while connected
	dead      error         // final error (closed or not reconnecting)
	objects   map[*Object]struct{}
	listeners map[*Listener]struct{}
	subs      map[*Subscription]struct{}
}

// Dial connects to ubusd at path, or, if path is "", at DefaultSocketPath
// and then LegacySocketPath, reads the HELLO and starts the client's
// goroutines. ctx bounds only the connection attempt.
func Dial(ctx context.Context, path string, opts ...Option) (*Client, error) {
	o := defaultOptions()
	for _, fn := range opts {
		fn(&o)
	}
	c := &Client{
		path:      path,
		opts:      o,
		up:        make(chan struct{}),
		objects:   map[*Object]struct{}{},
		listeners: map[*Listener]struct{}{},
		subs:      map[*Subscription]struct{}{},
		sem:       make(chan struct{}, o.maxInvokes),
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	cn, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.setConn(cn)
	c.wg.Add(1)
	go c.supervise(cn)
	return c, nil
}

// connect dials and reads HELLO.
func (c *Client) connect(ctx context.Context) (*conn, error) {
	paths := []string{c.path}
	if c.path == "" {
		paths = socketPaths
	}
	var firstErr error
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			if firstErr == nil {
				firstErr = &OpError{Op: "dial " + p, Err: err}
			}
			break
		}
		// DialUnix, not a net.Dialer: the generic dialers link net's DNS
		// resolver (~218 KB on mipsle) for nothing here. A unix socket
		// connect never waits (a full backlog fails at once with
		// EAGAIN), so ctx needs checking only before it and bounds the
		// HELLO read below.
		nc, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: p, Net: "unix"})
		if err != nil {
			if firstErr == nil {
				firstErr = &OpError{Op: "dial " + p, Err: err}
			}
			continue
		}
		if dl, ok := ctx.Deadline(); ok {
			_ = nc.SetReadDeadline(dl)
		}
		stop := context.AfterFunc(ctx, func() { _ = nc.SetReadDeadline(time.Unix(1, 0)) })
		m, err := ReadMessage(nc)
		stop()
		if err == nil && m.Type != MsgHello {
			err = fmt.Errorf("first message is %s, want HELLO", m.Type)
		}
		if err != nil {
			nc.Close()
			return nil, &OpError{Op: "hello " + p, Err: err}
		}
		_ = nc.SetReadDeadline(time.Time{})
		return newConn(c, nc, m.Peer), nil
	}
	return nil, firstErr
}

func (c *Client) setConn(cn *conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cn = cn
	close(c.up)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		cn.readLoop()
	}()
}

// ID returns the client id ubusd assigned to the current connection, or 0
// while disconnected.
func (c *Client) ID() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cn == nil {
		return 0
	}
	return c.cn.id
}

// Close stops reconnection, closes the connection, cancels the contexts of
// running handlers and waits for every goroutine of the client. Registered
// objects vanish from the bus with the connection.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.dead == nil {
		c.dead = ErrClosed
	}
	cn := c.cn
	c.mu.Unlock()
	c.cancel()
	if cn != nil {
		cn.close(ErrClosed)
	}
	c.wg.Wait()
	return nil
}

// Run blocks until ctx ends, then closes the client and returns nil; it
// returns the cause early if the client stops by itself (Close, or a lost
// connection under WithoutReconnect). It makes a Client a task in an
// errgroup.
func (c *Client) Run(ctx context.Context) error {
	select {
	case <-ctx.Done():
		c.Close()
		return nil
	case <-c.ctx.Done():
		c.mu.Lock()
		err := c.dead
		c.mu.Unlock()
		if errors.Is(err, ErrClosed) {
			return nil
		}
		return err
	}
}

// supervise waits for the connection to end, reconnects with capped
// backoff, re-registers, and retries failed registrations periodically.
func (c *Client) supervise(cn *conn) {
	defer c.wg.Done()
	tick := time.NewTicker(c.opts.maxBackoff)
	defer tick.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-tick.C:
			if c.pendingRegistrations(cn) {
				c.reconcile(cn)
			}
			continue
		case <-cn.done:
		}
		c.mu.Lock()
		c.cn = nil
		c.up = make(chan struct{})
		if !c.opts.reconnect && c.dead == nil {
			c.dead = fmt.Errorf("%w: %v", ErrDisconnected, cn.err)
		}
		final := c.dead != nil
		c.mu.Unlock()
		if c.opts.stateFn != nil && !errors.Is(cn.err, ErrClosed) {
			c.opts.stateFn(StateDisconnected, cn.err)
		}
		if final {
			c.cancel()
			return
		}
		wait := c.opts.minBackoff
		for {
			t := time.NewTimer(wait)
			select {
			case <-c.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(c.ctx, c.opts.timeout)
			next, err := c.connect(ctx)
			cancel()
			if err == nil {
				cn = next
				break
			}
			if wait *= 2; wait > c.opts.maxBackoff {
				wait = c.opts.maxBackoff
			}
		}
		c.mu.Lock()
		if c.dead != nil {
			c.mu.Unlock()
			cn.close(ErrClosed)
			return
		}
		c.mu.Unlock()
		c.setConn(cn)
		err := c.reconcile(cn)
		if c.opts.stateFn != nil {
			c.opts.stateFn(StateConnected, err)
		}
	}
}

// conn returns the live connection, waiting for a reconnection within ctx.
func (c *Client) conn(ctx context.Context) (*conn, error) {
	for {
		c.mu.Lock()
		if c.dead != nil {
			err := c.dead
			c.mu.Unlock()
			return nil, err
		}
		if c.cn != nil {
			cn := c.cn
			c.mu.Unlock()
			return cn, nil
		}
		up := c.up
		c.mu.Unlock()
		select {
		case <-up:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w (%w)", ErrDisconnected, StatusTimeout, ctx.Err())
		case <-c.ctx.Done():
		}
	}
}

// withDeadline gives ctx the default deadline if it has none.
func (c *Client) withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, c.opts.timeout)
}

// roundTrip sends m as a request on the current connection and waits for
// its STATUS; DATA answers are passed to onData on the reader goroutine.
func (c *Client) roundTrip(ctx context.Context, op string, m *Message, onData func(*conn, *Message)) (*conn, error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	cn, err := c.conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("ubus: %s: %w", op, err)
	}
	return cn, cn.roundTrip(ctx, op, m, onData)
}

// Ping checks that ubusd answers.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.roundTrip(ctx, "ping", &Message{Type: MsgPing}, nil)
	return err
}

// ObjectInfo describes an object found by Lookup.
type ObjectInfo struct {
	Path    string
	ID      uint32
	TypeID  uint32
	Methods []MethodSignature
}

// MethodSignature is one method as published in an object's signature.
// Argument types are advisory; Required is never set (ubus does not
// publish it).
type MethodSignature struct {
	Name string
	Args []Arg
}

// Lookup lists objects: path "" lists all, a path ending in "*" is a prefix
// match, anything else is exact. No match is a *StatusError with
// StatusNotFound (for "" an empty bus gives an empty list).
func (c *Client) Lookup(ctx context.Context, path string) ([]ObjectInfo, error) {
	m := &Message{Type: MsgLookup}
	op := "lookup"
	if path != "" {
		m.PutString(AttrObjPath, path)
		op = "lookup " + path
	}
	var out []ObjectInfo
	var derr error
	_, err := c.roundTrip(ctx, op, m, func(_ *conn, d *Message) {
		info, err := parseObjectInfo(d)
		if err != nil {
			derr = err
			return
		}
		out = append(out, info)
	})
	if err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, fmt.Errorf("ubus: %s: %w", op, derr)
	}
	return out, nil
}

func parseObjectInfo(d *Message) (ObjectInfo, error) {
	var info ObjectInfo
	var ok bool
	if info.Path, ok = d.Text(AttrObjPath); !ok {
		return info, malformed("lookup answer without OBJPATH")
	}
	if info.ID, ok = d.Uint32(AttrObjID); !ok {
		return info, malformed("lookup answer without OBJID")
	}
	info.TypeID, _ = d.Uint32(AttrObjType)
	sig, ok := d.Attr(AttrSignature)
	if !ok {
		return info, nil
	}
	t, err := UnmarshalTable(sig)
	if err != nil {
		return info, err
	}
	for _, f := range t {
		ms := MethodSignature{Name: f.Name}
		for _, a := range f.Value.List {
			typ := TypeUnspec
			if a.Value.Type == TypeInt32 {
				typ = Type(a.Value.Int)
			}
			ms.Args = append(ms.Args, Arg{Name: a.Name, Type: typ})
		}
		info.Methods = append(info.Methods, ms)
	}
	return info, nil
}

// LookupID resolves an exact path to an object id.
func (c *Client) LookupID(ctx context.Context, path string) (uint32, error) {
	objs, err := c.Lookup(ctx, path)
	if err != nil {
		return 0, err
	}
	for _, o := range objs {
		if o.Path == path {
			return o.ID, nil
		}
	}
	// ubusd answers STATUS 0 without DATA for objects that have no type.
	return 0, &StatusError{Op: "lookup " + path, Status: StatusNotFound}
}

// Call looks object up and invokes method with args (nil sends an empty
// table), all within ctx's deadline (DefaultTimeout if none). It returns
// the reply data; when an owner sends several DATA answers their members
// are concatenated in order, as uhttpd does. A non-zero status is a
// *StatusError; no reply in time is an error matching StatusTimeout and
// context.DeadlineExceeded.
func (c *Client) Call(ctx context.Context, object, method string, args Table) (Table, error) {
	all, err := c.CallAll(ctx, object, method, args)
	if err != nil {
		return nil, err
	}
	var out Table
	for _, t := range all {
		out = append(out, t...)
	}
	return out, nil
}

// CallAll is Call returning every DATA answer separately.
func (c *Client) CallAll(ctx context.Context, object, method string, args Table) ([]Table, error) {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	id, err := c.LookupID(ctx, object)
	if err != nil {
		return nil, err
	}
	return c.invoke(ctx, "call "+object+"."+method, id, method, args)
}

// Invoke calls method on an object id directly (no lookup).
func (c *Client) Invoke(ctx context.Context, id uint32, method string, args Table) ([]Table, error) {
	return c.invoke(ctx, fmt.Sprintf("invoke %08x.%s", id, method), id, method, args)
}

func (c *Client) invoke(ctx context.Context, op string, id uint32, method string, args Table) ([]Table, error) {
	m := &Message{Type: MsgInvoke, Peer: id}
	m.PutUint32(AttrObjID, id)
	m.PutString(AttrMethod, method)
	if err := m.PutTable(AttrData, args); err != nil {
		return nil, fmt.Errorf("ubus: %s: %w", op, err)
	}
	var out []Table
	var derr error
	_, err := c.roundTrip(ctx, op, m, func(_ *conn, d *Message) {
		t, err := d.Table(AttrData)
		if err != nil {
			derr = err
			return
		}
		out = append(out, t)
	})
	if err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, fmt.Errorf("ubus: %s: reply: %w", op, derr)
	}
	return out, nil
}

// Send broadcasts an event (what `ubus send` does). ubusd answers success
// even when nobody listens; names starting with "ubus." are reserved
// (StatusPermissionDenied).
func (c *Client) Send(ctx context.Context, event string, data Table) error {
	m := &Message{Type: MsgInvoke, Peer: EventObjectID}
	m.PutUint32(AttrObjID, EventObjectID)
	m.PutString(AttrMethod, "send")
	if data == nil {
		data = Table{}
	}
	if err := m.PutTable(AttrData, Table{
		{Name: "id", Value: String(event)},
		{Name: "data", Value: TableOf(data)},
	}); err != nil {
		return fmt.Errorf("ubus: send %s: %w", event, err)
	}
	_, err := c.roundTrip(ctx, "send "+event, m, nil)
	return err
}
