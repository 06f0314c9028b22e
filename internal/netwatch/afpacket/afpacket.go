// Package afpacket is the thin Linux AF_PACKET transport that internal/vrrp
// and internal/arp observe the LAN through: one SOCK_RAW packet socket bound
// to one interface, with a classic BPF filter attached before the socket is
// bound (so no unfiltered frame is ever queued), kernel receive timestamps,
// the packet direction (sent by this host or received), context- and
// deadline-aware reads and writes.
//
// It sees whole Ethernet frames in both directions, before the local
// firewall, which is why the observers use it rather than an IP socket: the
// sender's MAC is known, the IP header (TTL) is intact, adverts and ARPs this
// host sends are seen like tcpdump sees them, and traffic that netfilter
// drops on INPUT is still visible to a diagnosis.
//
// It does not decode anything, does not put the interface into promiscuous
// mode, and needs CAP_NET_RAW.
package afpacket

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/mdlayher/socket"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Conn is a packet socket bound to one interface. Its methods may be called
// from several goroutines, but a single reader is expected.
type Conn struct {
	c   *socket.Conn
	ifi *net.Interface
}

// Info describes one received frame.
type Info struct {
	// Time is the kernel's receive (or transmit) timestamp.
	Time time.Time
	// Outgoing is true for frames this host sent (PACKET_OUTGOING).
	Outgoing bool
	// Truncated is true when the frame was longer than the read buffer.
	Truncated bool
}

const ethPAll = 0x0003

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// Listen opens a packet socket on the named interface that receives only the
// frames filter accepts (nil accepts everything). The interface is looked up
// in the network namespace of the calling thread, where the socket is
// created too.
func Listen(ifname string, filter []bpf.Instruction) (*Conn, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("afpacket: %w", err)
	}
	// Protocol 0: the socket receives nothing until it is bound, after the
	// filter is in place.
	c, err := socket.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0, "afpacket", nil)
	if err != nil {
		return nil, fmt.Errorf("afpacket: open socket on %s: %w", ifname, err)
	}
	if filter != nil {
		raw, err := bpf.Assemble(filter)
		if err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("afpacket: assemble filter: %w", err)
		}
		if err := c.SetBPF(raw); err != nil {
			_ = c.Close()
			return nil, fmt.Errorf("afpacket: attach filter on %s: %w", ifname, err)
		}
	}
	if err := c.SetsockoptInt(unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("afpacket: enable timestamps on %s: %w", ifname, err)
	}
	if err := c.Bind(&unix.SockaddrLinklayer{Protocol: htons(ethPAll), Ifindex: ifi.Index}); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("afpacket: bind to %s: %w", ifname, err)
	}
	return &Conn{c: c, ifi: ifi}, nil
}

// Interface returns the interface the socket is bound to, as it was when
// Listen looked it up.
func (c *Conn) Interface() *net.Interface { return c.ifi }

// JoinMulticast asks the interface to accept frames for the link-layer
// multicast address mac for as long as the socket is open
// (PACKET_ADD_MEMBERSHIP).
func (c *Conn) JoinMulticast(mac net.HardwareAddr) error {
	mreq := unix.PacketMreq{Ifindex: int32(c.ifi.Index), Type: unix.PACKET_MR_MULTICAST, Alen: uint16(len(mac))}
	if len(mac) > len(mreq.Address) {
		return fmt.Errorf("afpacket: hardware address %v too long", mac)
	}
	copy(mreq.Address[:], mac)
	if err := c.c.SetsockoptPacketMreq(unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
		return fmt.Errorf("afpacket: join %v on %s: %w", mac, c.ifi.Name, err)
	}
	return nil
}

// ReadFrame reads one frame into b. It blocks until a frame arrives, the
// read deadline passes or ctx ends (then it returns ctx's error).
func (c *Conn) ReadFrame(ctx context.Context, b []byte) (int, Info, error) {
	var oob [64]byte
	n, oobn, flags, from, err := c.c.Recvmsg(ctx, b, oob[:], unix.MSG_TRUNC)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return 0, Info{}, ctxErr
		}
		return 0, Info{}, fmt.Errorf("afpacket: read on %s: %w", c.ifi.Name, err)
	}
	var info Info
	if sa, ok := from.(*unix.SockaddrLinklayer); ok {
		info.Outgoing = sa.Pkttype == unix.PACKET_OUTGOING
	}
	if n > len(b) || flags&unix.MSG_TRUNC != 0 {
		info.Truncated = true
		n = len(b)
	}
	info.Time = timestamp(oob[:oobn])
	if info.Time.IsZero() {
		info.Time = time.Now()
	}
	return n, info, nil
}

// timestamp extracts SCM_TIMESTAMPNS from control messages (a struct
// timespec of two native longs, 8 or 4 bytes each).
func timestamp(oob []byte) time.Time {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Time{}
	}
	for _, m := range msgs {
		if m.Header.Level != unix.SOL_SOCKET || m.Header.Type != unix.SO_TIMESTAMPNS {
			continue
		}
		switch len(m.Data) {
		case 16:
			return time.Unix(int64(binary.NativeEndian.Uint64(m.Data)), int64(binary.NativeEndian.Uint64(m.Data[8:])))
		case 8:
			return time.Unix(int64(int32(binary.NativeEndian.Uint32(m.Data))), int64(int32(binary.NativeEndian.Uint32(m.Data[4:]))))
		}
	}
	return time.Time{}
}

// WriteFrame sends frame, a complete Ethernet frame (destination, source,
// EtherType, payload), out of the interface.
func (c *Conn) WriteFrame(ctx context.Context, frame []byte) error {
	if len(frame) < 14 {
		return errors.New("afpacket: frame shorter than an ethernet header")
	}
	sa := &unix.SockaddrLinklayer{
		Ifindex:  c.ifi.Index,
		Protocol: htons(binary.BigEndian.Uint16(frame[12:14])),
		Halen:    6,
	}
	copy(sa.Addr[:], frame[:6])
	if err := c.c.Sendto(ctx, frame, 0, sa); err != nil {
		return fmt.Errorf("afpacket: write on %s: %w", c.ifi.Name, err)
	}
	return nil
}

// SetReadDeadline sets the deadline for ReadFrame, like net.Conn.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.c.SetReadDeadline(t) }

// Close closes the socket; blocked reads return at once.
func (c *Conn) Close() error { return c.c.Close() }

// EtherType returns a filter that accepts frames of one EtherType.
func EtherType(t uint16) []bpf.Instruction {
	return []bpf.Instruction{
		bpf.LoadAbsolute{Off: 12, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(t), SkipFalse: 1},
		bpf.RetConstant{Val: 65535},
		bpf.RetConstant{Val: 0},
	}
}

// IPv4Protocol returns a filter that accepts IPv4 frames carrying the given
// IP protocol number.
func IPv4Protocol(proto uint8) []bpf.Instruction {
	return []bpf.Instruction{
		bpf.LoadAbsolute{Off: 12, Size: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.ETH_P_IP, SkipFalse: 3},
		bpf.LoadAbsolute{Off: 14 + 9, Size: 1},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: uint32(proto), SkipFalse: 1},
		bpf.RetConstant{Val: 65535},
		bpf.RetConstant{Val: 0},
	}
}
