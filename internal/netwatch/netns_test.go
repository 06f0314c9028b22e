package netwatch

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// testNetns is a network namespace created by a test (ip netns add) and
// deleted in its cleanup.
type testNetns struct {
	name string
	f    *os.File
}

// needNetns skips loudly unless the test runs as root with `ip netns`.
func needNetns(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("SKIPPED: needs root to create network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("SKIPPED: iproute2 `ip` not found")
	}
	if out, err := exec.Command("ip", "netns", "list").CombinedOutput(); err != nil {
		t.Skipf("SKIPPED: `ip netns` unavailable: %v %s", err, out)
	}
}

func newNetns(t *testing.T, suffix string) *testNetns {
	t.Helper()
	name := fmt.Sprintf("fgwt-nw-%d-%s", os.Getpid(), suffix)
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	f, err := os.Open("/run/netns/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &testNetns{name: name, f: f}
}

func (n *testNetns) fd() int { return int(n.f.Fd()) }

// ip runs `ip -n NS args...`.
func (n *testNetns) ip(t *testing.T, args ...string) {
	t.Helper()
	run(t, "ip", append([]string{"-n", n.name}, args...)...)
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
