package drift

import (
	"bufio"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/floatgw/floatgw/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestMeasuredTimesWithinBudget checks the budgets against keepalived
// 2.2.7's measured takeovers (keepalived-samples/timing): every measured
// time must be within the budget, and no faster than the protocol allows
// (Expected minus one advert interval, for the paths timed from a
// master's last advert).
func TestMeasuredTimesWithinBudget(t *testing.T) {
	dir := testenv.SharedDir(t, "keepalived-samples", "timing")
	row := regexp.MustCompile(`^(\w+)\s+new-master FIFO MASTER after event \(min/med/max ms\): (\d+)/(\d+)/(\d+)`)
	// In the samples B (150) is the master and A (100) the backup.
	for _, tc := range []struct {
		file string
		v    Version
		ai   time.Duration
	}{
		{"timing-v2.summary.txt", V2, time.Second},
		{"timing-v3.summary.txt", V3, 100 * time.Millisecond},
	} {
		p := Plan{Version: tc.v, AdvertInterval: tc.ai,
			Local: Node{Priority: 150, Preempt: true}, Peer: Node{Priority: 100, Preempt: true}}
		soft := Budgets(p, DirHandover)
		p.Mode = ModeHard
		hard := Budgets(p, DirHandover)
		want := map[string]struct {
			e     Expectation
			lower time.Duration
		}{
			"graceful_stop_B": {soft.Switch, soft.Switch.Expected},
			"sigkill_B":       {hard.Switch, hard.Switch.Expected - tc.ai},
			"isolate_B":       {hard.Switch, hard.Switch.Expected - tc.ai},
			"undemote_B":      {soft.Failback, soft.Failback.Expected - tc.ai},
		}
		f, err := os.Open(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			m := row.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			w, ok := want[m[1]]
			if !ok {
				continue
			}
			seen++
			lo, _ := strconv.Atoi(m[2])
			hi, _ := strconv.Atoi(m[4])
			if time.Duration(hi)*ms > w.e.Budget() {
				t.Errorf("%s %s: measured max %d ms over budget %d ms (%s)", tc.file, m[1], hi, w.e.Budget().Milliseconds(), w.e.Rule)
			}
			if time.Duration(lo)*ms < w.lower {
				t.Errorf("%s %s: measured min %d ms below the protocol's %d ms (%s)", tc.file, m[1], lo, w.lower.Milliseconds(), w.e.Rule)
			}
		}
		f.Close()
		if seen != len(want) {
			t.Errorf("%s: found %d of %d rows", tc.file, seen, len(want))
		}
	}
}

// TestGolden compares the final report of whole scenarios with
// testdata/golden/<name>.json (go test -update rewrites them).
func TestGolden(t *testing.T) {
	scenarios := map[string]func(t *testing.T) *sim{
		"soft-handover-pass": func(t *testing.T) *sim { return runHandover(t, ModeSoft, &handoverWorld{}, holderFacts(), nil) },
		"hard-handover-pass": func(t *testing.T) *sim { return runHandover(t, ModeHard, &handoverWorld{}, holderFacts(), nil) },
		"soft-takeover-pass": func(t *testing.T) *sim { return runTakeover(t, ModeSoft, &takeoverWorld{}, backupFacts(), nil) },
		"peer-keepalived-stopped": func(t *testing.T) *sim {
			return runHandover(t, ModeSoft, &handoverWorld{peerDead: true}, holderFacts(), nil)
		},
		"takeover-split-brain": func(t *testing.T) *sim {
			return runTakeover(t, ModeSoft, &takeoverWorld{peerDeaf: true}, backupFacts(), nil)
		},
		"hard-refused-on-backup": func(t *testing.T) *sim { return runTakeover(t, ModeHard, &takeoverWorld{}, backupFacts(), nil) },
	}
	for name, run := range scenarios {
		name, run := name, run
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m := run(t)
			got, err := json.MarshalIndent(m.finish().Run, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", path, diff)
			}
		})
	}
}
