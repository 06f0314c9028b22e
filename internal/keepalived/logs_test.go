package keepalived

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseLogLineFormats(t *testing.T) {
	tests := []struct {
		raw              string
		ident, msg, code string
		pid              int
		instance         string
		args             []string
	}{
		{"<30>Nov 21 22:11:52 Keepalived_vrrp[30511]: (GW): send advert error 1 (Operation not permitted)",
			"Keepalived_vrrp", "(GW): send advert error 1 (Operation not permitted)", "SEND_ADVERT_ERROR", 30511, "GW", []string{"1", "Operation not permitted"}},
		{"Sat Nov 21 22:09:20 2026: (GW) Entering MASTER STATE",
			"", "(GW) Entering MASTER STATE", "STATE_MASTER", 0, "GW", nil},
		{"Sat Nov 21 22:09:20 2026 daemon.info Keepalived_vrrp[1686]: (VI_1): send advert error 1 (Operation not permitted)",
			"Keepalived_vrrp", "(VI_1): send advert error 1 (Operation not permitted)", "SEND_ADVERT_ERROR", 1686, "VI_1", []string{"1", "Operation not permitted"}},
		// Seeds, troubleshooting 3.1 (keepalived 1.x wording).
		{"Mar 09 21:28:28 k8s4 Keepalived_vrrp[8548]: bogus VRRP packet received on eth0 !!!",
			"Keepalived_vrrp", "bogus VRRP packet received on eth0 !!!", "BOGUS_VRRP_PACKET", 8548, "", nil},
		{"Mar 09 21:28:43 k8s4 Keepalived_vrrp[8548]: ip address associated with VRID not present in received packet : 192.168.1.10",
			"Keepalived_vrrp", "ip address associated with VRID not present in received packet : 192.168.1.10", "VIP_NOT_IN_ADVERT", 8548, "", []string{"192.168.1.10"}},
		{"Mar 09 21:28:43 k8s4 Keepalived_vrrp[8548]: one or more VIP associated with VRID mismatch actual MASTER advert",
			"Keepalived_vrrp", "one or more VIP associated with VRID mismatch actual MASTER advert", "VRID_MISMATCH", 8548, "", nil},
		{"Sep 28 14:28:37 node Keepalived_vrrp[1686]: (VI_1): send advert error 1 (Operation not permitted)",
			"Keepalived_vrrp", "(VI_1): send advert error 1 (Operation not permitted)", "SEND_ADVERT_ERROR", 1686, "VI_1", []string{"1", "Operation not permitted"}},
		{"Sep 17 17:20:26 localhost Keepalived_vrrp[34570]: Truncating auth_pass to 8 characters",
			"Keepalived_vrrp", "Truncating auth_pass to 8 characters", "AUTH_PASS_TRUNCATED", 34570, "", nil},
		{"Sep 19 14:28:09 localhost Keepalived_vrrp[45707]: VRRP_Instance(twemproxy) sent 0 priority",
			"Keepalived_vrrp", "VRRP_Instance(twemproxy) sent 0 priority", "PRIORITY_ZERO_SENT", 45707, "twemproxy", nil},
		{"2026-11-21T22:09:20+0000 host Keepalived_vrrp[7]: (GW) ip address associated with VRID 51 not present in MASTER advert: 192.168.77.1",
			"Keepalived_vrrp", "(GW) ip address associated with VRID 51 not present in MASTER advert: 192.168.77.1", "VIP_NOT_IN_ADVERT", 7, "GW", []string{"51", "192.168.77.1"}},
		{"(bad-state-value.conf: Line 15) (GW) unknown state 'BAKUP', defaulting to BACKUP",
			"", "(bad-state-value.conf: Line 15) (GW) unknown state 'BAKUP', defaulting to BACKUP", "CONFIG_ERROR", 0, "GW", nil},
		{"<30>Nov 21 22:11:38 Keepalived_vrrp[30511]: VRRP sockpool: [ifindex(  2), family(IPv4), proto(112), fd(14,15) multicast, address(224.0.0.18)]",
			"Keepalived_vrrp", "VRRP sockpool: [ifindex(  2), family(IPv4), proto(112), fd(14,15) multicast, address(224.0.0.18)]", "", 30511, "", nil},
		{"kernel: something else entirely", "", "kernel: something else entirely", "", 0, "", nil},
	}
	for _, tt := range tests {
		l := ParseLogLine(tt.raw)
		if l.Ident != tt.ident || l.PID != tt.pid || l.Message != tt.msg {
			t.Errorf("ParseLogLine(%q) = ident %q pid %d msg %q", tt.raw, l.Ident, l.PID, l.Message)
		}
		if tt.code == "" {
			if l.Match != nil {
				t.Errorf("ParseLogLine(%q) matched %+v", tt.raw, *l.Match)
			}
			continue
		}
		if l.Match == nil {
			t.Errorf("ParseLogLine(%q): no match, want %s", tt.raw, tt.code)
			continue
		}
		if diff := cmp.Diff(LogMatch{Code: tt.code, Severity: l.Match.Severity, Instance: tt.instance, Args: tt.args}, *l.Match); diff != "" {
			t.Errorf("ParseLogLine(%q) (-want +got):\n%s", tt.raw, diff)
		}
	}
}

