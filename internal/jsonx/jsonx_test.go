package jsonx

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/floatgw/floatgw/internal/api"
)

// replies are the real reply shapes of internal/api, filled with values
// that exercise omitempty, nil and empty slices, escaping and nesting.
func replies() map[string]any {
	probs := []api.Problem{
		{Code: "CFG_VRID", Severity: api.SeverityError, Field: "floatgw.main.vrid", Want: "1-255", Got: "0",
			Detail: "bad <vrid> & \"quotes\"\n\ttab", Evidence: []string{"line\x01one", "ünïcode ✓", "\u2028sep\u2029"},
			Fix: &api.Fix{ID: "set_vrid", Label: "Set VRID", Safe: true}},
		{Code: "X", Severity: api.SeverityInfo},
	}
	return map[string]any{
		"status": api.StatusReply{
			Schema: api.Schema, Now: 1795298950,
			Node: api.Node{Hostname: "r1", Role: api.RolePrimary, State: api.StateMaster, BasePriority: 150,
				EffectivePriority: 100, PriorityReasons: []api.PriorityReason{{Reason: "health", Delta: -50}},
				LAN:  api.LAN{Device: "br-lan", Address: "192.168.77.2/24", MAC: "02:00:00:00:00:01", Up: true},
				VIPs: []string{"192.168.77.1"}, VRID: 51, Version: 3, AdvertIntMs: 1000, Preempt: true},
			Holder:      api.Holder{IP: "192.168.77.1", Self: true, Via: "netlink"},
			Peer:        api.Peer{Seen: true, Address: "192.168.77.3", Priority: 100, State: api.StateBackup, LastAdvertMs: -1},
			Health:      api.Health{State: api.HealthOK, Mode: "basic", Checks: []api.Check{{Name: "gw", Type: "ping", Target: "198.51.100.1", OK: true, LatencyMs: 3, At: 1}}},
			Keepalived:  api.Keepalived{Running: true, ConfigOK: true, Version: "2.2.7"},
			Transitions: []api.Transition{},
			Problems:    probs,
		},
		"status_zero": api.StatusReply{},
		"verify": api.VerifyRun{Schema: 1, ID: "20261121-1", Mode: "soft", Phase: "done", StartedAt: 5,
			Steps:   []api.Step{{Name: "keepalived", Status: api.StepOK, AtMs: 0}, {Name: "demote", Status: api.StepFail, AtMs: 12, Detail: "x"}},
			Verdict: api.VerdictPass, Timings: []api.Timing{{Name: "vip_added", Ms: 1234, BudgetMs: 3600, OK: true}}},
		"doctor": api.DoctorReply{Schema: 1, Problems: probs, Checked: []string{"a", "b"}, Fixed: []api.FixResult{{ID: "f", OK: true}}},
		"scan": api.ScanReply{Schema: 1, Seconds: 3, Routers: []api.ScanRouter{{VRID: 51, Source: "192.168.77.9", VIPs: nil, Conflict: true}},
			FreeVRID: 52},
		"apply":       api.ApplyReply{Schema: 1, DryRun: true, Changes: []api.Change{{Target: "keepalived", Action: "update"}}},
		"switch":      api.SwitchReply{Schema: 1, Until: 99},
		"maintenance": &api.MaintenanceReply{Schema: 1, Maintenance: true},
		"logs":        api.LogsReply{Schema: 1, Lines: []api.LogLine{{At: 1, Source: api.LogKeepalived, Text: "VRRP_Instance(floatgw) Entering MASTER STATE", Code: "K_MASTER"}}},
		"start":       api.VerifyStartReply{Schema: 1, ID: "r", Busy: true},
		"generic": map[string]any{
			"problems": probs, "message": "", "n": 3, "f": 1.5, "neg": -0.0, "big": 1e21, "small": 1e-7,
			"f32": float32(3.14), "nil": nil, "list": []any{true, false, nil, "s", map[string]any{}},
			"addr": netip.MustParseAddr("192.168.77.1"), "prefix": netip.MustParsePrefix("10.0.0.0/8"),
			"zeroaddr": netip.Addr{}, "time": time.Date(2026, 11, 21, 23, 0, 0, 5, time.UTC),
			"bytes": []byte("hi\x00"), "uint": uint64(math.MaxUint64), "ints": map[int]string{2: "b", 10: "a"},
			"arr": [2]int{1, 2}, "ptrnil": (*api.Fix)(nil), "raw": json.RawMessage(` { "a" : [1, 2] } `),
			"bad\xffkey": "bad\xffvalue", "empty": []string{}, "nilslice": []string(nil),
		},
	}
}

