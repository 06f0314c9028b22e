package flags

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// values is what a parse of testSet leaves behind.
type values struct {
	Stderr, Debug, JSON bool
	Mode                string
	Seconds             int32
	Timeout             time.Duration
	Changed             []string
	Args                []string
}

// testSet defines one flag of every kind the CLI uses, plus two bool shorthands and a string
// flag whose name contains '-', like the floatgw commands do.
func testSet() (*Set, func() values) {
	s := New("test")
	stderr := s.BoolP("stderr", "S", false, "log to stderr")
	debug := s.BoolP("debug", "d", false, "debug")
	jsonOut := s.Bool("json", false, "print JSON")
	mode := s.String("mode", "soft", "soft or hard")
	seconds := s.Int32("seconds", 5, "how long")
	timeout := s.Duration("timeout", 90*time.Second, "give up after")
	s.Bool("dry-run", false, "dry run")
	return s, func() values {
		v := values{Stderr: *stderr, Debug: *debug, JSON: *jsonOut, Mode: *mode, Seconds: *seconds,
			Timeout: *timeout, Args: s.Args()}
		for _, n := range []string{"stderr", "debug", "json", "mode", "seconds", "timeout", "dry-run"} {
			if s.Changed(n) {
				v.Changed = append(v.Changed, n)
			}
		}
		return v
	}
}

