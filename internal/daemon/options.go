package daemon

import (
	"os"
	"path/filepath"
)

// Platform names.
const (
	PlatformOpenWrt = "openwrt"
	PlatformLinux   = "linux"
)

// Options are where the daemon finds and keeps things. DefaultOptions fills them for a real
// router (Root ""); the lab and tests set Root to run several daemons on one machine.
type Options struct {
	// Root prefixes every default path (like $IPKG_INSTROOT); "" on a router.
	Root string
	// Platform is PlatformOpenWrt (UCI writers, rpcd, hotplug) or PlatformLinux.
	Platform string
	// ConfigDir holds the UCI packages (floatgw, and on OpenWrt firewall, keepalived, dhcp).
	ConfigDir string
	// StateDir is persistent: maintenance flag, verification journal, rendered keepalived
	// configuration on OpenWrt.
	StateDir string
	// RunDir is volatile: track files, notify FIFO.
	RunDir string
	// ControlSocket is the root-only control socket.
	ControlSocket string
	// UbusSocket is ubusd's socket; "" = libubus' default search. Ubus is used only when the
	// socket exists.
	UbusSocket string
	// KeepalivedConf is the configuration floatgw renders and owns.
	KeepalivedConf string
	// KeepalivedMain, on plain Linux, is keepalived's main file that must include
	// KeepalivedConf ("" on OpenWrt, where UCI's alt_config_file points at it).
	KeepalivedMain string
	// KeepalivedPidfile, when set, reloads keepalived by SIGHUP to the pid in this file and
	// finds its processes there (the lab); otherwise the platform's service does it.
	KeepalivedPidfile string
	// KeepalivedLog, when set, is a file with keepalived's log (the lab's console log);
	// otherwise logread (OpenWrt) or the journal / syslog files.
	KeepalivedLog string
	// KeepalivedJSON is where keepalived writes its JSON dump (its TMPDIR); "" means
	// keepalived's default /tmp/keepalived.json.
	KeepalivedJSON string
	// KeepalivedStart, when set, is the command that starts keepalived (the lab); otherwise
	// the platform's service.
	KeepalivedStart []string
	// HotplugDir is where the keepalived hotplug forwarder lives on OpenWrt.
	HotplugDir string
}

// DefaultOptions returns the paths of a router (root "") or of a lab node.
func DefaultOptions(root string) Options {
	p := func(s string) string { return filepath.Join("/", root, s) }
	o := Options{
		Root:          root,
		Platform:      DetectPlatform(),
		ConfigDir:     p("/etc/config"),
		StateDir:      p("/etc/floatgw"),
		RunDir:        p("/var/run/floatgw"),
		ControlSocket: p("/var/run/floatgw.sock"),
		HotplugDir:    p("/etc/hotplug.d/keepalived"),
	}
	if o.Platform == PlatformOpenWrt {
		o.KeepalivedConf = p("/etc/floatgw/keepalived.conf")
	} else {
		o.KeepalivedConf = p("/etc/keepalived/floatgw.conf")
		o.KeepalivedMain = p("/etc/keepalived/keepalived.conf")
	}
	return o
}

// DetectPlatform reports PlatformOpenWrt when /etc/openwrt_release exists.
func DetectPlatform() string {
	if _, err := os.Stat("/etc/openwrt_release"); err == nil {
		return PlatformOpenWrt
	}
	return PlatformLinux
}

func (o Options) path(name string) string { return filepath.Join(o.RunDir, name) }

// Track files and the FIFO (volatile), and the persistent state files.
func (o Options) healthFile() string  { return o.path("health") }
func (o Options) demoteFile() string  { return o.path("demote") }
func (o Options) promoteFile() string { return o.path("promote") }
func (o Options) fifoPath() string    { return o.path("notify.fifo") }
func (o Options) maintFile() string   { return filepath.Join(o.StateDir, "maintenance") }
func (o Options) garpFile() string    { return filepath.Join(o.StateDir, "garp_master_refresh") }
func (o Options) journalFile() string { return filepath.Join(o.StateDir, "verify.journal") }
