package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestCommandTable(t *testing.T) {
	want := []string{"status", "verify", "doctor", "scan", "apply", "switch", "maintenance", "logs", "daemon", "version"}
	for _, n := range want {
		if _, ok := commands[n]; !ok {
			t.Errorf("command %q is not registered", n)
		}
	}
}

func TestRun(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		stdout   string
		stderrIn string
	}{
		{args: nil, code: exitUsage, stderrIn: "usage:"},
		{args: []string{"--help"}, code: exitOK, stdout: "usage:"},
		{args: []string{"bogus"}, code: exitUsage, stderrIn: `unknown command "bogus"`},
		{args: []string{"version"}, code: exitOK, stdout: "floatgw "},
		{args: []string{"version", "--json"}, code: exitOK, stdout: `{"version":`},
		{args: []string{"version", "--nope"}, code: exitUsage, stderrIn: "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			if got := run(tt.args, &out, &errb); got != tt.code {
				t.Fatalf("exit code = %d, want %d (stderr %q)", got, tt.code, errb.String())
			}
			if !strings.Contains(out.String(), tt.stdout) {
				t.Errorf("stdout = %q, want it to contain %q", out.String(), tt.stdout)
			}
			if !strings.Contains(errb.String(), tt.stderrIn) {
				t.Errorf("stderr = %q, want it to contain %q", errb.String(), tt.stderrIn)
			}
		})
	}
}
