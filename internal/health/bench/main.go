// Command bench compares the cost of floatgw's in-process health
// checking with the model it replaces: keepalived's vrrp_script
// executing a checker binary every 2 s (FloatingGateway's
// "gateway-agent check"). It is a benchmark for `make bench`, not a
// test: it prints a table and JSON, and asserts nothing.
//
// One run starts loopback targets (ping 127.0.0.1, a TCP listener, a
// UDP DNS responder, an HTTP server), then runs these models side by
// side for the same window, each in its own child process:
//
//	inproc     health.Monitor, interval 2 s (floatgw)
//	exec       every 2 s, fork+exec a checker that runs the same four
//	           checks in-process and exits 0/1 (the old model at its
//	           cheapest: no config file read, no helper processes)
//	exec-ping  the same, but the checker forks the system ping(8) for
//	           the ping check, as FloatingGateway's checker does
//	idle       a child that does nothing (the Go runtime's own idle
//	           cost, subtracted from the others)
//
// CPU time is the child's user+system time including every descendant
// it waited for (wait4 rusage). Processes are counted exactly with the
// kernel's process-events connector: every fork whose parent belongs
// to a model's process tree and that creates a process (not a thread).
// Both are extrapolated to one hour. A Go process that starts a child
// for the first time also forks once to probe CLONE_PIDFD support
// (Go ≥ 1.23), so the exec runner shows one fork more than it spawned,
// and each exec-ping checker two per round (probe + ping).
//
// Usage: go run ./internal/health/bench [-window 60s] [-json file]
// (root needed for the ping socket and the connector; the window can
// also be set with FLOATGW_BENCH_WINDOW).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/floatgw/floatgw/internal/health"
	"github.com/floatgw/floatgw/internal/health/internal/labserver"
)

const checkInterval = 2 * time.Second

func main() {
	role := flag.String("role", "harness", "internal: harness, inproc, exec, idle or checkonce")
	window := flag.Duration("window", 60*time.Second, "how long each model runs")
	jsonOut := flag.String("json", "", "also write the results as JSON to this file (- for stdout)")
	cfgJSON := flag.String("config", "", "internal: the health.Config as JSON")
	forkPing := flag.Bool("fork-ping", false, "internal: the checker forks ping(8) for ping checks")
	flag.Parse()
	if v := os.Getenv("FLOATGW_BENCH_WINDOW"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			fatalf("FLOATGW_BENCH_WINDOW: %v", err)
		}
		*window = d
	}
	var cfg health.Config
	if *cfgJSON != "" {
		if err := json.Unmarshal([]byte(*cfgJSON), &cfg); err != nil {
			fatalf("config: %v", err)
		}
	}
	if *role != "harness" && *role != "checkonce" {
		// Wait for the harness to track this process (see harness).
		var b [1]byte
		os.Stdin.Read(b[:])
	}
	switch *role {
	case "harness":
		harness(*window, *jsonOut)
	case "inproc":
		report(inproc(cfg, *window))
	case "exec":
		report(execLoop(*cfgJSON, *forkPing, *window))
	case "idle":
		time.Sleep(*window) // the benchmark's idle baseline, not daemon code
		report(childReport{})
	case "checkonce":
		os.Exit(checkOnce(cfg, *forkPing))
	default:
		fatalf("unknown role %q", *role)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(2)
}

// childReport is what a model child prints on stdout when done.
type childReport struct {
	Rounds       int `json:"rounds"`
	RoundsPassed int `json:"rounds_passed"`
	Spawned      int `json:"spawned"` // processes this child started itself
}

func report(r childReport) {
	json.NewEncoder(os.Stdout).Encode(r)
}

