package main

import (
	"context"
	"errors"
	"os"

	"github.com/floatgw/floatgw/internal/control"
	"github.com/floatgw/floatgw/internal/jsonx"
	"github.com/floatgw/floatgw/ubus"
)

// The CLI reaches the daemon through ubus when ubusd is there and knows the object floatgw
// (OpenWrt), else through the daemon's control socket (plain Linux, or ubusd down). Both carry
// the same methods; replies come back as JSON either way.

// ubusSocket returns the ubusd socket to use, "" when there is none. FLOATGW_UBUS overrides
// it; FLOATGW_ROOT (the lab) means the control socket.
func ubusSocket() string {
	if p := os.Getenv("FLOATGW_UBUS"); p != "" {
		return p
	}
	if os.Getenv("FLOATGW_ROOT") != "" {
		return ""
	}
	for _, p := range []string{"/var/run/ubus/ubus.sock", "/var/run/ubus.sock"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// callDaemon makes one call, through ubus if possible, else the control socket.
func callDaemon(ctx context.Context, method string, args map[string]any) (jsonx.RawMessage, error) {
	if sock := ubusSocket(); sock != "" {
		data, err := callUbus(ctx, sock, method, args)
		if !errors.Is(err, errNoUbusObject) {
			return data, err
		}
	}
	return control.Call(ctx, socketPath(), method, args)
}

var errNoUbusObject = errors.New("no floatgw object on ubus")

func callUbus(ctx context.Context, sock, method string, args map[string]any) (jsonx.RawMessage, error) {
	c, err := ubus.Dial(ctx, sock, ubus.WithoutReconnect())
	if err != nil {
		return nil, errNoUbusObject
	}
	defer c.Close()
	if _, err := c.LookupID(ctx, "floatgw"); err != nil {
		return nil, errNoUbusObject
	}
	var t ubus.Table
	if len(args) > 0 {
		b, err := jsonx.Marshal(args)
		if err != nil {
			return nil, err
		}
		if t, err = ubus.JSONToBlobmsg(b); err != nil {
			return nil, err
		}
	}
	reply, err := c.Call(ctx, "floatgw", method, t)
	if err != nil {
		var st ubus.Status
		if errors.As(err, &st) {
			return nil, &control.Error{Status: int(st), Message: st.Error()}
		}
		return nil, &control.Error{Status: control.StatusConnFailed, Message: err.Error()}
	}
	return ubus.BlobmsgToJSON(reply)
}
