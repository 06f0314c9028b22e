package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
)

// Results is results.json.
type Results struct {
	Schema     int        `json:"schema"`
	StartedAt  time.Time  `json:"started_at"`
	DurationS  float64    `json:"duration_s"`
	Commit     string     `json:"commit"`
	Floatgw    string     `json:"floatgw_version"`
	Machine    Machine    `json:"machine"`
	Trials     int        `json:"trials_per_figure"`
	Sets       []Set      `json:"switch_sets"`
	Detection  Detection  `json:"detection"`
	Health     *Health    `json:"health,omitempty"`
	Idle       []IdleProc `json:"idle"`
	Fresh      []IdleProc `json:"fresh_daemons"`
	IdleWindow float64    `json:"idle_window_s"`
	Status     *StatusRTT `json:"status_round_trip,omitempty"`
	Sizes      []Size     `json:"sizes"`
	SizeBudget int64      `json:"size_budget_mipsle_bytes"`
	Rows       []Row      `json:"table"`
	Errors     []string   `json:"errors,omitempty"`
}

// Set is the switch trials of one protocol setting.
type Set struct {
	Protocol protocol        `json:"protocol"`
	Trials   []Trial         `json:"trials"`
	Summary  map[string]Dist `json:"summary"`
	Failed   map[string]int  `json:"failed"`
}

// Detection is kernel address event → floatgw.state event.
type Detection struct {
	What      string `json:"what"`
	Latency   Dist   `json:"latency_ms"`
	Unmatched int    `json:"kernel_events_without_floatgw_event"`
}

// Row is one line of the table.
type Row struct {
	Figure   string  `json:"figure"`
	Floatgw  string  `json:"floatgw"`
	Value    float64 `json:"floatgw_median"`
	Baseline string  `json:"baseline"`
	BaseVal  float64 `json:"baseline_value"`
	Ratio    float64 `json:"ratio"`
}

func (r Row) ratioText() string {
	if r.Ratio == 0 && r.BaseVal > 0 {
		return "0×"
	}
	if math.IsNaN(r.Ratio) || math.IsInf(r.Ratio, 0) || r.Ratio == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", r.Ratio)
}

// MarshalJSON keeps NaN out of the JSON (0 = no value).
func (r Row) MarshalJSON() ([]byte, error) {
	type plain Row
	p := plain(r)
	for _, v := range []*float64{&p.Value, &p.BaseVal, &p.Ratio} {
		if math.IsNaN(*v) || math.IsInf(*v, 0) {
			*v = 0
		}
	}
	return json.Marshal(p)
}

