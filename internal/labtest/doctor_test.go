package labtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/api"
)

// The doctor lab tests create each condition of PRODUCT.md §6 for real — nftables rules,
// stopped or misconfigured keepalived, a blocked switch, a host squatting on the VIP — in the
// lab's namespaces with real keepalived and floatgw daemons, and check that `floatgw doctor`
// names it with the right code and that `floatgw doctor --fix`, where it offers a safe fix,
// clears it. One lab serves the subtests of a group; each subtest undoes its condition and
// waits for the healthy pair (r2 holding the VIP) before the next starts.
//
// TestDoctorLab takes about 5 minutes (keepalived restarts between conditions, a 3 s advert
// window per doctor run); run the package with -timeout 20m beside the other lab tests.

// docSettle brings back the healthy pair after a subtest undid its condition. With restart,
// keepalived restarts on both routers first: doctor reads keepalived's log since its last
// start, so a condition's log lines would otherwise colour the subtests after it (that
// staleness itself is asserted by docCured where a subtest cares).
func docSettle(t *testing.T, l *Lab, restart bool) {
	t.Helper()
	for _, n := range []string{"r1", "r2"} {
		if restart {
			l.Run("keepalived", n, "stop")
		}
		if !docKeepalivedRunning(l, n) {
			l.Run("keepalived", n, "start")
		}
	}
	l.WaitHolder("r2", 20*time.Second)
}

// docCured waits until r2 alone holds the VIP after a condition was undone (keepalived still
// running, not restarted), lets three advert intervals pass, and asserts that doctor on node
// no longer reports codes: doctor describes the pair as it is now.
func docCured(t *testing.T, l *Lab, node string, codes ...api.Code) {
	t.Helper()
	l.WaitHolder("r2", 20*time.Second)
	time.Sleep(3 * time.Second)
	r := docDoctor(t, l, node, false)
	for _, c := range codes {
		if p, ok := r.Problem(c); ok {
			t.Errorf("the condition was undone and the pair is healthy again (r2 alone holds the VIP), yet doctor on %s still reports %s (evidence %q)", node, c, p.Evidence)
		}
	}
}

