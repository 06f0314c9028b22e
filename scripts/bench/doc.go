// Command bench is `make bench`: it measures how fast and how cheaply
// floatgw keeps the gateway up, each figure in the same run as its
// baseline, over repeated trials, and writes the results with the machine
// they were taken on.
//
//	go run ./scripts/bench [-bin bin/floatgw] [-dist dist] [-out docs/bench]
//	                       [-trials 5] [-idle 90s] [-prefix fgw-bench]
//
// It needs root: it brings up the two-router lab (scripts/lab up --floatgw,
// real keepalived) under its own LAB_PREFIX and tears it down at the end.
// Both routers' floatgw daemons are restarted connected to an in-process
// ubus broker (ubus/ubustest), one per router, so that the daemons'
// floatgw.state events can be received and `status` timed through ubus.
//
// Figures, all taken in one run (trials of the switch figures interleaved,
// so that a change in machine load hits floatgw and its baseline alike):
//
//   - controlled handover: `floatgw verify --mode soft` on the VIP holder
//     (r2) versus keepalived's own graceful stop (SIGTERM to r2's
//     keepalived, what `scripts/lab keepalived r2 stop` sends) versus the
//     RFC Skew_Time of the backup, for VRRPv2 at advert_int 1 s and VRRPv3
//     at 0.1 s;
//   - silent-master takeover: `floatgw verify --mode hard` versus
//     Master_Down_Interval;
//   - the client's longest gap between replies to `ping -D -i 0.01 VIP`
//     during each switch;
//   - verification wall time (the CLI from exec to exit) and its overhead
//     beyond the protocol's own waits;
//   - detection latency: a VIP address change as read by an independent
//     rtnetlink listener (internal/netwatch in this process) → the
//     daemon's floatgw.state ubus event received by a subscriber;
//   - health checking cost (internal/health/bench, run as it is);
//   - daemon idle RSS and CPU per hour next to keepalived's in the same
//     window; `status` round trip over the control socket and through
//     ubustest;
//   - stripped binary sizes from -dist (make cross).
//
// Nothing is asserted: the program prints one table and writes
// results.json and results.md under -out; regressions show by comparing
// runs. It deliberately does not retry or drop slow trials: a trial that
// fails is counted and reported, not hidden.
package main
