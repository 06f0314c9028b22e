package proc

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The tests run /bin/sh as the child: fixed scripts, never user input.

func sh(script string) []string { return []string{"/bin/sh", "-c", script} }

func TestRun(t *testing.T) {
	t.Setenv("FGW_PROC_TEST", "inherited value")
	big := strconv.Itoa(DefaultMaxOutput + 1000)
	tests := []struct {
		name    string
		cmd     Cmd
		want    Output
		wantErr string // "" means nil
		code    int    // ExitError's exit code when wantErr is an exit status
	}{
		{name: "separate streams and exit status",
			cmd:  Cmd{Argv: sh("printf out; printf err >&2; exit 3")},
			want: Output{Stdout: []byte("out"), Stderr: []byte("err")}, wantErr: "exit status 3", code: 3},
		{name: "combined interleaved",
			cmd:  Cmd{Argv: sh("printf a; printf b >&2; printf c"), Combined: true},
			want: Output{Stdout: []byte("abc")}},
		{name: "success, no output",
			cmd: Cmd{Argv: sh("exit 0")}},
		{name: "bare name looked up in PATH",
			cmd:  Cmd{Argv: []string{"sh", "-c", "printf %s \"$0\"", "zero"}},
			want: Output{Stdout: []byte("zero")}},
		{name: "stdout limit, rest drained (1 MB into 10 bytes)",
			cmd:  Cmd{Argv: sh("head -c 1000000 /dev/zero | tr '\\0' x; printf done >&2"), MaxStdout: 10},
			want: Output{Stdout: []byte("xxxxxxxxxx"), Stderr: []byte("done"), Truncated: true}},
		{name: "stderr limit, stdout kept",
			cmd:  Cmd{Argv: sh("printf 0123456789 >&2; printf ok"), MaxStderr: 4},
			want: Output{Stdout: []byte("ok"), Stderr: []byte("0123"), Truncated: true}},
		{name: "exactly the limit is not truncated",
			cmd:  Cmd{Argv: sh("printf 12345"), MaxStdout: 5},
			want: Output{Stdout: []byte("12345")}},
		{name: "combined limit covers both streams",
			cmd:  Cmd{Argv: sh("printf abc; printf def >&2"), Combined: true, MaxStdout: 4},
			want: Output{Stdout: []byte("abcd"), Truncated: true}},
		{name: "negative limit keeps nothing",
			cmd:  Cmd{Argv: sh("printf abc; printf def >&2; exit 1"), MaxStdout: -1, MaxStderr: -1},
			want: Output{Truncated: true}, wantErr: "exit status 1", code: 1},
		{name: "default limit",
			cmd:  Cmd{Argv: sh("head -c " + big + " /dev/zero | tr '\\0' y")},
			want: Output{Stdout: bytes.Repeat([]byte("y"), DefaultMaxOutput), Truncated: true}},
		{name: "stdin is /dev/null",
			cmd:  Cmd{Argv: sh("readlink /proc/self/fd/0; cat")},
			want: Output{Stdout: []byte("/dev/null\n")}},
		{name: "environment inherited",
			cmd:  Cmd{Argv: sh("printf %s \"$FGW_PROC_TEST\"")},
			want: Output{Stdout: []byte("inherited value")}},
		{name: "killed by a signal",
			cmd:     Cmd{Argv: sh("printf before; kill -9 $$")},
			want:    Output{Stdout: []byte("before")},
			wantErr: "signal: killed", code: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Run(context.Background(), tt.cmd)
			if diff := cmp.Diff(tt.want, got, cmpBytes); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("error %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			var ee *ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("error %T is no *ExitError", err)
			}
			if ee.ExitCode() != tt.code {
				t.Errorf("exit code %d, want %d", ee.ExitCode(), tt.code)
			}
		})
	}
}

// cmpBytes treats nil and empty byte slices alike.
var cmpBytes = cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) })

