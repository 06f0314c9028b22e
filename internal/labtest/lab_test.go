package labtest

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The lab itself: real keepalived in r1 and r2, the preferred router (r2) holds the VIP, a
// graceful stop moves it to r1 within keepalived's Skew_Time as the client sees it, a restart
// moves it back, and `down` leaves nothing behind.
func TestLabFailoverAsTheClientSeesIt(t *testing.T) {
	l := Up(t)
	l.WaitHolder("r2", 10*time.Second)
	if out, err := l.Exec("client", "ping", "-c", "1", "-W", "2", VIP); err != nil {
		t.Fatalf("client cannot reach the VIP: %v\n%s", err, out)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ping := exec.CommandContext(ctx, "ip", "netns", "exec", l.Prefix+"-client", "ping", "-D", "-n", "-i", "0.01", VIP)
	stdout, err := ping.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := ping.Start(); err != nil {
		t.Fatal(err)
	}
	replies := make(chan []float64, 1)
	go func() {
		var ts []float64
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if !strings.Contains(line, "bytes from") || !strings.HasPrefix(line, "[") {
				continue
			}
			end := strings.IndexByte(line, ']')
			if f, err := strconv.ParseFloat(line[1:end], 64); err == nil {
				ts = append(ts, f)
			}
		}
		replies <- ts
	}()

	time.Sleep(500 * time.Millisecond)
	l.Run("keepalived", "r2", "stop")
	moved := l.WaitHolder("r1", 10*time.Second)
	time.Sleep(500 * time.Millisecond)
	cancel()
	_ = ping.Wait()
	ts := <-replies

	var gap float64
	for i := 1; i < len(ts); i++ {
		if d := ts[i] - ts[i-1]; d > gap {
			gap = d
		}
	}
	t.Logf("VIP on r1 %v after stopping r2 (observed by polling); client's longest gap %.0f ms over %d replies", moved, gap*1000, len(ts))
	if len(ts) < 50 {
		t.Fatalf("client got only %d replies from the VIP around the switch", len(ts))
	}
	// A graceful stop sends priority 0: the backup takes over after Skew_Time (≈0.6 s at
	// priority 100, RFC 3768 §6.1), far below Master_Down_Interval (3.6 s).
	if gap > 2.0 {
		t.Errorf("client outage %.0f ms, want well under Master_Down_Interval for a graceful stop", gap*1000)
	}

	l.Run("keepalived", "r2", "start")
	l.WaitHolder("r2", 15*time.Second)

	l.Run("down")
	out, _ := exec.Command("ip", "netns", "list").Output()
	if strings.Contains(string(out), l.Prefix+"-") {
		t.Errorf("namespaces left after down:\n%s", out)
	}
	if _, err := os.Stat(l.State); !os.IsNotExist(err) {
		t.Errorf("state directory %s left after down", l.State)
	}
}

// `up` twice is the same lab: no errors, no duplicate addresses.
func TestLabUpIsIdempotent(t *testing.T) {
	l := Up(t, "--no-keepalived")
	l.Run("up", "--no-keepalived")
	out, err := l.Exec("r1", "ip", "-o", "-4", "addr", "show", "dev", "lan0")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out, "inet "); n != 1 {
		t.Errorf("r1 lan0 has %d IPv4 addresses after two ups, want 1:\n%s", n, out)
	}
	if out, err := l.Exec("client", "ping", "-c", "1", "-W", "2", R1LAN); err != nil {
		t.Errorf("client cannot reach r1: %v\n%s", err, out)
	}
}
