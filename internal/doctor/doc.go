// Package doctor turns evidence about a router into diagnoses: one check per item of the
// diagnosis catalogue (PRODUCT.md §6, both seed documents), each with a stable code, a
// severity, the evidence it rests on, an explanation and — where it is safe — a fix id.
//
// The package is pure: [Diagnose] reads an [Evidence] value and returns problems. Gathering the
// evidence (processes, `keepalived -t`, firewall, logs, adverts heard on the wire, ARP probes)
// is the daemon's job, done concurrently and bounded in time; applying a fix is also the
// daemon's job. That split keeps every check table-testable with evidence captured from a real
// keepalived (../shared/keepalived-samples), and lets the lab tests create each condition for
// real and assert the same codes.
//
// It deliberately does not decide anything the user chose: switching to unicast, changing the
// VRID or removing vrrp_strict are offered as instructions (Fix.Safe false), never applied.
package doctor
