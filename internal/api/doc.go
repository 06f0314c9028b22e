// Package api is the contract of the floatgw ubus object: the single table of
// its methods (name, read or write, arguments with their types and limits),
// the stable problem codes with their English meaning, the vocabulary of
// states and verification steps, and the shapes of the replies.
//
// The daemon registers exactly the methods in [Methods] (their ubus
// signatures come from [Arg.Type]), validates every call with
// [Method.Check], and fills the reply types in this package. The LuCI app in
// luci-app/ is checked against the same table by luci_contract_test.go: every
// rpc.declare in the views names a method and arguments from [Methods], the
// rpcd ACL grants only methods from [Methods] and its read grant holds no
// [Write] method, and the shared LuCI resource translates every [Codes]
// entry, every verification step and every state word.
//
// One catalogue for every reporter. internal/doctor and internal/drift
// report problems with codes from [Codes] and fixes from [Fixes] only: one
// ID per remedy, whoever offers it. The safe fixes, which doctor_fix
// applies itself, are exactly [SafeFixIDs]; every other fix is an
// instruction. internal/drift's catalogue test scans its source and runs
// every kind of verification to check that each code, fix and step it can
// report is here.
//
// Read and write. rpcd ACLs match ubus method names only, never arguments,
// so a method either changes nothing (Read) or may change the router (Write).
// That is why the PRODUCT's `doctor {"fix": true}` is spelled as its own
// method, doctor_fix: a read grant on a method that accepted fix:true would
// let read-only users change the firewall. doctor itself takes no fix
// argument, and a call with one is refused with ARG_UNKNOWN. The same rule
// puts apply (even with dry_run) under Write, because the ACL cannot tell a
// dry run from a real one.
//
// What it does not do: no I/O, no ubus or blobmsg encoding, no logging, no
// imports of other floatgw packages. The reply types are plain data with
// JSON tags; how they travel (blobmsg over ubus, JSON over the control
// socket) is the daemon's business. Everything exported is immutable by
// convention: the tables are package-level slices that callers must not
// modify; all functions are safe for concurrent use.
package api
