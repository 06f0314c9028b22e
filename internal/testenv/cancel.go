package testenv

import (
	"context"
	"sync"
	"testing"
	"time"
)

// StopAfterCancel checks a task's Run(ctx) error contract: it starts run
// in a goroutine, lets it work for settle, cancels its context and waits
// up to 1 s for it to return. It fails the test when run returns an
// error or ignores the cancel, and otherwise returns the time from the
// cancel to run's return.
func StopAfterCancel(t testing.TB, settle time.Duration, run func(context.Context) error) time.Duration {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	time.Sleep(settle)
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Second):
		t.Fatal("Run ignored cancel")
	}
	return time.Since(start)
}

// Start runs a task's Run(ctx) error in a goroutine until the returned
// stop is called or the test ends, whichever comes first. stop cancels
// the context and waits up to 2 s for run to return; an error from run,
// or run ignoring the cancel, is reported with t.Error (the test goes
// on). stop is idempotent and safe to call from several goroutines.
func Start(t testing.TB, run func(context.Context) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(2 * time.Second):
				t.Error("Run did not return within 2 s of cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}
