package uci

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// runUCICommands replays the subset of uci CLI commands used by the edit
// scenarios on a Package and returns the option names touched.
func runUCICommands(t *testing.T, p *Package, commands string) []string {
	t.Helper()
	var touched []string
	for _, line := range strings.Split(commands, "\n") {
		f := strings.SplitN(line, " ", 3)
		if len(f) < 3 || f[0] != "uci" {
			continue
		}
		arg := f[2]
		var val string
		hasVal := false
		if k := strings.IndexByte(arg, '='); k >= 0 {
			arg, val, hasVal = arg[:k], strings.Trim(arg[k+1:], "'"), true
		}
		parts := strings.Split(arg, ".")
		switch f[1] {
		case "add":
			if _, err := p.AddSection(strings.Fields(f[2])[1], ""); err != nil {
				t.Fatal(err)
			}
			continue
		case "changes", "commit":
			continue
		}
		if len(parts) != 3 || !hasVal {
			t.Fatalf("unsupported command %q", line)
		}
		sel, opt := parts[1], parts[2]
		touched = append(touched, opt)
		var err error
		switch f[1] {
		case "set":
			err = p.Set(sel, opt, val)
		case "add_list":
			old, _ := p.Get(sel, opt)
			err = p.SetList(sel, opt, append(old, val))
		case "del_list":
			old, _ := p.Get(sel, opt)
			var keep []string
			for _, v := range old {
				if v != val {
					keep = append(keep, v)
				}
			}
			err = p.SetList(sel, opt, keep)
		default:
			t.Fatalf("unsupported command %q", line)
		}
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	return touched
}

// removedLines returns the lines of a that a line diff to b removes.
func removedLines(a, b string) []string {
	la, lb := strings.SplitAfter(a, "\n"), strings.SplitAfter(b, "\n")
	var out []string
	for _, op := range lcsOps(la, lb) {
		if op.kind == opDel {
			out = append(out, la[op.i])
		}
	}
	return out
}

func TestEditScenarios(t *testing.T) {
	dir := filepath.Join(samplesDir(t), "edits")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{"dhcp-add-list": "dhcp", "firewall-add-rule": "firewall",
		"keepalived-sample-edit": "keepalived", "network-canonical": "network", "shairport-enable": "shairport-sync"}
	for _, e := range ents {
		e := e
		t.Run(e.Name(), func(t *testing.T) {
			read := func(f string) []byte {
				b, err := os.ReadFile(filepath.Join(dir, e.Name(), f))
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			name := names[e.Name()]
			if name == "" {
				t.Fatalf("no config name known for scenario %s", e.Name())
			}
			before, after := read("before"), read("after")
			p, err := Parse(name, before)
			if err != nil {
				t.Fatal(err)
			}
			touched := runUCICommands(t, p, string(read("commands")))
			want, err := Parse(name, after)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.Show(false), p.Show(false)); diff != "" {
				t.Errorf("meaning differs from what uci committed (-uci +ours):\n%s", diff)
			}
			if bb, _ := Parse(name, before); bb.Render() == string(before) {
				// canonical input: uci's own output is the byte-exact oracle
				if diff := cmp.Diff(string(after), string(p.Bytes())); diff != "" {
					t.Errorf("canonical file: bytes differ from uci commit (-uci +ours):\n%s", diff)
				}
			}
			for _, l := range removedLines(string(before), string(p.Bytes())) {
				ok := false
				for _, o := range touched {
					if strings.Contains(l, o) {
						ok = true
					}
				}
				if !ok {
					t.Errorf("an unrelated line was changed: %q", l)
				}
			}
		})
	}
}
