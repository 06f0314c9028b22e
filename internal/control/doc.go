// Package control is the daemon's local control socket: the same methods as the ubus object
// `floatgw`, for machines without ubusd (plain Linux) and as the CLI's fallback.
//
// The wire format is one JSON object per line in each direction:
//
//	request:  {"method":"status","args":{...}}
//	response: {"status":0,"data":{...}}            (status 0 = UBUS_STATUS_OK)
//	          {"status":2,"problems":[...]}         (status uses the ubus status numbers)
//
// A connection carries any number of requests, answered in order. The socket is created with
// mode 0600 and the server also checks the peer's credentials (SO_PEERCRED): only root (or the
// daemon's own uid) may call, because several methods change the router.
//
// It deliberately knows nothing about the methods themselves: a Dispatcher does.
package control
