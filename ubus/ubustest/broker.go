package ubustest

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/floatgw/floatgw/ubus"
)

// maxQueue is ubusd's per-client transmit queue: beyond it, messages to a
// client that does not read are discarded.
const maxQueue = 1 << 20

// Broker is an in-process ubusd. It listens on a unix socket path, speaks
// the wire protocol byte for byte like ubusd (checked against the recorded
// transcripts) and handles every flow of them: HELLO, PING, LOOKUP (all,
// exact, prefix), ADD_OBJECT / REMOVE_OBJECT with signatures and types,
// INVOKE forwarding with USER and GROUP and the relay of DATA and STATUS,
// the event object (register, send, ubus.object.add/remove), SUBSCRIBE /
// UNSUBSCRIBE / NOTIFY with ACTIVE and SUBSCRIBERS, and MONITOR.
//
// Like ubusd it handles one message at a time (a single lock), so the order
// of what it sends is deterministic for a given order of what it receives.
// It does not implement ACL files: every client is treated as ubusd treats
// root, except that monitoring still requires uid 0 and gid 0.
//
// All methods are safe for concurrent use.
type Broker struct {
	path string

	mu      sync.Mutex
	ln      *net.UnixListener
	running bool
	conns   map[*client]struct{}
	wg      sync.WaitGroup
	st      *state
}

// state is everything ubusd forgets when it dies.
type state struct {
	clients      map[uint32]*client
	objects      map[uint32]*object
	paths        map[string]*object
	types        map[uint32]*objType
	patterns     []*pattern
	monitors     map[*client]uint16 // per-monitor seq
	eventSeq     uint16
	objEventSeq  uint32
	patternOrder int
}

type client struct {
	b    *Broker
	nc   *net.UnixConn
	id   uint32
	user string
	grp  string
	uid  uint32
	gid  uint32

	qmu    sync.Mutex
	qcond  *sync.Cond
	queue  [][]byte
	qbytes int
	closed bool
}

type objType struct {
	id       uint32
	sig      []byte
	refcount int
}

type object struct {
	id          uint32
	path        string
	typ         *objType
	owner       *client // nil for built-ins
	subscribers []*object
	targets     []*object // objects this one subscribes to
	invokeSeq   uint16
	eventSeen   uint32
}

type pattern struct {
	obj     *object
	pattern string
	prefix  bool
	order   int
}

// New starts a broker listening on path, creating its directory and
// removing a stale socket like ubusd does.
func New(path string) (*Broker, error) {
	b := &Broker{path: path}
	if err := b.Start(); err != nil {
		return nil, err
	}
	return b, nil
}

// NewTest starts a broker on a fresh short socket path and closes it when
// the test ends.
func NewTest(tb testing.TB) *Broker {
	tb.Helper()
	dir, err := os.MkdirTemp("", "ubustest")
	if err != nil {
		tb.Fatal(err)
	}
	b, err := New(filepath.Join(dir, "ubus.sock"))
	if err != nil {
		os.RemoveAll(dir)
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		b.Close()
		os.RemoveAll(dir)
	})
	return b
}

// Path returns the socket path.
func (b *Broker) Path() string { return b.path }

// Start listens again after Stop, with empty state and new random ids,
// like a respawned ubusd.
func (b *Broker) Start() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running {
		return fmt.Errorf("ubustest: broker on %s already running", b.path)
	}
	if err := os.MkdirAll(filepath.Dir(b.path), 0o755); err != nil {
		return fmt.Errorf("ubustest: %w", err)
	}
	os.Remove(b.path)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: b.path, Net: "unix"})
	if err != nil {
		return fmt.Errorf("ubustest: listen: %w", err)
	}
	os.Chmod(b.path, 0o666)
	b.ln, b.running = ln, true
	b.conns = map[*client]struct{}{}
	b.st = &state{
		clients:  map[uint32]*client{},
		objects:  map[uint32]*object{},
		paths:    map[string]*object{},
		types:    map[uint32]*objType{},
		monitors: map[*client]uint16{},
	}
	for _, id := range []uint32{ubus.EventObjectID, ubus.ACLObjectID, ubus.MonitorObjectID} {
		b.st.objects[id] = &object{id: id}
	}
	b.wg.Add(1)
	go b.accept(ln)
	return nil
}

