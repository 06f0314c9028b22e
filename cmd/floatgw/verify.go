package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/floatgw/floatgw/internal/api"
	"github.com/floatgw/floatgw/internal/columns"
	"github.com/floatgw/floatgw/internal/flags"
	"github.com/floatgw/floatgw/internal/jsonx"
)

func init() {
	// Not the ubus method's help: the method returns the run id at once, the command follows the run.
	register(command{name: "verify", run: runVerify,
		summary: "run a drift verification (or join the running one) and follow it to the verdict; exit 0 = pass"})
}

// runVerify starts a drift verification (or joins the one running), follows it step by step,
// and ends with the verdict and the timings. Exit 0 = pass, 1 = fail or aborted.
func runVerify(name string, argv []string, stdout, stderr io.Writer) int {
	fs := flags.New(name)
	mode := fs.String("mode", "soft", "soft (graceful demotion) or hard (the holder goes silent, like a crash)")
	jsonOut := fs.Bool("json", false, "print the finished run as JSON (no live steps)")
	timeout := fs.Duration("timeout", 3*time.Minute, "give up following the run after this long (the daemon still restores)")
	if code, done := parseFlags(fs, argv, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "floatgw verify: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	m, _ := api.Lookup("verify")
	args := map[string]any{"mode": *mode}
	if _, probs := m.Check(args); len(probs) > 0 {
		p := probs[0]
		fmt.Fprintf(stderr, "floatgw verify: --mode: %s (want %s, got %q)\n", p.Detail, p.Want, *mode)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	data, err := call(ctx, "verify", args)
	if err != nil {
		return reportCallError(name, err, stderr)
	}
	var start api.VerifyStartReply
	if err := decode(data, &start); err != nil {
		fmt.Fprintf(stderr, "floatgw verify: %v\n", err)
		return exitError
	}
	tty := isTTY(stdout)
	live := !*jsonOut
	if start.Busy && live {
		fmt.Fprintf(stdout, "a verification is already running (run %s); following it\n", start.ID)
	} else if live {
		fmt.Fprintf(stdout, "verification %s started (%s mode)\n", start.ID, *mode)
	}
	printed := map[string]string{}
	var run api.VerifyRun
	var raw jsonx.RawMessage
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		raw, err = call(ctx, "verify_status", map[string]any{"id": start.ID})
		if err != nil {
			return reportCallError(name, err, stderr)
		}
		if err := decode(raw, &run); err != nil {
			fmt.Fprintf(stderr, "floatgw verify: %v\n", err)
			return exitError
		}
		if live {
			for _, s := range run.Steps {
				if printed[s.Name] == s.Status || s.Status == "pending" {
					continue
				}
				printed[s.Name] = s.Status
				fmt.Fprintf(stdout, "%8s  %-15s %s %s\n", fmt.Sprintf("%d ms", s.AtMs), s.Name, stepStatus(tty, s.Status), s.Detail)
			}
		}
		if !run.Busy {
			break
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(stderr, "floatgw verify: stopped following run %s after %v; the daemon finishes and restores it\n", start.ID, *timeout)
			return exitError
		case <-tick.C:
		}
	}
	code := exitOK
	if run.Verdict != "pass" {
		code = exitFailed
	}
	if *jsonOut {
		stdout.Write(append(indentJSON(raw), '\n'))
		return code
	}
	fmt.Fprintln(stdout)
	tw := columns.New(stdout, 2)
	fmt.Fprintf(tw, "TIMING\tMEASURED\tBUDGET\t\n")
	for _, t := range run.Timings {
		ok := paint(tty, "green", "ok")
		if !t.OK {
			ok = paint(tty, "red", "over")
		}
		fmt.Fprintf(tw, "%s\t%d ms\t%d ms\t%s\n", t.Name, t.Ms, t.BudgetMs, ok)
	}
	tw.Flush()
	verdict := paint(tty, "green", "PASS")
	if run.Verdict != "pass" {
		verdict = paint(tty, "red", fmt.Sprintf("%s", map[string]string{"fail": "FAIL", "aborted": "ABORTED"}[run.Verdict]))
	}
	fmt.Fprintf(stdout, "\nverdict: %s\n", verdict)
	writeProblems(stdout, run.Problems, tty)
	return code
}

func stepStatus(tty bool, s string) string {
	switch s {
	case "ok":
		return paint(tty, "green", "ok     ")
	case "fail":
		return paint(tty, "red", "FAIL   ")
	case "running":
		return paint(tty, "dim", "...    ")
	case "skipped":
		return paint(tty, "dim", "skipped")
	}
	return fmt.Sprintf("%-7s", s)
}
