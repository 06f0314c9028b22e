package config

import (
	"bytes"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/floatgw/floatgw/uci"
)

var lanEnv = Env{
	LANDevice: "br-lan",
	LANAddrs:  []netip.Prefix{netip.MustParsePrefix("192.168.1.2/24"), netip.MustParsePrefix("192.168.1.200/24")},
}

func mustPkg(t *testing.T, text string) *uci.Package {
	t.Helper()
	p, err := uci.Parse("floatgw", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReferenceCopiesIdentical(t *testing.T) {
	a, err := os.ReadFile("testdata/floatgw.reference")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("floatgw.conf")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("floatgw.conf and testdata/floatgw.reference differ; keep them identical (cp testdata/floatgw.reference floatgw.conf)")
	}
}

func TestReferenceParses(t *testing.T) {
	src, err := os.ReadFile("testdata/floatgw.reference")
	if err != nil {
		t.Fatal(err)
	}
	p := mustPkg(t, string(src))
	c, err := Parse(p, lanEnv)
	if err != nil {
		t.Fatalf("shipped config does not parse: %v", err)
	}
	if c.Enabled {
		t.Error("the shipped config must be disabled")
	}
	// also as it will be used: enabled, on a fresh box without a LAN
	// address it must fail loudly, and with one it must parse fully
	if err := p.Set("main", "enabled", "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(p, Env{}); err == nil {
		t.Error("enabled config without a LAN device parsed")
	}
	c, err = Parse(p, lanEnv)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Enabled:   true,
		Role:      RoleSecondary,
		Priority:  100,
		LAN:       "lan",
		Device:    "br-lan",
		Address:   netip.MustParsePrefix("192.168.1.2/24"),
		VIPs:      []netip.Prefix{netip.MustParsePrefix("192.168.1.254/24")},
		VRID:      51,
		Version:   2,
		AdvertInt: time.Second,
		Preempt:   true,
		GARP:      GARP{MasterDelay: 5 * time.Second, MasterRepeat: 5, MasterRefresh: 10 * time.Second, MasterRefreshRepeat: 1},
		Firewall:  true,
		Health: Health{
			Mode: HealthInternet, Interval: 2 * time.Second, Fall: 3, Rise: 2, K: 1, N: 2,
			HoldDown: 10 * time.Second, Weight: 100,
			Checks: []Check{
				{Section: "ping_dns1", Type: CheckPing, Target: "223.5.5.5", Timeout: time.Second},
				{Section: "dns_resolver", Type: CheckDNS, Target: "119.29.29.29", Timeout: 1500 * time.Millisecond, Port: 53, Name: "www.qq.com"},
			},
		},
	}
	if diff := cmp.Diff(want, c, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("reference config (-want +got):\n%s", diff)
	}
}

func TestMinimal(t *testing.T) {
	c, err := Parse(mustPkg(t, Minimal), lanEnv)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Enabled || c.Priority != DefaultPriorityPrimary || c.Health.Mode != HealthOff || len(c.VIPs) != 1 {
		t.Fatalf("unexpected minimal config %+v", c)
	}
}

