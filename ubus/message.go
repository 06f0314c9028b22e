package ubus

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// headerLen is the ubus header (8 bytes) plus the body's blob header (4).
const headerLen = 12

// Message is one ubus message: the 8-byte header (version is always 0) and
// the body's attributes in wire order. Attribute payloads are owned by the
// Message: decoding copies them out of the input buffer.
//
// Attribute order matters for byte-exact encoding (ubusd answers a NOTIFY
// with OBJID, SUBSCRIBERS, STATUS; object owners answer with STATUS, OBJID),
// so a Message keeps a list rather than a map. Getters return the last
// attribute with a given id, as ubusd and libubus do for duplicates.
type Message struct {
	Type  MsgType
	Seq   uint16
	Peer  uint32
	Attrs []MsgAttr
}

// MsgAttr is one top-level attribute of a message body. Data is the payload
// without the blob header and padding.
type MsgAttr struct {
	ID   AttrID
	Data []byte
}

// String summarises the header, for debugging.
func (m *Message) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s seq=%d peer=%08x", m.Type, m.Seq, m.Peer)
	for _, a := range m.Attrs {
		name := a.ID.String()
		if m.Type == MsgMonitor {
			name = MonitorAttrName(a.ID)
		}
		fmt.Fprintf(&sb, " %s(%d)", name, len(a.Data))
	}
	return sb.String()
}

// MarshalBinary encodes the whole frame.
func (m *Message) MarshalBinary() ([]byte, error) { return m.AppendBinary(nil) }

// AppendBinary appends the frame to b. It fails if the padded body would
// exceed MaxMessageLen, which libubus refuses to send and ubusd disconnects for.
func (m *Message) AppendBinary(b []byte) ([]byte, error) {
	start := len(b)
	b = append(b, 0, uint8(m.Type))
	b = binary.BigEndian.AppendUint16(b, m.Seq)
	b = binary.BigEndian.AppendUint32(b, m.Peer)
	b, body := appendHeaderPlaceholder(b)
	var err error
	for _, a := range m.Attrs {
		if a.ID > 0x7f {
			return b[:start], fmt.Errorf("ubus: attribute id %d out of range", a.ID)
		}
		if b, err = appendBlob(b, uint8(a.ID), a.Data); err != nil {
			return b[:start], err
		}
		if len(b)-body > MaxMessageLen {
			return b[:start], fmt.Errorf("ubus: %s message exceeds %d bytes", m.Type, MaxMessageLen)
		}
	}
	binary.BigEndian.PutUint32(b[body:], uint32(len(b)-body))
	return b, nil
}

// UnmarshalBinary decodes a whole frame. b must hold exactly one message.
// Every known attribute is checked against ubusd's policy (INT32 exactly 4
// bytes, INT8 exactly 1, strings NUL-terminated); unknown ids are kept as
// opaque bytes. The Message never aliases b.
func (m *Message) UnmarshalBinary(b []byte) error {
	n, err := checkHeader(b)
	if err != nil {
		return err
	}
	if n != len(b)-8 {
		return malformed("frame of %d bytes announces a body of %d bytes", len(b), n)
	}
	var attrs []MsgAttr
	body := b[headerLen:]
	t := MsgType(b[1])
	for off := 0; off < len(body); {
		a, next, err := nextAttr(body, off)
		if err != nil {
			return err
		}
		if a.extended {
			return malformed("message attribute %d at offset %d has the blobmsg bit set", a.id, off)
		}
		id := AttrID(a.id)
		if err := checkKind(kindOf(t, id), a.payload); err != nil {
			return fmt.Errorf("%w (%s attribute %d)", err, t, id)
		}
		attrs = append(attrs, MsgAttr{ID: id, Data: append([]byte(nil), a.payload...)})
		off = next
	}
	*m = Message{
		Type:  t,
		Seq:   binary.BigEndian.Uint16(b[2:]),
		Peer:  binary.BigEndian.Uint32(b[4:]),
		Attrs: attrs,
	}
	return nil
}

func checkKind(k attrKind, p []byte) error {
	switch k {
	case kindInt32:
		if len(p) != 4 {
			return malformed("int32 attribute has %d bytes", len(p))
		}
	case kindInt8:
		if len(p) != 1 {
			return malformed("int8 attribute has %d bytes", len(p))
		}
	case kindString:
		if len(p) == 0 || p[len(p)-1] != 0 {
			return malformed("string attribute not NUL-terminated")
		}
	}
	return nil
}

// checkHeader validates the first 12 bytes of a frame and returns the body
// length announced by the blob header (its own 4 bytes included). The size
// cap is applied here, before anybody allocates.
func checkHeader(b []byte) (int, error) {
	if len(b) < headerLen {
		return 0, &frameError{fmt.Sprintf("frame of %d bytes is shorter than the %d-byte header", len(b), headerLen)}
	}
	if b[0] != 0 {
		return 0, &frameError{fmt.Sprintf("unsupported message version %d", b[0])}
	}
	hdr := binary.BigEndian.Uint32(b[8:])
	if hdr&^blobLenMask != 0 {
		return 0, &frameError{fmt.Sprintf("body header %08x is not a plain id-0 attribute", hdr)}
	}
	n := int(hdr & blobLenMask)
	if n < 4 {
		return 0, &frameError{fmt.Sprintf("body length %d is shorter than its header", n)}
	}
	if pad4(n) > MaxMessageLen {
		return 0, &frameError{fmt.Sprintf("body of %d bytes exceeds the %d-byte limit", n, MaxMessageLen)}
	}
	return n, nil
}

