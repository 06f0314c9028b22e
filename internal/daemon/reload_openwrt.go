//go:build openwrt

package daemon

import "github.com/floatgw/floatgw/internal/keepalived"

// platformReloader reloads keepalived through OpenWrt's init script (procd keeps supervising
// it). The openwrt build carries no D-Bus code.
func platformReloader(Options) keepalived.Reloader { return keepalived.InitdReloader{} }
