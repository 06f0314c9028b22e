#!/bin/sh
# Stub of OpenWrt's /lib/functions/procd.sh for off-device tests of
# initd/floatgw. Every helper the init script may call appends one line to
# $STUB_LOG: its name and arguments separated by "|". uci_load_validate
# stands in for the real one (which runs /sbin/validate_data): it sets
# $enabled from $STUB_ENABLED and calls the callback with $STUB_VALID as the
# validation result; without a callback it returns $STUB_VALID, as the real
# one does when procd_add_validation asks for the option list.

stub_record() {
	(
		IFS='|'
		printf '%s\n' "$*"
	) >>"$STUB_LOG"
}

procd_open_instance() { stub_record procd_open_instance "$@"; }
procd_set_param() { stub_record procd_set_param "$@"; }
procd_append_param() { stub_record procd_append_param "$@"; }
procd_close_instance() { stub_record procd_close_instance "$@"; }
procd_add_reload_trigger() { stub_record procd_add_reload_trigger "$@"; }
procd_add_interface_trigger() { stub_record procd_add_interface_trigger "$@"; }
procd_add_reload_interface_trigger() { stub_record procd_add_reload_interface_trigger "$@"; }
procd_add_raw_trigger() { stub_record procd_add_raw_trigger "$@"; }
procd_send_signal() { stub_record procd_send_signal "$@"; }
procd_kill() { stub_record procd_kill "$@"; }

procd_add_validation() {
	stub_record procd_add_validation "$@"
	"$@"
}

procd_running() {
	stub_record procd_running "$@"
	[ "${STUB_RUNNING:-0}" = 1 ]
}

uci_load_validate() {
	stub_record uci_load_validate "$@"
	# shellcheck disable=SC3043 # busybox ash and dash have local
	local _name="$3" _function="$4" enabled
	[ -n "$_function" ] || return "${STUB_VALID:-0}"
	# shellcheck disable=SC2034 # read by the callback, as with the real helper
	enabled="${STUB_ENABLED:-0}"
	"$_function" "$_name" "${STUB_VALID:-0}"
}
