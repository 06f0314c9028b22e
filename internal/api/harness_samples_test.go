package api

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHarnessSamples keeps the recorded replies the LuCI screenshot harness
// feeds to the real views (luci-app/tests/harness/samples.json) in the
// shape of this package's reply types: unknown members, unknown codes, fix
// ids, steps and vocabulary words all fail.
func TestHarnessSamples(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(luciDir(t), "tests/harness/samples.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	newReply := map[string]func() any{
		"status":        func() any { return new(StatusReply) },
		"verify_status": func() any { return new(VerifyRun) },
		"doctor":        func() any { return new(DoctorReply) },
		"scan":          func() any { return new(ScanReply) },
		"logs":          func() any { return new(LogsReply) },
	}
	for key, msg := range raw {
		method := key[strings.LastIndex(key, ":")+1:]
		mk, ok := newReply[method]
		if !ok {
			t.Errorf("%s: no reply type for method %q", key, method)
			continue
		}
		v := mk()
		dec := json.NewDecoder(bytes.NewReader(msg))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Errorf("%s: does not fit %T: %v", key, v, err)
			continue
		}
		c := sampleChecker{t: t, key: key}
		switch r := v.(type) {
		case *StatusReply:
			c.schema(r.Schema)
			c.word("role", r.Node.Role)
			c.word("vrrp_state", r.Node.State)
			c.word("vrrp_state", r.Peer.State)
			for _, p := range r.Node.PriorityReasons {
				c.word("reason", p.Reason)
			}
			c.word("health_state", r.Health.State)
			c.word("health_mode", r.Health.Mode)
			for _, ch := range r.Health.Checks {
				c.word("check_type", ch.Type)
			}
			for _, tr := range r.Transitions {
				c.word("vrrp_state", tr.From)
				c.word("vrrp_state", tr.To)
				c.word("transition_by", tr.Reason)
			}
			c.problems(r.Problems)
		case *VerifyRun:
			c.schema(r.Schema)
			c.word("verify_mode", r.Mode)
			c.word("verify_phase", r.Phase)
			if r.Verdict != "" {
				c.word("verdict", r.Verdict)
			}
			for _, s := range r.Steps {
				c.step(VerifySteps, s.Name)
				c.word("step_status", s.Status)
			}
			for _, tm := range r.Timings {
				c.step(VerifyTimings, tm.Name)
			}
			c.problems(r.Problems)
		case *DoctorReply:
			c.schema(r.Schema)
			c.problems(r.Problems)
		case *ScanReply:
			c.schema(r.Schema)
		case *LogsReply:
			c.schema(r.Schema)
			for _, l := range r.Lines {
				c.word("log_source", l.Source)
				if l.Code != "" {
					c.code(l.Code)
				}
			}
		}
	}
}

type sampleChecker struct {
	t   *testing.T
	key string
}

func (c sampleChecker) schema(n int) {
	if n != Schema {
		c.t.Errorf("%s: schema %d, want %d", c.key, n, Schema)
	}
}

func (c sampleChecker) word(kind, w string) {
	if !contains(Vocabulary[kind], w) {
		c.t.Errorf("%s: %q is not a %s word", c.key, w, kind)
	}
}

func (c sampleChecker) step(list []StepInfo, name string) {
	for _, s := range list {
		if s.Name == name {
			return
		}
	}
	c.t.Errorf("%s: unknown step or timing %q", c.key, name)
}

func (c sampleChecker) code(code Code) {
	if _, ok := LookupCode(code); !ok {
		c.t.Errorf("%s: unknown code %s", c.key, code)
	}
}

func (c sampleChecker) problems(ps []Problem) {
	for _, p := range ps {
		c.code(p.Code)
		c.word("severity", string(p.Severity))
		if p.Fix != nil {
			f, ok := LookupFix(p.Fix.ID)
			if !ok {
				c.t.Errorf("%s: unknown fix %q", c.key, p.Fix.ID)
			} else if f.Safe != p.Fix.Safe || (f.Code != "" && f.Code != p.Code) {
				c.t.Errorf("%s: fix %s safe=%v for %s, catalogue says safe=%v for %s", c.key, f.ID, p.Fix.Safe, p.Code, f.Safe, f.Code)
			}
		}
	}
}
