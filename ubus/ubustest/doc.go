// Package ubustest provides an in-process ubus broker for tests: a Broker
// listens on a real unix socket path and behaves like ubusd on every flow
// recorded in shared/ubus-vectors (it is checked against those transcripts
// byte for byte, modulo the random ids). Programs under test connect to it
// exactly as they would to ubusd, with ubus.Dial(ctx, broker.Path()), or
// with the ubus command line pointed at the path.
//
// Stop and Start kill and respawn the broker on the same path with empty
// state, which is how reconnection and re-registration are tested.
//
// It deliberately does not implement ubusd's ACL files, file-descriptor
// passing, or the ACL object's query method (answered with an empty OK);
// message size limits, queue limits and all status codes are ubusd's.
package ubustest