// TestLogFixtures runs the matcher over every log keepalived 2.2.7 wrote in
// the fixture lab and checks that each scenario shows its diagnosis code,
// and that the healthy lifecycle shows no error at all.
func TestLogFixtures(t *testing.T) {
	dir := samplesDir(t, "logs")
	codes := func(glob string) map[string]bool {
		files, _ := filepath.Glob(filepath.Join(dir, glob))
		if len(files) == 0 {
			t.Fatalf("no fixtures for %s", glob)
		}
		set := map[string]bool{}
		for _, f := range files {
			for _, l := range fixtureLines(t, f) {
				if m := ParseLogLine(l).Match; m != nil {
					set[m.Code] = true
					if m.Severity == SeverityError {
						set["severity:error"] = true
					}
				}
			}
		}
		return set
	}
	want := map[string][]string{
		"fx-a-nft-output-drop.*":             {"SEND_ADVERT_ERROR", "SPLIT_BRAIN_ELECTION"},
		"fx-a2-iptables-output-drop.*":       {"SEND_ADVERT_ERROR"},
		"fx-b-input-drop-split-brain.*":      {"SPLIT_BRAIN_ELECTION"},
		"fx-c-foreign-vrid.*":                {"VIP_NOT_IN_ADVERT"},
		"fx-d1-auth-pass-mismatch.*":         {"AUTH_PASS_MISMATCH"},
		"fx-d2-auth-type-mismatch.*":         {"AUTH_TYPE_MISMATCH"},
		"fx-d3-auth-pass-truncated.*":        {"AUTH_PASS_TRUNCATED"},
		"fx-e-advert-int-mismatch.*":         {"ADVERT_INTERVAL_MISMATCH"},
		"fx-g-vrrp-strict.*":                 {"STRICT_MODE_FIREWALL"},
		"fx-h-restart-right-after-sigkill.*": {"DAEMON_ALREADY_RUNNING", "ZOMBIE_PID_FILE"},
		"s2-fault-trackfile.*":               {"TRACK_FILE_FAULT", "TRACK_FILE_RECOVERED", "PRIORITY_ZERO_SENT", "PRIORITY_ZERO_RECEIVED", "STATE_FAULT"},
		"s1-v2-lifecycle.*":                  {"STATE_MASTER", "STATE_BACKUP", "STATE_FAULT", "RECEIVED_LOWER_PRIORITY", "EFFECTIVE_PRIORITY_CHANGED", "INTERFACE_DOWN", "ADVERT_TIMEOUT", "KEEPALIVED_STARTED", "KEEPALIVED_STOPPED"},
	}
	for glob, codesWanted := range want {
		got := codes(glob)
		for _, c := range codesWanted {
			if !got[c] {
				t.Errorf("%s: code %s not found (got %v)", glob, c, keys(got))
			}
		}
	}
	// A healthy lifecycle has no error-severity line.
	for _, g := range []string{"s1-v2-lifecycle.*", "s1-v3-lifecycle.*", "s2-fault-trackfile.*", "timing-v2.*"} {
		if got := codes(g); got["severity:error"] {
			t.Errorf("%s: error-severity match in a healthy scenario: %v", g, keys(got))
		}
	}
}

