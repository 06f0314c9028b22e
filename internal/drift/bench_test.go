package drift

import (
	"testing"
	"time"
)

// BenchmarkStepAdvert measures one Step of the hot path: an advert from
// the new master while the run observes (clone, record, progress).
func BenchmarkStepAdvert(b *testing.B) {
	s, _, err := New(holderPlan(ModeSoft), t0)
	if err != nil {
		b.Fatal(err)
	}
	s, acts := Step(s, holderFacts(), at(trigger))
	for len(acts) > 0 {
		var next []Action
		for _, a := range acts {
			if op, ok := a.(Op); ok {
				var more []Action
				s, more = Step(s, Done{ID: op.OpID(), At: at(trigger)}, at(trigger))
				next = append(next, more...)
			}
		}
		acts = next
	}
	if s.Phase() != PhaseObserve {
		b.Fatalf("phase %s", s.Phase())
	}
	in := bAdvert(at(trigger+616*time.Millisecond), 100)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Step(s, in, at(trigger+616*time.Millisecond))
	}
}

// BenchmarkSoftHandoverRun measures a whole simulated soft handover run
// (every Step of it, with the sim's bookkeeping but without the purity
// check).
func BenchmarkSoftHandoverRun(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		w := &handoverWorld{}
		m := &sim{t: b, now: t0, timers: map[TimerName]time.Time{}, opCount: map[string]int{}}
		s, acts, err := New(holderPlan(ModeSoft), t0)
		if err != nil {
			b.Fatal(err)
		}
		m.s = s
		m.react = w.react
		m.handle(acts)
		m.schedule(at(trigger), holderFacts())
		m.runUntil(at(5 * time.Minute))
		if !m.s.Finished() {
			b.Fatal("not finished")
		}
	}
}
