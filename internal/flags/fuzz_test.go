package flags

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary argument lists (NUL-separated) to Parse. Parse must never panic,
// and on success the positional arguments must be exactly the input's words that are not
// flags or flag values: a subsequence of the input, none of them flag-shaped unless a "--"
// came before, and everything after the first "--" kept verbatim.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"", "--json", "--mode\x00hard", "--mode=hard\x00x", "-Sd\x00--\x00-S", "--seconds=0x10",
		"--timeout\x001m", "-S=false", "-h", "--help", "---x", "--=", "-", "--", "a\x00--\x00--json",
		"-Sx", "--seconds\x00-2147483648", "--timeout=-1.5h", "-d=true\x00b",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		args := strings.Split(in, "\x00")
		orig := append([]string(nil), args...)
		s, get := testSet()
		err := s.Parse(args)
		for i := range args {
			if args[i] != orig[i] {
				t.Fatalf("Parse changed its input: %q became %q", orig, args)
			}
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("Parse(%q) returned an empty error", args)
			}
			if errors.Is(err, ErrHelp) && !asksHelp(args) {
				t.Fatalf("Parse(%q) = ErrHelp without -h or --help", args)
			}
			return
		}
		got := get().Args
		// got must be a subsequence of args.
		j := 0
		for _, a := range args {
			if j < len(got) && got[j] == a {
				j++
			}
		}
		if j != len(got) {
			t.Fatalf("Parse(%q): Args %q is not a subsequence of the input", args, got)
		}
		dash := -1
		for i, a := range args {
			if a == "--" {
				dash = i
				break
			}
		}
		before := got
		if dash >= 0 {
			tail := args[dash+1:]
			if len(got) < len(tail) {
				t.Fatalf("Parse(%q): Args %q lost words after --", args, got)
			}
			before = got[:len(got)-len(tail)]
			for i := range tail {
				if got[len(before)+i] != tail[i] {
					t.Fatalf("Parse(%q): Args %q do not end with the words after --", args, got)
				}
			}
		}
		for _, a := range before {
			if len(a) > 1 && a[0] == '-' {
				// Only a non-bool flag's separate value may look like a flag, and then it was
				// consumed, not kept.
				t.Fatalf("Parse(%q): flag-shaped %q kept as positional before --", args, a)
			}
		}
		// A second parse of the same input by a fresh set gives the same result.
		s2, get2 := testSet()
		if err := s2.Parse(args); err != nil {
			t.Fatalf("second Parse(%q) = %v", args, err)
		}
		if a, b := get(), get2(); strings.Join(a.Args, "\x00") != strings.Join(b.Args, "\x00") || a.Mode != b.Mode ||
			a.Seconds != b.Seconds || a.Timeout != b.Timeout || a.JSON != b.JSON || a.Stderr != b.Stderr {
			t.Fatalf("Parse(%q) is not deterministic: %+v vs %+v", args, a, b)
		}
	})
}

// asksHelp reports whether a word before the first "--" is --help[=...] or a shorthand group
// containing h.
func asksHelp(args []string) bool {
	for _, a := range args {
		switch {
		case a == "--":
			return false
		case a == "--help" || strings.HasPrefix(a, "--help="):
			return true
		case len(a) > 1 && a[0] == '-' && a[1] != '-' && strings.Contains(a, "h"):
			return true
		}
	}
	return false
}
