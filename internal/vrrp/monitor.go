package vrrp

import (
	"context"
	"sync"
	"time"
)

// Monitor is a long-running observer for the daemon: a Listener feeding a
// Tracker, whose state can be read at any time from any goroutine. It is a
// task: NewMonitor opens the sockets (calling thread's namespace), Run reads
// until its context ends.
type Monitor struct {
	l       *Listener
	started time.Time

	mu sync.Mutex
	t  *Tracker
}

// NewMonitor opens a monitor on ifname. fn, if not nil, is called for every
// frame after it has been tracked, on Run's goroutine (the drift verifier
// uses it to time the first advert of a new master); it must not block.
func NewMonitor(ifname string, fn func(Frame)) (*Monitor, error) {
	m := &Monitor{t: NewTracker(), started: time.Now()}
	l, err := NewListener(ifname, func(f Frame) {
		m.mu.Lock()
		m.t.Observe(f)
		m.mu.Unlock()
		if fn != nil {
			fn(f)
		}
	})
	if err != nil {
		return nil, err
	}
	m.l = l
	return m, nil
}

// Run observes until ctx ends (see Listener.Run).
func (m *Monitor) Run(ctx context.Context) error { return m.l.Run(ctx) }

// Close releases the sockets if Run never ran.
func (m *Monitor) Close() error { return m.l.Close() }

// Report returns a ScanReport of everything observed since NewMonitor (or
// since the last Expire), End being now.
func (m *Monitor) Report(own *Own) ScanReport {
	m.mu.Lock()
	r := m.t.Report(own)
	m.mu.Unlock()
	now := time.Now()
	r.Interface, r.Start, r.End = m.l.Interface(), m.started, now
	r.DurationMS = now.Sub(m.started).Milliseconds()
	return r
}

// Sources returns a copy of the tracked sources (see Tracker.Sources).
func (m *Monitor) Sources() []Source {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.t.Sources()
}

// Expire forgets sources and rejections last seen before t; call it
// periodically so that routers that left the segment drop out.
func (m *Monitor) Expire(before time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.t.Expire(before)
}
