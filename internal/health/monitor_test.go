package health

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/testenv"
	"github.com/google/go-cmp/cmp"
)

// waitTrack polls path until it holds want and returns when it did.
func waitTrack(t *testing.T, path string, want int, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if v, err := ReadTrackFile(path); err == nil && v == want {
			return time.Now()
		}
		if time.Now().After(deadline) {
			v, err := ReadTrackFile(path)
			t.Fatalf("track file did not become %d within %v (has %d, %v)", want, within, v, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func startMonitor(t *testing.T, cfg Config, opts Options) (*Monitor, func()) {
	t.Helper()
	m, err := NewMonitor(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m, testenv.Start(t, m.Run)
}

type changes struct {
	mu sync.Mutex
	v  []Verdict
}

func (c *changes) add(s Status) { c.mu.Lock(); c.v = append(c.v, s.Verdict); c.mu.Unlock() }
func (c *changes) get() []Verdict {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Verdict(nil), c.v...)
}

// TestMonitorFlips breaks and repairs a loopback TCP target and checks
// the track file, the timing against fall/rise/hold-down, OnChange and
// Status, with readers hammering Status meanwhile (run with -race).
func TestMonitorFlips(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	port := ln.Addr().(*net.TCPAddr).Port
	serve := func(ln net.Listener) {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}
	go serve(ln)

	const interval, fall, rise, hold = 100 * time.Millisecond, 3, 2, 600 * time.Millisecond
	track := filepath.Join(t.TempDir(), "health")
	var ch changes
	m, stop := startMonitor(t, Config{
		Mode: ModeBasic, Interval: interval, Fall: fall, Rise: rise, HoldDown: hold,
		Checks: []CheckSpec{{Type: CheckTCP, Target: "127.0.0.1", Port: port, Timeout: 50 * time.Millisecond}},
	}, Options{TrackFile: track, OnChange: ch.add})

	readers, quit := sync.WaitGroup{}, make(chan struct{})
	for i := 0; i < 4; i++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-quit:
					return
				default:
				}
				s := m.Status()
				if len(s.Checks) != 1 {
					t.Errorf("status has %d checks", len(s.Checks))
					return
				}
				s.Checks[0].Runs = 1 << 60   // must not reach the monitor
				time.Sleep(time.Millisecond) // the machine is shared: read often, not hot
			}
		}()
	}

	upAt := waitTrack(t, track, 0, 2*time.Second)
	s := m.Status()
	if s.Verdict != Up || s.Checks[0].Runs < rise || s.Checks[0].Runs > 1<<59 {
		t.Fatalf("after first up: %+v", s)
	}
	_ = upAt

	ln.Close() // break: connections are now refused
	broke := time.Now()
	downAt := waitTrack(t, track, 1, 3*time.Second)
	// The upper bound has slack for a loaded, shared CI machine; the
	// namespace integration test measures the real figure.
	if d := downAt.Sub(broke); d < (fall-1)*interval || d > fall*interval+500*time.Millisecond {
		t.Errorf("down %v after the break, want between %v and %v", d, (fall-1)*interval, fall*interval+500*time.Millisecond)
	}
	s = m.Status()
	if s.Verdict != Down || s.FailStreak != fall || !strings.Contains(s.Checks[0].Last.Err, "refused") || s.HoldDownUntil.IsZero() {
		t.Errorf("after break: %+v", s)
	}

	ln2, err := net.Listen("tcp4", addr) // repair
	if err != nil {
		t.Fatalf("relisten on %s: %v", addr, err)
	}
	defer ln2.Close()
	go serve(ln2)
	repaired := time.Now()
	upAgain := waitTrack(t, track, 0, 3*time.Second)
	if upAgain.Before(s.HoldDownUntil) {
		t.Errorf("up at %v, before the hold-down ended at %v", upAgain, s.HoldDownUntil)
	}
	if d := upAgain.Sub(repaired); d < (rise-1)*interval {
		t.Errorf("up %v after the repair, want at least %v", d, (rise-1)*interval)
	}
	close(quit)
	readers.Wait()
	stop()
	if diff := cmp.Diff([]Verdict{Up, Down, Up}, ch.get()); diff != "" {
		t.Errorf("OnChange verdicts (-want +got):\n%s", diff)
	}
	s = m.Status()
	if s.TrackValue != 0 || !s.TrackKnown || s.TrackError != "" || s.Checks[0].Failures < fall {
		t.Errorf("final status: %+v", s)
	}
	if entries, _ := os.ReadDir(filepath.Dir(track)); len(entries) != 1 {
		t.Errorf("temp files left beside the track file: %v", entries)
	}
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// TestMonitorKeepsUnchangedFile: a track file that already holds the
// verdict is not rewritten (keepalived sees no event).
func TestMonitorKeepsUnchangedFile(t *testing.T) {
	tcp := startTCP(t, "127.0.0.1:0")
	track := filepath.Join(t.TempDir(), "health")
	if err := WriteTrackFile(track, 0); err != nil {
		t.Fatal(err)
	}
	before := inode(t, track)
	var ch changes
	m, stop := startMonitor(t, Config{
		Interval: 100 * time.Millisecond, Rise: 1,
		Checks: []CheckSpec{{Type: CheckTCP, Target: "127.0.0.1", Port: int(tcp.Addr().Port()), Timeout: 50 * time.Millisecond}},
	}, Options{TrackFile: track, OnChange: ch.add})
	deadline := time.Now().Add(2 * time.Second)
	for m.Status().Rounds < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if got := m.Status(); got.Verdict != Up || got.Rounds < 3 {
		t.Fatalf("status %+v", got)
	}
	if inode(t, track) != before {
		t.Error("track file rewritten although it already held 0")
	}
	if diff := cmp.Diff([]Verdict{Up}, ch.get()); diff != "" {
		t.Errorf("OnChange (-want +got):\n%s", diff)
	}
}