func main() {
	bin := flag.String("bin", "bin/floatgw", "the floatgw binary (make build)")
	dist := flag.String("dist", "dist", "where make cross put floatgw-linux-*")
	outDir := flag.String("out", "docs/bench", "where results.json and results.md go")
	trials := flag.Int("trials", 7, "trials per switch figure and protocol setting")
	idleWin := flag.Duration("idle", 90*time.Second, "idle window (daemon RSS/CPU and the health bench, side by side)")
	prefix := flag.String("prefix", "fgw-bench", "LAB_PREFIX of the lab this run brings up and removes")
	v3int := flag.String("v3-advert-int", "0.1", "VRRPv3 advert_int for the sub-second set (seconds)")
	goFlag := flag.String("go", envOr("GO", "go"), "the go command (builds internal/health/bench); env GO")
	flag.Parse()
	if os.Geteuid() != 0 {
		fatalf("needs root (network namespaces, the lab)")
	}
	root, err := repoRoot()
	if err != nil {
		fatalf("%v", err)
	}
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(root, p)
	}
	res := &Results{Schema: 1, StartedAt: time.Now().UTC(), Machine: machine(), Trials: *trials, SizeBudget: 4 << 20}
	res.Commit = strings.TrimSpace(run(root, "git", "describe", "--always", "--dirty"))
	res.Floatgw = strings.TrimSpace(run(root, abs(*bin), "version"))
	sample := func() { res.Machine.LoadSamples = append(res.Machine.LoadSamples, loadavg()[0]) }
	tmp, err := os.MkdirTemp("", "fgw-bench")
	if err != nil {
		fatalf("%v", err)
	}
	defer os.RemoveAll(tmp)
	goTool := *goFlag
	fail := func(what string, err error) {
		msg := what + ": " + err.Error()
		fmt.Fprintln(os.Stderr, "bench:", msg)
		res.Errors = append(res.Errors, msg)
	}
	hb, err := buildHealthBench(goTool, tmp)
	if err != nil {
		fail("health", err)
	}

	ctx := context.Background()
	l := &lab{script: filepath.Join(root, "scripts/lab"), prefix: *prefix, state: "/run/floatgw-lab/" + *prefix, bin: abs(*bin)}
	fmt.Fprintf(os.Stderr, "bench: lab %s up (scripts/lab up --floatgw, daemons on ubustest brokers)\n", *prefix)
	if err := l.up(ctx); err != nil {
		l.down()
		fatalf("lab: %v", err)
	}
	defer l.down()
	detectFrom := time.Now()

	// VRRPv2, advert_int 1 s.
	sample()
	if err := l.steady(3*time.Second, 30*time.Second); err != nil {
		fatalf("%v", err)
	}
	res.Fresh = l.fresh()
	if p, err := l.readProtocol("VRRPv2 1 s"); err != nil {
		fail("v2", err)
	} else {
		trs, err := l.switchSet(ctx, p, *trials)
		if err != nil {
			fail("v2 trials", err)
		}
		res.Sets = append(res.Sets, summarizeSet(p, trs))
	}
	sample()

	// Idle and the health bench, side by side (both count CPU time, not latency).
	if err := l.steady(2*time.Second, 30*time.Second); err != nil {
		fail("idle", err)
	}
	fmt.Fprintf(os.Stderr, "bench: idle window %v (daemons, keepalived) with the health bench beside it\n", *idleWin)
	res.IdleWindow = idleWin.Seconds()
	hdone := make(chan struct{})
	if hb != "" {
		go func() {
			defer close(hdone)
			h, err := runHealthBench(hb, tmp, *idleWin)
			if err != nil {
				fail("health", err)
				return
			}
			res.Health = &h
		}()
	} else {
		close(hdone)
	}
	if idle, err := l.idle(*idleWin); err != nil {
		fail("idle", err)
	} else {
		res.Idle = idle
	}
	<-hdone
	sample()

	fmt.Fprintln(os.Stderr, "bench: status round trips")
	if st, err := l.statusRTT(ctx, 200, 20); err != nil {
		fail("status", err)
	} else {
		res.Status = &st
	}

	// VRRPv3, sub-second.
	fmt.Fprintf(os.Stderr, "bench: VRRPv3 advert_int %s s (floatgw apply on both routers)\n", *v3int)
	if err := l.setV3(ctx, *v3int); err != nil {
		fail("v3", err)
	} else if err := l.steady(2*time.Second, 30*time.Second); err != nil {
		fail("v3", err)
	} else if p, err := l.readProtocol("VRRPv3 " + *v3int + " s"); err != nil {
		fail("v3", err)
	} else if p.Version != 3 {
		fail("v3", fmt.Errorf("the rendered configuration says version %d", p.Version))
	} else {
		trs, err := l.switchSet(ctx, p, *trials)
		if err != nil {
			fail("v3 trials", err)
		}
		res.Sets = append(res.Sets, summarizeSet(p, trs))
	}
	sample()

	lat, unmatched := l.detection(detectFrom)
	res.Detection = Detection{
		What: "every VIP add/remove on r1 and r2 during the switch trials: read by an independent rtnetlink listener " +
			"(internal/netwatch in the bench process, same namespace) → floatgw.state {changed: vip} from that node's daemon, " +
			"received by a ubus subscriber on the node's ubustest broker",
		Latency: summarize(lat, "ms", false), Unmatched: unmatched}
	res.Sizes = sizes(abs(*dist))
	if len(res.Sizes) == 0 {
		fail("sizes", fmt.Errorf("no %s/floatgw-linux-* (make cross)", *dist))
	}
	res.Machine.LoadEnd = loadavg()
	res.Machine.Note = loadNote(res.Machine)
	res.DurationS = time.Since(res.StartedAt).Seconds()
	res.Rows = rows(res)

	printTable(os.Stdout, res.Rows)
	if err := os.MkdirAll(abs(*outDir), 0o755); err != nil {
		fatalf("%v", err)
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		fatalf("%v", err)
	}
	if err := os.WriteFile(filepath.Join(abs(*outDir), "results.json"), append(b, '\n'), 0o644); err != nil {
		fatalf("%v", err)
	}
	if err := os.WriteFile(filepath.Join(abs(*outDir), "results.md"), []byte(markdown(res)), 0o644); err != nil {
		fatalf("%v", err)
	}
	fmt.Printf("\nwrote %s/results.json and results.md (%.0f s, load average %v → %v)\n", *outDir, res.DurationS,
		res.Machine.LoadStart, res.Machine.LoadEnd)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(1)
}

