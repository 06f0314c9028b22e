package keepalived

import (
	"bufio"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// indexRows reads json/INDEX.md: file -> state, eff. prio, master_priority, vipset.
func indexRows(t *testing.T, dir string) map[string][4]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "INDEX.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string][4]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "|")
		if len(cols) < 10 || !strings.HasSuffix(strings.TrimSpace(cols[1]), ".json") {
			continue
		}
		c := func(i int) string { return strings.TrimSpace(cols[i]) }
		rows[c(1)] = [4]string{c(4), c(6), c(7), c(8)}
	}
	return rows
}

// TestParseJSONFixtures parses every dump keepalived 2.2.7 wrote and
// compares state, priorities and vipset with the fixture index.
func TestParseJSONFixtures(t *testing.T) {
	dir := samplesDir(t, "json")
	rows := indexRows(t, dir)
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != len(rows) || len(files) == 0 {
		t.Fatalf("%d json files but %d index rows", len(files), len(rows))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		st, err := ParseJSONDump(data)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		if len(st) != 1 {
			t.Errorf("%s: %d instances", filepath.Base(f), len(st))
			continue
		}
		s := st[0]
		row := rows[filepath.Base(f)]
		got := [4]string{s.State.String(), strconv.Itoa(s.EffectivePriority), strconv.Itoa(s.MasterPriority), strconv.FormatBool(s.VIPSet)}
		if got != row {
			t.Errorf("%s: got %v, index says %v", filepath.Base(f), got, row)
		}
		if s.Name != "GW" || s.VRID != 51 || s.Interface != "eth0" || len(s.VIPs) != 1 || s.VIPs[0].Set != s.VIPSet {
			t.Errorf("%s: unexpected %+v", filepath.Base(f), s)
		}
		// Every strict prefix of a real dump is a truncated write: it must
		// be rejected, never half-parsed.
		for cut := 0; cut < len(data)-1; cut += 97 {
			if _, err := ParseJSONDump(data[:cut]); err == nil {
				t.Errorf("%s: truncated to %d bytes parsed without error", filepath.Base(f), cut)
			}
		}
	}
}

