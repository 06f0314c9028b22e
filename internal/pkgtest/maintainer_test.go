package pkgtest

import (
	"archive/tar"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// install unpacks a package's data into dir (a fake root) the way opkg
// does and writes opkg's bookkeeping for it: /usr/lib/opkg/info/<pkg>.list
// and the maintainer scripts.
func install(t *testing.T, p *ipk, pkg, dir string) {
	t.Helper()
	var list []string
	for _, e := range p.data {
		target := filepath.Join(dir, e.Name)
		switch e.Type {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			writeFile(t, target, os.FileMode(e.Mode), string(e.Data))
			list = append(list, strings.TrimPrefix(e.Name, "."))
		}
	}
	info := filepath.Join(dir, "usr/lib/opkg/info")
	writeFile(t, filepath.Join(info, pkg+".list"), 0o644, strings.Join(list, "\n")+"\n")
	for _, e := range p.control {
		if e.Type == tar.TypeReg {
			writeFile(t, filepath.Join(info, pkg+"."+strings.TrimPrefix(e.Name, "./")), os.FileMode(e.Mode), string(e.Data))
		}
	}
}

// snapshot lists every path under dir with its mode and size.
func snapshot(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, rel+" "+info.Mode().String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// TestMaintainerScriptsImageRoot runs the scripts as the image build does,
// with IPKG_INSTROOT set: postinst changes nothing and runs nothing, prerm
// only removes floatgw's boot links inside the image root.
func TestMaintainerScriptsImageRoot(t *testing.T) {
	for _, pkg := range []struct{ name string }{{"floatgw"}, {"luci-app-floatgw"}} {
		t.Run(pkg.name, func(t *testing.T) {
			var ipkFile string
			if pkg.name == "floatgw" {
				ipkFile = buildAll(t).ipks["mipsel_24kc"]
			} else {
				ipkFile = luciIPK(t)
			}
			img := t.TempDir()
			install(t, unpack(t, ipkFile), pkg.name, img)
			// Links an image build would have made, floatgw's and another service's.
			if err := os.MkdirAll(filepath.Join(img, "etc/rc.d"), 0o755); err != nil {
				t.Fatal(err)
			}
			for _, l := range []string{"S65floatgw", "K10floatgw", "S50uhttpd"} {
				if err := os.Symlink("../init.d/x", filepath.Join(img, "etc/rc.d", l)); err != nil {
					t.Fatal(err)
				}
			}
			stubs := t.TempDir()
			log := filepath.Join(stubs, "calls")
			for _, s := range []string{"uci", "logger", "killall", "ubus"} {
				writeFile(t, filepath.Join(stubs, s), 0o755, recorder(s, log))
			}
			env := []string{"IPKG_INSTROOT=" + img, "PKG_UPGRADE=0", "PATH=" + stubs + ":/usr/bin:/bin"}

			before := snapshot(t, img)
			info := filepath.Join(img, "usr/lib/opkg/info", pkg.name)
			cmd := exec.Command("sh", "-c", info+".postinst configure")
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("postinst: %v: %s", err, out)
			}
			if diff := cmp.Diff(before, snapshot(t, img)); diff != "" {
				t.Errorf("postinst changed the image root (-before +after):\n%s", diff)
			}
			if calls := readLines(t, log); len(calls) > 0 {
				t.Errorf("postinst ran commands: %q", calls)
			}

			if _, err := os.Stat(info + ".prerm"); err != nil {
				return // luci-app-floatgw has no prerm
			}
			cmd = exec.Command("sh", "-c", info+".prerm remove")
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("prerm: %v: %s", err, out)
			}
			if calls := readLines(t, log); len(calls) > 0 {
				t.Errorf("prerm ran commands: %q", calls)
			}
			for l, want := range map[string]bool{"S65floatgw": false, "K10floatgw": false, "S50uhttpd": true} {
				if got := exists(filepath.Join(img, "etc/rc.d", l)); got != want {
					t.Errorf("after prerm, etc/rc.d/%s exists = %v, want %v", l, got, want)
				}
			}
		})
	}
}