func run(dir, name string, args ...string) string {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, _ := cmd.Output()
	return string(out)
}

func repoRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		p := filepath.Dir(d)
		if p == d {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		d = p
	}
}

// summarizeSet computes the distributions of a set's trials (successful
// trials only; failures are counted).
func summarizeSet(p protocol, trs []Trial) Set {
	s := Set{Protocol: p, Trials: trs, Summary: map[string]Dist{}, Failed: map[string]int{}}
	vals := map[string][]float64{}
	put := func(k string, v float64) { vals[k] = append(vals[k], v) }
	for _, t := range trs {
		if !t.OK {
			s.Failed[t.Kind]++
			continue
		}
		put(t.Kind+"/takeover", t.TakeoverMs)
		put(t.Kind+"/vip_move", t.MoveMs)
		put(t.Kind+"/client_gap", t.ClientGapMs)
		put(t.Kind+"/failback", t.FailbackMs)
		put(t.Kind+"/failback_gap", t.FailbackGapMs)
		if t.Kind != "keepalived-stop" {
			put(t.Kind+"/arp_answer", t.ArpAnswerMs)
			put(t.Kind+"/wall", t.WallMs)
			put(t.Kind+"/precheck", t.PrecheckMs)
			put(t.Kind+"/overhead", t.OverheadMs)
			put(t.Kind+"/overhead_beyond_listen", t.OverheadDesignMs)
		}
	}
	for k, v := range vals {
		s.Summary[k] = summarize(v, "ms", true)
	}
	return s
}

