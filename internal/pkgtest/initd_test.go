package pkgtest

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floatgw/floatgw/internal/testenv"
	"github.com/google/go-cmp/cmp"
)

// runInit sources initd/floatgw with the procd stub (see
// testdata/initd-harness.sh), calls funcs and returns the recorded lines
// after the source step, and stderr.
func runInit(t *testing.T, env map[string]string, funcs ...string) (lines []string, stderr string) {
	t.Helper()
	root := testenv.RepoRoot(t)
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	prog := filepath.Join(dir, "floatgw")
	// The daemon's validator: records its arguments; with STUB_VALIDATE=1
	// it fails with a message in the daemon's format.
	writeFile(t, prog, 0o755, `#!/bin/sh
(IFS='|'; printf '%s\n' "floatgw|$*") >>"$STUB_LOG"
[ "${STUB_VALIDATE:-0}" = 0 ] && exit 0
echo 'floatgw.main.vip: not an IPv4 address, got "10.0.0"'
exit 1
`)
	writeFile(t, filepath.Join(dir, "bin", "logger"), 0o755, recorder("logger", log))

	args := append([]string{filepath.Join(root, "internal/pkgtest/testdata/initd-harness.sh"), filepath.Join(root, "initd/floatgw")}, funcs...)
	cmd := exec.Command("sh", args...)
	cmd.Env = []string{
		"PATH=" + filepath.Join(dir, "bin") + ":/usr/bin:/bin",
		"STUB_LOG=" + log,
		"STUB_DIR=" + filepath.Join(root, "internal/pkgtest/testdata/procd-stub"),
		"STUB_PROG=" + prog,
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var errb strings.Builder
	cmd.Stderr = &errb
	if out, err := cmd.Output(); err != nil {
		t.Fatalf("harness: %v\nstdout: %s\nstderr: %s", err, out, errb.String())
	}
	all := readLines(t, log)
	if len(all) < 2 || all[0] != "after-source" {
		t.Fatalf("sourcing the init script must not call anything (no logic at file scope), got %q", all)
	}
	// START 65 is before keepalived's 70 (floatgw renders keepalived's
	// configuration and must hear its first notification), STOP 10 after
	// keepalived's 01.
	if want := "PROG|/usr/sbin/floatgw|START|65|STOP|10|USE_PROCD|1"; all[1] != want {
		t.Fatalf("init script settings: got %q, want %q", all[1], want)
	}
	return replaceProg(all[2:], prog), errb.String()
}

func replaceProg(lines []string, prog string) []string {
	for i, l := range lines {
		lines[i] = strings.ReplaceAll(l, prog, "PROG")
	}
	return lines
}

// The exact procd instance floatgw runs as; PROG is /usr/sbin/floatgw.
var wantInstance = []string{
	"procd_open_instance",
	"procd_set_param|command|PROG|daemon",
	"procd_set_param|respawn|3600|5|5",
	"procd_set_param|file|/etc/config/floatgw",
	"procd_set_param|reload_signal|HUP",
	"procd_set_param|term_timeout|5",
	"procd_set_param|stderr|1",
	"procd_close_instance",
}

func concat(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestInitScript(t *testing.T) {
	validate := "uci_load_validate|floatgw|floatgw|main|start_floatgw|enabled:bool:1"
	tests := []struct {
		name       string
		env        map[string]string
		funcs      []string
		want       []string
		wantStderr string
	}{
		{
			name:  "enabled and valid: one instance",
			env:   map[string]string{"STUB_ENABLED": "1"},
			funcs: []string{"start_service"},
			want:  concat([]string{validate, "floatgw|validate"}, wantInstance, []string{"start_service|rc=0"}),
		},
		{
			name:  "disabled: no instance, not an error",
			env:   map[string]string{"STUB_ENABLED": "0"},
			funcs: []string{"start_service"},
			want:  []string{validate, "start_service|rc=0"},
		},
		{
			name:       "uci validation fails: no instance, error",
			env:        map[string]string{"STUB_ENABLED": "1", "STUB_VALID": "1"},
			funcs:      []string{"start_service"},
			want:       []string{validate, "start_service|rc=1"},
			wantStderr: "section floatgw.main failed validation",
		},
		{
			name:  "floatgw validate fails: no instance, reason logged",
			env:   map[string]string{"STUB_ENABLED": "1", "STUB_VALIDATE": "1"},
			funcs: []string{"start_service"},
			want: []string{validate, "floatgw|validate",
				`logger|-t|floatgw|-p|daemon.err|invalid configuration, not (re)started: floatgw.main.vip: not an IPv4 address, got "10.0.0"`,
				"start_service|rc=1"},
			wantStderr: `floatgw.main.vip: not an IPv4 address, got "10.0.0"`,
		},
		{
			name:  "triggers: reload on the floatgw config, validation described to procd",
			funcs: []string{"service_triggers"},
			want: []string{
				"procd_add_reload_trigger|floatgw",
				"procd_add_validation|validate_floatgw_section",
				"uci_load_validate|floatgw|floatgw|||enabled:bool:1",
				"service_triggers|rc=0",
			},
		},
		{
			name:  "reload with a valid config: procd compares (and sends HUP)",
			env:   map[string]string{"STUB_ENABLED": "1"},
			funcs: []string{"reload_service"},
			want: concat([]string{"uci_load_validate|floatgw|floatgw|main|reload_floatgw|enabled:bool:1",
				"floatgw|validate", "rc.common-start", validate, "floatgw|validate"},
				wantInstance, []string{"reload_service|rc=0"}),
		},
		{
			name:  "reload with an invalid config: running daemon left alone",
			env:   map[string]string{"STUB_ENABLED": "1", "STUB_VALIDATE": "1"},
			funcs: []string{"reload_service"},
			want: []string{"uci_load_validate|floatgw|floatgw|main|reload_floatgw|enabled:bool:1",
				"floatgw|validate",
				`logger|-t|floatgw|-p|daemon.err|invalid configuration, not (re)started: floatgw.main.vip: not an IPv4 address, got "10.0.0"`,
				"reload_service|rc=1"},
			wantStderr: "invalid configuration",
		},
		{
			name:  "reload after disabling: no instance, so procd stops the daemon",
			env:   map[string]string{"STUB_ENABLED": "0", "STUB_VALIDATE": "1"},
			funcs: []string{"reload_service"},
			want: []string{"uci_load_validate|floatgw|floatgw|main|reload_floatgw|enabled:bool:1",
				"rc.common-start", validate, "reload_service|rc=0"},
		},
		{
			name:  "running asks procd about floatgw",
			env:   map[string]string{"STUB_RUNNING": "1"},
			funcs: []string{"service_running"},
			want:  []string{"procd_running|floatgw|*", "service_running|rc=0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, stderr := runInit(t, tt.env, tt.funcs...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("recorded calls (-want +got):\n%s", diff)
			}
			if tt.wantStderr == "" && stderr != "" {
				t.Errorf("unexpected stderr: %q", stderr)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.wantStderr)
			}
		})
	}
}
