package labtest

// Helpers of the doctor lab tests (doctor_test.go). Every name starts with "doc" so the
// other lab tests of this package can grow their own helpers beside these.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/api"
)

// binDir holds the floatgw binary built for this test process (unless FLOATGW_BIN is set); the
// package's TestMain sets it.
var binDir string

// docBin is the floatgw binary the lab daemons run: the package's one build (FloatgwBin, into
// the TestMain directory), or $FLOATGW_BIN.
func docBin(t testing.TB) string { return FloatgwBin(t, binDir) }

// docUp builds a lab whose routers run floatgw daemons (scripts/lab up --floatgw [args]) and
// waits until the preferred router, r2, holds the VIP alone.
func docUp(t *testing.T, args ...string) *Lab {
	t.Helper()
	RequireLab(t, true)
	if _, err := exec.LookPath("nft"); err != nil && lookPath("nft") == "" {
		msg := "LAB TEST SKIPPED: nft is not installed (apt-get install -y nftables)"
		fmt.Fprintln(os.Stderr, "!!!", msg)
		t.Skip(msg)
	}
	docBin(t)
	l := Up(t, append([]string{"--floatgw"}, args...)...)
	l.WaitHolder("r2", 15*time.Second)
	return l
}

// docNode is the state directory of a lab node.
func docNode(l *Lab, node string) string { return filepath.Join(l.State, node) }

// docRun is one `floatgw doctor --json [--fix]` inside a lab router.
type docRun struct {
	Node  string
	Fix   bool
	Exit  int
	Reply api.DoctorReply
	Raw   string
}

// docDoctor runs `floatgw doctor --json` (with --fix when fix) in node and parses the reply.
func docDoctor(t *testing.T, l *Lab, node string, fix bool) docRun {
	t.Helper()
	args := []string{"exec", node, docBin(t), "doctor", "--json"}
	if fix {
		args = append(args, "--fix")
	}
	cmd := exec.Command(filepath.Join(l.Root, "scripts", "lab"), args...)
	cmd.Env = append(os.Environ(), "LAB_PREFIX="+l.Prefix, "PATH=/usr/sbin:/sbin:"+os.Getenv("PATH"))
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := docRun{Node: node, Fix: fix, Raw: stdout.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.Exit = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("floatgw doctor in %s: %v\n%s", node, err, stderr.String())
	}
	if jerr := json.Unmarshal([]byte(r.Raw), &r.Reply); jerr != nil {
		t.Fatalf("floatgw doctor in %s (exit %d): reply is not JSON: %v\nstdout:\n%s\nstderr:\n%s", node, r.Exit, jerr, r.Raw, stderr.String())
	}
	t.Logf("doctor%s on %s (exit %d): %s", map[bool]string{true: " --fix"}[fix], node, r.Exit, r.Summary())
	return r
}

// Summary is one line: each problem as severity:CODE, then the fixes attempted.
func (r docRun) Summary() string {
	var parts []string
	for _, p := range r.Reply.Problems {
		parts = append(parts, fmt.Sprintf("%s:%s", p.Severity, p.Code))
	}
	s := "[" + strings.Join(parts, " ") + "]"
	if len(r.Reply.Fixed) > 0 {
		var f []string
		for _, x := range r.Reply.Fixed {
			f = append(f, fmt.Sprintf("%s ok=%v %s", x.ID, x.OK, x.Detail))
		}
		s += " fixed [" + strings.Join(f, "; ") + "]"
	}
	return s
}

// Problem returns the problem with code, if reported.
func (r docRun) Problem(code api.Code) (api.Problem, bool) {
	for _, p := range r.Reply.Problems {
		if p.Code == code {
			return p, true
		}
	}
	return api.Problem{}, false
}

// Errors lists the codes of error-severity problems.
func (r docRun) Errors() []api.Code {
	var out []api.Code
	for _, p := range r.Reply.Problems {
		if p.Severity == api.SeverityError {
			out = append(out, p.Code)
		}
	}
	return out
}

// FixResult returns the result of the fix id, if attempted.
func (r docRun) FixResult(id string) (api.FixResult, bool) {
	for _, f := range r.Reply.Fixed {
		if f.ID == id {
			return f, true
		}
	}
	return api.FixResult{}, false
}