func rows(res *Results) []Row {
	var out []Row
	add := func(fig string, d Dist, base string, bv float64) {
		out = append(out, Row{Figure: fig, Floatgw: d.String(), Value: d.Median, Baseline: base, BaseVal: bv, Ratio: ratio(d.Median, bv)})
	}
	for _, s := range res.Sets {
		p, m := s.Protocol, s.Summary
		ks := m["keepalived-stop/takeover"]
		add(p.Name+": controlled handover, verify soft (trigger → VIP on r1)", m["verify-soft/takeover"],
			"keepalived graceful stop "+ks.String(), ks.Median)
		add(p.Name+": controlled handover, verify soft", m["verify-soft/takeover"],
			fmt.Sprintf("RFC Skew_Time (prio %d) %s ms", p.BackupPriority, num(p.SkewMs)), p.SkewMs)
		km := m["keepalived-stop/vip_move"]
		add(p.Name+": VIP removed on r2 → added on r1 (bench's rtnetlink), verify soft", m["verify-soft/vip_move"],
			"keepalived graceful stop "+km.String(), km.Median)
		kg := m["keepalived-stop/client_gap"]
		add(p.Name+": client's longest ping gap, verify soft", m["verify-soft/client_gap"],
			"keepalived graceful stop "+kg.String(), kg.Median)
		add(p.Name+": silent-master takeover, verify hard", m["verify-hard/takeover"],
			fmt.Sprintf("RFC Master_Down_Interval %s ms", num(p.MasterDownMs)), p.MasterDownMs)
		add(p.Name+": client's longest ping gap, verify hard", m["verify-hard/client_gap"],
			fmt.Sprintf("RFC Master_Down_Interval %s ms", num(p.MasterDownMs)), p.MasterDownMs)
		for _, mode := range []string{"soft", "hard"} {
			w := m["verify-"+mode+"/wall"]
			tk, fb := m["verify-"+mode+"/takeover"], m["verify-"+mode+"/failback"]
			add(p.Name+": verify "+mode+" wall time (CLI exec → exit)", w,
				fmt.Sprintf("its VRRP waits: takeover %s + failback %s ms", num(tk.Median), num(fb.Median)), tk.Median+fb.Median)
			add(p.Name+": verify "+mode+" overhead beyond the VRRP waits", m["verify-"+mode+"/overhead"], "", math.NaN())
			add(p.Name+": … of which not the verifier's listen windows", m["verify-"+mode+"/overhead_beyond_listen"], "", math.NaN())
		}
	}
	add("detection: kernel VIP event → floatgw.state event", res.Detection.Latency, "", math.NaN())
	if d := res.Detection.Latency; d.N > 0 {
		out[len(out)-1].Floatgw = fmt.Sprintf("%s ms, IQR %s–%s, [%s–%s] (n=%d)", num(d.Median), num(d.P25), num(d.P75), num(d.Min), num(d.Max), d.N)
	}
	if h := res.Health; h != nil {
		byName := map[string]HealthModel{}
		for _, m := range h.Models {
			byName[m.Model] = m
		}
		in := byName["inproc"]
		for _, name := range []string{"exec", "exec-ping"} {
			if e, ok := byName[name]; ok {
				out = append(out, Row{Figure: "health checks (4 checks / 2 s): CPU s per hour, minus idle",
					Floatgw: num(in.CPUPerHourNet) + " s/h", Value: in.CPUPerHourNet,
					Baseline: fmt.Sprintf("vrrp_script model (%s) %s s/h", name, num(e.CPUPerHourNet)), BaseVal: e.CPUPerHourNet,
					Ratio: ratio(in.CPUPerHourNet, e.CPUPerHourNet)})
				out = append(out, Row{Figure: "health checks: processes forked per hour",
					Floatgw: num(in.ForksPerHour) + " /h", Value: in.ForksPerHour,
					Baseline: fmt.Sprintf("vrrp_script model (%s) %s /h", name, num(e.ForksPerHour)), BaseVal: e.ForksPerHour,
					Ratio: ratio(in.ForksPerHour, e.ForksPerHour)})
			}
		}
	}
	for _, n := range []string{"r2", "r1"} {
		var f, ka IdleProc
		var kaRSS, kaPSS, kaCPU float64
		for _, p := range res.Idle {
			if p.Node != n {
				continue
			}
			if p.Name == "floatgw daemon" {
				f = p
			} else {
				ka = p
				kaRSS += p.RSSMiB
				kaPSS += p.PSSMiB
				kaCPU += p.CPUPerHour
			}
		}
		if f.PID == 0 || ka.PID == 0 {
			continue
		}
		role := map[string]string{"r2": "master", "r1": "backup"}[n]
		out = append(out, Row{Figure: fmt.Sprintf("idle RSS, %s (%s)", n, role), Floatgw: fmt.Sprintf("%.1f MiB", f.RSSMiB), Value: f.RSSMiB,
			Baseline: fmt.Sprintf("keepalived, both processes %.1f MiB (shared pages counted twice)", kaRSS), BaseVal: kaRSS, Ratio: ratio(f.RSSMiB, kaRSS)})
		out = append(out, Row{Figure: fmt.Sprintf("idle PSS, %s (%s)", n, role), Floatgw: fmt.Sprintf("%.1f MiB", f.PSSMiB), Value: f.PSSMiB,
			Baseline: fmt.Sprintf("keepalived, both processes %.1f MiB", kaPSS), BaseVal: kaPSS, Ratio: ratio(f.PSSMiB, kaPSS)})
		out = append(out, Row{Figure: fmt.Sprintf("idle RSS, %s (%s)", n, role), Floatgw: fmt.Sprintf("%.1f MiB", f.RSSMiB), Value: f.RSSMiB,
			Baseline: "PRODUCT.md bar 10 MiB", BaseVal: 10, Ratio: ratio(f.RSSMiB, 10)})
		out = append(out, Row{Figure: fmt.Sprintf("idle CPU per hour, %s (%s; health ping every 1 s)", n, role),
			Floatgw: fmt.Sprintf("%.1f s/h", f.CPUPerHour), Value: f.CPUPerHour,
			Baseline: fmt.Sprintf("keepalived, both processes %.1f s/h", kaCPU), BaseVal: kaCPU, Ratio: ratio(f.CPUPerHour, kaCPU)})
	}
	for _, p := range res.Fresh {
		out = append(out, Row{Figure: fmt.Sprintf("RSS right after start, %s (before any switch)", p.Node), Floatgw: fmt.Sprintf("%.1f MiB", p.RSSMiB), Value: p.RSSMiB,
			Baseline: "PRODUCT.md bar 10 MiB", BaseVal: 10, Ratio: ratio(p.RSSMiB, 10)})
	}
	if st := res.Status; st != nil {
		add("status round trip, control socket (dial per call)", st.Control, "", math.NaN())
		out[len(out)-1].Floatgw = st.Control.String()
		out = append(out, Row{Figure: "status round trip, ubus (ubustest broker)", Floatgw: st.Ubus.String(), Value: st.Ubus.Median,
			Baseline: "control socket " + num(st.Control.Median) + " µs", BaseVal: st.Control.Median, Ratio: ratio(st.Ubus.Median, st.Control.Median)})
		add("`floatgw status --json` (CLI exec → exit)", st.CLI, "", math.NaN())
	}
	for _, s := range res.Sizes {
		out = append(out, Row{Figure: "stripped binary, linux/" + s.Arch + " (" + s.Go + ")", Floatgw: fmt.Sprintf("%.2f MiB (%d B)", s.MiB, s.Bytes),
			Value: float64(s.Bytes), Baseline: "budget 4 MiB (mipsle bar)", BaseVal: float64(res.SizeBudget),
			Ratio: ratio(float64(s.Bytes), float64(res.SizeBudget))})
	}
	return out
}

