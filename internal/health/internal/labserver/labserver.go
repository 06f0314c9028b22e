// Package labserver runs the small targets that health checks are
// tested and benchmarked against: a UDP DNS responder, a TCP listener
// and an HTTP server. They listen on whatever address they are given
// (loopback, or an address inside a test's own network namespace) and
// are for tests and the benchmark only, never for the daemon.
package labserver

import (
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
)

// DNS is a UDP responder. StartDNS answers A queries from a fixed
// table; StartDNSFunc lets a test script every answer. Names are lower
// case without the trailing dot.
type DNS struct {
	conn    net.PacketConn
	answer  func(n int, q query) [][]byte
	wg      sync.WaitGroup
	mu      sync.Mutex
	queries int
}

// query is one parsed question.
type query struct {
	raw      []byte // the whole datagram
	id       uint16
	name     string
	qtype    uint16
	question []byte // the question section, as sent
}

// StartDNS listens on addr ("127.0.0.1:0") and serves until Close:
// NOERROR with one A record for a known name, NXDOMAIN otherwise.
func StartDNS(addr string, records map[string]netip.Addr) (*DNS, error) {
	return start(addr, func(_ int, q query) [][]byte { return [][]byte{tableReply(q, records)} })
}

// StartDNSFunc listens on addr and serves until Close: for the n-th
// query (from 1) it sends the datagrams answer returns, none to stay
// silent. answer gets the query's id and name.
func StartDNSFunc(addr string, answer func(n int, id uint16, name string) [][]byte) (*DNS, error) {
	return start(addr, func(n int, q query) [][]byte { return answer(n, q.id, q.name) })
}

func start(addr string, answer func(n int, q query) [][]byte) (*DNS, error) {
	c, err := net.ListenPacket("udp4", addr)
	if err != nil {
		return nil, err
	}
	d := &DNS{conn: c, answer: answer}
	d.wg.Add(1)
	go d.serve()
	return d, nil
}

// Addr is the listening address.
func (d *DNS) Addr() netip.AddrPort { return d.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// Queries is how many queries came (garbage is not counted).
func (d *DNS) Queries() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.queries
}

// Close stops the responder and waits for it.
func (d *DNS) Close() error {
	err := d.conn.Close()
	d.wg.Wait()
	return err
}

func (d *DNS) serve() {
	defer d.wg.Done()
	buf := make([]byte, 512)
	for {
		n, from, err := d.conn.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		q, ok := parseQuery(buf[:n])
		if !ok {
			continue
		}
		d.mu.Lock()
		d.queries++
		k := d.queries
		d.mu.Unlock()
		for _, r := range d.answer(k, q) {
			d.conn.WriteTo(r, from)
		}
	}
}

// parseQuery reads the one question of a query; ok is false for garbage.
func parseQuery(q []byte) (query, bool) {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:]) != 1 {
		return query{}, false
	}
	off := 12
	var labels []string
	for {
		if off >= len(q) {
			return query{}, false
		}
		l := int(q[off])
		if l == 0 {
			off++
			break
		}
		if l > 63 || off+1+l > len(q) {
			return query{}, false
		}
		labels = append(labels, strings.ToLower(string(q[off+1:off+1+l])))
		off += 1 + l
	}
	if off+4 > len(q) {
		return query{}, false
	}
	return query{raw: q, id: binary.BigEndian.Uint16(q), name: strings.Join(labels, "."),
		qtype: binary.BigEndian.Uint16(q[off:]), question: q[12 : off+4]}, true
}

// tableReply answers q from records.
func tableReply(q query, records map[string]netip.Addr) []byte {
	addr, known := records[q.name]
	r := make([]byte, 12, 12+len(q.question)+16)
	copy(r, q.raw[:2])
	flags := uint16(1<<15 | 1<<7) // QR, RA
	flags |= binary.BigEndian.Uint16(q.raw[2:]) & (1 << 8)
	if !known {
		flags |= 3 // NXDOMAIN
	}
	binary.BigEndian.PutUint16(r[2:], flags)
	binary.BigEndian.PutUint16(r[4:], 1)
	r = append(r, q.question...)
	if known && q.qtype == 1 {
		binary.BigEndian.PutUint16(r[6:], 1)
		r = append(r, 0xc0, 12) // pointer to the question name
		r = binary.BigEndian.AppendUint16(r, 1)
		r = binary.BigEndian.AppendUint16(r, 1)
		r = binary.BigEndian.AppendUint32(r, 60)
		r = binary.BigEndian.AppendUint16(r, 4)
		a := addr.As4()
		r = append(r, a[:]...)
	}
	return r
}

// TCP accepts connections and closes them at once.
type TCP struct {
	ln net.Listener
	wg sync.WaitGroup
}

// StartTCP listens on addr and serves until Close.
func StartTCP(addr string) (*TCP, error) {
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		return nil, err
	}
	t := &TCP{ln: ln}
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			c.Close()
		}
	}()
	return t, nil
}

// Addr is the listening address.
func (t *TCP) Addr() netip.AddrPort { return t.ln.Addr().(*net.TCPAddr).AddrPort() }

// Close stops the listener and waits for it.
func (t *TCP) Close() error {
	err := t.ln.Close()
	t.wg.Wait()
	return err
}

// HTTP serves GET requests: /status/NNN answers with status NNN,
// anything else with 204 No Content.
type HTTP struct {
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
}

// StartHTTP listens on addr and serves until Close.
func StartHTTP(addr string) (*HTTP, error) {
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		code := http.StatusNoContent
		if rest, ok := strings.CutPrefix(r.URL.Path, "/status/"); ok && len(rest) == 3 {
			n := 0
			for _, c := range rest {
				n = n*10 + int(c-'0')
			}
			if n >= 100 && n <= 599 {
				code = n
			}
		}
		w.WriteHeader(code)
	})
	h := &HTTP{srv: &http.Server{Handler: mux}, ln: ln, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		h.srv.Serve(ln)
	}()
	return h, nil
}

// Addr is the listening address.
func (h *HTTP) Addr() netip.AddrPort { return h.ln.Addr().(*net.TCPAddr).AddrPort() }

// Close stops the server and waits for it.
func (h *HTTP) Close() error {
	err := h.srv.Close()
	<-h.done
	return err
}
