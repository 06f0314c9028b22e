package ubus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
)

// EventHandler receives one event: its name and its data.
type EventHandler func(event string, data Table)

// NotifyHandler receives one notification from a subscribed object: its
// type (the notify method name) and its data.
type NotifyHandler func(typ string, data Table)

type delivery struct {
	name string
	data Table
}

// queue runs a handler on its own goroutine, in arrival order, dropping
// deliveries (and counting them) when the handler falls behind.
type queue struct {
	ch      chan delivery
	stop    chan struct{}
	once    sync.Once
	dropped atomic.Uint64
}

func (c *Client) newQueue(fn func(string, Table)) *queue {
	q := &queue{ch: make(chan delivery, c.opts.eventQueue), stop: make(chan struct{})}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for {
			select {
			case d := <-q.ch:
				fn(d.name, d.data)
			case <-q.stop:
				return
			case <-c.ctx.Done():
				return
			}
		}
	}()
	return q
}

func (q *queue) push(d delivery) {
	select {
	case q.ch <- d:
	default:
		q.dropped.Add(1)
	}
}

func (q *queue) close() { q.once.Do(func() { close(q.stop) }) }

// Listener is an event registration made by Listen. It is re-registered
// after reconnects until Close.
type Listener struct {
	c       *Client
	pattern string
	q       *queue

	mu sync.Mutex
	cn *conn
	id uint32
}

// Listen registers h for events whose name matches pattern: an exact name,
// a prefix ending in "*", or "*" for all (what `ubus listen` does). ubusd
// never delivers a client's own events back to it. h runs on a goroutine of
// its own, one event at a time, in order; if it falls behind by more than
// the event queue, events are dropped and counted by Dropped.
func (c *Client) Listen(ctx context.Context, pattern string, h EventHandler) (*Listener, error) {
	if h == nil {
		return nil, fmt.Errorf("ubus: listen %s: nil handler", pattern)
	}
	l := &Listener{c: c, pattern: pattern}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	cn, err := c.conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("ubus: listen %s: %w", pattern, err)
	}
	l.q = c.newQueue(h)
	if err := l.register(ctx, cn); err != nil {
		l.q.close()
		return nil, err
	}
	c.mu.Lock()
	c.listeners[l] = struct{}{}
	c.mu.Unlock()
	return l, nil
}

// register adds the anonymous listener object and its pattern.
func (l *Listener) register(ctx context.Context, cn *conn) error {
	op := "listen " + l.pattern
	id, _, err := cn.addObject(ctx, op, &Message{Type: MsgAddObject}, l)
	if err != nil {
		return err
	}
	m := &Message{Type: MsgInvoke, Peer: EventObjectID}
	m.PutUint32(AttrObjID, EventObjectID)
	m.PutString(AttrMethod, "register")
	if err := m.PutTable(AttrData, Table{
		{Name: "object", Value: Int32(int32(id))},
		{Name: "pattern", Value: String(l.pattern)},
	}); err != nil {
		return err
	}
	if err := cn.roundTrip(ctx, op, m, nil); err != nil {
		cn.removeObject(ctx, op, id)
		return err
	}
	l.mu.Lock()
	l.cn, l.id = cn, id
	l.mu.Unlock()
	return nil
}

func (l *Listener) invoke(cn *conn, m *Message) {
	id, _ := m.Uint32(AttrObjID)
	if _, noReply := m.Int8(AttrNoReply); !noReply {
		// libubus answers event deliveries; ubusd drops the answer.
		cn.replyStatus(m, id, StatusOK)
	}
	name, _ := m.Text(AttrMethod)
	data, err := m.Table(AttrData)
	if err != nil {
		l.q.dropped.Add(1)
		return
	}
	l.q.push(delivery{name, data})
}

// Dropped returns how many events were dropped because the handler was slow
// or their data was malformed.
func (l *Listener) Dropped() uint64 { return l.q.dropped.Load() }

// Close unregisters the listener and stops its handler goroutine.
func (l *Listener) Close(ctx context.Context) error {
	c := l.c
	c.mu.Lock()
	_, ok := c.listeners[l]
	delete(c.listeners, l)
	c.mu.Unlock()
	l.q.close()
	if !ok {
		return nil
	}
	l.mu.Lock()
	cn, id := l.cn, l.id
	l.cn, l.id = nil, 0
	l.mu.Unlock()
	if cn == nil || cn.closed() != nil {
		return nil
	}
	return cn.removeObject(ctx, "unlisten "+l.pattern, id)
}

