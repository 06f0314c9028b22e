package writers

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/floatgw/floatgw/uci"
)

func samples(t *testing.T) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if filepath.Dir(dir) == dir {
			t.Fatal("go.mod not found")
		}
		dir = filepath.Dir(dir)
	}
	s := filepath.Join(dir, "..", "shared", "uci-samples")
	if _, err := os.Stat(s); err != nil {
		t.Skipf("!!! SKIPPING: fixture directory %s is missing !!!", s)
	}
	return s
}

func sample(t *testing.T, name, file string) *uci.Package {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samples(t), file))
	if err != nil {
		t.Fatal(err)
	}
	p, err := uci.Parse(name, b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func parse(t *testing.T, name, text string) *uci.Package {
	t.Helper()
	p, err := uci.Parse(name, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// applied applies the changes to a copy of p and returns it.
func applied(t *testing.T, p *uci.Package, ch []Change) *uci.Package {
	t.Helper()
	q, err := uci.Parse(p.Name(), p.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := Apply(q, ch); err != nil {
		t.Fatal(err)
	}
	return q
}

// assertOnly checks that going from old to new changed nothing but the
// given sections' given options: every other section, option, value, list
// order, comment and byte is as it was.
func assertOnly(t *testing.T, old, new *uci.Package, touched map[string][]string) {
	t.Helper()
	ns := map[string]uci.Section{}
	for _, s := range new.Sections() {
		ns[s.Name] = s
	}
	for _, s := range old.Sections() {
		n, ok := ns[s.Name]
		if !ok {
			t.Errorf("section %s disappeared", s.Name)
			continue
		}
		opts, isTouched := touched[s.Name]
		if !isTouched {
			if diff := cmp.Diff(s, n); diff != "" {
				t.Errorf("unrelated section %s changed:\n%s", s.Name, diff)
			}
			continue
		}
		skip := map[string]bool{}
		for _, o := range opts {
			skip[o] = true
		}
		for _, o := range s.Options {
			if skip[o.Name] {
				continue
			}
			if no, ok := n.Option(o.Name); !ok || !cmp.Equal(o, no) {
				t.Errorf("unrelated option %s.%s changed: %v -> %v", s.Name, o.Name, o, no)
			}
		}
	}
	// bytes: every removed line names a touched option
	a, b := splitLines(string(old.Bytes())), splitLines(string(new.Bytes()))
	for _, op := range diffLines(a, b) {
		if op.kind != '-' {
			continue
		}
		ok := false
		for _, opts := range touched {
			for _, o := range opts {
				if strings.Contains(op.text, " "+o+" ") || strings.Contains(op.text, " "+o+"\t") {
					ok = true
				}
			}
		}
		if !ok {
			t.Errorf("unrelated line removed or changed: %q", op.text)
		}
	}
}

func TestFirewallOnRealFile(t *testing.T) {
	fw := sample(t, "firewall", "real/openwrt-firewall.config")
	ch, err := Firewall(fw, "lan")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range ch {
		got = append(got, c.String())
	}
	want := []string{
		"set firewall.vrrp=rule",
		"set firewall.vrrp.name='Allow-VRRP'",
		"set firewall.vrrp.src='lan'",
		"set firewall.vrrp.proto='112'",
		"set firewall.vrrp.family='ipv4'",
		"set firewall.vrrp.target='ACCEPT'",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("changes (-want +got):\n%s", diff)
	}
	after := applied(t, fw, ch)
	assertOnly(t, fw, after, map[string][]string{})
	if !strings.HasPrefix(string(after.Bytes()), string(fw.Bytes())) {
		t.Error("the original file is not kept byte for byte in front of the new rule")
	}
	if !strings.HasSuffix(string(after.Bytes()), "\nconfig rule 'vrrp'\n\toption name 'Allow-VRRP'\n\toption src 'lan'\n\toption proto '112'\n\toption family 'ipv4'\n\toption target 'ACCEPT'\n") {
		t.Errorf("new rule not written the way uci writes it:\n%s", after.Bytes())
	}
	// idempotent
	if ch2, err := Firewall(after, "lan"); err != nil || len(ch2) != 0 {
		t.Fatalf("second run: %v %v", ch2, err)
	}
}

func TestFirewallFixesExistingRule(t *testing.T) {
	// the seed's rule plus the controller's forward-rule mistake (dest '*')
	// and a disabled flag; the zone holding lan is called "internal" and
	// lists its networks in one option.
	in := `config defaults
	option input ACCEPT

config zone
	option name 'internal'
	option network 'guest lan'   # both
	option input REJECT

# floatgw's rule
config rule 'vrrp'
	option name 'Allow-VRRP'
	option src 'lan'
	option dest '*'
	option proto '112'
	option target 'ACCEPT'
	option enabled '0'

config rule
	option name 'Allow-Ping'
	list icmp_type 'echo-request'
	list icmp_type 'echo-reply'
`
	fw := parse(t, "firewall", in)
	ch, err := Firewall(fw, "lan")
	if err != nil {
		t.Fatal(err)
	}
	after := applied(t, fw, ch)
	assertOnly(t, fw, after, map[string][]string{"vrrp": {"src", "dest", "family", "enabled"}})
	want := strings.Replace(in, "\toption src 'lan'\n\toption dest '*'\n", "\toption src 'internal'\n", 1)
	want = strings.Replace(want, "\toption target 'ACCEPT'\n\toption enabled '0'\n", "\toption target 'ACCEPT'\n\toption family 'ipv4'\n", 1)
	if diff := cmp.Diff(want, string(after.Bytes())); diff != "" {
		t.Errorf("bytes (-want +got):\n%s", diff)
	}
	if ch2, _ := Firewall(after, "lan"); len(ch2) != 0 {
		t.Fatalf("not idempotent: %v", ch2)
	}
}

func TestFirewallErrors(t *testing.T) {
	if _, err := Firewall(parse(t, "firewall", "config zone\n\toption name wan\n\tlist network wan\n"), "lan"); !errors.Is(err, ErrNoZone) {
		t.Errorf("got %v, want ErrNoZone", err)
	}
	if _, err := Firewall(parse(t, "firewall", "config zone 'vrrp'\n\toption name lan\n\tlist network lan\n"), "lan"); err == nil {
		t.Error("a vrrp section of another type was accepted")
	}
}

func TestKeepalivedOnRealFiles(t *testing.T) {
	const conf = "/var/etc/floatgw/keepalived.conf"
	ka := sample(t, "keepalived", "real/packages-keepalived.config")
	ch, err := Keepalived(ka, conf, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch) != 2 {
		t.Fatalf("want alt_config_file and enabled, got %v", ch)
	}
	after := applied(t, ka, ch)
	assertOnly(t, ka, after, map[string][]string{"globals": {"enabled", "alt_config_file"}})
	if diff := cmp.Diff("keepalived.globals=globals\nkeepalived.globals.enabled='1'\nkeepalived.globals.alt_config_file='"+conf+"'\n", after.Show(false)); diff != "" {
		t.Error(diff)
	}
	// all the commented-out examples are still there
	if strings.Count(string(after.Bytes()), "#") != strings.Count(string(ka.Bytes()), "#") {
		t.Error("comments were lost")
	}
	if ch2, _ := Keepalived(after, conf, true); len(ch2) != 0 {
		t.Fatalf("not idempotent: %v", ch2)
	}
	// disabling removes only our alt_config_file, and only if it is ours
	off, _ := Keepalived(after, conf, false)
	if len(off) != 1 || off[0].Op != OpDelete || off[0].Option != "alt_config_file" {
		t.Fatalf("disable: %v", off)
	}
	if other, _ := Keepalived(after, "/etc/keepalived/mine.conf", false); len(other) != 0 {
		t.Fatalf("removed someone else's alt_config_file: %v", other)
	}

	// the old sample without a globals section: one is added, the rest kept
	sampleCfg := sample(t, "keepalived", "real/packages-keepalived.config.sample")
	ch, err = Keepalived(sampleCfg, conf, true)
	if err != nil {
		t.Fatal(err)
	}
	after = applied(t, sampleCfg, ch)
	assertOnly(t, sampleCfg, after, nil)
	if _, ok := after.Section("globals"); !ok {
		t.Fatal("globals not added")
	}
	if _, err := Keepalived(ka, "relative.conf", true); err == nil {
		t.Error("relative path accepted")
	}
}

func TestDHCPOnRealFile(t *testing.T) {
	vip := netip.MustParseAddr("192.168.1.254")
	d := sample(t, "dhcp", "real/openwrt-dhcp.conf")
	ch, err := DHCP(d, "lan", vip, true)
	if err != nil {
		t.Fatal(err)
	}
	after := applied(t, d, ch)
	assertOnly(t, d, after, map[string][]string{"lan": {"dhcp_option"}})
	if got, _ := after.Get("lan", "dhcp_option"); !cmp.Equal(got, []string{"3,192.168.1.254"}) {
		t.Fatalf("got %v", got)
	}
	if ch2, _ := DHCP(after, "lan", vip, true); len(ch2) != 0 {
		t.Fatalf("not idempotent: %v", ch2)
	}
	// turning it off removes exactly what was added: the file is back
	off, _ := DHCP(after, "lan", vip, false)
	back := applied(t, after, off)
	if string(back.Bytes()) != string(d.Bytes()) {
		t.Errorf("disable did not restore the file:\n%s", UnifiedDiff("a", "b", d.Bytes(), back.Bytes()))
	}
}

func TestDHCPReplacesOnlyRouterEntry(t *testing.T) {
	in := `config dhcp 'guest'
	option interface 'guest'
	list dhcp_option '3,10.9.9.9'

config dhcp
	option interface 'lan'
	list dhcp_option '6,192.168.1.5,192.168.1.6'   # dns servers
	list dhcp_option 'tag:iot,3,192.168.1.7'
	list dhcp_option '3,192.168.1.1'
	list dhcp_option '42,192.168.1.2'
	list dhcp_option 'option:router,192.168.1.3'
`
	d := parse(t, "dhcp", in)
	ch, err := DHCP(d, "lan", netip.MustParseAddr("192.168.1.254"), true)
	if err != nil {
		t.Fatal(err)
	}
	after := applied(t, d, ch)
	assertOnly(t, d, after, map[string][]string{"cfg02ad04": {"dhcp_option"}})
	want := strings.Replace(in, "'3,192.168.1.1'", "'3,192.168.1.254'", 1)
	want = strings.Replace(want, "\tlist dhcp_option 'option:router,192.168.1.3'\n", "", 1)
	if diff := cmp.Diff(want, string(after.Bytes())); diff != "" {
		t.Errorf("bytes (-want +got):\n%s", diff)
	}
	if _, err := DHCP(parse(t, "dhcp", "config dhcp wan\n\toption interface wan\n"), "lan", netip.MustParseAddr("192.168.1.254"), true); !errors.Is(err, ErrNoDHCPSection) {
		t.Errorf("got %v", err)
	}
}
