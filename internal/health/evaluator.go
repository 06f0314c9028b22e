package health

import (
	"fmt"
	"time"
)

// Verdict is the node's health as the evaluator decides it.
type Verdict int

// Verdicts.
const (
	// Unknown: not yet Fall failed or Rise passed rounds in a row since
	// start. The Monitor writes nothing in this state, so the track
	// file keeps its previous value (or keepalived's init_file).
	Unknown Verdict = iota
	Up              // healthy
	Down            // unhealthy: the node's VRRP priority is lowered
)

// String returns "unknown", "up" or "down".
func (v Verdict) String() string {
	switch v {
	case Unknown:
		return "unknown"
	case Up:
		return "up"
	case Down:
		return "down"
	}
	return fmt.Sprintf("verdict(%d)", int(v))
}

// MarshalText implements encoding.TextMarshaler (JSON for ubus/CLI).
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// Round is what one round of checks produced.
type Round struct {
	Passed int // checks that passed
	Total  int // checks that ran
}

// State is the evaluator's memory between rounds. The zero value is
// the start state (Unknown, no streaks).
type State struct {
	Verdict       Verdict
	Since         time.Time // when Verdict last changed (zero: never)
	PassStreak    int       // consecutive passed rounds, capped at Rise
	FailStreak    int       // consecutive failed rounds, capped at Fall
	HoldDownUntil time.Time // while Down, no Up before this time
	LastPassed    bool      // whether the latest round passed
	Rounds        uint64    // rounds evaluated
}

// Evaluator turns rounds into a verdict: a round passes when at least
// K checks passed; Fall consecutive failed rounds make the node Down,
// Rise consecutive passed rounds make it Up, and once Down it stays
// Down for at least HoldDown. It is a pure value: Step has no side
// effects and is safe for concurrent use.
type Evaluator struct {
	K        int
	Fall     int
	Rise     int
	HoldDown time.Duration
}

// NewEvaluator returns the evaluator of a validated, defaulted Config.
func NewEvaluator(c Config) Evaluator {
	return Evaluator{K: c.K, Fall: c.Fall, Rise: c.Rise, HoldDown: c.HoldDown}
}

// Passed reports whether a round passes the k-of-n rule. A round with
// fewer checks than K fails.
func (e Evaluator) Passed(r Round) bool {
	k := e.K
	if k < 1 {
		k = 1
	}
	return r.Passed >= k && r.Passed <= r.Total
}

// Step returns the state after round r, evaluated at now.
func (e Evaluator) Step(s State, r Round, now time.Time) State {
	fall, rise := max(e.Fall, 1), max(e.Rise, 1)
	s.Rounds++
	s.LastPassed = e.Passed(r)
	if s.LastPassed {
		s.FailStreak = 0
		s.PassStreak = min(s.PassStreak+1, rise)
	} else {
		s.PassStreak = 0
		s.FailStreak = min(s.FailStreak+1, fall)
	}
	switch {
	case s.Verdict != Down && s.FailStreak >= fall:
		s.Verdict = Down
		s.Since = now
		s.HoldDownUntil = now.Add(e.HoldDown)
	case s.Verdict != Up && s.PassStreak >= rise && !now.Before(s.HoldDownUntil):
		s.Verdict = Up
		s.Since = now
		s.HoldDownUntil = time.Time{}
	}
	return s
}