// raw maps RawMessage of encoding/json to ours for the comparison.
func toOurs(v any) any {
	if m, ok := v.(map[string]any); ok {
		out := make(map[string]any, len(m))
		for k, e := range m {
			if r, ok := e.(json.RawMessage); ok {
				e = RawMessage(r)
			}
			out[k] = e
		}
		return out
	}
	return v
}

func TestMarshalMatchesEncodingJSON(t *testing.T) {
	for name, v := range replies() {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Marshal(toOurs(v))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("Marshal differs from encoding/json (-want +got):\n%s", diff)
			}
			wantI, _ := json.MarshalIndent(v, "> ", "\t")
			gotI, err := MarshalIndent(toOurs(v), "> ", "\t")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(wantI), string(gotI)); diff != "" {
				t.Errorf("MarshalIndent differs from encoding/json (-want +got):\n%s", diff)
			}
		})
	}
}

type inner struct {
	A int `json:"a"`
	B string
}

type Embedded struct {
	E int `json:"e"`
	A int `json:"a"` // hidden by outer.A (shallower)
}

type outer struct {
	inner `json:"in"`
	*Embedded
	A       int            `json:"a,omitempty"`
	Skip    int            `json:"-"`
	Dash    int            `json:"-,"`
	private int            //nolint:unused
	Ptr     *int           `json:"ptr,omitempty"`
	Iface   any            `json:"iface,omitempty"`
	M       map[string]int `json:"m,omitempty"`
	Auth    textish        `json:"auth"`
	PAuth   *textish       `json:"pauth"`
	Own     selfish        `json:"own"`
}

type textish int

func (x textish) MarshalText() ([]byte, error) { return []byte("T" + strings.Repeat("i", int(x))), nil }

type selfish struct{ N int }

func (s selfish) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]int{"n": s.N})
}

func TestMarshalStructRules(t *testing.T) {
	one := 1
	for name, v := range map[string]any{
		"zero": outer{},
		"full": outer{inner: inner{A: 1, B: "b"}, Embedded: &Embedded{E: 2, A: 3}, A: 4, Skip: 5, Dash: 6,
			Ptr: &one, Iface: []int{1}, M: map[string]int{"z": 1, "a": 2}, Auth: 2, PAuth: new(textish), Own: selfish{7}},
		"ptr":  &outer{A: 9},
		"anon": struct{ Embedded }{Embedded{E: 1}},
	} {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("(-encoding/json +jsonx):\n%s", diff)
			}
		})
	}
}

func TestMarshalErrors(t *testing.T) {
	type withString struct {
		N int `json:"n,string"`
	}
	type cyclic struct{ P *cyclic }
	c := &cyclic{}
	c.P = c
	for name, v := range map[string]any{
		"nan":      math.NaN(),
		"inf":      math.Inf(1),
		"chan":     make(chan int),
		"func":     func() {},
		"string":   withString{},
		"cycle":    c,
		"badraw":   RawMessage(`{"a":`),
		"badnum":   Number("1x"),
		"key":      map[[2]int]int{{1, 2}: 3},
		"badjsonm": badMarshaler{},
	} {
		if b, err := Marshal(v); err == nil {
			t.Errorf("%s: Marshal = %s, want an error", name, b)
		}
	}
}

type badMarshaler struct{}

func (badMarshaler) MarshalJSON() ([]byte, error) { return []byte("{nope"), nil }

