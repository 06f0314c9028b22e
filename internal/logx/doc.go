// Package logx is floatgw's logger: syslog with real priorities (ident "floatgw", facility
// daemon) on a router, or stderr in the foreground and in tests (-S). Repeated messages with the
// same key are rate-limited so that a failing check cannot flood logd's small ring buffer.
//
// Syslog lines go over the local unix socket (/dev/log, datagram or stream) in the RFC 3164 form
// log/syslog wrote ("<PRI>Mmm dd hh:mm:ss floatgw[PID]: msg"), by a small writer of its own that
// reconnects once after a failed send: log/syslog itself dials with net.Dial, which links net's DNS
// resolver (about 218 KB on mipsle). When no syslog socket answers, lines go to stderr instead.
// It has no levels beyond syslog's and no structured output.
// Libraries (ubus/, uci/) never log; the daemon and its tasks do.
package logx
