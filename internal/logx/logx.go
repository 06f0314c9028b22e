package logx

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Priority is a syslog severity.
type Priority int

// Severities used by floatgw (RFC 5424 numbers).
const (
	Err     Priority = 3
	Warning Priority = 4
	Notice  Priority = 5 // role changes and verdicts
	Info    Priority = 6
	Debug   Priority = 7
)

var names = map[Priority]string{Err: "error", Warning: "warning", Notice: "notice", Info: "info", Debug: "debug"}

// Logger writes to syslog or to a writer. It is safe for concurrent use.
type Logger struct {
	mu      sync.Mutex
	sys     *sysWriter
	w       io.Writer
	debug   bool
	limit   time.Duration
	last    map[string]time.Time
	dropped map[string]int
	now     func() time.Time
}

// New returns a Logger. With stderr true (or when syslog is unreachable) lines go to w with
// their severity; otherwise to syslog as ident "floatgw", facility daemon.
func New(stderr bool, w io.Writer, debug bool) *Logger {
	l := &Logger{w: w, debug: debug, limit: time.Minute, last: map[string]time.Time{}, dropped: map[string]int{}, now: time.Now}
	if !stderr {
		if s, err := dialSyslog("floatgw", facilityDaemon); err == nil {
			l.sys = s
		} else {
			fmt.Fprintf(w, "floatgw: syslog unavailable (%v), logging to stderr\n", err)
		}
	}
	return l
}

// Discard returns a Logger that drops everything (tests).
func Discard() *Logger { return New(true, io.Discard, false) }

// Logf writes one line at priority p.
func (l *Logger) Logf(p Priority, format string, args ...any) {
	if p == Debug && !l.debug {
		return
	}
	msg := fmt.Sprintf(format, args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.write(p, msg)
}

func (l *Logger) write(p Priority, msg string) {
	if l.sys != nil && l.sys.write(p, msg) == nil {
		return
	}
	fmt.Fprintf(l.w, "%s %s: %s\n", l.now().Format("15:04:05.000"), names[p], msg)
}

// Limitf is Logf at most once a minute per key; it reports how many were suppressed.
func (l *Logger) Limitf(key string, p Priority, format string, args ...any) {
	if p == Debug && !l.debug {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if t, ok := l.last[key]; ok && now.Sub(t) < l.limit {
		l.dropped[key]++
		return
	}
	msg := fmt.Sprintf(format, args...)
	if n := l.dropped[key]; n > 0 {
		msg += fmt.Sprintf(" (%d similar messages suppressed)", n)
	}
	l.last[key] = now
	l.dropped[key] = 0
	l.write(p, msg)
}

// Errorf, Warnf, Noticef, Infof and Debugf are Logf at their priority.
func (l *Logger) Errorf(f string, a ...any)  { l.Logf(Err, f, a...) }
func (l *Logger) Warnf(f string, a ...any)   { l.Logf(Warning, f, a...) }
func (l *Logger) Noticef(f string, a ...any) { l.Logf(Notice, f, a...) }
func (l *Logger) Infof(f string, a ...any)   { l.Logf(Info, f, a...) }
func (l *Logger) Debugf(f string, a ...any)  { l.Logf(Debug, f, a...) }

// Stderr is the default foreground writer.
var Stderr io.Writer = os.Stderr
