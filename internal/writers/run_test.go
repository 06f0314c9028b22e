package writers

import (
	"bytes"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/floatgw/floatgw/internal/config"
	"github.com/floatgw/floatgw/uci"
)

const testKeepalivedConf = "/var/etc/floatgw/keepalived.conf"

var testEnv = config.Env{LANDevice: "br-lan", LANAddrs: []netip.Prefix{netip.MustParsePrefix("192.168.1.1/24")}}

const mainRouterConfig = `
config floatgw 'main'
	option role 'secondary'
	list vip '192.168.1.254'
	option dhcp_gateway '1'
`

// configDir builds an /etc/config with real OpenWrt files and a floatgw
// package.
func configDir(t *testing.T, floatgw string) string {
	t.Helper()
	dir := t.TempDir()
	s := samples(t)
	for name, file := range map[string]string{
		"firewall":   "real/openwrt-firewall.config",
		"dhcp":       "real/openwrt-dhcp.conf",
		"keepalived": "real/packages-keepalived.config",
		"network":    "handwritten/network",
	} {
		b, err := os.ReadFile(filepath.Join(s, file))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "floatgw"), []byte(floatgw), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

type fileState struct {
	data  string
	mtime time.Time
	ino   os.FileInfo
}

func snapshot(t *testing.T, dir string) map[string]fileState {
	t.Helper()
	out := map[string]fileState{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		b, _ := os.ReadFile(p)
		fi, _ := os.Stat(p)
		out[e.Name()] = fileState{string(b), fi.ModTime(), fi}
	}
	return out
}

func sameFiles(t *testing.T, a, b map[string]fileState) {
	t.Helper()
	if len(a) != len(b) {
		t.Errorf("files differ: %d before, %d after", len(a), len(b))
	}
	for name, x := range a {
		y, ok := b[name]
		if !ok || x.data != y.data || !x.mtime.Equal(y.mtime) || !os.SameFile(x.ino, y.ino) {
			t.Errorf("%s was written", name)
		}
	}
}

func TestApplyConfigEndToEnd(t *testing.T) {
	dir := configDir(t, mainRouterConfig)
	store := &uci.DirStore{Dir: dir}
	before := snapshot(t, dir)

	// dry run: reports, writes nothing
	res, err := ApplyConfig(store, testEnv, Options{KeepalivedConfig: testKeepalivedConf}, true)
	if err != nil {
		t.Fatal(err)
	}
	sameFiles(t, before, snapshot(t, dir))
	var changed []string
	for _, r := range res {
		if r.Changed() {
			changed = append(changed, r.Package)
			if r.Diff == "" {
				t.Errorf("%s: changed but no diff", r.Package)
			}
		}
	}
	if diff := cmp.Diff([]string{"firewall", "keepalived", "dhcp"}, changed); diff != "" {
		t.Fatalf("changed packages: %s", diff)
	}

	// the real thing
	res2, err := ApplyConfig(store, testEnv, Options{KeepalivedConfig: testKeepalivedConf}, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range res {
		if res[i].Diff != res2[i].Diff {
			t.Errorf("%s: dry-run diff differs from what was applied", res[i].Package)
		}
		// the dry-run diff is exactly what diff -u says about the files
		if res[i].Changed() {
			if got := gnuDiff(t, before[res[i].Package].data, readFile(t, dir, res[i].Package)); got != "" && got != stripHeader(res[i].Diff) {
				t.Errorf("%s: our diff\n%s\ndiff -u\n%s", res[i].Package, res[i].Diff, got)
			}
		}
	}
	if string(readFile(t, dir, "network")) != before["network"].data {
		t.Error("network was touched")
	}
	if readFile(t, dir, "floatgw") != before["floatgw"].data {
		t.Error("floatgw's own package was written")
	}

	// second apply: nothing changes, nothing is written
	mid := snapshot(t, dir)
	res3, err := ApplyConfig(store, testEnv, Options{KeepalivedConfig: testKeepalivedConf}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res3 {
		if r.Changed() {
			t.Errorf("second apply changed %s: %v", r.Package, r.Changes)
		}
	}
	sameFiles(t, mid, snapshot(t, dir))
}

func TestInvalidConfigWritesNothing(t *testing.T) {
	for _, bad := range []string{
		"config floatgw 'main'\n\tlist vip '192.168.1.254'\n\toption vrid '300'\n\toption dhcp_gateway '1'\n",
		"config floatgw 'main'\n\tlist vip '10.0.0.1'\n",
		"config floatgw 'main'\n\tlist vip '192.168.1.254'\n\toption auth_pass 'waytoolongpass'\n",
		"config floatgw 'main'\n\tlist vip '192.168.1.254'\n\toption version '2'\n\toption advert_int '0.1'\n",
		"config floatgw 'main'\n\tlist vip '192.168.1.254'\nconfig check\n\toption type 'tcp'\n\toption target '1.1.1.1'\n",
		"config floatgw 'main'\n\tlist vip '192.168.1.254'\n\toption 'unterminated\n",
	} {
		dir := configDir(t, bad)
		before := snapshot(t, dir)
		_, err := ApplyConfig(&uci.DirStore{Dir: dir}, testEnv, Options{KeepalivedConfig: testKeepalivedConf}, false)
		if err == nil {
			t.Errorf("invalid config applied: %q", bad)
		}
		sameFiles(t, before, snapshot(t, dir))
	}
}

func TestDisableRevertsOwnChanges(t *testing.T) {
	dir := configDir(t, mainRouterConfig)
	store := &uci.DirStore{Dir: dir}
	before := snapshot(t, dir)
	if _, err := ApplyConfig(store, testEnv, Options{KeepalivedConfig: testKeepalivedConf}, false); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "floatgw"), []byte(strings.Replace(mainRouterConfig, "option role", "option enabled '0'\n\toption role", 1)), 0o600)
	if _, err := ApplyConfig(store, testEnv, Options{KeepalivedConfig: testKeepalivedConf}, false); err != nil {
		t.Fatal(err)
	}
	if readFile(t, dir, "dhcp") != before["dhcp"].data {
		t.Error("disabling did not restore dhcp byte for byte")
	}
	ka, _ := store.Load("keepalived")
	if _, has := ka.Get("globals", "alt_config_file"); has {
		t.Error("alt_config_file left behind")
	}
}

func readFile(t *testing.T, dir, name string) string {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func stripHeader(d string) string {
	_, rest, _ := strings.Cut(d, "\n")
	_, rest, _ = strings.Cut(rest, "\n")
	return rest
}

// gnuDiff runs diff -u as the oracle; "" when diff is not installed.
func gnuDiff(t *testing.T, a, b string) string {
	t.Helper()
	if _, err := exec.LookPath("diff"); err != nil {
		t.Log("diff(1) not installed; not comparing with it")
		return ""
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), []byte(a), 0o600)
	os.WriteFile(filepath.Join(dir, "b"), []byte(b), 0o600)
	out, _ := exec.Command("diff", "-u", filepath.Join(dir, "a"), filepath.Join(dir, "b")).Output()
	return stripHeader(string(out))
}

func TestUnifiedDiffAgainstGNU(t *testing.T) {
	lines := func(n int, f func(i int) string) string {
		var b bytes.Buffer
		for i := 0; i < n; i++ {
			b.WriteString(f(i) + "\n")
		}
		return b.String()
	}
	base := lines(40, func(i int) string { return "line " + string(rune('a'+i%26)) + string(rune('0'+i/26)) })
	cases := [][2]string{
		{"", "a\n"},
		{"a\n", ""},
		{"a\nb\nc\n", "a\nB\nc\n"},
		{"a\nb", "a\nb\n"},
		{"a\nb\n", "a\nc"},
		{base, strings.Replace(base, "line c0\n", "", 1)},
		{base, strings.Replace(strings.Replace(base, "line b0\n", "x\n", 1), "line x0\n", "y\nz\n", 1)},
		{base, base + "tail\n"},
		{base, "head\n" + base},
		{base, strings.Replace(strings.Replace(base, "line e0\n", "", 1), "line l0\n", "L\n", 1)},
	}
	for i, c := range cases {
		want := gnuDiff(t, c[0], c[1])
		if want == "" {
			t.Skip("no diff(1)")
		}
		got := stripHeader(UnifiedDiff("a", "b", []byte(c[0]), []byte(c[1])))
		if got != want {
			t.Errorf("case %d:\n got:\n%s\nwant:\n%s", i, got, want)
		}
	}
	if UnifiedDiff("a", "b", []byte("same\n"), []byte("same\n")) != "" {
		t.Error("equal inputs gave a diff")
	}
}
