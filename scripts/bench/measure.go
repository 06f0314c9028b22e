package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/floatgw/floatgw/internal/control"
)

// detection pairs every VIP change read by this program's rtnetlink
// listener with the next floatgw.state {"changed":"vip"} event from the
// same node's daemon, received through its ubus broker.
func (l *lab) detection(from time.Time) (lat []float64, unmatched int) {
	all := l.rec.since(from)
	used := make([]bool, len(all))
	for i, o := range all {
		if o.Kind != "vip+" && o.Kind != "vip-" {
			continue
		}
		found := false
		// The ubus event may be read a little before this program's own
		// listener goroutine gets to its notification: look from 100 ms
		// before the kernel event.
		for j, u := range all {
			if used[j] || u.Node != o.Node || u.Kind != "ubus:vip" {
				continue
			}
			d := u.At.Sub(o.At)
			if d < -100*time.Millisecond || d > 2*time.Second {
				continue
			}
			used[j] = true
			lat = append(lat, ms(d))
			found = true
			break
		}
		if !found {
			unmatched++
		}
		_ = i
	}
	return lat, unmatched
}

// procSample is a process's cumulative CPU time and resident size.
type procSample struct {
	CPU time.Duration
	RSS int64 // bytes
}

const clkTck = 100 // USER_HZ on Linux

func readProc(pid int) (procSample, error) {
	var s procSample
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// Fields after the command name, which is in parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return s, fmt.Errorf("/proc/%d/stat: no command", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return s, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	st, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	s.CPU = time.Duration(ut+st) * time.Second / clkTck
	st2, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for _, line := range strings.Split(string(st2), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			s.RSS = kb * 1024
		}
	}
	return s, nil
}

// readPSS is the process's proportional set size (shared pages divided
// among their users), in bytes.
func readPSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "Pss:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("/proc/%d/smaps_rollup: no Pss", pid)
}

// IdleProc is one process's idle figures.
type IdleProc struct {
	Name       string  `json:"name"`
	Node       string  `json:"node"`
	PID        int     `json:"pid"`
	RSSMiB     float64 `json:"rss_mib"`     // at the end of the window
	RSSMaxMiB  float64 `json:"rss_max_mib"` // largest sample
	PSSMiB     float64 `json:"pss_mib"`     // proportional set size at the end
	CPUSeconds float64 `json:"cpu_s"`
	CPUPerHour float64 `json:"cpu_s_per_hour"`
}

// idle samples the floatgw daemons and keepalived (parent and VRRP child)
// on both routers over window, while nothing switches.
func (l *lab) idle(window time.Duration) ([]IdleProc, error) {
	type target struct {
		name, node string
		pid        int
	}
	var ts []target
	for _, n := range []string{"r1", "r2"} {
		ts = append(ts,
			target{"floatgw daemon", n, l.daemons[n].Process.Pid},
			target{"keepalived (parent)", n, l.pidFile(n, "keepalived.pid")},
			target{"keepalived (vrrp child)", n, l.pidFile(n, "vrrp.pid")})
	}
	start := make([]procSample, len(ts))
	maxRSS := make([]int64, len(ts))
	for i, t := range ts {
		s, err := readProc(t.pid)
		if err != nil {
			return nil, fmt.Errorf("%s on %s: %w", t.name, t.node, err)
		}
		start[i], maxRSS[i] = s, s.RSS
	}
	t0 := time.Now()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for time.Since(t0) < window {
		<-tick.C
		for i, t := range ts {
			if s, err := readProc(t.pid); err == nil && s.RSS > maxRSS[i] {
				maxRSS[i] = s.RSS
			}
		}
	}
	el := time.Since(t0)
	var out []IdleProc
	for i, t := range ts {
		s, err := readProc(t.pid)
		if err != nil {
			return nil, fmt.Errorf("%s on %s: %w", t.name, t.node, err)
		}
		cpu := (s.CPU - start[i].CPU).Seconds()
		pss, _ := readPSS(t.pid)
		out = append(out, IdleProc{Name: t.name, Node: t.node, PID: t.pid,
			RSSMiB: float64(s.RSS) / (1 << 20), RSSMaxMiB: float64(max(maxRSS[i], s.RSS)) / (1 << 20),
			PSSMiB: float64(pss) / (1 << 20), CPUSeconds: cpu, CPUPerHour: cpu * 3600 / el.Seconds()})
	}
	return out, nil
}

// fresh is the floatgw daemons' RSS and PSS right after they started
// (the lab settled, no switch yet).
func (l *lab) fresh() []IdleProc {
	var out []IdleProc
	for _, n := range []string{"r2", "r1"} {
		pid := l.daemons[n].Process.Pid
		s, err := readProc(pid)
		if err != nil {
			continue
		}
		pss, _ := readPSS(pid)
		out = append(out, IdleProc{Name: "floatgw daemon", Node: n, PID: pid, RSSMiB: float64(s.RSS) / (1 << 20),
			RSSMaxMiB: float64(s.RSS) / (1 << 20), PSSMiB: float64(pss) / (1 << 20)})
	}
	return out
}

// StatusRTT is the status round trip over both transports.
type StatusRTT struct {
	Control Dist `json:"control_socket_us"`
	Ubus    Dist `json:"ubustest_us"`
	CLI     Dist `json:"cli_exec_ms"`
}

