package keepalived

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "k.conf")
	changed, err := WriteFileAtomic(p, []byte("a\n"), 0o644)
	if err != nil || !changed {
		t.Fatalf("first write: %v %v", changed, err)
	}
	changed, err = WriteFileAtomic(p, []byte("a\n"), 0o644)
	if err != nil || changed {
		t.Fatalf("same content: changed=%v err=%v", changed, err)
	}
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	changed, _ = WriteFileAtomic(p, []byte("a\n"), 0o644)
	if !changed {
		t.Error("mode drift not repaired")
	}
	changed, _ = WriteFileAtomic(p, []byte("b\n"), 0o644)
	got, _ := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if !changed || string(got) != "b\n" || fi.Mode().Perm() != 0o644 {
		t.Errorf("content %q mode %v changed %v", got, fi.Mode(), changed)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("temp files left: %v", ents)
	}
	if _, err := WriteFileAtomic(filepath.Join(dir, "missing", "x"), nil, 0o644); err == nil {
		t.Error("write into a missing directory succeeded")
	}
}

func TestAddInclude(t *testing.T) {
	const inc = "/etc/keepalived/floatgw.conf"
	added := "# Added once by floatgw: its VRRP instances live in the included file.\ninclude " + inc + "\n"
	tests := []struct {
		name, in, want string
		add            bool
	}{
		{"empty", "", added, true},
		{"no newline at end", "global_defs {\n}", "global_defs {\n}\n" + added, true},
		{"user file kept", "! mine\nvrrp_instance X {\n  # comment\n}\n", "! mine\nvrrp_instance X {\n  # comment\n}\n" + added, true},
		{"present", "include " + inc + "\n", "include " + inc + "\n", false},
		{"present indented quoted commented", "  include \"" + inc + "\"  # floatgw\n", "  include \"" + inc + "\"  # floatgw\n", false},
		{"commented out is not present", "# include " + inc + "\n", "# include " + inc + "\n" + added, true},
		{"other include", "include /etc/keepalived/other.conf\n", "include /etc/keepalived/other.conf\n" + added, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := []byte(tt.in)
			got, ok := AddInclude(in, inc)
			if ok != tt.add || string(got) != tt.want {
				t.Errorf("AddInclude = %v\n%s\nwant %v\n%s", ok, got, tt.add, tt.want)
			}
			if string(in) != tt.in {
				t.Error("input modified")
			}
			again, ok2 := AddInclude(got, inc)
			if ok2 || !bytes.Equal(again, got) {
				t.Error("second AddInclude changed the file")
			}
		})
	}
}

func TestEnsureIncludeThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.conf")
	link := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(real, []byte("! user\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	added, err := EnsureInclude(link, "/x/floatgw.conf")
	if err != nil || !added {
		t.Fatalf("EnsureInclude: %v %v", added, err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("symlink replaced by a file")
	}
	got, _ := os.ReadFile(real)
	fi, _ := os.Stat(real)
	if !strings.HasPrefix(string(got), "! user\n") || !strings.HasSuffix(string(got), "include /x/floatgw.conf\n") || fi.Mode().Perm() != 0o600 {
		t.Errorf("file %q mode %v", got, fi.Mode())
	}
	if added, _ := EnsureInclude(link, "/x/floatgw.conf"); added {
		t.Error("second EnsureInclude added again")
	}
}

// countingReloader records calls; it checks the Applier's decision to
// reload, not keepalived (the integration test reloads real keepalived).
type countingReloader struct {
	n   int
	err error
}

func (c *countingReloader) Reload(context.Context) error { c.n++; return c.err }

func TestApplierIdempotent(t *testing.T) {
	dir := t.TempDir()
	rl := &countingReloader{}
	a := &Applier{Path: filepath.Join(dir, "floatgw.conf"), IncludeFrom: filepath.Join(dir, "keepalived.conf"), Reloader: rl}
	conf, err := Render(baseSpec())
	if err != nil {
		t.Fatal(err)
	}
	plan, err := a.Plan(conf)
	if err != nil || !plan.ConfigChanged || !plan.IncludeAdded {
		t.Fatalf("Plan before first apply = %+v, %v", plan, err)
	}
	if _, err := os.Stat(a.Path); err == nil {
		t.Fatal("Plan wrote the file")
	}
	res, err := a.Apply(context.Background(), conf)
	if err != nil || res != (ApplyResult{ConfigChanged: true, IncludeAdded: true, Reloaded: true}) || rl.n != 1 {
		t.Fatalf("first Apply = %+v, %v, reloads %d", res, err, rl.n)
	}
	res, err = a.Apply(context.Background(), conf)
	if err != nil || res != (ApplyResult{}) || rl.n != 1 {
		t.Fatalf("second Apply = %+v, %v, reloads %d", res, err, rl.n)
	}
	if plan, _ := a.Plan(conf); plan.Changed() {
		t.Errorf("Plan after apply = %+v", plan)
	}
	s := baseSpec()
	s.Instances[0].Priority = 100
	conf2, _ := Render(s)
	rl.err = context.DeadlineExceeded
	res, err = a.Apply(context.Background(), conf2)
	if err == nil || !strings.Contains(err.Error(), "written, but reload failed") || !res.ConfigChanged || res.Reloaded {
		t.Errorf("Apply with failing reload = %+v, %v", res, err)
	}
	got, _ := os.ReadFile(a.Path)
	if !bytes.Equal(got, conf2) {
		t.Error("file not written")
	}
}

func TestPIDFileReloader(t *testing.T) {
	dir := t.TempDir()
	mark := filepath.Join(dir, "hup")
	// A real process that records SIGHUP.
	cmd := exec.Command("/bin/sh", "-c", `trap 'echo hup >> "$0"' HUP; echo ready >> "$0"; while :; do sleep 0.05; done`, mark)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitFor(t, func() bool { b, _ := os.ReadFile(mark); return strings.Contains(string(b), "ready") })
	pidFile := filepath.Join(dir, "pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := (PIDFileReloader{PIDFile: pidFile}).Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { b, _ := os.ReadFile(mark); return strings.Contains(string(b), "hup") })

	if err := (PIDFileReloader{PIDFile: filepath.Join(dir, "none")}).Reload(context.Background()); err == nil {
		t.Error("missing pid file: no error")
	}
	_ = os.WriteFile(pidFile, []byte("junk"), 0o644)
	if err := (PIDFileReloader{PIDFile: pidFile}).Reload(context.Background()); err == nil {
		t.Error("junk pid file: no error")
	}
}

func TestInitdReloader(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "keepalived")
	out := filepath.Join(dir, "args")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"$@\" > "+out+"\n[ \"$1\" = reload ] || exit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := (InitdReloader{Script: script}).Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	if string(got) != "reload\n" {
		t.Errorf("init script got args %q", got)
	}
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho boom >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := (InitdReloader{Script: script}).Reload(context.Background())
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("failing script: %v", err)
	}
	if err := os.WriteFile(script, []byte("#!/bin/sh\nsleep 5\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := (InitdReloader{Script: script, Timeout: 200 * time.Millisecond}).Reload(context.Background()); err == nil {
		t.Error("hanging script: no error")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("timeout not enforced: %v", d)
	}
}

// TestOpenWrtBuildHasNoDBus: the openwrt build tag keeps godbus out.
func TestOpenWrtBuildHasNoDBus(t *testing.T) {
	for _, tags := range []string{"openwrt", ""} {
		out, err := exec.Command("go", "list", "-tags", tags, "-deps", ".").CombinedOutput()
		if err != nil {
			t.Skipf("SKIP (go list failed): %v: %s", err, out)
		}
		has := strings.Contains(string(out), "github.com/godbus/dbus")
		if want := tags == ""; has != want {
			t.Errorf("tags %q: godbus in deps = %v, want %v", tags, has, want)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
