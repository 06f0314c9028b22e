package health

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/health/internal/labserver"
	"github.com/floatgw/floatgw/internal/testenv"
)

// hasAddr reports, from a thread inside ns, whether dev holds vip.
func hasAddr(t *testing.T, ns *testenv.Netns, dev, vip string) bool {
	t.Helper()
	var has bool
	inNetns(t, ns, func() error {
		ifi, err := net.InterfaceByName(dev)
		if err != nil {
			return err
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if strings.HasPrefix(a.String(), vip+"/") {
				has = true
			}
		}
		return nil
	})
	return has
}

// waitVIP waits until ns holds (or not) the VIP and returns when.
func waitVIP(t *testing.T, ns *testenv.Netns, want bool, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if hasAddr(t, ns, "lan0", "192.168.77.1") == want {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: VIP held=%v not reached within %v", ns.Name, want, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func startKeepalived(t *testing.T, ns *testenv.Netns, dir, conf string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	cf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := ns.Command("keepalived", "-n", "-l", "-D", "-P",
		"-f", cf, "-p", filepath.Join(dir, "keepalived.pid"), "-r", filepath.Join(dir, "vrrp.pid"))
	cmd.Env = append(os.Environ(), "TMPDIR="+filepath.Join(dir, "tmp"))
	log, err := os.Create(filepath.Join(dir, "keepalived.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // its own process group only
			<-done
		}
		log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("%s keepalived log:\n%s", ns.Name, b)
		}
	})
}

func kaConf(name string, prio int, track string) string {
	var tf, ref string
	if track != "" {
		tf = fmt.Sprintf("track_file health {\n    file %q\n    weight -100\n    init_file 0\n}\n", track)
		ref = "    track_file {\n        health\n    }\n"
	}
	return fmt.Sprintf(`global_defs {
    router_id %s
}
%svrrp_instance GW {
    state BACKUP
    interface lan0
    virtual_router_id 51
    priority %d
    advert_int 1
%s    virtual_ipaddress {
        192.168.77.1/24 dev lan0
    }
}
`, name, tf, prio, ref)
}

// TestIntegrationVIPMoves is the acceptance scenario with real
// keepalived: r1 (priority 150, preferred) tracks the health Monitor's
// file with weight -100; r2 has priority 100. Blocking r1's check
// target (inside the target's namespace) must move the VIP to r2
// within fall×interval+timeout plus the VRRP Master_Down_Interval;
// repairing it must bring the VIP back within rise×interval plus r1's
// own Master_Down_Interval (preempt, preempt_delay 0).
func TestIntegrationVIPMoves(t *testing.T) {
	testenv.NeedNetns(t)
	for _, tool := range []string{"nft", "keepalived"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("SKIP (needs %s: apt-get install -y nftables keepalived): integration test not run", tool)
		}
	}
	r1, r2, up := newNetns(t, "r1"), newNetns(t, "r2"), newNetns(t, "up")
	r1.Veth(t, "lan0", r2, "lan0")
	r1.Veth(t, "wan0", up, "up0")
	r1.IP(t, "addr", "add", "192.168.77.2/24", "dev", "lan0")
	r2.IP(t, "addr", "add", "192.168.77.3/24", "dev", "lan0")
	r1.IP(t, "addr", "add", "198.51.100.2/24", "dev", "wan0")
	up.IP(t, "addr", "add", "198.51.100.1/24", "dev", "up0")
	for _, l := range []struct {
		ns  *testenv.Netns
		dev string
	}{{r1, "lan0"}, {r2, "lan0"}, {r1, "wan0"}, {up, "up0"}} {
		l.ns.IP(t, "link", "set", l.dev, "up")
	}
	inNetns(t, up, func() error {
		s, err := labserver.StartTCP("198.51.100.1:53")
		if err != nil {
			return err
		}
		t.Cleanup(func() { s.Close() })
		return nil
	})

	dir := t.TempDir()
	track := filepath.Join(dir, "r1", "run", "health")
	if err := os.MkdirAll(filepath.Dir(track), 0o755); err != nil {
		t.Fatal(err)
	}
	startKeepalived(t, r2, filepath.Join(dir, "r2"), kaConf("fgwt_r2", 100, ""))
	startKeepalived(t, r1, filepath.Join(dir, "r1"), kaConf("fgwt_r1", 150, track))

	const (
		interval   = 500 * time.Millisecond
		timeout    = 300 * time.Millisecond
		fall, rise = 3, 2
		// RFC 3768 §6.1 at advert_int 1: 3 s + Skew_Time ((256-prio)/256 s).
		masterDownR2 = 3*time.Second + (256-100)*time.Second/256
		masterDownR1 = 3*time.Second + (256-150)*time.Second/256
		slack        = 700 * time.Millisecond // keepalived start-up, polling, a loaded machine
	)
	cfg := Config{
		Mode: ModeBasic, Interval: interval, Fall: fall, Rise: rise, K: 1, N: 2,
		Checks: []CheckSpec{
			{Type: CheckPing, Target: "198.51.100.1", Timeout: timeout},
			{Type: CheckTCP, Target: "198.51.100.1", Port: 53, Timeout: timeout},
		},
	}
	startMonitorIn(t, r1, cfg, track)

	// r1 becomes master: its own Master_Down_Interval after start.
	waitVIP(t, r1, true, 15*time.Second)
	waitTrack(t, track, 0, 5*time.Second)
	waitVIP(t, r2, false, 5*time.Second)

	blocked := time.Now()
	c := up.Command("nft", "-f", "-")
	c.Stdin = strings.NewReader("add table inet fgwt_health\n" +
		"add chain inet fgwt_health in { type filter hook input priority -10; policy accept; }\n" +
		"add rule inet fgwt_health in ip saddr 198.51.100.2 drop\n")
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("nft block: %v\n%s", err, out)
	}
	moved := waitVIP(t, r2, true, 15*time.Second)
	budget := fall*interval + timeout + masterDownR2 + slack
	t.Logf("VIP on r2 %v after the block (budget fall×interval+timeout+Master_Down = %v + slack %v)",
		moved.Sub(blocked).Round(time.Millisecond), budget-slack, slack)
	if d := moved.Sub(blocked); d > budget {
		t.Errorf("VIP moved after %v, budget %v", d, budget)
	}
	if v, _ := ReadTrackFile(track); v != 1 {
		t.Errorf("track file holds %d after the move, want 1", v)
	}
	waitVIP(t, r1, false, 5*time.Second)

	repaired := time.Now()
	testenv.Run(t, "ip", "netns", "exec", up.Name, "nft", "delete", "table", "inet", "fgwt_health")
	back := waitVIP(t, r1, true, 15*time.Second)
	budget = rise*interval + masterDownR1 + slack
	t.Logf("VIP back on r1 %v after the repair (budget rise×interval+Master_Down(r1) = %v + slack %v)",
		back.Sub(repaired).Round(time.Millisecond), budget-slack, slack)
	if d := back.Sub(repaired); d > budget {
		t.Errorf("VIP came back after %v, budget %v", d, budget)
	}
	waitVIP(t, r2, false, 5*time.Second)
}
