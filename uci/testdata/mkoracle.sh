#!/bin/sh
# Regenerate the oracle files for uci/testdata/nasty with the real uci tool.
#
# usage: mkoracle.sh /path/to/uci
#
# The uci binary must be built unmodified from openwrt/uci (these files were
# made with commit 66127cd76c5d0bd46d5a90302cc6110f53a4e2f8, the same as
# ../shared/uci-samples, compiled with
#   gcc -std=gnu99 -O1 -DUCI_PREFIX='"/usr"' -I. -o uci \
#       cli.c libuci.c file.c util.c delta.c parse.c
# after turning uci_config.h.in into an empty uci_config.h).
# For every file F in nasty/ it writes F.show, F.showX, F.export and
# F.exportn, or F.error when uci rejects the file (stderr with the program
# name replaced by "uci").
set -eu

uci=${1:?usage: mkoracle.sh /path/to/uci}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

for f in "$here"/nasty/*; do
	case $f in
	*.show | *.showX | *.export | *.exportn | *.error) continue ;;
	esac
	name=$(basename "$f")
	rm -rf "$work/c" "$work/e" "$work/t"
	mkdir "$work/c" "$work/e" "$work/t"
	cp "$f" "$work/c/$name"
	rm -f "$f.show" "$f.showX" "$f.export" "$f.exportn" "$f.error"
	if "$uci" -c "$work/c" -C "$work/e" -t "$work/t" show "$name" >"$f.show" 2>"$work/err"; then
		"$uci" -c "$work/c" -C "$work/e" -t "$work/t" -X show "$name" >"$f.showX"
		"$uci" -c "$work/c" -C "$work/e" -t "$work/t" export "$name" >"$f.export"
		"$uci" -c "$work/c" -C "$work/e" -t "$work/t" -n export "$name" >"$f.exportn"
	else
		rm -f "$f.show"
		sed "s|^$uci:|uci:|" "$work/err" >"$f.error"
	fi
done