func inproc(cfg health.Config, window time.Duration) childReport {
	dir, err := os.MkdirTemp("", "fgw-bench")
	if err != nil {
		fatalf("%v", err)
	}
	defer os.RemoveAll(dir)
	m, err := health.NewMonitor(cfg, health.Options{TrackFile: dir + "/health"})
	if err != nil {
		fatalf("%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), window)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		fatalf("%v", err)
	}
	s := m.Status()
	passed := 0
	for _, c := range s.Checks {
		passed += int(c.Runs - c.Failures)
	}
	return childReport{Rounds: int(s.Rounds), RoundsPassed: passed / max(len(s.Checks), 1)}
}

// execLoop is keepalived's vrrp_script loop: run the checker every
// interval and wait for it.
func execLoop(cfgJSON string, forkPing bool, window time.Duration) childReport {
	self, err := os.Executable()
	if err != nil {
		fatalf("%v", err)
	}
	var r childReport
	t := time.NewTicker(checkInterval)
	defer t.Stop()
	start := time.Now()
	for time.Since(start) < window { // same rounds as the Monitor: at 0, 2, 4 ... s
		args := []string{"-role=checkonce", "-config", cfgJSON}
		if forkPing {
			args = append(args, "-fork-ping")
		}
		cmd := exec.Command(self, args...)
		err := cmd.Run()
		r.Spawned++
		r.Rounds++
		if err == nil {
			r.RoundsPassed++
		}
		<-t.C
	}
	return r
}

// checkOnce runs one round of the configured checks concurrently and
// returns the vrrp_script exit status.
func checkOnce(cfg health.Config, forkPing bool) int {
	cfg = cfg.WithDefaults()
	var wg sync.WaitGroup
	ok := make([]bool, len(cfg.Checks))
	for i, spec := range cfg.Checks {
		wg.Add(1)
		go func(i int, spec health.CheckSpec) {
			defer wg.Done()
			if forkPing && spec.Type == health.CheckPing {
				secs := fmt.Sprint(max(int(spec.Timeout/time.Second), 1))
				ok[i] = exec.Command("ping", "-c1", "-W"+secs, spec.Target).Run() == nil
				return
			}
			c, err := health.NewCheck(spec)
			if err != nil {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), spec.Timeout)
			defer cancel()
			ok[i] = c.Run(ctx).OK
		}(i, spec)
	}
	wg.Wait()
	passed := 0
	for _, b := range ok {
		if b {
			passed++
		}
	}
	if passed >= cfg.K {
		return 0
	}
	return 1
}

// Result is one model's row.
type Result struct {
	Model           string  `json:"model"`
	Description     string  `json:"description"`
	WindowSeconds   float64 `json:"window_s"`
	Rounds          int     `json:"rounds"`
	RoundsPassed    int     `json:"rounds_passed"`
	Forks           int     `json:"forks"` // processes created in the model's tree (connector)
	Execs           int     `json:"execs"`
	SpawnedByRunner int     `json:"spawned_by_runner"`
	CPUSeconds      float64 `json:"cpu_s"` // user+sys, child and waited-for descendants
	ForksPerHour    float64 `json:"forks_per_hour"`
	CPUPerHour      float64 `json:"cpu_s_per_hour"`
	CPUPerHourNet   float64 `json:"cpu_s_per_hour_minus_idle"`
	CPUPerRoundMS   float64 `json:"cpu_ms_per_round_minus_idle"`
	EventsLost      bool    `json:"events_lost,omitempty"`
}

type model struct {
	name, desc string
	args       []string
}