func TestParse(t *testing.T) {
	def := values{Mode: "soft", Seconds: 5, Timeout: 90 * time.Second, Args: []string{}}
	with := func(f func(*values)) values {
		v := def
		f(&v)
		return v
	}
	tests := []struct {
		name string
		args []string
		want values
	}{
		{"nothing", nil, def},
		{"empty", []string{}, def},
		{"long bool", []string{"--json"}, with(func(v *values) { v.JSON, v.Changed = true, []string{"json"} })},
		{"long bool =true", []string{"--json=true"}, with(func(v *values) { v.JSON, v.Changed = true, []string{"json"} })},
		{"long bool =false is still changed", []string{"--json=false"}, with(func(v *values) { v.Changed = []string{"json"} })},
		{"long bool =1 and =F", []string{"--json=1", "--debug=F"}, with(func(v *values) { v.JSON, v.Changed = true, []string{"debug", "json"} })},
		{"bool takes no separate value", []string{"--json", "false"}, with(func(v *values) {
			v.JSON, v.Changed, v.Args = true, []string{"json"}, []string{"false"}
		})},
		{"string space", []string{"--mode", "hard"}, with(func(v *values) { v.Mode, v.Changed = "hard", []string{"mode"} })},
		{"string equals", []string{"--mode=hard"}, with(func(v *values) { v.Mode, v.Changed = "hard", []string{"mode"} })},
		{"string empty", []string{"--mode="}, with(func(v *values) { v.Mode, v.Changed = "", []string{"mode"} })},
		{"string set to its default is changed", []string{"--mode", "soft"}, with(func(v *values) { v.Changed = []string{"mode"} })},
		{"string value with = and dashes", []string{"--mode=a=b", "--mode", "--json"}, with(func(v *values) {
			v.Mode, v.Changed = "--json", []string{"mode"}
		})},
		{"last wins", []string{"--mode=a", "--mode=b"}, with(func(v *values) { v.Mode, v.Changed = "b", []string{"mode"} })},
		{"int32", []string{"--seconds", "60"}, with(func(v *values) { v.Seconds, v.Changed = 60, []string{"seconds"} })},
		{"int32 negative", []string{"--seconds=-7"}, with(func(v *values) { v.Seconds, v.Changed = -7, []string{"seconds"} })},
		{"int32 max", []string{"--seconds=2147483647"}, with(func(v *values) { v.Seconds, v.Changed = 2147483647, []string{"seconds"} })},
		{"int32 min", []string{"--seconds=-2147483648"}, with(func(v *values) { v.Seconds, v.Changed = -2147483648, []string{"seconds"} })},
		{"int32 base 0 like pflag", []string{"--seconds=0x10"}, with(func(v *values) { v.Seconds, v.Changed = 16, []string{"seconds"} })},
		{"int32 underscores like pflag", []string{"--seconds=1_000"}, with(func(v *values) { v.Seconds, v.Changed = 1000, []string{"seconds"} })},
		{"duration", []string{"--timeout", "1m30s"}, with(func(v *values) { v.Timeout, v.Changed = 90*time.Second, []string{"timeout"} })},
		{"duration zero", []string{"--timeout=0"}, with(func(v *values) { v.Timeout, v.Changed = 0, []string{"timeout"} })},
		{"shorthand", []string{"-S"}, with(func(v *values) { v.Stderr, v.Changed = true, []string{"stderr"} })},
		{"shorthand =false", []string{"-S=false"}, with(func(v *values) { v.Changed = []string{"stderr"} })},
		{"combined shorthands", []string{"-Sd"}, with(func(v *values) { v.Stderr, v.Debug, v.Changed = true, true, []string{"stderr", "debug"} })},
		{"combined shorthands, last =false", []string{"-Sd=false"}, with(func(v *values) { v.Stderr, v.Changed = true, []string{"stderr", "debug"} })},
		{"repeated shorthand", []string{"-SS"}, with(func(v *values) { v.Stderr, v.Changed = true, []string{"stderr"} })},
		{"interspersed", []string{"a", "--json", "b", "-S", "c", "--mode", "d", "e"}, with(func(v *values) {
			v.JSON, v.Stderr, v.Mode, v.Changed, v.Args = true, true, "d", []string{"stderr", "json", "mode"}, []string{"a", "b", "c", "e"}
		})},
		{"lone dash is positional", []string{"-", "--json"}, with(func(v *values) { v.JSON, v.Changed, v.Args = true, []string{"json"}, []string{"-"} })},
		{"empty string is positional", []string{""}, with(func(v *values) { v.Args = []string{""} })},
		{"double dash ends flags", []string{"x", "--", "--json", "-S", "--"}, with(func(v *values) { v.Args = []string{"x", "--json", "-S", "--"} })},
		{"double dash last", []string{"--json", "--"}, with(func(v *values) { v.JSON, v.Changed = true, []string{"json"} })},
		{"help after double dash is positional", []string{"--", "--help", "-h"}, with(func(v *values) { v.Args = []string{"--help", "-h"} })},
		{"dashed name", []string{"--dry-run"}, with(func(v *values) { v.Changed = []string{"dry-run"} })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, get := testSet()
			if err := s.Parse(tt.args); err != nil {
				t.Fatalf("Parse(%q) = %v", tt.args, err)
			}
			if diff := cmp.Diff(tt.want, get()); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.args, diff)
			}
			if s.NArg() != len(tt.want.Args) {
				t.Errorf("NArg() = %d, want %d", s.NArg(), len(tt.want.Args))
			}
			for i, a := range tt.want.Args {
				if s.Arg(i) != a {
					t.Errorf("Arg(%d) = %q, want %q", i, s.Arg(i), a)
				}
			}
			if s.Arg(-1) != "" || s.Arg(len(tt.want.Args)) != "" {
				t.Errorf("Arg out of range is not empty")
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		args  []string
		want  string
		cause error // errors.Is(err, cause) when not nil
	}{
		{[]string{"--nope"}, "unknown flag: --nope", nil},
		{[]string{"--nope=1"}, "unknown flag: --nope", nil},
		{[]string{"x", "--Json"}, "unknown flag: --Json", nil},
		{[]string{"-x"}, "unknown shorthand flag: 'x' in -x", nil},
		{[]string{"-Sx"}, "unknown shorthand flag: 'x' in -x", nil},
		{[]string{"-Sxd"}, "unknown shorthand flag: 'x' in -xd", nil},
		{[]string{"-S="}, "unknown shorthand flag: '=' in -=", nil},
		{[]string{"-=S"}, "unknown shorthand flag: '=' in -=S", nil},
		{[]string{"---json"}, "bad flag syntax: ---json", nil},
		{[]string{"--=x"}, "bad flag syntax: --=x", nil},
		{[]string{"--mode"}, "flag needs an argument: --mode", nil},
		{[]string{"--json", "--timeout"}, "flag needs an argument: --timeout", nil},
		{[]string{"--json=maybe"}, `invalid argument "maybe" for "--json" flag: strconv.ParseBool: parsing "maybe": invalid syntax`, strconv.ErrSyntax},
		{[]string{"--json="}, `invalid argument "" for "--json" flag: strconv.ParseBool: parsing "": invalid syntax`, strconv.ErrSyntax},
		{[]string{"--stderr=yes"}, `invalid argument "yes" for "-S, --stderr" flag: strconv.ParseBool: parsing "yes": invalid syntax`, strconv.ErrSyntax},
		{[]string{"-S=yes"}, `invalid argument "yes" for "-S, --stderr" flag: strconv.ParseBool: parsing "yes": invalid syntax`, strconv.ErrSyntax},
		{[]string{"--seconds=abc"}, `invalid argument "abc" for "--seconds" flag: strconv.ParseInt: parsing "abc": invalid syntax`, strconv.ErrSyntax},
		{[]string{"--seconds", "2147483648"}, `invalid argument "2147483648" for "--seconds" flag: strconv.ParseInt: parsing "2147483648": value out of range`, strconv.ErrRange},
		{[]string{"--seconds=-2147483649"}, `invalid argument "-2147483649" for "--seconds" flag: strconv.ParseInt: parsing "-2147483649": value out of range`, strconv.ErrRange},
		{[]string{"--seconds=1.5"}, `invalid argument "1.5" for "--seconds" flag: strconv.ParseInt: parsing "1.5": invalid syntax`, strconv.ErrSyntax},
		{[]string{"--timeout=abc"}, `invalid argument "abc" for "--timeout" flag: time: invalid duration "abc"`, nil},
		{[]string{"--timeout", "5"}, `invalid argument "5" for "--timeout" flag: time: missing unit in duration "5"`, nil},
		{[]string{"--timeout=-"}, `invalid argument "-" for "--timeout" flag: time: invalid duration "-"`, nil},
		// The first error stops the parse.
		{[]string{"--nope", "--json=maybe"}, "unknown flag: --nope", nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			s, _ := testSet()
			err := s.Parse(tt.args)
			if err == nil {
				t.Fatalf("Parse(%q) = nil, want %q", tt.args, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse(%q) = %q, want %q", tt.args, err, tt.want)
			}
			if tt.cause != nil && !errors.Is(err, tt.cause) {
				t.Errorf("Parse(%q) = %v, which does not wrap %v", tt.args, err, tt.cause)
			}
			if errors.Is(err, ErrHelp) {
				t.Errorf("Parse(%q) is ErrHelp", tt.args)
			}
		})
	}
}

