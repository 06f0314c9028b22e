package labtest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/api"
)

// verify runs `floatgw verify --mode MODE --json` in node and returns the finished run and the
// CLI's exit code (0 pass, 1 fail).
func verify(t *testing.T, l *Lab, node, mode string) (api.VerifyRun, int, time.Duration) {
	t.Helper()
	var run api.VerifyRun
	start := time.Now()
	code, err := l.FloatgwJSON(node, &run, "verify", "--mode", mode, "--timeout", "50s")
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, s := range run.Steps {
		steps = append(steps, fmt.Sprintf("%s=%s@%dms(%s)", s.Name, s.Status, s.AtMs, s.Detail))
	}
	var timings []string
	for _, tm := range run.Timings {
		timings = append(timings, fmt.Sprintf("%s %d/%d ms ok=%v", tm.Name, tm.Ms, tm.BudgetMs, tm.OK))
	}
	t.Logf("verify %s on %s: exit %d verdict %s in %v\n  steps: %s\n  timings: %s\n  problems: %+v",
		mode, node, code, run.Verdict, took.Round(time.Millisecond), strings.Join(steps, "; "), strings.Join(timings, "; "), run.Problems)
	if run.Busy {
		t.Errorf("verify --json returned a run still busy: %+v", run)
	}
	if run.Mode != mode {
		t.Errorf("run mode %q, want %q", run.Mode, mode)
	}
	if want := map[bool]int{true: 0, false: 1}[run.Verdict == api.VerdictPass]; code != want {
		t.Errorf("exit code %d with verdict %q, want %d", code, run.Verdict, want)
	}
	return run, code, took
}

// requirePass checks a passing run: verdict pass, every timing measured and within budget, the
// switch and restore steps ok, and the lab back to its baseline afterwards.
func requirePass(t *testing.T, l *Lab, run api.VerifyRun, switchStep, restoreStep string) {
	t.Helper()
	if run.Verdict != api.VerdictPass {
		t.Errorf("verdict %q, want pass; problems %+v", run.Verdict, run.Problems)
	}
	for _, name := range []string{switchStep, "vip_removed", "vip_added", "master_advert", restoreStep, "failback", "diagnose"} {
		if s := StepOf(run, name); s.Status != api.StepOK {
			t.Errorf("step %s: %+v, want ok", name, s)
		}
	}
	seen := map[string]bool{}
	for _, tm := range run.Timings {
		seen[tm.Name] = true
		if !tm.OK || tm.Ms < 0 || tm.Ms > tm.BudgetMs {
			t.Errorf("timing %s: %d ms against budget %d ms (ok=%v)", tm.Name, tm.Ms, tm.BudgetMs, tm.OK)
		}
	}
	for _, name := range []string{"vip_removed", "vip_added", "master_advert", "failback"} {
		if !seen[name] {
			t.Errorf("timing %s not measured: %+v", name, run.Timings)
		}
	}
	// After the run both routers are as before: priorities, states, VIP placement.
	took := l.WaitSettled(15 * time.Second)
	if s, err := l.Snap(); err != nil || s != Baseline {
		t.Errorf("after the run: %v (err %v), want %v", s, err, Baseline)
	}
	t.Logf("lab back to baseline %v after the run", took.Round(time.Millisecond))
}

// Soft runs pass from both ends: on the holder (r2 demotes itself, r1 takes over, r2 takes the
// VIP back) and on the backup (r1 promotes itself through its promote track file).
func TestVerifySoftOnHolderAndBackup(t *testing.T) {
	l := UpFloatgw(t, binDir)
	run, _, took := verify(t, l, "r2", "soft")
	requirePass(t, l, run, "demote", "undemote")
	if took > 30*time.Second {
		t.Errorf("soft run on r2 took %v", took)
	}

	run, _, took = verify(t, l, "r1", "soft")
	requirePass(t, l, run, "promote", "unpromote")
	if took > 30*time.Second {
		t.Errorf("soft run on r1 took %v", took)
	}
}

