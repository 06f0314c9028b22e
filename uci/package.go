package uci

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Option is one option of a section as libuci sees it: a plain option has
// exactly one value, a list has one or more (entries may be empty).
type Option struct {
	Name   string
	List   bool
	Values []string
}

// Section is one section as libuci sees it. Anonymous sections carry the name
// libuci gives them internally (cfgNNHHHH, what `uci -X show` prints).
type Section struct {
	Name      string
	Type      string
	Anonymous bool
	Options   []Option
}

// Get returns the option's values and whether it exists.
func (s Section) Get(name string) ([]string, bool) {
	for _, o := range s.Options {
		if o.Name == name {
			return append([]string(nil), o.Values...), true
		}
	}
	return nil, false
}

// Option returns the named option.
func (s Section) Option(name string) (Option, bool) {
	for _, o := range s.Options {
		if o.Name == name {
			return cloneOption(o), true
		}
	}
	return Option{}, false
}

func cloneOption(o Option) Option {
	o.Values = append([]string(nil), o.Values...)
	return o
}

func cloneSection(s Section) Section {
	opts := make([]Option, len(s.Options))
	for i, o := range s.Options {
		opts[i] = cloneOption(o)
	}
	s.Options = opts
	return s
}

// Package is one UCI config file: its exact bytes plus the meaning libuci
// gives them. Edits (Set, SetList, Delete, AddSection, DeleteSection) change
// only the bytes of the statements involved and keep every other byte,
// comment and blank line; after each edit the new bytes are parsed again and
// checked against the intended result, so an edit either does exactly what
// was asked or fails and leaves the Package unchanged.
//
// A Package is not safe for concurrent use; the accessors return copies.
type Package struct {
	name  string
	src   []byte
	secs  []*section
	stmts []*stmt

	base []byte // bytes as loaded, to tell what changed

	lines *lineIndex // built on first use, reset by edits
}

// Parse parses the contents of /etc/config/<name>. It accepts exactly what
// libuci accepts in strict mode and fails with a *ParseError otherwise. src
// is copied.
func Parse(name string, src []byte) (*Package, error) {
	if !validName(name, true) {
		return nil, fmt.Errorf("uci: invalid package name %q", name)
	}
	b := append([]byte(nil), src...)
	secs, stmts, err := parseTree(name, b)
	if err != nil {
		return nil, err
	}
	return &Package{name: name, src: b, secs: secs, stmts: stmts, base: b}, nil
}

// Name is the package (file) name.
func (p *Package) Name() string { return p.name }

// Bytes returns the file contents, including all edits so far.
func (p *Package) Bytes() []byte { return append([]byte(nil), p.src...) }

// Original returns the contents the Package was parsed from.
func (p *Package) Original() []byte { return append([]byte(nil), p.base...) }

// Changed reports whether edits changed the bytes since Parse.
func (p *Package) Changed() bool { return !bytes.Equal(p.src, p.base) }

// Sections returns all sections in order.
func (p *Package) Sections() []Section {
	out := make([]Section, len(p.secs))
	for i, s := range p.secs {
		out[i] = s.export()
	}
	return out
}

// SectionsOfType returns the sections of one type in order.
func (p *Package) SectionsOfType(typ string) []Section {
	var out []Section
	for _, s := range p.secs {
		if s.typ == typ {
			out = append(out, s.export())
		}
	}
	return out
}

func (s *section) export() Section {
	out := Section{Name: s.name, Type: s.typ, Anonymous: s.anon}
	for _, o := range s.opts {
		out.Options = append(out.Options, Option{Name: o.name, List: o.list, Values: append([]string(nil), o.values...)})
	}
	return out
}

// ErrNotFound is returned (wrapped) for a selector or option that does not exist.
var ErrNotFound = errors.New("not found")

