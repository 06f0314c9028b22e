package health

import (
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/health/internal/labserver"
	"github.com/floatgw/floatgw/internal/testenv"
)

// TestIntegrationBlockTarget runs a Monitor in one namespace against
// targets (ping, tcp, dns, http) in another, blocks the monitor's
// traffic with nftables inside the target namespace, and measures when
// the track file flips to unhealthy and back, against the bounds that
// follow from interval, timeout, fall, rise and hold-down.
func TestIntegrationBlockTarget(t *testing.T) {
	testenv.NeedNetns(t)
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("SKIP (needs nft: apt-get install -y nftables): integration test not run")
	}
	mon, tgt := newNetns(t, "mon"), newNetns(t, "tgt")
	mon.Veth(t, "mon0", tgt, "tgt0")
	mon.IP(t, "addr", "add", "10.252.0.1/24", "dev", "mon0")
	tgt.IP(t, "addr", "add", "10.252.0.2/24", "dev", "tgt0")
	mon.IP(t, "link", "set", "mon0", "up")
	tgt.IP(t, "link", "set", "tgt0", "up")

	inNetns(t, tgt, func() error {
		d, err := labserver.StartDNS("10.252.0.2:53", map[string]netip.Addr{"gw.lab": netip.MustParseAddr("10.252.0.2")})
		if err != nil {
			return err
		}
		t.Cleanup(func() { d.Close() })
		s, err := labserver.StartTCP("10.252.0.2:8080")
		if err != nil {
			return err
		}
		t.Cleanup(func() { s.Close() })
		h, err := labserver.StartHTTP("10.252.0.2:80")
		if err != nil {
			return err
		}
		t.Cleanup(func() { h.Close() })
		return nil
	})

	const (
		interval = 500 * time.Millisecond
		timeout  = 300 * time.Millisecond
		fall     = 3
		rise     = 2
		hold     = 3 * time.Second
		slack    = 300 * time.Millisecond // polling, process scheduling on a shared machine
	)
	cfg := Config{
		Mode: ModeBasic, Interval: interval, Fall: fall, Rise: rise, K: 3, N: 4, HoldDown: hold,
		Checks: []CheckSpec{
			{Type: CheckPing, Target: "10.252.0.2", Timeout: timeout},
			{Type: CheckTCP, Target: "10.252.0.2", Port: 8080, Timeout: timeout},
			{Type: CheckDNS, Target: "10.252.0.2", Name: "gw.lab", Expect: "10.252.0.2", Timeout: timeout},
			{Type: CheckHTTP, Target: "10.252.0.2", Path: "/generate_204", Expect: "204", Timeout: timeout},
		},
	}
	track := filepath.Join(t.TempDir(), "health")
	startMonitorIn(t, mon, cfg, track)

	// block and unblock return when the nft command started and when it
	// returned: the change takes effect somewhere in between, so lower
	// bounds are measured from the first and upper bounds from the
	// second.
	block := func() [2]time.Time {
		before := time.Now()
		cmdline := "add table inet fgwt_health\n" +
			"add chain inet fgwt_health in { type filter hook input priority -10; policy accept; }\n" +
			"add rule inet fgwt_health in ip saddr 10.252.0.1 drop\n"
		c := tgt.Command("nft", "-f", "-")
		c.Stdin = strings.NewReader(cmdline)
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("nft block: %v\n%s", err, out)
		}
		return [2]time.Time{before, time.Now()}
	}
	unblock := func() [2]time.Time {
		before := time.Now()
		testenv.Run(t, "ip", "netns", "exec", tgt.Name, "nft", "delete", "table", "inet", "fgwt_health")
		return [2]time.Time{before, time.Now()}
	}
	within := func(what string, at time.Time, from [2]time.Time, lo, hi time.Duration) {
		t.Helper()
		early, late := at.Sub(from[1]), at.Sub(from[0])
		t.Logf("%s: %v..%v (bounds %v .. %v)", what, early.Round(time.Millisecond), late.Round(time.Millisecond), lo, hi)
		if late < lo || early > hi {
			t.Errorf("%s took %v..%v, want between %v and %v", what, early, late, lo, hi)
		}
	}

	waitTrack(t, track, 0, rise*interval+2*time.Second) // first verdict: healthy

	// Break. Failed rounds end at their timeout; the fall-th failure
	// ends between (fall-1)×interval+timeout and fall×interval+timeout
	// after the block.
	blocked := block()
	down := waitTrack(t, track, 1, fall*interval+timeout+5*time.Second)
	within("unhealthy after block", down, blocked, (fall-1)*interval+timeout-slack/10, fall*interval+timeout+slack)

	// Repair at once: hold-down decides. Up comes at the first round with
	// rise passes at or after down+hold.
	unblock()
	up := waitTrack(t, track, 0, hold+rise*interval+5*time.Second)
	within("healthy after repair inside hold-down (from down)", up, [2]time.Time{down, down}, hold-slack/10, hold+interval+slack)

	// Break again, repair after the hold-down expired: rise decides.
	blocked = block()
	down = waitTrack(t, track, 1, fall*interval+timeout+5*time.Second)
	within("unhealthy after second block", down, blocked, (fall-1)*interval+timeout-slack/10, fall*interval+timeout+slack)
	time.Sleep(hold + interval) // test code: let the hold-down run out
	repaired := unblock()
	up = waitTrack(t, track, 0, rise*interval+5*time.Second)
	within("healthy after repair past hold-down", up, repaired, (rise-1)*interval-slack/10, rise*interval+slack)
}
