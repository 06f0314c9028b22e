package api

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/floatgw/floatgw/internal/jsonx"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		method string
		args   map[string]any
		want   map[string]any
		codes  []Code
	}{
		{name: "status no args", method: "status", args: nil, want: map[string]any{}},
		{name: "session arg ignored", method: "status", args: map[string]any{SessionArg: "0123"}, want: map[string]any{}},
		{name: "verify default soft", method: "verify", args: map[string]any{}, want: map[string]any{"mode": "soft"}},
		{name: "verify hard", method: "verify", args: map[string]any{"mode": "hard"}, want: map[string]any{"mode": "hard"}},
		{name: "verify bad mode", method: "verify", args: map[string]any{"mode": "crash"}, codes: []Code{ArgEnum}},
		{name: "verify mode wrong type", method: "verify", args: map[string]any{"mode": true}, codes: []Code{ArgWrongType}},
		{name: "verify_status no id", method: "verify_status", args: map[string]any{}, want: map[string]any{}},
		{name: "verify_status id too long", method: "verify_status",
			args: map[string]any{"id": string(make([]byte, 65))}, codes: []Code{ArgRange}},
		{name: "doctor refuses fix", method: "doctor", args: map[string]any{"fix": true}, codes: []Code{ArgUnknown}},
		{name: "doctor_fix all", method: "doctor_fix", args: map[string]any{}, want: map[string]any{}},
		{name: "scan default", method: "scan", args: map[string]any{}, want: map[string]any{"seconds": int32(5)}},
		{name: "scan json float", method: "scan", args: map[string]any{"seconds": float64(10)}, want: map[string]any{"seconds": int32(10)}},
		{name: "scan json number", method: "scan", args: map[string]any{"seconds": json.Number("60")}, want: map[string]any{"seconds": int32(60)}},
		{name: "scan jsonx number", method: "scan", args: map[string]any{"seconds": jsonx.Number("60")}, want: map[string]any{"seconds": int32(60)}},
		{name: "scan jsonx integral float", method: "scan", args: map[string]any{"seconds": jsonx.Number("6e1")}, want: map[string]any{"seconds": int32(60)}},
		{name: "scan jsonx fraction", method: "scan", args: map[string]any{"seconds": jsonx.Number("1.5")}, codes: []Code{ArgWrongType}},
		{name: "scan jsonx huge", method: "scan", args: map[string]any{"seconds": jsonx.Number("1e300")}, codes: []Code{ArgWrongType}},
		{name: "scan jsonx 61", method: "scan", args: map[string]any{"seconds": jsonx.Number("61")}, codes: []Code{ArgRange}},
		{name: "mode jsonx number", method: "verify", args: map[string]any{"mode": jsonx.Number("1")}, codes: []Code{ArgWrongType}},
		{name: "scan int32", method: "scan", args: map[string]any{"seconds": int32(1)}, want: map[string]any{"seconds": int32(1)}},
		{name: "scan zero", method: "scan", args: map[string]any{"seconds": 0}, codes: []Code{ArgRange}},
		{name: "scan 61", method: "scan", args: map[string]any{"seconds": int64(61)}, codes: []Code{ArgRange}},
		{name: "scan fraction", method: "scan", args: map[string]any{"seconds": 1.5}, codes: []Code{ArgWrongType}},
		{name: "scan string", method: "scan", args: map[string]any{"seconds": "5"}, codes: []Code{ArgWrongType}},
		{name: "scan huge", method: "scan", args: map[string]any{"seconds": uint64(1 << 63)}, codes: []Code{ArgWrongType}},
		{name: "apply default", method: "apply", args: map[string]any{}, want: map[string]any{"dry_run": false}},
		{name: "apply dry", method: "apply", args: map[string]any{"dry_run": true}, want: map[string]any{"dry_run": true}},
		{name: "apply int is not bool", method: "apply", args: map[string]any{"dry_run": 1}, codes: []Code{ArgWrongType}},
		{name: "switch default", method: "switch", args: nil, want: map[string]any{"seconds": int32(300)}},
		{name: "maintenance missing", method: "maintenance", args: map[string]any{}, codes: []Code{ArgMissing}},
		{name: "maintenance null", method: "maintenance", args: map[string]any{"enable": nil}, codes: []Code{ArgMissing}},
		{name: "maintenance on", method: "maintenance", args: map[string]any{"enable": true}, want: map[string]any{"enable": true}},
		{name: "logs table arg wrong", method: "logs", args: map[string]any{"lines": map[string]any{}}, codes: []Code{ArgWrongType}},
		{name: "several problems sorted", method: "logs",
			args: map[string]any{"zeta": 1, "alpha": 2, "lines": 0}, codes: []Code{ArgUnknown, ArgUnknown, ArgRange}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := Lookup(tt.method)
			if !ok {
				t.Fatalf("no method %q", tt.method)
			}
			got, probs := m.Check(tt.args)
			var codes []Code
			for _, p := range probs {
				codes = append(codes, p.Code)
				if p.Field == "" || p.Severity != SeverityError {
					t.Errorf("problem without field or not an error: %+v", p)
				}
			}
			if diff := cmp.Diff(tt.codes, codes); diff != "" {
				t.Errorf("codes (-want +got):\n%s", diff)
			}
			if tt.codes == nil {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("args (-want +got):\n%s", diff)
				}
			} else if got != nil {
				t.Errorf("args returned with problems: %v", got)
			}
		})
	}
}

