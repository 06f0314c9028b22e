package testenv

import (
	"context"
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
