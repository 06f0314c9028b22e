package proc

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"time"
)

// DefaultMaxOutput is the byte limit of a stream whose limit is zero.
const DefaultMaxOutput = 64 << 10

// DefaultWaitDelay is how long Run keeps reading output after the process
// ended when Cmd.WaitDelay is zero (os/exec's Cmd.WaitDelay as floatgw
// used it).
const DefaultWaitDelay = time.Second

// ErrWaitDelay is returned by Run when the process exited successfully
// but its output pipes were still open (held by a process it started)
// WaitDelay after it ended; the output read until then is returned.
var ErrWaitDelay = errors.New("output still open after the wait delay")

// Cmd describes one run of a program. A Cmd is a plain value; Run does not
// modify it, so one Cmd may be run concurrently.
type Cmd struct {
	// Argv is the program and its arguments; never a shell string.
	// Argv[0] without a slash is looked up in $PATH (see LookPath); with
	// a slash it is used as is.
	Argv []string
	// Combined sends stderr into the same pipe as stdout: Output.Stdout
	// holds both, interleaved as the program wrote them, and MaxStdout
	// limits the whole.
	Combined bool
	// MaxStdout and MaxStderr are the bytes kept of each stream; the rest
	// is read and dropped. Zero means DefaultMaxOutput; negative keeps
	// nothing.
	MaxStdout, MaxStderr int
	// ProcessGroup starts the program in a process group of its own
	// (Setpgid) and, when the context ends, kills the whole group, not
	// only the program.
	ProcessGroup bool
	// WaitDelay bounds how long Run keeps reading output once the process
	// has exited or been killed; zero means DefaultWaitDelay.
	WaitDelay time.Duration
}

// Output is what a run wrote. The slices are the caller's; they alias
// nothing.
type Output struct {
	// Stdout is the start of standard output (with Cmd.Combined, of
	// standard output and standard error together).
	Stdout []byte
	// Stderr is the start of standard error; empty with Cmd.Combined.
	Stderr []byte
	// Truncated reports that a stream wrote more than its limit.
	Truncated bool
}

// ExitError reports a program that ran and did not exit with status 0.
// Its message is the os/exec one: "exit status 3", "signal: killed";
// ExitCode is -1 after a signal. It is not modified after Run returns, so
// concurrent reads are safe.
type ExitError struct {
	*os.ProcessState
}

func (e *ExitError) Error() string { return e.ProcessState.String() }

