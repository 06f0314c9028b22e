package uci

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// splice replaces src[start:end] with text.
type splice struct {
	start, end int
	text       string
}

// ErrUnsafeEdit is returned (wrapped) when an edit cannot be expressed in the
// file's existing layout without changing something else; the Package is left
// unchanged.
var ErrUnsafeEdit = errors.New("edit would change more than asked")

func checkName(what, n string) error {
	if !validName(n, false) {
		return fmt.Errorf("uci: invalid %s name %q (only A-Z a-z 0-9 _)", what, n)
	}
	return nil
}

func checkValue(v string) error {
	if strings.IndexByte(v, 0) >= 0 {
		return fmt.Errorf("uci: value contains a NUL byte")
	}
	return nil
}

// commit applies splices, parses the result and checks it against want.
func (p *Package) commit(sp []splice, want []Section) error {
	sp = p.tidy(sp)
	var b strings.Builder
	prev := 0
	for _, s := range sp {
		if s.start < prev || s.end < s.start || s.end > len(p.src) {
			return fmt.Errorf("uci: %s: overlapping edits: %w", p.name, ErrUnsafeEdit)
		}
		b.Write(p.src[prev:s.start])
		b.WriteString(s.text)
		prev = s.end
	}
	b.Write(p.src[prev:])
	nsrc := []byte(b.String())
	secs, stmts, err := parseTree(p.name, nsrc)
	if err != nil {
		return fmt.Errorf("uci: %s: edited file would not parse (%v): %w", p.name, err, ErrUnsafeEdit)
	}
	got := make([]Section, len(secs))
	for i, s := range secs {
		got[i] = s.export()
	}
	if !sameSections(got, want) {
		return fmt.Errorf("uci: %s: edited file would mean something else: %w", p.name, ErrUnsafeEdit)
	}
	p.src, p.secs, p.stmts, p.lines = nsrc, secs, stmts, nil
	return nil
}

// tidy sorts splices, merges overlapping deletions, and removes a ';' that
// a deletion would leave dangling before the end of a line (libuci reads
// "x ;" + newline as a command made of the newline: "invalid command").
func (p *Package) tidy(sp []splice) []splice {
	sort.SliceStable(sp, func(i, j int) bool {
		if sp[i].start != sp[j].start {
			return sp[i].start < sp[j].start
		}
		return sp[i].end < sp[j].end
	})
	var out []splice
	for _, s := range sp {
		if n := len(out); n > 0 && s.text == "" && out[n-1].text == "" && s.start <= out[n-1].end {
			if s.end > out[n-1].end {
				out[n-1].end = s.end
			}
			continue
		}
		out = append(out, s)
	}
	for i := range out {
		s := &out[i]
		if s.text != "" || s.start == s.end || !p.tailTrivia(s.end) {
			continue
		}
		k := s.start
		for k > 0 && isBlank(p.src[k-1]) {
			k--
		}
		if k > 0 && p.src[k-1] == ';' && (i == 0 || out[i-1].end <= k-1) {
			s.start = k - 1
		}
	}
	return out
}

// sameSections compares two trees; anonymous sections are compared without
// their generated names, which shift when earlier sections come and go.
func sameSections(a, b []Section) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Type != y.Type || x.Anonymous != y.Anonymous || (!x.Anonymous && x.Name != y.Name) || len(x.Options) != len(y.Options) {
			return false
		}
		for j := range x.Options {
			o, q := x.Options[j], y.Options[j]
			if o.Name != q.Name || o.List != q.List || len(o.Values) != len(q.Values) {
				return false
			}
			for k := range o.Values {
				if o.Values[k] != q.Values[k] {
					return false
				}
			}
		}
	}
	return true
}

// lineIndex records where each line starts and where its first non-blank
// byte is, so that locating statements stays linear in the file size.
type lineIndex struct {
	starts   []int
	nonBlank []int
}

func (p *Package) index() *lineIndex {
	if p.lines != nil {
		return p.lines
	}
	li := &lineIndex{}
	start := 0
	for start <= len(p.src) {
		li.starts = append(li.starts, start)
		nb := start
		for nb < len(p.src) && isBlank(p.src[nb]) {
			nb++
		}
		li.nonBlank = append(li.nonBlank, nb)
		k := bytes.IndexByte(p.src[start:], '\n')
		if k < 0 {
			break
		}
		start += k + 1
	}
	p.lines = li
	return li
}

func (p *Package) lineOf(off int) int {
	li := p.index()
	return sort.Search(len(li.starts), func(i int) bool { return li.starts[i] > off }) - 1
}

func (p *Package) lineStart(off int) int { return p.index().starts[p.lineOf(off)] }