// TestMonitorRepairsTrackFile: a track file removed or altered behind
// the Monitor's back is put right on the next round.
func TestMonitorRepairsTrackFile(t *testing.T) {
	tcp := startTCP(t, "127.0.0.1:0")
	track := filepath.Join(t.TempDir(), "health")
	startMonitor(t, Config{
		Interval: 100 * time.Millisecond, Rise: 1,
		Checks: []CheckSpec{{Type: CheckTCP, Target: "127.0.0.1", Port: int(tcp.Addr().Port()), Timeout: 50 * time.Millisecond}},
	}, Options{TrackFile: track, HealthyValue: 0, UnhealthyValue: -1})
	waitTrack(t, track, 0, 2*time.Second)
	if err := os.Remove(track); err != nil {
		t.Fatal(err)
	}
	waitTrack(t, track, 0, 2*time.Second)
	if err := os.WriteFile(track, []byte("9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitTrack(t, track, 0, 2*time.Second)
}

func TestMonitorKOfN(t *testing.T) {
	tcp := startTCP(t, "127.0.0.1:0")
	checks := []CheckSpec{
		{Type: CheckTCP, Target: "127.0.0.1", Port: int(tcp.Addr().Port()), Timeout: 50 * time.Millisecond},
		{Type: CheckTCP, Target: "127.0.0.1", Port: closedPort(t, "tcp"), Timeout: 50 * time.Millisecond},
	}
	for _, tt := range []struct {
		k    int
		want int
	}{{k: 1, want: 0}, {k: 2, want: 1}} {
		track := filepath.Join(t.TempDir(), "health")
		_, stop := startMonitor(t, Config{Interval: 100 * time.Millisecond, Fall: 1, Rise: 1, K: tt.k, N: 2, Checks: checks}, Options{TrackFile: track})
		waitTrack(t, track, tt.want, 2*time.Second)
		stop()
	}
}

// TestMonitorModeOff: healthy by definition, custom values.
func TestMonitorModeOff(t *testing.T) {
	track := filepath.Join(t.TempDir(), "health")
	m, stop := startMonitor(t, Config{Mode: ModeOff}, Options{TrackFile: track, HealthyValue: 2, UnhealthyValue: 3})
	waitTrack(t, track, 2, time.Second)
	stop()
	if s := m.Status(); s.Verdict != Up || len(s.Checks) != 0 || s.Rounds != 0 {
		t.Errorf("status %+v", s)
	}
}

// TestMonitorWriteRetry: a failing write is reported and retried.
func TestMonitorWriteRetry(t *testing.T) {
	tcp := startTCP(t, "127.0.0.1:0")
	dir := filepath.Join(t.TempDir(), "later")
	track := filepath.Join(dir, "health")
	m, _ := startMonitor(t, Config{
		Interval: 100 * time.Millisecond, Rise: 1,
		Checks: []CheckSpec{{Type: CheckTCP, Target: "127.0.0.1", Port: int(tcp.Addr().Port()), Timeout: 50 * time.Millisecond}},
	}, Options{TrackFile: track})
	deadline := time.Now().Add(2 * time.Second)
	for m.Status().TrackError == "" {
		if time.Now().After(deadline) {
			t.Fatal("no TrackError while the directory is missing")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	waitTrack(t, track, 0, time.Second)
	deadline = time.Now().Add(time.Second)
	for m.Status().TrackError != "" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if s := m.Status(); s.TrackError != "" || !s.TrackKnown {
		t.Errorf("status after repair: %+v", s)
	}
}

// TestMonitorCancelMidRound: cancel while a check is blocked; Run
// returns at once and writes nothing for the cancelled round.
func TestMonitorCancelMidRound(t *testing.T) {
	silent, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	track := filepath.Join(t.TempDir(), "health")
	m, err := NewMonitor(Config{
		Interval: 5 * time.Second, Fall: 1,
		Checks: []CheckSpec{{Type: CheckDNS, Target: "127.0.0.1", Port: silent.LocalAddr().(*net.UDPAddr).Port, Timeout: 4 * time.Second}},
	}, Options{TrackFile: track})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Run returned %v after cancel", d)
	}
	if _, err := os.Stat(track); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("track file written by a cancelled round: %v", err)
	}
	if err := m.Run(context.Background()); err == nil {
		t.Error("second Run accepted")
	}
}

func TestConfigValidate(t *testing.T) {
	ok := CheckSpec{Type: CheckTCP, Target: "192.0.2.1", Port: 443}
	tests := []struct {
		name  string
		cfg   Config
		field string
	}{
		{name: "defaults", cfg: Config{Checks: []CheckSpec{ok}}},
		{name: "off without checks", cfg: Config{Mode: ModeOff}},
		{name: "mode", cfg: Config{Mode: "on", Checks: []CheckSpec{ok}}, field: "mode"},
		{name: "interval", cfg: Config{Interval: time.Millisecond, Checks: []CheckSpec{ok}}, field: "interval"},
		{name: "fall", cfg: Config{Fall: -1, Checks: []CheckSpec{ok}}, field: "fall"},
		{name: "rise", cfg: Config{Rise: 101, Checks: []CheckSpec{ok}}, field: "rise"},
		{name: "hold", cfg: Config{HoldDown: -time.Second, Checks: []CheckSpec{ok}}, field: "hold_down"},
		{name: "no checks", cfg: Config{}, field: "checks"},
		{name: "n", cfg: Config{N: 3, Checks: []CheckSpec{ok, ok}}, field: "n"},
		{name: "k", cfg: Config{K: 3, Checks: []CheckSpec{ok, ok}}, field: "k"},
		{name: "timeout above interval", cfg: Config{Interval: time.Second, Checks: []CheckSpec{ok, {Type: CheckPing, Target: "192.0.2.1", Timeout: 2 * time.Second}}}, field: "checks[1].timeout"},
		{name: "check type", cfg: Config{Checks: []CheckSpec{{Type: "smtp", Target: "192.0.2.1"}}}, field: "checks[0].type"},
		{name: "dns resolver name", cfg: Config{Checks: []CheckSpec{{Type: CheckDNS, Target: "dns.lab"}}}, field: "checks[0].target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.WithDefaults().Validate()
			var fe *FieldError
			switch {
			case tt.field == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field):
				t.Errorf("error %v, want one for field %q", err, tt.field)
			}
		})
	}
	d := Config{Checks: []CheckSpec{{Type: CheckDNS, Target: "192.0.2.53"}, {Type: CheckHTTP, Target: "192.0.2.1"}}}.WithDefaults()
	want := Config{Mode: ModeBasic, Interval: DefaultInterval, Fall: DefaultFall, Rise: DefaultRise, K: 2, N: 2, Checks: []CheckSpec{
		{Type: CheckDNS, Target: "192.0.2.53", Port: 53, Name: ".", Timeout: DefaultTimeout},
		{Type: CheckHTTP, Target: "192.0.2.1", Port: 80, Path: "/", Timeout: DefaultTimeout},
	}}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("WithDefaults (-want +got):\n%s", diff)
	}
	if got := (&FieldError{"k", "must be between 1 and 2", "3"}).Error(); got != `health.k: must be between 1 and 2, got "3"` {
		t.Errorf("FieldError text %q", got)
	}
}

func TestTrackFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "t")
	for _, v := range []int{0, 1, -100, 253} {
		if err := WriteTrackFile(p, v); err != nil {
			t.Fatal(err)
		}
		got, err := ReadTrackFile(p)
		if err != nil || got != v {
			t.Errorf("read back %d, %v; want %d", got, err, v)
		}
	}
	for content, want := range map[string]int{"7": 7, " 12 junk\n": 12, "-3\n": -3} {
		os.WriteFile(p, []byte(content), 0o644)
		if got, err := ReadTrackFile(p); err != nil || got != want {
			t.Errorf("ReadTrackFile(%q) = %d, %v; want %d", content, got, err, want)
		}
	}
	os.WriteFile(p, []byte("x"), 0o644)
	if _, err := ReadTrackFile(p); err == nil {
		t.Error("no error for a file without an integer")
	}
	if err := WriteTrackFile(filepath.Join(dir, "missing", "t"), 1); err == nil {
		t.Error("no error for a missing directory")
	}
}
