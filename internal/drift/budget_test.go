package drift

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSkewAndMasterDown(t *testing.T) {
	t.Parallel()
	us := time.Microsecond
	tests := []struct {
		name     string
		v        Version
		prio     uint8
		ai       time.Duration
		skew, md time.Duration
	}{
		// RFC 3768 §6.1: (256-100)/256 s = 609.375 ms; 3 s + skew.
		{"v2 prio 100 1s", V2, 100, time.Second, 609375 * us, 3609375 * us},
		// keepalived-samples README: "3.41 s" for the recovering prio-150 node.
		{"v2 prio 150 1s", V2, 150, time.Second, 414062 * us, 3414062 * us},
		// v2 skew does not scale with the interval.
		{"v2 prio 100 2s", V2, 100, 2 * time.Second, 609375 * us, 6609375 * us},
		{"v2 prio 255 1s", V2, 255, time.Second, 3906 * us, 3003906 * us},
		{"v2 prio 1 1s", V2, 1, time.Second, 996093 * us, 3996093 * us},
		// RFC 5798 §6.1 in centiseconds: 156 × 10 / 256 cs = 60.9375 ms,
		// truncated to µs as keepalived does.
		{"v3 prio 100 0.1s", V3, 100, 100 * time.Millisecond, 60937 * us, 360937 * us},
		{"v3 prio 150 0.1s", V3, 150, 100 * time.Millisecond, 41406 * us, 341406 * us},
		{"v3 prio 100 1s", V3, 100, time.Second, 609375 * us, 3609375 * us},
		// v3 interval rounded down to centiseconds as on the wire.
		{"v3 prio 100 0.105s", V3, 100, 105 * time.Millisecond, 60937 * us, 360937 * us},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SkewTime(tt.v, tt.prio, tt.ai); got != tt.skew {
				t.Errorf("SkewTime = %v, want %v", got, tt.skew)
			}
			if got := MasterDownInterval(tt.v, tt.prio, tt.ai); got != tt.md {
				t.Errorf("MasterDownInterval = %v, want %v", got, tt.md)
			}
		})
	}
}

func basePlan() Plan {
	return Plan{
		ID: "r1", Mode: ModeSoft, Instance: "GW", Version: V2, VRID: 51,
		AdvertInterval: time.Second,
		VIPs:           []netip.Addr{vip},
		Local:          Node{Addr: addrA, MAC: macA, Priority: 150, Preempt: true},
		Peer:           Node{Addr: addrB, MAC: macB, Priority: 100, Preempt: true},
	}
}

func TestBudgets(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	us := time.Microsecond
	type exp struct {
		Switch, Failback time.Duration
		FailbackExpected bool
	}
	tests := []struct {
		name string
		mod  func(*Plan)
		dir  Direction
		want exp
	}{
		{"handover soft", nil, DirHandover,
			exp{609375*us + 250*ms, 3414062*us + 250*ms, true}},
		{"handover hard", func(p *Plan) { p.Mode = ModeHard }, DirHandover,
			exp{3609375*us + 250*ms, 3414062*us + 250*ms, true}},
		{"handover soft v3", func(p *Plan) { p.Version = V3; p.AdvertInterval = 100 * ms }, DirHandover,
			exp{60937*us + 100*ms, 341406*us + 100*ms, true}},
		{"handover nopreempt", func(p *Plan) { p.Local.Preempt = false }, DirHandover,
			exp{609375*us + 250*ms, 0, false}},
		{"handover preempt_delay", func(p *Plan) { p.Local.PreemptDelay = 5 * time.Second }, DirHandover,
			exp{609375*us + 250*ms, 8414062*us + 250*ms, true}},
		{"handover peer priority unknown", func(p *Plan) { p.Peer.Priority = 0 }, DirHandover,
			exp{996093*us + 250*ms, 3414062*us + 250*ms, true}},
		{"handover explicit slack", func(p *Plan) { p.Slack = 50 * ms }, DirHandover,
			exp{609375*us + 50*ms, 3414062*us + 50*ms, true}},
		// This node 100, peer 150 holds: promoted to 254.
		{"takeover", func(p *Plan) { p.Local.Priority = 100; p.Peer.Priority = 150 }, DirTakeover,
			exp{MasterDownInterval(V2, 254, time.Second) + 250*ms, 3414062*us + 250*ms, true}},
		{"takeover peer nopreempt", func(p *Plan) { p.Local.Priority = 100; p.Peer.Priority = 150; p.Peer.Preempt = false },
			DirTakeover, exp{MasterDownInterval(V2, 254, time.Second) + 250*ms, 0, false}},
		{"takeover peer lower", func(p *Plan) { p.Local.Priority = 150; p.Peer.Priority = 100 },
			DirTakeover, exp{MasterDownInterval(V2, 254, time.Second) + 250*ms, 0, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := basePlan()
			if tt.mod != nil {
				tt.mod(&p)
			}
			b := Budgets(p, tt.dir)
			got := exp{b.Switch.Budget(), b.Failback.Budget(), b.FailbackExpected}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Budgets (-want +got):\n%s\nrules: %q %q %q", diff, b.Switch.Rule, b.Failback.Rule, b.FailbackWhyNot)
			}
			if b.Switch.Rule == "" || (!b.FailbackExpected && b.FailbackWhyNot == "") {
				t.Errorf("missing explanation: %+v", b)
			}
		})
	}
}
