package ubus

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
)

// Arg is one entry of a method's argument policy, the Go form of libubox's
// struct blobmsg_policy plus a Required flag. The Type is also what the
// object's published signature shows (LuCI's rpc.list reads it).
//
// Type matching is deliberately as forgiving as JSON callers need: an
// integer policy (TypeInt16/32/64) accepts INT16, INT32 or INT64 values that
// fit; TypeBool accepts INT8, or 0/1 in a wider integer; TypeDouble accepts
// DOUBLE or an integer; TypeString, TypeTable and TypeArray must match
// exactly; TypeUnspec accepts anything.
type Arg struct {
	Name     string
	Type     Type
	Required bool
}

// Handler serves one method call. It returns the reply data (nil for none:
// only a STATUS 0 is sent) or an error: a Status anywhere in its chain is
// sent as that status, any other error as StatusUnknownError. ctx ends when
// the handler timeout passes, the connection drops or the client closes.
//
// A handler that cannot answer now calls req.Defer and answers later through
// the returned *Deferred; its own return values are then ignored.
// Handlers run concurrently, each call on its own goroutine.
type Handler func(ctx context.Context, req *Request) (Table, error)

// Method is a method of an Object: its name, its argument policy (declared
// next to the handler, like netifd's policy tables) and its handler.
type Method struct {
	Name    string
	Policy  []Arg
	Handler Handler
}

// Object is a ubus object served by this process. Build it as a literal,
// then publish it with Client.AddObject. An Object with an empty Name is
// anonymous: it gets an id but no path and is invisible to lookups.
//
// The exported fields must not change after AddObject. An Object may be
// added to one Client at a time.
type Object struct {
	Name    string
	Methods []Method

	// OnSubscribe, if set, is called (on the reader goroutine; keep it
	// short) when the first subscriber arrives (true) or the last one leaves
	// (false).
	OnSubscribe func(active bool)

	mu     sync.Mutex
	client *Client
	cn     *conn // connection the object is registered on
	id     uint32
	typeID uint32
	active bool
}

// Request is one method call as seen by a handler.
type Request struct {
	Object string // object path
	Method string
	// Args holds the arguments in wire order, without ubus_rpc_session.
	Args Table
	// Session is the ubus_rpc_session string that calls through uhttpd and
	// LuCI carry ("" when absent).
	Session string
	// User and Group name the caller, as ubusd adds them to every INVOKE.
	User, Group string
	// Caller is the calling client's id.
	Caller uint32

	cn       *conn
	inv      *Message
	objID    uint32
	mu       sync.Mutex
	deferred *Deferred
}

// Deferred completes a call after its handler returned, like libubus's
// ubus_defer_request. Its methods are safe for concurrent use; only the
// first Reply counts. The caller's own timeout still applies.
type Deferred struct {
	req  *Request
	mu   sync.Mutex
	done bool
}

// Defer marks the call as answered later and returns the handle to answer
// it with.
func (r *Request) Defer() *Deferred {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.deferred == nil {
		r.deferred = &Deferred{req: r}
	}
	return r.deferred
}

// Data sends one DATA answer without completing the call.
func (d *Deferred) Data(t Table) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done {
		return fmt.Errorf("ubus: reply to %s.%s already completed", d.req.Object, d.req.Method)
	}
	return d.req.sendData(t)
}

// Reply completes the call: a DATA answer with t if t is not nil and err is
// nil, then the STATUS for err (see Handler). A connection lost since the
// INVOKE arrived gives an error matching ErrDisconnected: ubusd forgot the
// call with it.
func (d *Deferred) Reply(t Table, err error) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done {
		return fmt.Errorf("ubus: reply to %s.%s already completed", d.req.Object, d.req.Method)
	}
	d.done = true
	return d.req.reply(t, err)
}

func (r *Request) sendData(t Table) error {
	if cerr := r.cn.closed(); cerr != nil {
		return fmt.Errorf("ubus: reply to %s.%s: %w", r.Object, r.Method, ErrDisconnected)
	}
	return r.cn.replyData(r.inv, r.objID, t)
}

func (r *Request) reply(t Table, err error) error {
	if _, noReply := r.inv.Int8(AttrNoReply); noReply {
		return nil
	}
	if cerr := r.cn.closed(); cerr != nil {
		return fmt.Errorf("ubus: reply to %s.%s: %w", r.Object, r.Method, ErrDisconnected)
	}
	st := statusOf(err)
	if st == StatusOK && t != nil {
		if derr := r.cn.replyData(r.inv, r.objID, t); derr != nil {
			// An unencodable reply must still complete the call.
			st = StatusUnknownError
		}
	}
	return r.cn.replyStatus(r.inv, r.objID, st)
}

