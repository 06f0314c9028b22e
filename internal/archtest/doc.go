// Package archtest keeps the dependency arrow of STYLE.md rule 1 honest:
// cmd/floatgw → internal/daemon → domain packages → libraries (ubus/, uci/).
// It has no code of its own, only a test that reads `go list -deps`.
package archtest
