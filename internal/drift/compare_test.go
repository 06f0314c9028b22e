package drift

import (
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/api"
	"github.com/google/go-cmp/cmp"
)

// Compare on its own: hand-made observations against the intent of a soft
// handover from A (150) to B (100), v2 advert_int 1.
func TestCompare(t *testing.T) {
	t.Parallel()
	trig := at(trigger)
	mark := func(d time.Duration, src string) Mark { return Mark{At: trig.Add(d), Source: src, Detail: src} }
	good := func() Observed {
		f := holderFacts()
		return Observed{
			Facts: &f, Reached: PhaseDone, Trigger: trig,
			VIPRemoved: mark(5*ms, "netlink"), VIPAdded: mark(616*ms, "advert"), MasterAdvert: mark(616*ms, "advert"),
			GARPSeen: mark(617*ms, "garp"), ARPAnswer: mark(650*ms, "arp"), PeerAdverts: 3,
			RestoreAt: trig.Add(3 * time.Second), Restored: true, Failback: mark(3*time.Second+3418*ms, "netlink"),
		}
	}
	tests := []struct {
		name string
		mod  func(*Observed, *Intent)
		want []string
	}{
		{"all good", nil, nil},
		{"slow takeover", func(o *Observed, _ *Intent) {
			o.MasterAdvert, o.VIPAdded = mark(900*ms, "advert"), mark(900*ms, "advert")
		}, []string{"VERIFY_SLOW/switch"}},
		{"no GARP", func(o *Observed, _ *Intent) { o.GARPSeen = Mark{} }, []string{"STALE_ARP/garp"}},
		{"no ARP answer", func(o *Observed, _ *Intent) { o.ARPAnswer = Mark{} }, []string{"VIP_UNREACHABLE/vip"}},
		{"no adverts from the peer", func(o *Observed, _ *Intent) { o.PeerAdverts, o.MasterAdvert = 0, Mark{} },
			[]string{"PEER_NO_ADVERTS/peer"}},
		{"nothing from the peer", func(o *Observed, _ *Intent) {
			o.PeerAdverts, o.MasterAdvert, o.VIPAdded, o.GARPSeen, o.ARPAnswer, o.Failback = 0, Mark{}, Mark{}, Mark{}, Mark{}, Mark{}
		}, []string{"VERIFY_NO_TAKEOVER/peer", "KEEPALIVED_NOT_RUNNING/peer", "VIP_NOT_HELD/vip"}},
		{"nothing from an unreachable peer", func(o *Observed, _ *Intent) {
			o.Facts.PeerReachable = CheckFailed
			o.PeerAdverts, o.MasterAdvert, o.VIPAdded, o.GARPSeen, o.ARPAnswer = 0, Mark{}, Mark{}, Mark{}, Mark{}
		}, []string{"PEER_UNREACHABLE/peer", "VERIFY_NO_TAKEOVER/peer"}},
		{"peer MASTER but silent on ARP", func(o *Observed, _ *Intent) {
			o.GARPSeen, o.ARPAnswer, o.Failback = Mark{}, Mark{}, Mark{}
		}, []string{"VERIFY_NO_TAKEOVER/peer", "VIP_UNREACHABLE/vip", "VIP_NOT_HELD/vip"}},
		{"demotion ignored here", func(o *Observed, _ *Intent) {
			o.VIPRemoved, o.PeerAdverts, o.MasterAdvert, o.VIPAdded, o.GARPSeen, o.ARPAnswer, o.Failback = Mark{}, 0, Mark{}, Mark{}, Mark{}, Mark{}, Mark{}
		}, []string{"VERIFY_NO_TAKEOVER/peer", "CONFIG_NOT_APPLIED/local"}},
		{"slow failback", func(o *Observed, _ *Intent) { o.Failback = mark(3*time.Second+4*time.Second, "netlink") },
			[]string{"VERIFY_SLOW/failback"}},
		{"no failback", func(o *Observed, _ *Intent) { o.Failback = Mark{} }, []string{"VERIFY_NO_FAILBACK/failback"}},
		{"preempt off", func(o *Observed, in *Intent) {
			o.Failback = Mark{}
			in.Budgets.FailbackExpected, in.Budgets.FailbackWhyNot = false, "this node has preempt off"
		}, []string{"PREEMPT_OFF/failback"}},
		{"restore failed", func(o *Observed, _ *Intent) {
			o.Restored, o.RestoreErr, o.Failback = false, "undemote: read-only file system", Mark{}
		}, []string{"VERIFY_RESTORE_FAILED/restore"}},
		{"aborted", func(o *Observed, _ *Intent) { o.Aborted = "shutdown" }, []string{"VERIFY_ABORTED/"}},
		{"switch failed", func(o *Observed, _ *Intent) {
			*o = Observed{Facts: o.Facts, Reached: PhaseDone, SwitchErr: "demote: permission denied", Restored: true}
		}, []string{"VERIFY_SWITCH_FAILED/switch"}},
		{"precheck timeout", func(o *Observed, _ *Intent) { *o = Observed{TimedOut: []string{"precheck"}} },
			[]string{"VERIFY_TIMEOUT/precheck"}},
		{"EPERM during the run", func(o *Observed, _ *Intent) {
			o.Logs = []LogSeen{{Code: api.AdvertSendEPERM, Line: "(GW): send advert error 1 (Operation not permitted)"}}
		}, []string{"ADVERT_SEND_EPERM/local"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := good()
			in := Decide(holderPlan(ModeSoft), *o.Facts)
			if tt.mod != nil {
				tt.mod(&o, &in)
			}
			ps := Compare(in, o)
			var got []string
			for _, p := range ps {
				got = append(got, string(p.Code)+"/"+p.Field)
				if p.Severity == "" || p.Detail == "" {
					t.Errorf("%s: missing severity or detail", p.Code)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Compare (-want +got):\n%s", diff)
			}
			// Pure: same inputs, same output.
			if diff := cmp.Diff(ps, Compare(in, o)); diff != "" {
				t.Errorf("Compare is not deterministic:\n%s", diff)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	// Peer unknown in the plan: learned from the facts.
	p := backupPlan(ModeSoft)
	p.Peer = Node{Preempt: true}
	in := Decide(p, backupFacts())
	want := Node{Addr: addrA, MAC: macA, Priority: 150, Preempt: true}
	if in.Direction != DirTakeover || in.Peer != want {
		t.Errorf("Decide = %v %+v, want takeover %+v", in.Direction, in.Peer, want)
	}
	if got := in.Budgets.Switch.Expected; got != MasterDownInterval(V2, PromotedPriority, time.Second) {
		t.Errorf("switch expected %v", got)
	}
	h := Decide(holderPlan(ModeSoft), holderFacts())
	if h.Direction != DirHandover || h.Budgets.Switch.Expected != SkewTime(V2, 100, time.Second) {
		t.Errorf("Decide holder = %v %v", h.Direction, h.Budgets.Switch.Expected)
	}
}

// A plan that knows nothing about the peer still verifies: the peer is
// learned from the wire and the budget assumes the slowest backup.
func TestHandoverUnknownPeer(t *testing.T) {
	t.Parallel()
	w := &handoverWorld{}
	m := runHandover(t, ModeSoft, w, holderFacts(), func(p *Plan) { p.Peer = Node{Preempt: true} })
	r := m.finish().Run
	if r.Verdict != api.VerdictPass || len(r.Problems) != 0 {
		t.Fatalf("verdict %s problems %+v", r.Verdict, r.Problems)
	}
	// Skew_Time(1) = 996 ms + 250 ms slack.
	if r.Timings[0].BudgetMs != 1246 {
		t.Errorf("budget %d, want 1246", r.Timings[0].BudgetMs)
	}
	if got := m.s.Intent().Peer; got.Addr != addrB || got.MAC != macB {
		t.Errorf("peer learned as %+v", got)
	}
}
