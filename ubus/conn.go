package ubus

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// target is something that receives INVOKEs addressed to an object id:
// an *Object (method call), a *Listener (event) or a *Subscription
// (notification).
type target interface {
	invoke(cn *conn, m *Message)
}

// request is an outstanding request, matched by (seq, peer) like libubus.
type request struct {
	seq    uint16
	peer   uint32
	onData func(*conn, *Message)
	// onOK runs in the read loop when the request's STATUS is OK, before any later message
	// is dispatched (a SUBSCRIBE's state must be set before a following UNSUBSCRIBE).
	onOK   func()
	done   chan struct{}
	status Status
	err    error
	bytes  int // DATA received, capped by maxReplyBytes
}

// maxReplyBytes bounds what one request may accumulate in DATA answers, so a
// misbehaving peer cannot grow memory without limit within a deadline.
const maxReplyBytes = 64 << 20

// conn is one connection to ubusd. Everything learnt on it (client id,
// object ids, pending requests) dies with it.
type conn struct {
	c  *Client
	nc net.Conn
	br *bufio.Reader
	id uint32

	ctx    context.Context // cancelled when the connection ends
	cancel context.CancelFunc

	wmu sync.Mutex

	mu      sync.Mutex
	seq     uint16
	pending map[uint16]*request
	targets map[uint32]target
	err     error
	done    chan struct{}
}

func newConn(c *Client, nc net.Conn, id uint32) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	return &conn{
		c: c, nc: nc, br: bufio.NewReaderSize(nc, 64<<10), id: id,
		ctx: ctx, cancel: cancel,
		pending: map[uint16]*request{},
		targets: map[uint32]target{},
		done:    make(chan struct{}),
	}
}

// close ends the connection once, failing every outstanding request.
func (cn *conn) close(cause error) {
	cn.mu.Lock()
	if cn.err != nil {
		cn.mu.Unlock()
		return
	}
	cn.err = cause
	pending := cn.pending
	cn.pending = map[uint16]*request{}
	cn.mu.Unlock()
	cn.cancel()
	cn.nc.Close()
	for _, r := range pending {
		r.err = cause
		close(r.done)
	}
	close(cn.done)
}

func (cn *conn) closed() error {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	return cn.err
}

// send writes one frame atomically.
func (cn *conn) send(m *Message) error {
	b, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	cn.wmu.Lock()
	defer cn.wmu.Unlock()
	_ = cn.nc.SetWriteDeadline(time.Now().Add(cn.c.opts.timeout))
	if _, err := cn.nc.Write(b); err != nil {
		cn.close(fmt.Errorf("%w: %v", ErrDisconnected, &OpError{Op: "write " + m.Type.String(), Err: err}))
		// The connection's reason, not the write's: the read loop may have closed it first (a
		// broken frame from ubusd), and the write then only sees "use of closed connection".
		return cn.closed()
	}
	return nil
}

// roundTrip allocates a seq, sends m and waits for the STATUS.
func (cn *conn) roundTrip(ctx context.Context, op string, m *Message, onData func(*conn, *Message)) error {
	return cn.roundTripThen(ctx, op, m, onData, nil)
}

// roundTripThen is roundTrip with onOK run in the read loop when the STATUS is OK.
func (cn *conn) roundTripThen(ctx context.Context, op string, m *Message, onData func(*conn, *Message), onOK func()) error {
	r := &request{peer: m.Peer, onData: onData, onOK: onOK, done: make(chan struct{})}
	cn.mu.Lock()
	if cn.err != nil {
		err := cn.err
		cn.mu.Unlock()
		return fmt.Errorf("ubus: %s: %w", op, err)
	}
	for i := 0; ; i++ {
		cn.seq++
		if _, busy := cn.pending[cn.seq]; !busy {
			break
		}
		if i > 1<<16 {
			cn.mu.Unlock()
			return fmt.Errorf("ubus: %s: too many outstanding requests", op)
		}
	}
	r.seq = cn.seq
	cn.pending[r.seq] = r
	cn.mu.Unlock()

	m.Seq = r.seq
	if err := cn.send(m); err != nil {
		cn.forget(r)
		return fmt.Errorf("ubus: %s: %w", op, err)
	}
	select {
	case <-r.done:
	case <-ctx.Done():
		if cn.forget(r) {
			return fmt.Errorf("ubus: %s: %w (%w)", op, StatusTimeout, ctx.Err())
		}
		<-r.done // completed concurrently
	}
	if r.err != nil {
		if errors.Is(r.err, ErrClosed) {
			return fmt.Errorf("ubus: %s: %w", op, ErrClosed)
		}
		return fmt.Errorf("ubus: %s: %w", op, r.err)
	}
	if r.status != StatusOK {
		return &StatusError{Op: op, Status: r.status}
	}
	return nil
}

// forget removes r if it is still pending and reports whether it was.
func (cn *conn) forget(r *request) bool {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if cn.pending[r.seq] == r {
		delete(cn.pending, r.seq)
		return true
	}
	return false
}

