package keepalived

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/testenv"
	"github.com/google/go-cmp/cmp"
)

func baseInstance() InstanceSpec {
	return InstanceSpec{
		Name:           "GW",
		Interface:      "lan0",
		VRID:           51,
		Priority:       150,
		AdvertInterval: time.Second,
		VIPs:           []VIP{{Prefix: netip.MustParsePrefix("192.168.77.1/24")}},
		Health:         TrackFile{Path: "/run/floatgw/GW.health", Weight: -100},
		DemotePath:     "/etc/floatgw/GW.demote",
	}
}

func baseSpec() Spec {
	return Spec{
		NotifyFIFO: "/run/floatgw/keepalived.fifo",
		Instances:  []InstanceSpec{baseInstance()},
	}
}

// goldenCases are rendered into testdata/render/<name>.conf and each is
// checked with the real `keepalived -t`.
func goldenCases() map[string]Spec {
	cases := map[string]Spec{}

	cases["minimal"] = baseSpec()

	full := baseSpec()
	full.RouterID = "r2"
	full.StartupDelay = 5 * time.Second
	full.GARP = &GARP{MasterDelay: 5 * time.Second, MasterRepeat: 5, MasterRefresh: 10 * time.Second, MasterRefreshRepeat: 1}
	full.Instances[0].PreemptDelay = 30 * time.Second
	full.Instances[0].AuthPass = "s3cret"
	full.Instances[0].UnicastSource = netip.MustParseAddr("192.168.77.3")
	full.Instances[0].UnicastPeers = []netip.Addr{netip.MustParseAddr("192.168.77.2")}
	cases["v2-unicast-auth-preempt-delay"] = full

	v3 := baseSpec()
	v3.Instances[0].Version = 3
	v3.Instances[0].AdvertInterval = 100 * time.Millisecond
	v3.Instances[0].Priority = 100
	v3.StartupDelay = 1500 * time.Millisecond
	cases["v3-subsecond"] = v3

	np := baseSpec()
	np.Instances[0].NoPreempt = true
	np.Instances[0].Interface = "br-lan"
	np.Instances[0].VIPs = []VIP{
		{Prefix: netip.MustParsePrefix("192.168.1.1/24")},
		{Prefix: netip.MustParsePrefix("10.0.0.1/32"), Device: "lan1"},
	}
	cases["nopreempt-two-vips"] = np

	hp := baseSpec()
	hp.Hotplug = &Hotplug{}
	hp.GARP = &GARP{MasterDelay: 0, MasterRepeat: 3, MasterRefresh: 0, MasterRefreshRepeat: 1}
	cases["openwrt-hotplug"] = hp

	pr := baseSpec()
	pr.Instances[0].PromotePath = "/run/floatgw/GW.promote"
	cases["promote"] = pr

	two := baseSpec()
	second := baseInstance()
	second.Name = "GW6"
	second.VRID = 52
	second.Priority = 100
	second.VIPs = []VIP{{Prefix: netip.MustParsePrefix("192.168.78.1/24"), Device: "lan1"}}
	second.Interface = "lan1"
	// Both instances share the node-wide demotion file (maintenance).
	second.Health.Path = "/run/floatgw/GW6.health"
	two.Instances = append(two.Instances, second)
	two.Instances[1].DemotePath = two.Instances[0].DemotePath
	cases["two-instances-shared-demote"] = two
	return cases
}

func specIfnames(s Spec) []string {
	set := map[string]bool{}
	for _, in := range s.Instances {
		set[in.Interface] = true
		for _, v := range in.VIPs {
			if v.Device != "" {
				set[v.Device] = true
			}
		}
	}
	var out []string
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestRenderGolden(t *testing.T) {
	for name, spec := range goldenCases() {
		t.Run(name, func(t *testing.T) {
			got, err := Render(spec)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			again, _ := Render(spec)
			if !bytes.Equal(got, again) {
				t.Fatal("Render is not deterministic")
			}
			path := filepath.Join("testdata", "render", name+".conf")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("rendered config differs from %s (-want +got):\n%s", path, diff)
			}
			checkTrackRefs(t, got)
		})
	}
}

