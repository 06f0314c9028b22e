package flags

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/floatgw/floatgw/internal/columns"
)

// ErrHelp is returned by Parse when the arguments contain -h or --help and the set defines no
// flag of that name.
var ErrHelp = errors.New("help requested")

type kind uint8

const (
	kindBool kind = iota
	kindString
	kindInt32
	kindDuration
)

// flag is one defined flag; exactly one of the value pointers matching kind is set.
type flag struct {
	name    string
	short   byte // 0 when the flag has no shorthand
	help    string
	kind    kind
	def     string // the default as usage shows it; "" for the type's zero
	changed bool
	b       *bool
	s       *string
	i       *int32
	d       *time.Duration
}

// Set is a set of defined flags and, after Parse, the positional arguments.
//
// A Set is not safe for concurrent use. Define every flag before calling Parse; defining a
// flag whose name or shorthand is already defined, or a shorthand that is not one ASCII
// letter or digit, is a programming error and panics.
type Set struct {
	name  string
	flags []*flag
	args  []string
}

// New returns an empty set; name (the command's name) is only reported by Name.
func New(name string) *Set { return &Set{name: name} }

// Name returns the name given to New.
func (s *Set) Name() string { return s.name }

func (s *Set) add(f *flag, short string) {
	if f.name == "" || strings.HasPrefix(f.name, "-") || strings.Contains(f.name, "=") {
		panic("flags: bad flag name " + strconv.Quote(f.name))
	}
	if s.lookup(f.name) != nil {
		panic("flags: flag redefined: " + f.name)
	}
	if short != "" {
		c := short[0]
		if len(short) != 1 || !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			panic("flags: bad shorthand " + strconv.Quote(short) + " for " + f.name)
		}
		if s.lookupShort(c) != nil {
			panic("flags: shorthand redefined: " + short)
		}
		f.short = c
	}
	f.def = f.valueText()
	s.flags = append(s.flags, f)
}

// Bool defines a bool flag: --name sets it to true, --name=false to false.
func (s *Set) Bool(name string, value bool, usage string) *bool {
	return s.BoolP(name, "", value, usage)
}

// BoolP is Bool with a one-letter shorthand (-S); shorthand may be "".
func (s *Set) BoolP(name, shorthand string, value bool, usage string) *bool {
	p := new(bool)
	*p = value
	s.add(&flag{name: name, help: usage, kind: kindBool, b: p}, shorthand)
	return p
}

// String defines a string flag.
func (s *Set) String(name, value, usage string) *string {
	p := new(string)
	*p = value
	s.add(&flag{name: name, help: usage, kind: kindString, s: p}, "")
	return p
}

// Int32 defines an int32 flag; values outside the int32 range are an error.
func (s *Set) Int32(name string, value int32, usage string) *int32 {
	p := new(int32)
	*p = value
	s.add(&flag{name: name, help: usage, kind: kindInt32, i: p}, "")
	return p
}

// Duration defines a time.Duration flag, read with time.ParseDuration.
func (s *Set) Duration(name string, value time.Duration, usage string) *time.Duration {
	p := new(time.Duration)
	*p = value
	s.add(&flag{name: name, help: usage, kind: kindDuration, d: p}, "")
	return p
}

func (s *Set) lookup(name string) *flag {
	for _, f := range s.flags {
		if f.name == name {
			return f
		}
	}
	return nil
}

func (s *Set) lookupShort(c byte) *flag {
	for _, f := range s.flags {
		if f.short != 0 && f.short == c {
			return f
		}
	}
	return nil
}

// Changed reports whether the flag called name was set by Parse (even to its default).
func (s *Set) Changed(name string) bool {
	f := s.lookup(name)
	return f != nil && f.changed
}

// Args returns the positional arguments left after Parse, in order. The slice is the set's
// own; it never aliases the slice given to Parse.
func (s *Set) Args() []string { return s.args }

// NArg returns len(Args()).
func (s *Set) NArg() int { return len(s.args) }

// Arg returns the i'th positional argument, or "" when there is none.
func (s *Set) Arg(i int) string {
	if i < 0 || i >= len(s.args) {
		return ""
	}
	return s.args[i]
}

