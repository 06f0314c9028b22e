package labtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/api"
	"github.com/floatgw/floatgw/internal/control"
	"github.com/floatgw/floatgw/internal/keepalived"
)

// Helpers for the lab with floatgw daemons (scripts/lab up --floatgw): r1 runs floatgw as the
// secondary (priority 100), r2 as the preferred primary (priority 150). They drive the daemons
// through the floatgw CLI inside the namespaces (as a user would) and, where the CLI has no
// command (verify_status), through the daemon's control socket.

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// FloatgwBin returns the floatgw binary the lab runs: $FLOATGW_BIN when set, else one built
// once per test process from the repository into dir. It sets FLOATGW_BIN in the process
// environment so scripts/lab (run through Lab.Try) starts that binary. Safe for concurrent use.
func FloatgwBin(t testing.TB, dir string) string {
	t.Helper()
	binOnce.Do(func() {
		if b := os.Getenv("FLOATGW_BIN"); b != "" {
			binPath = b
			return
		}
		out := filepath.Join(dir, "floatgw")
		cmd := exec.Command("go", "build", "-o", out, "./cmd/floatgw")
		cmd.Dir = RepoRoot(t)
		if b, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build ./cmd/floatgw: %v\n%s", err, b)
			return
		}
		binPath = out
		binErr = os.Setenv("FLOATGW_BIN", out)
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// UpFloatgw builds the lab with floatgw daemons in r1 and r2 and waits until it has settled:
// r2 holds the VIP, the daemons report r2 MASTER and r1 BACKUP, and r1 has heard r2's adverts.
func UpFloatgw(t testing.TB, binDir string) *Lab {
	t.Helper()
	RequireLab(t, true)
	FloatgwBin(t, binDir)
	l := Up(t, "--floatgw")
	l.WaitSettled(20 * time.Second)
	l.WaitPeerQuiet(10 * time.Second)
	return l
}

// QuietMs is how long r1 must have been silent, as r2 sees it, before a test verifies on r2:
// the pre-check counts adverts up to about two listen windows old (≈3.6 s), and r1 may have
// been MASTER for a moment at start-up (both start in BACKUP) or until a failback.
// TestVerifyRightAfterFailback is the test of a run started without this wait.
const QuietMs = 4000

// WaitPeerQuiet waits until r2's daemon has heard no advert from r1 for QuietMs (or never
// heard one).
func (l *Lab) WaitPeerQuiet(timeout time.Duration) time.Duration {
	l.t.Helper()
	return l.Eventually(timeout, "r1 silent as r2 sees it", func() string {
		st, err := l.TryStatus("r2")
		if err != nil {
			return err.Error()
		}
		if st.Peer.Seen && st.Peer.LastAdvertMs < QuietMs {
			return fmt.Sprintf("r2 heard r1 %d ms ago (%+v)", st.Peer.LastAdvertMs, st.Peer)
		}
		return ""
	})
}

// Node is what one router looks like right now, from the daemon and the kernel.
type Node struct {
	State    string
	Priority int  // effective priority the daemon reports
	HasVIP   bool // the VIP is on lan0 (ip -4 addr)
}

// Snapshot is both routers at one moment.
type Snapshot struct{ R1, R2 Node }

func (s Snapshot) String() string {
	return fmt.Sprintf("r1 %s prio %d vip %v; r2 %s prio %d vip %v",
		s.R1.State, s.R1.Priority, s.R1.HasVIP, s.R2.State, s.R2.Priority, s.R2.HasVIP)
}

// Baseline is the settled lab: r2 MASTER at 150 with the VIP, r1 BACKUP at 100 without.
var Baseline = Snapshot{
	R1: Node{State: api.StateBackup, Priority: 100},
	R2: Node{State: api.StateMaster, Priority: 150, HasVIP: true},
}

// Snap reads both routers now.
func (l *Lab) Snap() (Snapshot, error) {
	var s Snapshot
	for _, n := range []struct {
		name string
		into *Node
	}{{"r1", &s.R1}, {"r2", &s.R2}} {
		st, err := l.TryStatus(n.name)
		if err != nil {
			return s, err
		}
		n.into.State, n.into.Priority = st.Node.State, st.Node.EffectivePriority
		has, err := l.HasVIP(n.name)
		if err != nil {
			return s, err
		}
		n.into.HasVIP = has
	}
	return s, nil
}

// WaitSettled waits until the lab is back to Baseline and returns how long it took.
func (l *Lab) WaitSettled(timeout time.Duration) time.Duration {
	l.t.Helper()
	start := time.Now()
	var last Snapshot
	var err error
	for time.Since(start) < timeout {
		last, err = l.Snap()
		if err == nil && last == Baseline {
			return time.Since(start)
		}
		time.Sleep(100 * time.Millisecond)
	}
	st, _ := l.Try("status")
	l.t.Fatalf("lab not settled after %v: want %v, have %v (err %v)\n%s", timeout, Baseline, last, err, st)
	return 0
}

// Floatgw runs the floatgw CLI inside node and returns its stdout+stderr and exit code
// (-1 when it could not run).
func (l *Lab) Floatgw(node string, args ...string) (string, int) {
	out, err := l.Exec(node, append([]string{os.Getenv("FLOATGW_BIN")}, args...)...)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out, 0
	case errors.As(err, &ee):
		return out, ee.ExitCode()
	}
	return out + err.Error(), -1
}

// FloatgwJSON runs `floatgw ARGS... --json` in node, decodes stdout into v and returns the
// exit code. Only stdout is decoded; stderr is reported on a decode error.
func (l *Lab) FloatgwJSON(node string, v any, args ...string) (int, error) {
	argv := append([]string{"exec", node, os.Getenv("FLOATGW_BIN")}, args...)
	argv = append(argv, "--json")
	cmd := exec.Command(filepath.Join(l.Root, "scripts", "lab"), argv...)
	cmd.Env = append(os.Environ(), "LAB_PREFIX="+l.Prefix, "PATH=/usr/sbin:/sbin:"+os.Getenv("PATH"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		return -1, err
	}
	if derr := json.Unmarshal(out, v); derr != nil {
		return code, fmt.Errorf("floatgw %s in %s (exit %d): %v\nstdout: %s\nstderr: %s",
			strings.Join(args, " "), node, code, derr, out, stderr.String())
	}
	return code, nil
}

// TryStatus is `floatgw status --json` in node.
func (l *Lab) TryStatus(node string) (api.StatusReply, error) {
	var st api.StatusReply
	_, err := l.FloatgwJSON(node, &st, "status")
	return st, err
}

// Status is TryStatus that fails the test on error.
func (l *Lab) Status(node string) api.StatusReply {
	l.t.Helper()
	st, err := l.TryStatus(node)
	if err != nil {
		l.t.Fatal(err)
	}
	return st
}

// Socket is the control socket of node's daemon.
func (l *Lab) Socket(node string) string {
	return filepath.Join(l.State, node, "root", "var", "run", "floatgw.sock")
}

// Call calls method on node's daemon over its control socket and decodes the reply into v.
func (l *Lab) Call(node, method string, args map[string]any, v any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	data, err := control.Call(ctx, l.Socket(node), method, args)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(data), v)
}

// HasVIP reports whether the VIP is on an interface of node (ip -4 addr).
func (l *Lab) HasVIP(node string) (bool, error) {
	out, err := l.Exec(node, "ip", "-o", "-4", "addr", "show")
	if err != nil {
		return false, fmt.Errorf("ip addr in %s: %v\n%s", node, err, out)
	}
	return strings.Contains(out, " "+VIP+"/"), nil
}

// NodeFile is a path under node's state directory.
func (l *Lab) NodeFile(node string, rel ...string) string {
	return filepath.Join(append([]string{l.State, node}, rel...)...)
}

// ReadPid reads a pid file; 0 when missing or empty.
func ReadPid(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

// KeepalivedDump makes node's keepalived write its JSON dump and returns it parsed.
func (l *Lab) KeepalivedDump(node string) []keepalived.InstanceState {
	l.t.Helper()
	pid := ReadPid(l.NodeFile(node, "keepalived.pid"))
	if pid == 0 {
		l.t.Fatalf("no keepalived pid in %s", l.NodeFile(node, "keepalived.pid"))
	}
	out, err := exec.Command(lookPath("keepalived"), "--signum=JSON").Output()
	if err != nil {
		l.t.Fatalf("keepalived --signum=JSON: %v", err)
	}
	sig, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		l.t.Fatalf("keepalived --signum=JSON printed %q", out)
	}
	path := l.NodeFile(node, "tmp", "keepalived.json")
	old, _ := os.Stat(path)
	if err := exec.Command("kill", "-s", strconv.Itoa(sig), strconv.Itoa(pid)).Run(); err != nil {
		l.t.Fatalf("kill -s %d %d: %v", sig, pid, err)
	}
	// keepalived writes the file in place, not atomically: wait for a newer file that parses.
	var lastErr error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		fi, err := os.Stat(path)
		if err != nil || (old != nil && !fi.ModTime().After(old.ModTime())) {
			lastErr = fmt.Errorf("no new dump at %s", path)
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			lastErr = err
			continue
		}
		inst, err := keepalived.ParseJSONDump(b)
		if err != nil {
			lastErr = err
			continue
		}
		return inst
	}
	l.t.Fatalf("keepalived JSON dump of %s: %v", node, lastErr)
	return nil
}

