package keepalived

import (
	"errors"
	"fmt"
	"strings"
)

// HotplugEvent is what OpenWrt's hotplug-call hands to
// /etc/hotplug.d/keepalived scripts, validated. keepalived calls
// `env -i ACTION=... TYPE=... NAME=... /sbin/hotplug-call keepalived`
// from its notify commands (Render adds them when Spec.Hotplug is set), and
// OpenWrt's own init script adds ACTION=startup|shutdown calls.
type HotplugEvent struct {
	// Action is the raw ACTION: NOTIFY_MASTER, NOTIFY_BACKUP,
	// NOTIFY_FAULT, NOTIFY_STOP, NOTIFY (generic), startup or shutdown.
	Action string
	// Scope is TYPE (INSTANCE or GROUP); empty for startup/shutdown.
	Scope Scope
	// Name is NAME, the instance or group; empty for startup/shutdown.
	Name string
	// State is the state the action announces (MASTER, BACKUP, FAULT,
	// STOP); empty for NOTIFY, startup and shutdown.
	State NotifyType
}

// ErrBadHotplugEnv is wrapped by every ParseHotplugEnv error.
var ErrBadHotplugEnv = errors.New("bad keepalived hotplug environment")

const maxHotplugValue = 256

// ParseHotplugEnv validates a keepalived hotplug environment given as
// os.Environ()-style "KEY=value" entries. Variables other than ACTION,
// TYPE and NAME (PATH, HOTPLUG_TYPE, USER, ...) are ignored; a repeated
// ACTION, TYPE or NAME is an error because its meaning would be ambiguous.
// It is pure and does not retain env.
func ParseHotplugEnv(env []string) (HotplugEvent, error) {
	bad := func(format string, args ...any) (HotplugEvent, error) {
		return HotplugEvent{}, fmt.Errorf("%w: %s", ErrBadHotplugEnv, fmt.Sprintf(format, args...))
	}
	vals := map[string]string{}
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		switch k {
		case "ACTION", "TYPE", "NAME":
		default:
			continue
		}
		if _, dup := vals[k]; dup {
			return bad("%s given twice", k)
		}
		if len(v) > maxHotplugValue {
			return bad("%s longer than %d bytes", k, maxHotplugValue)
		}
		vals[k] = strings.Clone(v)
	}
	action, ok := vals["ACTION"]
	if !ok || action == "" {
		return bad("ACTION is missing")
	}
	ev := HotplugEvent{Action: action}
	switch action {
	case "startup", "shutdown":
		return ev, nil
	case "NOTIFY_MASTER":
		ev.State = NotifyMaster
	case "NOTIFY_BACKUP":
		ev.State = NotifyBackup
	case "NOTIFY_FAULT":
		ev.State = NotifyFault
	case "NOTIFY_STOP":
		ev.State = NotifyStop
	case "NOTIFY":
	default:
		return bad("unknown ACTION %q", action)
	}
	switch typ := vals["TYPE"]; Scope(typ) {
	case ScopeInstance, ScopeGroup:
		ev.Scope = Scope(typ)
	case "":
		return bad("TYPE is missing for ACTION %s", action)
	default:
		return bad("unknown TYPE %q", typ)
	}
	name := vals["NAME"]
	if name == "" {
		return bad("NAME is missing for ACTION %s", action)
	}
	if !isToken(name, 64) {
		return bad("NAME %q is not 1..64 characters of [A-Za-z0-9_.-]", name)
	}
	ev.Name = name
	return ev, nil
}
