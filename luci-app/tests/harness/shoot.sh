#!/bin/sh
# Renders the real floatgw LuCI views in the harness (index.html with
# luci-stub.js and samples.json) with headless Chromium and writes the
# README screenshots to docs/screenshots/. Not a real LuCI: see
# luci-stub.js.
#
# usage: luci-app/tests/harness/shoot.sh [OUTDIR]   (default: <repo>/docs/screenshots)
# needs: chromium, python3 (apt-get install -y chromium fonts-noto-cjk)

set -eu

here=$(cd "$(dirname "$0")" && pwd)
app=$(cd "$here/../.." && pwd)
out=${1:-$(cd "$app/.." && pwd)/docs/screenshots}
port=${HARNESS_PORT:-18765}

chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$chrome" ] || {
	echo "chromium not found (apt-get install -y chromium fonts-noto-cjk)" >&2
	exit 1
}

mkdir -p "$out"
profile=$(mktemp -d)
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$app" >"$profile/http.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null; rm -rf "$profile"' EXIT

# Wait for the server to accept connections (at most 5 s).
i=0
until python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1])" \
	"http://127.0.0.1:$port/tests/harness/index.html" >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 50 ] || {
		echo "harness server did not start" >&2
		exit 1
	}
	sleep 0.1
done

shot() {
	name=$1
	query=$2
	height=$3
	"$chrome" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run \
		--user-data-dir="$profile/chrome" --hide-scrollbars \
		--virtual-time-budget=5000 --window-size="1280,$height" \
		--screenshot="$out/$name.png" \
		"http://127.0.0.1:$port/tests/harness/index.html?$query" >/dev/null 2>&1
	[ -s "$out/$name.png" ] || {
		echo "no screenshot for $name" >&2
		exit 1
	}
	echo "wrote $out/$name.png"
}

shot status 'view=status' 1320
shot verify 'view=verify' 1250
shot diagnostics 'view=diagnostics&act=scan' 1250
shot status.zh_Hans 'view=status&lang=zh_Hans' 1400