func TestRunStartErrors(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PATH", dir)
	noExec := filepath.Join(dir, "noexec")
	if err := os.WriteFile(noExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		argv []string
		want string
		is   error
	}{
		{"no argv", nil, "run: no program given", nil},
		{"empty program", []string{""}, "run: no program given", nil},
		{"bare name not in PATH", []string{"fgw-no-such-program", "x"},
			`"fgw-no-such-program": executable file not found in $PATH`, ErrNotFound},
		{"path does not exist", []string{"/nonexistent/fgw-prog"},
			"fork/exec /nonexistent/fgw-prog: no such file or directory", os.ErrNotExist},
		{"path not executable", []string{noExec},
			"fork/exec " + noExec + ": permission denied", os.ErrPermission},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Run(context.Background(), Cmd{Argv: tt.argv})
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			if diff := cmp.Diff(Output{}, got, cmpBytes); diff != "" {
				t.Errorf("output of a run that never started (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunContextDoneBeforeStart(t *testing.T) {
	mark := filepath.Join(t.TempDir(), "ran")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, Cmd{Argv: []string{"/bin/touch", mark}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if _, err := os.Stat(mark); err == nil {
		t.Error("the program ran although the context had ended")
	}
}

// grandchildPID reads the pid the test script printed first.
func grandchildPID(t *testing.T, out []byte) int {
	t.Helper()
	line, _, _ := strings.Cut(string(out), "\n")
	pid, err := strconv.Atoi(line)
	if err != nil || pid < 2 {
		t.Fatalf("no grandchild pid in output %q", out)
	}
	return pid
}

// alive reports whether pid runs (exists and is no zombie).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return false
	}
	return b[i+2] != 'Z' && b[i+2] != 'X'
}

// killLater kills a grandchild the test left behind.
func killLater(t *testing.T, pid int) {
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
}

// A grandchild in the background keeps the output pipe open after the
// timeout killed its parent: Run must stop waiting after WaitDelay.
func TestRunTimeoutGrandchildHoldsPipe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	out, err := Run(ctx, Cmd{Argv: sh("sleep 30 & echo $!; sleep 30")})
	took := time.Since(start)
	pid := grandchildPID(t, out.Stdout)
	killLater(t, pid)
	if err == nil || err.Error() != "signal: killed" {
		t.Errorf("error %v, want signal: killed", err)
	}
	if took > 1500*time.Millisecond {
		t.Errorf("Run returned after %v, want within 1.5 s (timeout 0.1 s + wait delay 1 s)", took)
	}
	if took < DefaultWaitDelay {
		t.Errorf("Run returned after %v: it did not wait the wait delay for the held pipe", took)
	}
	if !alive(pid) {
		t.Error("the grandchild died although no process group was asked for; the test proves nothing")
	}
}

// With ProcessGroup the timeout kills the grandchild as well, and Run
// returns without needing the wait delay.
func TestRunTimeoutKillsProcessGroup(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	out, err := Run(ctx, Cmd{Argv: sh("sleep 30 & echo $!; sleep 30"), ProcessGroup: true})
	took := time.Since(start)
	pid := grandchildPID(t, out.Stdout)
	killLater(t, pid)
	if err == nil || err.Error() != "signal: killed" {
		t.Errorf("error %v, want signal: killed", err)
	}
	if took > 900*time.Millisecond {
		t.Errorf("Run returned after %v; the group kill should close the pipe at once", took)
	}
	deadline := time.Now().Add(2 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %d still alive after the process group was killed", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The program exits 0 at once but leaves a background process holding
// stdout: the output so far and ErrWaitDelay after WaitDelay.
func TestRunWaitDelayAfterExit(t *testing.T) {
	start := time.Now()
	out, err := Run(context.Background(), Cmd{Argv: sh("sleep 30 & echo $!"), WaitDelay: 200 * time.Millisecond})
	took := time.Since(start)
	pid := grandchildPID(t, out.Stdout)
	killLater(t, pid)
	if !errors.Is(err, ErrWaitDelay) {
		t.Errorf("error %v, want ErrWaitDelay", err)
	}
	if took < 200*time.Millisecond || took > 1200*time.Millisecond {
		t.Errorf("Run returned after %v, want about the 0.2 s wait delay", took)
	}
}

// The context is cancelled while the program runs: it is killed and what
// it wrote before is kept.
func TestRunCancelKeepsOutput(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(200*time.Millisecond, cancel)
	out, err := Run(ctx, Cmd{Argv: sh("printf partial; exec sleep 30"), Combined: true})
	if err == nil || err.Error() != "signal: killed" {
		t.Errorf("error %v, want signal: killed", err)
	}
	if string(out.Stdout) != "partial" {
		t.Errorf("output %q, want %q", out.Stdout, "partial")
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("count open descriptors: %v", err)
	}
	return len(ents)
}

// settled polls f until it returns at most want or 2 s pass, and returns
// its last value. (At most: a goroutine of the runtime or of an earlier
// test may end meanwhile; a leak only ever adds.)
func settled(want int, f func() int) int {
	got := f()
	for deadline := time.Now().Add(2 * time.Second); got > want && time.Now().Before(deadline); got = f() {
		time.Sleep(20 * time.Millisecond)
	}
	return got
}

// Every path of Run releases its descriptors and goroutines.
func TestRunNoLeaks(t *testing.T) {
	paths := []struct {
		name string
		run  func() (Output, error)
	}{
		{"success", func() (Output, error) { return Run(context.Background(), Cmd{Argv: sh("printf x; printf y >&2")}) }},
		{"combined", func() (Output, error) { return Run(context.Background(), Cmd{Argv: sh("printf x"), Combined: true}) }},
		{"exit status", func() (Output, error) { return Run(context.Background(), Cmd{Argv: sh("exit 2")}) }},
		{"truncated", func() (Output, error) {
			return Run(context.Background(), Cmd{Argv: sh("head -c 200000 /dev/zero"), MaxStdout: 1})
		}},
		{"not found", func() (Output, error) { return Run(context.Background(), Cmd{Argv: []string{"fgw-no-such-program"}}) }},
		{"start fails", func() (Output, error) { return Run(context.Background(), Cmd{Argv: []string{"/nonexistent/x"}}) }},
		{"timeout, grandchild holds the pipe", func() (Output, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			return Run(ctx, Cmd{Argv: sh("sleep 30 & echo $!; sleep 30"), WaitDelay: 100 * time.Millisecond})
		}},
		{"timeout, process group", func() (Output, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			return Run(ctx, Cmd{Argv: sh("sleep 30 & echo $!; sleep 30"), ProcessGroup: true})
		}},
		{"exit, wait delay", func() (Output, error) {
			return Run(context.Background(), Cmd{Argv: sh("sleep 30 & echo $!"), WaitDelay: 100 * time.Millisecond})
		}},
	}
	// One run first: the runtime's poller opens its descriptors once.
	if _, err := Run(context.Background(), Cmd{Argv: sh("exit 0")}); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			fds, gs := openFDs(t), runtime.NumGoroutine()
			out, _ := p.run()
			if strings.Contains(p.name, "grandchild") || strings.Contains(p.name, "wait delay") {
				killLater(t, grandchildPID(t, out.Stdout))
			}
			if got := settled(fds, func() int { return openFDs(t) }); got > fds {
				t.Errorf("open descriptors %d before, %d after", fds, got)
			}
			if got := settled(gs, runtime.NumGoroutine); got > gs {
				t.Errorf("goroutines %d before, %d after", gs, got)
			}
		})
	}
}

// The point of this package: the OpenWrt binary links no os/exec. (go list
// answers from the source, so this guards every future import, not only
// the callers converted today.)
func TestOpenWrtBinaryHasNoOSExec(t *testing.T) {
	goBin, err := LookPath("go")
	if err != nil {
		t.Skipf("SKIP: no go toolchain in PATH to list the binary's packages: %v", err)
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			t.Fatal("no go.mod above the package directory")
		}
		root = parent
	}
	cmd := exec.Command(goBin, "list", "-deps", "-tags", "openwrt", "./cmd/floatgw")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/floatgw/floatgw/internal/proc") {
		t.Fatalf("go list output not understood (no internal/proc among %d packages)", len(deps))
	}
	if slices.Contains(deps, "os/exec") {
		t.Error("cmd/floatgw built with -tags openwrt links os/exec; run programs with internal/proc")
	}
}
