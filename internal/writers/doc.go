// Package writers changes other packages' UCI configuration the way floatgw
// needs it (PRODUCT.md §3), and nothing else:
//
//   - firewall: the input rule firewall.vrrp (Allow-VRRP, src = the zone
//     that holds the LAN network, proto 112, target ACCEPT, family ipv4,
//     no dest). floatgw owns that one section.
//   - keepalived: globals.alt_config_file pointing at floatgw's rendered
//     configuration, and globals.enabled 1. Nothing else of the user's
//     keepalived configuration is touched.
//   - dhcp: the untagged option-3 (router) entry of the LAN's dhcp_option
//     list; the user's other entries keep their values and order.
//
// Each writer is a pure function from a parsed package to a list of
// Changes; an empty list means the package is already right, so applying
// twice writes nothing and the caller reloads nothing. Run loads, computes,
// applies and saves through a uci.Store (a config directory, or rpcd's uci
// object on OpenWrt) and reports per package whether it changed and the
// unified diff (`floatgw apply --dry-run`). ApplyConfig validates floatgw's
// own configuration first and writes nothing at all if it is invalid.
//
// What it does not do: reload services (the daemon decides from
// Result.Changed), render keepalived's configuration (internal/keepalived),
// write floatgw's own package, or log.
package writers
