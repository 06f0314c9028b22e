package pkgtest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

func writeFile(t *testing.T, name string, mode os.FileMode, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(name, mode); err != nil {
		t.Fatal(err)
	}
}

func readLines(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(name)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimRight(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func exists(name string) bool {
	_, err := os.Lstat(name)
	return err == nil
}

// recorder is a shell script that appends "<name>|<args joined by |>" to
// log and exits with the status in the file <name>.rc next to it, if any.
func recorder(name, log string) string {
	return `#!/bin/sh
(IFS='|'; printf '%s\n' "` + name + `|$*") >>` + log + `
rc=0
[ -f "$0.rc" ] && read -r rc <"$0.rc"
exit "$rc"
`
}

// chroot is a minimal root file system standing in for a live router: the
// host's /bin/sh and /bin/rm with their libraries, a /stub directory for
// recorders (first on PATH) and a /calls log the recorders write to.
type chroot struct {
	dir string
}

// newChroot needs root and chroot(8); without them the test is skipped
// loudly, never passed silently.
func newChroot(t *testing.T) *chroot {
	t.Helper()
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		t.Skip("SKIPPED: running maintainer and hotplug scripts as on a live router needs root for chroot(2); run the tests as root")
	}
	if _, err := exec.LookPath("chroot"); err != nil {
		t.Skip("SKIPPED: chroot(8) is not installed")
	}
	if _, err := exec.LookPath("ldd"); err != nil {
		t.Skip("SKIPPED: ldd is not installed, cannot copy /bin/sh into a chroot")
	}
	c := &chroot{dir: t.TempDir()}
	for _, bin := range []string{"/bin/sh", "/bin/rm"} {
		c.copyBinary(t, bin)
	}
	for _, d := range []string{"stub", "tmp", "etc/rc.d", "usr/lib/opkg/info"} {
		if err := os.MkdirAll(filepath.Join(c.dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(c.dir, "tmp"), 0o1777); err != nil {
		t.Fatal(err)
	}
	// Scripts redirect to /dev/null; without it the redirection fails and
	// the command is not run at all.
	if err := os.MkdirAll(c.path("dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mknod(c.path("dev/null"), syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Fatalf("mknod /dev/null: %v", err)
	}
	return c
}

var lddPathRE = regexp.MustCompile(`(?m)(/\S+) \(0x`)

// copyBinary copies an executable (following symlinks) and the shared
// libraries ldd lists for it to the same paths inside the chroot.
func (c *chroot) copyBinary(t *testing.T, bin string) {
	t.Helper()
	out, err := exec.Command("ldd", bin).Output()
	if err != nil && !bytes.Contains(out, []byte("not a dynamic")) {
		t.Fatalf("ldd %s: %v", bin, err)
	}
	files := []string{bin}
	for _, m := range lddPathRE.FindAllStringSubmatch(string(out), -1) {
		files = append(files, m[1])
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(c.dir, f), 0o755, string(data))
	}
}

// path is name inside the chroot as a host path.
func (c *chroot) path(name string) string { return filepath.Join(c.dir, name) }

// stub installs a recorder at name (a path inside the chroot) that writes to /calls.
func (c *chroot) stub(t *testing.T, name string) {
	t.Helper()
	writeFile(t, c.path(name), 0o755, recorder(filepath.Base(name), "/calls"))
}

// calls returns the recorders' log and empties it.
func (c *chroot) calls(t *testing.T) []string {
	t.Helper()
	lines := readLines(t, c.path("calls"))
	if err := os.RemoveAll(c.path("calls")); err != nil {
		t.Fatal(err)
	}
	return lines
}

// run runs a shell command line inside the chroot with exactly env (plus
// PATH=/stub:/bin) and returns the exit status and combined output.
func (c *chroot) run(t *testing.T, env []string, cmdline string) (int, string) {
	t.Helper()
	cmd := exec.Command("chroot", c.dir, "/bin/sh", "-c", cmdline)
	cmd.Env = append([]string{"PATH=/stub:/bin"}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		t.Fatalf("chroot: %v: %s", err, out)
	}
	return 0, string(out)
}

// rcCommonStub is a stand-in for OpenWrt's /etc/rc.common: an init script
// "#!/bin/sh /etc/rc.common" runs as "/bin/sh /etc/rc.common SCRIPT ACTION",
// so this records "rc.common|SCRIPT|ACTION" and answers "enabled" and
// "running" from the files /stub/enabled and /stub/running.
const rcCommonStub = `#!/bin/sh
(IFS='|'; printf '%s\n' "rc.common|$*") >>/calls
case "$2" in
enabled) [ -e /stub/enabled ] ;;
running) [ -e /stub/running ] ;;
*) exit 0 ;;
esac
`
