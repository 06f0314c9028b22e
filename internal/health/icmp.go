package health

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// ICMP message types (RFC 792).
const (
	icmpEchoReply   = 0
	icmpEchoRequest = 8
	icmpHeaderLen   = 8
	pingPayloadLen  = 16
)

// echo is an ICMP echo request or reply (RFC 792, "Echo or Echo Reply
// Message").
type echo struct {
	Type    uint8
	Code    uint8
	ID      uint16
	Seq     uint16
	Payload []byte
}

// marshalEcho encodes e with its checksum filled in.
func marshalEcho(e echo) []byte {
	b := make([]byte, icmpHeaderLen+len(e.Payload))
	b[0], b[1] = e.Type, e.Code
	binary.BigEndian.PutUint16(b[4:], e.ID)
	binary.BigEndian.PutUint16(b[6:], e.Seq)
	copy(b[icmpHeaderLen:], e.Payload)
	binary.BigEndian.PutUint16(b[2:], inetChecksum(b))
	return b
}

// parseEcho decodes an ICMP echo message (no IP header). It copies the
// payload and does not verify the checksum: the kernel already did
// for datagram sockets, and a raw socket's replies are matched on a
// random payload anyway.
func parseEcho(b []byte) (echo, error) {
	if len(b) < icmpHeaderLen {
		return echo{}, fmt.Errorf("icmp message of %d bytes is shorter than its header", len(b))
	}
	e := echo{
		Type: b[0],
		Code: b[1],
		ID:   binary.BigEndian.Uint16(b[4:]),
		Seq:  binary.BigEndian.Uint16(b[6:]),
	}
	if e.Type != icmpEchoReply && e.Type != icmpEchoRequest {
		return echo{}, fmt.Errorf("icmp type %d is not an echo message", e.Type)
	}
	e.Payload = append([]byte(nil), b[icmpHeaderLen:]...)
	return e, nil
}

