package logx

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAppendSyslog(t *testing.T) {
	at := time.Date(2026, time.November, 2, 3, 4, 5, 600e6, time.Local)
	tests := []struct {
		name string
		pri  int
		msg  string
		want string
	}{
		// log/syslog's local format: "<%d>%s %s[%d]: %s%s" with time.Stamp.
		{"notice daemon", facilityDaemon | int(Notice), "role MASTER", "<29>Nov  2 03:04:05 floatgw[4242]: role MASTER\n"},
		{"error", facilityDaemon | int(Err), "x", "<27>Nov  2 03:04:05 floatgw[4242]: x\n"},
		{"own newline kept, not doubled", facilityDaemon | int(Info), "line\n", "<30>Nov  2 03:04:05 floatgw[4242]: line\n"},
		{"empty message", facilityDaemon | int(Debug), "", "<31>Nov  2 03:04:05 floatgw[4242]: \n"},
		{"kern emerg", 0, "%s literal", "<0>Nov  2 03:04:05 floatgw[4242]: %s literal\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(appendSyslog(nil, tt.pri, at, "floatgw", 4242, tt.msg))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("appendSyslog (-want +got):\n%s", diff)
			}
		})
	}
	// Appending keeps what is already in the buffer.
	if got := string(appendSyslog([]byte("x"), 29, at, "t", 1, "m")); got != "x<29>Nov  2 03:04:05 t[1]: m\n" {
		t.Errorf("append to a non-empty buffer: %q", got)
	}
}

// syslogd is a stand-in for the local syslog daemon: a socket of the
// given kind ("unixgram" or "unix") at path, whose lines arrive on a channel.
type syslogd struct {
	lines chan string
	close func()
}

func startSyslogd(t *testing.T, network, path string) *syslogd {
	t.Helper()
	d := &syslogd{lines: make(chan string, 16)}
	addr := &net.UnixAddr{Name: path, Net: network}
	if network == "unixgram" {
		c, err := net.ListenUnixgram(network, addr)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			buf := make([]byte, 4096)
			for {
				n, _, err := c.ReadFrom(buf)
				if err != nil {
					return
				}
				d.lines <- string(buf[:n])
			}
		}()
		d.close = func() { c.Close(); os.Remove(path) }
	} else {
		ln, err := net.ListenUnix(network, addr)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					r := bufio.NewReader(c)
					for {
						s, err := r.ReadString('\n')
						if err != nil {
							return
						}
						d.lines <- s
					}
				}()
			}
		}()
		d.close = func() { ln.Close() }
	}
	t.Cleanup(d.close)
	return d
}

func (d *syslogd) next(t *testing.T) string {
	t.Helper()
	select {
	case s := <-d.lines:
		return s
	case <-time.After(3 * time.Second):
		t.Fatal("no syslog line within 3 s")
		return ""
	}
}

func useSyslogPaths(t *testing.T, paths ...string) {
	old := syslogPaths
	syslogPaths = paths
	t.Cleanup(func() { syslogPaths = old })
}

func fixedClock(l *Logger) {
	l.sys.now = func() time.Time { return time.Date(2026, time.November, 22, 1, 2, 3, 0, time.Local) }
}

func TestSyslogDatagram(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	useSyslogPaths(t, filepath.Join(t.TempDir(), "missing"), path)
	d := startSyslogd(t, "unixgram", path)
	var stderr bytes.Buffer
	l := New(false, &stderr, true)
	if l.sys == nil {
		t.Fatalf("no syslog writer; stderr: %s", stderr.String())
	}
	fixedClock(l)
	pid := os.Getpid()
	for _, tt := range []struct {
		log  func(string, ...any)
		want int
	}{{l.Errorf, 27}, {l.Warnf, 28}, {l.Noticef, 29}, {l.Infof, 30}, {l.Debugf, 31}} {
		tt.log("check %s failed", "ping")
		want := fmt.Sprintf("<%d>Nov 22 01:02:03 floatgw[%d]: check ping failed\n", tt.want, pid)
		if got := d.next(t); got != want {
			t.Errorf("datagram %q, want %q", got, want)
		}
	}

	// syslogd restarts: the old socket is gone, a new one appears at the
	// same path. The next line fails on the old connection, reconnects
	// and arrives; nothing falls back to stderr.
	d.close()
	d2 := startSyslogd(t, "unixgram", path)
	l.Noticef("after restart")
	if got, want := d2.next(t), fmt.Sprintf("<29>Nov 22 01:02:03 floatgw[%d]: after restart\n", pid); got != want {
		t.Errorf("after a syslogd restart: %q, want %q", got, want)
	}

	// syslogd gone for good: lines go to stderr.
	d2.close()
	l.Warnf("nobody listens")
	if !strings.Contains(stderr.String(), "warning: nobody listens\n") {
		t.Errorf("line not on stderr while syslog is down: %q", stderr.String())
	}
}

func TestSyslogStream(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	useSyslogPaths(t, path)
	d := startSyslogd(t, "unix", path)
	var stderr bytes.Buffer
	l := New(false, &stderr, false)
	if l.sys == nil {
		t.Fatalf("no syslog writer; stderr: %s", stderr.String())
	}
	fixedClock(l)
	l.Infof("one")
	l.Noticef("two")
	pid := os.Getpid()
	for _, want := range []string{
		fmt.Sprintf("<30>Nov 22 01:02:03 floatgw[%d]: one\n", pid),
		fmt.Sprintf("<29>Nov 22 01:02:03 floatgw[%d]: two\n", pid),
	} {
		if got := d.next(t); got != want {
			t.Errorf("stream line %q, want %q", got, want)
		}
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr written: %q", stderr.String())
	}
}

func TestSyslogUnavailable(t *testing.T) {
	useSyslogPaths(t, filepath.Join(t.TempDir(), "missing"))
	var stderr bytes.Buffer
	l := New(false, &stderr, false)
	if l.sys != nil {
		t.Fatal("syslog writer without a socket")
	}
	l.Errorf("to stderr")
	out := stderr.String()
	if !strings.Contains(out, "floatgw: syslog unavailable (no local syslog socket: ") || !strings.Contains(out, "error: to stderr\n") {
		t.Errorf("stderr %q", out)
	}
}