func printTable(w *os.File, rs []Row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tfloatgw: median [min–max] (n)\tbaseline (same run)\tratio")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Figure, r.Floatgw, r.Baseline, r.ratioText())
	}
	tw.Flush()
}

func markdown(res *Results) string {
	var b strings.Builder
	m := res.Machine
	fmt.Fprintf(&b, "# floatgw benchmark results\n\n")
	fmt.Fprintf(&b, "Generated by `make bench` (scripts/bench) on %s UTC, commit %s, `floatgw version`: %s; raw data in results.json.\n\n",
		res.StartedAt.Format("2006-01-02 15:04"), res.Commit, res.Floatgw)
	fmt.Fprintf(&b, "Machine: %s, %s, kernel %s, %d cores, %d MiB RAM, %s, %s.  \n", m.CPU, m.OS, m.Kernel, m.Cores, m.MemMiB, m.Go, m.Keepalived)
	fmt.Fprintf(&b, "Load average (1/5/15 min) at the start %v, at the end %v, 1-min samples during the run %v. %s.\n\n",
		m.LoadStart, m.LoadEnd, m.LoadSamples, m.Note)
	fmt.Fprintf(&b, "Trials per switch figure and protocol setting: %d, interleaved (verify soft, keepalived stop, verify hard). "+
		"Median [min–max] (n); ratio = floatgw's median / the baseline.\n\n", res.Trials)
	b.WriteString("| Figure | floatgw | Baseline (same run) | Ratio |\n|---|---|---|---|\n")
	for _, r := range res.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.Figure, r.Floatgw, r.Baseline, r.ratioText())
	}
	b.WriteString("\n## Per-set details\n\n")
	for _, s := range res.Sets {
		p := s.Protocol
		fmt.Fprintf(&b, "### %s (VRRPv%d, advert_int %s ms, backup priority %d, master priority %d)\n\n", p.Name, p.Version, num(p.AdvertIntMs), p.BackupPriority, p.MasterPriority)
		fmt.Fprintf(&b, "RFC bounds for the backup: Skew_Time %s ms, Master_Down_Interval %s ms; for the master (failback): Master_Down_Interval %s ms.\n\n",
			num(p.SkewMs), num(p.MasterDownMs), num(p.MasterMasterDMs))
		b.WriteString("| Measure | verify soft | keepalived stop | verify hard |\n|---|---|---|---|\n")
		for _, k := range []string{"takeover", "vip_move", "arp_answer", "client_gap", "failback", "failback_gap", "wall", "precheck", "overhead", "overhead_beyond_listen"} {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", k, cell(s.Summary["verify-soft/"+k]), cell(s.Summary["keepalived-stop/"+k]), cell(s.Summary["verify-hard/"+k]))
		}
		if len(s.Failed) > 0 {
			fmt.Fprintf(&b, "\nFailed trials (not in the figures): %v\n", s.Failed)
		}
		b.WriteString("\n")
	}
	b.WriteString(`Definitions:
- takeover: trigger → VIP on the new holder. verify: the run's own vip_added timing (from the demotion or the silencing);
  keepalived stop: SIGTERM to r2's keepalived → the VIP added on r1, read from rtnetlink in r1.
- vip_move: the VIP removed on r2 → added on r1, both read by the bench's own rtnetlink listeners (same measure for every kind).
- client_gap / failback_gap: the longest gap between the client's echo replies (ping -D -i 0.01 to the VIP) during the switch /
  during the failback. Resolution 10 ms.
- failback: the undo (undemote, or keepalived started again) → the VIP back on r2 (preempt: r2 waits its Master_Down_Interval).
- wall: ` + "`floatgw verify --json`" + ` from exec to exit; overhead = wall − (takeover + failback), i.e. everything but the two VRRP
  moves; overhead_beyond_listen additionally subtracts the verifier's deliberate, advert_int-sized listening windows (pre-check
  listen 1.5 × advert_int, at least 300 ms; settle hold from the ARP answer to the undo).
- silent master (hard): keepalived on r2 is SIGSTOPped and the VIP removed; r1's down timer started at r2's last advert, up to one
  advert_int before the trigger, so the takeover lands between Master_Down_Interval − advert_int and Master_Down_Interval.
`)
	fmt.Fprintf(&b, "- detection: %s. Kernel events without a matching floatgw event: %d.\n", res.Detection.What, res.Detection.Unmatched)
	fmt.Fprintf(&b, "- idle: %.0f s window with nothing switching (VRRPv2 1 s, r2 master, health check ping every 1 s), /proc/PID/stat utime+stime (10 ms ticks: a process under 0.1 s in the window is a few ticks) and VmRSS, PSS from smaps_rollup (keepalived's PSS is low partly because the other lab keepalived processes share its pages).\n", res.IdleWindow)
	if res.Health != nil {
		fmt.Fprintf(&b, "\n## Health checking (internal/health/bench, %.0f s window, beside the idle window)\n\n```\n%s```\n", res.Health.WindowS, res.Health.Table)
	}
	if len(res.Idle) > 0 {
		b.WriteString("\n## Idle processes\n\n| Process | Node | RSS MiB (max) | PSS MiB | CPU s in window | CPU s/h |\n|---|---|---|---|---|---|\n")
		for _, p := range res.Idle {
			fmt.Fprintf(&b, "| %s | %s | %.1f (%.1f) | %.1f | %.2f | %.1f |\n", p.Name, p.Node, p.RSSMiB, p.RSSMaxMiB, p.PSSMiB, p.CPUSeconds, p.CPUPerHour)
		}
	}
	if len(res.Errors) > 0 {
		b.WriteString("\n## Errors during the run\n\n")
		for _, e := range res.Errors {
			fmt.Fprintf(&b, "- %s\n", e)
		}
	}
	return b.String()
}

func cell(d Dist) string {
	if d.N == 0 {
		return "—"
	}
	return fmt.Sprintf("%s [%s–%s] (%d)", num(d.Median), num(d.Min), num(d.Max), d.N)
}

// loadNote says whether other work shared the machine during the run: the highest 1-minute load
// average seen against the number of cores.
func loadNote(m Machine) string {
	peak := 0.0
	for _, l := range append(append([]float64{}, m.LoadSamples...), first(m.LoadStart), first(m.LoadEnd)) {
		peak = math.Max(peak, l)
	}
	if peak >= 1 {
		return fmt.Sprintf("Other work shared the machine during the run (1-minute load average up to %.2f on %d cores): compare figures with care", peak, m.Cores)
	}
	return fmt.Sprintf("The machine was otherwise idle during the run (1-minute load average at most %.2f on %d cores)", peak, m.Cores)
}

func first(l []float64) float64 {
	if len(l) == 0 {
		return 0
	}
	return l[0]
}
