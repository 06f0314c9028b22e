package control

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/api"
)

func serve(t *testing.T, d Dispatcher) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ctl.sock")
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{Path: path, Dispatch: d}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(3 * time.Second):
			t.Error("Run did not return after cancel")
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("socket %s left behind", path)
		}
	})
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(path); err == nil {
			return path
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("socket never appeared")
	return ""
}

func TestCallRoundTrip(t *testing.T) {
	path := serve(t, func(ctx context.Context, m string, args map[string]any) (any, error) {
		switch m {
		case "echo":
			return args, nil
		case "bad":
			return nil, &Error{Status: StatusInvalidArgument, Problems: []api.Problem{{Code: api.ArgRange, Field: "bad.x"}}}
		case "boom":
			panic("kaboom")
		}
		return nil, &Error{Status: StatusMethodNotFound, Message: "no method " + m}
	})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want 0600", fi.Mode().Perm())
	}
	ctx := context.Background()
	got, err := Call(ctx, path, "echo", map[string]any{"a": "b"})
	if err != nil || string(got) != `{"a":"b"}` {
		t.Fatalf("echo = %s, %v", got, err)
	}
	_, err = Call(ctx, path, "bad", nil)
	var ce *Error
	if !errors.As(err, &ce) || ce.Status != StatusInvalidArgument || len(ce.Problems) != 1 || ce.Problems[0].Field != "bad.x" {
		t.Fatalf("bad: %#v", err)
	}
	_, err = Call(ctx, path, "boom", nil)
	if !errors.As(err, &ce) || ce.Status != StatusUnknown || !strings.Contains(ce.Message, "kaboom") {
		t.Fatalf("a panicking handler must become an error reply, got %v", err)
	}
	// The server survived the panic.
	if _, err := Call(ctx, path, "echo", nil); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentCalls(t *testing.T) {
	path := serve(t, func(ctx context.Context, m string, args map[string]any) (any, error) {
		time.Sleep(20 * time.Millisecond)
		return map[string]any{"m": m}, nil
	})
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := Call(context.Background(), path, "x", nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if el := time.Since(start); el > 350*time.Millisecond {
		t.Errorf("20 concurrent 20 ms calls took %v: calls are serialised", el)
	}
}

func TestBadInput(t *testing.T) {
	path := serve(t, func(ctx context.Context, m string, args map[string]any) (any, error) { return "ok", nil })
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := c.Write([]byte("{not json\n{\"method\":\"x\"}\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	var got string
	for strings.Count(got, "\n") < 2 {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("read: %v (got %q)", err, got)
		}
		got += string(buf[:n])
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if !strings.Contains(lines[0], `"status":1`) || !strings.Contains(lines[1], `"status":0`) {
		t.Errorf("replies %q", lines)
	}
	// An oversized line is refused, not buffered without bound.
	big := strings.Repeat("x", MaxLine+10)
	c2, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.SetDeadline(time.Now().Add(3 * time.Second))
	go c2.Write([]byte(big + "\n"))
	n, _ := c2.Read(buf)
	if !strings.Contains(string(buf[:n]), "longer than") {
		t.Errorf("oversized request: %q", buf[:n])
	}
}

func TestUnreachable(t *testing.T) {
	_, err := Call(context.Background(), filepath.Join(t.TempDir(), "none.sock"), "status", nil)
	var ce *Error
	if !errors.As(err, &ce) || ce.Status != StatusConnFailed {
		t.Fatalf("got %v", err)
	}
}

func TestRefusesNonSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	os.WriteFile(path, []byte("x"), 0o644)
	s := &Server{Path: path, Dispatch: func(context.Context, string, map[string]any) (any, error) { return nil, nil }}
	if err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("Run over a regular file: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "x" {
		t.Error("the file was touched")
	}
}

func TestSocketInUseAndStale(t *testing.T) {
	path := serve(t, func(context.Context, string, map[string]any) (any, error) { return "ok", nil })
	// A second daemon must not steal a socket someone listens on.
	s := &Server{Path: path, Dispatch: func(context.Context, string, map[string]any) (any, error) { return nil, nil }}
	if err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "in use by another daemon") {
		t.Fatalf("Run over a live socket: %v", err)
	}
	if _, err := Call(context.Background(), path, "x", nil); err != nil {
		t.Fatalf("the first server stopped answering: %v", err)
	}

	// A socket file left by a dead daemon is replaced.
	stale := filepath.Join(t.TempDir(), "stale.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: stale, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Stat(stale); err != nil {
		t.Fatalf("stale socket file: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	s2 := &Server{Path: stale, Dispatch: func(context.Context, string, map[string]any) (any, error) { return "fresh", nil }}
	go func() { done <- s2.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	var got string
	for i := 0; i < 100; i++ {
		b, err := Call(context.Background(), stale, "x", nil)
		if err == nil {
			got = string(b)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got != `"fresh"` {
		t.Fatalf("server over a stale socket answered %q", got)
	}
}

func TestCallContext(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	path := serve(t, func(ctx context.Context, m string, _ map[string]any) (any, error) {
		if m == "slow" {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return "ok", nil
	})
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	var ce *Error
	if _, err := Call(canceled, path, "fast", nil); !errors.As(err, &ce) || ce.Status != StatusConnFailed {
		t.Fatalf("call with a canceled context: %v", err)
	}
	ctx, cancel2 := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel2()
	start := time.Now()
	_, err := Call(ctx, path, "slow", nil)
	if !errors.As(err, &ce) || ce.Status != StatusTimeout {
		t.Fatalf("slow call: %v", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("slow call returned after %v, want about 150 ms", el)
	}
}
