package health

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Default track-file values: 0 healthy, 1 unhealthy. With a weight-0
// track_file keepalived puts the instance in FAULT on 1 (priority-0
// advert, fastest takeover); with weight W it adds W to the priority
// (PRODUCT.md §3, keepalived-and-peers.md §3).
const (
	DefaultHealthyValue   = 0
	DefaultUnhealthyValue = 1
)

// Options are the Monitor's effects, kept apart from Config (which is
// what the user configured).
type Options struct {
	// TrackFile is the keepalived track_file the verdict is written to;
	// empty means none (status only).
	TrackFile string
	// HealthyValue and UnhealthyValue are written for Up and Down. When
	// both are zero the defaults (0 and 1) apply; otherwise they must
	// differ.
	HealthyValue   int
	UnhealthyValue int
	// OnChange, if set, is called from Run's goroutine after every
	// verdict change (and after the track file was written), with a
	// snapshot. It must return quickly; the next round waits for it.
	OnChange func(Status)
}

// CheckStatus is the latest outcome of one check.
type CheckStatus struct {
	Name     string    `json:"name"` // Check.String()
	Type     CheckType `json:"type"`
	Target   string    `json:"target"`
	Last     Result    `json:"last"`
	At       time.Time `json:"at"` // start of the latest run (zero: never run)
	Runs     uint64    `json:"runs"`
	Failures uint64    `json:"failures"`
}

// Status is a snapshot of a Monitor. It shares no memory with the
// Monitor.
type Status struct {
	Mode          Mode          `json:"mode"`
	Verdict       Verdict       `json:"verdict"`
	Since         time.Time     `json:"since"` // when Verdict last changed (zero: never)
	PassStreak    int           `json:"pass_streak"`
	FailStreak    int           `json:"fail_streak"`
	Fall          int           `json:"fall"`
	Rise          int           `json:"rise"`
	K             int           `json:"k"`
	N             int           `json:"n"`
	Interval      time.Duration `json:"interval"`
	HoldDownUntil time.Time     `json:"hold_down_until"`
	Rounds        uint64        `json:"rounds"`
	LastRound     time.Time     `json:"last_round"` // end of the latest round
	LastPassed    bool          `json:"last_passed"`
	LastPassedN   int           `json:"last_passed_checks"`
	Checks        []CheckStatus `json:"checks"`
	TrackFile     string        `json:"track_file,omitempty"`
	// TrackValue is what the track file held at the Monitor's latest
	// read or write (valid when TrackKnown). The file is read every
	// round once a verdict exists, and rewritten only if it differs.
	TrackValue int    `json:"track_value"`
	TrackKnown bool   `json:"track_known"`
	TrackError string `json:"track_error,omitempty"` // latest write failure, cleared on success
}

// Monitor runs the rounds of checks of one Config, feeds the
// Evaluator and writes the verdict to the track file. Run is called
// once; Status may be called from any goroutine at any time.
type Monitor struct {
	cfg    Config
	opts   Options
	eval   Evaluator
	checks []Check

	running atomic.Bool

	mu     sync.RWMutex
	state  State
	status Status
}

// NewMonitor validates cfg (after WithDefaults) and builds its checks.
func NewMonitor(cfg Config, opts Options) (*Monitor, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.HealthyValue == 0 && opts.UnhealthyValue == 0 {
		opts.HealthyValue, opts.UnhealthyValue = DefaultHealthyValue, DefaultUnhealthyValue
	}
	if opts.HealthyValue == opts.UnhealthyValue {
		return nil, errors.New("health monitor: healthy and unhealthy track values must differ")
	}
	m := &Monitor{cfg: cfg, opts: opts, eval: NewEvaluator(cfg)}
	m.status = Status{
		Mode: cfg.Mode, Fall: cfg.Fall, Rise: cfg.Rise, K: cfg.K, N: cfg.N,
		Interval: cfg.Interval, TrackFile: opts.TrackFile,
	}
	if cfg.Mode == ModeOff {
		m.status.K, m.status.N = 0, 0
		return m, nil
	}
	for i, spec := range cfg.Checks {
		c, err := NewCheck(spec)
		if err != nil {
			return nil, fmt.Errorf("health monitor: check %d: %w", i, err)
		}
		m.checks = append(m.checks, c)
		m.status.Checks = append(m.status.Checks, CheckStatus{Name: c.String(), Type: spec.Type, Target: spec.Target})
	}
	return m, nil
}

// Config returns the defaulted configuration the Monitor runs.
func (m *Monitor) Config() Config {
	c := m.cfg
	c.Checks = append([]CheckSpec(nil), c.Checks...)
	return c
}

// Status returns a snapshot; safe for concurrent use.
func (m *Monitor) Status() Status {
	m.mu.RLock()
	defer m.mu.RUnlock()
	s := m.status
	s.Checks = append([]CheckStatus(nil), m.status.Checks...)
	return s
}