// Stop kills the broker like ubusd dying: the socket disappears and every
// client sees EOF. Start brings it back on the same path.
func (b *Broker) Stop() {
	b.mu.Lock()
	if !b.running {
		b.mu.Unlock()
		return
	}
	b.running = false
	b.ln.Close()
	conns := b.conns
	b.conns = map[*client]struct{}{}
	b.mu.Unlock()
	for c := range conns {
		c.shutdown()
	}
	b.wg.Wait()
}

// Close stops the broker for good.
func (b *Broker) Close() error {
	b.Stop()
	return nil
}

// Clients returns how many clients are connected.
func (b *Broker) Clients() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.running {
		return 0
	}
	return len(b.st.clients)
}

// Paths returns the paths of the published objects, sorted.
func (b *Broker) Paths() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	if b.running {
		for p := range b.st.paths {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func (b *Broker) accept(ln *net.UnixListener) {
	defer b.wg.Done()
	for {
		nc, err := ln.AcceptUnix()
		if err != nil {
			return
		}
		c := &client{b: b, nc: nc}
		c.qcond = sync.NewCond(&c.qmu)
		c.credentials()
		b.mu.Lock()
		if !b.running {
			b.mu.Unlock()
			nc.Close()
			return
		}
		st := b.st
		c.id = st.newID(func(id uint32) bool { return st.clients[id] != nil })
		st.clients[c.id] = c
		b.conns[c] = struct{}{}
		b.wg.Add(2)
		go c.writeLoop()
		go c.readLoop(st)
		b.send(c, &ubus.Message{Type: ubus.MsgHello, Peer: c.id})
		b.mu.Unlock()
	}
}

func (c *client) credentials() {
	c.user, c.grp = "root", "root"
	raw, err := c.nc.SyscallConn()
	if err != nil {
		return
	}
	var cred *syscall.Ucred
	raw.Control(func(fd uintptr) {
		cred, _ = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	})
	if cred == nil {
		return
	}
	c.uid, c.gid = cred.Uid, cred.Gid
	c.user = strconv.Itoa(int(cred.Uid))
	if u, err := user.LookupId(c.user); err == nil {
		c.user = u.Username
	}
	c.grp = strconv.Itoa(int(cred.Gid))
	if g, err := user.LookupGroupId(c.grp); err == nil {
		c.grp = g.Name
	}
}

// newID draws a random id >= 1024 that taken does not know, like ubusd_id.c.
func (st *state) newID(taken func(uint32) bool) uint32 {
	for {
		id := rand.Uint32()
		if id >= 1024 && !taken(id) {
			return id
		}
	}
}

func (c *client) shutdown() {
	c.qmu.Lock()
	c.closed = true
	c.qcond.Broadcast()
	c.qmu.Unlock()
	c.nc.Close()
}

func (c *client) writeLoop() {
	defer c.b.wg.Done()
	for {
		c.qmu.Lock()
		for len(c.queue) == 0 && !c.closed {
			c.qcond.Wait()
		}
		if c.closed {
			c.qmu.Unlock()
			return
		}
		frame := c.queue[0]
		c.queue = c.queue[1:]
		c.qbytes -= len(frame)
		c.qmu.Unlock()
		if _, err := c.nc.Write(frame); err != nil {
			c.nc.Close()
			return
		}
	}
}

func (c *client) enqueue(frame []byte) {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if c.closed || c.qbytes+len(frame) > maxQueue {
		return // ubusd discards what does not fit
	}
	c.queue = append(c.queue, frame)
	c.qbytes += len(frame)
	c.qcond.Signal()
}

func (c *client) readLoop(st *state) {
	defer c.b.wg.Done()
	br := bufio.NewReader(c.nc)
	for {
		m, err := ubus.ReadMessage(br)
		if err != nil && errors.Is(err, ubus.ErrMalformed) && !errors.Is(err, ubus.ErrBadFrame) {
			continue // ubusd drops a message it cannot parse
		}
		b := c.b
		b.mu.Lock()
		if b.st != st {
			b.mu.Unlock()
			return
		}
		if err != nil {
			b.disconnect(c)
			b.mu.Unlock()
			return
		}
		b.monitor(c, m, false)
		b.handle(c, m)
		b.mu.Unlock()
	}
}

// send queues m for c, copying it to monitors first. Callers hold b.mu.
func (b *Broker) send(c *client, m *ubus.Message) {
	b.monitor(c, m, true)
	frame, err := m.MarshalBinary()
	if err != nil {
		return
	}
	c.enqueue(frame)
}

func (b *Broker) status(c *client, req *ubus.Message, st ubus.Status) {
	m := &ubus.Message{Type: ubus.MsgStatus, Seq: req.Seq, Peer: req.Peer}
	m.PutUint32(ubus.AttrStatus, uint32(st))
	b.send(c, m)
}

// monitor copies a message to every monitoring client (ubusd_monitor.c).
func (b *Broker) monitor(c *client, m *ubus.Message, sent bool) {
	if m.Type == ubus.MsgMonitor || len(b.st.monitors) == 0 {
		return
	}
	body, err := (&ubus.Message{Attrs: m.Attrs}).MarshalBinary()
	if err != nil {
		return
	}
	var send int8
	if sent {
		send = 1
	}
	for mc, seq := range b.st.monitors {
		seq++
		b.st.monitors[mc] = seq
		mm := &ubus.Message{Type: ubus.MsgMonitor, Seq: seq}
		mm.PutUint32(ubus.MonitorClient, c.id)
		mm.PutUint32(ubus.MonitorPeer, m.Peer)
		mm.PutUint32(ubus.MonitorSeq, uint32(m.Seq))
		mm.PutUint32(ubus.MonitorType, uint32(m.Type))
		mm.PutInt8(ubus.MonitorSend, send)
		mm.PutRaw(ubus.MonitorData, body[12:])
		frame, err := mm.MarshalBinary()
		if err == nil {
			mc.enqueue(frame)
		}
	}
}

func (b *Broker) handle(c *client, m *ubus.Message) {
	var st ubus.Status
	switch m.Type {
	case ubus.MsgPing:
		d := &ubus.Message{Type: ubus.MsgData, Seq: m.Seq, Peer: m.Peer, Attrs: m.Attrs}
		b.send(c, d)
	case ubus.MsgLookup:
		st = b.lookup(c, m)
	case ubus.MsgAddObject:
		st = b.addObject(c, m)
	case ubus.MsgRemoveObject:
		st = b.removeObject(c, m)
	case ubus.MsgInvoke:
		var reply bool
		st, reply = b.invoke(c, m)
		if !reply {
			return
		}
	case ubus.MsgStatus, ubus.MsgData:
		b.response(c, m)
		return
	case ubus.MsgSubscribe:
		st = b.subscribe(c, m)
	case ubus.MsgUnsubscribe:
		st = b.unsubscribe(c, m)
	case ubus.MsgNotify:
		var reply bool
		st, reply = b.notify(c, m)
		if !reply {
			return
		}
	default:
		st = ubus.StatusInvalidCommand
	}
	b.status(c, m, st)
}

func (b *Broker) sendObject(c *client, req *ubus.Message, o *object) {
	if o.typ == nil {
		return
	}
	d := &ubus.Message{Type: ubus.MsgData, Seq: req.Seq, Peer: req.Peer}
	d.PutString(ubus.AttrObjPath, o.path)
	d.PutUint32(ubus.AttrObjID, o.id)
	d.PutUint32(ubus.AttrObjType, o.typ.id)
	d.PutRaw(ubus.AttrSignature, o.typ.sig)
	b.send(c, d)
}

func (b *Broker) sortedPaths() []string {
	paths := make([]string, 0, len(b.st.paths))
	for p := range b.st.paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

func (b *Broker) lookup(c *client, m *ubus.Message) ubus.Status {
	path, ok := m.Text(ubus.AttrObjPath)
	if !ok {
		for _, p := range b.sortedPaths() {
			b.sendObject(c, m, b.st.paths[p])
		}
		return ubus.StatusOK
	}
	if !strings.HasSuffix(path, "*") {
		o := b.st.paths[path]
		if o == nil {
			return ubus.StatusNotFound
		}
		b.sendObject(c, m, o)
		return ubus.StatusOK
	}
	prefix := strings.TrimSuffix(path, "*")
	found := false
	for _, p := range b.sortedPaths() {
		if strings.HasPrefix(p, prefix) {
			found = true
			b.sendObject(c, m, b.st.paths[p])
		}
	}
	if !found {
		return ubus.StatusNotFound
	}
	return ubus.StatusOK
}

// validSignature checks that every method entry is a named blobmsg table,
// as ubusd_create_object_type does.
func validSignature(sig []byte) bool {
	d := ubus.NewDecoder(sig)
	for d.Next() {
		if d.Type() != ubus.TypeTable {
			return false
		}
	}
	return d.Err() == nil
}

func (b *Broker) addObject(c *client, m *ubus.Message) ubus.Status {
	st := b.st
	var typ *objType
	if tid, ok := m.Uint32(ubus.AttrObjType); ok {
		if typ = st.types[tid]; typ == nil {
			return ubus.StatusInvalidArgument
		}
	} else if sig, ok := m.Attr(ubus.AttrSignature); ok {
		if !validSignature(sig) {
			return ubus.StatusInvalidArgument
		}
		typ = &objType{sig: append([]byte{}, sig...)}
		typ.id = st.newID(func(id uint32) bool { return st.types[id] != nil })
	}
	path, hasPath := m.Text(ubus.AttrObjPath)
	if hasPath && (path == "" || st.paths[path] != nil) {
		return ubus.StatusInvalidArgument
	}
	o := &object{typ: typ, owner: c}
	o.id = st.newID(func(id uint32) bool { return st.objects[id] != nil })
	if typ != nil {
		if typ.refcount == 0 {
			st.types[typ.id] = typ
		}
		typ.refcount++
	}
	st.objects[o.id] = o
	if hasPath {
		o.path = path
		st.paths[path] = o
		b.objectEvent(o, true)
	}
	d := &ubus.Message{Type: ubus.MsgData, Seq: m.Seq, Peer: m.Peer}
	d.PutUint32(ubus.AttrObjID, o.id)
	if _, sig := m.Attr(ubus.AttrSignature); sig && typ != nil {
		d.PutUint32(ubus.AttrObjType, typ.id)
	}
	b.send(c, d)
	return ubus.StatusOK
}

func (b *Broker) objectEvent(o *object, add bool) {
	name := "ubus.object.remove"
	if add {
		name = "ubus.object.add"
	}
	b.event(nil, name, ubus.Table{
		{Name: "id", Value: ubus.Int32(int32(o.id))},
		{Name: "path", Value: ubus.String(o.path)},
	})
}

func (b *Broker) removeObject(c *client, m *ubus.Message) ubus.Status {
	id, ok := m.Uint32(ubus.AttrObjID)
	if !ok {
		return ubus.StatusInvalidArgument
	}
	o := b.st.objects[id]
	if o == nil || o.owner == nil {
		return ubus.StatusNotFound
	}
	if o.owner != c {
		return ubus.StatusPermissionDenied
	}
	d := &ubus.Message{Type: ubus.MsgData, Seq: m.Seq, Peer: m.Peer}
	d.PutUint32(ubus.AttrObjID, o.id)
	if o.typ != nil && o.typ.refcount == 1 {
		d.PutUint32(ubus.AttrObjType, o.typ.id)
	}
	b.send(c, d)
	b.freeObject(o)
	return ubus.StatusOK
}

// freeObject removes an object with ubusd's side effects: the remove event,
// UNSUBSCRIBE to its subscribers, its own subscriptions and patterns.
func (b *Broker) freeObject(o *object) {
	st := b.st
	for _, s := range o.subscribers {
		s.targets = removeObj(s.targets, o)
		s.invokeSeq++
		u := &ubus.Message{Type: ubus.MsgUnsubscribe, Seq: s.invokeSeq}
		u.PutUint32(ubus.AttrObjID, s.id)
		u.PutUint32(ubus.AttrTarget, o.id)
		b.send(s.owner, u)
	}
	o.subscribers = nil
	for _, t := range o.targets {
		b.dropSubscriber(t, o)
	}
	o.targets = nil
	kept := st.patterns[:0]
	for _, p := range st.patterns {
		if p.obj != o {
			kept = append(kept, p)
		}
	}
	st.patterns = kept
	delete(st.objects, o.id)
	if o.typ != nil {
		if o.typ.refcount--; o.typ.refcount == 0 {
			delete(st.types, o.typ.id)
		}
	}
	if o.path != "" {
		delete(st.paths, o.path)
		b.objectEvent(o, false)
	}
}

func removeObj(list []*object, o *object) []*object {
	out := list[:0]
	for _, x := range list {
		if x != o {
			out = append(out, x)
		}
	}
	return out
}

func (b *Broker) dropSubscriber(target, sub *object) {
	before := len(target.subscribers)
	target.subscribers = removeObj(target.subscribers, sub)
	if before > 0 && len(target.subscribers) == 0 {
		b.notifyActive(target)
	}
}

func (b *Broker) notifyActive(o *object) {
	if o.owner == nil {
		return
	}
	o.invokeSeq++
	n := &ubus.Message{Type: ubus.MsgNotify, Seq: o.invokeSeq}
	n.PutUint32(ubus.AttrObjID, o.id)
	var active int8
	if len(o.subscribers) > 0 {
		active = 1
	}
	n.PutInt8(ubus.AttrActive, active)
	b.send(o.owner, n)
}

func (b *Broker) invoke(c *client, m *ubus.Message) (ubus.Status, bool) {
	id, ok1 := m.Uint32(ubus.AttrObjID)
	method, ok2 := m.Text(ubus.AttrMethod)
	if !ok1 || !ok2 {
		return ubus.StatusInvalidArgument, true
	}
	o := b.st.objects[id]
	if o == nil {
		return ubus.StatusNotFound, true
	}
	switch id {
	case ubus.EventObjectID:
		return b.eventObject(c, method, m), true
	case ubus.ACLObjectID:
		return ubus.StatusOK, true
	case ubus.MonitorObjectID:
		return b.monitorObject(c, method), true
	}
	f := &ubus.Message{Type: ubus.MsgInvoke, Seq: m.Seq, Peer: c.id}
	f.PutUint32(ubus.AttrObjID, o.id)
	f.PutString(ubus.AttrMethod, method)
	f.PutString(ubus.AttrUser, c.user)
	f.PutString(ubus.AttrGroup, c.grp)
	if data, ok := m.Attr(ubus.AttrData); ok {
		f.PutRaw(ubus.AttrData, data)
	}
	b.send(o.owner, f)
	return 0, false
}

func (b *Broker) monitorObject(c *client, method string) ubus.Status {
	switch method {
	case "add":
		if c.uid != 0 || c.gid != 0 {
			return ubus.StatusPermissionDenied
		}
		if _, ok := b.st.monitors[c]; !ok {
			b.st.monitors[c] = 0
		}
		return ubus.StatusOK
	case "remove":
		delete(b.st.monitors, c)
		return ubus.StatusOK
	}
	return ubus.StatusInvalidArgument
}

func (b *Broker) eventObject(c *client, method string, m *ubus.Message) ubus.Status {
	data, err := m.Table(ubus.AttrData)
	if err != nil {
		return ubus.StatusInvalidArgument
	}
	switch method {
	case "register":
		oid, ok1 := data.Get("object")
		pat, ok2 := data.String("pattern")
		if !ok1 || oid.Type != ubus.TypeInt32 || !ok2 {
			return ubus.StatusInvalidArgument
		}
		id := uint32(oid.Int)
		if id < 1024 {
			return ubus.StatusPermissionDenied
		}
		o := b.st.objects[id]
		if o == nil {
			return ubus.StatusNotFound
		}
		if o.owner != c {
			return ubus.StatusPermissionDenied
		}
		p := &pattern{obj: o, pattern: pat, order: b.st.patternOrder}
		b.st.patternOrder++
		if strings.HasSuffix(pat, "*") {
			p.prefix, p.pattern = true, strings.TrimSuffix(pat, "*")
		}
		b.st.patterns = append(b.st.patterns, p)
		return ubus.StatusOK
	case "send":
		id, ok1 := data.String("id")
		payload, ok2 := data.Get("data")
		if !ok1 || !ok2 || payload.Type != ubus.TypeTable {
			return ubus.StatusInvalidArgument
		}
		if strings.HasPrefix(id, "ubus.") {
			return ubus.StatusPermissionDenied
		}
		b.event(c, id, ubus.Table(payload.List))
		return ubus.StatusOK
	}
	return ubus.StatusInvalidArgument
}

// event delivers an event to every matching listener object once, never
// to the sender's own objects (ubusd_event.c).
func (b *Broker) event(from *client, name string, data ubus.Table) {
	st := b.st
	st.objEventSeq++
	pats := append([]*pattern(nil), st.patterns...)
	sort.SliceStable(pats, func(i, j int) bool {
		if pats[i].pattern != pats[j].pattern {
			return pats[i].pattern < pats[j].pattern
		}
		return pats[i].order < pats[j].order
	})
	for _, p := range pats {
		match := name == p.pattern
		if p.prefix {
			match = strings.HasPrefix(name, p.pattern)
		}
		o := p.obj
		if !match || o.owner == from || o.eventSeen == st.objEventSeq {
			continue
		}
		o.eventSeen = st.objEventSeq
		st.eventSeq++
		m := &ubus.Message{Type: ubus.MsgInvoke, Seq: st.eventSeq}
		m.PutUint32(ubus.AttrObjID, o.id)
		m.PutString(ubus.AttrMethod, name)
		if err := m.PutTable(ubus.AttrData, data); err != nil {
			return
		}
		b.send(o.owner, m)
	}
}

// response relays an object owner's DATA or STATUS to the caller, after
// ubusd_handle_response's checks; anything else is dropped silently.
func (b *Broker) response(c *client, m *ubus.Message) {
	id, ok := m.Uint32(ubus.AttrObjID)
	if !ok {
		return
	}
	if m.Type == ubus.MsgStatus {
		if _, ok := m.Attr(ubus.AttrStatus); !ok {
			return
		}
	} else if _, ok := m.Attr(ubus.AttrData); !ok {
		return
	}
	o := b.st.objects[id]
	if o == nil || o.owner != c {
		return
	}
	to := b.st.clients[m.Peer]
	if to == nil {
		return
	}
	f := &ubus.Message{Type: m.Type, Seq: m.Seq, Peer: id, Attrs: m.Attrs}
	b.send(to, f)
}

func (b *Broker) subscribe(c *client, m *ubus.Message) ubus.Status {
	sid, ok1 := m.Uint32(ubus.AttrObjID)
	tid, ok2 := m.Uint32(ubus.AttrTarget)
	if !ok1 || !ok2 {
		return ubus.StatusInvalidArgument
	}
	s := b.st.objects[sid]
	if s == nil {
		return ubus.StatusNotFound
	}
	if s.owner != c {
		return ubus.StatusInvalidArgument
	}
	t := b.st.objects[tid]
	if t == nil || t.owner == nil {
		return ubus.StatusNotFound
	}
	if t.owner == c {
		return ubus.StatusInvalidArgument
	}
	for _, x := range t.subscribers {
		if x == s {
			return ubus.StatusOK
		}
	}
	t.subscribers = append(t.subscribers, s)
	s.targets = append(s.targets, t)
	if len(t.subscribers) == 1 {
		b.notifyActive(t)
	}
	return ubus.StatusOK
}

func (b *Broker) unsubscribe(c *client, m *ubus.Message) ubus.Status {
	sid, ok1 := m.Uint32(ubus.AttrObjID)
	tid, ok2 := m.Uint32(ubus.AttrTarget)
	if !ok1 || !ok2 {
		return ubus.StatusInvalidArgument
	}
	s := b.st.objects[sid]
	if s == nil {
		return ubus.StatusNotFound
	}
	if s.owner != c {
		return ubus.StatusInvalidArgument
	}
	t := b.st.objects[tid]
	if t == nil {
		return ubus.StatusNotFound
	}
	s.targets = removeObj(s.targets, t)
	b.dropSubscriber(t, s)
	return ubus.StatusOK
}

func (b *Broker) notify(c *client, m *ubus.Message) (ubus.Status, bool) {
	id, ok1 := m.Uint32(ubus.AttrObjID)
	method, ok2 := m.Text(ubus.AttrMethod)
	if !ok1 || !ok2 {
		return ubus.StatusInvalidArgument, true
	}
	o := b.st.objects[id]
	if o == nil || o.owner != c {
		return ubus.StatusPermissionDenied, true
	}
	_, noReply := m.Int8(ubus.AttrNoReply)
	if !noReply {
		r := &ubus.Message{Type: ubus.MsgStatus, Seq: m.Seq, Peer: m.Peer}
		r.PutUint32(ubus.AttrObjID, o.id)
		ids := make([]uint32, len(o.subscribers))
		for i, s := range o.subscribers {
			ids[i] = s.id
		}
		r.PutSubscribers(ids)
		r.PutUint32(ubus.AttrStatus, 0)
		b.send(c, r)
	}
	data, hasData := m.Attr(ubus.AttrData)
	for _, s := range o.subscribers {
		f := &ubus.Message{Type: ubus.MsgInvoke, Seq: m.Seq, Peer: c.id}
		f.PutUint32(ubus.AttrObjID, s.id)
		f.PutString(ubus.AttrMethod, method)
		f.PutString(ubus.AttrUser, c.user)
		f.PutString(ubus.AttrGroup, c.grp)
		if hasData {
			f.PutRaw(ubus.AttrData, data)
		}
		if noReply {
			f.PutInt8(ubus.AttrNoReply, 1)
		}
		b.send(s.owner, f)
	}
	return 0, false
}

// disconnect frees everything a client owned, as ubusd does on EOF.
func (b *Broker) disconnect(c *client) {
	st := b.st
	delete(st.monitors, c)
	ids := make([]uint32, 0)
	for id, o := range st.objects {
		if o.owner == c {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if o := st.objects[id]; o != nil {
			b.freeObject(o)
		}
	}
	delete(st.clients, c.id)
	delete(b.conns, c)
	c.shutdown()
}
