//go:build !openwrt

package keepalived

import (
	"context"
	"errors"
	"fmt"

	"github.com/godbus/dbus/v5"
)

// SystemdReloader reloads a systemd unit (keepalived.service, whose
// ExecReload sends SIGHUP) through systemd's D-Bus API and waits for the
// job to finish. It is compiled out of the OpenWrt build (tag openwrt),
// which has neither systemd nor D-Bus. Safe for concurrent use; each
// Reload uses its own private system-bus connection.
type SystemdReloader struct {
	// Unit is the unit name; empty means keepalived.service.
	Unit string
	// Connect, when set, returns the bus connection to use (it is closed
	// after the call); nil means a private connection to the system bus.
	Connect func() (*dbus.Conn, error)
}

const (
	systemdDest    = "org.freedesktop.systemd1"
	systemdPath    = dbus.ObjectPath("/org/freedesktop/systemd1")
	systemdManager = "org.freedesktop.systemd1.Manager"
)

// Reload calls Manager.ReloadUnit(unit, "replace") and waits for the
// job's JobRemoved signal; a result other than "done" is an error.
func (r SystemdReloader) Reload(ctx context.Context) error {
	unit := r.Unit
	if unit == "" {
		unit = "keepalived.service"
	}
	connect := r.Connect
	if connect == nil {
		connect = func() (*dbus.Conn, error) { return dbus.ConnectSystemBus() }
	}
	conn, err := connect()
	if err != nil {
		return fmt.Errorf("reload %s: connect to system bus: %w", unit, err)
	}
	defer conn.Close()

	// Subscribe before starting the job so its JobRemoved cannot be missed.
	if err := conn.AddMatchSignalContext(ctx,
		dbus.WithMatchObjectPath(systemdPath),
		dbus.WithMatchInterface(systemdManager),
		dbus.WithMatchMember("JobRemoved")); err != nil {
		return fmt.Errorf("reload %s: subscribe: %w", unit, err)
	}
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	defer conn.RemoveSignal(signals)

	obj := conn.Object(systemdDest, systemdPath)
	if err := obj.CallWithContext(ctx, systemdManager+".Subscribe", 0).Err; err != nil {
		return fmt.Errorf("reload %s: subscribe: %w", unit, err)
	}
	var job dbus.ObjectPath
	if err := obj.CallWithContext(ctx, systemdManager+".ReloadUnit", 0, unit, "replace").Store(&job); err != nil {
		return fmt.Errorf("reload %s: %w", unit, err)
	}
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("reload %s: waiting for job %s: %w", unit, job, ctx.Err())
		case sig, ok := <-signals:
			if !ok {
				return fmt.Errorf("reload %s: bus connection closed", unit)
			}
			id, path, gotUnit, result, err := parseJobRemoved(sig)
			if err != nil || path != job {
				continue
			}
			if result != "done" {
				return fmt.Errorf("reload %s: job %d (%s) finished with %q", gotUnit, id, path, result)
			}
			return nil
		}
	}
}

// parseJobRemoved decodes JobRemoved(u id, o job, s unit, s result).
func parseJobRemoved(sig *dbus.Signal) (uint32, dbus.ObjectPath, string, string, error) {
	if sig == nil || sig.Name != systemdManager+".JobRemoved" || len(sig.Body) != 4 {
		return 0, "", "", "", errors.New("not a JobRemoved signal")
	}
	id, ok1 := sig.Body[0].(uint32)
	path, ok2 := sig.Body[1].(dbus.ObjectPath)
	unit, ok3 := sig.Body[2].(string)
	result, ok4 := sig.Body[3].(string)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return 0, "", "", "", errors.New("JobRemoved with unexpected types")
	}
	return id, path, unit, result, nil
}
