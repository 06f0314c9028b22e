package pkgtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/floatgw/floatgw/internal/testenv"
)

// makeN runs "make -n compile" in a feed package directory against the
// OpenWrt stubs (or another TOPDIR) with extra variables, and returns the
// commands make would run.
func makeN(t *testing.T, pkgDir, topdir string, vars ...string) string {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("SKIPPED: GNU make is not installed")
	}
	args := append([]string{"-n", "--no-print-directory", "TOPDIR=" + topdir}, vars...)
	args = append(args, "compile")
	cmd := exec.Command("make", args...)
	cmd.Dir = pkgDir
	cmd.Env = append(os.Environ(), "MAKEFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n in %s: %v\n%s", pkgDir, err, out)
	}
	return string(out)
}

func mustContain(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("make -n output lacks %q", w)
		}
	}
}

func mustNotContain(t *testing.T, out string, bad ...string) {
	t.Helper()
	for _, b := range bad {
		if strings.Contains(out, b) {
			t.Errorf("make -n output contains %q", b)
		}
	}
}

// goInstallLine returns the one go install command line.
func goInstallLine(t *testing.T, out string) string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "go install") || strings.Contains(l, "golang-build.sh build") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("want one go build command, got %d:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	return lines[0]
}

func TestFeedFloatgwMakefile(t *testing.T) {
	root := testenv.RepoRoot(t)
	stub := filepath.Join(root, "internal/pkgtest/testdata/openwrt-stub")
	pkgDir := filepath.Join(root, "openwrt-feed/floatgw")
	version, err := feedVersion(filepath.Join(pkgDir, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	pkgVersion, release, _ := strings.Cut(version, "-")

	// The targets of "make ipk", as OpenWrt describes them: ARCH and CPU_TYPE
	// (an ARM CPU type with "+fpu" means VFP, so GOARM=7).
	for _, tt := range []struct {
		arch, cpu, pkgarch string
		goenv              []string
	}{
		{"mipsel", "24kc", "mipsel_24kc", []string{`GOARCH="mipsle"`, `GOMIPS="softfloat"`}},
		{"mips", "24kc", "mips_24kc", []string{`GOARCH="mips"`, `GOMIPS="softfloat"`}},
		{"arm", "cortex-a7+neon-vfpv4", "arm_cortex-a7_neon-vfpv4", []string{`GOARCH="arm"`, `GOARM="7"`}},
		{"aarch64", "generic", "aarch64_generic", []string{`GOARCH="arm64"`}},
		{"x86_64", "", "x86_64", []string{`GOARCH="amd64"`}},
	} {
		t.Run(tt.pkgarch, func(t *testing.T) {
			out := makeN(t, pkgDir, stub, "ARCH="+tt.arch, "CPU_TYPE="+tt.cpu, "ARCH_PACKAGES="+tt.pkgarch)
			build := goInstallLine(t, out)
			mustContain(t, build, append(tt.goenv,
				`GOOS="linux"`,
				"CGO_ENABLED=0",
				"GOTOOLCHAIN=local",
				"-trimpath",
				`-tags "openwrt"`,
				"-X main.version="+pkgVersion+"-r"+release,
				"github.com/floatgw/floatgw/cmd/floatgw",
			)...)
			// golang-package.mk's defaults would link through the target's GCC
			// with cgo and (with PIE enabled in the build config) as PIE.
			mustNotContain(t, build, "CGO_ENABLED=1", "-linkmode external", "-extldflags", "-buildmode pie", "CC=")

			ipkg := "/ipkg-" + tt.pkgarch + "/floatgw"
			mustContain(t, out,
				": control Package=floatgw Version="+version+" Depends=keepalived rpcd Section=net Architecture="+tt.pkgarch,
				// the source tree is the repository around the feed
				`tar -C "`+pkgDir+`/../.." --exclude=./.git`,
				ipkg+"/usr/sbin",
				"install -m0755 "+filepath.Join(stub, "build_dir"),
				"/initd/floatgw "+filepath.Join(stub, "build_dir"),
				ipkg+"/etc/init.d/floatgw",
				"install -m0600 ",
				"/internal/config/floatgw.conf ",
				ipkg+"/etc/config/floatgw",
				"/scripts/uci-defaults/80_floatgw ",
				ipkg+"/etc/uci-defaults/80_floatgw",
				"install -m0644 ",
				"/scripts/hotplug/iface/* ",
				ipkg+"/etc/hotplug.d/iface/",
				"/scripts/hotplug/keepalived/* ",
				ipkg+"/etc/hotplug.d/keepalived/",
				": conffiles /etc/config/floatgw",
			)
			// modes per file, as the standalone ipk has them
			for _, re := range []string{
				`install -m0755 \S+/initd/floatgw \S+/etc/init\.d/floatgw`,
				`install -m0600 \S+/internal/config/floatgw\.conf \S+/etc/config/floatgw`,
				`install -m0755 \S+/scripts/uci-defaults/80_floatgw \S+/etc/uci-defaults/80_floatgw`,
				`install -m0644 \S+/scripts/hotplug/iface/\* \S+/etc/hotplug\.d/iface/`,
				`install -m0644 \S+/scripts/hotplug/keepalived/\* \S+/etc/hotplug\.d/keepalived/`,
			} {
				if !regexp.MustCompile(re).MatchString(out) {
					t.Errorf("make -n output has no line matching %s", re)
				}
			}
			// Every file the package installs exists in the tree.
			for _, f := range []string{"initd/floatgw", "internal/config/floatgw.conf", "scripts/uci-defaults/80_floatgw"} {
				if !exists(filepath.Join(root, f)) {
					t.Errorf("%s is installed by the feed Makefile but missing", f)
				}
			}
		})
	}
}

func TestFeedLuciMakefile(t *testing.T) {
	root := testenv.RepoRoot(t)
	stub := filepath.Join(root, "internal/pkgtest/testdata/openwrt-stub")
	pkgDir := filepath.Join(root, "openwrt-feed/luci-app-floatgw")
	out := makeN(t, pkgDir, stub)

	version, err := feedVersion(filepath.Join(pkgDir, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	fgwVersion, err := feedVersion(filepath.Join(root, "openwrt-feed/floatgw/Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if version != fgwVersion {
		t.Errorf("luci-app-floatgw %s and floatgw %s: release both with one version", version, fgwVersion)
	}
	mustContain(t, out,
		": control Package=luci-app-floatgw Version="+version+" Depends=luci-base floatgw Section=luci Architecture=all",
		"for d in htdocs root;",
		"/ipkg-all/luci-app-floatgw/www",
	)
	// htdocs, root and po are links into luci-app/, which luci.mk reads
	// through the package directory.
	for _, l := range []string{"htdocs", "root", "po"} {
		target, err := os.Readlink(filepath.Join(pkgDir, l))
		if err != nil {
			t.Errorf("%s: %v", l, err)
			continue
		}
		if target != "../../luci-app/"+l {
			t.Errorf("%s -> %s, want ../../luci-app/%s", l, target, l)
		}
		if _, err := os.Stat(filepath.Join(pkgDir, l)); err != nil {
			t.Errorf("%s: link target missing: %v", l, err)
		}
	}
	// One translation package per po/<lang>, versioned like the app.
	langs, _ := filepath.Glob(filepath.Join(root, "luci-app/po/*/*.po"))
	for _, po := range langs {
		lang := filepath.Base(filepath.Dir(po))
		if lang == "templates" {
			continue
		}
		code := map[string]string{"zh_Hans": "zh-cn", "zh_Hant": "zh-tw"}[lang]
		if code == "" {
			code = lang
		}
		mustContain(t, out,
			": control Package=luci-i18n-floatgw-"+code+" Version="+strings.Replace(version, "-", "-r", 1)+" Depends=luci-app-floatgw",
			"po2lmo "+filepath.Join(pkgDir, "po", lang, filepath.Base(po)),
		)
	}
}

// TestFeedRealGolang runs the floatgw Makefile against the real
// lang/golang/*.mk of an openwrt/packages checkout, so that the override
// of GO_PKG_TARGET_VARS and GO_PKG_DEFAULT_LDFLAGS is checked against the
// file it overrides. Set FLOATGW_OPENWRT_PACKAGES to the checkout (any of
// the openwrt-23.05, -24.10, -25.12 branches or master).
func TestFeedRealGolang(t *testing.T) {
	pkgs := os.Getenv("FLOATGW_OPENWRT_PACKAGES")
	if pkgs == "" {
		t.Skip("SKIPPED: set FLOATGW_OPENWRT_PACKAGES to an openwrt/packages checkout to check the feed Makefile against the real golang-package.mk")
	}
	root := testenv.RepoRoot(t)
	top := t.TempDir()
	stub := filepath.Join(root, "internal/pkgtest/testdata/openwrt-stub")
	if out, err := exec.Command("cp", "-a", filepath.Join(stub, "rules.mk"), filepath.Join(stub, "include"), top).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
	if err := os.MkdirAll(filepath.Join(top, "feeds/packages"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(pkgs, "lang"), filepath.Join(top, "feeds/packages/lang")); err != nil {
		t.Fatal(err)
	}
	// What golang-values.mk needs beyond the stub's rules.mk.
	f, err := os.OpenFile(filepath.Join(top, "rules.mk"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(`HOST_OS:=linux
HOST_ARCH:=x86_64
qstrip=$(strip $(subst ",,$(1)))
CONFIG_CPU_TYPE:="$(CPU_TYPE)"
STAGING_DIR_HOSTPKG:=$(TOPDIR)/staging_dir/hostpkg
TARGET_CROSS:=$(ARCH)-openwrt-linux-musl-
`)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ arch, cpu, pkgarch, want string }{
		{"mipsel", "24kc", "mipsel_24kc", `GOMIPS="softfloat"`},
		{"arm", "cortex-a7+neon-vfpv4", "arm_cortex-a7_neon-vfpv4", `GOARM="7"`},
	} {
		t.Run(tt.pkgarch, func(t *testing.T) {
			out := makeN(t, filepath.Join(root, "openwrt-feed/floatgw"), top, "ARCH="+tt.arch, "CPU_TYPE="+tt.cpu, "ARCH_PACKAGES="+tt.pkgarch)
			build := goInstallLine(t, out)
			mustContain(t, build, tt.want, "CGO_ENABLED=0", `-tags "openwrt"`, "-X main.version=")
			mustNotContain(t, build, "CGO_ENABLED=1", "-linkmode external", "-extldflags", "-buildmode pie")
			mustContain(t, out, `GO_INSTALL_BIN_PATH="/usr/sbin"`)
		})
	}
}
