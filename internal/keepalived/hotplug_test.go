package keepalived

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/testenv"
	"github.com/google/go-cmp/cmp"
)

func TestParseHotplugEnv(t *testing.T) {
	base := []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOTPLUG_TYPE=keepalived", "USER=root"}
	tests := []struct {
		name string
		env  []string
		want HotplugEvent
		err  string
	}{
		{"master", []string{"ACTION=NOTIFY_MASTER", "TYPE=INSTANCE", "NAME=GW"}, HotplugEvent{"NOTIFY_MASTER", ScopeInstance, "GW", NotifyMaster}, ""},
		{"backup", []string{"ACTION=NOTIFY_BACKUP", "TYPE=INSTANCE", "NAME=GW"}, HotplugEvent{"NOTIFY_BACKUP", ScopeInstance, "GW", NotifyBackup}, ""},
		{"fault group", []string{"ACTION=NOTIFY_FAULT", "TYPE=GROUP", "NAME=G1"}, HotplugEvent{"NOTIFY_FAULT", ScopeGroup, "G1", NotifyFault}, ""},
		{"stop", []string{"NAME=GW", "TYPE=INSTANCE", "ACTION=NOTIFY_STOP"}, HotplugEvent{"NOTIFY_STOP", ScopeInstance, "GW", NotifyStop}, ""},
		{"generic notify", []string{"ACTION=NOTIFY", "TYPE=INSTANCE", "NAME=GW"}, HotplugEvent{"NOTIFY", ScopeInstance, "GW", ""}, ""},
		{"startup", []string{"ACTION=startup"}, HotplugEvent{Action: "startup"}, ""},
		{"shutdown", []string{"ACTION=shutdown", "TYPE=", "NAME="}, HotplugEvent{Action: "shutdown"}, ""},
		{"value with equals", []string{"ACTION=NOTIFY_MASTER", "TYPE=INSTANCE", "NAME=a=b"}, HotplugEvent{}, "not 1..64"},
		{"no action", []string{"TYPE=INSTANCE", "NAME=GW"}, HotplugEvent{}, "ACTION is missing"},
		{"empty action", []string{"ACTION=", "TYPE=INSTANCE", "NAME=GW"}, HotplugEvent{}, "ACTION is missing"},
		{"unknown action", []string{"ACTION=ifup", "TYPE=INSTANCE", "NAME=GW"}, HotplugEvent{}, "unknown ACTION"},
		{"lower-case action", []string{"ACTION=notify_master", "TYPE=INSTANCE", "NAME=GW"}, HotplugEvent{}, "unknown ACTION"},
		{"no type", []string{"ACTION=NOTIFY_MASTER", "NAME=GW"}, HotplugEvent{}, "TYPE is missing"},
		{"bad type", []string{"ACTION=NOTIFY_MASTER", "TYPE=VS", "NAME=GW"}, HotplugEvent{}, "unknown TYPE"},
		{"no name", []string{"ACTION=NOTIFY_MASTER", "TYPE=INSTANCE"}, HotplugEvent{}, "NAME is missing"},
		{"shell in name", []string{"ACTION=NOTIFY_MASTER", "TYPE=INSTANCE", "NAME=$(reboot)"}, HotplugEvent{}, "not 1..64"},
		{"dup action", []string{"ACTION=NOTIFY_MASTER", "ACTION=NOTIFY_BACKUP", "TYPE=INSTANCE", "NAME=GW"}, HotplugEvent{}, "ACTION given twice"},
		{"long value", []string{"ACTION=NOTIFY_MASTER", "TYPE=INSTANCE", "NAME=" + strings.Repeat("a", 300)}, HotplugEvent{}, "longer than"},
		{"garbage entries", []string{"novalue", "=x", "ACTION=startup"}, HotplugEvent{Action: "startup"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseHotplugEnv(append(append([]string(nil), base...), tt.env...))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrBadHotplugEnv) {
					t.Fatalf("error = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseHotplugEnv(f *testing.F) {
	f.Add("ACTION=NOTIFY_MASTER\x00TYPE=INSTANCE\x00NAME=GW")
	f.Add("ACTION=startup")
	f.Add("ACTION=NOTIFY\x00TYPE=GROUP\x00NAME=g\x00ACTION=x")
	f.Fuzz(func(t *testing.T, joined string) {
		env := strings.Split(joined, "\x00")
		ev, err := ParseHotplugEnv(env)
		if err != nil {
			return
		}
		switch ev.Action {
		case "startup", "shutdown":
			if ev.Name != "" || ev.Scope != "" {
				t.Fatalf("startup/shutdown with name: %+v", ev)
			}
		default:
			if !isToken(ev.Name, 64) || (ev.Scope != ScopeInstance && ev.Scope != ScopeGroup) {
				t.Fatalf("accepted invalid event %+v", ev)
			}
		}
	})
}

// TestHotplugScript runs the real forwarder script with sh, the way
// hotplug-call does (sourced in a subshell with keepalived's variables).
func TestHotplugScript(t *testing.T) {
	script := filepath.Join(testenv.RepoRoot(t), "scripts", "hotplug", "keepalived", "50-floatgw")
	if _, err := os.Stat(script); err != nil {
		t.Fatal(err)
	}
	if p, err := exec.LookPath("shellcheck"); err == nil {
		if out, err := exec.Command(p, "-s", "sh", script).CombinedOutput(); err != nil {
			t.Errorf("shellcheck -s sh: %v\n%s", err, out)
		}
	} else {
		t.Log("shellcheck not installed: lint step not run")
	}
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec")
	bin := filepath.Join(dir, "floatgw-stub")
	// The stub records what the daemon side would receive.
	stub := "#!/bin/sh\nprintf '%s|%s|%s|%s\\n' \"$*\" \"$ACTION\" \"$TYPE\" \"$NAME\" >> " + rec + "\n"
	if err := os.WriteFile(bin, []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	// pidof is a stub: whether "floatgw is running" is the test's choice, not whatever else
	// runs on this machine (other tests start real floatgw daemons).
	stubs := filepath.Join(dir, "stubs")
	if err := os.MkdirAll(stubs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stubs, "pidof"), []byte("#!/bin/sh\nexit \"${PIDOF_RC:-1}\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	running := "PIDOF_RC=1"
	runScript := func(env ...string) {
		t.Helper()
		cmd := exec.Command("/bin/sh", "-c", `( . "$1" ); echo done`, "sh", script, "keepalived")
		cmd.Env = append([]string{"PATH=" + stubs + ":" + os.Getenv("PATH"), "FLOATGW_BIN=" + bin, running}, env...)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "done") {
			t.Fatalf("script: %v: %s", err, out)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("script took %v", d)
		}
	}
	read := func() string {
		b, _ := os.ReadFile(rec)
		return string(b)
	}

	// floatgw not running: nothing is forwarded.
	runScript("ACTION=NOTIFY_MASTER", "TYPE=INSTANCE", "NAME=GW")
	if got := read(); got != "" {
		t.Fatalf("forwarded while floatgw is not running: %q", got)
	}

	// floatgw running (pidof finds it): state actions are forwarded.
	running = "PIDOF_RC=0"
	runScript("ACTION=NOTIFY", "TYPE=INSTANCE", "NAME=GW") // generic: skipped
	runScript("ACTION=startup")                            // not a state: skipped
	runScript("ACTION=NOTIFY_MASTER", "TYPE=INSTANCE", "NAME=GW")
	runScript("ACTION=NOTIFY_FAULT", "TYPE=INSTANCE", "NAME=GW")
	want := "hotplug keepalived|NOTIFY_MASTER|INSTANCE|GW\nhotplug keepalived|NOTIFY_FAULT|INSTANCE|GW\n"
	deadline := time.Now().Add(3 * time.Second)
	for read() != want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // the no-timeout(1) path runs in the background
	}
	if diff := cmp.Diff(want, read()); diff != "" {
		t.Errorf("forwarded calls (-want +got):\n%s", diff)
	}

	// Whatever the forwarder passes, the daemon side parses.
	ev, err := ParseHotplugEnv([]string{"ACTION=NOTIFY_FAULT", "TYPE=INSTANCE", "NAME=GW"})
	if err != nil || ev.State != NotifyFault {
		t.Errorf("ParseHotplugEnv = %+v, %v", ev, err)
	}
}
