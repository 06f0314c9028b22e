package labtest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/api"
)

// Health checking moves the VIP (issue 5): both routers run floatgw-rendered keepalived
// configurations; r2 (preferred) loses its upstream (its health check target is blocked inside
// its namespace), the daemon's in-process ping check fails fall × interval later, the health
// track file lowers r2's priority by the weight, and r1 takes over after its
// Master_Down_Interval. Repairing it moves the VIP back after rise × interval plus the preempt.
func TestLabHealthMovesTheVIP(t *testing.T) {
	l := docUp(t)
	status := func(node string) api.StatusReply {
		t.Helper()
		out, err := l.Exec(node, docBin(t), "status", "--json")
		var s api.StatusReply
		if jerr := json.Unmarshal([]byte(out), &s); jerr != nil {
			t.Fatalf("status on %s: %v %v\n%s", node, err, jerr, out)
		}
		return s
	}
	deadline := time.Now().Add(10 * time.Second)
	for status("r2").Health.State != api.HealthOK {
		if time.Now().After(deadline) {
			t.Fatalf("r2's health never became ok: %+v", status("r2").Health)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Lab health settings (scripts/lab): interval 1 s, fall 2, rise 2, timeout 0.5 s, weight
	// 100; advert_int 1 s, r1 priority 100 → Master_Down_Interval 3.61 s (RFC 3768 §6.1).
	start := time.Now()
	docNft(t, l, "r2", "ip", "fgwhealth", "output", "ip daddr 198.51.100.1 drop")
	moved := l.WaitHolder("r1", 15*time.Second)
	t.Logf("VIP on r1 %v after r2's upstream was blocked", moved)
	if budget := 2*time.Second + 500*time.Millisecond + 3610*time.Millisecond + 2*time.Second; time.Since(start) > budget {
		t.Errorf("takeover took %v, budget fall×interval + timeout + Master_Down + 2 s slack = %v", time.Since(start), budget)
	}
	s := status("r2")
	if s.Health.State != api.HealthFailing || s.Node.EffectivePriority != 50 {
		t.Errorf("r2 after the block: health %q, effective priority %d (want failing, 50)", s.Health.State, s.Node.EffectivePriority)
	}
	hasHealth := false
	for _, r := range s.Node.PriorityReasons {
		hasHealth = hasHealth || r.Reason == api.ReasonHealth
	}
	if !hasHealth {
		t.Errorf("r2's priority reasons do not name health: %+v", s.Node.PriorityReasons)
	}

	start = time.Now()
	docNftDelete(l, "r2", "ip", "fgwhealth")
	back := l.WaitHolder("r2", 15*time.Second)
	t.Logf("VIP back on r2 %v after the upstream was repaired", back)
	if budget := 2*time.Second + 500*time.Millisecond + 3*time.Second; time.Since(start) > budget {
		t.Errorf("failback took %v, budget rise×interval + timeout + preempt + slack = %v", time.Since(start), budget)
	}

	// The notify FIFO reported every transition of r2 in order: MASTER → BACKUP → MASTER.
	tr := status("r2").Transitions
	var seq []string
	for _, x := range tr {
		seq = append(seq, x.To)
	}
	n := len(seq)
	if n < 3 || seq[n-3] != api.StateMaster || seq[n-2] != api.StateBackup || seq[n-1] != api.StateMaster {
		t.Errorf("r2 transitions %v, want … MASTER BACKUP MASTER", seq)
	}
	if n >= 2 && tr[n-2].Priority != 50 {
		t.Errorf("r2 became BACKUP at priority %d, want 50 (150 − weight 100)", tr[n-2].Priority)
	}
}
