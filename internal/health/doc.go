// Package health decides whether this node is fit to hold the VIP and
// tells keepalived through a track_file (PRODUCT.md §2 and §3).
//
// What it does:
//
//   - Checks: ping (one ICMP echo over an unprivileged datagram "ping
//     socket" when net.ipv4.ping_group_range allows it, else a raw ICMP
//     socket), dns (an A query built by hand and sent over UDP to one
//     given resolver), tcp (a connect), http (a minimal plain-HTTP/1.1
//     GET expecting 2xx or one given status). Every check runs inside
//     the daemon: no process is ever forked per check, and no socket is
//     kept between runs.
//   - Names: a ping, tcp or http target may be a host name. It is
//     resolved at each run by the package's own IPv4 stub resolver: the
//     hosts file, then an A query over UDP to the resolv.conf
//     nameservers (/etc/resolv.conf, else OpenWrt's
//     /tmp/resolv.conf.d/resolv.conf.auto), following the CNAME chain
//     in the reply. It reuses the dns check's codec. net's resolver is
//     not linked: it and the generic net.Dial/Listen that use it cost
//     about 218 KB on mipsle, so sockets are opened with the
//     address-typed calls (DialUDP, ListenIP) and tcp connects through
//     a non-blocking socket and the runtime poller. There is no search
//     list, no TCP fallback (a truncated reply is an error saying so),
//     no cache and no IPv6.
//   - Rounds: a Monitor runs all checks of a round concurrently, each
//     bounded by its own timeout, every Interval.
//   - Decision: a pure Evaluator (k-of-n per round, Fall failed rounds
//     to go Down, Rise passed rounds to go Up, at least HoldDown spent
//     Down) whose counters live in the long-running daemon, so they
//     persist across rounds (unlike a vrrp_script checker that starts
//     from scratch every time).
//   - Effect: the verdict is written atomically (temp, fsync, rename) to
//     the track file only when it changes; the written values are
//     configurable (default 0 healthy, 1 unhealthy).
//
// What it does not do: read UCI (the daemon maps its configuration onto
// Config), render keepalived's track_file block or choose its weight
// (the keepalived renderer does; weight 0 turns 1 into FAULT, a
// negative weight W lowers the priority by |W|), log, or check IPv6.
//
// Size budget. HTTP is a hand-written client because the standard one
// is too large for the 4 MiB linux/mipsle budget (PRODUCT.md §7).
// Measured with Go 1.23.12, GOOS=linux GOARCH=mipsle GOMIPS=softfloat
// CGO_ENABLED=0, -ldflags='-s -w' -trimpath, on a tiny main that dials
// TCP and reads one line:
//
//	net + bufio only           2,293,943 bytes
//	+ net/http client          5,570,743 bytes (+3,276,800)
//	+ crypto/tls (no net/http) 4,391,095 bytes (+2,097,152)
//
// So there is no TLS: an https check alone would cost about half of the
// whole binary budget. A tcp check on port 443 covers "is it up". The
// whole package (four checks, Monitor, x/sys/unix) in the same tiny
// main builds to 2,490,551 bytes: +196,608 over the net-only main.
//
// The states, timers and timing budget are in DESIGN.md.
package health
