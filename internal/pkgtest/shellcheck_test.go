package pkgtest

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/floatgw/floatgw/internal/testenv"
)

// shellScripts are the shell files of the packaging, all run by busybox ash
// on OpenWrt or by dash in these tests, so they must be plain POSIX sh.
var shellScripts = []string{
	"initd/floatgw",
	"scripts/hotplug/iface/50-floatgw",
	"scripts/uci-defaults/80_floatgw",
	"scripts/ipk/control/floatgw.postinst",
	"scripts/ipk/control/floatgw.prerm",
	"scripts/ipk/control/luci.postinst",
	"openwrt-feed/floatgw/test.sh",
	"internal/pkgtest/testdata/procd-stub/procd.sh",
	"internal/pkgtest/testdata/initd-harness.sh",
}

func TestShellcheck(t *testing.T) {
	sc, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("SKIPPED: shellcheck is not installed (apt-get install -y shellcheck); the shell scripts were not checked")
	}
	root := testenv.RepoRoot(t)
	for _, f := range shellScripts {
		t.Run(filepath.Base(f), func(t *testing.T) {
			out, err := exec.Command(sc, "-s", "sh", filepath.Join(root, f)).CombinedOutput()
			if err != nil {
				t.Errorf("shellcheck -s sh %s: %v\n%s", f, err, out)
			}
		})
	}
}
