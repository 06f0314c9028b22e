package daemon

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/floatgw/floatgw/internal/api"
	"github.com/floatgw/floatgw/internal/control"
	"github.com/floatgw/floatgw/internal/jsonx"
	"github.com/floatgw/floatgw/ubus"
)

// ubusSockets are where ubusd listens (libubus' default, then the legacy path).
var ubusSockets = []string{"/var/run/ubus/ubus.sock", "/var/run/ubus.sock"}

func (d *Daemon) ubusPath() string {
	if d.opt.UbusSocket != "" {
		if _, err := os.Stat(d.opt.UbusSocket); err == nil {
			return d.opt.UbusSocket
		}
		return ""
	}
	for _, p := range ubusSockets {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// runUbus registers the object `floatgw` while ubusd is there; the client reconnects and
// re-registers by itself after ubusd restarts. Without ubusd (plain Linux) it does nothing:
// the control socket serves the same methods.
func (d *Daemon) runUbus(ctx context.Context) {
	path := d.ubusPath()
	if path == "" {
		d.log.Infof("no ubusd socket: serving the control socket only")
		return
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	c, err := ubus.Dial(dctx, path, ubus.WithBackoff(100*time.Millisecond, 5*time.Second))
	cancel()
	if err != nil {
		d.log.Errorf("ubus: %v (serving the control socket only)", err)
		return
	}
	obj := d.ubusObject()
	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err = c.AddObject(actx, obj)
	cancel()
	if err != nil {
		d.log.Errorf("ubus: add object floatgw: %v", err)
		c.Close()
		return
	}
	d.mu.Lock()
	d.ubus = c
	d.mu.Unlock()
	d.log.Infof("ubus object floatgw registered on %s", path)
	if err := c.Run(ctx); err != nil {
		d.log.Errorf("ubus: %v", err)
	}
	d.mu.Lock()
	d.ubus = nil
	d.mu.Unlock()
}

// ubusObject builds the object from the method table: one policy per method (STYLE rule 3),
// every call answered by Call.
func (d *Daemon) ubusObject() *ubus.Object {
	obj := &ubus.Object{Name: api.Object}
	for _, m := range api.Methods {
		m := m
		var policy []ubus.Arg
		for _, a := range m.Args {
			policy = append(policy, ubus.Arg{Name: a.Name, Type: ubus.Type(a.Type.BlobmsgType()), Required: a.Required})
		}
		obj.Methods = append(obj.Methods, ubus.Method{Name: m.Name, Policy: policy, Handler: func(ctx context.Context, req *ubus.Request) (ubus.Table, error) {
			args, err := tableToMap(req.Args)
			if err != nil {
				return nil, ubus.StatusInvalidArgument
			}
			v, err := d.Call(ctx, m.Name, args)
			if err != nil {
				var ce *control.Error
				if errors.As(err, &ce) {
					// The explanation travels as DATA before the error STATUS, so `ubus call`
					// and LuCI can show it.
					if len(ce.Problems) > 0 || ce.Message != "" {
						t, jerr := toTable(map[string]any{"problems": ce.Problems, "message": ce.Message})
						if jerr == nil {
							dfr := req.Defer()
							dfr.Data(t)
							dfr.Reply(nil, ubus.Status(ce.Status))
							return nil, nil
						}
					}
					return nil, ubus.Status(ce.Status)
				}
				return nil, err
			}
			return toTable(v)
		}})
	}
	return obj
}

func tableToMap(t ubus.Table) (map[string]any, error) {
	b, err := ubus.BlobmsgToJSON(t)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := jsonx.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

func toTable(v any) (ubus.Table, error) {
	b, err := jsonx.Marshal(v)
	if err != nil {
		return nil, err
	}
	return ubus.JSONToBlobmsg(b)
}

// sendEvent broadcasts a ubus event when ubusd is there.
func (d *Daemon) sendEvent(name string, data map[string]any) {
	d.mu.Lock()
	c := d.ubus
	d.mu.Unlock()
	if c == nil {
		return
	}
	t, err := toTable(data)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.Send(ctx, name, t); err != nil {
		d.log.Limitf("ubus-event", 4, "ubus: send %s: %v", name, err)
	}
}

// netifdDevice asks netifd for the device of a logical network (OpenWrt).
func (d *Daemon) netifdDevice(ctx context.Context, network string) string {
	path := d.ubusPath()
	if path == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	c, err := ubus.Dial(ctx, path, ubus.WithoutReconnect())
	if err != nil {
		d.log.Limitf("netifd", 4, "ubus: %v", err)
		return ""
	}
	defer c.Close()
	t, err := c.Call(ctx, "network.interface."+network, "status", nil)
	if err != nil {
		d.log.Limitf("netifd", 4, "netifd: network.interface.%s status: %v", network, err)
		return ""
	}
	if s, ok := t.String("l3_device"); ok && s != "" {
		return s
	}
	s, _ := t.String("device")
	return s
}
