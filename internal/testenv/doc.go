// Package testenv holds the helpers floatgw's tests share: finding the
// repository root and the fixtures in ../shared beside it, and building
// small network-namespace setups (namespaces, veth pairs, running a
// function inside a namespace, waiting for carrier).
//
// It is for tests only. Product code never imports it (a test in
// internal/archtest checks that cmd/floatgw does not depend on it), so
// nothing here ends up in the floatgw binary. Every helper takes a
// testing.TB and reports problems through it: a missing precondition
// (not root, no `ip netns`, no ../shared fixtures) is a loud t.Skip, a
// failing command is t.Fatal. Helpers never log and never touch the
// host's own interfaces, routes or firewall; everything they create is
// removed in t.Cleanup.
//
// It does not provide the lab (scripts/lab, internal/labtest) and does
// not start keepalived or any other daemon.
package testenv