// Subscription is a subscription made by Subscribe. It follows its target:
// after a reconnect, or when ubusd reports the target gone, it looks the
// path up and subscribes again (retried every backoff cap) until Close.
type Subscription struct {
	c    *Client
	path string
	q    *queue

	mu         sync.Mutex
	cn         *conn
	id         uint32 // our anonymous subscriber object
	target     uint32
	subscribed bool
}

// Subscribe subscribes to the notifications of the object at path (what
// `ubus subscribe` does: an anonymous subscriber object, LOOKUP, SUBSCRIBE).
// h runs like an EventHandler: own goroutine, in order, dropping when slow.
// Each notification is acknowledged with STATUS 0 unless it asks for no
// reply.
func (c *Client) Subscribe(ctx context.Context, path string, h NotifyHandler) (*Subscription, error) {
	if h == nil {
		return nil, fmt.Errorf("ubus: subscribe %s: nil handler", path)
	}
	s := &Subscription{c: c, path: path}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	cn, err := c.conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("ubus: subscribe %s: %w", path, err)
	}
	s.q = c.newQueue(h)
	if err := s.register(ctx, cn); err != nil {
		s.q.close()
		s.mu.Lock()
		id := s.id
		s.mu.Unlock()
		if id != 0 {
			cn.removeObject(ctx, "subscribe "+path, id)
		}
		return nil, err
	}
	c.mu.Lock()
	c.subs[s] = struct{}{}
	c.mu.Unlock()
	return s, nil
}

// register makes sure the subscriber object exists on cn, then looks the
// target up and subscribes.
func (s *Subscription) register(ctx context.Context, cn *conn) error {
	op := "subscribe " + s.path
	s.mu.Lock()
	have := s.cn == cn && s.id != 0
	s.mu.Unlock()
	if !have {
		id, _, err := cn.addObject(ctx, op, &Message{Type: MsgAddObject}, s)
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.cn, s.id, s.subscribed = cn, id, false
		s.mu.Unlock()
	}
	var target uint32
	err := cn.roundTrip(ctx, "lookup "+s.path, lookupMessage(s.path), func(_ *conn, d *Message) {
		if p, _ := d.Text(AttrObjPath); p == s.path {
			target, _ = d.Uint32(AttrObjID)
		}
	})
	if err == nil && target == 0 {
		err = &StatusError{Op: "lookup " + s.path, Status: StatusNotFound}
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	id := s.id
	s.mu.Unlock()
	m := &Message{Type: MsgSubscribe}
	m.PutUint32(AttrObjID, id)
	m.PutUint32(AttrTarget, target)
	// The state is set in the read loop as the STATUS arrives: ubusd may send UNSUBSCRIBE (the
	// target left) right behind it, and that must win (qemu's slow scheduling showed the race).
	return cn.roundTripThen(ctx, op, m, nil, func() {
		s.mu.Lock()
		s.target, s.subscribed = target, true
		s.mu.Unlock()
	})
}

func lookupMessage(path string) *Message {
	m := &Message{Type: MsgLookup}
	if path != "" {
		m.PutString(AttrObjPath, path)
	}
	return m
}

func (s *Subscription) invoke(cn *conn, m *Message) {
	id, _ := m.Uint32(AttrObjID)
	if _, noReply := m.Int8(AttrNoReply); !noReply {
		cn.replyStatus(m, id, StatusOK)
	}
	name, _ := m.Text(AttrMethod)
	data, err := m.Table(AttrData)
	if err != nil {
		s.q.dropped.Add(1)
		return
	}
	s.q.push(delivery{name, data})
}

// lost is called when ubusd says the target went away.
func (s *Subscription) lost(cn *conn) {
	s.mu.Lock()
	if s.cn == cn {
		s.subscribed = false
	}
	s.mu.Unlock()
}

// Subscribed reports whether the subscription is currently in place.
func (s *Subscription) Subscribed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.subscribed && s.cn != nil && s.cn.closed() == nil
}

// Dropped returns how many notifications were dropped.
func (s *Subscription) Dropped() uint64 { return s.q.dropped.Load() }

