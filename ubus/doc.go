// Package ubus is a native Go implementation of OpenWrt's ubus: the wire
// codec (messages, blob and blobmsg exactly as libubox lays them out), a
// client that calls, looks up, sends and listens to events and subscribes to
// notifications, and an object server, all over one connection to ubusd
// and without libubus or cgo. It is checked byte for byte against
// transcripts recorded from a real ubusd.
//
// # Codec
//
// Message is one frame (header plus attributes in wire order); ParseMessage,
// ReadMessage and Message.MarshalBinary convert it. ReadMessage checks the
// version and the 1 MiB cap (MaxMessageLen) before allocating. Value, Field
// and Table hold blobmsg data of every type (TypeTable, TypeArray,
// TypeString, TypeInt64, TypeInt32, TypeInt16, TypeInt8 = TypeBool,
// TypeDouble, TypeUnspec); MarshalTable and UnmarshalTable convert table
// contents, Decoder walks them with one sticky error. Nesting is capped at
// MaxDepth. Decoding never aliases its input and reports any truncated,
// misaligned, mistyped or over-deep input as an error matching ErrMalformed;
// it never panics (fuzzed). JSONToBlobmsg and BlobmsgToJSON(Indent) convert
// with the type rules of the ubus command line.
//
// # Client
//
//	c, err := ubus.Dial(ctx, "")              // /var/run/ubus/ubus.sock, then /var/run/ubus.sock
//	defer c.Close()
//	reply, err := c.Call(ctx, "network.interface.lan", "status", nil)
//	if errors.Is(err, ubus.StatusNotFound) { … }
//	err = c.Send(ctx, "floatgw.state", ubus.Table{{Name: "vip", Value: ubus.String("lan")}})
//	l, err := c.Listen(ctx, "network.*", func(event string, data ubus.Table) { … })
//	s, err := c.Subscribe(ctx, "floatgw", func(typ string, data ubus.Table) { … })
//
// Every request has a deadline: the context's, or DefaultTimeout (30 s,
// WithTimeout) when it has none. Remote status codes come back as
// *StatusError, which unwraps to a Status constant usable with errors.Is.
// Status itself is an error, so handlers return ubus.StatusInvalidArgument
// and friends directly.
//
// # Server
//
//	obj := &ubus.Object{Name: "floatgw", Methods: []ubus.Method{
//		{Name: "status", Handler: status},
//		{Name: "set", Policy: []ubus.Arg{
//			{Name: "vip", Type: ubus.TypeString, Required: true},
//			{Name: "prio", Type: ubus.TypeInt32},
//		}, Handler: set},
//	}}
//	err := c.AddObject(ctx, obj)
//	err = c.Notify(ctx, obj, "vip.update", data)
//
// Each INVOKE is validated against the method's policy (missing required
// argument or incompatible type: INVALID_ARGUMENT, handler not called),
// then handled on its own goroutine; the handler's reply goes out as DATA
// then STATUS. Request.Defer answers later. The ubus_rpc_session argument
// that LuCI and uhttpd add is moved to Request.Session. Unknown methods get
// METHOD_NOT_FOUND.
//
// # Restarts
//
// When ubusd goes away every client loses everything. A Client reconnects by
// itself with capped exponential backoff (WithBackoff, default 50 ms to 1 s)
// and re-registers its objects, event listeners and subscriptions; requests
// outstanding at the moment of loss fail with ErrDisconnected, requests made
// while disconnected wait within their deadline. WithStateFunc reports the
// transitions; Run(ctx) fits the client into an errgroup. WithoutReconnect
// turns this off.
//
// # What it does not do
//
// It does not implement ubusd itself (see package ubustest for a test
// broker), the MONITOR client side, ACL registration (ubus_register_acl),
// file-descriptor passing (fds sent by peers are closed by the kernel) or
// point-to-point channels. It never logs; it reports through errors and the
// state callback. It carries no floatgw types.
package ubus
