package uci

import (
	"fmt"
)

// ParseError is a file libuci would reject. Line and Byte are exactly what
// libuci reports ("Parse error (REASON) at line L, byte B"): Byte is an offset
// into libuci's line buffer, which joins continued lines, so it is not always
// the column of the offending token. Offset is the position in the file
// (0-based) that the parser had reached, which is the useful place to look.
type ParseError struct {
	Package string // the package (file) name
	Reason  string // libuci's reason text, e.g. "invalid command"
	Line    int    // libuci's line counter
	Byte    int    // libuci's buffer offset
	Offset  int    // byte offset into the file
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("uci: parse %s: %s at line %d, byte %d", e.Package, e.Reason, e.Line, e.Byte)
}

// libuci's grammar is defined by its implementation (file.c), not by a
// specification, so the parser below replays that implementation step by step
// on a byte buffer: fgets-style line reads that join continued lines, in-place
// unquoting, strtok on the command word, and the same rules for ';', '#' and
// backslashes. That is the only way to agree with `uci show` on every corner
// case (see ../shared/uci-samples/README.md, "Surprises"). Alongside the
// buffer it keeps, for each buffer byte, the file offset it was read from, so
// every statement can be located in the original bytes for lossless editing.

const lineBuf = 32 // libuci LINEBUF

type stmtKind byte

const (
	kindPackage stmtKind = 'p'
	kindConfig  stmtKind = 'c'
	kindOption  stmtKind = 'o'
	kindList    stmtKind = 'l'
)

// stmt is one command of the file with its location.
type stmt struct {
	kind  stmtKind
	start int // file offset of the first byte of the command word
	end   int // file offset just past the last byte of its last argument
	semi  int // file offset of a ';' that ends the command, or -1
	// dead is the file offset of a ';' glued to the end of an unquoted
	// word: libuci overwrites it with the string terminator and ignores
	// the rest of the line (-1 if none).
	dead  int
	name  string // option name (option/list)
	value string // option/list value
	sec   *section
}

type option struct {
	name   string
	list   bool
	values []string
}

type section struct {
	name  string
	typ   string
	anon  bool
	opts  []*option
	stmts []*stmt // config statements and option statements, in file order
}

// mentions lists every option/list statement of the section that names the
// option, including ones that had no effect (empty values, overridden ones).
func (s *section) mentions(name string) []*stmt {
	var out []*stmt
	for _, st := range s.stmts {
		if (st.kind == kindOption || st.kind == kindList) && st.name == name {
			out = append(out, st)
		}
	}
	return out
}

func (s *section) option(name string) *option {
	for _, o := range s.opts {
		if o.name == name {
			return o
		}
	}
	return nil
}

type parser struct {
	pkgName string
	src     []byte
	rd      int // read position in src
	eof     bool

	buf    []byte
	orig   []int // file offset of each buffer byte as read
	bufsz  int
	filled int
	pos    int
	line   int

	secs    []*section
	byName  map[string]*section
	cur     *section
	nsect   int // libuci's per-package section counter
	stmts   []*stmt
	lastEnd int // file offset past the last consumed byte of an argument
	glued   int // see stmt.dead
}

type parseAbort struct{ err *ParseError }

func (p *parser) fail(reason string) {
	off := len(p.src)
	if p.pos < p.filled {
		off = p.orig[p.pos]
	}
	panic(parseAbort{&ParseError{Package: p.pkgName, Reason: reason, Line: p.line, Byte: p.pos, Offset: off}})
}

// double is libuci's "bufsz *= 2". The size is only bookkeeping here: it
// decides how many bytes each fgets may read, and it is capped once it is
// larger than any line could be (libuci would run out of memory long before
// on the inputs where that matters: lines cut by many NUL bytes).
func (p *parser) double() {
	if p.bufsz < 1<<30 { // fits int on 32-bit routers
		p.bufsz *= 2
	}
}