func TestCheckDoesNotModifyInput(t *testing.T) {
	in := map[string]any{"seconds": float64(7), SessionArg: "x"}
	m, _ := Lookup("scan")
	if _, p := m.Check(in); p != nil {
		t.Fatal(p)
	}
	if diff := cmp.Diff(map[string]any{"seconds": float64(7), SessionArg: "x"}, in); diff != "" {
		t.Errorf("input changed (-want +got):\n%s", diff)
	}
}

func TestCheckFieldNames(t *testing.T) {
	m, _ := Lookup("scan")
	_, p := m.Check(map[string]any{"seconds": 99})
	want := []Problem{{Code: ArgRange, Severity: SeverityError, Field: "scan.seconds", Want: "1–60", Got: "99", Detail: "out of range"}}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

var lowerSnake = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// TestTableInvariants keeps the method table self-consistent: unique
// lower_snake names, known types, defaults of the declared type and inside
// the declared limits, enums only on strings, ranges only on int32.
func TestTableInvariants(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Methods {
		if !lowerSnake.MatchString(m.Name) || seen[m.Name] {
			t.Errorf("method name %q not lower_snake or duplicate", m.Name)
		}
		seen[m.Name] = true
		if m.Access != Read && m.Access != Write {
			t.Errorf("%s: access %q", m.Name, m.Access)
		}
		if m.Help == "" || m.Reply == "" {
			t.Errorf("%s: missing help or reply", m.Name)
		}
		args := map[string]bool{}
		for _, a := range m.Args {
			if !lowerSnake.MatchString(a.Name) || args[a.Name] || a.Name == SessionArg {
				t.Errorf("%s.%s: bad or duplicate name", m.Name, a.Name)
			}
			args[a.Name] = true
			if a.Type.BlobmsgType() == 0 {
				t.Errorf("%s.%s: unknown type %q", m.Name, a.Name, a.Type)
			}
			if a.Help == "" {
				t.Errorf("%s.%s: no help", m.Name, a.Name)
			}
			if len(a.Enum) > 0 && a.Type != TypeString {
				t.Errorf("%s.%s: enum on %s", m.Name, a.Name, a.Type)
			}
			if a.hasRange() && (a.Type != TypeInt32 || a.Min > a.Max) {
				t.Errorf("%s.%s: bad range", m.Name, a.Name)
			}
			if a.Required && a.Default != nil {
				t.Errorf("%s.%s: required with default", m.Name, a.Name)
			}
			if a.Default != nil {
				if _, p := a.check(m.Name+"."+a.Name, a.Default); p != nil {
					t.Errorf("%s.%s: default %v invalid: %+v", m.Name, a.Name, a.Default, p)
				}
				if _, isInt := a.Default.(int); isInt {
					t.Errorf("%s.%s: default must be int32, not int", m.Name, a.Name)
				}
			}
		}
	}
	for _, name := range []string{"status", "verify", "verify_status", "doctor", "doctor_fix", "scan", "apply", "switch", "maintenance", "logs"} {
		if !seen[name] {
			t.Errorf("PRODUCT §4 method %q missing", name)
		}
	}
}

func TestReadMethodsTakeNoWriteArguments(t *testing.T) {
	// A read method must not have an argument that turns it into a change
	// (the ACL cannot see arguments). The known offender would be
	// doctor{fix}; keep the list of read-method arguments explicit.
	allowed := map[string]bool{"verify_status.id": true, "scan.seconds": true, "logs.lines": true}
	for _, m := range Methods {
		if m.Access != Read {
			continue
		}
		for _, a := range m.Args {
			if !allowed[m.Name+"."+a.Name] {
				t.Errorf("read method %s has unexpected argument %s; review whether it can change anything", m.Name, a.Name)
			}
		}
	}
}

var upperSnake = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

func TestCodes(t *testing.T) {
	seen := map[Code]bool{}
	for _, c := range Codes {
		if !upperSnake.MatchString(string(c.Code)) || seen[c.Code] {
			t.Errorf("code %q not UPPER_SNAKE or duplicate", c.Code)
		}
		seen[c.Code] = true
		if c.Meaning == "" {
			t.Errorf("%s: no meaning", c.Code)
		}
		switch c.Severity {
		case SeverityError, SeverityWarning, SeverityInfo:
		default:
			t.Errorf("%s: severity %q", c.Code, c.Severity)
		}
		if got, ok := LookupCode(c.Code); !ok || got != c {
			t.Errorf("LookupCode(%s) = %v, %v", c.Code, got, ok)
		}
	}
	if _, ok := LookupCode("NO_SUCH_CODE"); ok {
		t.Error("LookupCode found an unknown code")
	}
	// Every code Check can produce is in the catalogue.
	for _, c := range []Code{ArgUnknown, ArgMissing, ArgWrongType, ArgRange, ArgEnum} {
		if !seen[c] {
			t.Errorf("argument code %s not in Codes", c)
		}
	}
}

func TestBlobmsgType(t *testing.T) {
	want := map[ArgType]int{TypeArray: 1, TypeTable: 2, TypeString: 3, TypeInt32: 5, TypeBool: 7, "double": 0}
	for typ, n := range want {
		if got := typ.BlobmsgType(); got != n {
			t.Errorf("%s: got %d, want %d", typ, got, n)
		}
	}
}

// TestReplyJSON pins the JSON member names of the reply shapes the LuCI
// views read; renaming a tag breaks the views, so it must break this test.
func TestReplyJSON(t *testing.T) {
	st := StatusReply{Schema: Schema, Node: Node{PriorityReasons: []PriorityReason{{Reason: ReasonHealth, Delta: -50}}}}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	for _, k := range []string{"schema", "node", "vip_holder", "peer", "health", "maintenance", "keepalived", "transitions", "problems"} {
		if _, ok := m[k]; !ok {
			t.Errorf("status reply lacks %q (has %v)", k, keys)
		}
	}
	node := m["node"].(map[string]any)
	for _, k := range []string{"role", "state", "base_priority", "effective_priority", "priority_reasons", "lan", "vips", "vrid"} {
		if _, ok := node[k]; !ok {
			t.Errorf("node lacks %q", k)
		}
	}
}

func TestFixes(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Fixes {
		if f.ID == "" || seen[f.ID] || f.Meaning == "" {
			t.Errorf("fix %q: empty, duplicate or without meaning", f.ID)
		}
		seen[f.ID] = true
		if got, ok := LookupFix(f.ID); !ok || got != f {
			t.Errorf("LookupFix(%s) = %v, %v", f.ID, got, ok)
		}
	}
	if _, ok := LookupFix("no_such_fix"); ok {
		t.Error("LookupFix found an unknown id")
	}
}

// TestSafeFixes: the safe fixes are exactly the five the daemon's
// doctor_fix applies itself, and SafeFixIDs lists them in catalogue order.
func TestSafeFixes(t *testing.T) {
	want := []string{"firewall_vrrp", "keepalived_start", "keepalived_render", "notify_handler", "garp_refresh"}
	var safe []string
	for _, f := range Fixes {
		if f.Safe {
			safe = append(safe, f.ID)
		}
	}
	if diff := cmp.Diff(want, safe); diff != "" {
		t.Errorf("safe fixes in Fixes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, SafeFixIDs); diff != "" {
		t.Errorf("SafeFixIDs (-want +got):\n%s", diff)
	}
	for _, f := range Fixes {
		if f.Code != "" {
			if _, ok := LookupCode(f.Code); !ok {
				t.Errorf("fix %s addresses unknown code %s", f.ID, f.Code)
			}
		}
	}
}

// TestVerifySteps: step names are unique, each phase is a verify_phase
// word, and the phases never go back (the list is in run order).
func TestVerifySteps(t *testing.T) {
	phases := Vocabulary["verify_phase"]
	phaseIndex := func(p string) int {
		for i, w := range phases {
			if w == p {
				return i
			}
		}
		return -1
	}
	for _, list := range [][]StepInfo{VerifySteps, VerifyTimings} {
		seen := map[string]bool{}
		last := 0
		for _, s := range list {
			i := phaseIndex(s.Phase)
			if seen[s.Name] || s.Meaning == "" || i < 0 || i < last {
				t.Errorf("step %s (phase %s): duplicate, no meaning, unknown phase or out of order", s.Name, s.Phase)
			}
			seen[s.Name] = true
			if i > last {
				last = i
			}
		}
	}
	for _, name := range []string{"demote", "promote", "silence_master", "undemote", "unpromote"} {
		found := false
		for _, s := range VerifySteps {
			found = found || s.Name == name
		}
		if !found {
			t.Errorf("VerifySteps lacks %s", name)
		}
	}
}
