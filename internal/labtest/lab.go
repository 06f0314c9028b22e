package labtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/testenv"
)

// Lab is one running instance of scripts/lab, owned by a single test.
type Lab struct {
	t      testing.TB
	Prefix string
	Root   string // repository root
	State  string // /run/floatgw-lab/<prefix>
}

// VIP and the lab's fixed addresses (see scripts/lab).
const (
	VIP      = "192.168.77.1"
	R1LAN    = "192.168.77.2"
	R2LAN    = "192.168.77.3"
	ClientIP = "192.168.77.100"
	Upstream = "198.51.100.1"
)

// RepoRoot is the repository root (testenv.RepoRoot).
func RepoRoot(t testing.TB) string { return testenv.RepoRoot(t) }

// RequireLab skips the test, loudly, when the machine cannot run the lab.
func RequireLab(t testing.TB, needKeepalived bool) {
	t.Helper()
	why := ""
	switch {
	case os.Geteuid() != 0:
		why = "not root"
	case exec.Command("ip", "netns", "list").Run() != nil:
		why = "`ip netns` does not work here"
	case needKeepalived && lookPath("keepalived") == "":
		why = "keepalived is not installed (apt-get install keepalived)"
	}
	if why != "" {
		msg := fmt.Sprintf("LAB TEST SKIPPED: %s — this test needs root, network namespaces and keepalived", why)
		fmt.Fprintln(os.Stderr, "!!!", msg)
		t.Skip(msg)
	}
}

func lookPath(name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		for _, d := range []string{"/usr/sbin", "/sbin"} {
			if _, err := os.Stat(filepath.Join(d, name)); err == nil {
				return filepath.Join(d, name)
			}
		}
		return ""
	}
	return p
}

// Up builds a lab with a prefix unique to this test process and removes it at cleanup.
func Up(t testing.TB, args ...string) *Lab {
	t.Helper()
	RequireLab(t, true)
	l := &Lab{t: t, Prefix: fmt.Sprintf("fgwt%d", os.Getpid()%100000), Root: RepoRoot(t)}
	l.State = "/run/floatgw-lab/" + l.Prefix
	l.Run("down")
	t.Cleanup(func() { l.Run("down") })
	l.Run(append([]string{"up"}, args...)...)
	return l
}

// Run runs scripts/lab with args and fails the test on error.
func (l *Lab) Run(args ...string) string {
	l.t.Helper()
	out, err := l.Try(args...)
	if err != nil {
		l.t.Fatalf("scripts/lab %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// Try runs scripts/lab with args and returns its combined output and error.
func (l *Lab) Try(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(l.Root, "scripts", "lab"), args...)
	cmd.Env = append(os.Environ(), "LAB_PREFIX="+l.Prefix, "PATH=/usr/sbin:/sbin:"+os.Getenv("PATH"))
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	return b.String(), err
}

// Exec runs a command inside a lab node.
func (l *Lab) Exec(node string, args ...string) (string, error) {
	return l.Try(append([]string{"exec", node}, args...)...)
}

// Holders returns the nodes that hold the VIP now.
func (l *Lab) Holders() []string {
	return strings.Fields(l.Run("vip-holder"))
}

// WaitHolder waits until exactly node holds the VIP and returns how long it took.
func (l *Lab) WaitHolder(node string, timeout time.Duration) time.Duration {
	l.t.Helper()
	start := time.Now()
	for {
		h := l.Holders()
		if len(h) == 1 && h[0] == node {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			st, _ := l.Try("status")
			l.t.Fatalf("VIP not settled on %s after %v (holders %v)\n%s", node, timeout, h, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