func TestParseInvalidValueKeepsOldValue(t *testing.T) {
	s, get := testSet()
	if err := s.Parse([]string{"--seconds=9", "--seconds=x"}); err == nil {
		t.Fatal("Parse accepted --seconds=x")
	}
	if v := get(); v.Seconds != 9 {
		t.Errorf("seconds = %d after a bad second value, want 9", v.Seconds)
	}
	s, get = testSet()
	if err := s.Parse([]string{"--seconds=x"}); err == nil {
		t.Fatal("Parse accepted --seconds=x")
	}
	if s.Changed("seconds") || get().Seconds != 5 {
		t.Errorf("a rejected value changed the flag: changed=%v seconds=%d", s.Changed("seconds"), get().Seconds)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"--help=false"}, {"x", "--json", "-h", "--nope"}, {"-Sh"}, {"-Sdh"},
	} {
		s, _ := testSet()
		if err := s.Parse(args); err != ErrHelp {
			t.Errorf("Parse(%q) = %v, want ErrHelp", args, err)
		}
	}
	// A set that defines help or h gets them as ordinary flags.
	s := New("own-help")
	help := s.BoolP("help", "h", false, "")
	if err := s.Parse([]string{"-h"}); err != nil || !*help {
		t.Errorf("Parse(-h) with its own -h = %v, help=%v", err, *help)
	}
	s = New("own-help")
	help = s.Bool("help", false, "")
	if err := s.Parse([]string{"--help=false"}); err != nil || *help || !s.Changed("help") {
		t.Errorf("Parse(--help=false) with its own --help = %v, help=%v", err, *help)
	}
}

