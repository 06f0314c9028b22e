#!/bin/sh
# Run by OpenWrt's package CI on the installed package (under QEMU for
# foreign architectures): $1 is the package name, $2 its version. The CI's
# generic check already runs "floatgw --version" and looks for PKG_VERSION.

case "$1" in
floatgw)
	floatgw version || exit 1
	# The configuration the package ships must pass the daemon's own
	# validator, the one the init script runs before every start.
	floatgw validate || {
		echo "FAIL: floatgw rejects the /etc/config/floatgw it ships"
		exit 1
	}
	[ -x /etc/init.d/floatgw ] || {
		echo "FAIL: /etc/init.d/floatgw missing"
		exit 1
	}
	;;
esac
