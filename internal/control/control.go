package control

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/floatgw/floatgw/internal/api"
	"github.com/floatgw/floatgw/internal/jsonx"
)

// Status numbers, shared with ubus (libubus ubusmsg.h enum ubus_msg_status).
const (
	StatusOK              = 0
	StatusInvalidCommand  = 1
	StatusInvalidArgument = 2
	StatusMethodNotFound  = 3
	StatusNotFound        = 4
	StatusNoData          = 5
	StatusPermission      = 6
	StatusTimeout         = 7
	StatusNotSupported    = 8
	StatusUnknown         = 9
	StatusConnFailed      = 10
)

// MaxLine bounds one request or response line (1 MiB), checked before it is decoded.
const MaxLine = 1 << 20

// Request is one call. On the server, numbers in Args arrive as jsonx.Number
// (exact, integers distinguishable), strings, bools, nil, []any and map[string]any.
type Request struct {
	Method string         `json:"method"`
	Args   map[string]any `json:"args,omitempty"`
}

// Response is the answer to one Request.
type Response struct {
	Status   int              `json:"status"`
	Data     jsonx.RawMessage `json:"data,omitempty"`
	Problems []api.Problem    `json:"problems,omitempty"`
	Message  string           `json:"message,omitempty"`
}

// Error is a call that ended with a non-zero status.
type Error struct {
	Status   int
	Problems []api.Problem
	Message  string
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" && len(e.Problems) > 0 {
		p := e.Problems[0]
		msg = string(p.Code)
		if p.Field != "" {
			msg = p.Field + ": " + msg
		}
		if p.Detail != "" {
			msg += ": " + p.Detail
		}
	}
	if msg == "" {
		msg = fmt.Sprintf("status %d", e.Status)
	}
	return "floatgw: " + msg
}

// Dispatcher answers one call. It returns the reply value (marshalled to JSON) or an error;
// an *Error keeps its status and problems, any other error becomes StatusUnknown.
// It is called concurrently from several connections.
type Dispatcher func(ctx context.Context, method string, args map[string]any) (any, error)

// Server serves a Dispatcher on a unix socket.
type Server struct {
	Path     string
	Dispatch Dispatcher

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// Run listens on s.Path (replacing a stale socket file) and serves until ctx ends. It waits for
// the connections it started before it returns.
func (s *Server) Run(ctx context.Context) error {
	if err := removeStale(s.Path); err != nil {
		return err
	}
	old := syscall.Umask(0o077)
	// The address-typed calls (ListenUnix, DialUnix) keep net's DNS
	// resolver out of the binary: the generic Listen/Dial link it.
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: s.Path, Net: "unix"})
	syscall.Umask(old)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(s.Path, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("control socket: %w", err)
	}
	s.mu.Lock()
	s.conns = map[net.Conn]struct{}{}
	s.mu.Unlock()

	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
	})
	defer stop()
	defer os.Remove(s.Path)
	for {
		c, err := ln.Accept()
		if err != nil {
			wg.Wait()
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("control socket: %w", err)
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serve(ctx, c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

// removeStale removes a socket file nobody listens on; it refuses to remove anything else.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("control socket: %s exists and is not a socket", path)
	}
	// Connecting to a unix socket never waits (a full backlog fails at
	// once with EAGAIN), so DialUnix needs no timeout.
	if c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"}); err == nil {
		c.Close()
		return fmt.Errorf("control socket: %s is in use by another daemon", path)
	}
	return os.Remove(path)
}

func allowed(c net.Conn) bool {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return false
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return false
	}
	var cred *syscall.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil || cerr != nil {
		return false
	}
	return cred.Uid == 0 || int(cred.Uid) == os.Geteuid()
}

func (s *Server) serve(ctx context.Context, c net.Conn) {
	w := bufio.NewWriter(c)
	write := func(r Response) bool {
		b, err := jsonx.Marshal(r)
		if err != nil {
			b, _ = jsonx.Marshal(Response{Status: StatusUnknown, Message: "encode reply: " + err.Error()})
		}
		b = append(b, '\n')
		c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return w.Flush() == nil
	}
	if !allowed(c) {
		write(Response{Status: StatusPermission, Message: "the control socket is for root only"})
		return
	}
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 0, 4096), MaxLine)
	for sc.Scan() {
		var req Request
		if err := jsonx.Unmarshal(sc.Bytes(), &req); err != nil {
			if !write(Response{Status: StatusInvalidCommand, Message: "bad request: " + err.Error()}) {
				return
			}
			continue
		}
		if !write(s.call(ctx, req)) {
			return
		}
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		write(Response{Status: StatusInvalidCommand, Message: fmt.Sprintf("request longer than %d bytes", MaxLine)})
	}
}

func (s *Server) call(ctx context.Context, req Request) (resp Response) {
	defer func() {
		if r := recover(); r != nil {
			resp = Response{Status: StatusUnknown, Message: fmt.Sprintf("internal error in %s: %v", req.Method, r)}
		}
	}()
	v, err := s.Dispatch(ctx, req.Method, req.Args)
	if err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			return Response{Status: ce.Status, Problems: ce.Problems, Message: ce.Message}
		}
		return Response{Status: StatusUnknown, Message: err.Error()}
	}
	b, err := jsonx.Marshal(v)
	if err != nil {
		return Response{Status: StatusUnknown, Message: "encode reply: " + err.Error()}
	}
	return Response{Status: StatusOK, Data: b}
}

// Call makes one call over the control socket at path and returns the reply's JSON.
// The call is bounded by ctx; a deadline-less ctx gets 30 s.
func Call(ctx context.Context, path, method string, args map[string]any) (jsonx.RawMessage, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	if err := ctx.Err(); err != nil {
		return nil, &Error{Status: StatusConnFailed, Message: fmt.Sprintf("cannot reach the daemon at %s: %v", path, err)}
	}
	// A unix socket connect does not block (see removeStale); ctx bounds
	// the exchange below through deadlines.
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, &Error{Status: StatusConnFailed, Message: fmt.Sprintf("cannot reach the daemon at %s: %v", path, err)}
	}
	defer c.Close()
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	b, err := jsonx.Marshal(Request{Method: method, Args: args})
	if err != nil {
		return nil, err
	}
	if _, err := c.Write(append(b, '\n')); err != nil {
		return nil, &Error{Status: StatusConnFailed, Message: "send: " + err.Error()}
	}
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	if !sc.Scan() {
		err := sc.Err()
		if err == nil {
			err = errors.New("connection closed")
		}
		if ctx.Err() != nil {
			return nil, &Error{Status: StatusTimeout, Message: method + ": " + ctx.Err().Error()}
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The socket's deadline is ctx's; its timer may fire first.
			return nil, &Error{Status: StatusTimeout, Message: method + ": " + context.DeadlineExceeded.Error()}
		}
		return nil, &Error{Status: StatusConnFailed, Message: "read reply: " + err.Error()}
	}
	var resp Response
	if err := jsonx.Unmarshal(sc.Bytes(), &resp); err != nil {
		return nil, fmt.Errorf("control: bad reply: %w", err)
	}
	if resp.Status != StatusOK {
		return nil, &Error{Status: resp.Status, Problems: resp.Problems, Message: resp.Message}
	}
	return resp.Data, nil
}
