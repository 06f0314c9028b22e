#!/bin/sh
# initd-harness.sh INIT FUNCTION...: sources the procd stub and the init
# script the way rc.common does, records the init script's default PROG,
# points PROG at $STUB_PROG, then calls each FUNCTION and records its exit
# status. rc.common's "start" (called by reload_service) is a recorder that
# runs start_service, as the real one does inside procd_open_service.

# shellcheck source=/dev/null # testdata/procd-stub/procd.sh
. "$STUB_DIR/procd.sh"
# shellcheck source=/dev/null
. "$1"
shift
stub_record after-source
stub_record PROG "$PROG" START "$START" STOP "$STOP" USE_PROCD "$USE_PROCD"
PROG="$STUB_PROG"

start() {
	stub_record rc.common-start
	start_service
}

for f in "$@"; do
	"$f"
	stub_record "$f" "rc=$?"
done
