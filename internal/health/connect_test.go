package health

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fullListener returns the address of a loopback TCP listener whose
// accept queue is full, so that the kernel drops further SYNs and a new
// connect neither succeeds nor fails until it gives up (minutes).
func fullListener(t *testing.T) netip.AddrPort {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	dst := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(sa.(*unix.SockaddrInet4).Port))
	// Fill the queue (backlog 0 admits one connection); stop at the
	// first connect that hangs.
	for i := 0; i < 8; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		c, err := connectTCP4(ctx, dst)
		cancel()
		if err != nil {
			return dst
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("SKIP: the kernel accepted 8 connections on a backlog-0 listener; cannot build a hanging connect")
	return dst
}

func TestConnectTCP4(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dst := ln.Addr().(*net.TCPAddr).AddrPort()
	c, err := connectTCP4(context.Background(), dst)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.RemoteAddr().(*net.TCPAddr).AddrPort(); got != dst {
		t.Errorf("remote address %v, want %v", got, dst)
	}
	srv, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// The connection is a working net.Conn with deadlines.
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	srv.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := srv.Read(buf); err != nil || string(buf) != "ping" {
		t.Fatalf("server read %q, %v", buf, err)
	}
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := c.Read(buf); err == nil || !strings.Contains(err.Error(), "timeout") {
		t.Errorf("read with a deadline and no data: %v", err)
	}
	c.Close()

	if _, err := connectTCP4(context.Background(), netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(closedPort(t, "tcp")))); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("closed port: %v, want connection refused", err)
	}
	if _, err := connectTCP4(context.Background(), netip.MustParseAddrPort("[::1]:80")); err == nil {
		t.Error("IPv6 destination accepted")
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := connectTCP4(canceled, dst); err == nil {
		t.Error("connect with a canceled context succeeded")
	}
}

func TestConnectTCP4Hanging(t *testing.T) {
	dst := fullListener(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := connectTCP4(ctx, dst)
	el := time.Since(start)
	if err == nil || err.Error() != "connect: i/o timeout" {
		t.Errorf("hanging connect: %v, want connect: i/o timeout", err)
	}
	if el < 200*time.Millisecond || el > time.Second {
		t.Errorf("hanging connect returned after %v, want about 200 ms", el)
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel2)
	start = time.Now()
	_, err = connectTCP4(ctx2, dst)
	el = time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("cancelled connect: %v, want context canceled", err)
	}
	if el > time.Second {
		t.Errorf("cancelled connect returned after %v", el)
	}
}