func (p *Package) lineEnd(off int) int {
	li := p.index()
	if l := p.lineOf(off); l+1 < len(li.starts) {
		return li.starts[l+1]
	}
	return len(p.src)
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// headBlank: only blanks between the start of the line and off.
func (p *Package) headBlank(off int) bool {
	return p.index().nonBlank[p.lineOf(off)] >= off
}

// tailTrivia: from off to the end of the line there are only blanks, a CR
// and/or a comment.
func (p *Package) tailTrivia(off int) bool {
	for off < len(p.src) && (isBlank(p.src[off]) || p.src[off] == '\r') {
		off++
	}
	return off >= len(p.src) || p.src[off] == '\n' || p.src[off] == '#'
}

// endsLine: nothing that counts follows the statement on its line: only
// blanks and a comment, or a tail libuci ignores (see stmt.dead).
func (p *Package) endsLine(st *stmt) bool {
	return st.dead >= 0 || p.tailTrivia(st.after())
}

// replaceText is text for replacing st[start:end]. When a glued ';'
// follows (whose tail libuci ignores), the new statement would no longer be
// glued to it, so the ignored tail is kept as a comment instead.
func replaceText(st *stmt, text string) string {
	if st.dead >= 0 && st.dead == st.end {
		return text + " #"
	}
	return text
}

// after is the offset just past a statement and its ';' separator.
func (st *stmt) after() int {
	if st.semi >= 0 {
		return st.semi + 1
	}
	return st.end
}

// indentOf returns the blanks before a statement that starts its line.
func (p *Package) indentOf(st *stmt) (string, bool) {
	ls := p.lineStart(st.start)
	if !p.headBlank(st.start) {
		return "", false
	}
	return string(p.src[ls:st.start]), true
}

// deleteSpan removes a statement: its whole line(s) when nothing else is on
// them, else only the statement (and its ';').
func (p *Package) deleteSpan(st *stmt) splice {
	if p.headBlank(st.start) && p.endsLine(st) {
		return splice{start: p.lineStart(st.start), end: p.lineEnd(st.after())}
	}
	end := st.after()
	if st.semi >= 0 {
		for end < len(p.src) && isBlank(p.src[end]) {
			end++
		}
	}
	return splice{start: st.start, end: end}
}

// insertAfter adds statement text after st: on its own line when st ends its
// line, else on the same line separated by ';'.
func (p *Package) insertAfter(st *stmt, indent string, lines []string) splice {
	if p.endsLine(st) {
		at := p.lineEnd(st.after())
		nl := "\n"
		if at >= 2 && p.src[at-1] == '\n' && p.src[at-2] == '\r' {
			nl = "\r\n" // keep a CRLF file CRLF
		}
		var b strings.Builder
		if at == len(p.src) && (at == 0 || p.src[at-1] != '\n') {
			b.WriteString(nl)
		}
		for _, l := range lines {
			b.WriteString(indent + l + nl)
		}
		return splice{start: at, end: at, text: b.String()}
	}
	if st.semi >= 0 {
		return splice{start: st.semi + 1, end: st.semi + 1, text: " " + strings.Join(lines, "; ") + ";"}
	}
	return splice{start: st.end, end: st.end, text: "; " + strings.Join(lines, "; ")}
}

func (p *Package) sectionIndent(s *section) string {
	ind := "\t"
	for _, st := range s.stmts {
		if st.kind == kindOption || st.kind == kindList {
			if in, ok := p.indentOf(st); ok {
				ind = in
			}
		}
	}
	return ind
}

func optLine(name, v string) string  { return "option " + name + " " + Quote(v) }
func listLine(name, v string) string { return "list " + name + " " + Quote(v) }

func (p *Package) want(f func(secs []Section)) []Section {
	secs := p.Sections()
	f(secs)
	return secs
}

func indexOf(p *Package, s *section) int {
	for i, x := range p.secs {
		if x == s {
			return i
		}
	}
	return -1
}

// creator is the statement that created the option (its position in the
// section): the first mention that is a list entry or a non-empty value.
func creator(ments []*stmt) *stmt {
	for _, m := range ments {
		if m.kind == kindList || m.value != "" {
			return m
		}
	}
	return nil
}

func setOpt(sec *Section, o Option) {
	for i := range sec.Options {
		if sec.Options[i].Name == o.Name {
			sec.Options[i] = o
			return
		}
	}
	sec.Options = append(sec.Options, o)
}

func delOpt(sec *Section, name string) {
	for i := range sec.Options {
		if sec.Options[i].Name == name {
			sec.Options = append(sec.Options[:i], sec.Options[i+1:]...)
			return
		}
	}
}

// replaceOption rewrites every statement of an option as lines.
func (p *Package) replaceOption(s *section, name string, lines []string) []splice {
	ments := s.mentions(name)
	c := creator(ments)
	var sp []splice
	if c == nil {
		var last *stmt
		if len(s.stmts) > 0 {
			last = s.stmts[len(s.stmts)-1]
		}
		for _, m := range ments {
			sp = append(sp, p.deleteSpan(m))
		}
		if last != nil && (last.kind == kindOption || last.kind == kindList) && last.name == name {
			// the last statement is being deleted; insert after the one before
			for i := len(s.stmts) - 1; i >= 0; i-- {
				if st := s.stmts[i]; !((st.kind == kindOption || st.kind == kindList) && st.name == name) {
					last = st
					break
				}
			}
		}
		return append(sp, p.insertAfter(last, p.sectionIndent(s), lines))
	}
	ind, ok := p.indentOf(c)
	if !ok {
		ind = p.sectionIndent(s)
	}
	sp = append(sp, splice{start: c.start, end: c.end, text: replaceText(c, strings.Join(lines, "\n"+ind))})
	for _, m := range ments {
		if m != c {
			sp = append(sp, p.deleteSpan(m))
		}
	}
	return sp
}

// Set sets sel.opt to a plain option value, like `uci set`. An empty value
// deletes the option, as uci does.
func (p *Package) Set(sel, opt, value string) error {
	if value == "" {
		return p.Delete(sel, opt)
	}
	if err := checkName("option", opt); err != nil {
		return err
	}
	if err := checkValue(value); err != nil {
		return err
	}
	s, err := p.lookup(sel)
	if err != nil {
		return err
	}
	if o := s.option(opt); o != nil && !o.list && o.values[0] == value {
		return nil
	}
	i := indexOf(p, s)
	want := p.want(func(secs []Section) { setOpt(&secs[i], Option{Name: opt, Values: []string{value}}) })
	return p.commit(p.replaceOption(s, opt, []string{optLine(opt, value)}), want)
}

// SetList sets sel.opt to a list. Entries that stay keep their statements
// (and any comments between them); only added, removed or changed entries
// are written. An empty values deletes the option.
func (p *Package) SetList(sel, opt string, values []string) error {
	if len(values) == 0 {
		return p.Delete(sel, opt)
	}
	if err := checkName("option", opt); err != nil {
		return err
	}
	for _, v := range values {
		if err := checkValue(v); err != nil {
			return err
		}
	}
	s, err := p.lookup(sel)
	if err != nil {
		return err
	}
	o := s.option(opt)
	if o != nil && o.list && equalStrings(o.values, values) {
		return nil
	}
	i := indexOf(p, s)
	want := p.want(func(secs []Section) {
		setOpt(&secs[i], Option{Name: opt, List: true, Values: append([]string(nil), values...)})
	})
	if o != nil && o.list {
		if sp, ok := p.listEdits(s, opt, values); ok {
			if err := p.commit(sp, want); err == nil {
				return nil
			}
		}
	}
	lines := make([]string, len(values))
	for k, v := range values {
		lines[k] = listLine(opt, v)
	}
	return p.commit(p.replaceOption(s, opt, lines), want)
}

// listEdits computes minimal statement edits turning a list whose entries
// are one `list` statement each into values.
func (p *Package) listEdits(s *section, opt string, values []string) ([]splice, bool) {
	ments := s.mentions(opt)
	for _, m := range ments {
		if m.kind != kindList {
			return nil, false
		}
	}
	old := make([]string, len(ments))
	for k, m := range ments {
		old[k] = m.value
	}
	ops := lcsOps(old, values)
	var sp []splice
	var prev *stmt // last kept or replaced statement
	var pendingIns []string
	flushBefore := func(next *stmt) bool {
		if len(pendingIns) == 0 {
			return true
		}
		lines := make([]string, len(pendingIns))
		for k, v := range pendingIns {
			lines[k] = listLine(opt, v)
		}
		pendingIns = nil
		if prev != nil {
			ind, ok := p.indentOf(prev)
			if !ok {
				ind = p.sectionIndent(s)
			}
			sp = append(sp, p.insertAfter(prev, ind, lines))
			return true
		}
		// before the first statement of the list
		ind, ok := p.indentOf(next)
		if !ok {
			return false
		}
		at := p.lineStart(next.start)
		sp = append(sp, splice{start: at, end: at, text: ind + strings.Join(lines, "\n"+ind) + "\n"})
		return true
	}
	for k := 0; k < len(ops); k++ {
		op := ops[k]
		switch op.kind {
		case opKeep:
			if !flushBefore(ments[op.i]) {
				return nil, false
			}
			prev = ments[op.i]
		case opDel:
			// a deletion followed by an insertion is a replacement in place
			if k+1 < len(ops) && ops[k+1].kind == opIns && len(pendingIns) == 0 {
				m := ments[op.i]
				sp = append(sp, splice{start: m.start, end: m.end, text: replaceText(m, listLine(opt, values[ops[k+1].j]))})
				prev = m
				k++
				continue
			}
			sp = append(sp, p.deleteSpan(ments[op.i]))
		case opIns:
			pendingIns = append(pendingIns, values[op.j])
		}
	}
	if len(pendingIns) > 0 {
		if prev == nil {
			prev = ments[len(ments)-1] // everything else was deleted
		}
		if !flushBefore(nil) {
			return nil, false
		}
	}
	return sp, true
}

type opKind int

const (
	opKeep opKind = iota
	opDel
	opIns
)

type lcsOp struct {
	kind opKind
	i, j int
}

// lcsOps aligns a and b by their longest common subsequence.
func lcsOps(a, b []string) []lcsOp {
	n, m := len(a), len(b)
	t := make([][]int, n+1)
	for i := range t {
		t[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				t[i][j] = t[i+1][j+1] + 1
			} else if t[i+1][j] >= t[i][j+1] {
				t[i][j] = t[i+1][j]
			} else {
				t[i][j] = t[i][j+1]
			}
		}
	}
	var ops []lcsOp
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, lcsOp{opKeep, i, j})
			i++
			j++
		case i < n && (j >= m || t[i+1][j] >= t[i][j+1]):
			ops = append(ops, lcsOp{opDel, i, j})
			i++
		default:
			ops = append(ops, lcsOp{opIns, i, j})
			j++
		}
	}
	return ops
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Delete removes sel.opt (every statement that names it). Deleting an option
// that does not exist is not an error, as with `uci delete`... except that
// the section must exist.
func (p *Package) Delete(sel, opt string) error {
	s, err := p.lookup(sel)
	if err != nil {
		return err
	}
	ments := s.mentions(opt)
	if len(ments) == 0 {
		return nil
	}
	i := indexOf(p, s)
	want := p.want(func(secs []Section) { delOpt(&secs[i], opt) })
	var sp []splice
	for _, m := range ments {
		sp = append(sp, p.deleteSpan(m))
	}
	return p.commit(sp, want)
}

