package keepalived

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func TestParseFIFOLine(t *testing.T) {
	tests := []struct {
		line string
		want Notification
		err  string
	}{
		{`INSTANCE "GW" BACKUP 150`, Notification{ScopeInstance, "GW", NotifyBackup, 150, true}, ""},
		{"INSTANCE \"GW\" MASTER 150\n", Notification{ScopeInstance, "GW", NotifyMaster, 150, true}, ""},
		{`INSTANCE "GW" MASTER_PRIORITY 50`, Notification{ScopeInstance, "GW", NotifyMasterPriority, 50, true}, ""},
		{`INSTANCE "GW" MASTER_RX_LOWER_PRI 150`, Notification{ScopeInstance, "GW", NotifyMasterRxLowerPri, 150, true}, ""},
		{`INSTANCE "GW" FAULT 0`, Notification{ScopeInstance, "GW", NotifyFault, 0, true}, ""},
		{`INSTANCE "a b" STOP 255`, Notification{ScopeInstance, "a b", NotifyStop, 255, true}, ""},
		{`INSTANCE "q"x" DELETED 1`, Notification{ScopeInstance, `q"x`, NotifyDeleted, 1, true}, ""},
		{`GROUP "G1" MASTER`, Notification{ScopeGroup, "G1", NotifyMaster, 0, false}, ""},
		{`GROUP "G1" FAULT 0`, Notification{ScopeGroup, "G1", NotifyFault, 0, true}, ""},
		{`INSTANCE "GW" NEW_WORD 7`, Notification{ScopeInstance, "GW", "NEW_WORD", 7, true}, ""},
		{``, Notification{}, "no fields"},
		{`INSTANCE`, Notification{}, "no fields"},
		{`VS "x" UP 1`, Notification{}, "unknown scope"},
		{`INSTANCE GW MASTER 1`, Notification{}, "not quoted"},
		{`INSTANCE "" MASTER 1`, Notification{}, "empty or unterminated"},
		{`INSTANCE "GW MASTER 1`, Notification{}, "empty or unterminated"},
		{`INSTANCE "GW"MASTER 1`, Notification{}, "no type"},
		{`INSTANCE "GW" MASTER`, Notification{}, "without priority"},
		{`INSTANCE "GW" MASTER 256`, Notification{}, "not 0..255"},
		{`INSTANCE "GW" MASTER -1`, Notification{}, "not 0..255"},
		{`INSTANCE "GW" MASTER 050`, Notification{}, "not 0..255"},
		{`INSTANCE "GW" MASTER 1 2`, Notification{}, "too many"},
		{`INSTANCE "GW" master 1`, Notification{}, "upper-case"},
		{`INSTANCE "GW"  MASTER 1`, Notification{}, "too many"},
		{`INSTANCE "GW"  1`, Notification{}, "empty or long type"},
		{"INSTANCE \"G\x01W\" MASTER 1", Notification{}, "control character"},
		{`INSTANCE "GW" MASTER 1` + strings.Repeat(" ", MaxFIFOLine), Notification{}, "longer than"},
	}
	for _, tt := range tests {
		got, err := ParseFIFOLine(tt.line)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrBadFIFOLine) {
				t.Errorf("ParseFIFOLine(%q) error = %v, want one containing %q", tt.line, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseFIFOLine(%q): %v", tt.line, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseFIFOLine(%q) (-want +got):\n%s", tt.line, diff)
		}
	}
}

// TestParseFIFOFixtures decodes every line keepalived 2.2.7 really wrote
// and checks the round trip.
func TestParseFIFOFixtures(t *testing.T) {
	dir := samplesDir(t, "fifo")
	files, err := filepath.Glob(filepath.Join(dir, "*.fifo.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in %s: %v", dir, err)
	}
	seen := map[NotifyType]int{}
	for _, f := range files {
		for _, l := range fixtureLines(t, f) {
			_, line, ok := strings.Cut(l, "\t")
			if !ok {
				t.Fatalf("%s: line without tab: %q", f, l)
			}
			n, err := ParseFIFOLine(line)
			if err != nil {
				t.Errorf("%s: %v", filepath.Base(f), err)
				continue
			}
			if n.String() != line {
				t.Errorf("round trip: %q -> %q", line, n.String())
			}
			seen[n.Type]++
		}
	}
	for _, w := range []NotifyType{NotifyBackup, NotifyMaster, NotifyFault, NotifyStop, NotifyMasterPriority, NotifyBackupPriority, NotifyMasterRxLowerPri} {
		if seen[w] == 0 {
			t.Errorf("fixtures never produced %s", w)
		}
	}
}

func TestParseFIFOSequence(t *testing.T) {
	// s1-v2-lifecycle on kaB, as the README documents it.
	dir := samplesDir(t, "fifo")
	var got []string
	for _, l := range fixtureLines(t, filepath.Join(dir, "s1-v2-lifecycle.kaB.fifo.txt"))[:7] {
		_, line, _ := strings.Cut(l, "\t")
		n, err := ParseFIFOLine(line)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(n.Type)+" "+strconv.Itoa(n.Priority))
	}
	want := []string{"BACKUP 150", "MASTER 150", "MASTER_PRIORITY 50", "BACKUP 50", "BACKUP_PRIORITY 150", "MASTER 150", "STOP 150"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(i)) }