func harness(window time.Duration, jsonOut string) {
	if os.Geteuid() != 0 {
		fatalf("run as root (raw ICMP socket and the process-events connector)")
	}
	dns, err := labserver.StartDNS("127.0.0.1:0", map[string]netip.Addr{"gw.lab": netip.MustParseAddr("127.0.0.1")})
	if err != nil {
		fatalf("%v", err)
	}
	defer dns.Close()
	tcp, err := labserver.StartTCP("127.0.0.1:0")
	if err != nil {
		fatalf("%v", err)
	}
	defer tcp.Close()
	web, err := labserver.StartHTTP("127.0.0.1:0")
	if err != nil {
		fatalf("%v", err)
	}
	defer web.Close()
	cfg := health.Config{
		Mode: health.ModeBasic, Interval: checkInterval, Fall: 3, Rise: 2, K: 4, N: 4,
		Checks: []health.CheckSpec{
			{Type: health.CheckPing, Target: "127.0.0.1", Timeout: time.Second},
			{Type: health.CheckTCP, Target: "127.0.0.1", Port: int(tcp.Addr().Port()), Timeout: time.Second},
			{Type: health.CheckDNS, Target: "127.0.0.1", Port: int(dns.Addr().Port()), Name: "gw.lab", Timeout: time.Second},
			{Type: health.CheckHTTP, Target: "127.0.0.1", Port: int(web.Addr().Port()), Path: "/generate_204", Expect: "204", Timeout: time.Second},
		},
	}
	cfgJSON, _ := json.Marshal(cfg)
	w := "-window=" + window.String()
	models := []model{
		{"inproc", "floatgw: health.Monitor in the daemon, interval 2 s", []string{"-role=inproc", w}},
		{"exec", "old model: exec a checker every 2 s (checks in-process)", []string{"-role=exec", w}},
		{"idle", "baseline: an idle Go process", []string{"-role=idle", w}},
	}
	if _, err := exec.LookPath("ping"); err == nil {
		models = append(models, model{"exec-ping", "old model as FloatingGateway: checker forks ping(8) too", []string{"-role=exec", "-fork-ping", w}})
	}
	fc, err := newForkCounter()
	if err != nil {
		fatalf("%v", err)
	}
	self, err := os.Executable()
	if err != nil {
		fatalf("%v", err)
	}
	fmt.Fprintf(os.Stderr, "bench: running %d models side by side for %v ...\n", len(models), window)
	results := make([]Result, len(models))
	var wg sync.WaitGroup
	for i, m := range models {
		cmd := exec.Command(self, append(m.args, "-config", string(cfgJSON))...)
		cmd.Env = append(os.Environ(), "FLOATGW_BENCH_WINDOW=")
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, os.Stderr
		// The child waits for one byte on stdin before it starts, so
		// that it is tracked before it can fork anything.
		gate, err := cmd.StdinPipe()
		if err != nil {
			fatalf("%v", err)
		}
		if err := cmd.Start(); err != nil {
			fatalf("%v", err)
		}
		fc.track(cmd.Process.Pid, m.name)
		gate.Write([]byte{1})
		gate.Close()
		wg.Add(1)
		go func(i int, m model) {
			defer wg.Done()
			err := cmd.Wait()
			if err != nil {
				fatalf("model %s: %v", m.name, err)
			}
			var cr childReport
			if err := json.Unmarshal([]byte(out.String()), &cr); err != nil {
				fatalf("model %s output %q: %v", m.name, out.String(), err)
			}
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			results[i] = Result{
				Model: m.name, Description: m.desc, WindowSeconds: window.Seconds(),
				Rounds: cr.Rounds, RoundsPassed: cr.RoundsPassed, SpawnedByRunner: cr.Spawned,
				CPUSeconds: cpu.Seconds(),
			}
		}(i, m)
	}
	wg.Wait()
	time.Sleep(200 * time.Millisecond) // let the last process events arrive
	fc.close()
	perHour := 3600 / window.Seconds()
	var idle float64
	for i := range results {
		r := &results[i]
		r.Forks, r.Execs, r.EventsLost = fc.counts(r.Model)
		r.ForksPerHour = float64(r.Forks) * perHour
		r.CPUPerHour = r.CPUSeconds * perHour
		if r.Model == "idle" {
			idle = r.CPUPerHour
		}
	}
	for i := range results {
		r := &results[i]
		r.CPUPerHourNet = r.CPUPerHour - idle
		if r.Rounds > 0 {
			r.CPUPerRoundMS = r.CPUPerHourNet / perHour / float64(r.Rounds) * 1000
		}
	}

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "model\twindow\trounds\tpassed\tforks\texecs\tCPU\tforks/h\tCPU s/h\tCPU s/h - idle\tCPU ms/round - idle\t\n")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%.0fs\t%d\t%d\t%d\t%d\t%.3fs\t%.0f\t%.2f\t%.2f\t%.2f\t\n", r.Model, r.WindowSeconds, r.Rounds, r.RoundsPassed,
			r.Forks, r.Execs, r.CPUSeconds, r.ForksPerHour, r.CPUPerHour, r.CPUPerHourNet, r.CPUPerRoundMS)
	}
	tw.Flush()
	for _, r := range results {
		if r.EventsLost {
			fmt.Println("warning: the kernel dropped process events; fork counts are lower bounds")
			break
		}
	}
	if jsonOut != "" {
		b, _ := json.MarshalIndent(map[string]any{"interval_s": checkInterval.Seconds(), "checks": cfg.Checks, "results": results}, "", "  ")
		if jsonOut == "-" {
			os.Stdout.Write(append(b, '\n'))
		} else if err := os.WriteFile(jsonOut, append(b, '\n'), 0o644); err != nil {
			fatalf("%v", err)
		}
	}
}
