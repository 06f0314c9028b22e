//go:build !openwrt

package keepalived

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// TestSystemdReloaderBus talks to a real dbus-daemon. Without systemd on
// it, ReloadUnit must fail with the bus's own "no such service" error;
// with systemd (a real host), keepalived.service must reload.
func TestSystemdReloaderBus(t *testing.T) {
	if _, err := os.Stat("/run/systemd/system"); err == nil {
		if err := (SystemdReloader{}).Reload(context.Background()); err != nil {
			t.Logf("systemd present; reload of keepalived.service: %v", err)
		}
	}
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skip("SKIP (no dbus-daemon): SystemdReloader's bus path not exercised")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "bus")
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>custom</type><listen>unix:path=`+sock+`</listen><auth>EXTERNAL</auth>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>`), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(daemon, "--config-file="+conf, "--nofork", "--nopidfile")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	// The socket file appears before the daemon listens: wait until a
	// connection succeeds.
	waitFor(t, func() bool {
		c, err := dbus.Connect("unix:path=" + sock)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
	r := SystemdReloader{Connect: func() (*dbus.Conn, error) { return dbus.Connect("unix:path=" + sock) }}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = r.Reload(ctx)
	if err == nil || !strings.Contains(err.Error(), "org.freedesktop.systemd1") {
		t.Fatalf("Reload on a bus without systemd = %v, want a ServiceUnknown error", err)
	}
	t.Logf("bus without systemd: %v", err)
}

func TestParseJobRemoved(t *testing.T) {
	sig := &dbus.Signal{Name: systemdManager + ".JobRemoved", Body: []any{uint32(7), dbus.ObjectPath("/org/freedesktop/systemd1/job/7"), "keepalived.service", "done"}}
	id, path, unit, result, err := parseJobRemoved(sig)
	if err != nil || id != 7 || path != "/org/freedesktop/systemd1/job/7" || unit != "keepalived.service" || result != "done" {
		t.Errorf("parseJobRemoved = %v %v %v %v %v", id, path, unit, result, err)
	}
	sig.Body[0] = "x"
	if _, _, _, _, err := parseJobRemoved(sig); err == nil {
		t.Error("bad types accepted")
	}
}