func TestDoctorLab(t *testing.T) {
	l := docUp(t)
	r1Main := filepath.Join(docNode(l, "r1"), "keepalived.conf")
	r2Main := filepath.Join(docNode(l, "r2"), "keepalived.conf")

	t.Run("healthy pair has no errors", func(t *testing.T) {
		for _, n := range []string{"r1", "r2"} {
			r := docDoctor(t, l, n, false)
			if errs := r.Errors(); len(errs) > 0 {
				t.Errorf("doctor on %s in a healthy pair reports errors %v\n%s", n, errs, r.Raw)
			}
			if len(r.Reply.Checked) != len(checksWanted) {
				t.Errorf("doctor on %s ran checks %v, want %d checks", n, r.Reply.Checked, len(checksWanted))
			}
		}
	})

	t.Run("stale ARP: garp_refresh fix clears it", func(t *testing.T) {
		t.Cleanup(func() { docSettle(t, l, false) })
		r := docDoctor(t, l, "r1", false)
		p, ok := r.Problem(api.StaleARP)
		if !ok {
			t.Skip("no STALE_ARP in the lab's configuration")
		}
		docSafeFixCures(t, l, "r1", p, "garp_refresh")
	})

	t.Run("firewall drops VRRP in", func(t *testing.T) {
		t.Cleanup(func() { docNftDelete(l, "r1", "ip", "t"); docSettle(t, l, true) })
		docNft(t, l, "r1", "ip", "t", "input", "ip protocol vrrp drop")
		r := docDoctor(t, l, "r1", false)
		p := docMustHave(t, r, api.FirewallNoVRRPRule, api.SeverityError)
		if !strings.Contains(p.Detail, "vrrp") {
			t.Errorf("FIREWALL_NO_VRRP_RULE detail %q does not quote the drop rule", p.Detail)
		}
		if p.Fix == nil || p.Fix.Safe {
			t.Errorf("on plain Linux the firewall fix must be a manual one, got %+v", p.Fix)
		}
		// r1 hears nothing, becomes MASTER too: both hold the VIP.
		if !docWaitFor(10*time.Second, func() bool { return len(l.Holders()) == 2 }) {
			t.Fatalf("r1 did not take the VIP too (holders %v)", l.Holders())
		}
		r2 := docWaitCode(t, l, "r2", api.SplitBrain, 10*time.Second)
		docMustHave(t, r2, api.SplitBrain, api.SeverityError)
		docMustLack(t, r2, api.FirewallNoVRRPRule)
		r1 := docDoctor(t, l, "r1", false)
		if _, ok := r1.Problem(api.SplitBrain); ok {
			t.Logf("r1 sees the split brain too")
		} else {
			t.Logf("r1 does not see the split brain (it hears no adverts through its own firewall)")
		}
		// doctor --fix does not touch the firewall on plain Linux.
		f := docDoctor(t, l, "r1", true)
		docMustHave(t, f, api.FirewallNoVRRPRule, api.SeverityError)

		docNftDelete(l, "r1", "ip", "t")
		docCured(t, l, "r1", api.FirewallNoVRRPRule, api.SplitBrain)
		docCured(t, l, "r2", api.SplitBrain)
	})

	t.Run("firewall drops VRRP out", func(t *testing.T) {
		t.Cleanup(func() { docNftDelete(l, "r2", "ip", "t"); docSettle(t, l, true) })
		docNft(t, l, "r2", "ip", "t", "output", "ip protocol vrrp drop")
		logPath := filepath.Join(docNode(l, "r2"), "keepalived.log")
		if !docWaitFor(10*time.Second, func() bool {
			b, _ := os.ReadFile(logPath)
			return strings.Contains(string(b), "Operation not permitted")
		}) {
			t.Fatalf("keepalived on r2 did not log a send error within 10 s")
		}
		r := docDoctor(t, l, "r2", false)
		p := docMustHave(t, r, api.AdvertSendEPERM, api.SeverityError)
		if len(p.Evidence) == 0 || !strings.Contains(strings.Join(p.Evidence, "\n"), "Operation not permitted") {
			t.Errorf("ADVERT_SEND_EPERM evidence %q does not quote keepalived's send error", p.Evidence)
		}
		if p.Fix == nil || p.Fix.Safe {
			t.Errorf("ADVERT_SEND_EPERM offers %+v, want a manual fix", p.Fix)
		}
		docMustLack(t, r, api.FirewallNoVRRPRule)

		docNftDelete(l, "r2", "ip", "t")
		docCured(t, l, "r2", api.AdvertSendEPERM, api.SplitBrain)
	})

	t.Run("keepalived stopped", func(t *testing.T) {
		t.Cleanup(func() { docSettle(t, l, false) })
		l.Run("keepalived", "r1", "stop")
		r := docDoctor(t, l, "r1", false)
		p := docMustHave(t, r, api.KeepalivedNotRunning, api.SeverityError)
		docSafeFixCures(t, l, "r1", p, "keepalived_start")
		if !docKeepalivedRunning(l, "r1") {
			t.Errorf("keepalived does not run on r1 after doctor --fix")
		}
	})

	t.Run("keepalived config invalid", func(t *testing.T) {
		restore := docRestoreFile(t, r1Main)
		t.Cleanup(func() { restore(); docSettle(t, l, true) })
		b := docReadFile(t, r1Main)
		docWriteFile(t, r1Main, append(b, []byte("\nvrrp_instance broken {\n    this is not keepalived\n")...))
		r := docDoctor(t, l, "r1", false)
		p := docMustHave(t, r, api.KeepalivedConfigInvalid, api.SeverityError)
		if len(p.Evidence) == 0 {
			t.Errorf("KEEPALIVED_CONFIG_INVALID quotes no keepalived -t output")
		}
		if p.Fix == nil || p.Fix.ID != "keepalived_render" {
			t.Fatalf("KEEPALIVED_CONFIG_INVALID offers %+v, want keepalived_render", p.Fix)
		}
		// keepalived_render rewrites floatgw's own file only; the broken main file is the
		// user's, so the problem must still be reported after the fix, and the fix must not
		// have rewritten the user's lines.
		f := docDoctor(t, l, "r1", true)
		res, ok := f.FixResult("keepalived_render")
		t.Logf("keepalived_render on a broken main file: attempted %v, result %+v", ok, res)
		docMustHave(t, f, api.KeepalivedConfigInvalid, api.SeverityError)
		if after := docReadFile(t, r1Main); !strings.Contains(string(after), "this is not keepalived") {
			t.Errorf("doctor --fix rewrote the user's main keepalived.conf:\n%s", after)
		}
		if ok && res.OK {
			t.Errorf("keepalived_render reports ok although keepalived still rejects the configuration")
		}
		t.Logf("keepalived on r1 after the fix: running=%v", docKeepalivedRunning(l, "r1"))
	})

	t.Run("notify fifo missing", func(t *testing.T) {
		fifo := filepath.Join(docNode(l, "r1"), "root", "var", "run", "floatgw", "notify.fifo")
		t.Cleanup(func() {
			if fi, err := os.Stat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
				// Restart the daemon, which makes its FIFO again, and keepalived, which
				// opens it.
				l.Run("floatgw", "r1", "stop")
				l.Run("floatgw", "r1", "start")
				l.Run("keepalived", "r1", "stop")
			}
			docSettle(t, l, true)
		})
		if err := os.Remove(fifo); err != nil {
			t.Fatal(err)
		}
		r := docDoctor(t, l, "r1", false)
		p := docMustHave(t, r, api.NotifyHandlerMissing, api.SeverityError)
		if !strings.Contains(p.Detail, "notify.fifo") {
			t.Errorf("NOTIFY_HANDLER_MISSING detail %q does not name the FIFO", p.Detail)
		}
		docSafeFixCures(t, l, "r1", p, "notify_handler")
	})

	t.Run("multicast blocked between the routers", func(t *testing.T) {
		t.Cleanup(func() { docNftDelete(l, "sw", "bridge", "t"); docSettle(t, l, true) })
		// keepalived on r1 restarts behind the block: it starts BACKUP, hears no MASTER and
		// waits out Master_Down_Interval (3.6 s) before it takes the VIP too. Doctor's 3 s
		// window falls inside that wait: PEER_NO_ADVERTS.
		l.Run("keepalived", "r1", "stop")
		docNft(t, l, "sw", "bridge", "t", "forward", "ip daddr 224.0.0.18 drop")
		l.Run("keepalived", "r1", "start")
		r := docDoctor(t, l, "r1", false)
		if p, ok := r.Problem(api.PeerNoAdverts); ok {
			if p.Fix == nil || p.Fix.ID != "unicast_peers" {
				t.Errorf("PEER_NO_ADVERTS offers %+v, want unicast_peers", p.Fix)
			}
			// The MAC answering for the VIP is r2's, the peer r1 heard until the block:
			// not a foreign host squatting on the VIP.
			docMustLack(t, r, api.VIPAddressConflict)
		} else if strings.Contains(strings.Join(l.Holders(), " "), "r1") {
			t.Logf("r1 became MASTER before doctor's window closed (a slow machine); no BACKUP-phase verdict")
		} else {
			docMustHave(t, r, api.PeerNoAdverts, api.SeverityError)
		}
		// Settled: both hold the VIP. Each must say so (split brain) or say that it hears
		// no peer; a clean bill of health is wrong.
		if !docWaitFor(10*time.Second, func() bool { return len(l.Holders()) == 2 }) {
			t.Fatalf("r1 did not take the VIP too (holders %v)", l.Holders())
		}
		for _, n := range []string{"r1", "r2"} {
			r := docDoctor(t, l, n, false)
			_, split := r.Problem(api.SplitBrain)
			_, deaf := r.Problem(api.PeerNoAdverts)
			if !split && !deaf {
				t.Errorf("both routers hold the VIP (multicast blocked between them) and doctor on %s reports neither SPLIT_BRAIN nor PEER_NO_ADVERTS: %s", n, r.Summary())
			}
		}
	})

	t.Run("both routers hold the VIP", func(t *testing.T) {
		t.Cleanup(func() { _, _ = l.Exec("r1", "ip", "addr", "del", VIP+"/24", "dev", "lan0"); docSettle(t, l, true) })
		// The VIP on r1 while r2, the MASTER, keeps advertising.
		docExec(t, l, "r1", "ip", "addr", "add", VIP+"/24", "dev", "lan0")
		if h := l.Holders(); len(h) != 2 {
			t.Fatalf("holders %v, want r1 and r2", h)
		}
		for _, n := range []string{"r1", "r2"} {
			r := docDoctor(t, l, n, false)
			docMustHave(t, r, api.SplitBrain, api.SeverityError)
		}
		docExec(t, l, "r1", "ip", "addr", "del", VIP+"/24", "dev", "lan0")
		docCured(t, l, "r2", api.SplitBrain)
	})

	t.Run("another host uses the VIP", func(t *testing.T) {
		t.Cleanup(func() {
			_, _ = l.Exec("client", "ip", "addr", "del", VIP+"/24", "dev", "eth0")
			docSettle(t, l, false)
		})
		l.Run("keepalived", "r2", "stop")
		l.Run("keepalived", "r1", "stop")
		if h := l.Holders(); len(h) != 0 {
			t.Fatalf("holders %v after stopping keepalived on both", h)
		}
		docExec(t, l, "client", "ip", "addr", "add", VIP+"/24", "dev", "eth0")
		r := docDoctor(t, l, "r1", false)
		p := docMustHave(t, r, api.VIPAddressConflict, api.SeverityError)
		if !strings.Contains(strings.Join(p.Evidence, " "), "02:77:00:00:00:64") {
			t.Errorf("VIP_ADDRESS_CONFLICT evidence %q does not name the client's MAC 02:77:00:00:00:64", p.Evidence)
		}
		docMustHave(t, r, api.KeepalivedNotRunning, api.SeverityError)
	})

	t.Run("auth mismatch", func(t *testing.T) {
		c1 := filepath.Join(docNode(l, "r1"), "root", "etc", "config", "floatgw")
		c2 := filepath.Join(docNode(l, "r2"), "root", "etc", "config", "floatgw")
		r1c, r2c := docRestoreFile(t, c1), docRestoreFile(t, c2)
		t.Cleanup(func() {
			r1c()
			r2c()
			docApply(t, l, "r1")
			docApply(t, l, "r2")
			docSettle(t, l, true)
		})
		docSetOption(t, l, "r2", "auth_pass", "secret2")
		docApply(t, l, "r2")
		docSetOption(t, l, "r1", "auth_pass", "secret1")
		docApply(t, l, "r1")
		// Each drops the other's adverts: r1 (BACKUP) sees r2's, r2 sees r1's once r1
		// has become MASTER too.
		var seen []string
		for _, n := range []string{"r1", "r2"} {
			r := docWaitCode(t, l, n, api.AuthMismatch, 15*time.Second)
			if _, ok := r.Problem(api.AuthMismatch); ok {
				seen = append(seen, n)
			}
		}
		t.Logf("AUTH_MISMATCH reported on %v", seen)
		if len(seen) != 2 {
			t.Errorf("AUTH_MISMATCH reported on %v, want both r1 and r2 (each rejects the other's adverts)", seen)
		}
	})

	t.Run("advert interval mismatch", func(t *testing.T) {
		c1 := filepath.Join(docNode(l, "r1"), "root", "etc", "config", "floatgw")
		r1c := docRestoreFile(t, c1)
		t.Cleanup(func() { r1c(); docApply(t, l, "r1"); docSettle(t, l, true) })
		docSetOption(t, l, "r1", "advert_int", "2")
		docApply(t, l, "r1")
		// r1 (BACKUP, advert_int 2) hears r2 (MASTER) advertise every second.
		r := docWaitCode(t, l, "r1", api.AdvertIntervalMismatch, 15*time.Second)
		p := docMustHave(t, r, api.AdvertIntervalMismatch, api.SeverityError)
		if p.Field != "floatgw.main.advert_int" {
			t.Errorf("ADVERT_INTERVAL_MISMATCH field %q, want floatgw.main.advert_int", p.Field)
		}
		r2 := docDoctor(t, l, "r2", false)
		if _, ok := r2.Problem(api.AdvertIntervalMismatch); ok {
			t.Logf("r2 reports ADVERT_INTERVAL_MISMATCH too")
		} else {
			t.Logf("r2 (MASTER, hears no adverts from the BACKUP) does not report ADVERT_INTERVAL_MISMATCH")
		}
	})

	t.Run("vrrp_strict", func(t *testing.T) {
		restore := docRestoreFile(t, r2Main)
		t.Cleanup(func() {
			restore()
			_, _ = l.Try("keepalived", "r2", "reload")
			time.Sleep(time.Second)
			docSettle(t, l, true)
		})
		b := docReadFile(t, r2Main)
		docWriteFile(t, r2Main, append(b, []byte("\nglobal_defs {\n    vrrp_strict\n}\n")...))
		if out, err := l.Exec("r2", "keepalived", "-t", "-f", r2Main); err != nil {
			t.Logf("keepalived -t rejects a second global_defs with vrrp_strict: %v\n%s", err, out)
		}
		l.Run("keepalived", "r2", "reload")
		r := docDoctor(t, l, "r2", false)
		docMustHave(t, r, api.VIPUnreachable, api.SeverityError)
		if out, err := l.Exec("client", "ping", "-c", "2", "-W", "1", VIP); err == nil {
			t.Logf("the client still reaches the VIP under vrrp_strict:\n%s", out)
		} else {
			t.Logf("the client cannot ping the VIP under vrrp_strict (as VIP_UNREACHABLE says)")
		}
	})

	t.Run("preempt off", func(t *testing.T) {
		c1 := filepath.Join(docNode(l, "r1"), "root", "etc", "config", "floatgw")
		r1c := docRestoreFile(t, c1)
		t.Cleanup(func() { r1c(); docApply(t, l, "r1"); docSettle(t, l, false) })
		docSetOption(t, l, "r1", "preempt", "0")
		docApply(t, l, "r1")
		r := docDoctor(t, l, "r1", false)
		p := docMustHave(t, r, api.PreemptOff, api.SeverityInfo)
		if p.Fix == nil || p.Fix.Safe {
			t.Errorf("PREEMPT_OFF offers %+v, want a manual fix", p.Fix)
		}
		docMustLack(t, docDoctor(t, l, "r2", false), api.PreemptOff)
	})

	// Last: the daemon's listeners are restarted afterwards in any case.
	t.Run("interface down", func(t *testing.T) {
		t.Cleanup(func() {
			_, _ = l.Exec("r1", "ip", "link", "set", "lan0", "up")
			l.Run("floatgw", "r1", "stop")
			l.Run("floatgw", "r1", "start")
			docSettle(t, l, true)
		})
		docExec(t, l, "r1", "ip", "link", "set", "lan0", "down")
		r := docDoctor(t, l, "r1", false)
		p := docMustHave(t, r, api.InterfaceDown, api.SeverityError)
		if p.Field != "lan0" {
			t.Errorf("INTERFACE_DOWN field %q, want lan0", p.Field)
		}
		// Up again: the daemon must hear the peer and see the VIP's holder as before.
		docExec(t, l, "r1", "ip", "link", "set", "lan0", "up")
		docCured(t, l, "r1", api.InterfaceDown, api.PeerNoAdverts, api.VIPAddressConflict)
	})
}

