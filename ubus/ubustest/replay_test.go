package ubustest

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/floatgw/floatgw/ubus"
	"github.com/floatgw/floatgw/ubus/internal/vectors"
)

// idMap maps the random ids of a recording to the broker's, learning each
// pair at first sight and insisting on consistency afterwards.
type idMap struct {
	known map[uint32]bool // ids that occur in the recording
	fwd   map[uint32]uint32
	back  map[uint32]uint32
}

func newIDMap(f *vectors.File) *idMap {
	m := &idMap{known: map[uint32]bool{}, fwd: map[uint32]uint32{}, back: map[uint32]uint32{}}
	for _, rec := range f.Msgs {
		msg, err := ubus.ParseMessage(rec.Bytes)
		if err != nil {
			continue
		}
		if msg.Peer >= 1024 {
			m.known[msg.Peer] = true
		}
		if msg.Type == ubus.MsgMonitor {
			for _, id := range []ubus.AttrID{ubus.MonitorClient, ubus.MonitorPeer} {
				if v, ok := msg.Uint32(id); ok && v >= 1024 {
					m.known[v] = true
				}
			}
			continue
		}
		for _, id := range []ubus.AttrID{ubus.AttrObjID, ubus.AttrObjType, ubus.AttrTarget} {
			if v, ok := msg.Uint32(id); ok && v >= 1024 {
				m.known[v] = true
			}
		}
		subs, _ := msg.Subscribers()
		for _, v := range subs {
			m.known[v] = true
		}
	}
	return m
}

// translate rewrites the recorded ids in a client message to the broker's.
func (m *idMap) translate(b []byte) []byte {
	out := append([]byte(nil), b...)
	for off := 4; off+4 <= len(out); off += 4 {
		w := binary.BigEndian.Uint32(out[off:])
		if a, ok := m.fwd[w]; ok && m.known[w] {
			binary.BigEndian.PutUint32(out[off:], a)
		}
	}
	return out
}

// match compares a recorded frame with what the broker sent, word by word;
// words may differ only where the recording has an id, consistently.
func (m *idMap) match(rec, got []byte) error {
	if len(rec) != len(got) {
		return fmt.Errorf("length %d, recorded %d", len(got), len(rec))
	}
	for off := 0; off < len(rec); off += 4 {
		end := off + 4
		if end > len(rec) {
			end = len(rec)
		}
		r, g := rec[off:end], got[off:end]
		if string(r) == string(g) {
			continue
		}
		if end-off != 4 {
			return fmt.Errorf("bytes differ at %d", off)
		}
		rw, gw := binary.BigEndian.Uint32(r), binary.BigEndian.Uint32(g)
		if !m.known[rw] {
			return fmt.Errorf("word at offset %d is %08x, recorded %08x", off, gw, rw)
		}
		if a, ok := m.fwd[rw]; ok {
			if a != gw {
				return fmt.Errorf("id %08x maps to %08x, now %08x (offset %d)", rw, a, gw, off)
			}
			continue
		}
		if r2, ok := m.back[gw]; ok {
			return fmt.Errorf("broker id %08x already stands for %08x, now %08x", gw, r2, rw)
		}
		m.fwd[rw], m.back[gw] = gw, rw
	}
	return nil
}

// closeAfterLast lists connections that end (the process exits) right after
// their last recorded message, because ubusd's reaction is recorded.
var closeAfterLast = map[string][]int{
	"g_subscribe_notify": {1},
}

// TestReplayBroker plays the client side of every transcript against the
// broker and checks that the broker answers byte for byte like ubusd did,
// modulo the random client, object and type ids.
func TestReplayBroker(t *testing.T) {
	for _, name := range vectors.Names(t) {
		t.Run(name, func(t *testing.T) {
			if name == "i_monitor" && (os.Getuid() != 0 || os.Getgid() != 0) {
				t.Skip("!!! SKIPPING: ubusd lets only uid 0 / gid 0 monitor; run as root")
			}
			f := vectors.Load(t, name)
			b := NewTest(t)
			ids := newIDMap(f)
			conns := map[int]net.Conn{}
			readers := map[int]*bufio.Reader{}
			last := map[int]int{}
			for _, rec := range f.Msgs {
				last[rec.Conn] = rec.Index
			}
			clientIDs := map[uint32]int{}
			for _, rec := range f.Msgs {
				clientIDs[rec.ClientID] = rec.Conn
			}
			open := func(n int) {
				if conns[n] != nil {
					return
				}
				nc, err := net.Dial("unix", b.Path())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { nc.Close() })
				conns[n], readers[n] = nc, bufio.NewReader(nc)
			}
			for _, rec := range f.Msgs {
				// A message that names a client not yet connected (a
				// monitor's copy of its HELLO) needs that client first.
				for off := 4; off+4 <= len(rec.Bytes); off += 4 {
					if n, ok := clientIDs[binary.BigEndian.Uint32(rec.Bytes[off:])]; ok && n > rec.Conn {
						for k := 1; k <= n; k++ {
							open(k)
						}
					}
				}
				open(rec.Conn)
				nc := conns[rec.Conn]
				if rec.FromClient {
					if _, err := nc.Write(ids.translate(rec.Bytes)); err != nil {
						t.Fatalf("msg %d: write: %v", rec.Index, err)
					}
				} else {
					nc.SetReadDeadline(time.Now().Add(3 * time.Second))
					m, err := ubus.ReadMessage(readers[rec.Conn])
					if err != nil {
						t.Fatalf("msg %d: want %s on conn %d: %v", rec.Index, rec.Type, rec.Conn, err)
					}
					got, _ := m.MarshalBinary()
					if err := ids.match(rec.Bytes, got); err != nil {
						want, _ := ubus.ParseMessage(rec.Bytes)
						t.Fatalf("msg %d on conn %d: %v\n got %v\n     %x\nwant %v\n     %x", rec.Index, rec.Conn, err, m, got, want, rec.Bytes)
					}
				}
				for _, n := range closeAfterLast[name] {
					if n == rec.Conn && last[n] == rec.Index {
						nc.Close()
					}
				}
			}
			// Nothing beyond the recording.
			for n, nc := range conns {
				nc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				if m, err := ubus.ReadMessage(readers[n]); err == nil {
					t.Errorf("conn %d: unexpected extra %v", n, m)
				} else if ne := (net.Error)(nil); !errors.As(err, &ne) || !ne.Timeout() {
					if !isClosed(closeAfterLast[name], n) {
						t.Errorf("conn %d: %v", n, err)
					}
				}
			}
		})
	}
}

func isClosed(list []int, n int) bool {
	for _, x := range list {
		if x == n {
			return true
		}
	}
	return false
}
