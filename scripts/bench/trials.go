package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"time"

	"github.com/floatgw/floatgw/internal/api"
)

// protocol is one VRRP setting and its RFC bounds for the backup (r1),
// which takes the VIP over.
type protocol struct {
	Name            string  `json:"name"`
	Version         int     `json:"version"`
	AdvertIntMs     float64 `json:"advert_int_ms"`
	BackupPriority  int     `json:"backup_priority"`
	MasterPriority  int     `json:"master_priority"`
	SkewMs          float64 `json:"skew_time_ms"`
	MasterDownMs    float64 `json:"master_down_interval_ms"`
	MasterSkewMs    float64 `json:"master_skew_time_ms"`
	MasterMasterDMs float64 `json:"master_master_down_interval_ms"`
}

// rfcBounds fills the RFC 3768 (v2) / RFC 5798 (v3) timers: Skew_Time =
// (256 − Priority) × Advertisement_Interval / 256 (v2 with a 1 s
// interval: (256 − Priority)/256 s), Master_Down_Interval = 3 ×
// Advertisement_Interval + Skew_Time.
func (p *protocol) rfcBounds() {
	p.SkewMs = float64(256-p.BackupPriority) * p.AdvertIntMs / 256
	p.MasterDownMs = 3*p.AdvertIntMs + p.SkewMs
	p.MasterSkewMs = float64(256-p.MasterPriority) * p.AdvertIntMs / 256
	p.MasterMasterDMs = 3*p.AdvertIntMs + p.MasterSkewMs
}

var (
	rePriority = regexp.MustCompile(`(?m)^\s*priority\s+(\d+)`)
	reAdvert   = regexp.MustCompile(`(?m)^\s*advert_int\s+([0-9.]+)`)
	reVersion  = regexp.MustCompile(`(?m)^\s*version\s+(\d+)`)
)

// readProtocol reads what floatgw rendered for keepalived on both routers.
func (l *lab) readProtocol(name string) (protocol, error) {
	p := protocol{Name: name}
	for _, n := range []string{"r1", "r2"} {
		b, err := os.ReadFile(filepath.Join(l.state, n, "floatgw-keepalived.conf"))
		if err != nil {
			return p, err
		}
		m := rePriority.FindSubmatch(b)
		a := reAdvert.FindSubmatch(b)
		v := reVersion.FindSubmatch(b)
		if m == nil || a == nil {
			return p, fmt.Errorf("%s: no priority or advert_int in the rendered configuration", n)
		}
		prio, _ := strconv.Atoi(string(m[1]))
		ai, _ := strconv.ParseFloat(string(a[1]), 64)
		ver := 2
		if v != nil {
			ver, _ = strconv.Atoi(string(v[1]))
		}
		if n == "r1" {
			p.BackupPriority, p.AdvertIntMs, p.Version = prio, ai*1000, ver
		} else {
			p.MasterPriority = prio
			if ai*1000 != p.AdvertIntMs || ver != p.Version {
				return p, fmt.Errorf("r1 and r2 disagree: r1 v%d %v ms, r2 v%d %v ms", p.Version, p.AdvertIntMs, ver, ai*1000)
			}
		}
	}
	p.rfcBounds()
	return p, nil
}

// pinger is the client pinging the VIP every 10 ms.
type pinger struct {
	cmd *exec.Cmd
	out bytes.Buffer
}

func (l *lab) startPing() (*pinger, error) {
	p := &pinger{}
	p.cmd = exec.Command("ip", "netns", "exec", l.ns("client"), "ping", "-D", "-n", "-i", "0.01", vip.String())
	p.cmd.Stdout = &p.out
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *pinger) stop() (pingReplies, error) {
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	_ = p.cmd.Wait()
	return parsePing(&p.out)
}