// TestLogConfigTestResults: every broken config's keepalived -t output is
// marked with an error code.
func TestLogConfigTestResults(t *testing.T) {
	dir := samplesDir(t, "config-test")
	files, _ := filepath.Glob(filepath.Join(dir, "bad-*.result.txt"))
	for _, f := range files {
		lines := fixtureLines(t, f)
		if len(lines) == 0 {
			continue // the hang case prints nothing
		}
		found := false
		for _, l := range lines {
			if m := ParseLogLine(l).Match; m != nil && m.Severity >= SeverityWarning {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no warning/error code in %q", filepath.Base(f), lines)
		}
	}
}

func TestLogPatternCodes(t *testing.T) {
	seen := map[string]bool{}
	code := regexp.MustCompile(`^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$`)
	for _, p := range LogPatterns {
		if !code.MatchString(p.Code) || seen[p.Code] || p.Meaning == "" {
			t.Errorf("bad or duplicate pattern %q", p.Code)
		}
		seen[p.Code] = true
	}
}

func TestLogSourceFile(t *testing.T) {
	dir := samplesDir(t, "logs")
	raw, err := os.ReadFile(filepath.Join(dir, "fx-a-nft-output-drop.kaB.syslog.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// A syslog file mixes other daemons in.
	var b strings.Builder
	for _, l := range strings.Split(string(raw), "\n") {
		b.WriteString(l + "\n")
		b.WriteString("Nov 21 22:11:40 host dnsmasq[99]: query[A] example.org\n")
	}
	p := filepath.Join(t.TempDir(), "syslog")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	lines, err := LogSource{Kind: LogFromFile, Path: p, Lines: 5}.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 5 {
		t.Fatalf("got %d lines", len(lines))
	}
	all := fixtureLines(t, filepath.Join(dir, "fx-a-nft-output-drop.kaB.syslog.txt"))
	for i, l := range lines {
		if l.Raw != all[len(all)-5+i] {
			t.Errorf("line %d = %q, want %q", i, l.Raw, all[len(all)-5+i])
		}
		if l.Ident == "" {
			t.Errorf("line %d without ident", i)
		}
	}
	if _, err := (LogSource{Kind: LogFromFile, Path: filepath.Join(t.TempDir(), "none")}).Read(context.Background()); err == nil {
		t.Error("missing file: no error")
	}
}

func TestLogSourceArgv(t *testing.T) {
	if diff := cmp.Diff([]string{"logread", "-e", "Keepalived"}, LogSource{Kind: LogFromLogread}.Argv()); diff != "" {
		t.Error(diff)
	}
	j := LogSource{Kind: LogFromJournal, Lines: 50}.Argv()
	if j[0] != "journalctl" || !strings.Contains(strings.Join(j, " "), "-n 50 -t Keepalived -t Keepalived_vrrp") {
		t.Errorf("journal argv %q", j)
	}
	if (LogSource{Kind: LogFromFile}).Argv() != nil {
		t.Error("file source has argv")
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func FuzzParseLogLine(f *testing.F) {
	f.Add("<30>Nov 21 22:11:52 Keepalived_vrrp[30511]: (GW): send advert error 1 (Operation not permitted)")
	f.Add("Sat Nov 21 22:09:20 2026: (GW) Entering MASTER STATE")
	f.Fuzz(func(t *testing.T, raw string) {
		l := ParseLogLine(raw)
		if l.Raw != raw || !strings.HasSuffix(raw, l.Message) {
			t.Fatalf("parts do not come from the line: %+v", l)
		}
		if l.Match != nil && l.Match.Code == "" {
			t.Fatal("match without code")
		}
	})
}