func TestParseJSONValues(t *testing.T) {
	dir := samplesDir(t, "json")
	data, err := os.ReadFile(filepath.Join(dir, "s1-v3-lifecycle.kaB.MASTER.json"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := ParseJSONDump(data)
	if err != nil {
		t.Fatal(err)
	}
	want := InstanceState{
		Name: "GW", Interface: "eth0", VRID: 51, State: StateMaster, WantState: StateMaster,
		BasePriority: 150, EffectivePriority: 150, MasterPriority: 0,
		LastTransition: time.Unix(1795299032, 160126000), VIPSet: true,
		AdvertInterval: 100 * time.Millisecond, MasterAdvertInterval: 100 * time.Millisecond,
		Version: 3, Accept: true,
		VIPs: []DumpVIP{{Prefix: netip.MustParsePrefix("192.168.77.1/24"), Device: "eth0", Set: true,
			Raw: "192.168.77.1/24 dev eth0 scope global set"}},
		Stats: InstanceStats{AdvertSent: 30, BecomeMaster: 1},
	}
	if diff := cmp.Diff([]InstanceState{want}, st, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// PASS auth: the password is in the file but not in the result.
	data, err = os.ReadFile(filepath.Join(dir, "fx-d1-auth-pass-mismatch.kaB.MASTER.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "secret2") {
		t.Fatal("fixture no longer contains the clear password; test premise gone")
	}
	st, err = ParseJSONDump(data)
	if err != nil {
		t.Fatal(err)
	}
	if st[0].AuthType != 1 || st[0].Stats.AuthFailure != 6 {
		t.Errorf("auth fields: %+v", st[0])
	}
	if strings.Contains(strings.ReplaceAll(cmp.Diff(InstanceState{}, st[0]), " ", ""), "secret2") {
		t.Error("parsed state carries the auth password")
	}

	// Strict mode VIP entry.
	data, _ = os.ReadFile(filepath.Join(dir, "fx-g-vrrp-strict.kaB.MASTER.json"))
	st, err = ParseJSONDump(data)
	if err != nil || !st[0].StrictMode || st[0].Accept || !st[0].VIPs[0].Set {
		t.Errorf("strict: %+v %v", st, err)
	}
}

func TestParseJSONRejects(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{``, "cannot parse"},
		{`{}`, `without "vrrp"`},
		{`{"vrrp":{}}`, "vrrp instances"},
		{`[1]`, "not an object"},
		{`[{"stats":{}}]`, "data: missing"},
		{`[{"data":{"vrid":51,"state":1,"base_priority":1,"effective_priority":1}}]`, "iname: missing"},
		{`[{"data":{"iname":"GW","vrid":256,"state":1,"base_priority":1,"effective_priority":1}}]`, "vrid: 256 out of range"},
		{`[{"data":{"iname":"GW","vrid":5,"state":9,"base_priority":1,"effective_priority":1}}]`, "state: 9 out of range"},
		{`[{"data":{"iname":"GW","vrid":5,"state":1,"base_priority":1.5,"effective_priority":1}}]`, "base_priority: not an integer"},
		{`[{"data":{"iname":7,"vrid":5,"state":1,"base_priority":1,"effective_priority":1}}]`, "iname: not a string"},
		{`[{"data":{"iname":"GW","vrid":5,"state":1,"base_priority":1,"effective_priority":1,"vips":["x"]}}]`, "vips: address"},
		{`[{"data":{"iname":"GW","vrid":5,"state":1,"base_priority":1,"effective_priority":1,"adver_int":-1}}]`, "adver_int"},
		{`[{"data":{"iname":"GW","vrid":5,"state":1,"base_priority":1,"effective_priority":1},"stats":{"advert_rcvd":-1}}]`, "advert_rcvd"},
		{`[{"data":{"iname":"GW","vrid":5,"state":1,"base_priority":1,"effective_priority":1,"vipset":2}}]`, "vipset"},
	} {
		_, err := ParseJSONDump([]byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrBadJSONDump) {
			t.Errorf("ParseJSONDump(%s) = %v, want error containing %q", tc.in, err, tc.want)
		}
	}
	// json_version 2 shape.
	st, err := ParseJSONDump([]byte(`{"vrrp":[{"data":{"iname":"GW","vrid":5,"state":2,"base_priority":9,"effective_priority":9,"vips":["10.0.0.1 dev br-lan scope global"]}}],"track_process":[]}`))
	if err != nil || len(st) != 1 || st[0].State != StateMaster || st[0].VIPs[0].Prefix != netip.MustParsePrefix("10.0.0.1/32") || st[0].VIPs[0].Set {
		t.Errorf("v2 shape: %+v %v", st, err)
	}
}

func FuzzParseJSONDump(f *testing.F) {
	if dir := filepath.Join("..", "..", "..", "shared", "keepalived-samples", "json"); true {
		files, _ := filepath.Glob(filepath.Join(dir, "s*.json"))
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"vrrp":[{"data":{"iname":"GW","vrid":5,"state":2,"base_priority":9,"effective_priority":9}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := append([]byte(nil), data...)
		st, err := ParseJSONDump(data)
		if string(orig) != string(data) {
			t.Fatal("input modified")
		}
		if err != nil {
			return
		}
		for _, s := range st {
			if s.VRID < 1 || s.VRID > 255 || s.State < 0 || s.State > 3 || s.EffectivePriority > 255 {
				t.Fatalf("accepted out-of-range state %+v", s)
			}
		}
		// The result must not alias the input.
		for i := range data {
			data[i] = 'x'
		}
		for _, s := range st {
			if strings.Contains(s.Name, "xxxx") && !strings.Contains(string(orig), "xxxx") {
				t.Fatal("result aliases input")
			}
		}
	})
}
