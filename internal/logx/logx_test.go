package logx

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestLimit(t *testing.T) {
	var b bytes.Buffer
	l := New(true, &b, false)
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	for i := 0; i < 5; i++ {
		l.Limitf("k", Warning, "check failed %d", i)
	}
	now = now.Add(61 * time.Second)
	l.Limitf("k", Warning, "check failed again")
	out := b.String()
	if n := strings.Count(out, "check failed"); n != 2 {
		t.Fatalf("%d lines written, want 2:\n%s", n, out)
	}
	if !strings.Contains(out, "(4 similar messages suppressed)") {
		t.Errorf("suppression count missing:\n%s", out)
	}
	l.Debugf("hidden")
	if strings.Contains(b.String(), "hidden") {
		t.Error("debug written without debug on")
	}
}