// Trial is one switch (and its restore), as measured.
type Trial struct {
	Kind  string `json:"kind"` // verify-soft, verify-hard, keepalived-stop
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	// TakeoverMs: trigger → VIP on the new holder. For verify runs it is
	// the run's own vip_added timing; for keepalived stop it is SIGTERM →
	// the VIP added on r1 (rtnetlink in r1).
	TakeoverMs float64 `json:"takeover_ms"`
	// MoveMs: VIP removed on r2 → added on r1, both read by this program's
	// own rtnetlink listeners (the same measure for every kind).
	MoveMs float64 `json:"vip_move_ms"`
	// ArpAnswerMs (verify only): trigger → ARP answer from the new MAC.
	ArpAnswerMs float64 `json:"arp_answer_ms,omitempty"`
	// FailbackMs: undo (undemote / keepalived started again) → VIP back on r2.
	FailbackMs float64 `json:"failback_ms"`
	// ClientGapMs: the longest gap in the client's ping replies during the
	// switch; FailbackGapMs during the failback.
	ClientGapMs   float64 `json:"client_gap_ms"`
	FailbackGapMs float64 `json:"failback_gap_ms"`
	// Verify runs: CLI wall time (exec → exit), the pre-check's duration,
	// and the overheads.
	WallMs     float64 `json:"wall_ms,omitempty"`
	PrecheckMs float64 `json:"precheck_ms,omitempty"`
	UndoAtMs   float64 `json:"undo_at_ms,omitempty"`
	// OverheadMs = wall − (takeover + failback): everything but the VRRP
	// protocol's own waits for this run's two moves.
	OverheadMs float64 `json:"overhead_ms,omitempty"`
	// OverheadDesignMs additionally subtracts the verifier's deliberate
	// listening windows, sized from advert_int: the pre-check listen
	// (1.5 × advert_int, at least 300 ms) and the settle hold after the
	// switch (from the ARP answer to the undo).
	OverheadDesignMs float64 `json:"overhead_beyond_listen_windows_ms,omitempty"`
	RunID            string  `json:"run_id,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// verifyTrial runs floatgw verify --mode mode on r2 while the client pings.
func (l *lab) verifyTrial(ctx context.Context, p protocol, mode string) Trial {
	tr := Trial{Kind: "verify-" + mode}
	pg, err := l.startPing()
	if err != nil {
		tr.Error = err.Error()
		return tr
	}
	time.Sleep(300 * time.Millisecond)
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := l.nodeCmd(cctx, "r2", l.bin, "verify", "--mode", mode, "--json")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	t0 := time.Now()
	runErr := cmd.Run()
	wall := time.Since(t0)
	time.Sleep(300 * time.Millisecond)
	replies, perr := pg.stop()
	var run api.VerifyRun
	if err := json.Unmarshal(out.Bytes(), &run); err != nil {
		tr.Error = fmt.Sprintf("verify output: %v (exit %v, stderr %q)", err, runErr, errb.String())
		return tr
	}
	tr.RunID = run.ID
	if run.Verdict != "pass" {
		tr.Error = fmt.Sprintf("verdict %q, problems %v", run.Verdict, run.Problems)
	}
	if perr != nil && tr.Error == "" {
		tr.Error = perr.Error()
	}
	tim := map[string]float64{}
	for _, t := range run.Timings {
		tim[t.Name] = float64(t.Ms)
	}
	var precheck, undo float64
	for _, s := range run.Steps {
		switch s.Name {
		case "keepalived", "local_state", "vip_holder", "peer_adverts", "firewall", "vrid_conflict":
			precheck = max(precheck, float64(s.AtMs))
		case "undemote", "unpromote":
			undo = float64(s.AtMs)
		}
	}
	tr.TakeoverMs, tr.ArpAnswerMs, tr.FailbackMs = tim["vip_added"], tim["arp_answer"], tim["failback"]
	tr.WallMs, tr.PrecheckMs, tr.UndoAtMs = ms(wall), precheck, undo
	tr.OverheadMs = tr.WallMs - tr.TakeoverMs - tr.FailbackMs
	listen := max(1.5*p.AdvertIntMs, 300)
	settle := undo - tr.ArpAnswerMs
	tr.OverheadDesignMs = tr.OverheadMs - listen - settle
	// The run's trigger is after the pre-check; split the ping record at
	// the undo.
	trigger := t0.Add(time.Duration(precheck * float64(time.Millisecond)))
	split := trigger.Add(time.Duration(undo * float64(time.Millisecond)))
	end := t0.Add(wall)
	tr.ClientGapMs = ms(replies.longestGap(trigger, split))
	tr.FailbackGapMs = ms(replies.longestGap(split, end))
	if mv, err := l.moveTime(t0, end); err == nil {
		tr.MoveMs = mv
	} else if tr.Error == "" {
		tr.Error = err.Error()
	}
	tr.OK = tr.Error == "" && tr.TakeoverMs > 0
	return tr
}

// moveTime is r2's first VIP removal → r1's first VIP addition in [from,
// to] (negative if r1 added it before r2 removed it).
func (l *lab) moveTime(from, to time.Time) (float64, error) {
	var rm, add time.Time
	for _, o := range l.rec.since(from) {
		if o.At.After(to) {
			break
		}
		if o.Node == "r2" && o.Kind == "vip-" && rm.IsZero() {
			rm = o.At
		}
		if o.Node == "r1" && o.Kind == "vip+" && add.IsZero() {
			add = o.At
		}
	}
	if rm.IsZero() || add.IsZero() {
		return 0, fmt.Errorf("rtnetlink saw no VIP move r2 → r1")
	}
	return ms(add.Sub(rm)), nil
}

// kaStopTrial is keepalived's own graceful stop on r2 (SIGTERM, what
// `scripts/lab keepalived r2 stop` sends), then keepalived started again.
func (l *lab) kaStopTrial(p protocol) Trial {
	tr := Trial{Kind: "keepalived-stop"}
	pid := l.pidFile("r2", "keepalived.pid")
	if !alive(pid) {
		tr.Error = "keepalived is not running on r2"
		return tr
	}
	pg, err := l.startPing()
	if err != nil {
		tr.Error = err.Error()
		return tr
	}
	time.Sleep(300 * time.Millisecond)
	t0 := time.Now()
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		tr.Error = err.Error()
		pg.stop()
		return tr
	}
	add, err := l.rec.wait("r1", "vip+", t0, 15*time.Second)
	if err != nil {
		tr.Error = err.Error()
	} else {
		tr.TakeoverMs = ms(add.At.Sub(t0))
	}
	// Let the client's ARP settle and keepalived exit, as a verify run
	// holds the switched state before undoing it.
	for i := 0; i < 100 && alive(pid); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Duration(2*p.AdvertIntMs) * time.Millisecond)
	split := time.Now()
	if err := l.run("keepalived", "r2", "start"); err != nil && tr.Error == "" {
		tr.Error = err.Error()
	}
	back, err := l.rec.wait("r2", "vip+", split, 15*time.Second)
	if err != nil && tr.Error == "" {
		tr.Error = err.Error()
	} else if err == nil {
		tr.FailbackMs = ms(back.At.Sub(split))
	}
	time.Sleep(300 * time.Millisecond)
	end := time.Now()
	replies, perr := pg.stop()
	if perr != nil && tr.Error == "" {
		tr.Error = perr.Error()
	}
	tr.ClientGapMs = ms(replies.longestGap(t0, split))
	tr.FailbackGapMs = ms(replies.longestGap(split, end))
	if mv, err := l.moveTime(t0, split); err == nil {
		tr.MoveMs = mv
	} else if tr.Error == "" {
		tr.Error = err.Error()
	}
	tr.OK = tr.Error == ""
	return tr
}

// switchSet runs the interleaved trials for one protocol setting.
func (l *lab) switchSet(ctx context.Context, p protocol, trials int) ([]Trial, error) {
	settle := time.Duration(2*p.AdvertIntMs)*time.Millisecond + 300*time.Millisecond
	var out []Trial
	for i := 0; i < trials; i++ {
		for _, kind := range []string{"verify-soft", "keepalived-stop", "verify-hard"} {
			if err := l.steady(settle, 30*time.Second); err != nil {
				// One recovery attempt: keepalived may be left stopped.
				_ = l.run("keepalived", "r2", "start")
				_ = l.run("keepalived", "r1", "start")
				if err := l.steady(settle, 30*time.Second); err != nil {
					return out, err
				}
			}
			var tr Trial
			switch kind {
			case "verify-soft":
				tr = l.verifyTrial(ctx, p, "soft")
			case "verify-hard":
				tr = l.verifyTrial(ctx, p, "hard")
			default:
				tr = l.kaStopTrial(p)
			}
			status := "ok"
			if !tr.OK {
				status = "FAILED: " + tr.Error
			}
			fmt.Fprintf(os.Stderr, "bench: %s %d/%d %-15s takeover %6.0f ms, client gap %6.0f ms, wall %6.0f ms  %s\n",
				p.Name, i+1, trials, kind, tr.TakeoverMs, tr.ClientGapMs, tr.WallMs, status)
			out = append(out, tr)
		}
	}
	return out, nil
}

// setV3 switches both routers to VRRPv3 with advert_int (seconds, text)
// through their UCI files and `floatgw apply`.
func (l *lab) setV3(ctx context.Context, advertInt string) error {
	re := regexp.MustCompile(`(?m)^\s*option advert_int .*$`)
	for _, n := range []string{"r1", "r2"} {
		path := filepath.Join(l.state, n, "root/etc/config/floatgw")
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !re.Match(b) {
			return fmt.Errorf("%s: no advert_int option", path)
		}
		b = re.ReplaceAll(b, []byte("\toption advert_int '"+advertInt+"'\n\toption version '3'"))
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
	}
	for _, n := range []string{"r2", "r1"} {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		out, err := l.nodeCmd(cctx, n, l.bin, "apply").CombinedOutput()
		cancel()
		if err != nil {
			return fmt.Errorf("floatgw apply on %s: %v: %s", n, err, bytes.TrimSpace(out))
		}
	}
	return nil
}
