// Package config is the one place that interprets /etc/config/floatgw
// (PRODUCT.md §2): Parse turns the UCI package into a validated, defaulted,
// immutable Config, or reports every rejected value as
// `floatgw.<section>.<option>: <what is wrong>, got "<value>"`.
//
// Parse is pure. What it needs to know about the machine (the LAN device and
// this node's addresses) comes in as an Env that the daemon resolves from
// netifd or the kernel; the options lan_device and lan_address override it
// on plain Linux.
//
// The commented reference file is testdata/floatgw.reference; floatgw.conf is
// an identical copy that packaging installs as /etc/config/floatgw (a test
// keeps them equal and checks that both parse).
//
// What it does not do: read or write files, resolve networks, keep runtime
// state (maintenance mode lives in the daemon's state directory, not in
// UCI, so the daemon never has to commit its own package), or diff configs
// on reload (the daemon compares two Configs).
package config