func TestChanged(t *testing.T) {
	s, _ := testSet()
	if s.Changed("json") {
		t.Error("Changed before Parse")
	}
	if err := s.Parse([]string{"--mode=soft"}); err != nil {
		t.Fatal(err)
	}
	if !s.Changed("mode") || s.Changed("json") || s.Changed("no-such-flag") {
		t.Errorf("Changed: mode=%v json=%v no-such-flag=%v", s.Changed("mode"), s.Changed("json"), s.Changed("no-such-flag"))
	}
}

func TestArgsDoNotAliasInput(t *testing.T) {
	in := []string{"a", "--json", "b"}
	s, _ := testSet()
	if err := s.Parse(in); err != nil {
		t.Fatal(err)
	}
	s.Args()[0] = "changed"
	if in[0] != "a" {
		t.Errorf("writing Args changed the input: %q", in)
	}
	if s.Name() != "test" {
		t.Errorf("Name() = %q", s.Name())
	}
}

func TestDefinePanics(t *testing.T) {
	tests := map[string]func(s *Set){
		"redefined":            func(s *Set) { s.Bool("a", false, ""); s.String("a", "", "") },
		"shorthand redefined":  func(s *Set) { s.BoolP("a", "x", false, ""); s.BoolP("b", "x", false, "") },
		"long shorthand":       func(s *Set) { s.BoolP("a", "xy", false, "") },
		"non-letter shorthand": func(s *Set) { s.BoolP("a", "=", false, "") },
		"empty name":           func(s *Set) { s.Bool("", false, "") },
		"dash name":            func(s *Set) { s.Bool("-a", false, "") },
		"equals in name":       func(s *Set) { s.Bool("a=b", false, "") },
	}
	for name, define := range tests {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			define(New("p"))
		})
	}
}

func TestPrintDefaults(t *testing.T) {
	s, _ := testSet()
	var b strings.Builder
	if err := s.PrintDefaults(&b); err != nil {
		t.Fatal(err)
	}
	// One column as wide as the longest spelling plus three spaces; zero defaults are not shown.
	want := "" +
		"  -S, --stderr             log to stderr\n" +
		"  -d, --debug              debug\n" +
		"      --json               print JSON\n" +
		"      --mode string        soft or hard (default \"soft\")\n" +
		"      --seconds int32      how long (default 5)\n" +
		"      --timeout duration   give up after (default 1m30s)\n" +
		"      --dry-run            dry run\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("PrintDefaults (-want +got):\n%s", diff)
	}
	// Parsed values do not change the defaults shown.
	var after strings.Builder
	if err := s.Parse([]string{"-S", "--mode=hard", "--seconds=0", "--timeout=1s"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PrintDefaults(&after); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, after.String()); diff != "" {
		t.Errorf("PrintDefaults after Parse (-want +got):\n%s", diff)
	}
	// A true bool default is shown.
	var tr strings.Builder
	t2 := New("t")
	t2.Bool("on", true, "on by default")
	if err := t2.PrintDefaults(&tr); err != nil || tr.String() != "      --on   on by default (default true)\n" {
		t.Errorf("PrintDefaults = %q, %v", tr.String(), err)
	}
	var empty strings.Builder
	if err := New("none").PrintDefaults(&empty); err != nil || empty.Len() != 0 {
		t.Errorf("PrintDefaults of an empty set = %q, %v", empty.String(), err)
	}
}
