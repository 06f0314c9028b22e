package labtest

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/api"
)

// `floatgw scan --json` through the daemon (issue 7): r1, r2 and a foreign router on the same
// VRID with another VIP. The library-level test in internal/vrrp compares the same scan with
// tcpdump's capture; this one checks what the CLI reports.
func TestLabScanThroughTheDaemon(t *testing.T) {
	l := docUp(t, "--foreign")
	// A VRRP backup is silent, so every router is heard only if each is master for a while:
	// 1.5 s into the scan r2 stops (priority-0 advert), and r1 (100) and the foreign router
	// (120) take over their VIP sets; r2 starts again after the scan.
	type res struct {
		out string
		err error
	}
	done := make(chan res, 1)
	go func() {
		out, err := l.Exec("r1", docBin(t), "scan", "--seconds", "6", "--json")
		done <- res{out, err}
	}()
	time.Sleep(1500 * time.Millisecond)
	l.Run("keepalived", "r2", "stop")
	rr := <-done
	l.Run("keepalived", "r2", "start")
	out, err := rr.out, rr.err
	var r api.ScanReply
	if jerr := json.Unmarshal([]byte(out), &r); jerr != nil {
		t.Fatalf("scan: %v %v\n%s", err, jerr, out)
	}
	var got []string
	var foreign *api.ScanRouter
	for i, x := range r.Routers {
		got = append(got, x.Source)
		if x.Source == "192.168.77.9" {
			foreign = &r.Routers[i]
		}
	}
	sort.Strings(got)
	t.Logf("scan heard %v", got)
	if foreign == nil {
		t.Fatalf("the foreign router 192.168.77.9 was not heard: %s", out)
	}
	if !foreign.Conflict || foreign.VRID != 51 || strings.Join(foreign.VIPs, ",") != "192.168.77.254" {
		t.Errorf("foreign router: %+v, want a conflict on VRID 51 with VIP 192.168.77.254", *foreign)
	}
	want := []string{"192.168.77.2", "192.168.77.3", "192.168.77.9"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("sources %v, want %v", got, want)
	}
	for _, x := range r.Routers {
		switch x.Source {
		case "192.168.77.3":
			if x.Conflict || !x.Peer {
				t.Errorf("r2 is our peer, not a conflict: %+v", x)
			}
		case "192.168.77.2":
			if !x.Self {
				t.Errorf("r1's own adverts are not marked self: %+v", x)
			}
		}
	}
	if r.FreeVRID == 0 || r.FreeVRID == 51 {
		t.Errorf("free VRID %d", r.FreeVRID)
	}
	if err == nil {
		t.Error("scan exited 0 although it found a conflict (want exit 1)")
	}
}