func TestUnmarshalGeneric(t *testing.T) {
	var got any
	in := ` {"a": [1, 2.5, -3e2, "x\u00e9\n", true, false, null], "b": {"c": {}}, "big": 12345678901234567890} `
	if err := Unmarshal([]byte(in), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"a":   []any{Number("1"), Number("2.5"), Number("-3e2"), "xé\n", true, false, nil},
		"b":   map[string]any{"c": map[string]any{}},
		"big": Number("12345678901234567890"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The numbers stay exact through a round trip.
	out, err := Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":[1,2.5,-3e2,"xé\n",true,false,null],"b":{"c":{}},"big":12345678901234567890}`; string(out) != want {
		t.Errorf("Marshal = %s, want %s", out, want)
	}
}

// TestUnmarshalMatchesEncodingJSON decodes what encoding/json wrote for
// every reply and compares with what encoding/json decodes.
func TestUnmarshalMatchesEncodingJSON(t *testing.T) {
	targets := map[string]func() any{
		"status":      func() any { return new(api.StatusReply) },
		"status_zero": func() any { return new(api.StatusReply) },
		"verify":      func() any { return new(api.VerifyRun) },
		"doctor":      func() any { return new(api.DoctorReply) },
		"scan":        func() any { return new(api.ScanReply) },
		"apply":       func() any { return new(api.ApplyReply) },
		"switch":      func() any { return new(api.SwitchReply) },
		"maintenance": func() any { return new(api.MaintenanceReply) },
		"logs":        func() any { return new(api.LogsReply) },
		"start":       func() any { return new(api.VerifyStartReply) },
	}
	for name, v := range replies() {
		mk, ok := targets[name]
		if !ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			want, got := mk(), mk()
			if err := json.Unmarshal(b, want); err != nil {
				t.Fatal(err)
			}
			if err := Unmarshal(b, got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-encoding/json +jsonx):\n%s", diff)
			}
		})
	}
}

type decodeTarget struct {
	outer
	Name   string            `json:"name"`
	Addr   netip.Addr        `json:"addr"`
	Pfx    *netip.Prefix     `json:"pfx"`
	When   time.Time         `json:"when"`
	Raw    json.RawMessage   `json:"raw"`
	Ours   RawMessage        `json:"ours"`
	List   []int8            `json:"list"`
	Arr    [2]string         `json:"arr"`
	Bytes  []byte            `json:"bytes"`
	Map    map[string]*inner `json:"map"`
	Any    any               `json:"any"`
	F      float32           `json:"f"`
	U      uint16            `json:"u"`
	Nested struct {
		Deep []map[string]bool `json:"deep"`
	} `json:"nested"`
}

func TestUnmarshalStructs(t *testing.T) {
	in := `{"name":"n\u0041","NAME":"last wins (case-insensitive)","addr":"192.168.77.1","pfx":"10.0.0.0/8",
		"when":"2026-11-21T23:00:00.000000005Z","raw":{"x": [1]},"ours":"aGk=","list":[-128,127],"arr":["a"],
		"bytes":"aGkA","map":{"k":{"a":1,"B":"b"},"nil":null},"any":1,"f":1.5,"u":65535,
		"nested":{"deep":[{"t":true}]},"in":{"a":5},"e":7,"unknown":{"ignored":[1,2]},"ptr":null}`
	var want, got decodeTarget
	if err := json.Unmarshal([]byte(in), &want); err != nil {
		t.Fatal(err)
	}
	if err := Unmarshal([]byte(in), &got); err != nil {
		t.Fatal(err)
	}
	// Differences by design: numbers in interfaces are Number, raw JSON is
	// re-encoded compactly.
	if got.Any != Number("1") {
		t.Errorf("Any = %#v, want Number(1)", got.Any)
	}
	want.Any, got.Any = nil, nil
	if string(got.Raw) != `{"x":[1]}` || string(got.Ours) != `"aGk="` {
		t.Errorf("raw = %s, %s", got.Raw, got.Ours)
	}
	want.Raw, got.Raw, want.Ours, got.Ours = nil, nil, nil, nil
	opts := cmp.Options{cmp.AllowUnexported(decodeTarget{}, outer{}), cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
		cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })}
	if diff := cmp.Diff(want, got, opts); diff != "" {
		t.Errorf("(-encoding/json +jsonx):\n%s", diff)
	}
	if err := UnmarshalStrict([]byte(in), &got); err == nil || !strings.Contains(err.Error(), `"unknown"`) {
		t.Errorf("UnmarshalStrict error = %v, want one naming the unknown member", err)
	}
}

