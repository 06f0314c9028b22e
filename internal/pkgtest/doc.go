// Package pkgtest holds the off-device tests of floatgw's OpenWrt and
// systemd packaging; it has no non-test code.
//
// The tests build the standalone .ipk files with scripts/ipk and unpack
// them (file list, modes, owners, control fields, conffiles); run the
// maintainer scripts with sh, against a fake image root ($IPKG_INSTROOT set)
// and inside a chroot that stands in for a live router, with OpenWrt's
// /etc/rc.common, uci, logger and rpcd replaced by recorders; source the
// procd init script against a recording stub of /lib/functions/procd.sh and
// compare the exact instance definition; run the iface hotplug forwarder in
// such a chroot; run "make -n" on the feed Makefiles against stubs of
// OpenWrt's include files (testdata/openwrt-stub); and run shellcheck on
// every shell script they own.
//
// What they do not prove: that the packages install on a real router with
// the real opkg, procd and rc.common (that needs a device or QEMU image), or
// that the feed builds in a real SDK.
package pkgtest
