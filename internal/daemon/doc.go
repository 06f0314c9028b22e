// Package daemon is the floatgw service: it owns the long-running tasks (configuration,
// keepalived observer, netlink watcher, VRRP listener, health monitor, drift verifier, ubus
// object, control socket), keeps the state they observe, and answers the methods of the ubus
// object `floatgw` (internal/api) over ubus and over the control socket alike.
//
// Every goroutine is started by Run in an errgroup and ends with its context; blocking reads
// are interrupted by deadlines or by closing their sockets; shutdown finishes in well under
// procd's 5 s term timeout. Domain decisions live in the domain packages (config, keepalived,
// health, drift, doctor, vrrp, netwatch, arp); this package gathers their inputs and executes
// their actions.
//
// It deliberately does not daemonize, supervise keepalived, or parse UCI text itself.
package daemon
