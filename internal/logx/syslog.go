package logx

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// facilityDaemon is LOG_DAEMON (RFC 3164 §4.1.1: facility 3, shifted
// left by three bits).
const facilityDaemon = 3 << 3

// syslogPaths are the local syslog sockets tried in order, as
// log/syslog does (Linux, then the BSD names); tests replace them.
var syslogPaths = []string{"/dev/log", "/var/run/syslog", "/var/run/log"}

// sysWriter sends lines to the local syslog daemon over its unix socket
// (datagram first, stream second), in the local RFC 3164 form that
// log/syslog writes and busybox syslogd, OpenWrt's logd, rsyslog and
// journald all read:
//
//	<PRI>Mmm dd hh:mm:ss TAG[PID]: MSG\n
//
// It replaces log/syslog, whose net.Dial links net's DNS resolver. It is
// not safe for concurrent use; the Logger serialises it.
type sysWriter struct {
	tag      string
	facility int
	pid      int
	conn     *net.UnixConn
	now      func() time.Time
	buf      []byte
}

func dialSyslog(tag string, facility int) (*sysWriter, error) {
	w := &sysWriter{tag: tag, facility: facility, pid: os.Getpid(), now: time.Now}
	if err := w.connect(); err != nil {
		return nil, err
	}
	return w, nil
}

// connect (re)opens the socket.
func (w *sysWriter) connect() error {
	if w.conn != nil {
		w.conn.Close()
		w.conn = nil
	}
	var first error
	for _, p := range syslogPaths {
		for _, network := range []string{"unixgram", "unix"} {
			c, err := net.DialUnix(network, nil, &net.UnixAddr{Name: p, Net: network})
			if err == nil {
				w.conn = c
				return nil
			}
			if first == nil {
				first = err
			}
		}
	}
	if first == nil {
		first = errors.New("no socket path")
	}
	return fmt.Errorf("no local syslog socket: %w", first)
}

// write sends one message at severity sev; after a failed send it
// reconnects once and retries (log/syslog's writeAndRetry), so a
// restarted syslog daemon is found again.
func (w *sysWriter) write(sev Priority, msg string) error {
	w.buf = appendSyslog(w.buf[:0], w.facility|int(sev)&7, w.now(), w.tag, w.pid, msg)
	if w.conn != nil {
		if _, err := w.conn.Write(w.buf); err == nil {
			return nil
		}
	}
	if err := w.connect(); err != nil {
		return err
	}
	_, err := w.conn.Write(w.buf)
	return err
}

// appendSyslog appends the local RFC 3164 form of one message to b:
// priority, time.Stamp timestamp in local time, tag, pid, the message
// and exactly one trailing newline. It is pure.
func appendSyslog(b []byte, pri int, t time.Time, tag string, pid int, msg string) []byte {
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(pri), 10)
	b = append(b, '>')
	b = t.AppendFormat(b, time.Stamp)
	b = append(b, ' ')
	b = append(b, tag...)
	b = append(b, '[')
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, "]: "...)
	b = append(b, msg...)
	if !strings.HasSuffix(msg, "\n") {
		b = append(b, '\n')
	}
	return b
}