func (cn *conn) setTarget(id uint32, t target) {
	cn.mu.Lock()
	cn.targets[id] = t
	cn.mu.Unlock()
}

func (cn *conn) dropTarget(id uint32) {
	cn.mu.Lock()
	delete(cn.targets, id)
	cn.mu.Unlock()
}

// readLoop is the one reader: it routes answers to requests and INVOKE,
// NOTIFY and UNSUBSCRIBE to their targets. Frames with an invalid body are
// skipped (ubusd would drop them too); a broken stream ends the connection.
func (cn *conn) readLoop() {
	for {
		m, err := ReadMessage(cn.br)
		if err != nil {
			if errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadFrame) {
				continue
			}
			if cn.closed() == nil {
				cn.close(fmt.Errorf("%w: %v", ErrDisconnected, err))
			}
			return
		}
		cn.dispatch(m)
	}
}

func (cn *conn) dispatch(m *Message) {
	switch m.Type {
	case MsgData, MsgStatus:
		cn.mu.Lock()
		r := cn.pending[m.Seq]
		if r == nil || r.peer != m.Peer {
			cn.mu.Unlock()
			return // late answer, or a subscriber's answer to our NOTIFY
		}
		if m.Type == MsgData {
			for _, a := range m.Attrs {
				r.bytes += len(a.Data) + 4
			}
			if r.bytes > maxReplyBytes {
				delete(cn.pending, m.Seq)
				cn.mu.Unlock()
				r.err = fmt.Errorf("answers exceed %d bytes", maxReplyBytes)
				close(r.done)
				return
			}
		}
		if m.Type == MsgStatus {
			delete(cn.pending, m.Seq)
		}
		cn.mu.Unlock()
		if m.Type == MsgData {
			if r.onData != nil {
				r.onData(cn, m)
			}
			return
		}
		st, ok := m.Status()
		if !ok {
			st = StatusInvalidArgument
		}
		r.status = st
		if st == StatusOK && r.onOK != nil {
			r.onOK()
		}
		close(r.done)
	case MsgInvoke:
		id, ok := m.Uint32(AttrObjID)
		cn.mu.Lock()
		t := cn.targets[id]
		cn.mu.Unlock()
		if !ok || t == nil {
			if _, noReply := m.Int8(AttrNoReply); !noReply {
				cn.replyStatus(m, id, StatusNotFound)
			}
			return
		}
		t.invoke(cn, m)
	case MsgNotify:
		id, _ := m.Uint32(AttrObjID)
		active, ok := m.Int8(AttrActive)
		cn.mu.Lock()
		t := cn.targets[id]
		cn.mu.Unlock()
		if o, isObj := t.(*Object); isObj && ok {
			o.setActive(cn, active != 0)
		}
	case MsgUnsubscribe:
		id, _ := m.Uint32(AttrObjID)
		cn.mu.Lock()
		t := cn.targets[id]
		cn.mu.Unlock()
		if s, ok := t.(*Subscription); ok {
			s.lost(cn)
		}
	}
}

// replyStatus answers an INVOKE with STATUS {STATUS, OBJID}, header copied.
func (cn *conn) replyStatus(inv *Message, objID uint32, st Status) error {
	m := &Message{Type: MsgStatus, Seq: inv.Seq, Peer: inv.Peer}
	m.PutUint32(AttrStatus, uint32(st))
	m.PutUint32(AttrObjID, objID)
	return cn.send(m)
}

// replyData answers an INVOKE with DATA {OBJID, DATA}, header copied.
func (cn *conn) replyData(inv *Message, objID uint32, t Table) error {
	m := &Message{Type: MsgData, Seq: inv.Seq, Peer: inv.Peer}
	m.PutUint32(AttrObjID, objID)
	if err := m.PutTable(AttrData, t); err != nil {
		return err
	}
	return cn.send(m)
}

// addObject sends ADD_OBJECT and binds the new id to t on the reader
// goroutine, before any INVOKE for it can be dispatched.
func (cn *conn) addObject(ctx context.Context, op string, m *Message, t target) (id, typeID uint32, err error) {
	ctx, cancel := cn.c.withDeadline(ctx)
	defer cancel()
	err = cn.roundTrip(ctx, op, m, func(cn *conn, d *Message) {
		if v, ok := d.Uint32(AttrObjID); ok {
			id = v
			typeID, _ = d.Uint32(AttrObjType)
			cn.setTarget(id, t)
			if b, ok := t.(interface{ bind(*conn, uint32, uint32) }); ok {
				b.bind(cn, id, typeID)
			}
		}
	})
	if err == nil && id == 0 {
		err = fmt.Errorf("ubus: %s: ubusd returned no object id", op)
	}
	if err != nil && id != 0 {
		cn.dropTarget(id)
	}
	return id, typeID, err
}

func (cn *conn) removeObject(ctx context.Context, op string, id uint32) error {
	m := &Message{Type: MsgRemoveObject}
	m.PutUint32(AttrObjID, id)
	ctx, cancel := cn.c.withDeadline(ctx)
	defer cancel()
	err := cn.roundTrip(ctx, op, m, nil)
	cn.dropTarget(id)
	return err
}
