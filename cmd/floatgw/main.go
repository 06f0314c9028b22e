// Command floatgw is the floating-gateway daemon and its command-line client.
//
// This file is wiring only: the command table, flags, exit codes. The work lives in
// internal/ (see the dependency arrow in STYLE.md).
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/floatgw/floatgw/internal/flags"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes, documented in `floatgw --help` and the README.
const (
	exitOK          = 0 // success; for verify and doctor: passed / nothing found
	exitFailed      = 1 // the command ran and the answer is "no": verify failed, doctor found problems
	exitUsage       = 2 // bad command line or arguments
	exitUnreachable = 3 // the daemon could not be reached (neither ubus nor the control socket)
	exitError       = 4 // an internal or environment error (permissions, I/O)
)

type command struct {
	name    string
	summary string
	run     func(name string, args []string, stdout, stderr io.Writer) int
	// operands names the positional arguments in the command's --help ("on|off"), if any.
	operands string
}

var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

func init() {
	register(command{name: "version", summary: "print the version", run: runVersion})
}

func runVersion(_ string, args []string, stdout, stderr io.Writer) int {
	fs := flags.New("version")
	jsonOut := fs.Bool("json", false, "print JSON")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if *jsonOut {
		fmt.Fprintf(stdout, "{\"version\":%q}\n", version)
		return exitOK
	}
	fmt.Fprintf(stdout, "floatgw %s\n", version)
	return exitOK
}

// parseFlags parses args into fs. With done false the command goes on; with done true it
// ends with code: exitOK after -h/--help printed the command's flags on stdout, exitUsage
// after a bad command line was reported on stderr.
func parseFlags(fs *flags.Set, args []string, stdout, stderr io.Writer) (code int, done bool) {
	err := fs.Parse(args)
	if err == flags.ErrHelp {
		c := commands[fs.Name()]
		fmt.Fprintf(stdout, "usage: floatgw %s [flags]", fs.Name())
		if c.operands != "" {
			fmt.Fprintf(stdout, " %s", c.operands)
		}
		fmt.Fprintf(stdout, "\n\n%s\n\nflags:\n", c.summary)
		fs.PrintDefaults(stdout)
		return exitOK, true
	}
	if err != nil {
		fmt.Fprintf(stderr, "floatgw %s: %v\n", fs.Name(), err)
		return exitUsage, true
	}
	return exitOK, false
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: floatgw COMMAND [flags]\n\ncommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return names[i] < names[j] })
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, `
Every command except daemon, validate and hotplug takes --json for scripts. Exit codes:
  0   success (verify passed, doctor found nothing)
  1   the answer is no (verify failed, doctor found problems)
  2   bad command line or arguments
  3   the daemon could not be reached (ubus or control socket)
  4   internal or environment error
`)
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stdout)
		return exitOK
	case "-V", "--version":
		return runVersion("version", nil, stdout, stderr)
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "floatgw: unknown command %q\n", args[0])
		if strings.HasPrefix(args[0], "-") {
			usage(stderr)
		}
		return exitUsage
	}
	return c.run(c.name, args[1:], stdout, stderr)
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
