package labtest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/api"
	"github.com/floatgw/floatgw/internal/keepalived"
)

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "floatgw-labtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

// Each router's `floatgw status --json` tells its role, VRRP state, effective priority and the
// VIP holder, and all of it agrees with the kernel (ip -4 addr) and with keepalived's own view
// (its JSON dump).
func TestFloatgwStatusAgreesWithKernelAndKeepalived(t *testing.T) {
	l := UpFloatgw(t, binDir)
	want := map[string]struct {
		role, state string
		prio        int
		self        bool
		peerIP      string
	}{
		"r1": {api.RoleSecondary, api.StateBackup, 100, false, R2LAN},
		"r2": {api.RolePrimary, api.StateMaster, 150, true, R1LAN},
	}
	for _, node := range []string{"r1", "r2"} {
		w := want[node]
		st := l.Status(node)
		hasVIP, err := l.HasVIP(node)
		if err != nil {
			t.Fatal(err)
		}
		dump := l.KeepalivedDump(node)
		t.Logf("%s: role %s state %s prio %d/%d holder %+v; kernel VIP %v; keepalived %d instance(s)",
			node, st.Node.Role, st.Node.State, st.Node.BasePriority, st.Node.EffectivePriority, st.Holder, hasVIP, len(dump))

		if st.Node.Role != w.role {
			t.Errorf("%s: role %q, want %q", node, st.Node.Role, w.role)
		}
		if st.Node.State != w.state {
			t.Errorf("%s: state %q, want %q", node, st.Node.State, w.state)
		}
		if st.Node.EffectivePriority != w.prio || st.Node.BasePriority != w.prio {
			t.Errorf("%s: priority base %d effective %d, want %d", node, st.Node.BasePriority, st.Node.EffectivePriority, w.prio)
		}
		if st.Node.VRID != 51 || len(st.Node.VIPs) != 1 || st.Node.VIPs[0] != VIP+"/24" {
			t.Errorf("%s: vrid %d vips %v, want 51 [%s/24]", node, st.Node.VRID, st.Node.VIPs, VIP)
		}
		// The holder agrees with the kernel.
		if st.Holder.Self != hasVIP || st.Holder.Self != w.self {
			t.Errorf("%s: vip_holder.self %v, kernel has the VIP %v, want %v", node, st.Holder.Self, hasVIP, w.self)
		}
		holderIP := R2LAN
		if st.Holder.IP != holderIP {
			t.Errorf("%s: vip_holder.ip %q, want r2's %s", node, st.Holder.IP, holderIP)
		}
		if node == "r1" && !st.Holder.Peer {
			t.Errorf("r1: vip_holder.peer false, want true (r2 holds the VIP)")
		}
		// Only the master advertises: r1 hears r2, r2 hears nobody (r1 is a silent backup).
		if node == "r1" && (!st.Peer.Seen || st.Peer.Address != w.peerIP || st.Peer.State != api.StateMaster || st.Peer.Priority != 150) {
			t.Errorf("r1: peer %+v, want r2 (%s) seen as MASTER at priority 150", st.Peer, w.peerIP)
		}
		if !st.Keepalived.Running || !st.Keepalived.ConfigOK {
			t.Errorf("%s: keepalived %+v, want running with config ok", node, st.Keepalived)
		}
		if len(st.Problems) != 0 {
			t.Errorf("%s: problems %v in a healthy lab: %+v", node, Codes(st.Problems), st.Problems)
		}
		if st.VerifyRunning != "" {
			t.Errorf("%s: verify_running %q with no run started", node, st.VerifyRunning)
		}

		// And with keepalived's own view.
		var inst *keepalived.InstanceState
		for i := range dump {
			if dump[i].VRID == 51 {
				inst = &dump[i]
			}
		}
		if inst == nil {
			t.Fatalf("%s: keepalived's dump has no instance for VRID 51: %+v", node, dump)
		}
		if inst.State.String() != st.Node.State {
			t.Errorf("%s: keepalived says %s, floatgw says %s", node, inst.State, st.Node.State)
		}
		if inst.EffectivePriority != st.Node.EffectivePriority || inst.BasePriority != st.Node.BasePriority {
			t.Errorf("%s: keepalived priority base %d effective %d, floatgw base %d effective %d",
				node, inst.BasePriority, inst.EffectivePriority, st.Node.BasePriority, st.Node.EffectivePriority)
		}
		if inst.VIPSet != hasVIP {
			t.Errorf("%s: keepalived vipset %v, kernel has the VIP %v", node, inst.VIPSet, hasVIP)
		}
		if inst.Interface != st.Node.LAN.Device {
			t.Errorf("%s: keepalived interface %q, floatgw lan device %q", node, inst.Interface, st.Node.LAN.Device)
		}
	}
}

