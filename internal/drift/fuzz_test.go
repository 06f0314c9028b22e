package drift

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/api"
)

// fuzzRun drives a run with inputs chosen by data, then shuts it down the
// way the daemon does (Abort, answer every Op, let timers run) and checks
// the restore guarantee.
type fuzzRun struct {
	t        *testing.T
	s        State
	now      time.Time
	pending  []OpID
	timers   map[TimerName]time.Time
	finishes int
}

func (f *fuzzRun) apply(acts []Action) {
	for _, a := range acts {
		if f.finishes > 0 {
			switch a.(type) {
			case StopTimer, Progress:
			default:
				f.t.Fatalf("action %T after Finish", a)
			}
		}
		switch a := a.(type) {
		case Op:
			f.pending = append(f.pending, a.OpID())
		case StartTimer:
			if a.After <= 0 {
				f.t.Fatalf("timer %s with %v", a.Name, a.After)
			}
			f.timers[a.Name] = f.now.Add(a.After)
		case StopTimer:
			delete(f.timers, a.Name)
		case Finish:
			f.finishes++
			if a.Run.Busy || a.Run.Verdict == "" {
				f.t.Fatalf("Finish of a busy run: %+v", a.Run)
			}
		}
	}
}

func (f *fuzzRun) step(in Input) {
	s, acts := Step(f.s, in, f.now)
	f.s = s
	f.apply(acts)
}

// drain answers every Op with success and fires timers until the run ends.
func (f *fuzzRun) drain() {
	for i := 0; i < 10000 && !f.s.Finished(); i++ {
		f.now = f.now.Add(10 * time.Millisecond)
		switch {
		case len(f.pending) > 0:
			id := f.pending[0]
			f.pending = f.pending[1:]
			f.step(Done{ID: id, At: f.now})
		case len(f.timers) > 0:
			var first TimerName
			for n := TimerPrecheck; n <= TimerRetry; n++ {
				if when, ok := f.timers[n]; ok && (first == 0 || when.Before(f.timers[first])) {
					first = n
				}
			}
			if when := f.timers[first]; when.After(f.now) {
				f.now = when
			}
			delete(f.timers, first)
			f.step(TimerFired{Name: first})
		default:
			f.t.Fatalf("run stuck in %s with nothing pending", f.s.Phase())
		}
	}
	if !f.s.Finished() {
		f.t.Fatalf("run did not finish: %s", f.s.Phase())
	}
}

func FuzzStep(f *testing.F) {
	f.Add([]byte{0, 0, 1, 2, 2, 2, 5, 2, 9, 9, 9, 2, 2})
	f.Add([]byte{1, 0, 1, 2, 2, 7, 2, 9, 9, 2, 2, 2, 2, 2})
	f.Add([]byte{0, 1, 1, 2, 2, 4, 9, 9, 9, 9, 3, 3, 3})
	f.Add([]byte{1, 1, 1, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3})
	f.Add([]byte{0, 0, 1, 10, 2, 11})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 || len(data) > 400 {
			return
		}
		mode := Mode(data[0] & 1)
		holder := data[1]&1 == 0
		p := holderPlan(mode)
		facts := holderFacts()
		if !holder {
			p, facts = backupPlan(mode), backupFacts()
		}
		if data[1]&2 != 0 {
			p.Version, p.AdvertInterval = V3, 100*time.Millisecond
		}
		s, acts, err := New(p, t0)
		if err != nil {
			t.Fatal(err)
		}
		r := &fuzzRun{t: t, s: s, now: t0, timers: map[TimerName]time.Time{}}
		r.apply(acts)
		peer := p.Peer
		for i := 2; i < len(data); i++ {
			b := data[i]
			arg := byte(0)
			if i+1 < len(data) {
				arg = data[i+1]
			}
			r.now = r.now.Add(time.Duration(arg) * 7 * time.Millisecond)
			var in Input
			switch b % 16 {
			case 0:
				in = facts
			case 1:
				ff := facts
				ff.LocalState = VRRPState(arg % 6)
				ff.Firewall = Check(arg % 3)
				in = ff
			case 2:
				if len(r.pending) > 0 {
					id := r.pending[0]
					r.pending = r.pending[1:]
					var err error
					if arg%5 == 0 {
						err = errors.New("fuzz failure")
					}
					in = Done{ID: id, At: r.now, Err: err}
				} else {
					in = Done{ID: OpID(arg), At: r.now}
				}
			case 3:
				in = TimerFired{Name: TimerName(arg % 10)}
			case 4:
				in = Advert{At: r.now, Src: peer.Addr, SrcMAC: peer.MAC, VRID: 51, Priority: arg, Interval: p.AdvertInterval}
			case 5:
				in = GARP{At: r.now, IP: vip, MAC: peer.MAC}
			case 6:
				in = ARPReply{At: r.now, IP: vip, MAC: [2]MAC{peer.MAC, macD}[arg&1]}
			case 7:
				in = VIPAdded{At: r.now, IP: vip}
			case 8:
				in = VIPRemoved{At: r.now, IP: vip}
			case 9:
				st, rx, _ := ParseFIFOWord([]string{"MASTER", "BACKUP", "FAULT", "STOP", "MASTER_RX_LOWER_PRI"}[arg%5])
				in = KeepalivedEvent{At: r.now, Instance: "GW", State: st, Priority: arg, RxLowerPri: rx}
			case 10:
				in = Abort{Reason: "fuzz"}
			case 11:
				in = LogSeen{At: r.now, Code: api.AdvertSendEPERM, Line: "send advert error 1"}
			case 12:
				in = Advert{At: r.now, Src: p.Local.Addr, SrcMAC: p.Local.MAC, VRID: 51, Priority: arg, Interval: p.AdvertInterval}
			case 13:
				in = Advert{At: r.now, Src: addrD, SrcMAC: macD, VRID: arg, Priority: arg, VIPs: []netip.Addr{vip}}
			case 14:
				// A timer the run started, fired as the daemon would.
				for n := TimerPrecheck; n <= TimerRetry; n++ {
					if _, ok := r.timers[n]; ok && byte(n)%3 == arg%3 {
						delete(r.timers, n)
						in = TimerFired{Name: n}
						break
					}
				}
			case 15:
				in = nil
			}
			r.step(in)
		}
		// Shutdown: abort, then answer everything successfully.
		r.step(Abort{Reason: "shutdown"})
		r.drain()
		if r.finishes != 1 {
			t.Fatalf("%d Finish actions", r.finishes)
		}
		run := r.s.Run()
		if !r.s.Changes().Empty() {
			// Only a restore that gave up may leave changes, and it says so;
			// the journal then lets the next start finish the job.
			found := false
			for _, pr := range run.Problems {
				found = found || pr.Code == api.VerifyRestoreFailed
			}
			if !found || run.Verdict == api.VerdictPass {
				t.Fatalf("changes %+v left without RESTORE_FAILED: %+v", r.s.Changes(), run)
			}
			b, err := MarshalJournal(r.s.Journal())
			if err != nil {
				t.Fatal(err)
			}
			j, err := UnmarshalJournal(b)
			if err != nil {
				t.Fatal(err)
			}
			rs, acts := Recover(j, p, r.now)
			rec := &fuzzRun{t: t, s: rs, now: r.now, timers: map[TimerName]time.Time{}}
			rec.apply(acts)
			rec.drain()
			if !rec.s.Changes().Empty() {
				t.Fatalf("recovery left %+v", rec.s.Changes())
			}
		}
		for _, st := range run.Steps {
			if st.Status == api.StepRunning || st.Status == api.StepPending {
				t.Fatalf("step %s still %s after Finish", st.Name, st.Status)
			}
		}
	})
}