func fmtInt(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for i > 0 {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
	}
	return string(b)
}

func FuzzParseFIFOLine(f *testing.F) {
	for _, s := range []string{`INSTANCE "GW" BACKUP 150`, `GROUP "G" MASTER`, `INSTANCE "a"b" MASTER_RX_LOWER_PRI 0`, "INSTANCE \"x\" STOP 9\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		n, err := ParseFIFOLine(line)
		if err != nil {
			return
		}
		enc := n.String()
		n2, err := ParseFIFOLine(enc)
		if err != nil {
			t.Fatalf("re-parse of %q (from %q): %v", enc, line, err)
		}
		if n2 != n {
			t.Fatalf("round trip changed %#v to %#v", n, n2)
		}
	})
}

type recorder struct {
	mu     sync.Mutex
	events []Event
	gone   int
	bad    []string
	ch     chan struct{}
}

func newRecorder() *recorder { return &recorder{ch: make(chan struct{}, 100)} }

func (r *recorder) reader(path string) *FIFOReader {
	return &FIFOReader{
		Path: path,
		OnEvent: func(e Event) {
			r.mu.Lock()
			r.events = append(r.events, e)
			r.mu.Unlock()
			r.ch <- struct{}{}
		},
		OnBadLine: func(line string, _ time.Time, _ error) {
			r.mu.Lock()
			r.bad = append(r.bad, line)
			r.mu.Unlock()
			r.ch <- struct{}{}
		},
		OnWriterGone: func(time.Time) {
			r.mu.Lock()
			r.gone++
			r.mu.Unlock()
			r.ch <- struct{}{}
		},
	}
}

func (r *recorder) wait(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case <-r.ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("timed out waiting for callback %d of %d", i+1, n)
		}
	}
}

// writer opens the FIFO the way keepalived does (O_RDWR|O_NONBLOCK).
func fifoWriter(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func waitForFIFO(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if fi, err := os.Stat(path); err == nil && fi.Mode().Type() == os.ModeNamedPipe {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s was not created", path)
}

// TestFIFOReaderRestarts drives the reader with a writer that behaves like
// keepalived: lines, exit (EOF), a new writer later, lines again.
func TestFIFOReaderRestarts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.fifo")
	rec := newRecorder()
	r := rec.reader(path)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	waitForFIFO(t, path)

	w := fifoWriter(t, path)
	// Two lines in one write plus one split over two writes.
	if _, err := w.WriteString("INSTANCE \"GW\" BACKUP 150\nINSTANCE \"GW\" MASTER 150\nINSTANCE \"GW\" MAS"); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, 2)
	if _, err := w.WriteString("TER_PRIORITY 50\nnot a line\n"); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, 2)
	w.Close() // keepalived exits
	rec.wait(t, 1)

	// Lines written before the reader reopened are not lost: keepalived's
	// O_RDWR open keeps the pipe alive.
	w2 := fifoWriter(t, path)
	if _, err := w2.WriteString("INSTANCE \"GW\" BACKUP 150\n"); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, 1)
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	t.Logf("Run returned %v after cancel", time.Since(start))
	w2.Close()

	rec.mu.Lock()
	defer rec.mu.Unlock()
	var got []string
	for i, e := range rec.events {
		if e.Seq != uint64(i+1) {
			t.Errorf("event %d has Seq %d", i, e.Seq)
		}
		if i > 0 && e.Received.Before(rec.events[i-1].Received) {
			t.Errorf("event %d received before event %d", i, i-1)
		}
		got = append(got, e.String())
	}
	want := []string{`INSTANCE "GW" BACKUP 150`, `INSTANCE "GW" MASTER 150`, `INSTANCE "GW" MASTER_PRIORITY 50`, `INSTANCE "GW" BACKUP 150`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"not a line"}, rec.bad); diff != "" {
		t.Errorf("bad lines (-want +got):\n%s", diff)
	}
	if rec.gone != 1 {
		t.Errorf("OnWriterGone called %d times, want 1", rec.gone)
	}
}

// TestFIFOReaderNoWriter: with no keepalived at all the reader waits
// quietly (no EOF loop) and stops on cancel.
func TestFIFOReaderNoWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.fifo")
	rec := newRecorder()
	r := rec.reader(path)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	waitForFIFO(t, path)
	var before unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &before)
	time.Sleep(300 * time.Millisecond)
	var after unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) * time.Nanosecond
	if cpu > 150*time.Millisecond {
		t.Errorf("reader burnt %v CPU in 300 ms without a writer (spinning?)", cpu)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(rec.events)+rec.gone+len(rec.bad) != 0 {
		t.Errorf("callbacks without a writer: %+v", rec)
	}
}

func TestFIFOReaderNotAFIFO(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plain")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r := &FIFOReader{Path: path, OnEvent: func(Event) {}}
	err := r.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "not a fifo") {
		t.Fatalf("Run = %v, want a not-a-fifo error", err)
	}
}
