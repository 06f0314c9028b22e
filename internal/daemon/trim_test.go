package daemon

import (
	"context"
	"io"
	"testing"

	"github.com/floatgw/floatgw/internal/logx"
)

// A call other than status asks for the memory to be handed back; housekeeping does so only
// when no verification runs, and then forgets the request.
func TestTrimAfterCallsNotDuringRuns(t *testing.T) {
	d := New(Options{Root: t.TempDir()}, logx.New(true, io.Discard, false), "test")
	ctx := context.Background()
	if _, err := d.Call(ctx, "status", nil); err != nil {
		t.Fatal(err)
	}
	if d.trim.Load() {
		t.Fatal("status asked for a trim")
	}
	// The call may fail here (no configuration); it still ran and allocated.
	d.Call(ctx, "doctor", nil)
	if !d.trim.Load() {
		t.Fatal("doctor did not ask for a trim")
	}
	d.mu.Lock()
	d.activeRun = "20261122-000000-abcd"
	d.mu.Unlock()
	d.trimMemory()
	if !d.trim.Load() {
		t.Fatal("trimmed while a verification runs")
	}
	d.mu.Lock()
	d.activeRun = ""
	d.mu.Unlock()
	d.trimMemory()
	if d.trim.Load() {
		t.Fatal("the trim request survived a quiet housekeeping tick")
	}
}