// inetChecksum is the Internet checksum of RFC 1071.
func inetChecksum(b []byte) uint16 {
	var sum uint32
	for len(b) >= 2 {
		sum += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

// PingSocket selects how a PingCheck opens its ICMP socket.
type PingSocket int

// Ping socket kinds.
const (
	// PingAuto tries an unprivileged ICMP datagram socket first (allowed
	// when the process's group is in net.ipv4.ping_group_range) and falls
	// back to a raw ICMP socket (needs root or CAP_NET_RAW).
	PingAuto PingSocket = iota
	// PingDatagram uses only the datagram ("ping") socket.
	PingDatagram
	// PingRaw uses only the raw ICMP socket.
	PingRaw
)

// PingCheck sends one ICMP echo request and waits for the matching
// reply. It opens a socket per run (no process is forked) and matches
// the reply by identifier, sequence number and a random payload.
type PingCheck struct {
	host    string
	timeout time.Duration
	socket  PingSocket
	id      uint16
	seq     atomic.Uint32
}

// NewPingCheck returns a check that pings host (an IPv4 literal or a
// host name) once per run with PingAuto.
func NewPingCheck(host string, timeout time.Duration) (*PingCheck, error) {
	return NewPingCheckSocket(host, timeout, PingAuto)
}

// NewPingCheckSocket is NewPingCheck with an explicit socket kind.
func NewPingCheckSocket(host string, timeout time.Duration, socket PingSocket) (*PingCheck, error) {
	if err := validHost(host); err != nil {
		return nil, fmt.Errorf("ping check target %q: %w", host, err)
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("ping check timeout %v: must be positive", timeout)
	}
	if socket < PingAuto || socket > PingRaw {
		return nil, fmt.Errorf("ping check socket kind %d: unknown", socket)
	}
	// The identifier only tells this check's replies from other pings'
	// (with a datagram ping socket Linux puts its port there instead). math/rand/v2, the
	// runtime's ChaCha8 generator seeded by the kernel, not crypto/rand:
	// nothing here is secret, and crypto/rand costs ~200 KB on mipsle.
	return &PingCheck{host: host, timeout: timeout, socket: socket, id: uint16(rand.Uint32())}, nil
}

// String implements Check.
func (c *PingCheck) String() string { return "ping " + c.host }

// Run implements Check.
func (c *PingCheck) Run(ctx context.Context) Result {
	start := time.Now()
	ctx, cancel := withTimeout(ctx, c.timeout)
	defer cancel()
	dst, err := resolve4(ctx, c.host)
	if err != nil {
		return failResult(start, "%v", err)
	}
	conn, raw, err := c.listen()
	if err != nil {
		return failResult(start, "%v", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	// Cancellation before the deadline (daemon shutdown) unblocks the
	// read through an immediate deadline.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	seq := uint16(c.seq.Add(1))
	payload := make([]byte, pingPayloadLen)
	for i := range payload {
		payload[i] = byte(rand.Uint32())
	}
	req := marshalEcho(echo{Type: icmpEchoRequest, ID: c.id, Seq: seq, Payload: payload})
	var to net.Addr
	if raw {
		to = &net.IPAddr{IP: dst.AsSlice()}
	} else {
		to = &net.UDPAddr{IP: dst.AsSlice()}
	}
	if _, err := conn.WriteTo(req, to); err != nil {
		return failResult(start, "send echo request: %v", unwrapOp(err))
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := conn.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return failResult(start, "no echo reply within %v", time.Since(start).Round(time.Millisecond))
			}
			return failResult(start, "receive echo reply: %v", unwrapOp(err))
		}
		if !sameAddr(from, dst) {
			continue
		}
		e, err := parseEcho(buf[:n])
		if err != nil || e.Type != icmpEchoReply || e.Seq != seq || string(e.Payload) != string(payload) {
			continue
		}
		// A datagram socket's identifier is its local port, rewritten by
		// the kernel, which also delivers only that socket's replies.
		if raw && e.ID != c.id {
			continue
		}
		return okResult(start)
	}
}

func sameAddr(a net.Addr, want netip.Addr) bool {
	var ip net.IP
	switch a := a.(type) {
	case *net.IPAddr:
		ip = a.IP
	case *net.UDPAddr:
		ip = a.IP
	default:
		return false
	}
	got, ok := netip.AddrFromSlice(ip)
	return ok && got.Unmap() == want
}

// listen opens the ICMP socket; raw reports which kind it got.
func (c *PingCheck) listen() (conn net.PacketConn, raw bool, err error) {
	if c.socket != PingRaw {
		conn, err = listenPingDatagram()
		if err == nil || c.socket == PingDatagram {
			return conn, false, err
		}
	}
	// ListenIP with the protocol number, not ListenPacket: the generic
	// call links net's DNS resolver.
	rc, rerr := net.ListenIP("ip4:1", &net.IPAddr{IP: net.IPv4zero})
	if rerr != nil {
		if err != nil {
			return nil, false, fmt.Errorf("open icmp socket: %v; raw: %w", err, unwrapOp(rerr))
		}
		return nil, false, fmt.Errorf("open raw icmp socket: %w", unwrapOp(rerr))
	}
	return rc, true, nil
}

// listenPingDatagram opens an unprivileged ICMP datagram socket
// (Linux "ping socket", net.ipv4.ping_group_range).
func listenPingDatagram() (net.PacketConn, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.IPPROTO_ICMP)
	if err != nil {
		return nil, fmt.Errorf("open icmp datagram socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind icmp datagram socket: %w", err)
	}
	f := os.NewFile(uintptr(fd), "icmp")
	conn, err := net.FilePacketConn(f)
	f.Close() // FilePacketConn holds its own duplicate
	if err != nil {
		return nil, fmt.Errorf("wrap icmp datagram socket: %w", err)
	}
	return conn, nil
}