// Run runs c.Argv to completion and returns its output. The error is nil
// when the program exited with status 0; an *ExitError when it exited
// otherwise (also after being killed because ctx ended: "signal:
// killed"); ctx.Err() when ctx had ended before the start, or when the
// program was killed and still exited 0; ErrWaitDelay as described there;
// or the error that kept it from starting (LookPath's, or os.StartProcess's
// "fork/exec PATH: ..."). Output is returned on every path that started
// the program.
//
// Run is safe for concurrent use. It blocks until the process has been
// reaped and every goroutine and descriptor it created is gone.
func Run(ctx context.Context, c Cmd) (Output, error) {
	if len(c.Argv) == 0 || c.Argv[0] == "" {
		return Output{}, errors.New("run: no program given")
	}
	if err := ctx.Err(); err != nil {
		return Output{}, err
	}
	path := c.Argv[0]
	if !strings.Contains(path, "/") {
		lp, err := LookPath(path)
		if err != nil {
			return Output{}, err
		}
		path = lp
	}

	out := &stream{max: limit(c.MaxStdout)}
	streams := []*stream{out}
	var errs *stream
	if !c.Combined {
		errs = &stream{max: limit(c.MaxStderr)}
		streams = append(streams, errs)
	}
	p, err := start(path, c, streams)
	if err != nil {
		return Output{}, err
	}

	done := make(chan *stream, len(streams))
	for _, s := range streams {
		go func(s *stream) {
			s.drain()
			done <- s
		}(s)
	}
	type waitResult struct {
		state *os.ProcessState
		err   error
	}
	waited := make(chan waitResult, 1)
	go func() {
		st, err := p.Wait()
		waited <- waitResult{st, err}
	}()

	var w waitResult
	killed := false
	select {
	case w = <-waited:
	case <-ctx.Done():
		select {
		case w = <-waited:
		default:
			killed = kill(p, c.ProcessGroup) == nil
			w = <-waited
		}
	}

	// The process is gone. Its output may still be in flight, or held
	// open by a process it started: read for at most WaitDelay more.
	delay := c.WaitDelay
	if delay <= 0 {
		delay = DefaultWaitDelay
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	forced := false
	for pending := len(streams); pending > 0; {
		select {
		case s := <-done:
			s.finished = true
			pending--
		case <-timer.C:
			forced = true
			for _, s := range streams {
				if !s.finished {
					s.stop()
				}
			}
		}
	}

	res := Output{Stdout: out.buf, Truncated: out.truncated}
	if errs != nil {
		res.Stderr = errs.buf
		res.Truncated = res.Truncated || errs.truncated
	}
	switch {
	case w.err != nil:
		return res, w.err
	case !w.state.Success():
		return res, &ExitError{ProcessState: w.state}
	case killed:
		return res, ctx.Err()
	case forced:
		return res, ErrWaitDelay
	}
	return res, nil
}

func limit(n int) int {
	switch {
	case n == 0:
		return DefaultMaxOutput
	case n < 0:
		return 0
	}
	return n
}

// start creates the pipes, starts the process and closes the parent's
// copies of the child's ends. On success each stream owns its read end
// (drain closes it); on failure nothing is left open.
func start(path string, c Cmd, streams []*stream) (*os.Process, error) {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	childEnds := []*os.File{devnull}
	closeAll := func(fs []*os.File) {
		for _, f := range fs {
			f.Close()
		}
	}
	var readEnds []*os.File
	for _, s := range streams {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll(childEnds)
			closeAll(readEnds)
			return nil, err
		}
		s.f = r
		readEnds = append(readEnds, r)
		childEnds = append(childEnds, w)
	}
	files := []*os.File{devnull, childEnds[1], childEnds[1]}
	if len(streams) == 2 {
		files[2] = childEnds[2]
	}
	attr := &os.ProcAttr{Files: files} // Env nil: the inherited environment
	if c.ProcessGroup {
		attr.Sys = &syscall.SysProcAttr{Setpgid: true}
	}
	p, err := os.StartProcess(path, c.Argv, attr)
	closeAll(childEnds)
	if err != nil {
		closeAll(readEnds)
		return nil, err
	}
	return p, nil
}

// kill sends SIGKILL to the process group (with group; the group's id is
// the process's pid after Setpgid) or the process. The process is not yet
// reaped, so its pid, and the group's id, still name it.
func kill(p *os.Process, group bool) error {
	if group {
		if err := syscall.Kill(-p.Pid, syscall.SIGKILL); err == nil {
			return nil
		}
	}
	return p.Kill()
}

// stream is one output pipe: the first max bytes are kept, the rest is
// read and dropped.
type stream struct {
	f         *os.File
	max       int
	buf       []byte
	truncated bool
	finished  bool // set by Run once drain has returned
}

// drain reads until end of file, an error or stop, then closes the pipe.
func (s *stream) drain() {
	defer s.f.Close()
	var scratch []byte
	for {
		var n int
		var err error
		if len(s.buf) < s.max {
			if len(s.buf) == cap(s.buf) {
				// Grow by doubling, from 512 bytes, up to max: a short
				// answer costs little, a long log is read in large
				// chunks.
				nb := make([]byte, len(s.buf), min(max(2*cap(s.buf), 512), s.max))
				copy(nb, s.buf)
				s.buf = nb
			}
			n, err = s.f.Read(s.buf[len(s.buf):cap(s.buf)])
			s.buf = s.buf[:len(s.buf)+n]
		} else {
			if scratch == nil {
				scratch = make([]byte, 4096)
			}
			n, err = s.f.Read(scratch)
			if n > 0 {
				s.truncated = true
			}
		}
		if err != nil {
			return
		}
	}
}

// stop makes a blocked drain return: the pipe is pollable (os.Pipe), so
// an expired read deadline wakes the reader, which then closes it.
func (s *stream) stop() {
	if err := s.f.SetReadDeadline(time.Now()); err != nil {
		// Not pollable (not seen on Linux): closing is all that is left.
		s.f.Close()
	}
}
