package uci

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestNastyEdits runs edits over odd but valid layouts. Each case gives the
// exact bytes expected, or wantUnsafe when the edit must be refused (and the
// package left unchanged).
func TestNastyEdits(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		edit       func(p *Package) error
		want       string
		wantUnsafe bool
	}{
		{
			name: "set keeps trailing comment and alignment of others",
			in:   "config a 'x'\n\toption one\t\t\"1\"  # first\n\toption two 2\n",
			edit: func(p *Package) error { return p.Set("x", "one", "uno") },
			want: "config a 'x'\n\toption one 'uno'  # first\n\toption two 2\n",
		},
		{
			name: "duplicate option: first statement rewritten, later ones removed",
			in:   "config i 'lan'\n\toption proto 'dhcp'\n\toption mtu 1500\n\toption proto 'static'\n",
			edit: func(p *Package) error { return p.Set("lan", "proto", "none") },
			want: "config i 'lan'\n\toption proto 'none'\n\toption mtu 1500\n",
		},
		{
			name: "semicolon-joined statements",
			in:   "config rule 'r1'; option name 'a'; option src lan\n",
			edit: func(p *Package) error { return p.Set("r1", "name", "b") },
			want: "config rule 'r1'; option name 'b'; option src lan\n",
		},
		{
			name: "delete the first of joined statements",
			in:   "config rule 'r1'\n\toption name 'a'; option src lan\n",
			edit: func(p *Package) error { return p.Delete("r1", "name") },
			want: "config rule 'r1'\n\toption src lan\n",
		},
		{
			name: "insert after a joined line",
			in:   "config rule 'r1'; option name 'a'\nconfig rule 'r2'\n",
			edit: func(p *Package) error { return p.Set("r1", "target", "ACCEPT") },
			want: "config rule 'r1'; option name 'a'\n\toption target 'ACCEPT'\nconfig rule 'r2'\n",
		},
		{
			name: "insert into the last section without final newline",
			in:   "config a 'x'\n\toption k v",
			edit: func(p *Package) error { return p.Set("x", "n", "it's") },
			want: "config a 'x'\n\toption k v\n\toption n 'it'\\''s'\n",
		},
		{
			name: "crlf file stays crlf",
			in:   "config a 'x'\r\n\toption k 'v'\r\n",
			edit: func(p *Package) error { return p.Set("x", "n", "1") },
			want: "config a 'x'\r\n\toption k 'v'\r\n\toption n '1'\r\n",
		},
		{
			name: "merged named section: insert after its last statement",
			in:   "config i 'lan'\n\toption a 1\n\nconfig i 'wan'\n\nconfig i 'lan'\n\toption b 2\n# tail comment\n",
			edit: func(p *Package) error { return p.Set("lan", "c", "3") },
			want: "config i 'lan'\n\toption a 1\n\nconfig i 'wan'\n\nconfig i 'lan'\n\toption b 2\n\toption c '3'\n# tail comment\n",
		},
		{
			name: "multi-line value replaced whole",
			in:   "config a 'x'\n\toption s 'l1\nl2\nl3' # c\n\toption t u\n",
			edit: func(p *Package) error { return p.Set("x", "s", "one\nline") },
			want: "config a 'x'\n\toption s 'one\nline' # c\n\toption t u\n",
		},
		{
			name: "list: change one entry, keep comments between entries",
			in:   "config dhcp 'lan'\n\tlist dhcp_option '6,1.1.1.1' # dns\n\t# commented: list dhcp_option '42,x'\n\tlist dhcp_option \"3,10.0.0.1\"\n\tlist dhcp_option '15,lan'\n",
			edit: func(p *Package) error {
				return p.SetList("lan", "dhcp_option", []string{"6,1.1.1.1", "3,10.0.0.254", "15,lan"})
			},
			want: "config dhcp 'lan'\n\tlist dhcp_option '6,1.1.1.1' # dns\n\t# commented: list dhcp_option '42,x'\n\tlist dhcp_option '3,10.0.0.254'\n\tlist dhcp_option '15,lan'\n",
		},
		{
			name: "list: add at front and end, drop middle",
			in:   "config s 'x'\n  list l a\n  list l b\n  list l c\n",
			edit: func(p *Package) error { return p.SetList("x", "l", []string{"z", "a", "c", "d"}) },
			want: "config s 'x'\n  list l 'z'\n  list l a\n  list l c\n  list l 'd'\n",
		},
		{
			name: "option becomes list",
			in:   "config s 'x'\n\toption l a # c\n",
			edit: func(p *Package) error { return p.SetList("x", "l", []string{"a", "b"}) },
			want: "config s 'x'\n\tlist l 'a'\n\tlist l 'b' # c\n",
		},
		{
			name: "delete anonymous section keeps the others and comments",
			in:   "\nconfig rule\n\toption name 'a'\n\nconfig rule\n\toption name 'b'\n\n# keep\nconfig rule\n\toption name 'c'\n",
			edit: func(p *Package) error { return p.DeleteSection("@rule[1]") },
			want: "\nconfig rule\n\toption name 'a'\n\n# keep\nconfig rule\n\toption name 'c'\n",
		},
		{
			name: "add named section to a canonical file",
			in:   "\nconfig zone 'lan'\n\toption name 'lan'\n\n",
			edit: func(p *Package) error {
				if _, err := p.AddSection("rule", "vrrp"); err != nil {
					return err
				}
				return p.Set("vrrp", "proto", "112")
			},
			want: "\nconfig zone 'lan'\n\toption name 'lan'\n\nconfig rule 'vrrp'\n\toption proto '112'\n\n",
		},
		{
			name: "set through @type[-1]",
			in:   "config r\nconfig r\n\toption x 1\n",
			edit: func(p *Package) error { return p.Set("@r[-1]", "x", "2") },
			want: "config r\nconfig r\n\toption x '2'\n",
		},
		{
			name: "empty option statement does not count as a definition",
			in:   "config s 'x'\n\toption a ''\n\toption b 1\n",
			edit: func(p *Package) error { return p.Set("x", "a", "v") },
			want: "config s 'x'\n\toption b 1\n\toption a 'v'\n",
		},
		{
			name: "unquoted word glued to ';': the ignored tail stays ignored, as a comment",
			in:   "config s 'x'\n\toption b x;y_lost\n",
			edit: func(p *Package) error { return p.Set("x", "b", "new") },
			want: "config s 'x'\n\toption b 'new' #;y_lost\n",
		},
		{
			name: "insert after a line whose tail libuci ignores",
			in:   "config s 'x'\n\tlist l a;list l lost\n",
			edit: func(p *Package) error { return p.SetList("x", "l", []string{"a", "b"}) },
			want: "config s 'x'\n\tlist l a;list l lost\n\tlist l 'b'\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("test", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			before := p.Show(true)
			err = tt.edit(p)
			if tt.wantUnsafe {
				if !errors.Is(err, ErrUnsafeEdit) {
					t.Fatalf("got %v, want ErrUnsafeEdit", err)
				}
				if string(p.Bytes()) != tt.in || p.Show(true) != before {
					t.Fatal("a refused edit changed the package")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(p.Bytes())); diff != "" {
				t.Errorf("bytes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInvalidEditArguments(t *testing.T) {
	p, _ := Parse("t", []byte("config s 'x'\n"))
	for _, err := range []error{
		p.Set("x", "bad-name", "v"),
		p.Set("x", "ok", "nul\x00byte"),
		p.Set("missing", "ok", "v"),
		func() error { _, err := p.AddSection("bad type", "n"); return err }(),
		func() error { _, err := p.AddSection("t", "bad.name"); return err }(),
		func() error { _, err := p.AddSection("other", "x"); return err }(),
	} {
		if err == nil {
			t.Error("invalid edit accepted")
		}
	}
	if string(p.Bytes()) != "config s 'x'\n" {
		t.Fatal("failed edits changed the package")
	}
}