// ensure makes the physical buffer hold at least n bytes.
func (p *parser) ensure(n int) {
	if len(p.buf) >= n {
		return
	}
	c := 2 * len(p.buf)
	if c < n {
		c = n
	}
	nb := make([]byte, c)
	copy(nb, p.buf)
	p.buf = nb
	no := make([]int, c)
	copy(no, p.orig)
	p.orig = no
}

func (p *parser) at(i int) byte {
	if i < 0 || i >= len(p.buf) {
		return 0
	}
	return p.buf[i]
}

func (p *parser) cur0() byte { return p.at(p.pos) }

// fgets reads at most n-1 bytes up to and including '\n' into buf[ofs:],
// followed by a NUL, and reports whether anything was read.
func (p *parser) fgets(ofs, n int) bool {
	if p.rd >= len(p.src) {
		p.eof = true
		return false
	}
	max := n - 1
	if rem := len(p.src) - p.rd; max > rem {
		max = rem
	}
	p.ensure(ofs + max + 1)
	i := 0
	for i < max {
		c := p.src[p.rd]
		p.buf[ofs+i] = c
		p.orig[ofs+i] = p.rd
		p.rd++
		i++
		if c == '\n' {
			break
		}
	}
	if p.rd >= len(p.src) && (i == 0 || p.buf[ofs+i-1] != '\n') {
		p.eof = true
	}
	p.buf[ofs+i] = 0
	p.orig[ofs+i] = p.rd
	return true
}

// getln is libuci's uci_getln.
func (p *parser) getln(offset int) {
	if p.buf == nil {
		p.bufsz = lineBuf
		p.ensure(lineBuf)
	}
	if offset >= p.bufsz-1 {
		p.double()
	}
	ofs := offset
	for {
		p.ensure(ofs + 1)
		p.buf[ofs] = 0
		p.orig[ofs] = p.rd
		if !p.fgets(ofs, p.bufsz-ofs) || p.buf[ofs] == 0 {
			return
		}
		n := 0
		for p.buf[ofs+n] != 0 {
			n++
		}
		ofs += n
		p.filled = ofs
		if p.buf[ofs-1] == '\n' {
			p.line++
			return
		}
		p.double()
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// validName is libuci's uci_validate_name (package names also allow '-').
func validName(s string, pkg bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '_' && !(pkg && c == '-') {
			return false
		}
	}
	return true
}

// validType is libuci's uci_validate_type.
func validType(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '_' && (c < 33 || c > 126) {
			return false
		}
	}
	return true
}

func (p *parser) backslash() bool {
	p.pos++
	c := p.cur0()
	if c == 0 || c == '\n' || (c == '\r' && p.at(p.pos+1) == '\n' && p.at(p.pos+2) == 0) {
		p.getln(p.pos)
		return false
	}
	return true
}

func (p *parser) skipSpace() {
	for c := p.cur0(); c != 0 && isSpace(c); c = p.cur0() {
		p.pos++
	}
}

func (p *parser) addc(target *int) {
	p.buf[*target] = p.buf[p.pos]
	p.lastEnd = p.orig[p.pos] + 1
	*target++
	p.pos++
}

func (p *parser) doubleQuote(target *int) {
	p.pos++
	for {
		switch p.cur0() {
		case '"':
			p.lastEnd = p.orig[p.pos] + 1
			p.pos++
			return
		case 0:
			p.getln(p.pos)
			if p.cur0() == 0 {
				p.fail("EOF with unterminated \"")
			}
		case '\\':
			if !p.backslash() {
				continue
			}
			p.addc(target)
		default:
			p.addc(target)
		}
	}
}

func (p *parser) singleQuote(target *int) {
	p.pos++
	for {
		switch p.cur0() {
		case '\'':
			p.lastEnd = p.orig[p.pos] + 1
			p.pos++
			return
		case 0:
			p.getln(p.pos)
			if p.cur0() == 0 {
				p.fail("EOF with unterminated '")
			}
		default:
			p.addc(target)
		}
	}
}