// Close unsubscribes and removes the subscriber object.
func (s *Subscription) Close(ctx context.Context) error {
	c := s.c
	c.mu.Lock()
	_, ok := c.subs[s]
	delete(c.subs, s)
	c.mu.Unlock()
	s.q.close()
	if !ok {
		return nil
	}
	s.mu.Lock()
	cn, id, target, subscribed := s.cn, s.id, s.target, s.subscribed
	s.cn, s.id, s.subscribed = nil, 0, false
	s.mu.Unlock()
	if cn == nil || cn.closed() != nil {
		return nil
	}
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	var err error
	if subscribed {
		m := &Message{Type: MsgUnsubscribe}
		m.PutUint32(AttrObjID, id)
		m.PutUint32(AttrTarget, target)
		err = cn.roundTrip(ctx, "unsubscribe "+s.path, m, nil)
	}
	return errors.Join(err, cn.removeObject(ctx, "unsubscribe "+s.path, id))
}

// pendingRegistrations reports whether anything wanted is not registered
// on cn.
func (c *Client) pendingRegistrations(cn *conn) bool {
	if cn.closed() != nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for o := range c.objects {
		o.mu.Lock()
		miss := o.cn != cn
		o.mu.Unlock()
		if miss {
			return true
		}
	}
	for l := range c.listeners {
		l.mu.Lock()
		miss := l.cn != cn
		l.mu.Unlock()
		if miss {
			return true
		}
	}
	for s := range c.subs {
		s.mu.Lock()
		miss := s.cn != cn || !s.subscribed
		s.mu.Unlock()
		if miss {
			return true
		}
	}
	return false
}

// reconcile registers on cn every object, listener and subscription that
// is wanted but not registered there: objects first, so that calls work
// again as soon as possible. It returns the first failure.
func (c *Client) reconcile(cn *conn) error {
	ctx, cancel := context.WithTimeout(c.ctx, c.opts.timeout)
	defer cancel()
	c.mu.Lock()
	var objs []*Object
	var ls []*Listener
	var ss []*Subscription
	for o := range c.objects {
		objs = append(objs, o)
	}
	for l := range c.listeners {
		ls = append(ls, l)
	}
	for s := range c.subs {
		ss = append(ss, s)
	}
	c.mu.Unlock()
	var first error
	note := func(err error) {
		if first == nil && err != nil {
			first = err
		}
	}
	for _, o := range objs {
		o.mu.Lock()
		ok := o.cn == cn
		o.mu.Unlock()
		if ok {
			continue
		}
		err := c.registerObject(ctx, cn, o)
		note(err)
		c.mu.Lock()
		_, wanted := c.objects[o]
		c.mu.Unlock()
		if err == nil && !wanted { // removed meanwhile
			cn.removeObject(ctx, "remove object "+o.Name, o.ID())
		}
	}
	for _, l := range ls {
		l.mu.Lock()
		ok := l.cn == cn
		l.mu.Unlock()
		if !ok {
			note(l.register(ctx, cn))
		}
	}
	for _, s := range ss {
		s.mu.Lock()
		ok := s.cn == cn && s.subscribed
		s.mu.Unlock()
		if !ok {
			note(s.register(ctx, cn))
		}
	}
	return first
}

// WaitFor waits until objects with all the given paths exist (what
// `ubus wait_for` does: listen for ubus.object.add, then list the bus).
func (c *Client) WaitFor(ctx context.Context, paths ...string) error {
	ctx, cancel := c.withDeadline(ctx)
	defer cancel()
	var mu sync.Mutex
	missing := map[string]bool{}
	for _, p := range paths {
		missing[p] = true
	}
	ready := make(chan struct{})
	var once sync.Once
	mark := func(p string) {
		mu.Lock()
		delete(missing, p)
		n := len(missing)
		mu.Unlock()
		if n == 0 {
			once.Do(func() { close(ready) })
		}
	}
	l, err := c.Listen(ctx, "ubus.object.add", func(_ string, data Table) {
		if p, ok := data.String("path"); ok {
			mark(p)
		}
	})
	if err != nil {
		return fmt.Errorf("ubus: wait for %s: %w", strings.Join(paths, " "), err)
	}
	defer func() {
		// Unregister in the background: the answer may take as long as
		// ubusd does, and the caller is done waiting.
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			cctx, cancel := context.WithTimeout(c.ctx, c.opts.timeout)
			defer cancel()
			l.Close(cctx)
		}()
	}()
	objs, err := c.Lookup(ctx, "")
	if err != nil && !errors.Is(err, StatusNotFound) {
		return fmt.Errorf("ubus: wait for %s: %w", strings.Join(paths, " "), err)
	}
	for _, o := range objs {
		mark(o.Path)
	}
	if len(paths) == 0 {
		return nil
	}
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("ubus: wait for %s: %w (%w)", strings.Join(paths, " "), StatusTimeout, ctx.Err())
	}
}