func TestPlainLinuxExplicitLAN(t *testing.T) {
	c, err := Parse(mustPkg(t, "config floatgw 'main'\n\toption lan_device 'eth1'\n\toption lan_address '10.0.0.3/16'\n\tlist vip '10.0.0.1'\n\tlist peer '10.0.0.2'\n"), Env{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Device != "eth1" || c.LAN != "" || c.VIPs[0] != netip.MustParsePrefix("10.0.0.1/16") || c.Peers[0] != netip.MustParseAddr("10.0.0.2") {
		t.Fatalf("got %+v", c)
	}
}

// TestRejected checks every rule with its exact message. Each case adds
// lines to a valid base config.
func TestRejected(t *testing.T) {
	base := "config floatgw 'main'\n\tlist vip '192.168.1.254'\n"
	tests := []struct {
		name  string
		extra string // appended to the main section
		tail  string // appended after it (other sections)
		env   *Env
		want  []string
	}{
		{"vrid range", "\toption vrid '300'\n", "", nil, []string{`floatgw.main.vrid: must be 1–255, got "300"`}},
		{"vrid not a number", "\toption vrid 'x1'\n", "", nil, []string{`floatgw.main.vrid: must be 1–255, got "x1"`}},
		{"priority", "\toption priority '255'\n", "", nil, []string{`floatgw.main.priority: must be 1–254, got "255"`}},
		{"role", "\toption role 'master'\n", "", nil, []string{`floatgw.main.role: must be primary or secondary, got "master"`}},
		{"bool", "\toption preempt 'maybe'\n", "", nil, []string{`floatgw.main.preempt: must be 0 or 1, got "maybe"`}},
		{"vip outside", "\tlist vip '10.1.1.1'\n", "", nil, []string{`floatgw.main.vip: must be inside the LAN subnet 192.168.1.0/24, got "10.1.1.1"`}},
		{"vip is this node", "\tlist vip '192.168.1.2'\n", "", nil, []string{`floatgw.main.vip: is an address of this node; the VIP must be a free address, got "192.168.1.2"`}},
		{"vip is another own address", "\tlist vip '192.168.1.200'\n", "", nil, []string{`floatgw.main.vip: is an address of this node; the VIP must be a free address, got "192.168.1.200"`}},
		{"vip twice", "\tlist vip '192.168.1.254'\n", "", nil, []string{`floatgw.main.vip: listed twice, got "192.168.1.254"`}},
		{"vip broadcast", "\tlist vip '192.168.1.255'\n", "", nil, []string{`floatgw.main.vip: is the network or broadcast address of 192.168.1.0/24, got "192.168.1.255"`}},
		{"vip prefix", "\tlist vip '192.168.1.253/25'\n", "", nil, []string{`floatgw.main.vip: prefix must match the LAN's /24, got "192.168.1.253/25"`}},
		{"vip ipv6", "\tlist vip 'fd00::1'\n", "", nil, []string{`floatgw.main.vip: must be an IPv4 address, optionally with /prefix, got "fd00::1"`}},
		{"vip peer", "\tlist peer '192.168.1.254'\n", "", nil, []string{`floatgw.main.peer: is a VIP; list the peer's own address, got "192.168.1.254"`}},
		{"peer is self", "\tlist peer '192.168.1.2'\n", "", nil, []string{`floatgw.main.peer: is this node; list the other router's address, got "192.168.1.2"`}},
		{"peer outside", "\tlist peer '10.0.0.1'\n", "", nil, []string{`floatgw.main.peer: must be inside the LAN subnet 192.168.1.0/24, got "10.0.0.1"`}},
		{"auth too long", "\toption auth_pass '123456789'\n", "", nil, []string{`floatgw.main.auth_pass: at most 8 characters (keepalived silently truncates longer ones), got "123456789"`}},
		{"auth with v3", "\toption version '3'\n\toption auth_pass 'abc'\n", "", nil, []string{`floatgw.main.auth_pass: authentication exists only in VRRPv2 (version 2), got "abc"`}},
		{"subsecond v2", "\toption advert_int '0.5'\n", "", nil, []string{`floatgw.main.advert_int: sub-second intervals need version 3, got "0.5"`}},
		{"v3 step", "\toption version '3'\n\toption advert_int '0.015'\n", "", nil, []string{`floatgw.main.advert_int: must be 0.01–40.95 seconds in steps of 0.01 with VRRPv3, got "0.015"`}},
		{"preempt_delay without preempt", "\toption preempt '0'\n\toption preempt_delay '5'\n", "", nil, []string{`floatgw.main.preempt_delay: only makes sense with preempt 1, got "5"`}},
		{"unknown option", "\toption vird '5'\n", "", nil, []string{`floatgw.main.vird: unknown option, got "5"`}},
		{"no vip", "", "", nil, nil}, // base has one; see below
		{"lan and lan_device", "\toption lan 'lan'\n\toption lan_device 'eth0'\n", "", nil, []string{`floatgw.main.lan: set either lan or lan_device, not both, got "lan"`}},
		{"no device", "", "", &Env{}, []string{`floatgw.main.lan: network has no device (is it up?); set lan_device on plain Linux, got "lan"`}},
		{"no address", "", "", &Env{LANDevice: "br-lan"}, []string{`floatgw.main.lan: no IPv4 address found on the LAN device br-lan; set lan_address, got "lan"`}},
		{"k > n", "", "\nconfig health 'health'\n\toption k '3'\n\nconfig check\n\toption type 'ping'\n\toption target '1.1.1.1'\n", nil,
			[]string{`floatgw.health.k: must be 1–n, where n is the number of enabled checks (1), got "3"`}},
		{"n mismatch", "", "\nconfig health 'health'\n\toption n '2'\n\nconfig check\n\toption type 'ping'\n\toption target '1.1.1.1'\n", nil,
			[]string{`floatgw.health.n: must equal the number of enabled checks (1), got "2"`}},
		{"check type", "", "\nconfig check\n\toption type 'icmp'\n\toption target '1.1.1.1'\n", nil,
			[]string{`floatgw.@check[0].type: must be ping, dns, tcp or http, got "icmp"`}},
		{"tcp without port", "", "\nconfig check 'c1'\n\toption type 'tcp'\n\toption target 'example.com'\n", nil,
			[]string{`floatgw.c1.port: required for a tcp check, got ""`}},
		{"dns target is a name", "", "\nconfig check 'c1'\n\toption type 'dns'\n\toption target 'dns.google'\n", nil,
			[]string{`floatgw.c1.target: a dns check's target is the resolver and must be an IPv4 address, got "dns.google"`}},
		{"timeout above interval", "", "\nconfig health\n\toption interval '1'\n\nconfig check 'c1'\n\toption type 'ping'\n\toption target '1.1.1.1'\n\toption timeout '2'\n", nil,
			[]string{`floatgw.c1.timeout: must not exceed the health interval (1 s), got "2"`}},
		{"mode on without checks", "", "\nconfig health 'health'\n\toption mode 'basic'\n", nil,
			[]string{`floatgw.health.mode: health checking is on but there is no enabled check section, got "basic"`}},
		{"unknown section", "", "\nconfig vrrp 'x'\n", nil, []string{`floatgw.x: unknown section type (want floatgw, health or check), got "vrrp"`}},
		{"several at once", "\toption vrid '0'\n\toption priority 'high'\n", "", nil, []string{
			`floatgw.main.priority: must be 1–254, got "high"`, `floatgw.main.vrid: must be 1–255, got "0"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := lanEnv
			if tt.env != nil {
				env = *tt.env
			}
			c, err := Parse(mustPkg(t, base+tt.extra+tt.tail), env)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want %q", tt.want)
			}
			if c != nil {
				t.Error("a Config was returned with an error")
			}
			var got []string
			for _, p := range Problems(err) {
				got = append(got, p.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Error() lacks %q", w)
				}
			}
		})
	}
}

func TestMissingVIPAndSection(t *testing.T) {
	_, err := Parse(mustPkg(t, "config floatgw 'main'\n"), lanEnv)
	if got := err.Error(); got != `floatgw.main.vip: at least one virtual IP is required, got ""` {
		t.Errorf("got %s", got)
	}
	_, err = Parse(mustPkg(t, ""), lanEnv)
	if err == nil || !strings.Contains(err.Error(), "missing section") {
		t.Errorf("got %v", err)
	}
}

func TestParseSeconds(t *testing.T) {
	for in, want := range map[string]time.Duration{"1": time.Second, "0.5": 500 * time.Millisecond, ".25": 250 * time.Millisecond, "40.95": 40950 * time.Millisecond, "0": 0} {
		if got, ok := parseSeconds(in); !ok || got != want {
			t.Errorf("%q: got %v %v, want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", ".", "1.", "1.0001", "-1", "1e3", "1,5", "0x10", "99999999"} {
		if _, ok := parseSeconds(in); ok {
			t.Errorf("%q accepted", in)
		}
	}
}
