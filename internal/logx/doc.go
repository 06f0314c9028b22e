// Package logx is floatgw's logger: syslog with real priorities (ident "floatgw", facility
// daemon) on a router, or stderr in the foreground and in tests (-S). Repeated messages with the
// same key are rate-limited so that a failing check cannot flood logd's small ring buffer.
//
// It is a thin layer over log/syslog; it has no levels beyond syslog's and no structured output.
// Libraries (ubus/, uci/) never log; the daemon and its tasks do.
package logx