// A hard run passes on the holder (its keepalived goes silent like a crashed router) and is
// refused on the backup with an explanation, without touching anything.
func TestVerifyHardOnHolderRefusedOnBackup(t *testing.T) {
	l := UpFloatgw(t, binDir)
	run, _, took := verify(t, l, "r2", "hard")
	requirePass(t, l, run, "silence_master", "undemote")
	if took > 40*time.Second {
		t.Errorf("hard run on r2 took %v", took)
	}

	run, code, _ := verify(t, l, "r1", "hard")
	if run.Verdict != api.VerdictFail || code != 1 {
		t.Errorf("hard run on the backup: verdict %q exit %d, want fail 1", run.Verdict, code)
	}
	p := FindProblem(run.Problems, api.NotHolder)
	if p == nil {
		t.Fatalf("hard run on the backup: problems %v, want NOT_HOLDER", Codes(run.Problems))
	}
	if p.Detail == "" && p.Fix == nil {
		t.Errorf("NOT_HOLDER carries no explanation: %+v", *p)
	}
	for _, name := range []string{"silence_master", "demote", "promote"} {
		if s := StepOf(run, name); s.Status == api.StepOK || s.Status == api.StepRunning {
			t.Errorf("refused run still did step %s: %+v", name, s)
		}
	}
	if s, err := l.Snap(); err != nil || s != Baseline {
		t.Errorf("after the refused run: %v (err %v), want %v", s, err, Baseline)
	}
}

// A second verify while one runs is answered busy with the running id; the CLI follows that run.
func TestVerifyBusy(t *testing.T) {
	l := UpFloatgw(t, binDir)
	var first, second api.VerifyStartReply
	if err := l.Call("r2", "verify", map[string]any{"mode": "soft"}, &first); err != nil {
		t.Fatal(err)
	}
	if first.Busy || first.ID == "" {
		t.Fatalf("first verify: %+v, want a new run", first)
	}
	if err := l.Call("r2", "verify", map[string]any{"mode": "soft"}, &second); err != nil {
		t.Fatal(err)
	}
	if !second.Busy || second.ID != first.ID {
		t.Errorf("second verify while %s runs: %+v, want busy with that id", first.ID, second)
	}
	if st := l.Status("r2"); st.VerifyRunning != first.ID {
		t.Errorf("status verify_running %q, want %q", st.VerifyRunning, first.ID)
	}
	// The CLI joins the running run and reports its verdict.
	out, code := l.Floatgw("r2", "verify", "--timeout", "50s")
	t.Logf("CLI while %s runs: exit %d\n%s", first.ID, code, out)
	if !strings.Contains(out, "already running") || !strings.Contains(out, first.ID) {
		t.Errorf("CLI output does not say it follows run %s:\n%s", first.ID, out)
	}
	var run api.VerifyRun
	if err := l.Call("r2", "verify_status", map[string]any{"id": first.ID}, &run); err != nil {
		t.Fatal(err)
	}
	if run.Busy || run.Verdict != api.VerdictPass || code != 0 {
		t.Errorf("followed run: busy %v verdict %q, CLI exit %d; want done, pass, 0", run.Busy, run.Verdict, code)
	}
	l.WaitSettled(15 * time.Second)
}