// docWaitCode runs doctor in node until it reports code (or the deadline passes) and returns
// the last run; the caller asserts.
func docWaitCode(t *testing.T, l *Lab, node string, code api.Code, timeout time.Duration) docRun {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := docDoctor(t, l, node, false)
		if _, ok := r.Problem(code); ok || time.Now().After(deadline) {
			return r
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// docMustHave fails the test unless r reports code with severity sev, and returns it.
func docMustHave(t *testing.T, r docRun, code api.Code, sev api.Severity) api.Problem {
	t.Helper()
	p, ok := r.Problem(code)
	if !ok {
		t.Errorf("doctor on %s does not report %s; it reports %s\n%s", r.Node, code, r.Summary(), r.Raw)
		return p
	}
	if p.Severity != sev {
		t.Errorf("doctor on %s reports %s with severity %s, want %s", r.Node, code, p.Severity, sev)
	}
	if r.Exit != 1 {
		t.Errorf("doctor on %s exits %d with problems, want 1", r.Node, r.Exit)
	}
	return p
}

// docMustLack fails the test if r reports code.
func docMustLack(t *testing.T, r docRun, code api.Code) {
	t.Helper()
	if p, ok := r.Problem(code); ok {
		t.Errorf("doctor on %s still reports %s (%s, evidence %q)", r.Node, code, p.Detail, p.Evidence)
	}
}

// docSafeFixCures checks that p offers the safe fix id, that `doctor --fix` on node applies it,
// and that p's code is gone afterwards.
func docSafeFixCures(t *testing.T, l *Lab, node string, p api.Problem, id string) {
	t.Helper()
	if p.Fix == nil || p.Fix.ID != id || !p.Fix.Safe {
		t.Fatalf("%s offers fix %+v, want the safe %s", p.Code, p.Fix, id)
	}
	f := docDoctor(t, l, node, true)
	if res, ok := f.FixResult(id); !ok || !res.OK {
		t.Errorf("doctor --fix: %s result %+v (attempted %v)", id, res, ok)
	}
	docMustLack(t, f, p.Code)
}

// docExec runs a command in a node and fails the test when it fails.
func docExec(t *testing.T, l *Lab, node string, args ...string) string {
	t.Helper()
	out, err := l.Exec(node, args...)
	if err != nil {
		t.Fatalf("%s: %s: %v\n%s", node, strings.Join(args, " "), err, out)
	}
	return out
}

// docNft adds table ip <table> with one base chain on hook and one rule, in node (a router,
// family ip; or the switch, family bridge).
func docNft(t *testing.T, l *Lab, node, family, table, hook, rule string) {
	t.Helper()
	docExec(t, l, node, "nft", "add", "table", family, table)
	docExec(t, l, node, "nft", "add", "chain", family, table, "c", "{ type filter hook "+hook+" priority 0 ; }")
	docExec(t, l, node, append([]string{"nft", "add", "rule", family, table, "c"}, strings.Fields(rule)...)...)
}

// docNftDelete removes a table docNft made (no error if it is gone).
func docNftDelete(l *Lab, node, family, table string) {
	_, _ = l.Exec(node, "nft", "delete", "table", family, table)
}

// docKeepalivedRunning says whether scripts/lab's keepalived in node is alive.
func docKeepalivedRunning(l *Lab, node string) bool {
	out, err := l.Try("keepalived", node, "pid")
	pid := strings.TrimSpace(out)
	if err != nil || pid == "" {
		return false
	}
	return exec.Command("kill", "-0", pid).Run() == nil
}

// docReadFile reads a file and fails the test on error.
func docReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// docWriteFile writes a file and fails the test on error.
func docWriteFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// docApply runs `floatgw apply` in node.
func docApply(t *testing.T, l *Lab, node string) string {
	t.Helper()
	out, err := l.Exec(node, docBin(t), "apply")
	if err != nil {
		t.Fatalf("floatgw apply in %s: %v\n%s", node, err, out)
	}
	return out
}

// docSetOption replaces (or adds) `option name 'value'` in the 'main' section of a router's
// /etc/config/floatgw; the lab's file has the main section first.
func docSetOption(t *testing.T, l *Lab, node, name, value string) {
	t.Helper()
	p := filepath.Join(docNode(l, node), "root", "etc", "config", "floatgw")
	lines := strings.Split(string(docReadFile(t, p)), "\n")
	done := false
	for i, ln := range lines {
		f := strings.Fields(ln)
		if len(f) >= 2 && f[0] == "option" && f[1] == name {
			lines[i] = fmt.Sprintf("\toption %s '%s'", name, value)
			done = true
			break
		}
	}
	if !done {
		for i, ln := range lines {
			if strings.HasPrefix(ln, "config floatgw") {
				lines = append(lines[:i+1], append([]string{fmt.Sprintf("\toption %s '%s'", name, value)}, lines[i+1:]...)...)
				done = true
				break
			}
		}
	}
	if !done {
		t.Fatalf("%s has no config floatgw section", p)
	}
	docWriteFile(t, p, []byte(strings.Join(lines, "\n")))
}

// docRestoreFile saves path now and returns a function that writes it back.
func docRestoreFile(t *testing.T, path string) func() {
	t.Helper()
	orig := docReadFile(t, path)
	return func() { _ = os.WriteFile(path, orig, 0o644) }
}

// docWaitFor polls cond every 100 ms until it holds or timeout passes.
func docWaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}
