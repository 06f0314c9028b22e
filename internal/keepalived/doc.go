// Package keepalived drives keepalived for floatgw: it renders the
// keepalived configuration floatgw owns, applies it, and observes what
// keepalived does.
//
// What it does:
//
//   - Render turns a Spec (this package's own input type; the daemon maps
//     the validated floatgw configuration onto it) into a complete
//     keepalived configuration. Render is pure and rejects what keepalived
//     2.2.7 would reject or warn about, including the combination that makes
//     `keepalived -t` hang (an instance naming an undefined track_file).
//   - Applier writes the rendered file atomically (temp + fsync + rename),
//     optionally keeps one `include` line in a user-owned keepalived.conf
//     (plain Linux) and asks a Reloader to reload keepalived only when
//     something changed. Reloaders: OpenWrt's init script, systemd over
//     D-Bus (not in the openwrt build) and a pid-file SIGHUP.
//   - ParseFIFOLine and FIFOReader turn keepalived's vrrp_notify_fifo into
//     ordered, typed, time-stamped events and survive keepalived restarts.
//   - ParseHotplugEnv validates the environment OpenWrt's hotplug-call hands
//     to /etc/hotplug.d/keepalived scripts (the fallback event path).
//   - ParseJSONDump and Dumper read keepalived's JSON state dump
//     (SIGRTMIN+2, `keepalived --signum=JSON`) once the file is complete.
//   - ParseLogLine and MatchLogMessage mark the known keepalived log lines (the seeds' error
//     table and keepalived's own messages) with stable UPPER_SNAKE codes;
//     LogSource fetches recent lines from logread, journalctl or a file.
//
// What it does not do: it does not decide roles or priorities (the daemon
// and internal/health do), it does not write UCI (internal/writers points
// keepalived.globals.alt_config_file at the rendered file), it never starts
// or daemonizes keepalived itself (keepalived's own service supervises it),
// and it never logs: every problem is returned as an error.
//
// Concurrency: the pure functions are safe for concurrent use. Applier,
// FIFOReader, Dumper and LogSource values are documented on their types.
package keepalived