// Parse reads args (without the command name) into the defined flags and keeps the
// positional arguments for Args. It stops at the first error and returns it: ErrHelp for
// -h/--help, otherwise an error worded like pflag's ("unknown flag: --foo", "flag needs an
// argument: --mode", `invalid argument "x" for "--timeout" flag: ...`). An invalid value
// wraps the parser's error (strconv or time).
func (s *Set) Parse(args []string) error {
	s.args = make([]string, 0, len(args))
	for len(args) > 0 {
		a := args[0]
		args = args[1:]
		if len(a) < 2 || a[0] != '-' {
			s.args = append(s.args, a)
			continue
		}
		var err error
		if a[1] != '-' {
			args, err = s.parseShort(a[1:], args)
		} else if len(a) == 2 {
			s.args = append(s.args, args...)
			return nil
		} else {
			args, err = s.parseLong(a, args)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// parseLong handles one "--name[=value]" argument a; rest are the arguments after it.
func (s *Set) parseLong(a string, rest []string) ([]string, error) {
	name := a[2:]
	if name[0] == '-' || name[0] == '=' {
		return rest, fmt.Errorf("bad flag syntax: %s", a)
	}
	value, hasValue := "", false
	if i := strings.IndexByte(name, '='); i >= 0 {
		name, value, hasValue = name[:i], name[i+1:], true
	}
	f := s.lookup(name)
	switch {
	case f == nil && name == "help":
		return rest, ErrHelp
	case f == nil:
		return rest, fmt.Errorf("unknown flag: --%s", name)
	case hasValue:
	case f.kind == kindBool:
		value = "true"
	case len(rest) > 0:
		value, rest = rest[0], rest[1:]
	default:
		return rest, fmt.Errorf("flag needs an argument: --%s", name)
	}
	return rest, f.set(value)
}

// parseShort handles one group of shorthands (the argument without its leading "-").
func (s *Set) parseShort(group string, rest []string) ([]string, error) {
	for shorts := group; shorts != ""; {
		c := shorts[0]
		f := s.lookupShort(c)
		if f == nil {
			if c == 'h' {
				return rest, ErrHelp
			}
			return rest, fmt.Errorf("unknown shorthand flag: %q in -%s", rune(c), shorts)
		}
		var value string
		switch {
		case len(shorts) > 2 && shorts[1] == '=':
			value, shorts = shorts[2:], ""
		case f.kind == kindBool:
			value, shorts = "true", shorts[1:]
		case len(shorts) > 1:
			value, shorts = shorts[1:], ""
		case len(rest) > 0:
			value, shorts, rest = rest[0], "", rest[1:]
		default:
			return rest, fmt.Errorf("flag needs an argument: %q in -%s", rune(c), shorts)
		}
		if err := f.set(value); err != nil {
			return rest, err
		}
	}
	return rest, nil
}

// set stores value in f, or says why it cannot.
func (f *flag) set(value string) error {
	var err error
	switch f.kind {
	case kindBool:
		var v bool
		if v, err = strconv.ParseBool(value); err == nil {
			*f.b = v
		}
	case kindString:
		*f.s = value
	case kindInt32:
		var v int64
		if v, err = strconv.ParseInt(value, 0, 32); err == nil {
			*f.i = int32(v)
		}
	case kindDuration:
		var v time.Duration
		if v, err = time.ParseDuration(value); err == nil {
			*f.d = v
		}
	}
	if err != nil {
		return fmt.Errorf("invalid argument %q for %q flag: %w", value, f.spelling(), err)
	}
	f.changed = true
	return nil
}

// spelling is how errors and usage name the flag: "--name" or "-S, --name".
func (f *flag) spelling() string {
	if f.short != 0 {
		return "-" + string(rune(f.short)) + ", --" + f.name
	}
	return "--" + f.name
}

// typeName is what PrintDefaults shows after the flag's name.
func (f *flag) typeName() string {
	return [...]string{kindBool: "", kindString: "string", kindInt32: "int32", kindDuration: "duration"}[f.kind]
}

// valueText is f's current value as usage shows it, or "" when it is the type's zero.
func (f *flag) valueText() string {
	switch f.kind {
	case kindBool:
		if *f.b {
			return "true"
		}
	case kindString:
		if *f.s != "" {
			return strconv.Quote(*f.s)
		}
	case kindInt32:
		if *f.i != 0 {
			return strconv.Itoa(int(*f.i))
		}
	case kindDuration:
		if *f.d != 0 {
			return f.d.String()
		}
	}
	return ""
}

// PrintDefaults writes one line per flag, in definition order, to w: the flag's spelling and
// type in an aligned column, its help, and the value it was defined with as "(default ...)"
// unless that is the type's zero. What Parse has set does not change it.
func (s *Set) PrintDefaults(w io.Writer) error {
	tw := columns.New(w, 3)
	for _, f := range s.flags {
		l := "      --" + f.name
		if f.short != 0 {
			l = "  -" + string(rune(f.short)) + ", --" + f.name
		}
		if t := f.typeName(); t != "" {
			l += " " + t
		}
		l += "\t" + f.help
		if f.def != "" {
			l += " (default " + f.def + ")"
		}
		io.WriteString(tw, l+"\n")
	}
	return tw.Flush()
}
