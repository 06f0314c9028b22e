package drift

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// t0 is the fake clock's origin; every scenario time is an offset from it.
var t0 = time.Date(2026, 11, 21, 22, 9, 20, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

const ms = time.Millisecond

// sim drives a run with a fake clock: it executes timers, answers every Op
// with a Done (or an error, or never, as the scenario says), and lets a
// world model react to actions by scheduling inputs, the way keepalived
// and the LAN would.
type sim struct {
	t      testing.TB
	s      State
	now    time.Time
	timers map[TimerName]time.Time
	events []event
	seq    int

	// react is the world: given an action executed at now, the inputs
	// it causes and when.
	react func(a Action, now time.Time) []event
	// opErr decides how an Op ends: nil = success at once; errHang =
	// never answered.
	opErr func(op Op, n int) error

	ops      []Action // every Op, in order
	progress []Action
	finished []Finish
	probes   int
	opCount  map[string]int
	checkOld bool
}

var errHang = errors.New("hang")

type event struct {
	at  time.Time
	in  Input
	seq int
}

func newSim(t testing.TB, p Plan) *sim {
	t.Helper()
	m := &sim{t: t, now: t0, timers: map[TimerName]time.Time{}, opCount: map[string]int{}, checkOld: true}
	s, acts, err := New(p, t0)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	m.s = s
	m.handle(acts)
	return m
}

func (m *sim) schedule(at time.Time, in Input) {
	m.seq++
	m.events = append(m.events, event{at: at, in: in, seq: m.seq})
}

// step feeds one input at m.now and executes the actions.
func (m *sim) step(in Input) {
	m.t.Helper()
	var before State
	var snap string
	if m.checkOld {
		before = m.s
		snap = dump(before)
	}
	s, acts := Step(m.s, in, m.now)
	if m.checkOld {
		if got := dump(before); got != snap {
			m.t.Fatalf("Step modified the State it was given (input %T)", in)
		}
	}
	m.s = s
	m.handle(acts)
}

// dump renders a State deeply, unexported fields included.
func dump(s State) string { return fmt.Sprintf("%+v", deref(reflect.ValueOf(s))) }

func deref(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Ptr:
		if v.IsNil() {
			return nil
		}
		return deref(v.Elem())
	case reflect.Struct:
		out := make([]any, v.NumField())
		for i := range out {
			out[i] = deref(v.Field(i))
		}
		return out
	case reflect.Slice, reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = deref(v.Index(i))
		}
		return out
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return deref(v.Elem())
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint()
	case reflect.String:
		return v.String()
	case reflect.Map:
		return fmt.Sprint(v.Len())
	}
	return v.Kind().String()
}

func (m *sim) handle(acts []Action) {
	m.t.Helper()
	for _, a := range acts {
		if m.s.Finished() && len(m.finished) > 0 {
			if _, ok := a.(Finish); !ok {
				if _, ok := a.(Progress); !ok {
					if _, ok := a.(StopTimer); !ok {
						m.t.Fatalf("action %T after Finish", a)
					}
				}
			}
		}
		switch a := a.(type) {
		case StartTimer:
			if a.After <= 0 {
				m.t.Fatalf("StartTimer %s with %v", a.Name, a.After)
			}
			m.timers[a.Name] = m.now.Add(a.After)
		case StopTimer:
			delete(m.timers, a.Name)
		case Progress:
			m.progress = append(m.progress, a)
		case Finish:
			m.finished = append(m.finished, a)
		case ProbeVIPs:
			m.probes++
		case CollectFacts:
		}
		if m.react != nil {
			for _, e := range m.react(a, m.now) {
				m.schedule(e.at, e.in)
			}
		}
		if op, ok := a.(Op); ok {
			m.ops = append(m.ops, a)
			name := opName(op)
			m.opCount[name]++
			var err error
			if m.opErr != nil {
				err = m.opErr(op, m.opCount[name])
			}
			if err == errHang {
				continue
			}
			// Answer at once (same instant), after the rest of the batch.
			m.schedule(m.now, Done{ID: op.OpID(), At: m.now, Err: err})
		}
	}
}

// runUntil processes events and timers in time order until limit.
func (m *sim) runUntil(limit time.Time) {
	m.t.Helper()
	for i := 0; i < 100000; i++ {
		if m.s.Finished() {
			return
		}
		// Next event or timer.
		sort.SliceStable(m.events, func(i, j int) bool {
			if !m.events[i].at.Equal(m.events[j].at) {
				return m.events[i].at.Before(m.events[j].at)
			}
			return m.events[i].seq < m.events[j].seq
		})
		var tn TimerName
		var tt time.Time
		for n, when := range m.timers {
			if tn == 0 || when.Before(tt) || (when.Equal(tt) && n < tn) {
				tn, tt = n, when
			}
		}
		evFirst := len(m.events) > 0 && (tn == 0 || !m.events[0].at.After(tt))
		switch {
		case evFirst:
			e := m.events[0]
			if e.at.After(limit) {
				return
			}
			m.events = m.events[1:]
			if e.at.After(m.now) {
				m.now = e.at
			}
			m.step(e.in)
		case tn != 0:
			if tt.After(limit) {
				return
			}
			delete(m.timers, tn)
			if tt.After(m.now) {
				m.now = tt
			}
			m.step(TimerFired{Name: tn})
		default:
			return
		}
	}
	m.t.Fatalf("simulation did not settle")
}

func (m *sim) opNames() []string {
	var out []string
	for _, a := range m.ops {
		s := opName(a.(Op))
		if j, ok := a.(SaveJournal); ok {
			s += fmt.Sprintf("%+v", j.J.Changes)
		}
		out = append(out, s)
	}
	return out
}

func (m *sim) finish() Finish {
	m.t.Helper()
	if len(m.finished) != 1 {
		m.t.Fatalf("got %d Finish actions, want 1; phase %s", len(m.finished), m.s.Phase())
	}
	return m.finished[0]
}

func diffOps(t *testing.T, want []string, m *sim) {
	t.Helper()
	if diff := cmp.Diff(want, m.opNames()); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
}
