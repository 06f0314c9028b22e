package keepalived

import (
	"fmt"
	"strconv"
)

// pattern is a small regular-expression matcher for the log patterns in
// this package, used instead of package regexp to keep the binary small
// (regexp and the Unicode tables it pulls in cost about 300 KB on mipsle).
//
// It accepts the subset the patterns need, with Go regexp's meaning:
// literals and escaped punctuation; . ; classes [...] and [^...] with
// ranges and \d \s \S inside; \d \D \s \S \w \W \b; groups (...) and
// (?:...); alternation |; the greedy quantifiers * + ? and {n}; ^ and $
// (whole text, no multi-line); a leading (?i) for ASCII case folding.
// Everything else (lazy quantifiers, {n,m}, named groups, Unicode
// classes, Unicode case folding) is refused when compiling.
//
// Matching works on bytes (\S and [^...] match any byte of a multi-byte
// UTF-8 character, so captures still end on character boundaries) with
// leftmost-first semantics like regexp: the leftmost match, and among
// matches starting there the one a backtracking engine finds first. A
// visited set over (instruction, position) bounds the work to
// len(program) × (len(text)+1) steps, as in regexp's own backtracker.
//
// A compiled pattern is immutable and safe for concurrent use.
type pattern struct {
	src   string
	prog  []inst
	ncap  int // capturing groups, not counting the whole match
	start bool
}

type opcode uint8

const (
	opByte  opcode = iota // match one byte in set
	opSplit               // try x, then y
	opJmp                 // go to x
	opSave                // record the position in slot n
	opBegin               // ^
	opEnd                 // $
	opWordB               // \b
	opMatch
)

type byteSet [8]uint32

func (s *byteSet) add(c byte)      { s[c>>5] |= 1 << (c & 31) }
func (s *byteSet) has(c byte) bool { return s[c>>5]&(1<<(c&31)) != 0 }
func (s *byteSet) addRange(lo, hi int) {
	for c := lo; c <= hi; c++ {
		s.add(byte(c))
	}
}
func (s *byteSet) invert() {
	for i := range s {
		s[i] = ^s[i]
	}
}
func (s *byteSet) union(o *byteSet) {
	for i := range s {
		s[i] |= o[i]
	}
}

type inst struct {
	op   opcode
	x, y int
	set  *byteSet
}

// mustCompile compiles a pattern; it panics on an unsupported one (the
// patterns are constants of this package, checked by its tests).
func mustCompile(src string) *pattern {
	p, err := compilePattern(src)
	if err != nil {
		panic(err)
	}
	return p
}

type parser struct {
	src  string
	pos  int
	fold bool
	ncap int
}

// node is the parsed form: a tree compiled to instructions afterwards.
type node struct {
	kind  byte // 'c' set, 'g' capture group, 'n' non-capturing group, '^', '$', 'b', '*', '+', '?'
	set   *byteSet
	alts  [][]*node // groups: alternatives, each a sequence
	sub   *node     // quantifiers
	index int       // capture index
}

func compilePattern(src string) (*pattern, error) {
	ps := &parser{src: src}
	if len(src) >= 4 && src[:4] == "(?i)" {
		ps.fold = true
		ps.pos = 4
	}
	alts, err := ps.alternation()
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", src, err)
	}
	if ps.pos != len(src) {
		return nil, fmt.Errorf("pattern %q: unexpected ) at %d", src, ps.pos)
	}
	p := &pattern{src: src, ncap: ps.ncap}
	p.emit(inst{op: opSave, x: 0})
	p.alternation(alts)
	p.emit(inst{op: opSave, x: 1})
	p.emit(inst{op: opMatch})
	p.start = len(alts) == 1 && len(alts[0]) > 0 && alts[0][0].kind == '^'
	return p, nil
}

func (ps *parser) alternation() ([][]*node, error) {
	var alts [][]*node
	var seq []*node
	for ps.pos < len(ps.src) {
		c := ps.src[ps.pos]
		switch c {
		case '|':
			ps.pos++
			alts = append(alts, seq)
			seq = nil
			continue
		case ')':
			return append(alts, seq), nil
		}
		n, err := ps.atom()
		if err != nil {
			return nil, err
		}
		for ps.pos < len(ps.src) {
			q := ps.src[ps.pos]
			if q == '*' || q == '+' || q == '?' {
				ps.pos++
				if ps.pos < len(ps.src) && (ps.src[ps.pos] == '?' || ps.src[ps.pos] == '+') {
					return nil, fmt.Errorf("lazy or possessive quantifier at %d", ps.pos)
				}
				n = &node{kind: q, sub: n}
				continue
			}
			if q == '{' {
				end := ps.pos + 1
				for end < len(ps.src) && ps.src[end] >= '0' && ps.src[end] <= '9' {
					end++
				}
				if end == ps.pos+1 || end >= len(ps.src) || ps.src[end] != '}' {
					return nil, fmt.Errorf("unsupported repetition at %d", ps.pos)
				}
				k, _ := strconv.Atoi(ps.src[ps.pos+1 : end])
				if k < 1 || k > 16 || n.kind == 'g' {
					return nil, fmt.Errorf("unsupported repetition count at %d", ps.pos)
				}
				ps.pos = end + 1
				for i := 1; i < k; i++ {
					seq = append(seq, n)
				}
				continue
			}
			break
		}
		seq = append(seq, n)
	}
	return append(alts, seq), nil
}