// ID returns the object's id on the current connection (0 when not
// registered). Ids change after every reconnect.
func (o *Object) ID() uint32 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.id
}

// HasSubscribers reports whether ubusd last said the object has subscribers.
func (o *Object) HasSubscribers() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.active
}

func (o *Object) setActive(cn *conn, active bool) {
	o.mu.Lock()
	if o.cn != cn {
		o.mu.Unlock()
		return
	}
	o.active = active
	fn := o.OnSubscribe
	o.mu.Unlock()
	if fn != nil {
		fn(active)
	}
}

func (o *Object) method(name string) *Method {
	for i := range o.Methods {
		if o.Methods[i].Name == name {
			return &o.Methods[i]
		}
	}
	return nil
}

func (o *Object) validate() error {
	seen := map[string]bool{}
	for _, m := range o.Methods {
		if m.Name == "" || m.Handler == nil {
			return fmt.Errorf("ubus: object %q: method %q needs a name and a handler", o.Name, m.Name)
		}
		if seen[m.Name] {
			return fmt.Errorf("ubus: object %q: method %q declared twice", o.Name, m.Name)
		}
		seen[m.Name] = true
		for _, a := range m.Policy {
			if a.Name == "" || a.Type > TypeDouble {
				return fmt.Errorf("ubus: object %q: method %q: bad policy entry %q", o.Name, m.Name, a.Name)
			}
		}
	}
	if o.Name == "" && len(o.Methods) > 0 {
		return fmt.Errorf("ubus: an anonymous object cannot have methods")
	}
	return nil
}

// addMessage builds ADD_OBJECT: OBJPATH and SIGNATURE (one table per
// method, members INT32 = blobmsg type), or an empty body when anonymous.
func (o *Object) addMessage() (*Message, error) {
	m := &Message{Type: MsgAddObject}
	if o.Name == "" {
		return m, nil
	}
	m.PutString(AttrObjPath, o.Name)
	sig := make(Table, 0, len(o.Methods))
	for _, meth := range o.Methods {
		args := make([]Field, 0, len(meth.Policy))
		for _, a := range meth.Policy {
			args = append(args, Field{Name: a.Name, Value: Int32(int32(a.Type))})
		}
		sig = append(sig, Field{Name: meth.Name, Value: Value{Type: TypeTable, List: args}})
	}
	if err := m.PutTable(AttrSignature, sig); err != nil {
		return nil, err
	}
	return m, nil
}

// AddObject publishes obj. ubusd refuses a path that is already taken with
// StatusInvalidArgument. Once added, the object is re-published after every
// reconnect until RemoveObject. Its methods are served from now on.
func (c *Client) AddObject(ctx context.Context, obj *Object) error {
	if err := obj.validate(); err != nil {
		return err
	}
	obj.mu.Lock()
	if obj.client != nil {
		obj.mu.Unlock()
		return fmt.Errorf("ubus: object %q is already added", obj.Name)
	}
	obj.client = c
	obj.mu.Unlock()
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	cn, err := c.conn(ctx)
	if err == nil {
		err = c.registerObject(ctx, cn, obj)
	}
	if err != nil {
		obj.mu.Lock()
		obj.client = nil
		obj.mu.Unlock()
		return err
	}
	c.mu.Lock()
	c.objects[obj] = struct{}{}
	c.mu.Unlock()
	return nil
}

func (c *Client) registerObject(ctx context.Context, cn *conn, obj *Object) error {
	m, err := obj.addMessage()
	if err != nil {
		return fmt.Errorf("ubus: add object %q: %w", obj.Name, err)
	}
	_, _, err = cn.addObject(ctx, "add object "+obj.Name, m, obj)
	return err
}

// bind records the registration; it runs on the reader goroutine when
// ubusd's answer arrives, before any INVOKE or NOTIFY for the new id.
func (o *Object) bind(cn *conn, id, typeID uint32) {
	o.mu.Lock()
	o.cn, o.id, o.typeID, o.active = cn, id, typeID, false
	o.mu.Unlock()
}

// RemoveObject unpublishes obj and stops re-publishing it.
func (c *Client) RemoveObject(ctx context.Context, obj *Object) error {
	c.mu.Lock()
	_, ok := c.objects[obj]
	delete(c.objects, obj)
	c.mu.Unlock()
	if !ok {
		return fmt.Errorf("ubus: object %q is not added", obj.Name)
	}
	obj.mu.Lock()
	cn, id := obj.cn, obj.id
	obj.client, obj.cn, obj.id, obj.active = nil, nil, 0, false
	obj.mu.Unlock()
	if cn == nil || cn.closed() != nil {
		return nil // gone with the old connection
	}
	return cn.removeObject(ctx, "remove object "+obj.Name, id)
}