const goodR1Config = `config floatgw 'main'
	option enabled '1'
	option role 'secondary'
	option lan_device 'lan0'
	list vip '192.168.77.1/24'
	option vrid '51'
	option advert_int '1'
	option preempt '1'

config health 'health'
	option mode 'basic'
	option interval '1'
	option fall '2'
	option rise '2'
	option hold_down '0'
	option weight '100'

config check 'upstream'
	option type 'ping'
	option target '198.51.100.1'
	option timeout '0.5'
`

// A broken /etc/config/floatgw and SIGHUP: the daemon keeps running on the old config and says
// which option is wrong; a good file and another SIGHUP clear the problem.
func TestFloatgwReloadKeepsOldConfigOnError(t *testing.T) {
	l := UpFloatgw(t, binDir)
	cfg := l.NodeFile("r1", "root", "etc", "config", "floatgw")
	pid := ReadPid(l.NodeFile("r1", "floatgw.pid"))
	if got := strings.TrimSpace(l.Run("floatgw", "r1", "pid")); got != strconv.Itoa(pid) || pid == 0 {
		t.Fatalf("scripts/lab floatgw r1 pid says %q, pid file %d", got, pid)
	}
	hup := func() {
		t.Helper()
		if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}

	broken := strings.Replace(goodR1Config, "option vrid '51'", "option vrid '300'", 1)
	if err := os.WriteFile(cfg, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	hup()
	var st api.StatusReply
	took := l.Eventually(10*time.Second, "CONFIG_INVALID for floatgw.main.vrid after SIGHUP", func() string {
		var err error
		st, err = l.TryStatus("r1")
		if err != nil {
			return err.Error()
		}
		if p := FindProblem(st.Problems, api.ConfigInvalid); p == nil || p.Field != "floatgw.main.vrid" {
			return fmt.Sprintf("problems %+v", st.Problems)
		}
		return ""
	})
	p := FindProblem(st.Problems, api.ConfigInvalid)
	t.Logf("broken config reported after %v: %+v", took, *p)
	if p.Got != "300" {
		t.Errorf("CONFIG_INVALID got %q, want \"300\"", p.Got)
	}
	if ProcState(pid) == "" {
		t.Fatalf("daemon (pid %d) is gone after SIGHUP with a broken config", pid)
	}
	if st.Node.VRID != 51 || st.Node.Role != api.RoleSecondary || st.Node.EffectivePriority != 100 {
		t.Errorf("status after the rejected reload: vrid %d role %s prio %d, want the old 51 secondary 100",
			st.Node.VRID, st.Node.Role, st.Node.EffectivePriority)
	}
	// keepalived still runs floatgw's old configuration: no vrid 300 rendered.
	if b, err := os.ReadFile(l.NodeFile("r1", "floatgw-keepalived.conf")); err != nil || !strings.Contains(string(b), "virtual_router_id 51") {
		t.Errorf("rendered keepalived config changed by a rejected reload (err %v):\n%s", err, b)
	}
	if s, err := l.Snap(); err != nil || s != Baseline {
		t.Errorf("lab after the rejected reload: %v (err %v), want %v", s, err, Baseline)
	}

	if err := os.WriteFile(cfg, []byte(goodR1Config), 0o644); err != nil {
		t.Fatal(err)
	}
	hup()
	took = l.Eventually(10*time.Second, "problems cleared after restoring the config", func() string {
		st, err := l.TryStatus("r1")
		if err != nil {
			return err.Error()
		}
		if len(st.Problems) != 0 {
			return fmt.Sprintf("problems %+v", st.Problems)
		}
		return ""
	})
	t.Logf("good config accepted after %v", took)
	if ProcState(pid) == "" {
		t.Fatalf("daemon (pid %d) is gone after the second SIGHUP", pid)
	}
	l.WaitSettled(10 * time.Second)
}

// killMidRun starts a verification on r2, waits until its switch step has taken effect
// (reached(run) true), SIGKILLs r2's daemon and starts it again. The restarted daemon must
// undo everything within 10 s: demote file 0, keepalived running and not stopped, r2 holding
// the VIP again, no verification running.
func killMidRun(t *testing.T, mode string, reached func(l *Lab, run api.VerifyRun) bool) {
	l := UpFloatgw(t, binDir)
	var start api.VerifyStartReply
	if err := l.Call("r2", "verify", map[string]any{"mode": mode}, &start); err != nil {
		t.Fatalf("verify %s on r2: %v", mode, err)
	}
	if start.Busy || start.ID == "" {
		t.Fatalf("verify on r2: %+v, want a new run", start)
	}
	var run api.VerifyRun
	l.Eventually(20*time.Second, "the "+mode+" run reaching its switch", func() string {
		if err := l.Call("r2", "verify_status", map[string]any{"id": start.ID}, &run); err != nil {
			return err.Error()
		}
		if !run.Busy {
			return fmt.Sprintf("run ended before the switch: verdict %s problems %+v", run.Verdict, run.Problems)
		}
		if !reached(l, run) {
			return fmt.Sprintf("phase %s steps %+v", run.Phase, run.Steps)
		}
		return ""
	})
	st := l.Status("r2")
	if st.VerifyRunning != start.ID {
		t.Errorf("status verify_running %q mid-run, want %q", st.VerifyRunning, start.ID)
	}
	kaPid := ReadPid(l.NodeFile("r2", "keepalived.pid"))
	t.Logf("run %s at phase %s; keepalived pid %d state %s; killing the daemon", start.ID, run.Phase, kaPid, ProcState(kaPid))
	l.Run("floatgw", "r2", "kill")
	killedAt := time.Now()
	l.Run("floatgw", "r2", "start")

	demote := l.NodeFile("r2", "root", "var", "run", "floatgw", "demote")
	took := l.Eventually(10*time.Second, "recovery after SIGKILL mid-run", func() string {
		if b, err := os.ReadFile(demote); err != nil || strings.TrimSpace(string(b)) != "0" {
			return fmt.Sprintf("demote file %q (err %v)", b, err)
		}
		pid := ReadPid(l.NodeFile("r2", "keepalived.pid"))
		if s := ProcState(pid); s == "" || s == "T" || s == "Z" {
			return fmt.Sprintf("keepalived pid %d state %q", pid, s)
		}
		if vpid := ReadPid(l.NodeFile("r2", "vrrp.pid")); vpid != 0 {
			if s := ProcState(vpid); s == "T" {
				return fmt.Sprintf("keepalived's vrrp child %d stopped", vpid)
			}
		}
		if h := l.Holders(); len(h) != 1 || h[0] != "r2" {
			return fmt.Sprintf("VIP holders %v", h)
		}
		st, err := l.TryStatus("r2")
		if err != nil {
			return err.Error()
		}
		if st.VerifyRunning != "" {
			return "status still shows run " + st.VerifyRunning
		}
		if st.Node.State != api.StateMaster || st.Node.EffectivePriority != 150 {
			return fmt.Sprintf("r2 %s prio %d", st.Node.State, st.Node.EffectivePriority)
		}
		return ""
	})
	t.Logf("%s run killed mid-switch: recovered %v after the restart (%v after the kill)", mode, took, time.Since(killedAt))
	// The restarted daemon remembers the interrupted run and reports it aborted.
	var after api.VerifyRun
	if err := l.Call("r2", "verify_status", map[string]any{"id": start.ID}, &after); err != nil {
		t.Errorf("verify_status %s after the restart: %v", start.ID, err)
	} else {
		t.Logf("interrupted run after the restart: busy %v verdict %q problems %v", after.Busy, after.Verdict, Codes(after.Problems))
		if after.Busy || after.Verdict != api.VerdictAborted {
			t.Errorf("interrupted run %s after the restart: busy %v verdict %q, want done and aborted", start.ID, after.Busy, after.Verdict)
		}
	}
	l.WaitSettled(10 * time.Second)
}

// SIGKILL of the daemon in the middle of a soft run (r2 demoted through its track file): the
// restarted daemon undoes the demotion and r2 takes the VIP back.
func TestFloatgwKilledMidSoftRunRecovers(t *testing.T) {
	demote := ""
	killMidRun(t, "soft", func(l *Lab, run api.VerifyRun) bool {
		if demote == "" {
			demote = l.NodeFile("r2", "root", "var", "run", "floatgw", "demote")
		}
		b, _ := os.ReadFile(demote)
		return StepOf(run, "demote").Status == api.StepOK && strings.TrimSpace(string(b)) == "1"
	})
}

// SIGKILL of the daemon in the middle of a hard run (r2's keepalived SIGSTOPped): the restarted
// daemon resumes keepalived and r2 takes the VIP back.
func TestFloatgwKilledMidHardRunRecovers(t *testing.T) {
	killMidRun(t, "hard", func(l *Lab, run api.VerifyRun) bool {
		if StepOf(run, "silence_master").Status != api.StepOK {
			return false
		}
		vpid := ReadPid(l.NodeFile("r2", "vrrp.pid"))
		kpid := ReadPid(l.NodeFile("r2", "keepalived.pid"))
		return ProcState(vpid) == "T" || ProcState(kpid) == "T"
	})
}
