package vrrp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/floatgw/floatgw/internal/netwatch/afpacket"
	"golang.org/x/sys/unix"
)

// groupMAC is the Ethernet address of 224.0.0.18 (RFC 1112 §6.4).
var groupMAC = net.HardwareAddr{0x01, 0x00, 0x5e, 0x00, 0x00, 0x12}

// Frame is one IPv4 protocol-112 frame seen on the interface.
type Frame struct {
	// Time is the kernel timestamp of the frame.
	Time time.Time
	// SrcMAC and DstMAC are the Ethernet addresses. A VRRP master sends from
	// its real MAC unless keepalived's use_vmac is on (then 00:00:5e:00:01:VRID).
	SrcMAC net.HardwareAddr
	DstMAC net.HardwareAddr
	// Outgoing is true for frames this host sent.
	Outgoing bool
	// Packet is the decoded packet; partial when Err is set (see DecodeIPv4).
	Packet Packet
	// Err is why the frame is not a valid advert (Reason gives its code),
	// nil for a valid one.
	Err error
}

// DecodeFrame decodes an Ethernet frame carrying IPv4 VRRP. It is pure and
// does not retain b; Time and Outgoing are left for the caller.
func DecodeFrame(b []byte) Frame {
	var f Frame
	if len(b) < 14 {
		f.Err = fmt.Errorf("%w: %d bytes of ethernet header", ErrTruncated, len(b))
		return f
	}
	f.DstMAC = append(net.HardwareAddr(nil), b[0:6]...)
	f.SrcMAC = append(net.HardwareAddr(nil), b[6:12]...)
	if et := uint16(b[12])<<8 | uint16(b[13]); et != unix.ETH_P_IP {
		f.Err = fmt.Errorf("%w: ethertype 0x%04x", ErrNotVRRP, et)
		return f
	}
	f.Packet, f.Err = DecodeIPv4(b[14:])
	return f
}

// Listener receives VRRP (and anything else on IP protocol 112) on one
// interface and hands every frame, valid or not, to a callback. It is a
// task: NewListener opens the sockets at once (in the calling thread's
// network namespace), Run reads until its context ends. Run must be called
// at most once; Close releases the sockets if Run never ran.
type Listener struct {
	conn  *afpacket.Conn
	mfd   int // AF_INET socket holding the IP-level membership of 224.0.0.18
	fn    func(Frame)
	close sync.Once
	err   error
}

// NewListener opens a listener on ifname. fn is called from Run's goroutine,
// one frame at a time, and must not block for long: frames queue in the
// kernel meanwhile. The interface need not have an IPv4 address.
//
// It joins 224.0.0.18 twice: at the link layer on the packet socket, so the
// NIC accepts the group's MAC, and at the IP layer on the interface, so IGMP
// snooping switches keep forwarding the group to this port even when no
// keepalived runs here.
func NewListener(ifname string, fn func(Frame)) (*Listener, error) {
	if fn == nil {
		return nil, errors.New("vrrp: listener needs a callback")
	}
	conn, err := afpacket.Listen(ifname, afpacket.IPv4Protocol(Protocol))
	if err != nil {
		return nil, fmt.Errorf("vrrp: listen on %s: %w", ifname, err)
	}
	if err := conn.JoinMulticast(groupMAC); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("vrrp: listen on %s: %w", ifname, err)
	}
	mfd, err := joinGroup(conn.Interface().Index)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("vrrp: join %v on %s: %w", Group, ifname, err)
	}
	return &Listener{conn: conn, mfd: mfd, fn: fn}, nil
}

// joinGroup opens an unbound UDP socket, which receives nothing, and adds
// the interface's membership of 224.0.0.18 on it.
func joinGroup(ifindex int) (int, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	mreq := &unix.IPMreqn{Multiaddr: Group.As4(), Ifindex: int32(ifindex)}
	if err := unix.SetsockoptIPMreqn(fd, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, mreq); err != nil {
		_ = unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// Interface returns the name of the interface listened on.
func (l *Listener) Interface() string { return l.conn.Interface().Name }

// Run reads frames and calls the callback until ctx ends; it then closes
// the sockets and returns nil. A read error ends Run with that error.
func (l *Listener) Run(ctx context.Context) error {
	defer l.Close()
	buf := make([]byte, 2048)
	for {
		n, info, err := l.conn.ReadFrame(ctx, buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("vrrp: %w", err)
		}
		f := DecodeFrame(buf[:n])
		f.Time, f.Outgoing = info.Time, info.Outgoing
		l.fn(f)
	}
}

// Close releases the sockets. It is safe to call more than once and
// concurrently with Run, which then returns.
func (l *Listener) Close() error {
	l.close.Do(func() {
		l.err = l.conn.Close()
		if err := unix.Close(l.mfd); err != nil && l.err == nil {
			l.err = err
		}
	})
	return l.err
}