// nftFirewallDropVRRP makes r1's own firewall drop incoming VRRP.
func nftFirewallDropVRRP(t *testing.T, l *Lab) {
	t.Helper()
	for _, args := range [][]string{
		{"nft", "add", "table", "ip", "t"},
		{"nft", "add", "chain", "ip", "t", "in", "{ type filter hook input priority 0; }"},
		{"nft", "add", "rule", "ip", "t", "in", "ip", "protocol", "vrrp", "drop"},
	} {
		if out, err := l.Exec("r1", args...); err != nil {
			t.Fatalf("%s in r1: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// splitBrain waits until both routers hold the VIP.
func splitBrain(t *testing.T, l *Lab) time.Duration {
	t.Helper()
	return l.Eventually(15*time.Second, "split brain (both hold the VIP)", func() string {
		h := l.Holders()
		if len(h) != 2 {
			return fmt.Sprintf("holders %v", h)
		}
		return ""
	})
}

// noDuplicates reports problems listed twice with the same code, field and detail.
func noDuplicates(t *testing.T, what string, ps []api.Problem) {
	t.Helper()
	seen := map[string]int{}
	for _, p := range ps {
		seen[fmt.Sprintf("%s|%s|%s|%s", p.Code, p.Field, p.Detail, strings.Join(p.Evidence, "|"))]++
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("%s: problem listed %d times: %s", what, n, k)
		}
	}
}

// r1's firewall drops VRRP: r1 stops hearing r2 and takes the VIP too. A run on r2 fails and
// names the blocked VRRP with a fix; doctor on r1 names the firewall; the manual fix (deleting
// the table) brings the lab back and the run passes.
func TestVerifyPeerFirewallDropsVRRP(t *testing.T) {
	l := UpFloatgw(t, binDir)
	nftFirewallDropVRRP(t, l)
	t.Logf("split brain after %v", splitBrain(t, l).Round(time.Millisecond))

	run, code, _ := verify(t, l, "r2", "soft")
	if run.Verdict != api.VerdictFail || code != 1 {
		t.Errorf("verify on r2 with r1 dropping VRRP: verdict %q exit %d, want fail 1", run.Verdict, code)
	}
	fw := FindProblem(run.Problems, api.FirewallNoVRRPRule)
	if fw == nil {
		t.Errorf("verify on r2: problems %v, want FIREWALL_NO_VRRP_RULE naming the peer's firewall", Codes(run.Problems))
	} else {
		if fw.Fix == nil || fw.Fix.ID == "" || fw.Fix.Label == "" {
			t.Errorf("FIREWALL_NO_VRRP_RULE carries no fix: %+v", *fw)
		}
		if !strings.Contains(strings.ToLower(fw.Detail+fw.Field), "peer") {
			t.Errorf("FIREWALL_NO_VRRP_RULE does not say it is the peer's firewall: %+v", *fw)
		}
	}
	if FindProblem(run.Problems, api.SplitBrain) == nil {
		t.Errorf("verify on r2: problems %v, want SPLIT_BRAIN too (both hold the VIP)", Codes(run.Problems))
	}
	if s := StepOf(run, "demote"); s.Status == api.StepOK {
		t.Errorf("the run switched in a split brain: %+v", s)
	}
	noDuplicates(t, "verify on r2", run.Problems)

	var doc api.DoctorReply
	dcode, err := l.FloatgwJSON("r1", &doc, "doctor")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("doctor on r1: exit %d problems %+v", dcode, doc.Problems)
	p := FindProblem(doc.Problems, api.FirewallNoVRRPRule)
	if p == nil || dcode != 1 {
		t.Errorf("doctor on r1: exit %d problems %v, want 1 with FIREWALL_NO_VRRP_RULE", dcode, Codes(doc.Problems))
	} else {
		if !strings.Contains(p.Detail, "vrrp drop") {
			t.Errorf("FIREWALL_NO_VRRP_RULE does not quote the dropping rule: %+v", *p)
		}
		// On plain Linux the firewall is the user's: the fix is an instruction, not a button.
		if p.Fix == nil || p.Fix.Safe || p.Fix.Label == "" {
			t.Errorf("FIREWALL_NO_VRRP_RULE on plain Linux: fix %+v, want a manual (unsafe) instruction", p.Fix)
		}
	}
	noDuplicates(t, "doctor on r1", doc.Problems)

	// The manual fix.
	if out, err := l.Exec("r1", "nft", "delete", "table", "ip", "t"); err != nil {
		t.Fatalf("nft delete table in r1: %v\n%s", err, out)
	}
	t.Logf("lab settled %v after the fix", l.WaitSettled(15*time.Second).Round(time.Millisecond))
	if dcode, err := l.FloatgwJSON("r1", &doc, "doctor"); err != nil || FindProblem(doc.Problems, api.FirewallNoVRRPRule, api.SplitBrain) != nil {
		t.Errorf("doctor on r1 after the fix: exit %d err %v problems %+v", dcode, err, doc.Problems)
	}
	// Once r1 has been silent for a while the split brain is over, so a run now must pass: the
	// keepalived log lines from the split brain are history, not evidence of now.
	l.WaitPeerQuiet(15 * time.Second)
	run, _, _ = verify(t, l, "r2", "soft")
	requirePass(t, l, run, "demote", "undemote")
}

// The switch drops VRRP multicast between the routers: a run on r1 fails, says the adverts do
// not arrive and suggests unicast peers.
func TestVerifyMulticastBlocked(t *testing.T) {
	l := UpFloatgw(t, binDir)
	for _, args := range [][]string{
		{"nft", "add", "table", "bridge", "t"},
		// ("fwd" is an nft keyword, so the chain is called "forward_t".)
		{"nft", "add", "chain", "bridge", "t", "forward_t", "{ type filter hook forward priority 0; }"},
		{"nft", "add", "rule", "bridge", "t", "forward_t", "ip", "daddr", "224.0.0.18", "drop"},
	} {
		if out, err := l.Exec("sw", args...); err != nil {
			t.Fatalf("%s in sw: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	t.Logf("split brain after %v", splitBrain(t, l).Round(time.Millisecond))

	run, code, _ := verify(t, l, "r1", "soft")
	if run.Verdict != api.VerdictFail || code != 1 {
		t.Errorf("verify on r1 with multicast blocked: verdict %q exit %d, want fail 1", run.Verdict, code)
	}
	p := FindProblem(run.Problems, api.PeerNoAdverts, api.SplitBrain)
	if p == nil {
		t.Fatalf("verify on r1: problems %v, want PEER_NO_ADVERTS or SPLIT_BRAIN", Codes(run.Problems))
	}
	var fixes []string
	unicast := false
	for _, q := range run.Problems {
		if q.Code != api.PeerNoAdverts && q.Code != api.SplitBrain {
			continue
		}
		if q.Fix != nil {
			fixes = append(fixes, q.Fix.ID+": "+q.Fix.Label)
			id := strings.ToLower(q.Fix.ID)
			if strings.Contains(id, "unicast") || strings.Contains(id, "multicast") {
				unicast = true
			}
		}
	}
	t.Logf("fixes offered: %q", fixes)
	if !unicast {
		t.Errorf("no PEER_NO_ADVERTS/SPLIT_BRAIN fix suggests unicast peers; fixes %q; problems %+v", fixes, run.Problems)
	}
	if s := StepOf(run, "promote"); s.Status == api.StepOK {
		t.Errorf("the run switched with the adverts blocked: %+v", s)
	}
	noDuplicates(t, "verify on r1", run.Problems)

	if out, err := l.Exec("sw", "nft", "delete", "table", "bridge", "t"); err != nil {
		t.Fatalf("nft delete table in sw: %v\n%s", err, out)
	}
	l.WaitSettled(15 * time.Second)
}

// keepalived stopped on the peer: a run on r2 fails and says the peer does not take over
// because its keepalived is not running.
func TestVerifyPeerKeepalivedStopped(t *testing.T) {
	l := UpFloatgw(t, binDir)
	l.Run("keepalived", "r1", "stop")
	// The daemon on r1 notices keepalived is gone.
	l.Eventually(10*time.Second, "r1's daemon sees keepalived stopped", func() string {
		st, err := l.TryStatus("r1")
		if err != nil {
			return err.Error()
		}
		if st.Keepalived.Running {
			return "r1 status keepalived.running still true"
		}
		return ""
	})
	// r1's daemon may start keepalived again by itself (the lab passes --keepalived-start); the
	// scenario needs it stopped while r2 verifies.
	if pid := ReadPid(l.NodeFile("r1", "keepalived.pid")); ProcState(pid) != "" {
		t.Logf("r1's keepalived is running again (pid %d): the daemon restarted it", pid)
	}

	run, code, _ := verify(t, l, "r2", "soft")
	if run.Verdict != api.VerdictFail || code != 1 {
		t.Errorf("verify on r2 with r1's keepalived stopped: verdict %q exit %d, want fail 1", run.Verdict, code)
	}
	p := FindProblem(run.Problems, api.VerifyNoTakeover, api.PeerNoAdverts, api.PeerUnreachable, api.KeepalivedNotRunning)
	if p == nil {
		t.Fatalf("verify on r2: problems %v, want the peer not taking over", Codes(run.Problems))
	}
	text := ""
	for _, q := range run.Problems {
		text += strings.ToLower(q.Detail+" "+strings.Join(q.Evidence, " ")) + "\n"
	}
	if !strings.Contains(text, "take") && !strings.Contains(text, "not running") && !strings.Contains(text, "no advert") {
		t.Errorf("no problem explains that the peer does not take over or is not running: %+v", run.Problems)
	}
	noDuplicates(t, "verify on r2", run.Problems)
	// Whatever happened, r2 holds the VIP again and is not left demoted.
	l.Eventually(15*time.Second, "r2 MASTER at 150 with the VIP after the failed run", func() string {
		st, err := l.TryStatus("r2")
		if err != nil {
			return err.Error()
		}
		has, _ := l.HasVIP("r2")
		if st.Node.State != api.StateMaster || st.Node.EffectivePriority != 150 || !has {
			return fmt.Sprintf("r2 %s prio %d vip %v", st.Node.State, st.Node.EffectivePriority, has)
		}
		return ""
	})
	l.Run("keepalived", "r1", "start")
	l.WaitSettled(15 * time.Second)
}

// A run started on the holder right after a normal failback (r1 was MASTER while r2's
// keepalived was down, then r2 preempted and the lab settled: one holder, r1 BACKUP) must not
// see a split brain: r1's last advert as MASTER is from before the failback.
func TestVerifyRightAfterFailback(t *testing.T) {
	l := UpFloatgw(t, binDir)
	l.Run("keepalived", "r2", "stop")
	l.WaitHolder("r1", 10*time.Second)
	l.Run("keepalived", "r2", "start")
	settled := l.WaitSettled(15 * time.Second)
	st := l.Status("r2")
	t.Logf("settled %v after restarting r2's keepalived; r2 last heard r1 %d ms ago (%+v)", settled.Round(time.Millisecond), st.Peer.LastAdvertMs, st.Peer)
	if h := l.Holders(); len(h) != 1 || h[0] != "r2" {
		t.Fatalf("holders %v, want only r2", h)
	}
	run, _, _ := verify(t, l, "r2", "soft")
	requirePass(t, l, run, "demote", "undemote")
}
