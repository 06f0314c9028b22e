package daemon

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/floatgw/floatgw/internal/api"
	"github.com/floatgw/floatgw/internal/arp"
	"github.com/floatgw/floatgw/internal/config"
	"github.com/floatgw/floatgw/internal/control"
	"github.com/floatgw/floatgw/internal/doctor"
	"github.com/floatgw/floatgw/internal/drift"
	"github.com/floatgw/floatgw/internal/proc"
)

const maxKeptRuns = 10

// verifyRun is one drift verification executed by the daemon: the pure state machine of
// internal/drift plus the effects it asks for.
type verifyRun struct {
	id     string
	abort  chan string
	report api.VerifyRun // latest, guarded by Daemon.mu
	done   chan struct{}
}

func newRunID() string {
	// A run id only has to be unique among the last runs; it guards nothing.
	var b [2]byte
	v := rand.Uint32()
	b[0], b[1] = byte(v), byte(v>>8)
	return time.Now().UTC().Format("20060102-150405-") + hex.EncodeToString(b[:2])
}

func (d *Daemon) callVerify(ctx context.Context, args map[string]any) (any, error) {
	mode, err := drift.ParseMode(args["mode"].(string))
	if err != nil {
		return nil, &control.Error{Status: control.StatusInvalidArgument, Message: err.Error()}
	}
	cfg, err := d.config()
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	if d.activeRun != "" {
		id := d.activeRun
		d.mu.Unlock()
		return api.VerifyStartReply{Schema: api.Schema, ID: id, Busy: true}, nil
	}
	id := newRunID()
	plan := d.plan(cfg, id, mode)
	st, acts, err := drift.New(plan, time.Now())
	if err != nil {
		d.mu.Unlock()
		return nil, failed(api.Internal, control.StatusUnknown, err.Error())
	}
	r := &verifyRun{id: id, abort: make(chan string, 1), done: make(chan struct{}), report: st.Run()}
	d.runs[id] = r
	d.runOrder = append(d.runOrder, id)
	if len(d.runOrder) > maxKeptRuns {
		delete(d.runs, d.runOrder[0])
		d.runOrder = d.runOrder[1:]
	}
	d.activeRun = id
	parent, g := d.ctx, d.group
	d.mu.Unlock()

	d.log.Noticef("verify %s: started (%s mode)", id, mode)
	g.Go(func() error {
		d.execute(parent, r, st, acts, cfg)
		return nil
	})
	return api.VerifyStartReply{Schema: api.Schema, ID: id}, nil
}

func (d *Daemon) callVerifyStatus(_ context.Context, args map[string]any) (any, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	id, _ := args["id"].(string)
	if id == "" {
		if len(d.runOrder) == 0 {
			// Not an error: LuCI polls this before any run (uhttpd would show NOT_FOUND
			// like a missing object).
			return api.VerifyRun{Schema: api.Schema, Steps: []api.Step{}, Timings: []api.Timing{}, Problems: []api.Problem{}}, nil
		}
		id = d.runOrder[len(d.runOrder)-1]
	}
	r, ok := d.runs[id]
	if !ok {
		return nil, failed(api.RunNotFound, control.StatusNotFound, "no run "+strconv.Quote(id))
	}
	rep := r.report
	rep.Steps = append([]api.Step{}, rep.Steps...)
	return rep, nil
}

// plan builds the drift plan from the configuration and what the wire says about the peer.
func (d *Daemon) plan(cfg *config.Config, id string, mode drift.Mode) drift.Plan {
	p := drift.Plan{
		ID: id, Mode: mode, Instance: Instance,
		Version: drift.Version(cfg.Version), VRID: uint8(cfg.VRID), AdvertInterval: cfg.AdvertInt,
		Local: drift.Node{Addr: cfg.Address.Addr(), Priority: uint8(cfg.Priority), Preempt: cfg.Preempt, PreemptDelay: cfg.PreemptDelay},
	}
	for _, v := range cfg.VIPs {
		p.VIPs = append(p.VIPs, v.Addr())
	}
	if mac, err := ifaceMAC(cfg.Device); err == nil {
		p.Local.MAC = mac
	}
	p.Peer = drift.Node{Preempt: cfg.Preempt, PreemptDelay: cfg.PreemptDelay}
	if len(cfg.Peers) > 0 {
		p.Peer.Addr = cfg.Peers[0]
	}
	if src, ok := d.peerSourceLocked(); ok {
		p.Peer.Addr = src.Addr
		if m, err := parseMAC(src.MAC); err == nil {
			p.Peer.MAC = m
		}
		if src.Priority > 0 {
			p.Peer.Priority = src.Priority
		}
	}
	return p
}