func (p *parser) parseStr(target *int) {
	next := true
loop:
	for {
		switch p.cur0() {
		case '\'':
			p.singleQuote(target)
		case '"':
			p.doubleQuote(target)
		case '#':
			p.buf[p.pos] = 0
			break loop
		case 0:
			break loop
		case ';':
			next = false
			break loop
		case '\\':
			if !p.backslash() {
				// a continued line: keep going even if it starts with blanks,
				// exactly like libuci's `continue` inside do/while.
				if c := p.cur0(); c != 0 && !isSpace(c) {
					continue
				}
				break loop
			}
			p.addc(target)
		default:
			p.addc(target)
		}
		if c := p.cur0(); c == 0 || isSpace(c) {
			break
		}
	}
	if p.cur0() != 0 && next {
		p.pos++
	}
	if !next && *target == p.pos && p.glued < 0 {
		p.glued = p.orig[p.pos]
	}
	p.buf[*target] = 0
}

func (p *parser) str(off int) string {
	e := off
	for e < len(p.buf) && p.buf[e] != 0 {
		e++
	}
	return string(p.buf[off:e])
}

// nextArg is libuci's next_arg; it returns the buffer offset of the argument
// and, when it consumed a ';' command separator, that ';' file offset.
func (p *parser) nextArg(required, name, pkg bool) (int, int) {
	p.skipSpace()
	val := p.pos
	ptr := p.pos
	semi := -1
	if p.cur0() == ';' {
		semi = p.orig[p.pos]
		p.buf[p.pos] = 0
		p.pos++
	} else {
		p.parseStr(&ptr)
	}
	if p.at(val) == 0 {
		if required {
			p.fail("insufficient arguments")
		}
		return val, semi
	}
	if name && !validName(p.str(val), pkg) {
		p.fail("invalid character in name field")
	}
	return val, semi
}

// assertEOL is libuci's assert_eol in strict mode; it returns the file offset
// of a ';' that ended the command, or -1.
func (p *parser) assertEOL() int {
	p.skipSpace()
	v, semi := p.nextArg(false, false, false)
	if p.at(v) != 0 {
		p.fail("too many arguments")
	}
	return semi
}

func (p *parser) increasePos(add int) bool {
	if p.pos+add > p.filled {
		return false
	}
	p.pos += add
	return true
}

func (p *parser) curStrLen() int {
	n := 0
	for p.at(p.pos+n) != 0 {
		n++
	}
	return n
}

func (p *parser) lookupSection(name string) *section {
	return p.byName[name]
}

func (p *parser) addSection(s *section) {
	if p.byName == nil {
		p.byName = map[string]*section{}
	}
	if _, dup := p.byName[s.name]; !dup {
		p.byName[s.name] = s
	}
	p.secs = append(p.secs, s)
}

// djb2 over C (signed) chars, as libuci's uci_fixup_section does.
func djbHash(s string) uint32 {
	h := uint32(5381)
	for i := 0; i < len(s); i++ {
		h = h<<5 + h + uint32(int32(int8(s[i])))
	}
	return h
}

func (p *parser) parseConfig(st *stmt) {
	if !p.increasePos(p.curStrLen() + 1) {
		p.fail("config without name")
	}
	ot, _ := p.nextArg(true, false, false)
	typ := p.str(ot)
	if !validType(typ) {
		p.fail("invalid character in type field")
	}
	on, semi := p.nextArg(false, true, false)
	st.end = p.lastEnd
	st.semi = p.assertEOL()
	if semi >= 0 {
		st.semi = semi // `config t;`: the name argument took the ';'
	}
	st.dead = p.glued
	typ = p.str(ot)
	name := p.str(on)
	if name == "" {
		p.nsect++
		s := &section{typ: typ, anon: true}
		s.name = fmt.Sprintf("cfg%02x%04x", p.nsect, djbHash(typ)&0xffff)
		p.addSection(s)
		p.cur = s
	} else {
		s := p.lookupSection(name)
		if s != nil {
			if s.typ != typ {
				p.fail("section of different type overwrites prior section with same name")
			}
		} else {
			p.nsect++
			s = &section{name: name, typ: typ}
			p.addSection(s)
		}
		p.cur = s
	}
	st.sec = p.cur
	p.cur.stmts = append(p.cur.stmts, st)
}