// AddSection appends a section at the end of the file, as `uci add` (name
// "") or `uci set pkg.name=type` do, and returns its name (for an anonymous
// section, the cfgNNHHHH name libuci gives it). If a section of that name
// and type exists, nothing changes; another type is an error.
func (p *Package) AddSection(typ, name string) (string, error) {
	if !validType(typ) {
		return "", fmt.Errorf("uci: invalid section type %q", typ)
	}
	if name != "" {
		if err := checkName("section", name); err != nil {
			return "", err
		}
		if s, err := p.lookup(name); err == nil {
			if s.typ != typ {
				return "", fmt.Errorf("uci: %s.%s exists with type %q, not %q", p.name, name, s.typ, typ)
			}
			return name, nil
		}
	}
	line := "config " + renderType(typ)
	if name != "" {
		line += " " + Quote(name)
	}
	var text string
	n := len(p.src)
	switch {
	case n == 0:
		text = "\n" + line + "\n\n"
	case p.src[n-1] == '\n' && (n == 1 || p.src[n-2] == '\n'):
		text = line + "\n\n"
	case p.src[n-1] == '\n':
		text = "\n" + line + "\n"
	default:
		text = "\n\n" + line + "\n"
	}
	want := p.want(func([]Section) {})
	want = append(want, Section{Name: name, Type: typ, Anonymous: name == ""})
	if err := p.commit([]splice{{start: n, end: n, text: text}}, want); err != nil {
		return "", err
	}
	return p.secs[len(p.secs)-1].name, nil
}

// DeleteSection removes a section: every statement that belongs to it.
// Comments around it stay.
func (p *Package) DeleteSection(sel string) error {
	s, err := p.lookup(sel)
	if err != nil {
		return err
	}
	i := indexOf(p, s)
	want := p.want(func([]Section) {})
	want = append(want[:i], want[i+1:]...)
	var sp []splice
	for _, st := range s.stmts {
		d := p.deleteSpan(st)
		// take a blank line before a section header with it, so that a
		// canonical file stays canonical
		if st.kind == kindConfig && d.start == p.lineStart(st.start) && d.start > 0 &&
			p.src[d.start-1] == '\n' && (d.start == 1 || p.src[d.start-2] == '\n') {
			d.start--
		}
		sp = append(sp, d)
	}
	return p.commit(sp, want)
}