// execute runs one verification to its end: it feeds observations, timers and completed
// operations to drift.Step and carries out the actions. Whatever happens, the run's own
// restore actions are executed before it returns; on daemon shutdown it aborts and restores.
func (d *Daemon) execute(ctx context.Context, r *verifyRun, st drift.State, acts []drift.Action, cfg *config.Config) {
	events, unsubscribe := d.subscribe()
	defer unsubscribe()
	defer close(r.done)
	inputs := make(chan drift.Input, 64)
	timers := map[drift.TimerName]*time.Timer{}
	defer func() {
		for _, t := range timers {
			t.Stop()
		}
	}()
	// runCtx outlives ctx by a few seconds so that an abort at shutdown can still restore.
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	aborted := false

	for {
		for len(acts) > 0 {
			a := acts[0]
			acts = acts[1:]
			if fin, ok := a.(drift.Finish); ok {
				d.finishRun(r, fin.Run)
				return
			}
			d.act(runCtx, r, a, cfg, inputs, timers)
		}
		var in drift.Input
		select {
		case in = <-inputs:
		case ev := <-events:
			if di, ok := ev.(drift.Input); ok {
				in = di
			}
		case reason := <-r.abort:
			in = drift.Abort{Reason: reason}
		case <-ctx.Done():
			if aborted {
				ctx = context.Background() // keep restoring
				continue
			}
			aborted = true
			in = drift.Abort{Reason: "the daemon is stopping"}
			// Restore within procd's term timeout.
			go func() {
				time.Sleep(3 * time.Second)
				cancel()
			}()
		case <-runCtx.Done():
			d.log.Errorf("verify %s: restore did not finish before shutdown; the next start undoes it from the journal", r.id)
			return
		}
		if in == nil {
			continue
		}
		st, acts = drift.Step(st, in, time.Now())
		if !st.Finished() {
			// The finished report is published by finishRun, in the same critical section
			// that frees the slot: a caller that saw the run end may start the next at once.
			d.mu.Lock()
			r.report = st.Run()
			d.mu.Unlock()
		}
	}
}

func (d *Daemon) finishRun(r *verifyRun, rep api.VerifyRun) {
	d.mu.Lock()
	r.report = rep
	if d.activeRun == r.id {
		d.activeRun = ""
	}
	d.mu.Unlock()
	d.trim.Store(true)
	d.log.Noticef("verify %s: %s", r.id, rep.Verdict)
	d.sendEvent("floatgw.verify", map[string]any{"id": r.id, "phase": rep.Phase, "verdict": rep.Verdict})
}

// finishRunsOnShutdown waits (bounded) for a run that is restoring.
func (d *Daemon) finishRunsOnShutdown() {
	d.mu.Lock()
	id := d.activeRun
	var r *verifyRun
	if id != "" {
		r = d.runs[id]
	}
	d.mu.Unlock()
	if r == nil {
		return
	}
	select {
	case <-r.done:
	case <-time.After(4 * time.Second):
	}
}

// act carries out one action; completions and observations come back through inputs.
func (d *Daemon) act(ctx context.Context, r *verifyRun, a drift.Action, cfg *config.Config, inputs chan<- drift.Input, timers map[drift.TimerName]*time.Timer) {
	done := func(id drift.OpID, err error) {
		inputs <- drift.Done{ID: id, At: time.Now(), Err: err}
	}
	switch a := a.(type) {
	case drift.Progress:
		d.sendEvent("floatgw.verify", map[string]any{"id": r.id, "step": a.Step.Name, "status": a.Step.Status, "at_ms": a.Step.AtMs, "detail": a.Step.Detail})
	case drift.StartTimer:
		if t, ok := timers[a.Name]; ok {
			t.Stop()
		}
		name := a.Name
		timers[name] = time.AfterFunc(a.After, func() {
			select {
			case inputs <- drift.TimerFired{Name: name}:
			case <-ctx.Done():
			}
		})
	case drift.StopTimer:
		if t, ok := timers[a.Name]; ok {
			t.Stop()
			delete(timers, a.Name)
		}
	case drift.CollectFacts:
		go func() {
			f := d.facts(ctx, cfg, a.Listen)
			select {
			case inputs <- f:
			case <-ctx.Done():
			}
		}()
	case drift.SaveJournal:
		b, err := drift.MarshalJournal(a.J)
		if err == nil {
			err = writeFileAtomic(d.opt.journalFile(), b)
		}
		done(a.ID, err)
	case drift.ClearJournal:
		err := os.Remove(d.opt.journalFile())
		if errors.Is(err, os.ErrNotExist) {
			err = nil
		}
		done(a.ID, err)
	case drift.Demote:
		done(a.ID, d.setDemotion(demoteVerification, true))
	case drift.Undemote:
		done(a.ID, d.setDemotion(demoteVerification, false))
	case drift.Promote:
		done(a.ID, writeTrack(d.opt.promoteFile(), a.Value))
	case drift.Unpromote:
		done(a.ID, writeTrack(d.opt.promoteFile(), 0))
	case drift.PauseKeepalived:
		done(a.ID, d.signalKeepalived(syscall.SIGSTOP))
	case drift.ResumeKeepalived:
		done(a.ID, d.signalKeepalived(syscall.SIGCONT))
	case drift.RemoveVIPs:
		done(a.ID, removeVIPs(ctx, cfg, a.VIPs))
	case drift.ProbeVIPs:
		d.probeVIPs(ctx, cfg, a.VIPs, inputs)
	default:
		d.log.Errorf("verify %s: unknown action %T", r.id, a)
	}
}