// ParseMessage decodes one whole frame (see Message.UnmarshalBinary).
func ParseMessage(b []byte) (*Message, error) {
	m := new(Message)
	if err := m.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return m, nil
}

// ReadMessage reads one frame from r. The header is checked (version 0,
// length within MaxMessageLen) before the body buffer is allocated. An error
// matching ErrBadFrame means the stream is unusable; any other error matching
// ErrMalformed means this frame's body was invalid and was consumed, so the
// next call reads the next frame. io.EOF is returned only at a frame boundary.
func ReadMessage(r io.Reader) (*Message, error) {
	var hdr [headerLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n, err := checkHeader(hdr[:])
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 8+n)
	copy(buf, hdr[:])
	if _, err := io.ReadFull(r, buf[headerLen:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return ParseMessage(buf)
}

// Attr returns the payload of the last attribute with this id. The slice
// belongs to the message; do not modify it.
func (m *Message) Attr(id AttrID) ([]byte, bool) {
	for i := len(m.Attrs) - 1; i >= 0; i-- {
		if m.Attrs[i].ID == id {
			return m.Attrs[i].Data, true
		}
	}
	return nil, false
}

// Uint32 returns a 4-byte attribute (OBJID, OBJTYPE, TARGET, STATUS, …).
func (m *Message) Uint32(id AttrID) (uint32, bool) {
	p, ok := m.Attr(id)
	if !ok || len(p) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(p), true
}

// Int8 returns a 1-byte attribute (ACTIVE, NO_REPLY).
func (m *Message) Int8(id AttrID) (int8, bool) {
	p, ok := m.Attr(id)
	if !ok || len(p) != 1 {
		return 0, false
	}
	return int8(p[0]), true
}

// Text returns a string attribute (OBJPATH, METHOD, USER, GROUP) without
// its NUL.
func (m *Message) Text(id AttrID) (string, bool) {
	p, ok := m.Attr(id)
	if !ok || len(p) == 0 || p[len(p)-1] != 0 {
		return "", false
	}
	return string(p[:len(p)-1]), true
}

// Status returns UBUS_ATTR_STATUS.
func (m *Message) Status() (Status, bool) {
	v, ok := m.Uint32(AttrStatus)
	return Status(int32(v)), ok
}

// Table decodes a nested blobmsg attribute (DATA) as table contents. A
// missing attribute is an error matching ErrMalformed.
func (m *Message) Table(id AttrID) (Table, error) {
	p, ok := m.Attr(id)
	if !ok {
		return nil, malformed("%s message has no %s attribute", m.Type, id)
	}
	return UnmarshalTable(p)
}

// Subscribers decodes UBUS_ATTR_SUBSCRIBERS: a list of INT32 blob attrs.
func (m *Message) Subscribers() ([]uint32, error) {
	p, ok := m.Attr(AttrSubscribers)
	if !ok {
		return nil, nil
	}
	var ids []uint32
	for off := 0; off < len(p); {
		a, next, err := nextAttr(p, off)
		if err != nil {
			return nil, err
		}
		if len(a.payload) != 4 {
			return nil, malformed("subscriber id has %d bytes", len(a.payload))
		}
		ids = append(ids, binary.BigEndian.Uint32(a.payload))
		off = next
	}
	return ids, nil
}

// PutUint32 appends a 4-byte big-endian attribute.
func (m *Message) PutUint32(id AttrID, v uint32) {
	m.Attrs = append(m.Attrs, MsgAttr{ID: id, Data: binary.BigEndian.AppendUint32(nil, v)})
}

// PutInt8 appends a 1-byte attribute.
func (m *Message) PutInt8(id AttrID, v int8) {
	m.Attrs = append(m.Attrs, MsgAttr{ID: id, Data: []byte{uint8(v)}})
}

// PutString appends a NUL-terminated string attribute.
func (m *Message) PutString(id AttrID, s string) {
	p := make([]byte, len(s)+1)
	copy(p, s)
	m.Attrs = append(m.Attrs, MsgAttr{ID: id, Data: p})
}

// PutTable appends a nested attribute holding the encoding of t.
func (m *Message) PutTable(id AttrID, t Table) error {
	p, err := MarshalTable(t)
	if err != nil {
		return err
	}
	if p == nil {
		p = []byte{}
	}
	m.Attrs = append(m.Attrs, MsgAttr{ID: id, Data: p})
	return nil
}

// PutSubscribers appends UBUS_ATTR_SUBSCRIBERS as ubusd builds it.
func (m *Message) PutSubscribers(ids []uint32) {
	var p []byte
	for _, id := range ids {
		p, _ = appendBlob(p, 0, binary.BigEndian.AppendUint32(nil, id))
	}
	if p == nil {
		p = []byte{}
	}
	m.Attrs = append(m.Attrs, MsgAttr{ID: AttrSubscribers, Data: p})
}

// PutRaw appends an attribute with an arbitrary payload (copied).
func (m *Message) PutRaw(id AttrID, p []byte) {
	m.Attrs = append(m.Attrs, MsgAttr{ID: id, Data: append([]byte{}, p...)})
}