func (ps *parser) atom() (*node, error) {
	c := ps.src[ps.pos]
	ps.pos++
	switch c {
	case '(':
		n := &node{kind: 'g'}
		if ps.pos+1 < len(ps.src) && ps.src[ps.pos] == '?' {
			if ps.src[ps.pos+1] != ':' {
				return nil, fmt.Errorf("unsupported group flag at %d", ps.pos)
			}
			ps.pos += 2
			n.kind = 'n'
		} else {
			ps.ncap++
			n.index = ps.ncap
		}
		alts, err := ps.alternation()
		if err != nil {
			return nil, err
		}
		if ps.pos >= len(ps.src) || ps.src[ps.pos] != ')' {
			return nil, fmt.Errorf("missing )")
		}
		ps.pos++
		n.alts = alts
		return n, nil
	case '[':
		return ps.class()
	case '\\':
		return ps.escape(false)
	case '.':
		s := &byteSet{}
		s.invert()
		s[0] &^= 1 << '\n'
		return &node{kind: 'c', set: s}, nil
	case '^', '$':
		return &node{kind: c}, nil
	case '*', '+', '?', '{', '}', ']':
		return nil, fmt.Errorf("unexpected %q at %d", c, ps.pos-1)
	}
	return &node{kind: 'c', set: ps.literal(c)}, nil
}

func (ps *parser) literal(c byte) *byteSet {
	s := &byteSet{}
	s.add(c)
	if ps.fold {
		switch {
		case c >= 'a' && c <= 'z':
			s.add(c - 'a' + 'A')
		case c >= 'A' && c <= 'Z':
			s.add(c - 'A' + 'a')
		}
	}
	return s
}

var (
	digitSet = func() *byteSet { s := &byteSet{}; s.addRange('0', '9'); return s }()
	spaceSet = func() *byteSet {
		s := &byteSet{}
		for _, c := range "\t\n\f\r " {
			s.add(byte(c))
		}
		return s
	}()
	wordSet = func() *byteSet {
		s := &byteSet{}
		s.addRange('0', '9')
		s.addRange('A', 'Z')
		s.addRange('a', 'z')
		s.add('_')
		return s
	}()
)

// escape parses what follows a backslash; inClass refuses \b.
func (ps *parser) escape(inClass bool) (*node, error) {
	if ps.pos >= len(ps.src) {
		return nil, fmt.Errorf("trailing backslash")
	}
	c := ps.src[ps.pos]
	ps.pos++
	s := &byteSet{}
	switch c {
	case 'd', 'D':
		*s = *digitSet
	case 's', 'S':
		*s = *spaceSet
	case 'w', 'W':
		*s = *wordSet
	case 'b':
		if inClass {
			return nil, fmt.Errorf(`\b in a class`)
		}
		return &node{kind: 'b'}, nil
	default:
		if c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= 0x80 {
			return nil, fmt.Errorf(`unsupported escape \%c`, c)
		}
		return &node{kind: 'c', set: ps.literal(c)}, nil
	}
	if c == 'D' || c == 'S' || c == 'W' {
		s.invert()
	}
	return &node{kind: 'c', set: s}, nil
}

func (ps *parser) class() (*node, error) {
	s := &byteSet{}
	negate := false
	if ps.pos < len(ps.src) && ps.src[ps.pos] == '^' {
		negate = true
		ps.pos++
	}
	first := true
	for {
		if ps.pos >= len(ps.src) {
			return nil, fmt.Errorf("missing ]")
		}
		c := ps.src[ps.pos]
		if c == ']' && !first {
			ps.pos++
			break
		}
		first = false
		ps.pos++
		if c == '\\' {
			n, err := ps.escape(true)
			if err != nil {
				return nil, err
			}
			s.union(n.set)
			continue
		}
		if c == '[' {
			return nil, fmt.Errorf("nested class at %d", ps.pos-1)
		}
		if ps.pos+1 < len(ps.src) && ps.src[ps.pos] == '-' && ps.src[ps.pos+1] != ']' {
			hi := ps.src[ps.pos+1]
			if hi == '\\' || hi < c {
				return nil, fmt.Errorf("bad range at %d", ps.pos)
			}
			ps.pos += 2
			for x := int(c); x <= int(hi); x++ {
				s.union(ps.literal(byte(x)))
			}
			continue
		}
		s.union(ps.literal(c))
	}
	if negate {
		s.invert()
	}
	return &node{kind: 'c', set: s}, nil
}

