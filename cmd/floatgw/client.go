package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/floatgw/floatgw/internal/api"
	"github.com/floatgw/floatgw/internal/control"
	"github.com/floatgw/floatgw/internal/flags"
	"github.com/floatgw/floatgw/internal/jsonx"
)

// The client commands share one shape: flags generated from the method table of internal/api,
// one call to the daemon (ubus when ubusd is there, else the control socket), and a human or
// JSON rendering of the reply.

type clientCmd struct {
	method string
	// positional turns positional words into arguments (maintenance on|off).
	positional func(args []string, out map[string]any) error
	operands   string // the positional words, for --help
	render     func(w io.Writer, data jsonx.RawMessage, tty bool) (int, error)
}

var clientCmds = map[string]clientCmd{
	"status":      {method: "status", render: renderStatus},
	"doctor":      {method: "doctor", render: renderDoctor},
	"scan":        {method: "scan", render: renderScan},
	"apply":       {method: "apply", render: renderApply},
	"switch":      {method: "switch", render: renderSwitch},
	"maintenance": {method: "maintenance", positional: maintenanceWords, operands: "[on|off]", render: renderMaintenance},
	"logs":        {method: "logs", render: renderLogs},
}

func init() {
	for name := range clientCmds {
		m, _ := api.Lookup(clientCmds[name].method)
		register(command{name: name, summary: m.Help, run: runClient, operands: clientCmds[name].operands})
	}
}

// socketPath is the daemon's control socket; FLOATGW_ROOT prefixes it (the lab runs several
// daemons on one machine) and FLOATGW_SOCKET overrides it.
func socketPath() string {
	if p := os.Getenv("FLOATGW_SOCKET"); p != "" {
		return p
	}
	return os.Getenv("FLOATGW_ROOT") + "/var/run/floatgw.sock"
}

// call reaches the daemon.
func call(ctx context.Context, method string, args map[string]any) (jsonx.RawMessage, error) {
	return callDaemon(ctx, method, args)
}

// methodFlags adds one flag per method argument, named like the argument with - for _. Only
// flags given on the command line are sent; the argument's default (which the daemon applies)
// is the flag's default so that --help shows it.
func methodFlags(fs *flags.Set, m api.Method) map[string]func() (any, bool) {
	get := map[string]func() (any, bool){}
	for _, a := range m.Args {
		a := a
		name := strings.ReplaceAll(a.Name, "_", "-")
		switch a.Type {
		case api.TypeBool:
			d, _ := a.Default.(bool)
			v := fs.Bool(name, d, a.Help)
			get[a.Name] = func() (any, bool) { return *v, fs.Changed(name) }
		case api.TypeInt32:
			d, _ := a.Default.(int32)
			v := fs.Int32(name, d, a.Help)
			get[a.Name] = func() (any, bool) { return *v, fs.Changed(name) }
		case api.TypeString:
			d, _ := a.Default.(string)
			v := fs.String(name, d, a.Help)
			get[a.Name] = func() (any, bool) { return *v, fs.Changed(name) }
		}
	}
	return get
}

func runClient(name string, argv []string, stdout, stderr io.Writer) int {
	cc := clientCmds[name]
	m, _ := api.Lookup(cc.method)
	fs := flags.New(name)
	jsonOut := fs.Bool("json", false, "print the daemon's reply as JSON")
	timeout := fs.Duration("timeout", 90*time.Second, "give up after this long")
	get := methodFlags(fs, m)
	var fix *bool
	var fixID *string
	if name == "doctor" {
		fix = fs.Bool("fix", false, "apply the safe fixes (doctor_fix), then check again")
		fixID = fs.String("id", "", "with --fix: apply only this fix")
	}
	if code, done := parseFlags(fs, argv, stdout, stderr); done {
		return code
	}
	if fix != nil && *fix {
		m, _ = api.Lookup("doctor_fix")
		if *fixID != "" {
			get["id"] = func() (any, bool) { return *fixID, true }
		}
	} else if fixID != nil && *fixID != "" {
		fmt.Fprintln(stderr, "floatgw doctor: --id needs --fix")
		return exitUsage
	}
	args := map[string]any{}
	for n, g := range get {
		if v, set := g(); set {
			args[n] = v
		}
	}
	if cc.positional != nil {
		if err := cc.positional(fs.Args(), args); err != nil {
			fmt.Fprintf(stderr, "floatgw %s: %v\n", name, err)
			return exitUsage
		}
	} else if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "floatgw %s: unexpected argument %q\n", name, fs.Arg(0))
		return exitUsage
	}
	// Validate here too, so a typo is a usage error with the same words the daemon would use.
	if _, probs := m.Check(args); len(probs) > 0 {
		for _, p := range probs {
			fmt.Fprintf(stderr, "floatgw %s: %s: %s (want %s, got %s)\n", name, p.Field, p.Detail, p.Want, p.Got)
		}
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	data, err := call(ctx, m.Name, args)
	if err != nil {
		return reportCallError(name, err, stderr)
	}
	if *jsonOut {
		stdout.Write(append(indentJSON(data), '\n'))
		// The exit code still tells the verdict.
		code, _ := cc.render(io.Discard, data, false)
		return code
	}
	code, err := cc.render(stdout, data, isTTY(stdout))
	if err != nil {
		fmt.Fprintf(stderr, "floatgw %s: %v\n", name, err)
		return exitError
	}
	return code
}

func reportCallError(name string, err error, stderr io.Writer) int {
	var ce *control.Error
	if errors.As(err, &ce) {
		switch ce.Status {
		case control.StatusConnFailed:
			fmt.Fprintf(stderr, "floatgw %s: %s\n(is the daemon running? /etc/init.d/floatgw start, or systemctl start floatgw)\n", name, ce.Message)
			return exitUnreachable
		case control.StatusInvalidArgument:
			for _, p := range ce.Problems {
				fmt.Fprintf(stderr, "floatgw %s: %s: %s %s\n", name, p.Field, p.Code, p.Detail)
			}
			return exitUsage
		case control.StatusPermission:
			fmt.Fprintf(stderr, "floatgw %s: %s\n", name, ce.Message)
			return exitError
		}
	}
	fmt.Fprintf(stderr, "floatgw %s: %v\n", name, err)
	return exitError
}

func maintenanceWords(args []string, out map[string]any) error {
	if len(args) == 0 {
		if _, ok := out["enable"]; ok {
			return nil
		}
		return errors.New("say on or off (or --enable=true|false)")
	}
	if len(args) > 1 {
		return fmt.Errorf("unexpected argument %q", args[1])
	}
	switch strings.ToLower(args[0]) {
	case "on", "enable", "true", "1":
		out["enable"] = true
	case "off", "disable", "false", "0":
		out["enable"] = false
	default:
		return fmt.Errorf("say on or off, got %q", args[0])
	}
	return nil
}

func indentJSON(b []byte) []byte {
	var v any
	if err := jsonx.Unmarshal(b, &v); err != nil {
		return b
	}
	out, err := jsonx.MarshalIndent(v, "", "  ")
	if err != nil {
		return b
	}
	return out
}

func isTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}