// lookup resolves a section selector: a name, or @type[N] where N counts
// sections of that type (named ones too) from 0, or from the end when negative.
func (p *Package) lookup(sel string) (*section, error) {
	if strings.HasPrefix(sel, "@") {
		typ, idx, ok := parseIndexSel(sel)
		if !ok {
			return nil, fmt.Errorf("uci: invalid section selector %q", sel)
		}
		var of []*section
		for _, s := range p.secs {
			if s.typ == typ {
				of = append(of, s)
			}
		}
		if idx < 0 {
			idx += len(of)
		}
		if idx < 0 || idx >= len(of) {
			return nil, fmt.Errorf("uci: %s.%s: %w", p.name, sel, ErrNotFound)
		}
		return of[idx], nil
	}
	for _, s := range p.secs {
		if s.name == sel {
			return s, nil
		}
	}
	return nil, fmt.Errorf("uci: %s.%s: %w", p.name, sel, ErrNotFound)
}

func parseIndexSel(sel string) (string, int, bool) {
	rest := sel[1:]
	i := strings.IndexByte(rest, '[')
	if i <= 0 || !strings.HasSuffix(rest, "]") {
		return "", 0, false
	}
	n, err := strconv.Atoi(rest[i+1 : len(rest)-1])
	if err != nil {
		return "", 0, false
	}
	return rest[:i], n, true
}

// Section returns the section a selector names (see lookup rules: "name",
// "@type[N]", "@type[-1]").
func (p *Package) Section(sel string) (Section, bool) {
	s, err := p.lookup(sel)
	if err != nil {
		return Section{}, false
	}
	return s.export(), true
}

// Get returns the values of sel.option and whether the option exists.
func (p *Package) Get(sel, opt string) ([]string, bool) {
	s, err := p.lookup(sel)
	if err != nil {
		return nil, false
	}
	o := s.option(opt)
	if o == nil {
		return nil, false
	}
	return append([]string(nil), o.values...), true
}

// Quote returns v quoted the way uci writes values: in single quotes, with
// each ' written as '\”.
func Quote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}

// Show renders the package like `uci show NAME` (extended=false: anonymous
// sections as @type[N]) or `uci -X show NAME` (extended=true: their cfg
// names).
func (p *Package) Show(extended bool) string {
	var b strings.Builder
	count := map[string]int{}
	for _, s := range p.secs {
		idx := count[s.typ]
		count[s.typ]++
		ref := s.name
		if s.anon && !extended {
			ref = fmt.Sprintf("@%s[%d]", s.typ, idx)
		}
		fmt.Fprintf(&b, "%s.%s=%s\n", p.name, ref, s.typ)
		for _, o := range s.opts {
			fmt.Fprintf(&b, "%s.%s.%s=", p.name, ref, o.name)
			for i, v := range o.values {
				if i > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(Quote(v))
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Export renders the package like `uci export NAME` (header adds the
// `package NAME` line; names also names anonymous sections, like -n). With
// header=false and names=false this is byte for byte what `uci commit` writes.
func (p *Package) Export(header, names bool) []byte {
	return render(p.name, p.Sections(), header, names)
}

func render(name string, secs []Section, header, names bool) []byte {
	var b bytes.Buffer
	if header {
		fmt.Fprintf(&b, "package %s\n", strings.ReplaceAll(name, "'", `'\''`))
	}
	for _, s := range secs {
		b.WriteString("\nconfig " + renderType(s.Type))
		if !s.Anonymous || names {
			b.WriteString(" " + Quote(s.Name))
		}
		b.WriteByte('\n')
		for _, o := range s.Options {
			kw := "option"
			if o.List {
				kw = "list"
			}
			for _, v := range o.Values {
				fmt.Fprintf(&b, "\t%s %s %s\n", kw, o.Name, Quote(v))
			}
		}
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// Render builds the canonical file text uci would write for the given
// sections (anonymous sections without a name line). Parsing the result
// gives back the same sections, except that anonymous sections get fresh
// cfg names.
func Render(name string, secs []Section) []byte { return render(name, secs, false, false) }

// Render is the canonical text `uci commit` would write for this package.
func (p *Package) Render() string { return string(p.Export(false, false)) }

// renderType writes a type the way uci export does (unquoted), except that a
// type uci's own parser would misread is quoted.
func renderType(t string) string {
	if strings.ContainsAny(t, "'\"\\#;") {
		return Quote(t)
	}
	return t
}

// Rebase records the current contents as the saved state: Changed becomes
// false and Original returns the current bytes. Stores call it after a
// successful save.
func (p *Package) Rebase() { p.base = p.src }
