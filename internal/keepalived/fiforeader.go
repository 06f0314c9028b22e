package keepalived

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Event is one notify line as the FIFOReader received it.
type Event struct {
	Notification
	// Seq numbers the events of one FIFOReader from 1, in arrival order.
	Seq uint64
	// Received is when the reader got the bytes (one read may carry
	// several lines; they share the time).
	Received time.Time
}

// FIFOReader reads keepalived's vrrp_notify_fifo and delivers typed events
// in the order keepalived wrote them.
//
// keepalived opens the FIFO O_RDWR and writes one line per write(2), so
// lines are never interleaved. When keepalived exits, the reader sees EOF,
// reports it through OnWriterGone, and reopens the FIFO (creating it again
// if it was removed) to wait for the next keepalived.
//
// Set the fields before calling Run and do not change them afterwards. All
// callbacks are called from Run's goroutine, one at a time, in order; a slow
// callback delays reading (keepalived's writes then queue in the pipe
// buffer, 64 KiB on Linux, and are dropped by keepalived beyond that).
type FIFOReader struct {
	// Path is the FIFO (Spec.NotifyFIFO). Run creates it (mode 0600) when
	// missing, so that keepalived uses it and never removes it.
	Path string
	// OnEvent receives every valid line. Required.
	OnEvent func(Event)
	// OnBadLine, if set, receives lines that do not parse.
	OnBadLine func(line string, received time.Time, err error)
	// OnWriterGone, if set, is called when the last writer closed the FIFO
	// (keepalived stopped or is restarting) and before the reader reopens
	// it.
	OnWriterGone func(at time.Time)

	seq uint64
}

// Run reads until ctx is done (then it returns nil) or the FIFO cannot be
// used (then it returns the error). Run must not be called concurrently on
// one FIFOReader.
func (r *FIFOReader) Run(ctx context.Context) error {
	if r.OnEvent == nil {
		return errors.New("fifo reader: OnEvent is required")
	}
	for {
		if ctx.Err() != nil {
			return nil
		}
		f, err := openFIFO(r.Path)
		if err != nil {
			return err
		}
		err = r.readUntilEOF(ctx, f)
		f.Close()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read notify fifo %s: %w", r.Path, err)
		}
		if r.OnWriterGone != nil {
			r.OnWriterGone(time.Now())
		}
	}
}

// openFIFO creates the FIFO if needed and opens it for reading without
// blocking (a blocking open would wait for a writer and ignore ctx).
func openFIFO(path string) (*os.File, error) {
	if err := unix.Mkfifo(path, 0o600); err != nil && !errors.Is(err, unix.EEXIST) {
		return nil, fmt.Errorf("create notify fifo %s: %w", path, err)
	}
	// O_NONBLOCK makes the os.File pollable: reads wait in the runtime
	// poller and a read deadline interrupts them.
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open notify fifo: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat notify fifo %s: %w", path, err)
	}
	if fi.Mode().Type() != fs.ModeNamedPipe {
		f.Close()
		return nil, fmt.Errorf("notify fifo %s exists and is not a fifo (%v)", path, fi.Mode().Type())
	}
	return f, nil
}

// readUntilEOF returns nil when every writer has gone (EOF after at least
// one writer connected) or ctx is done.
func (r *FIFOReader) readUntilEOF(ctx context.Context, f *os.File) error {
	stop := context.AfterFunc(ctx, func() {
		_ = f.SetReadDeadline(time.Unix(1, 0))
	})
	defer stop()
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	buf := make([]byte, 4096)
	var pending []byte
	for {
		var n int
		var rerr error
		var eof bool
		err := rc.Read(func(fd uintptr) bool {
			for {
				n, rerr = unix.Read(int(fd), buf)
				if rerr != unix.EINTR {
					break
				}
			}
			if rerr == unix.EAGAIN {
				return false // writer present, no data: wait in the poller
			}
			if rerr == nil && n == 0 {
				// No writer right now. POLLHUP tells "a writer came and went
				// since we opened" (EOF) from "none has come yet" (wait; the
				// next writer's data wakes the poller).
				if hungUp(int(fd)) {
					eof = true
					return true
				}
				return false
			}
			return true
		})
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() != nil {
				return nil
			}
			return err
		}
		if rerr != nil {
			return rerr
		}
		if eof {
			if len(pending) > 0 && r.OnBadLine != nil {
				r.OnBadLine(string(pending), time.Now(), fmt.Errorf("%w: truncated line at end of stream", ErrBadFIFOLine))
			}
			return nil
		}
		now := time.Now()
		pending = append(pending, buf[:n]...)
		pending = r.deliver(pending, now)
		if len(pending) > MaxFIFOLine {
			if r.OnBadLine != nil {
				r.OnBadLine(string(pending[:64]), now, fmt.Errorf("%w: no newline within %d bytes", ErrBadFIFOLine, MaxFIFOLine))
			}
			pending = pending[:0]
		}
	}
}

// deliver hands every complete line in p to the callbacks and returns the
// unfinished rest (moved to the front of p).
func (r *FIFOReader) deliver(p []byte, now time.Time) []byte {
	start := 0
	for i, c := range p {
		if c != '\n' {
			continue
		}
		line := string(p[start:i])
		start = i + 1
		n, err := ParseFIFOLine(line)
		if err != nil {
			if r.OnBadLine != nil {
				r.OnBadLine(line, now, err)
			}
			continue
		}
		r.seq++
		r.OnEvent(Event{Notification: n, Seq: r.seq, Received: now})
	}
	rest := copy(p, p[start:])
	return p[:rest]
}

func hungUp(fd int) bool {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(pfd, 0)
	return err == nil && n == 1 && pfd[0].Revents&unix.POLLHUP != 0
}