// statusRTT calls status on r2's daemon n times over the control socket
// (control.Call dials per call, as the CLI does) and through its ubustest
// broker (one connection), and times the CLI `floatgw status --json`.
func (l *lab) statusRTT(ctx context.Context, n, cliN int) (StatusRTT, error) {
	var r StatusRTT
	sock := filepath.Join(l.state, "r2", "root/var/run/floatgw.sock")
	var c, u, cli []float64
	c0 := l.ubus["r2"]
	for i := 0; i < n; i++ {
		t := time.Now()
		if _, err := control.Call(ctx, sock, "status", nil); err != nil {
			return r, fmt.Errorf("control status: %w", err)
		}
		c = append(c, float64(time.Since(t).Microseconds()))
		t = time.Now()
		if _, err := c0.Call(ctx, "floatgw", "status", nil); err != nil {
			return r, fmt.Errorf("ubus status: %w", err)
		}
		u = append(u, float64(time.Since(t).Microseconds()))
	}
	for i := 0; i < cliN; i++ {
		t := time.Now()
		if out, err := l.nodeCmd(ctx, "r2", l.bin, "status", "--json").CombinedOutput(); err != nil {
			return r, fmt.Errorf("floatgw status: %v: %s", err, bytes.TrimSpace(out))
		}
		cli = append(cli, ms(time.Since(t)))
	}
	r.Control, r.Ubus, r.CLI = summarize(c, "µs", false), summarize(u, "µs", false), summarize(cli, "ms", true)
	return r, nil
}

// Health is internal/health/bench's output, as it is.
type Health struct {
	WindowS float64         `json:"window_s"`
	Table   string          `json:"table"`
	Raw     json.RawMessage `json:"raw"`
	Models  []HealthModel   `json:"-"`
}

// HealthModel is the part of a health bench row the table shows.
type HealthModel struct {
	Model         string  `json:"model"`
	Description   string  `json:"description"`
	Rounds        int     `json:"rounds"`
	ForksPerHour  float64 `json:"forks_per_hour"`
	CPUPerHour    float64 `json:"cpu_s_per_hour"`
	CPUPerHourNet float64 `json:"cpu_s_per_hour_minus_idle"`
	CPUPerRoundMS float64 `json:"cpu_ms_per_round_minus_idle"`
}

// buildHealthBench builds internal/health/bench into dir.
func buildHealthBench(goTool, dir string) (string, error) {
	bin := filepath.Join(dir, "healthbench")
	cmd := exec.Command(goTool, "build", "-o", bin, "./internal/health/bench")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build internal/health/bench: %v: %s", err, out)
	}
	return bin, nil
}

// runHealthBench runs the health bench for window.
func runHealthBench(bin, dir string, window time.Duration) (Health, error) {
	h := Health{WindowS: window.Seconds()}
	js := filepath.Join(dir, "health.json")
	cmd := exec.Command(bin, "-window", window.String(), "-json", js)
	cmd.Env = append(os.Environ(), "FLOATGW_BENCH_WINDOW=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return h, fmt.Errorf("health bench: %v: %s", err, errb.String())
	}
	h.Table = out.String()
	b, err := os.ReadFile(js)
	if err != nil {
		return h, err
	}
	h.Raw = b
	var v struct {
		Results []HealthModel `json:"results"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return h, fmt.Errorf("health bench JSON: %w", err)
	}
	h.Models = v.Results
	return h, nil
}

// Size is one cross-built binary.
type Size struct {
	Arch  string  `json:"arch"`
	File  string  `json:"file"`
	Bytes int64   `json:"bytes"`
	MiB   float64 `json:"mib"`
	// Go is the toolchain that built it (`go version FILE`).
	Go string `json:"go"`
}

// sizes lists dist/floatgw-linux-* (make cross: stripped, -tags openwrt, the OpenWrt 24.10 SDK's
// Go) and dist/go-local/floatgw-linux-* (the same build with the local Go, from make size-local).
func sizes(dist string) []Size {
	m, _ := filepath.Glob(filepath.Join(dist, "floatgw-linux-*"))
	sort.Strings(m)
	local, _ := filepath.Glob(filepath.Join(dist, "go-local", "floatgw-linux-*"))
	sort.Strings(local)
	var out []Size
	for _, f := range append(m, local...) {
		st, err := os.Stat(f)
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		rel, _ := filepath.Rel(filepath.Dir(dist), f)
		gover := ""
		if b, err := exec.Command("go", "version", f).Output(); err == nil {
			if fs := strings.Fields(string(b)); len(fs) >= 2 {
				gover = fs[1]
			}
		}
		out = append(out, Size{Arch: strings.TrimPrefix(filepath.Base(f), "floatgw-linux-"), File: rel,
			Bytes: st.Size(), MiB: float64(st.Size()) / (1 << 20), Go: gover})
	}
	return out
}

// Machine is what the run ran on.
type Machine struct {
	Hostname    string    `json:"hostname"`
	OS          string    `json:"os"`
	Kernel      string    `json:"kernel"`
	CPU         string    `json:"cpu"`
	Cores       int       `json:"cores"`
	MemMiB      int64     `json:"mem_mib"`
	Go          string    `json:"go"`
	Keepalived  string    `json:"keepalived"`
	LoadStart   []float64 `json:"loadavg_start"`
	LoadEnd     []float64 `json:"loadavg_end"`
	LoadSamples []float64 `json:"loadavg_1min_samples"`
	Note        string    `json:"note,omitempty"`
}

func loadavg() []float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return nil
	}
	var out []float64
	for _, f := range strings.Fields(string(b))[:3] {
		v, _ := strconv.ParseFloat(f, 64)
		out = append(out, v)
	}
	return out
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), LoadStart: loadavg()}
	m.Hostname, _ = os.Hostname()
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "MemTotal:") {
				kb, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
				m.MemMiB = kb / 1024
			}
		}
	}
	out, _ := exec.Command("keepalived", "--version").CombinedOutput()
	m.Keepalived = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	return m
}
