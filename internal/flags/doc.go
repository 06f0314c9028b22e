// Package flags parses the floatgw command line: GNU-style long flags, one-letter shorthands
// and positional arguments, in the subset of github.com/spf13/pflag's behaviour and error
// words that the floatgw CLI uses.
//
// It replaces pflag in the router binary because pflag (and the standard flag package it
// imports, with encoding/csv and a sort instantiation) cost about 87 KB of code, tables and
// strings in a stripped linux/mipsle build, for a dozen flags. The accepted forms are pflag's:
//
//	--name value    --name=value    --bool    --bool=true|false
//	-S              -Svalue  -S value  -S=value (non-bool shorthands)
//	-ab             (combined shorthands; a non-bool one takes the rest as its value)
//	--              (ends the flags; everything after it is positional)
//	-h, --help      (ErrHelp, unless the set defines a flag of that name)
//
// Flags and positional arguments may be interspersed; a lone "-" is positional. Bool values
// are read with strconv.ParseBool, Int32 values with strconv.ParseInt in base 0 (so 0x10 and
// 1_000 are accepted, as in pflag) and Duration values with time.ParseDuration.
//
// It does not do: flag types other than bool, string, int32 and duration; repeated or slice
// flags; name normalisation; deprecation; hidden flags; unknown-flag allowlists; sorting the
// flag list in usage text (flags are listed in the order they were defined); or pflag's
// special case that silently skips "-test.*" shorthand groups. It never prints anything
// itself: Parse returns errors and PrintDefaults writes only when asked.
package flags