// signalKeepalived stops or continues keepalived's VRRP child and its parent. Continuing a
// keepalived that is not running is not an error (nothing to resume).
func (d *Daemon) signalKeepalived(sig syscall.Signal) error {
	pids := []int{d.vrrpPID(), d.keepalivedPID()}
	sent := false
	for _, pid := range pids {
		if pid <= 0 {
			continue
		}
		if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("signal keepalived %d: %w", pid, err)
		}
		sent = true
	}
	if !sent && sig == syscall.SIGSTOP {
		return errors.New("keepalived is not running")
	}
	return nil
}

// removeVIPs deletes the VIPs from the LAN device (keepalived is paused). ip(8) is run with
// an argument list; no shell.
func removeVIPs(ctx context.Context, cfg *config.Config, vips []netip.Addr) error {
	for _, v := range vips {
		prefix := netip.PrefixFrom(v, 32)
		for _, p := range cfg.VIPs {
			if p.Addr() == v {
				prefix = p
			}
		}
		argv := []string{"ip", "-4", "addr", "del", prefix.String(), "dev", cfg.Device}
		if out, err := proc.Run(ctx, proc.Cmd{Argv: argv, Combined: true}); err != nil {
			return fmt.Errorf("remove VIP %s: %v: %s", prefix, err, out.Stdout)
		}
	}
	return nil
}

// facts gathers the pre-check evidence: listen for adverts for the window, then read the
// local state.
func (d *Daemon) facts(ctx context.Context, cfg *config.Config, listen time.Duration) drift.Facts {
	start := time.Now()
	before, _ := d.readLogs(ctx, 200)
	select {
	case <-time.After(listen):
	case <-ctx.Done():
	}
	d.syncFromDump(ctx)
	f := drift.Facts{At: time.Now()}
	f.KeepalivedRunning = d.keepalivedPID() > 0 && d.vrrpPID() > 0
	f.ConfigApplied = d.configApplied(cfg)
	d.mu.Lock()
	if st, _, ok := drift.ParseFIFOWord(d.kaState); ok {
		f.LocalState = st
	}
	f.LocalPriority = uint8(clamp(d.kaPrio, 0, 255))
	for _, s := range d.tracker.Sources() {
		// Only adverts heard while listening: a master advertises every interval, so an older
		// one means the sender is no longer master (e.g. right after a failback).
		if s.Local || int(s.VRID) != cfg.VRID || s.LastSeen.Before(start) || s.Addr == cfg.Address.Addr() {
			continue
		}
		mac, _ := parseMAC(s.MAC)
		f.Adverts = append(f.Adverts, drift.Advert{At: s.LastSeen, Src: s.Addr, SrcMAC: mac, VRID: s.VRID, Priority: s.Priority,
			Interval: time.Duration(s.AdvertIntervalMS) * time.Millisecond, VIPs: append([]netip.Addr(nil), s.VIPs...)})
	}
	d.mu.Unlock()
	if d.watcher != nil {
		for _, v := range cfg.VIPs {
			if d.watcher.HasAddr(cfg.Device, v.Addr()) {
				f.LocalVIPs = append(f.LocalVIPs, v.Addr())
			}
		}
	}
	// Who answers ARP for each VIP (nobody answers its own request, so this node's own
	// holding shows in LocalVIPs instead).
	for _, v := range cfg.VIPs {
		if mac, err := arp.Probe(ctx, cfg.Device, v.Addr(), 300*time.Millisecond); err == nil {
			if m, ok := drift.MACFrom(mac); ok {
				f.VIPAnswers = append(f.VIPAnswers, drift.ARPReply{At: time.Now(), IP: v.Addr(), MAC: m})
			}
		}
	}
	if peer := d.planPeerAddr(cfg); peer.IsValid() {
		if _, err := arp.Probe(ctx, cfg.Device, peer, 300*time.Millisecond); err == nil {
			f.PeerReachable = drift.CheckOK
		} else {
			f.PeerReachable = drift.CheckFailed
		}
	}
	fw := d.firewallEvidence(ctx, cfg)
	switch {
	case !fw.known:
		f.Firewall = drift.CheckUnknown
	case fw.accepts:
		f.Firewall = drift.CheckOK
	default:
		f.Firewall = drift.CheckFailed
	}
	// Only what keepalived logs now is evidence: the lines that appeared while listening.
	if lines, err := d.readLogs(ctx, 200); err == nil {
		seen := map[api.Code]int{}
		for _, l := range newLines(before, lines) {
			if l.Match == nil {
				continue
			}
			c := doctor.LogCode(l.Match.Code)
			if c == "" {
				continue
			}
			// One line per code is evidence enough (keepalived repeats them every advert).
			if i, ok := seen[c]; ok {
				f.Logs[i] = drift.LogSeen{At: f.At, Code: c, Line: l.Message}
				continue
			}
			seen[c] = len(f.Logs)
			f.Logs = append(f.Logs, drift.LogSeen{At: f.At, Code: c, Line: l.Message})
		}
		if len(f.Logs) > 20 {
			f.Logs = f.Logs[len(f.Logs)-20:]
		}
	}
	return f
}