func TestUnmarshalErrors(t *testing.T) {
	var s struct {
		N int8   `json:"n"`
		U uint   `json:"u"`
		S string `json:"s"`
		L []int  `json:"l"`
		B bool   `json:"b"`
		A netip.Addr
		E error `json:"e"`
	}
	for _, in := range []string{
		``, ` `, `{`, `{"n":1}x`, `{"n":1} {}`, `{"n":128}`, `{"n":1.5}`, `{"u":-1}`, `{"s":1}`, `{"l":{}}`,
		`{"b":"true"}`, `{"A":"300.1.1.1"}`, `{"A":1}`, `{"e":{}}`, `{"s":"a` + "\x01" + `"}`, `{"s":"\x"}`, `{"s":"a` + "\x00" + `\b"}`, `["` + "\x1f" + `\u0041"]`,
		`{"n":01}`, `{"n":1.}`, `{"n":NaN}`, `[1,]`, `{"a":1,}`, `'x'`, strings.Repeat("[", 301) + strings.Repeat("]", 301),
		`[1]`, `"s"`,
	} {
		if err := Unmarshal([]byte(in), &s); err == nil {
			t.Errorf("Unmarshal(%.40q) accepted", in)
		}
		var v any
		errX := Unmarshal([]byte(in), &v)
		errJ := json.Unmarshal([]byte(in), &v)
		if (errJ == nil) != (errX == nil) && !strings.HasPrefix(in, "[[[") {
			t.Errorf("generic Unmarshal(%.40q): jsonx %v, encoding/json %v", in, errX, errJ)
		}
	}
	if err := Unmarshal([]byte(`1`), nil); err == nil {
		t.Error("Unmarshal into nil accepted")
	}
	var n int
	if err := Unmarshal([]byte(`1`), n); err == nil {
		t.Error("Unmarshal into a non-pointer accepted")
	}
}

func TestUnmarshalDoesNotAlias(t *testing.T) {
	in := []byte(`{"a":"b\n","c":["d"],"r":{"x":1}}`)
	var m map[string]any
	var r struct {
		R RawMessage `json:"r"`
	}
	if err := Unmarshal(in, &m); err != nil {
		t.Fatal(err)
	}
	if err := Unmarshal(in, &r); err != nil {
		t.Fatal(err)
	}
	orig := append([]byte(nil), in...)
	for i := range in {
		in[i] = 'X'
	}
	if m["a"] != "b\n" || m["c"].([]any)[0] != "d" || string(r.R) != `{"x":1}` {
		t.Errorf("decoded values changed with the input: %v %s", m, r.R)
	}
	_ = orig
}

// TestRawMessageStaysJSON: strings with control characters, quotes,
// invalid UTF-8 and astral characters inside a RawMessage come out as
// JSON that decodes to the same value (the control socket client decodes
// Response.Data again).
func TestRawMessageStaysJSON(t *testing.T) {
	v := map[string]any{"evidence": []string{"a\x01b", "tab\tq\"", "bad\xff", "\U0001F600 \u2028", "\u00ad\x7f"}, "n": 1.5}
	b, err := Marshal(map[string]any{"data": v})
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		Data RawMessage `json:"data"`
	}
	if err := Unmarshal(b, &resp); err != nil {
		t.Fatal(err)
	}
	var got, want any
	if err := Unmarshal(resp.Data, &got); err != nil {
		t.Fatalf("RawMessage %s does not decode: %v", resp.Data, err)
	}
	if err := json.Unmarshal(resp.Data, new(any)); err != nil {
		t.Fatalf("encoding/json refuses RawMessage %s: %v", resp.Data, err)
	}
	inner, _ := Marshal(v)
	if err := Unmarshal(inner, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !bytes.Contains(resp.Data, []byte(`a\u0001b`)) {
		t.Errorf("RawMessage = %s, want the control character as \\u0001", resp.Data)
	}
}

