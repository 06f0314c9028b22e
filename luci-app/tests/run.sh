#!/bin/sh
# Checks of luci-app-floatgw that need no LuCI install (the Go side of the
# contract is internal/api/luci_contract_test.go):
#   - every JS file parses (node --check on the module wrapped the way
#     luci.js wraps it),
#   - menu.d and acl.d files are valid JSON,
#   - po/templates/floatgw.pot holds exactly the messages the sources use,
#   - the catalogues pass msgfmt --check, and zh_Hans translates every
#     message (msgcmp: no missing, untranslated or fuzzy entries).
#
# usage: luci-app/tests/run.sh        run the checks (exit 1 on failure)
#        luci-app/tests/run.sh pot    regenerate the template and merge it into zh_Hans
# needs: node, gettext (apt-get install -y nodejs gettext)

set -eu

app=$(cd "$(dirname "$0")/.." && pwd)
failed=0

fail() {
	printf 'FAIL: %s\n' "$*" >&2
	failed=1
}

need() {
	command -v "$1" >/dev/null 2>&1 || {
		printf 'missing tool %s (apt-get install -y %s)\n' "$1" "$2" >&2
		exit 1
	}
}

regen_pot() {
	node "$app/tests/i18n.js" pot >"$app/po/templates/floatgw.pot"
	msgmerge --quiet --update --no-fuzzy-matching --backup=none \
		"$app/po/zh_Hans/floatgw.po" "$app/po/templates/floatgw.pot"
	msgattrib --no-obsolete -o "$app/po/zh_Hans/floatgw.po" "$app/po/zh_Hans/floatgw.po"
	echo "regenerated po/templates/floatgw.pot; translate the new entries in po/zh_Hans/floatgw.po"
}

check_js() {
	tmp=$1
	count=0
	for f in $(find "$app/htdocs" -name '*.js' | sort); do
		out="$tmp/$(basename "$f")"
		node "$app/tests/i18n.js" wrap "$f" "$out"
		if node --check "$out" 2>"$tmp/err"; then
			count=$((count + 1))
		else
			fail "syntax: ${f#"$app"/}: $(cat "$tmp/err")"
		fi
	done
	[ "$count" -ge 5 ] || fail "expected at least 5 JS files, checked $count"
	echo "ok   js syntax ($count files)"
}

check_json() {
	for f in "$app"/root/usr/share/luci/menu.d/*.json "$app"/root/usr/share/rpcd/acl.d/*.json; do
		node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$f" ||
			fail "invalid JSON: ${f#"$app"/}"
	done
	echo "ok   menu.d and acl.d JSON"
}

check_i18n() {
	tmp=$1
	# Compare messages, not the "#: file:line" references, which move with
	# every edit (LuCI's own templates carry them the same way).
	node "$app/tests/i18n.js" pot | grep -v '^#:' >"$tmp/want.pot"
	grep -v '^#:' "$app/po/templates/floatgw.pot" >"$tmp/have.pot"
	if diff -u "$tmp/have.pot" "$tmp/want.pot" >"$tmp/pot.diff"; then
		echo "ok   po/templates/floatgw.pot has every message and no stale one"
	else
		cat "$tmp/pot.diff" >&2
		fail "po/templates/floatgw.pot is stale: run luci-app/tests/run.sh pot"
	fi
	for po in "$app/po/templates/floatgw.pot" "$app"/po/*/floatgw.po; do
		msgfmt --check -o /dev/null "$po" 2>"$tmp/msgfmt" || fail "msgfmt --check ${po#"$app"/}: $(cat "$tmp/msgfmt")"
	done
	echo "ok   msgfmt --check"
	# msgcmp treats untranslated and fuzzy entries as missing unless told
	# otherwise, so this fails on anything short of 100 %.
	if msgcmp "$app/po/zh_Hans/floatgw.po" "$app/po/templates/floatgw.pot" 2>"$tmp/msgcmp"; then
		stats=$(msgfmt --statistics -o /dev/null "$app/po/zh_Hans/floatgw.po" 2>&1)
		echo "ok   zh_Hans complete: $stats"
	else
		fail "zh_Hans incomplete: $(head -20 "$tmp/msgcmp")"
	fi
}

main() {
	need node nodejs
	need msgfmt gettext
	if [ "${1:-}" = pot ]; then
		regen_pot
		return 0
	fi
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	check_js "$tmp"
	check_json
	check_i18n "$tmp"
	if [ "$failed" -ne 0 ]; then
		echo "luci-app checks FAILED" >&2
		exit 1
	fi
	echo "luci-app checks passed"
}

main "$@"
