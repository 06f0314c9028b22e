// Package labtest holds the end-to-end tests that run in the namespace lab of scripts/lab:
// two routers with real keepalived, a LAN client and an upstream host on one machine.
//
// The tests need root and `ip netns`; without them they skip with a loud message, never
// silently. Each test builds its own lab under a unique LAB_PREFIX and removes it afterwards, so
// tests never share state and never touch the host's interfaces, routes or firewall.
//
// It deliberately contains no product code: only helpers to drive the lab from tests.
package labtest