func TestNumber(t *testing.T) {
	if n, err := Number("42").Int64(); err != nil || n != 42 {
		t.Errorf("Int64 = %d, %v", n, err)
	}
	if _, err := Number("4.2").Int64(); err == nil {
		t.Error("Int64 of 4.2 succeeded")
	}
	if f, err := Number("4.2").Float64(); err != nil || f != 4.2 {
		t.Errorf("Float64 = %v, %v", f, err)
	}
	for _, s := range []string{"0", "-0", "1.5e+3", "1E9", "-12.0"} {
		if !validNumber(s) {
			t.Errorf("validNumber(%q) = false", s)
		}
	}
	for _, s := range []string{"", "-", "01", "1.", ".5", "1e", "+1", "0x1", "1 "} {
		if validNumber(s) {
			t.Errorf("validNumber(%q) = true", s)
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	for _, v := range replies() {
		b, err := json.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"method":"status","args":{"seconds":3,"x":[1.5,"\u00e9",null]}}`))
	f.Add([]byte(`"\ud800"`))
	f.Add([]byte(`[1e400, -0, 0.0000001]`))
	f.Add([]byte(`{"a\u0001":"\u0001\u007f\ud83d\ude00"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		in := append([]byte(nil), b...)
		var got any
		err := Unmarshal(b, &got)
		if !bytes.Equal(in, b) {
			t.Fatal("Unmarshal modified its input")
		}
		// encoding/json with UseNumber, plus Unmarshal's trailing-data rule.
		var want any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		errJ := d.Decode(&want)
		if errJ == nil && len(bytes.TrimLeft(b[d.InputOffset():], " \t\r\n")) != 0 {
			errJ = errors.New("trailing data")
		}
		deep := bytes.Count(b, []byte("["))+bytes.Count(b, []byte("{")) > 299
		if (err == nil) != (errJ == nil) {
			if !(deep && err != nil) {
				t.Fatalf("jsonx error %v, encoding/json error %v", err, errJ)
			}
			return
		}
		if err != nil {
			return
		}
		if !bytes.Contains(b, []byte(`\ud`)) && !bytes.Contains(b, []byte(`\uD`)) { // lone surrogates differ (see doc.go)
			if diff := cmp.Diff(fromJSONNumber(want), got); diff != "" {
				t.Fatalf("(-encoding/json +jsonx):\n%s", diff)
			}
		}
		// Raw JSON taken from the input is JSON again, of the same value.
		var raw RawMessage
		if err := Unmarshal(b, &raw); err != nil {
			t.Fatalf("Unmarshal into RawMessage: %v", err)
		}
		var fromRaw any
		if err := Unmarshal(raw, &fromRaw); err != nil {
			t.Fatalf("RawMessage %q does not decode: %v", raw, err)
		}
		if diff := cmp.Diff(got, fromRaw); diff != "" {
			t.Fatalf("RawMessage changed the value (-direct +via raw):\n%s", diff)
		}
		// Our own output decodes back to the same value.
		out, err := Marshal(got)
		if err != nil {
			t.Fatalf("Marshal of a decoded value: %v", err)
		}
		var again any
		if err := Unmarshal(out, &again); err != nil {
			t.Fatalf("Unmarshal of our own output: %v\n%s", err, out)
		}
		out2, err := Marshal(again)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("round trip: %s != %s (%v)", out2, out, err)
		}
	})
}

// fromJSONNumber converts encoding/json's json.Number to Number.
func fromJSONNumber(v any) any {
	switch x := v.(type) {
	case json.Number:
		return Number(x)
	case []any:
		for i := range x {
			x[i] = fromJSONNumber(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = fromJSONNumber(x[k])
		}
	}
	return v
}