// planPeerAddr is the peer's address: the configured unicast peer, else the advert source.
func (d *Daemon) planPeerAddr(cfg *config.Config) netip.Addr {
	if len(cfg.Peers) > 0 {
		return cfg.Peers[0]
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if src, ok := d.peerSourceLocked(); ok {
		return src.Addr
	}
	return netip.Addr{}
}

// configApplied reports whether the rendered keepalived file is what the configuration asks
// for.
func (d *Daemon) configApplied(cfg *config.Config) bool {
	want, err := renderFor(d, cfg)
	if err != nil {
		return false
	}
	have, err := os.ReadFile(d.opt.KeepalivedConf)
	return err == nil && string(have) == string(want)
}

// recoverRun undoes what a verification left behind when the previous daemon died mid-run:
// the journal in the state directory is replayed through drift.Recover, which orders the undo
// safely (a paused keepalived is demoted, resumed and seen in FAULT before it is undemoted, so
// it never stays MASTER without its VIPs). It runs after the configuration is loaded; without a
// valid configuration it falls back to the plain undo of every change.
func (d *Daemon) recoverRun(ctx context.Context) {
	b, err := os.ReadFile(d.opt.journalFile())
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	if err != nil {
		d.log.Errorf("verification journal: %v", err)
		return
	}
	j, err := drift.UnmarshalJournal(b)
	if err != nil {
		d.log.Errorf("verification journal %s unreadable (%v); undoing every possible change", d.opt.journalFile(), err)
		j = drift.Journal{RunID: "unknown", Started: time.Now(), Changes: drift.Changes{Demoted: true, Promoted: true, Paused: true}}
	}
	d.log.Warnf("verify %s was interrupted (%+v); restoring", j.RunID, j.Changes)
	d.mu.Lock()
	cfg := d.cfg
	d.mu.Unlock()
	if cfg == nil {
		d.plainUndo(j.Changes)
		return
	}
	d.mu.Lock()
	plan := d.plan(cfg, j.RunID, drift.ModeSoft)
	st, acts := drift.Recover(j, plan, time.Now())
	r := &verifyRun{id: j.RunID, abort: make(chan string, 1), done: make(chan struct{}), report: st.Run()}
	d.runs[j.RunID] = r
	d.runOrder = append(d.runOrder, j.RunID)
	d.activeRun = j.RunID
	// The verification demotion reason holds while the restore runs.
	if j.Changes.Demoted || j.Changes.Paused {
		d.demote[demoteVerification] = true
	}
	d.mu.Unlock()
	d.execute(ctx, r, st, acts, cfg)
}

// plainUndo is the undo without a plan: resume keepalived, drop the promotion; the demote
// file is rewritten from the persistent reasons.
func (d *Daemon) plainUndo(c drift.Changes) {
	if c.Paused {
		if err := d.signalKeepalived(syscall.SIGCONT); err != nil {
			d.log.Errorf("resume keepalived: %v", err)
		}
	}
	if c.Promoted {
		if err := writeTrack(d.opt.promoteFile(), 0); err != nil {
			d.log.Errorf("undo promotion: %v", err)
		}
	}
	d.writeDemote()
	if err := os.Remove(d.opt.journalFile()); err != nil {
		d.log.Errorf("remove journal: %v", err)
	}
}
