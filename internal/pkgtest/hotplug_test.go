package pkgtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/floatgw/floatgw/internal/testenv"
	"github.com/google/go-cmp/cmp"
)

// TestHotplugIface runs /etc/hotplug.d/iface/50-floatgw the way
// hotplug-call does (sourced in a subshell, netifd's variables in the
// environment) in a chroot holding the real init script, a recording
// /etc/rc.common and a recording /usr/sbin/floatgw.
func TestHotplugIface(t *testing.T) {
	root := testenv.RepoRoot(t)
	c := newChroot(t)
	script, err := os.ReadFile(filepath.Join(root, "scripts/hotplug/iface/50-floatgw"))
	if err != nil {
		t.Fatal(err)
	}
	initd, err := os.ReadFile(filepath.Join(root, "initd/floatgw"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, c.path("etc/hotplug.d/iface/50-floatgw"), 0o644, string(script))
	writeFile(t, c.path("etc/init.d/floatgw"), 0o755, string(initd))
	writeFile(t, c.path("etc/rc.common"), 0o755, rcCommonStub)
	// The daemon's forwarder records its arguments and the variables it reads.
	writeFile(t, c.path("usr/sbin/floatgw"), 0o755, `#!/bin/sh
(IFS='|'; printf '%s\n' "floatgw|$*|ACTION=$ACTION|INTERFACE=$INTERFACE|DEVICE=$DEVICE") >>/calls
rc=0
[ -f /stub/floatgw.rc ] && read -r rc </stub/floatgw.rc
exit "$rc"
`)
	c.stub(t, "stub/logger")

	const (
		enabled = "rc.common|/etc/init.d/floatgw|enabled"
		running = "rc.common|/etc/init.d/floatgw|running"
	)
	fwd := func(action string) string {
		return "floatgw|hotplug|iface|ACTION=" + action + "|INTERFACE=lan|DEVICE=br-lan"
	}
	tests := []struct {
		name     string
		action   string
		enabled  bool
		running  bool
		failFwd  bool
		want     []string
		wantExit int
	}{
		{name: "ifup forwarded", action: "ifup", enabled: true, running: true,
			want: []string{enabled, running, fwd("ifup")}},
		{name: "ifupdate forwarded", action: "ifupdate", enabled: true, running: true,
			want: []string{enabled, running, fwd("ifupdate")}},
		{name: "ifdown forwarded", action: "ifdown", enabled: true, running: true,
			want: []string{enabled, running, fwd("ifdown")}},
		{name: "other actions ignored without asking anything", action: "ifup-failed", enabled: true, running: true},
		{name: "empty action ignored", action: "", enabled: true, running: true},
		{name: "service disabled", action: "ifup", running: true, want: []string{enabled}},
		{name: "daemon not running", action: "ifup", enabled: true, want: []string{enabled, running}},
		{name: "forwarding fails: logged, hotplug goes on", action: "ifup", enabled: true, running: true, failFwd: true,
			want: []string{enabled, running, fwd("ifup"),
				"logger|-t|floatgw|-p|daemon.warn|hotplug: could not forward ifup of interface lan"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for f, on := range map[string]bool{"stub/enabled": tt.enabled, "stub/running": tt.running} {
				_ = os.Remove(c.path(f))
				if on {
					writeFile(t, c.path(f), 0o644, "")
				}
			}
			_ = os.Remove(c.path("stub/floatgw.rc"))
			if tt.failFwd {
				writeFile(t, c.path("stub/floatgw.rc"), 0o644, "1")
			}
			code, out := c.run(t, []string{"ACTION=" + tt.action, "INTERFACE=lan", "DEVICE=br-lan"},
				"( . /etc/hotplug.d/iface/50-floatgw )")
			if code != tt.wantExit {
				t.Errorf("exit %d, want %d; output %q", code, tt.wantExit, out)
			}
			if diff := cmp.Diff(tt.want, c.calls(t)); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}
