package health

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// connectTCP4 opens a TCP connection to dst, bounded by ctx.
//
// It does what net.Dialer.DialContext does for an address literal,
// without the Dialer: any reachable generic dial links net's whole DNS
// resolver (about 218 KB on mipsle, 136 KB of it code), and
// net.DialTCP, which does not, has neither a timeout nor a context. So the socket is
// opened non-blocking, the connect is started, and the runtime's
// poller waits for it to become writable (RFC 793's SYN-SENT to
// ESTABLISHED) under a write deadline from ctx; the finished socket is
// handed to net.FileConn. Nothing is left behind when ctx ends first:
// the socket is closed and no goroutine outlives the call.
func connectTCP4(ctx context.Context, dst netip.AddrPort) (net.Conn, error) {
	if !dst.Addr().Is4() {
		return nil, fmt.Errorf("connect: %v is not an IPv4 address", dst.Addr())
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return nil, fmt.Errorf("open tcp socket: %w", err)
	}
	f := os.NewFile(uintptr(fd), "tcp") // non-blocking: registered with the poller
	defer f.Close()                     // net.FileConn holds its own duplicate
	err = unix.Connect(fd, &unix.SockaddrInet4{Port: int(dst.Port()), Addr: dst.Addr().As4()})
	switch err {
	case nil:
	case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
		if err := waitConnected(ctx, f); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("connect: %w", err)
	}
	conn, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("wrap tcp socket: %w", err)
	}
	return conn, nil
}

// waitConnected waits until the connect started on f has finished
// (as net's netFD.connect does): writable, with SO_ERROR 0 and a peer.
func waitConnected(ctx context.Context, f *os.File) error {
	if dl, ok := ctx.Deadline(); ok {
		if err := f.SetWriteDeadline(dl); err != nil {
			return fmt.Errorf("connect: %w", err)
		}
	}
	stop := context.AfterFunc(ctx, func() { f.SetWriteDeadline(time.Unix(1, 0)) })
	defer stop()
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	var cerr error
	werr := rc.Write(func(fd uintptr) bool {
		// Called once at once and again after each writable event.
		v, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			cerr = err
			return true
		}
		switch e := unix.Errno(v); e {
		case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
			return false
		case 0:
			// No error yet: connected only once there is a peer.
			if _, err := unix.Getpeername(int(fd)); err == nil {
				return true
			} else if err != unix.ENOTCONN {
				cerr = err
				return true
			}
			return false
		default:
			cerr = e
			return true
		}
	})
	if cerr != nil {
		return fmt.Errorf("connect: %w", cerr)
	}
	if werr != nil {
		if errors.Is(werr, os.ErrDeadlineExceeded) || ctx.Err() != nil {
			if errors.Is(ctx.Err(), context.Canceled) {
				return fmt.Errorf("connect: %w", context.Canceled)
			}
			return errors.New("connect: i/o timeout")
		}
		return fmt.Errorf("connect: %w", werr)
	}
	return nil
}
