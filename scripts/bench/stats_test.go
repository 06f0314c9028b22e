package main

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want Dist
	}{
		{"empty", nil, Dist{Unit: "ms"}},
		{"one", []float64{7}, Dist{N: 1, Median: 7, Min: 7, Max: 7, P25: 7, P75: 7, Unit: "ms"}},
		{"odd", []float64{5, 1, 3}, Dist{N: 3, Median: 3, Min: 1, Max: 5, P25: 2, P75: 4, Unit: "ms"}},
		{"even", []float64{4, 1, 2, 3}, Dist{N: 4, Median: 2.5, Min: 1, Max: 4, P25: 1.75, P75: 3.25, Unit: "ms"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, summarize(tt.in, "ms", false)); diff != "" {
				t.Errorf("summarize(%v) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestRatio(t *testing.T) {
	if r := ratio(3, 2); r != 1.5 {
		t.Errorf("ratio(3, 2) = %v", r)
	}
	if r := ratio(3, 0); !math.IsNaN(r) {
		t.Errorf("ratio(3, 0) = %v, want NaN", r)
	}
}

const pingOut = `PING 192.168.77.1 (192.168.77.1) 56(84) bytes of data.
[1000.000000] 64 bytes from 192.168.77.1: icmp_seq=1 ttl=64 time=0.05 ms
[1000.010000] 64 bytes from 192.168.77.1: icmp_seq=2 ttl=64 time=0.05 ms
[1000.620000] 64 bytes from 192.168.77.1: icmp_seq=63 ttl=64 time=0.05 ms
[1000.630000] 64 bytes from 192.168.77.1: icmp_seq=64 ttl=64 time=0.05 ms
[1003.000000] 64 bytes from 192.168.77.1: icmp_seq=300 ttl=64 time=0.05 ms
From 192.168.77.100 icmp_seq=301 Destination Host Unreachable

--- 192.168.77.1 ping statistics ---
`

func at(s float64) time.Time {
	sec, frac := math.Modf(s)
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000)
}

func TestLongestGap(t *testing.T) {
	p, err := parsePing(strings.NewReader(pingOut))
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 5 {
		t.Fatalf("parsed %d replies, want 5", len(p))
	}
	tests := []struct {
		name     string
		from, to float64
		want     time.Duration
	}{
		{"switch", 1000.005, 1000.625, 610 * time.Millisecond},
		{"no gap", 1000.0, 1000.01, 10 * time.Millisecond},
		{"window before the first reply", 999.5, 1000.01, 500 * time.Millisecond},
		{"gap begun before the window", 1000.5, 1000.625, 610 * time.Millisecond},
		{"gap overlapping the end", 1000.625, 1001, 2370 * time.Millisecond},
		{"tail without replies", 1003.0, 1003.5, 500 * time.Millisecond},
		{"no reply since long before", 2000, 2001, 998 * time.Second},
		{"empty window before every reply", 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.longestGap(at(tt.from), at(tt.to)).Round(time.Millisecond)
			if got != tt.want {
				t.Errorf("longestGap(%v, %v) = %v, want %v", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

func TestParsePingBadStamp(t *testing.T) {
	if _, err := parsePing(strings.NewReader("[12x] 64 bytes from 1.2.3.4: icmp_seq=1\n")); err == nil {
		t.Fatal("a malformed timestamp was accepted")
	}
}