func (p *pattern) emit(i inst) int {
	p.prog = append(p.prog, i)
	return len(p.prog) - 1
}

func (p *pattern) alternation(alts [][]*node) {
	if len(alts) == 1 {
		p.sequence(alts[0])
		return
	}
	// split L1, next; L1: alt0; jmp end; next: split L2, ...
	var jumps []int
	for i, seq := range alts {
		if i < len(alts)-1 {
			split := p.emit(inst{op: opSplit})
			p.prog[split].x = len(p.prog)
			p.sequence(seq)
			jumps = append(jumps, p.emit(inst{op: opJmp}))
			p.prog[split].y = len(p.prog)
		} else {
			p.sequence(seq)
		}
	}
	for _, j := range jumps {
		p.prog[j].x = len(p.prog)
	}
}

func (p *pattern) sequence(seq []*node) {
	for _, n := range seq {
		p.node(n)
	}
}

func (p *pattern) node(n *node) {
	switch n.kind {
	case 'c':
		p.emit(inst{op: opByte, set: n.set})
	case '^':
		p.emit(inst{op: opBegin})
	case '$':
		p.emit(inst{op: opEnd})
	case 'b':
		p.emit(inst{op: opWordB})
	case 'n':
		p.alternation(n.alts)
	case 'g':
		p.emit(inst{op: opSave, x: 2 * n.index})
		p.alternation(n.alts)
		p.emit(inst{op: opSave, x: 2*n.index + 1})
	case '*':
		split := p.emit(inst{op: opSplit})
		p.prog[split].x = len(p.prog)
		p.node(n.sub)
		p.emit(inst{op: opJmp, x: split})
		p.prog[split].y = len(p.prog)
	case '+':
		start := len(p.prog)
		p.node(n.sub)
		p.emit(inst{op: opSplit, x: start, y: len(p.prog) + 1})
	case '?':
		split := p.emit(inst{op: opSplit})
		p.prog[split].x = len(p.prog)
		p.node(n.sub)
		p.prog[split].y = len(p.prog)
	}
}

type job struct {
	pc, pos int
	restore bool // undo a capture: slot pc had value pos
}

// submatchIndex returns the match's slots (pairs of start and end for the
// whole match and each group, -1 when a group did not take part), or nil.
func (p *pattern) submatchIndex(s string) []int {
	caps := make([]int, 2*(p.ncap+1))
	for i := range caps {
		caps[i] = -1
	}
	width := len(s) + 1
	visited := make([]uint32, (len(p.prog)*width+31)/32)
	var stack []job
	for start := 0; start <= len(s); start++ {
		stack = append(stack[:0], job{pc: 0, pos: start})
		for len(stack) > 0 {
			j := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if j.restore {
				caps[j.pc] = j.pos
				continue
			}
			pc, pos := j.pc, j.pos
		thread:
			for {
				k := pc*width + pos
				if visited[k>>5]&(1<<(k&31)) != 0 {
					break
				}
				visited[k>>5] |= 1 << (k & 31)
				in := &p.prog[pc]
				switch in.op {
				case opByte:
					if pos >= len(s) || !in.set.has(s[pos]) {
						break thread
					}
					pc++
					pos++
				case opSplit:
					stack = append(stack, job{pc: in.y, pos: pos})
					pc = in.x
				case opJmp:
					pc = in.x
				case opSave:
					stack = append(stack, job{pc: in.x, pos: caps[in.x], restore: true})
					caps[in.x] = pos
					pc++
				case opBegin:
					if pos != 0 {
						break thread
					}
					pc++
				case opEnd:
					if pos != len(s) {
						break thread
					}
					pc++
				case opWordB:
					before := pos > 0 && wordSet.has(s[pos-1])
					after := pos < len(s) && wordSet.has(s[pos])
					if before == after {
						break thread
					}
					pc++
				case opMatch:
					return caps
				}
			}
		}
		if p.start {
			break
		}
	}
	return nil
}

// FindStringSubmatchIndex is regexp's method of that name.
func (p *pattern) FindStringSubmatchIndex(s string) []int { return p.submatchIndex(s) }

// FindStringIndex returns the whole match's start and end, or nil.
func (p *pattern) FindStringIndex(s string) []int {
	if m := p.submatchIndex(s); m != nil {
		return m[:2]
	}
	return nil
}

// MatchString reports whether s contains a match.
func (p *pattern) MatchString(s string) bool { return p.submatchIndex(s) != nil }

// FindStringSubmatch returns the match and its groups ("" for a group
// that did not take part), or nil.
func (p *pattern) FindStringSubmatch(s string) []string {
	m := p.submatchIndex(s)
	if m == nil {
		return nil
	}
	out := make([]string, len(m)/2)
	for i := range out {
		if m[2*i] >= 0 && m[2*i+1] >= 0 {
			out[i] = s[m[2*i]:m[2*i+1]]
		}
	}
	return out
}

// String returns the source text.
func (p *pattern) String() string { return p.src }