func FuzzJournal(f *testing.F) {
	for _, j := range []Journal{
		{RunID: "r1", Started: t0, Changes: Changes{Demoted: true}},
		{RunID: "20261121-220920-1", Started: t0, Changes: Changes{Paused: true, VIPsRemoved: true}},
		{RunID: "x", Changes: Changes{Promoted: true}},
	} {
		b, err := MarshalJournal(j)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"v":1,"run":"r","started_ms":0,"changes":{}} {}`))
	f.Add([]byte(`{"v":2,"run":"r","started_ms":0,"changes":{}}`))
	f.Add([]byte(`{"v":1,"run":"r","started_ms":0,"changes":{"demoted":true,"rebooted":true}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		in := append([]byte(nil), b...)
		j, err := UnmarshalJournal(b)
		if !bytes.Equal(in, b) {
			t.Fatalf("UnmarshalJournal modified its input")
		}
		if err != nil {
			return
		}
		out, err := MarshalJournal(j)
		if err != nil {
			t.Fatalf("MarshalJournal of a decoded journal: %v", err)
		}
		j2, err := UnmarshalJournal(out)
		if err != nil {
			t.Fatalf("round trip: %v\n%s", err, out)
		}
		if j2.RunID != j.RunID || !j2.Started.Equal(j.Started) || j2.Changes != j.Changes {
			t.Fatalf("round trip: %+v != %+v", j2, j)
		}
	})
}

func TestJournal(t *testing.T) {
	t.Parallel()
	j := Journal{RunID: "r1", Started: time.UnixMilli(1795298950459), Changes: Changes{Paused: true, VIPsRemoved: true}}
	b, err := MarshalJournal(j)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"v":1,"run":"r1","started_ms":1795298950459,"changes":{"paused":true,"vips_removed":true}}` + "\n"
	if string(b) != want {
		t.Errorf("MarshalJournal = %s, want %s", b, want)
	}
	for _, bad := range []string{
		``, `{}`, `null`, `[]`,
		`{"v":1,"run":"","started_ms":0,"changes":{}}`,
		`{"v":2,"run":"r","started_ms":0,"changes":{}}`,
		`{"v":1,"run":"r","started_ms":0,"changes":{}}x`,
		`{"v":1,"run":"r","started_ms":0,"changes":{"demoted":1}}`,
		`{"v":1,"run":"r","started_ms":0,"changes":{},"extra":0}`,
		string(bytes.Repeat([]byte(" "), 5000)),
	} {
		if _, err := UnmarshalJournal([]byte(bad)); err == nil {
			t.Errorf("UnmarshalJournal(%.40q) accepted", bad)
		}
	}
	if _, err := MarshalJournal(Journal{}); err == nil {
		t.Errorf("MarshalJournal accepted an empty run id")
	}
}
