//go:build !openwrt

package daemon

import "github.com/floatgw/floatgw/internal/keepalived"

// platformReloader reloads keepalived through its own service: systemd over D-Bus on plain
// Linux, OpenWrt's init script on OpenWrt.
func platformReloader(o Options) keepalived.Reloader {
	if o.Platform == PlatformOpenWrt {
		return keepalived.InitdReloader{}
	}
	return keepalived.SystemdReloader{}
}
