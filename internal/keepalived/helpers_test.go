package keepalived

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// repoRoot walks up from the test's directory to go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// samplesDir returns ../shared/keepalived-samples/<sub> or skips loudly.
func samplesDir(t testing.TB, sub string) string {
	t.Helper()
	d := filepath.Join(repoRoot(t), "..", "shared", "keepalived-samples", sub)
	if _, err := os.Stat(d); err != nil {
		t.Skipf("SKIP (fixtures missing): %s not found; CI must clone shared/ beside the repo", d)
	}
	return d
}

// fixtureLines returns the lines of a fixture file without its "# " header.
func fixtureLines(t testing.TB, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(strings.TrimRight(string(raw), "\n"), "\n") {
		if strings.HasPrefix(l, "# ") || l == "" {
			continue
		}
		out = append(out, l)
	}
	return out
}

// needRoot skips loudly unless the test can build network namespaces.
func needNetns(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("SKIP (needs root): network-namespace test not run")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("SKIP (needs iproute2): `ip` not found, network-namespace test not run")
	}
	if out, err := exec.Command("ip", "netns", "list").CombinedOutput(); err != nil {
		t.Skipf("SKIP (ip netns unavailable): %v: %s", err, out)
	}
}

func needKeepalived(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("keepalived")
	if err != nil {
		t.Skip("SKIP (keepalived missing): install it with `apt-get install -y keepalived`; real keepalived checks not run")
	}
	return p
}

var nsCounter atomic.Int64

// newNetns creates a uniquely named namespace removed at cleanup.
func newNetns(t testing.TB, tag string) string {
	t.Helper()
	name := fmt.Sprintf("fgwt-ka-%d-%s%d", os.Getpid(), tag, nsCounter.Add(1))
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return name
}

func run(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// keepalivedTest runs the real `keepalived -t -f conf` inside a fresh
// namespace that has every device in ifnames (veth ends, up), with a
// timeout: keepalived 2.2.7 spins forever on some configs
// (keepalived-samples/config-test/bad-unknown-track-file). It returns the
// exit status and stderr; exit -1 means the timeout killed it.
func keepalivedTest(t testing.TB, conf []byte, ifnames []string) (int, string) {
	t.Helper()
	ns := newNetns(t, "t")
	for i, ifn := range ifnames {
		peer := fmt.Sprintf("fgwtp%d", i)
		run(t, "ip", "-n", ns, "link", "add", ifn, "type", "veth", "peer", "name", peer)
		run(t, "ip", "-n", ns, "link", "set", ifn, "up")
	}
	f := filepath.Join(t.TempDir(), "keepalived.conf")
	if err := os.WriteFile(f, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns, "keepalived", "-t", "-f", f)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return -1, stderr.String()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), stderr.String()
	}
	if err != nil {
		t.Fatalf("keepalived -t: %v", err)
	}
	return 0, stderr.String()
}
