package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Dist summarises repeated measurements: the median and the spread.
type Dist struct {
	N      int       `json:"n"`
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	P25    float64   `json:"p25"`
	P75    float64   `json:"p75"`
	Unit   string    `json:"unit"`
	Raw    []float64 `json:"samples,omitempty"`
}

// summarize returns the distribution of xs; raw keeps the samples (off for
// large sample sets).
func summarize(xs []float64, unit string, raw bool) Dist {
	d := Dist{N: len(xs), Unit: unit}
	if len(xs) == 0 {
		return d
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	d.Min, d.Max = s[0], s[len(s)-1]
	d.Median = quantile(s, 0.5)
	d.P25, d.P75 = quantile(s, 0.25), quantile(s, 0.75)
	if raw {
		d.Raw = append([]float64(nil), xs...)
	}
	return d
}

// quantile interpolates linearly in sorted s.
func quantile(s []float64, q float64) float64 {
	if len(s) == 1 {
		return s[0]
	}
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

// String is "median [min–max] unit (n)".
func (d Dist) String() string {
	if d.N == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%s [%s–%s] %s (n=%d)", num(d.Median), num(d.Min), num(d.Max), d.Unit, d.N)
}

// num prints a figure with a precision that suits its size.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

// ratio is a/b, or NaN when b is zero or either is missing.
func ratio(a, b float64) float64 {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return a / b
}

// pingReply is one echo reply's receive time (ping -D).
type pingReplies []time.Time

// parsePing reads `ping -D` output and returns the receive times of the echo
// replies, in order. Lines that are not replies are skipped.
func parsePing(r io.Reader) (pingReplies, error) {
	var out pingReplies
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "bytes from") || !strings.HasPrefix(line, "[") {
			continue
		}
		end := strings.IndexByte(line, ']')
		if end < 0 {
			continue
		}
		f, err := strconv.ParseFloat(line[1:end], 64)
		if err != nil {
			return nil, fmt.Errorf("ping timestamp %q: %w", line[1:end], err)
		}
		// ping -D prints microseconds; round away the float's error.
		sec, frac := math.Modf(f)
		out = append(out, time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000))
	}
	return out, sc.Err()
}

// longestGap is the longest time without an echo reply that overlaps
// [from, to], measured in full: between two consecutive replies, from
// `from` to the first reply when none came before, or from the last reply
// to `to` (the caller stops pinging at `to`).
func (p pingReplies) longestGap(from, to time.Time) time.Duration {
	var g time.Duration
	var prev time.Time
	for _, t := range p {
		var d time.Duration
		switch {
		case !t.After(from):
		case prev.IsZero():
			end := t
			if end.After(to) {
				end = to
			}
			d = end.Sub(from)
		case prev.Before(to):
			d = t.Sub(prev)
		}
		g = max(g, d)
		prev = t
	}
	switch {
	case prev.IsZero():
		g = max(g, to.Sub(from))
	case prev.Before(to):
		g = max(g, to.Sub(prev))
	}
	return g
}