// Notify sends a notification of type typ with data to obj's subscribers
// (ubus_notify) and waits for ubusd to accept it. It does not wait for the
// subscribers' answers.
func (c *Client) Notify(ctx context.Context, obj *Object, typ string, data Table) error {
	obj.mu.Lock()
	cn, id := obj.cn, obj.id
	obj.mu.Unlock()
	op := "notify " + obj.Name + " " + typ
	if cn == nil || cn.closed() != nil {
		return fmt.Errorf("ubus: %s: object not registered: %w", op, ErrDisconnected)
	}
	m := &Message{Type: MsgNotify, Peer: id}
	m.PutUint32(AttrObjID, id)
	m.PutString(AttrMethod, typ)
	if err := m.PutTable(AttrData, data); err != nil {
		return fmt.Errorf("ubus: %s: %w", op, err)
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	return cn.roundTrip(ctx, op, m, nil)
}

// invoke dispatches a method call: unknown method → METHOD_NOT_FOUND,
// undecodable or policy-violating arguments → INVALID_ARGUMENT without
// calling the handler, otherwise the handler on its own goroutine.
func (o *Object) invoke(cn *conn, m *Message) {
	id, _ := m.Uint32(AttrObjID)
	_, noReply := m.Int8(AttrNoReply)
	fail := func(st Status) {
		if !noReply {
			cn.replyStatus(m, id, st)
		}
	}
	name, _ := m.Text(AttrMethod)
	meth := o.method(name)
	if meth == nil {
		fail(StatusMethodNotFound)
		return
	}
	args, err := m.Table(AttrData)
	if err != nil {
		fail(StatusInvalidArgument)
		return
	}
	req := &Request{Object: o.Name, Method: name, Caller: m.Peer, cn: cn, inv: m, objID: id}
	req.User, _ = m.Text(AttrUser)
	req.Group, _ = m.Text(AttrGroup)
	for _, f := range args {
		if f.Name == "ubus_rpc_session" {
			if s, ok := f.Value.AsString(); ok && req.Session == "" {
				req.Session = s
			}
			continue
		}
		req.Args = append(req.Args, f)
	}
	if err := CheckPolicy(meth.Policy, req.Args); err != nil {
		fail(StatusInvalidArgument)
		return
	}
	c := cn.c
	select {
	case c.sem <- struct{}{}:
	default:
		fail(StatusUnknownError)
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		ctx, cancel := context.WithTimeout(cn.ctx, c.opts.handlerTimeout)
		defer cancel()
		stop := context.AfterFunc(c.ctx, cancel)
		defer stop()
		data, herr := meth.Handler(ctx, req)
		// The slot is freed before the reply goes out: a caller that has
		// its answer may call again at once and must not be refused.
		<-c.sem
		req.mu.Lock()
		deferred := req.deferred != nil
		req.mu.Unlock()
		if deferred {
			return
		}
		_ = req.reply(data, herr)
	}()
}

// ErrPolicy is matched (errors.Is) by CheckPolicy errors.
var ErrPolicy = errors.New("ubus: arguments violate the method policy")

// CheckPolicy validates args against a method policy: every Required
// argument present, every present argument of a compatible type (see Arg).
// The first occurrence of a name counts, as in blobmsg_parse; arguments not
// in the policy are ignored. Errors wrap ErrPolicy and StatusInvalidArgument.
func CheckPolicy(policy []Arg, args Table) error {
	for _, a := range policy {
		v, ok := args.Get(a.Name)
		if !ok {
			if a.Required {
				return fmt.Errorf("%w: missing %q: %w", ErrPolicy, a.Name, StatusInvalidArgument)
			}
			continue
		}
		if !typeFits(a.Type, v) {
			return fmt.Errorf("%w: %q is %s, want %s: %w", ErrPolicy, a.Name, v.Type, a.Type, StatusInvalidArgument)
		}
	}
	return nil
}

func typeFits(want Type, v Value) bool {
	wide := v.Type == TypeInt16 || v.Type == TypeInt32 || v.Type == TypeInt64
	switch want {
	case TypeUnspec:
		return true
	case TypeInt64:
		return wide
	case TypeInt32:
		return wide && v.Int >= math.MinInt32 && v.Int <= math.MaxInt32
	case TypeInt16:
		return wide && v.Int >= math.MinInt16 && v.Int <= math.MaxInt16
	case TypeInt8:
		return v.Type == TypeInt8 || (wide && (v.Int == 0 || v.Int == 1))
	case TypeDouble:
		return v.Type == TypeDouble || wide
	default:
		return v.Type == want
	}
}