// Run runs rounds until ctx is done: the first at once, then one every
// Interval (a round that overruns skips ticks instead of queueing
// them). The checks of a round run concurrently, each bounded by its
// timeout, and Run waits for all of them before evaluating, so no
// goroutine outlives a round. Run returns nil when ctx is done; it
// leaves the track file as it last wrote it. Track-file write errors
// do not stop it: they are reported in Status.TrackError and retried
// every round. Run must be called at most once.
func (m *Monitor) Run(ctx context.Context) error {
	if !m.running.CompareAndSwap(false, true) {
		return errors.New("health monitor: already running")
	}
	m.loadTrackFile()
	if m.cfg.Mode == ModeOff {
		// Mode off: the node is healthy by definition.
		m.apply(State{Verdict: Up, Since: time.Now()}, nil)
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(m.cfg.Interval)
	defer t.Stop()
	for {
		results, starts := m.round(ctx)
		if ended(ctx) {
			return nil // results of a cancelled round say nothing
		}
		m.evaluate(results, starts)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// ended reports whether ctx is done or past its deadline: a socket
// deadline set from ctx can fire before ctx's own timer marks it done.
func ended(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// round runs every check once, concurrently, and waits for all.
func (m *Monitor) round(ctx context.Context) ([]Result, []time.Time) {
	results := make([]Result, len(m.checks))
	starts := make([]time.Time, len(m.checks))
	var wg sync.WaitGroup
	for i, c := range m.checks {
		wg.Add(1)
		go func(i int, c Check, timeout time.Duration) {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			starts[i] = time.Now()
			results[i] = c.Run(cctx)
		}(i, c, m.cfg.Checks[i].Timeout)
	}
	wg.Wait()
	return results, starts
}

func (m *Monitor) evaluate(results []Result, starts []time.Time) {
	now := time.Now()
	r := Round{Total: len(results)}
	for _, res := range results {
		if res.OK {
			r.Passed++
		}
	}
	m.mu.RLock()
	prev := m.state
	m.mu.RUnlock()
	next := m.eval.Step(prev, r, now)
	m.apply(next, func(s *Status) {
		for i, res := range results {
			cs := &s.Checks[i]
			cs.Last, cs.At = res, starts[i]
			cs.Runs++
			if !res.OK {
				cs.Failures++
			}
		}
		s.LastRound = now
		s.LastPassedN = r.Passed
	})
}

// apply records the new state, brings the track file in line with the
// verdict, and reports a verdict change.
func (m *Monitor) apply(next State, update func(*Status)) {
	m.mu.Lock()
	changed := next.Verdict != m.state.Verdict
	m.state = next
	s := &m.status
	s.Verdict, s.Since = next.Verdict, next.Since
	s.PassStreak, s.FailStreak = next.PassStreak, next.FailStreak
	s.HoldDownUntil, s.Rounds, s.LastPassed = next.HoldDownUntil, next.Rounds, next.LastPassed
	if update != nil {
		update(s)
	}
	want, decided := 0, false
	switch next.Verdict {
	case Up:
		want, decided = m.opts.HealthyValue, true
	case Down:
		want, decided = m.opts.UnhealthyValue, true
	}
	m.mu.Unlock()

	if decided && m.opts.TrackFile != "" {
		m.syncTrackFile(want)
	}
	if changed && m.opts.OnChange != nil {
		m.opts.OnChange(m.Status())
	}
}

// syncTrackFile makes the track file hold want. It reads the file first
// (a few syscalls per round) and writes only when the content differs,
// so keepalived sees an event only for a real change, and a file
// removed or altered behind the Monitor's back is repaired on the next
// round. Only Run's goroutine writes, so nothing races between the
// read and the write within this process.
func (m *Monitor) syncTrackFile(want int) {
	if v, err := ReadTrackFile(m.opts.TrackFile); err == nil && v == want {
		m.mu.Lock()
		m.status.TrackValue, m.status.TrackKnown, m.status.TrackError = v, true, ""
		m.mu.Unlock()
		return
	}
	err := WriteTrackFile(m.opts.TrackFile, want)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.status.TrackError = err.Error()
		return
	}
	m.status.TrackValue, m.status.TrackKnown, m.status.TrackError = want, true, ""
}

// loadTrackFile learns what the track file holds at start (for Status).
func (m *Monitor) loadTrackFile() {
	if m.opts.TrackFile == "" {
		return
	}
	v, err := ReadTrackFile(m.opts.TrackFile)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err == nil {
		m.status.TrackValue, m.status.TrackKnown = v, true
	} else if !errors.Is(err, os.ErrNotExist) {
		m.status.TrackError = err.Error()
	}
}
