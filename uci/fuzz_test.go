package uci

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: no panic on any input; a file that parses keeps its bytes; its
// canonical rendering parses to the same tree; edits either do exactly what
// they say (checked inside commit) or fail cleanly.
func FuzzParse(f *testing.F) {
	if dir := samplesDirOrEmpty(); dir != "" {
		for _, sub := range []string{"real", "handwritten", "generated", "unusual", "invalid"} {
			ents, _ := os.ReadDir(filepath.Join(dir, sub))
			for _, e := range ents {
				if filepath.Ext(e.Name()) != "" && sub != "real" {
					continue
				}
				if b, err := os.ReadFile(filepath.Join(dir, sub, e.Name())); err == nil {
					f.Add(b)
				}
			}
		}
	}
	f.Add([]byte("config a 'b'\n\toption c 'd'\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := Parse("fuzz", in)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("non-parse error %v", err)
			}
			return
		}
		if !bytes.Equal(p.Bytes(), in) {
			t.Fatal("bytes changed by parsing")
		}
		secs := p.Sections()
		canon := Render("fuzz", secs)
		q, err := Parse("fuzz", canon)
		if err != nil {
			t.Fatalf("canonical rendering does not parse: %v\n%q", err, canon)
		}
		if !sameSections(secs, q.Sections()) {
			t.Fatalf("canonical rendering means something else:\n%q\n%q", in, canon)
		}
		if !bytes.Equal(q.Bytes(), Render("fuzz", q.Sections())) {
			t.Fatal("canonical rendering is not a fixed point")
		}
		if len(secs) == 0 {
			return
		}
		edits := []func(*Package) error{
			func(p *Package) error { return p.Set(secs[0].Name, "fuzz_opt", "v'\"\\\n#;x") },
			func(p *Package) error { return p.SetList(secs[0].Name, "fuzz_l", []string{"", "a b"}) },
			func(p *Package) error { return p.DeleteSection(secs[0].Name) },
			func(p *Package) error { _, err := p.AddSection("fz", "fz_new"); return err },
		}
		if len(secs[0].Options) > 0 {
			o := secs[0].Options[0]
			edits = append(edits,
				func(p *Package) error { return p.Delete(secs[0].Name, o.Name) },
				func(p *Package) error { return p.Set(secs[0].Name, o.Name, "changed") },
				func(p *Package) error {
					return p.SetList(secs[0].Name, o.Name, append([]string{"new"}, o.Values[1:]...))
				},
			)
		}
		for _, e := range edits {
			p, _ := Parse("fuzz", in)
			err := e(p)
			if err != nil {
				if !errors.Is(err, ErrUnsafeEdit) {
					t.Fatalf("edit failed with %v", err)
				}
				if !bytes.Equal(p.Bytes(), in) {
					t.Fatal("failed edit changed the bytes")
				}
				continue
			}
			if _, err := Parse("fuzz", p.Bytes()); err != nil {
				t.Fatalf("edit produced an unparsable file: %v", err)
			}
		}
	})
}

func samplesDirOrEmpty() string {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			s := filepath.Join(dir, "..", "shared", "uci-samples")
			if _, err := os.Stat(s); err == nil {
				return s
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
