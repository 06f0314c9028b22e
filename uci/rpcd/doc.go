// Package rpcd is a uci.Store backed by rpcd's `uci` ubus object, the way
// LuCI changes configuration on OpenWrt: changes go through libuci's delta
// files and locking, and `commit` makes rpcd emit the config.change event
// that procd's reload triggers (firewall, keepalived, dnsmasq) act on.
//
// The price: libuci's commit rewrites the whole file in its canonical form
// (comments, blank lines, quoting and alignment of the user's file are lost,
// see ../shared/uci-samples/README.md "uci normalises the whole file on
// commit"). Where that matters more than uci's locking, save with
// uci.DirStore (lossless) and call NotifyConfigChange, which sends the same
// config.change event rpcd would.
//
// Calls carry no ubus_rpc_session, so rpcd uses its default delta directory
// (/tmp/.uci, shared with the uci command line). Save therefore refuses to
// run while that directory holds uncommitted changes for the package, so
// it never commits someone else's half-finished edit, and reverts its own
// changes if a call fails before the commit.
//
// What it does not do: rpcd's apply/confirm rollback, reordering sections,
// renaming sections, changing a section's type, or writing empty list
// entries (rpcd drops empty strings).
package rpcd
