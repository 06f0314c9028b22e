package health

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestEvaluatorPassed(t *testing.T) {
	tests := []struct {
		k    int
		r    Round
		want bool
	}{
		{k: 1, r: Round{Passed: 0, Total: 3}, want: false},
		{k: 1, r: Round{Passed: 1, Total: 3}, want: true},
		{k: 2, r: Round{Passed: 1, Total: 3}, want: false},
		{k: 2, r: Round{Passed: 2, Total: 3}, want: true},
		{k: 3, r: Round{Passed: 3, Total: 3}, want: true},
		{k: 3, r: Round{Passed: 2, Total: 2}, want: false}, // fewer checks than k
		{k: 0, r: Round{Passed: 1, Total: 1}, want: true},  // k<1 acts as 1
		{k: 0, r: Round{Passed: 0, Total: 0}, want: false},
		{k: 1, r: Round{Passed: 2, Total: 1}, want: false}, // inconsistent round
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("k%d_%d_of_%d", tt.k, tt.r.Passed, tt.r.Total), func(t *testing.T) {
			if got := (Evaluator{K: tt.k}).Passed(tt.r); got != tt.want {
				t.Errorf("Passed = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestEvaluatorStepTable pins single transitions.
func TestEvaluatorStepTable(t *testing.T) {
	e := Evaluator{K: 2, Fall: 3, Rise: 2, HoldDown: 10 * time.Second}
	pass, fail := Round{Passed: 2, Total: 3}, Round{Passed: 1, Total: 3}
	now := t0.Add(time.Minute)
	tests := []struct {
		name string
		in   State
		r    Round
		now  time.Time
		want State
	}{
		{
			name: "start, pass",
			in:   State{}, r: pass, now: now,
			want: State{PassStreak: 1, LastPassed: true, Rounds: 1},
		},
		{
			name: "start, rise reached",
			in:   State{PassStreak: 1, Rounds: 1}, r: pass, now: now,
			want: State{Verdict: Up, Since: now, PassStreak: 2, LastPassed: true, Rounds: 2},
		},
		{
			name: "start, fall reached",
			in:   State{FailStreak: 2, Rounds: 2}, r: fail, now: now,
			want: State{Verdict: Down, Since: now, FailStreak: 3, HoldDownUntil: now.Add(10 * time.Second), Rounds: 3},
		},
		{
			name: "up, one failure",
			in:   State{Verdict: Up, Since: t0, PassStreak: 2}, r: fail, now: now,
			want: State{Verdict: Up, Since: t0, FailStreak: 1, Rounds: 1},
		},
		{
			name: "up, pass keeps streak capped",
			in:   State{Verdict: Up, Since: t0, PassStreak: 2}, r: pass, now: now,
			want: State{Verdict: Up, Since: t0, PassStreak: 2, LastPassed: true, Rounds: 1},
		},
		{
			name: "up, third failure goes down",
			in:   State{Verdict: Up, Since: t0, FailStreak: 2}, r: fail, now: now,
			want: State{Verdict: Down, Since: now, FailStreak: 3, HoldDownUntil: now.Add(10 * time.Second), Rounds: 1},
		},
		{
			name: "down, rise reached inside hold-down stays down",
			in:   State{Verdict: Down, Since: t0, PassStreak: 1, HoldDownUntil: now.Add(time.Second)}, r: pass, now: now,
			want: State{Verdict: Down, Since: t0, PassStreak: 2, HoldDownUntil: now.Add(time.Second), LastPassed: true, Rounds: 1},
		},
		{
			name: "down, rise reached when hold-down ends goes up",
			in:   State{Verdict: Down, Since: t0, PassStreak: 2, HoldDownUntil: now}, r: pass, now: now,
			want: State{Verdict: Up, Since: now, PassStreak: 2, LastPassed: true, Rounds: 1},
		},
		{
			name: "down, failure resets pass streak",
			in:   State{Verdict: Down, Since: t0, PassStreak: 1, FailStreak: 0}, r: fail, now: now,
			want: State{Verdict: Down, Since: t0, FailStreak: 1, Rounds: 1},
		},
		{
			name: "down, failures do not extend hold-down",
			in:   State{Verdict: Down, Since: t0, FailStreak: 3, HoldDownUntil: t0.Add(10 * time.Second)}, r: fail, now: now,
			want: State{Verdict: Down, Since: t0, FailStreak: 3, HoldDownUntil: t0.Add(10 * time.Second), Rounds: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.Step(tt.in, tt.r, tt.now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Step mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// oracle computes the verdict after a whole history directly from the
// definition, independently of Step: scan the rounds, find the last
// moment a run of Fall failures completed (Down) or a run of Rise
// passes completed with the hold-down of the latest Down over.
func oracle(fall, rise int, holdRounds int, hist []bool) Verdict {
	v := Unknown
	downAt := -1
	for i := range hist {
		failRun, passRun := 0, 0
		for j := i; j >= 0 && !hist[j]; j-- {
			failRun++
		}
		for j := i; j >= 0 && hist[j]; j-- {
			passRun++
		}
		switch {
		case v != Down && failRun >= fall:
			v, downAt = Down, i
		case v != Up && passRun >= rise && (downAt < 0 || i-downAt >= holdRounds):
			v = Up
		}
	}
	return v
}

// TestEvaluatorExhaustive runs every pass/fail history up to 10 rounds
// for small fall/rise/hold-down and compares with the oracle, one round
// per second.
func TestEvaluatorExhaustive(t *testing.T) {
	const maxLen = 10
	checked := 0
	for fall := 1; fall <= 3; fall++ {
		for rise := 1; rise <= 3; rise++ {
			for _, hold := range []int{0, 1, 3} {
				e := Evaluator{K: 1, Fall: fall, Rise: rise, HoldDown: time.Duration(hold) * time.Second}
				for n := 1; n <= maxLen; n++ {
					for bits := 0; bits < 1<<n; bits++ {
						hist := make([]bool, n)
						var s State
						for i := range hist {
							hist[i] = bits&(1<<i) != 0
							r := Round{Total: 1}
							if hist[i] {
								r.Passed = 1
							}
							s = e.Step(s, r, t0.Add(time.Duration(i)*time.Second))
						}
						if want := oracle(fall, rise, hold, hist); s.Verdict != want {
							t.Fatalf("fall=%d rise=%d hold=%ds history %v: verdict %v, oracle %v", fall, rise, hold, hist, s.Verdict, want)
						}
						if s.Rounds != uint64(n) {
							t.Fatalf("rounds = %d, want %d", s.Rounds, n)
						}
						checked++
					}
				}
			}
		}
	}
	t.Logf("%d histories checked", checked)
}

func TestVerdictString(t *testing.T) {
	for v, want := range map[Verdict]string{Unknown: "unknown", Up: "up", Down: "down", 7: "verdict(7)"} {
		if got := v.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(v), got, want)
		}
	}
}
