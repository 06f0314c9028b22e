package uci

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestEveryEditOnSamples edits every option and section of every valid
// sample (set, set list, delete, delete section, add option) and requires
// each edit to succeed: on files uci accepts, ErrUnsafeEdit must not occur.
func TestEveryEditOnSamples(t *testing.T) {
	dir := samplesDir(t)
	rows := readManifest(t, dir)
	edits := 0
	for _, r := range rows {
		if r.showExit != "0" {
			continue
		}
		src, err := os.ReadFile(filepath.Join(dir, r.file))
		if err != nil {
			t.Fatal(err)
		}
		base, err := Parse(r.name, src)
		if err != nil {
			t.Fatal(err)
		}
		try := func(what string, f func(p *Package) error) {
			p, _ := Parse(r.name, src)
			edits++
			if err := f(p); err != nil {
				if errors.Is(err, ErrUnsafeEdit) || !errors.Is(err, ErrNotFound) {
					t.Errorf("%s: %s: %v", r.file, what, err)
				}
			}
		}
		for _, s := range base.Sections() {
			s := s
			try("add option to "+s.Name, func(p *Package) error { return p.Set(s.Name, "floatgw_new", "it's new") })
			try("delete section "+s.Name, func(p *Package) error { return p.DeleteSection(s.Name) })
			for _, o := range s.Options {
				o := o
				try("set "+s.Name+"."+o.Name, func(p *Package) error { return p.Set(s.Name, o.Name, "changed") })
				try("delete "+s.Name+"."+o.Name, func(p *Package) error { return p.Delete(s.Name, o.Name) })
				try("list "+s.Name+"."+o.Name, func(p *Package) error {
					return p.SetList(s.Name, o.Name, append([]string{"first"}, o.Values...))
				})
			}
		}
	}
	t.Logf("%d edits on the samples, none refused", edits)
}
