// Command ipk builds installable OpenWrt .ipk packages of floatgw and
// luci-app-floatgw without the OpenWrt SDK.
//
//	go run ./scripts/ipk -arch mipsel_24kc -bin dist/floatgw-linux-mipsle -out dist
//	go run ./scripts/ipk -pkg luci-app-floatgw -out dist
//
// The second also writes one luci-i18n-floatgw-<lang> package per
// translated language in luci-app/po, with the catalogs compiled to LuCI's
// .lmo format exactly as po2lmo does (see lmo.go), as luci.mk would.
//
// The result has the layout OpenWrt's scripts/ipkg-build produces, which is
// what opkg (OpenWrt 24.10 and older) installs: a gzip-compressed GNU tar
// holding ./debian-binary ("2.0"), ./data.tar.gz and ./control.tar.gz, in
// that order. Every entry is owned by 0:0, has an exact mode and the mtime
// $SOURCE_DATE_EPOCH (else the last commit's time), and entries are sorted by
// name, so the same inputs give the same bytes. Installed-Size is the size of
// the uncompressed data tar, as ipkg-build computes it.
//
// Package metadata (version, release, license, maintainer, section, URL,
// dependencies, description) is read from the feed Makefiles in
// openwrt-feed/, so the standalone packages and the SDK-built ones agree.
// The maintainer scripts are the files in control/, embedded in the command.
//
// What it deliberately does not do: build the Go binary (the Makefile does,
// with -tags openwrt, CGO_ENABLED=0, -trimpath, -ldflags "-s -w"); build
// .apk packages for OpenWrt 25.12 and later (those need apk-tools v3's
// "apk mkpkg" and a signing key: use the SDK with the feed). It refuses a
// binary that is not a stripped, statically linked ELF for the package
// architecture, and it refuses to invent a default configuration when
// internal/config/floatgw.conf is missing.
package main