// checkTrackRefs asserts that every track_file an instance references is
// defined: an undefined one hangs `keepalived -t` (keepalived-samples
// config-test/bad-unknown-track-file).
func checkTrackRefs(t *testing.T, conf []byte) {
	t.Helper()
	defs := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^track_file (\S+) \{`).FindAllSubmatch(conf, -1) {
		defs[string(m[1])] = true
	}
	blocks := regexp.MustCompile(`(?s)\n    track_file \{\n(.*?)\n    \}`).FindAllSubmatch(conf, -1)
	if len(blocks) == 0 {
		t.Fatal("no instance track_file block rendered")
	}
	for _, b := range blocks {
		for _, ref := range strings.Fields(string(b[1])) {
			if !defs[ref] {
				t.Errorf("instance references undefined track_file %q", ref)
			}
		}
	}
}

// TestRenderKeepalivedAccepts runs the real keepalived -t on every golden
// file. keepalived 2.2.7 exits 5 on warnings too, so exit 0 with an empty
// stderr means keepalived took the file without a single complaint.
func TestRenderKeepalivedAccepts(t *testing.T) {
	needKeepalived(t)
	testenv.NeedNetns(t)
	for name, spec := range goldenCases() {
		t.Run(name, func(t *testing.T) {
			conf, err := os.ReadFile(filepath.Join("testdata", "render", name+".conf"))
			if err != nil {
				t.Fatal(err)
			}
			code, stderr := keepalivedTest(t, conf, specIfnames(spec))
			if code != 0 || strings.TrimSpace(stderr) != "" {
				t.Errorf("keepalived -t exit %d, stderr:\n%s", code, stderr)
			}
		})
	}
}

// TestKeepalivedCheckCatchesBadConfig proves the -t harness can fail: the
// same check rejects the samples' broken configs (and survives the hang).
func TestKeepalivedCheckCatchesBadConfig(t *testing.T) {
	needKeepalived(t)
	testenv.NeedNetns(t)
	dir := samplesDir(t, "config-test")
	for _, tc := range []struct {
		file string
		code int
	}{
		{"bad-typo-keyword.conf", 5},
		{"bad-unknown-track-file.conf", -1}, // spins: killed by the timeout
		{"ok-B-base.conf", 0},
	} {
		t.Run(tc.file, func(t *testing.T) {
			conf, err := os.ReadFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if tc.code == -1 && testing.Short() {
				t.Skip("SKIP (-short): the hang case costs the full 10 s timeout")
			}
			code, stderr := keepalivedTest(t, conf, []string{"eth0"})
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
		})
	}
}

func TestRenderRejects(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Spec)
		want string
	}{
		{"no instances", func(s *Spec) { s.Instances = nil }, "at least one vrrp instance"},
		{"no fifo", func(s *Spec) { s.NotifyFIFO = "" }, "notify_fifo: path is required"},
		{"relative fifo", func(s *Spec) { s.NotifyFIFO = "run/x" }, "clean absolute path"},
		{"fifo with space", func(s *Spec) { s.NotifyFIFO = "/run/a b" }, "invalid character"},
		{"fifo with quote", func(s *Spec) { s.NotifyFIFO = `/run/a"b` }, "invalid character"},
		{"bad router id", func(s *Spec) { s.RouterID = "a b" }, "router_id"},
		{"startup delay negative", func(s *Spec) { s.StartupDelay = -time.Second }, "startup_delay"},
		{"garp repeat 0", func(s *Spec) { s.GARP = &GARP{MasterRepeat: 0, MasterRefreshRepeat: 1} }, "master_repeat: must be 1..255"},
		{"garp delay fraction", func(s *Spec) {
			s.GARP = &GARP{MasterDelay: 1500 * time.Millisecond, MasterRepeat: 1, MasterRefreshRepeat: 1}
		}, "master_delay"},
		{"bad name", func(s *Spec) { s.Instances[0].Name = "G W" }, `instance "G W": name`},
		{"empty name", func(s *Spec) { s.Instances[0].Name = "" }, "instance 0: name"},
		{"no interface", func(s *Spec) { s.Instances[0].Interface = "" }, "interface: must be 1..15"},
		{"long interface", func(s *Spec) { s.Instances[0].Interface = "abcdefghijklmnop" }, "interface: must be 1..15"},
		{"slash interface", func(s *Spec) { s.Instances[0].Interface = "a/b" }, "invalid character"},
		{"vrid 0", func(s *Spec) { s.Instances[0].VRID = 0 }, "vrid: must be 1..255, got 0"},
		{"vrid 256", func(s *Spec) { s.Instances[0].VRID = 256 }, "vrid: must be 1..255, got 256"},
		{"priority 0", func(s *Spec) { s.Instances[0].Priority = 0 }, "priority: must be 1..254"},
		{"priority 255", func(s *Spec) { s.Instances[0].Priority = 255 }, "priority: must be 1..254, got 255"},
		{"priority 300", func(s *Spec) { s.Instances[0].Priority = 300 }, "priority"},
		{"version 4", func(s *Spec) { s.Instances[0].Version = 4 }, "version: must be 2 or 3"},
		{"v2 subsecond", func(s *Spec) { s.Instances[0].AdvertInterval = 100 * time.Millisecond }, "VRRPv2 needs whole seconds"},
		{"v2 256s", func(s *Spec) { s.Instances[0].AdvertInterval = 256 * time.Second }, "VRRPv2 needs whole seconds"},
		{"v3 15ms", func(s *Spec) {
			s.Instances[0].Version = 3
			s.Instances[0].AdvertInterval = 15 * time.Millisecond
		}, "multiple of 10ms"},
		{"v3 41s", func(s *Spec) {
			s.Instances[0].Version = 3
			s.Instances[0].AdvertInterval = 41 * time.Second
		}, "multiple of 10ms from 10ms to 40.95s"},
		{"v3 auth", func(s *Spec) {
			s.Instances[0].Version = 3
			s.Instances[0].AuthPass = "x"
		}, "VRRPv3 has no authentication"},
		{"nopreempt with delay", func(s *Spec) {
			s.Instances[0].NoPreempt = true
			s.Instances[0].PreemptDelay = time.Second
		}, "incompatible with nopreempt"},
		{"preempt delay 1001", func(s *Spec) { s.Instances[0].PreemptDelay = 1001 * time.Second }, "preempt_delay: must be 0..1000s"},
		{"auth too long", func(s *Spec) { s.Instances[0].AuthPass = "123456789" }, "at most 8 characters"},
		{"auth space", func(s *Spec) { s.Instances[0].AuthPass = "a b" }, "printable ASCII"},
		{"no vips", func(s *Spec) { s.Instances[0].VIPs = nil }, "at least one virtual address"},
		{"ipv6 vip", func(s *Spec) { s.Instances[0].VIPs = []VIP{{Prefix: netip.MustParsePrefix("fd00::1/64")}} }, "IPv4 address"},
		{"zero vip", func(s *Spec) { s.Instances[0].VIPs = []VIP{{}} }, "IPv4 address"},
		{"dup vip", func(s *Spec) {
			s.Instances[0].VIPs = append(s.Instances[0].VIPs, VIP{Prefix: netip.MustParsePrefix("192.168.77.1/32")})
		}, "listed twice"},
		{"vip bad device", func(s *Spec) { s.Instances[0].VIPs[0].Device = "a b" }, "device"},
		{"peer v6", func(s *Spec) { s.Instances[0].UnicastPeers = []netip.Addr{netip.MustParseAddr("fd00::2")} }, "unicast_peer"},
		{"peer twice", func(s *Spec) {
			p := netip.MustParseAddr("192.168.77.2")
			s.Instances[0].UnicastPeers = []netip.Addr{p, p}
		}, "listed twice"},
		{"peer is vip", func(s *Spec) {
			s.Instances[0].UnicastPeers = []netip.Addr{netip.MustParseAddr("192.168.77.1")}
		}, "also a unicast address"},
		{"src without peers", func(s *Spec) { s.Instances[0].UnicastSource = netip.MustParseAddr("192.168.77.3") }, "without unicast peers"},
		{"no health path", func(s *Spec) { s.Instances[0].Health.Path = "" }, "health track file: path is required"},
		{"health weight 0", func(s *Spec) { s.Instances[0].Health.Weight = 0 }, "weight: must be -254..-1, got 0"},
		{"health weight -255", func(s *Spec) { s.Instances[0].Health.Weight = -255 }, "weight: must be -254..-1"},
		{"no demote path", func(s *Spec) { s.Instances[0].DemotePath = "" }, "demote track file: path is required"},
		{"same track paths", func(s *Spec) { s.Instances[0].DemotePath = s.Instances[0].Health.Path }, "must differ"},
		{"promote same as demote", func(s *Spec) { s.Instances[0].PromotePath = s.Instances[0].DemotePath }, "promote track file: must differ"},
		{"promote relative", func(s *Spec) { s.Instances[0].PromotePath = "promote" }, "promote track file"},
		{"dup name", func(s *Spec) { s.Instances = append(s.Instances, s.Instances[0]) }, "name used twice"},
		{"dup vrid", func(s *Spec) {
			in := baseInstance()
			in.Name = "GW2"
			in.VIPs = []VIP{{Prefix: netip.MustParsePrefix("192.168.77.5/24")}}
			s.Instances = append(s.Instances, in)
		}, `vrid 51 on lan0 already used by instance "GW"`},
		{"vip in two instances", func(s *Spec) {
			in := baseInstance()
			in.Name = "GW2"
			in.VRID = 52
			s.Instances = append(s.Instances, in)
		}, "already belongs to instance"},
		{"hotplug relative", func(s *Spec) { s.Hotplug = &Hotplug{Call: "hotplug-call"} }, "hotplug call"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := baseSpec()
			tt.mod(&s)
			out, err := Render(s)
			if err == nil {
				t.Fatalf("Render accepted it:\n%s", out)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if out != nil {
				t.Error("Render returned output with an error")
			}
		})
	}
}

func TestRenderDoesNotModifySpec(t *testing.T) {
	s := goldenCases()["v2-unicast-auth-preempt-delay"]
	before := s
	before.Instances = append([]InstanceSpec(nil), s.Instances...)
	if _, err := Render(s); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, s, cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
		cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("Render modified its input:\n%s", diff)
	}
}