// A foreign VRRP router on the LAN with our VRID 51 and another VIP.
func TestDoctorLabForeignVRID(t *testing.T) {
	l := docUp(t, "--foreign")
	// The foreign router (priority 120) falls silent once it hears r2 (150) as MASTER, so r2
	// may know it only from keepalived's log; r1 (100), a BACKUP, hears whoever advertises.
	named := false
	for _, n := range []string{"r1", "r2"} {
		r := docWaitCode(t, l, n, api.VRIDConflict, 15*time.Second)
		p := docMustHave(t, r, api.VRIDConflict, api.SeverityError)
		if !strings.Contains(p.Detail, "VRID 1 is free") {
			t.Errorf("VRID_CONFLICT on %s detail %q does not suggest the free VRID 1", n, p.Detail)
		}
		t.Logf("VRID_CONFLICT on %s: %s; evidence %q", n, p.Detail, p.Evidence)
		named = named || strings.Contains(strings.Join(p.Evidence, " "), "192.168.77.254")
		if p.Field != "floatgw.main.vrid" || p.Got != "51" {
			t.Errorf("VRID_CONFLICT on %s field %q got %q, want floatgw.main.vrid 51", n, p.Field, p.Got)
		}
	}
	if !named {
		t.Errorf("neither router's VRID_CONFLICT evidence names the foreign VIP 192.168.77.254")
	}
	// A shared VRID also disturbs the election (keepalived rejects adverts whose VIP set
	// differs); report what the pair did meanwhile, as seen by polling for 3 s.
	seen := map[string]bool{}
	docWaitFor(3*time.Second, func() bool {
		seen[strings.Join(l.Holders(), "+")] = true
		return false
	})
	t.Logf("VIP holders seen while the foreign router runs: %v", seen)
}

// checksWanted is the catalogue of internal/doctor as PRODUCT.md §6 lists it.
var checksWanted = []string{
	"keepalived_running", "keepalived_config", "firewall", "advert_send", "interface", "vip_subnet",
	"peer_adverts", "split_brain", "vrid_conflict", "auth", "advert_interval", "notify_handler",
	"vip_conflict", "vip_strict", "garp_refresh", "dnsmasq_hotplug", "preempt",
}
