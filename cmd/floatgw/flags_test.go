package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/floatgw/floatgw/internal/api"
	"github.com/floatgw/floatgw/internal/daemon"
	"github.com/floatgw/floatgw/internal/flags"
)

var update = flag.Bool("update", false, "rewrite testdata/help.golden")

// TestHelp checks every command's -h/--help against testdata/help.golden: usage on stdout,
// nothing on stderr, exit 0, and the same text for -h, --help and help among other flags.
func TestHelp(t *testing.T) {
	t.Setenv("FLOATGW_ROOT", "")
	names := make([]string, 0, len(commands))
	for n := range commands {
		if n != "hotplug" { // takes no flags; its usage line is its error
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var all bytes.Buffer
	for _, n := range names {
		var out, errb bytes.Buffer
		if code := run([]string{n, "--help"}, &out, &errb); code != exitOK || errb.Len() != 0 {
			t.Errorf("%s --help: exit %d, stderr %q; want 0 and nothing", n, code, errb.String())
		}
		// A flag given before --help does not change the defaults shown.
		given := "--json"
		if n == "daemon" || n == "validate" {
			given = "--root=/given"
		}
		for _, alt := range [][]string{{n, "-h"}, {n, given, "--help"}, {n, "x", "-h", "--no-such-flag"}} {
			var o2, e2 bytes.Buffer
			if code := run(alt, &o2, &e2); code != exitOK || o2.String() != out.String() || e2.Len() != 0 {
				t.Errorf("%q: exit %d, stderr %q, stdout differs from --help: %v", alt, code, e2.String(), o2.String() != out.String())
			}
		}
		if !strings.HasPrefix(out.String(), "usage: floatgw "+n+" [flags]") || !strings.Contains(out.String(), "\nflags:\n") {
			t.Errorf("%s --help does not start with its usage line and list flags:\n%s", n, out.String())
		}
		all.WriteString("$ floatgw " + n + " --help\n")
		all.Write(out.Bytes())
		all.WriteString("\n")
	}
	golden := filepath.Join("testdata", "help.golden")
	if *update {
		if err := os.WriteFile(golden, all.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), all.String()); diff != "" {
		t.Errorf("help text (-%s +got):\n%s", golden, diff)
	}
}

// TestBadCommandLines checks the words and the exit code of command-line errors; they are
// pflag's, which scripts and the README's users have seen until now.
func TestBadCommandLines(t *testing.T) {
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"status", "--nope"}, "floatgw status: unknown flag: --nope\n"},
		{[]string{"status", "-j"}, "floatgw status: unknown shorthand flag: 'j' in -j\n"},
		{[]string{"status", "---json"}, "floatgw status: bad flag syntax: ---json\n"},
		{[]string{"status", "--timeout"}, "floatgw status: flag needs an argument: --timeout\n"},
		{[]string{"status", "--timeout", "abc"}, `floatgw status: invalid argument "abc" for "--timeout" flag: time: invalid duration "abc"` + "\n"},
		{[]string{"status", "--json=maybe"}, `floatgw status: invalid argument "maybe" for "--json" flag: strconv.ParseBool: parsing "maybe": invalid syntax` + "\n"},
		{[]string{"status", "extra"}, "floatgw status: unexpected argument \"extra\"\n"},
		{[]string{"doctor", "--id", "x"}, "floatgw doctor: --id needs --fix\n"},
		{[]string{"doctor", "--fix", "--id"}, "floatgw doctor: flag needs an argument: --id\n"},
		{[]string{"scan", "--seconds", "99999999999"}, `floatgw scan: invalid argument "99999999999" for "--seconds" flag: strconv.ParseInt: parsing "99999999999": value out of range` + "\n"},
		{[]string{"scan", "--seconds=abc"}, `floatgw scan: invalid argument "abc" for "--seconds" flag: strconv.ParseInt: parsing "abc": invalid syntax` + "\n"},
		{[]string{"scan", "--seconds=0"}, "floatgw scan: scan.seconds: out of range (want 1–60, got 0)\n"},
		{[]string{"switch", "--seconds", "5"}, "floatgw switch: switch.seconds: out of range (want 10–3600, got 5)\n"},
		{[]string{"logs", "--lines=2147483648"}, `floatgw logs: invalid argument "2147483648" for "--lines" flag: strconv.ParseInt: parsing "2147483648": value out of range` + "\n"},
		{[]string{"maintenance"}, "floatgw maintenance: say on or off (or --enable=true|false)\n"},
		{[]string{"maintenance", "on", "off"}, "floatgw maintenance: unexpected argument \"off\"\n"},
		{[]string{"maintenance", "--enable=x"}, `floatgw maintenance: invalid argument "x" for "--enable" flag: strconv.ParseBool: parsing "x": invalid syntax` + "\n"},
		{[]string{"apply", "--dry-run", "foo"}, "floatgw apply: unexpected argument \"foo\"\n"},
		{[]string{"verify", "--mode"}, "floatgw verify: flag needs an argument: --mode\n"},
		{[]string{"verify", "--mode", "bogus"}, "floatgw verify: --mode: not one of the accepted values (want soft or hard, got \"bogus\")\n"},
		{[]string{"verify", "--timeout=-"}, `floatgw verify: invalid argument "-" for "--timeout" flag: time: invalid duration "-"` + "\n"},
		{[]string{"verify", "-"}, "floatgw verify: unexpected argument \"-\"\n"},
		{[]string{"verify", "--", "--json"}, "floatgw verify: unexpected argument \"--json\"\n"},
		{[]string{"daemon", "-S", "--root"}, "floatgw daemon: flag needs an argument: --root\n"},
		{[]string{"daemon", "-Sx"}, "floatgw daemon: unknown shorthand flag: 'x' in -x\n"},
		{[]string{"daemon", "-SS", "--debug=maybe"}, `floatgw daemon: invalid argument "maybe" for "--debug" flag: strconv.ParseBool: parsing "maybe": invalid syntax` + "\n"},
		{[]string{"daemon", "-S=maybe"}, `floatgw daemon: invalid argument "maybe" for "-S, --stderr" flag: strconv.ParseBool: parsing "maybe": invalid syntax` + "\n"},
		{[]string{"validate", "--nope"}, "floatgw validate: unknown flag: --nope\n"},
		{[]string{"version", "--json=maybe"}, `floatgw version: invalid argument "maybe" for "--json" flag: strconv.ParseBool: parsing "maybe": invalid syntax` + "\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(tt.args, &out, &errb); code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if out.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", out.String())
			}
			if diff := cmp.Diff(tt.stderr, errb.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMethodFlags checks that a client command sends exactly the arguments given on its command
// line (the daemon applies the defaults), in every flag form.
func TestMethodFlags(t *testing.T) {
	tests := []struct {
		method string
		argv   []string
		want   map[string]any
	}{
		{"scan", nil, map[string]any{}},
		{"scan", []string{"--seconds", "7"}, map[string]any{"seconds": int32(7)}},
		{"scan", []string{"--seconds=5"}, map[string]any{"seconds": int32(5)}}, // the default, but given
		{"apply", []string{"--dry-run"}, map[string]any{"dry_run": true}},
		{"apply", []string{"--dry-run=false"}, map[string]any{"dry_run": false}},
		{"maintenance", []string{"--enable=false"}, map[string]any{"enable": false}},
		{"verify", []string{"--mode=hard"}, map[string]any{"mode": "hard"}},
		{"doctor_fix", []string{"--id", "fw-rule"}, map[string]any{"id": "fw-rule"}},
		{"logs", []string{"--lines", "0x10"}, map[string]any{"lines": int32(16)}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+strings.Join(tt.argv, " "), func(t *testing.T) {
			m, ok := api.Lookup(tt.method)
			if !ok {
				t.Fatalf("no method %q", tt.method)
			}
			fs := flags.New(tt.method)
			get := methodFlags(fs, m)
			if err := fs.Parse(tt.argv); err != nil {
				t.Fatal(err)
			}
			got := map[string]any{}
			for n, g := range get {
				if v, set := g(); set {
					got[n] = v
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("arguments sent (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDaemonOptionFlags checks that the path flags of daemon and validate reach the options.
func TestDaemonOptionFlags(t *testing.T) {
	t.Setenv("FLOATGW_ROOT", "/env-root")
	fs := flags.New("daemon")
	opts := daemonOptions(fs)
	if got, want := opts(), daemon.DefaultOptions("/env-root"); !cmp.Equal(got, want) {
		t.Errorf("with no flags (-want +got):\n%s", cmp.Diff(want, got))
	}
	fs = flags.New("daemon")
	opts = daemonOptions(fs)
	err := fs.Parse([]string{"--root=/r", "--keepalived-conf", "/k.conf", "--keepalived-start=keepalived -n -l",
		"--keepalived-pidfile", "/p", "--ubus-socket=/u", "--keepalived-json=/j", "--keepalived-log=/l"})
	if err != nil {
		t.Fatal(err)
	}
	want := daemon.DefaultOptions("/r")
	want.KeepalivedConf = "/k.conf"
	want.KeepalivedStart = []string{"keepalived", "-n", "-l"}
	want.KeepalivedPidfile, want.UbusSocket, want.KeepalivedJSON, want.KeepalivedLog = "/p", "/u", "/j", "/l"
	if diff := cmp.Diff(want, opts()); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
}