// TestMaintainerScriptsLive runs floatgw's postinst and prerm as opkg does
// on a router ("sh -c '<script> configure'", PKG_UPGRADE set), in a chroot
// holding the unpacked package, with /etc/rc.common and uci recording.
func TestMaintainerScriptsLive(t *testing.T) {
	b := buildAll(t)
	p := unpack(t, b.ipks["mipsel_24kc"])
	const (
		enable  = "rc.common|/etc/init.d/floatgw|enable"
		start   = "rc.common|/etc/init.d/floatgw|start"
		enabled = "rc.common|/etc/init.d/floatgw|enabled"
		restart = "rc.common|/etc/init.d/floatgw|restart"
		disable = "rc.common|/etc/init.d/floatgw|disable"
		stop    = "rc.common|/etc/init.d/floatgw|stop"
		uciGet  = "uci|-q|get|floatgw.main"
	)
	uciCreate := []string{uciGet, "uci|-q|set|floatgw.main=floatgw", "uci|-q|set|floatgw.main.enabled=0", "uci|-q|commit|floatgw"}
	tests := []struct {
		name         string
		script       string
		env          []string
		mainMissing  bool // uci get floatgw.main fails
		enabled      bool
		want         []string
		defaultsGone bool
	}{
		{name: "install", script: "postinst configure", env: []string{"PKG_UPGRADE=0"}, mainMissing: true,
			want: append(append([]string(nil), uciCreate...), enable, start), defaultsGone: true},
		{name: "install with the main section present", script: "postinst configure", env: []string{"PKG_UPGRADE=0"},
			want: []string{uciGet, enable, start}, defaultsGone: true},
		{name: "upgrade of an enabled service restarts it", script: "postinst configure", env: []string{"PKG_UPGRADE=1"}, enabled: true,
			want: []string{uciGet, enabled, restart}, defaultsGone: true},
		{name: "upgrade keeps a disabled service disabled", script: "postinst configure", env: []string{"PKG_UPGRADE=1"},
			want: []string{uciGet, enabled}, defaultsGone: true},
		{name: "IPKG_NO_SCRIPT", script: "postinst configure", env: []string{"PKG_UPGRADE=0", "IPKG_NO_SCRIPT=1"}},
		{name: "remove", script: "prerm remove", env: []string{"PKG_UPGRADE=0"}, want: []string{disable, stop}},
		{name: "remove during an upgrade keeps the boot links", script: "prerm upgrade", env: []string{"PKG_UPGRADE=1"}, want: []string{stop}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChroot(t)
			install(t, p, "floatgw", c.dir)
			writeFile(t, c.path("etc/rc.common"), 0o755, rcCommonStub)
			c.stub(t, "stub/uci")
			if tt.mainMissing {
				writeFile(t, c.path("stub/uci.rc"), 0o644, "1")
			}
			if tt.enabled {
				writeFile(t, c.path("stub/enabled"), 0o644, "")
			}
			code, out := c.run(t, tt.env, "/usr/lib/opkg/info/floatgw."+tt.script)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, out)
			}
			if diff := cmp.Diff(tt.want, c.calls(t)); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if got := !exists(c.path("etc/uci-defaults/80_floatgw")); got != tt.defaultsGone {
				t.Errorf("uci-defaults file removed = %v, want %v", got, tt.defaultsGone)
			}
		})
	}
}

// TestLuciPostinstLive runs luci-app-floatgw's postinst on a "router":
// the app's uci-defaults run once, LuCI's caches go, rpcd reloads its ACLs.
func TestLuciPostinstLive(t *testing.T) {
	c := newChroot(t)
	p := unpack(t, luciIPK(t))
	install(t, p, "luci-app-floatgw", c.dir)
	c.stub(t, "etc/init.d/rpcd")
	c.stub(t, "stub/uci")
	writeFile(t, c.path("tmp/luci-indexcache.0123abcd.json"), 0o644, "{}")
	writeFile(t, c.path("tmp/luci-modulecache/x"), 0o644, "")
	var defaults []string
	for _, e := range p.data {
		if strings.HasPrefix(e.Name, "./etc/uci-defaults/") && e.Type == tar.TypeReg {
			defaults = append(defaults, e.Name)
		}
	}

	code, out := c.run(t, []string{"PKG_UPGRADE=0"}, "/usr/lib/opkg/info/luci-app-floatgw.postinst configure")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	calls := c.calls(t)
	if len(calls) == 0 || calls[len(calls)-1] != "rpcd|reload" {
		t.Errorf("calls %q: want rpcd reloaded last", calls)
	}
	for _, gone := range append(defaults, "tmp/luci-indexcache.0123abcd.json", "tmp/luci-modulecache") {
		if exists(c.path(gone)) {
			t.Errorf("%s still there after postinst", gone)
		}
	}
}

// TestLuciI18nPostinstLive installs the translation package on a "router":
// its uci-defaults add the language to LuCI once and are removed.
func TestLuciI18nPostinstLive(t *testing.T) {
	c := newChroot(t)
	install(t, unpack(t, i18nIPK(t)), "luci-i18n-floatgw-zh-cn", c.dir)
	c.stub(t, "etc/init.d/rpcd")
	c.stub(t, "stub/uci")
	code, out := c.run(t, []string{"PKG_UPGRADE=0"}, "/usr/lib/opkg/info/luci-i18n-floatgw-zh-cn.postinst configure")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	want := []string{"uci|set|luci.languages.zh_cn=简体中文 (Chinese Simplified)", "uci|commit|luci", "rpcd|reload"}
	if diff := cmp.Diff(want, c.calls(t)); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if exists(c.path("etc/uci-defaults/luci-i18n-floatgw-zh-cn")) {
		t.Error("uci-defaults file still there after postinst")
	}
}
