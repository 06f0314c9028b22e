// Package drift is the pure core of floatgw's drift verification
// (PRODUCT.md §5): "if this router fails, do clients keep their gateway?",
// answered with a measured, reversible VIP switch.
//
// It holds three things, all without I/O:
//
//   - the VRRP budget math of RFC 3768 §6.1 and RFC 5798 §6.1
//     ([SkewTime], [MasterDownInterval], [Budgets]): how long a handover,
//     a takeover and a failback may take for the configured advert
//     interval, priorities and preempt settings;
//   - the run state machine ([New], [Step], [Recover]): given the current
//     [State], one [Input] and the time, it returns the next State and the
//     [Action]s the daemon must execute. Every change to the router is
//     journalled and paired with its undo before it is issued, so [Undo]
//     always knows the way back, also after a crash of the daemon
//     ([MarshalJournal], [UnmarshalJournal], [Recover]);
//   - the comparison of intent and observation ([Compare]): what should
//     have happened against what was seen, as problems with stable codes,
//     evidence and a fix (internal/api's [api.Problem]).
//
// DESIGN.md beside this file describes the states, inputs, actions, every
// timer and its RFC source, and the measured keepalived behaviour the
// design rests on.
//
// What it deliberately does not do: no sockets, files, signals, clocks or
// goroutines (time comes in as the now argument; timers are actions and
// inputs), no logging, no parsing of keepalived output or packets (the
// daemon turns those into [Input]s), and no knowledge of the daemon's
// transports (ubus, control socket, events). All functions are safe for
// concurrent use; a [State] is a value that one run owns and passes from
// one [Step] to the next.
package drift