func (p *parser) parseOption(st *stmt, list bool) {
	if p.cur == nil {
		p.fail("option/list command found before the first section")
	}
	if !p.increasePos(p.curStrLen() + 1) {
		p.fail("option without name")
	}
	on, _ := p.nextArg(true, true, false)
	ov, semi := p.nextArg(false, false, false)
	st.end = p.lastEnd
	st.semi = p.assertEOL()
	if semi >= 0 {
		st.semi = semi // `option a ;`: the value argument took the ';'
	}
	st.dead = p.glued
	name := p.str(on)
	value := p.str(ov)
	s := p.cur
	st.sec = s
	st.name = name
	st.value = value
	s.stmts = append(s.stmts, st)
	o := s.option(name)
	if list {
		switch {
		case o == nil:
			s.opts = append(s.opts, &option{name: name, list: true, values: []string{value}})
		case !o.list:
			// an option becomes a list that keeps the old value first
			o.list = true
			o.values = append(o.values, value)
		default:
			o.values = append(o.values, value)
		}
		return
	}
	if value == "" {
		// libuci: setting an option to "" while parsing changes nothing
		return
	}
	if o == nil {
		s.opts = append(s.opts, &option{name: name, values: []string{value}})
		return
	}
	if !o.list && o.values[0] == value {
		return
	}
	o.list = false
	o.values = []string{value}
}

func (p *parser) parsePackage(st *stmt) {
	if !p.increasePos(p.curStrLen() + 1) {
		p.fail("package without name")
	}
	p.nextArg(true, true, true)
	st.end = p.lastEnd
	st.semi = p.assertEOL()
	st.dead = p.glued
	// loading from a config directory ignores package lines
}

// strtok(cur, " \t"): returns the buffer offset of the word or -1.
func (p *parser) strtok() int {
	i := p.pos
	for c := p.at(i); c == ' ' || c == '\t'; c = p.at(i) {
		i++
	}
	if p.at(i) == 0 {
		return -1
	}
	j := i
	for c := p.at(j); c != 0 && c != ' ' && c != '\t'; c = p.at(j) {
		j++
	}
	if p.at(j) != 0 {
		p.buf[j] = 0
	}
	return i
}

func (p *parser) parseLine() {
	p.skipSpace()
	for {
		w := p.strtok()
		if w < 0 {
			return
		}
		word := p.str(w)
		st := &stmt{start: p.orig[w], semi: -1, dead: -1}
		p.glued = -1
		p.lastEnd = p.orig[w] + len(word)
		kw := word[1:]
		switch word[0] {
		case '#':
			return
		case 'p':
			if kw != "" && kw != "ackage" {
				p.fail("invalid command")
			}
			st.kind = kindPackage
			p.parsePackage(st)
		case 'c':
			if kw != "" && kw != "onfig" {
				p.fail("invalid command")
			}
			st.kind = kindConfig
			p.parseConfig(st)
		case 'o':
			if kw != "" && kw != "ption" {
				p.fail("invalid command")
			}
			st.kind = kindOption
			p.parseOption(st, false)
		case 'l':
			if kw != "" && kw != "ist" {
				p.fail("invalid command")
			}
			st.kind = kindList
			p.parseOption(st, true)
		default:
			p.fail("invalid command")
		}
		p.stmts = append(p.stmts, st)
	}
}

// parseTree parses src the way libuci loads /etc/config/<name> in strict mode.
func parseTree(name string, src []byte) (secs []*section, stmts []*stmt, err error) {
	p := &parser{pkgName: name, src: src}
	defer func() {
		if r := recover(); r != nil {
			a, ok := r.(parseAbort)
			if !ok {
				panic(r)
			}
			secs, stmts, err = nil, nil, a.err
		}
	}()
	for !p.eof {
		p.pos = 0
		p.getln(0)
		if p.at(0) != 0 {
			p.parseLine()
		}
	}
	return p.secs, p.stmts, nil
}
