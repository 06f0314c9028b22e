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
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// samplesDir returns ../shared/keepalived-samples/<sub> or skips loudly.
func samplesDir(t testing.TB, sub string) string {
	t.Helper()
	return testenv.SharedDir(t, "keepalived-samples", sub)
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

// newNetns creates a uniquely named namespace with lo up, removed at
// cleanup, and returns its name.
func newNetns(t testing.TB, tag string) string {
	t.Helper()
	ns := testenv.NewNetns(t, "ka", tag)
	ns.IP(t, "link", "set", "lo", "up")
	return ns.Name
}

func needKeepalived(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("keepalived")
	if err != nil {
		t.Skip("SKIP (keepalived missing): install it with `apt-get install -y keepalived`; real keepalived checks not run")
	}
	return p
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
		testenv.Run(t, "ip", "-n", ns, "link", "add", ifn, "type", "veth", "peer", "name", peer)
		testenv.Run(t, "ip", "-n", ns, "link", "set", ifn, "up")
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