// Eventually polls cond every 100 ms until it returns "" (done) or timeout passes; then it
// fails the test with the last thing cond said. It returns how long it took.
func (l *Lab) Eventually(timeout time.Duration, what string, cond func() string) time.Duration {
	l.t.Helper()
	start := time.Now()
	var why string
	for {
		why = cond()
		if why == "" {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	st, _ := l.Try("status")
	l.t.Fatalf("%s: not so after %v: %s\n%s", what, timeout, why, st)
	return 0
}

// ProcState is the State letter of /proc/<pid>/status ("S", "R", "T", …), "" if gone.
func ProcState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "State:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				return f[0]
			}
		}
	}
	return ""
}

// FindProblem returns the first problem with one of codes, or nil.
func FindProblem(ps []api.Problem, codes ...api.Code) *api.Problem {
	for i := range ps {
		for _, c := range codes {
			if ps[i].Code == c {
				return &ps[i]
			}
		}
	}
	return nil
}

// Codes lists the codes of ps, for messages.
func Codes(ps []api.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, string(p.Code))
	}
	return out
}

// StepOf returns the named step of run, or a zero Step.
func StepOf(run api.VerifyRun, name string) api.Step {
	for _, s := range run.Steps {
		if s.Name == name {
			return s
		}
	}
	return api.Step{}
}
