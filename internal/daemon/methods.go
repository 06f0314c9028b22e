package daemon

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/floatgw/floatgw/internal/api"
	"github.com/floatgw/floatgw/internal/config"
	"github.com/floatgw/floatgw/internal/control"
	"github.com/floatgw/floatgw/internal/doctor"
	"github.com/floatgw/floatgw/internal/keepalived"
	"github.com/floatgw/floatgw/internal/vrrp"
)

// handler answers one method with validated, normalised arguments.
type handler struct {
	call func(ctx context.Context, args map[string]any) (any, error)
	// polled: the LuCI page asks every few seconds. Its garbage is left to the GC; a
	// FreeOSMemory after each answer would cost more CPU than the few KB it hands back
	// (DESIGN.md "Memory"). Every other call asks housekeeping for a trim.
	polled bool
}

func (d *Daemon) handlers() map[string]handler {
	return map[string]handler{
		"status":        {call: func(context.Context, map[string]any) (any, error) { return d.Status(), nil }, polled: true},
		"verify":        {call: d.callVerify},
		"verify_status": {call: d.callVerifyStatus, polled: true},
		"doctor":        {call: func(ctx context.Context, _ map[string]any) (any, error) { return d.Doctor(ctx, "") }},
		"doctor_fix":    {call: d.callDoctorFix},
		"scan":          {call: d.callScan},
		"apply":         {call: d.callApply},
		"switch":        {call: d.callSwitch},
		"maintenance":   {call: d.callMaintenance},
		"logs":          {call: d.callLogs},
	}
}

// Call validates the arguments of one call against the method table of internal/api and
// answers it. It is the single entry point of ubus and the control socket; problems come back
// as *control.Error with the ubus status and stable codes.
func (d *Daemon) Call(ctx context.Context, method string, args map[string]any) (any, error) {
	m, ok := api.Lookup(method)
	if !ok {
		return nil, &control.Error{Status: control.StatusMethodNotFound, Message: fmt.Sprintf("no method %q", method)}
	}
	norm, probs := m.Check(args)
	if len(probs) > 0 {
		return nil, &control.Error{Status: control.StatusInvalidArgument, Problems: probs}
	}
	h, ok := d.methods[method]
	if !ok {
		return nil, &control.Error{Status: control.StatusNotSupported, Message: "method " + method + " is not served by this daemon"}
	}
	if !h.polled {
		defer d.trim.Store(true)
	}
	return h.call(ctx, norm)
}

func failed(code api.Code, status int, detail string) error {
	info, _ := api.LookupCode(code)
	return &control.Error{Status: status, Problems: []api.Problem{{Code: code, Severity: info.Severity, Detail: detail}}, Message: detail}
}

// config returns the running configuration (immutable), or why there is none.
func (d *Daemon) config() (*config.Config, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cfg == nil {
		detail := "no valid /etc/config/floatgw"
		if len(d.cfgProblems) > 0 {
			detail += ": " + joinProblems(d.cfgProblems)
		}
		return nil, &control.Error{Status: control.StatusNoData, Problems: append([]api.Problem(nil), d.cfgProblems...), Message: detail}
	}
	return d.cfg, nil
}

func (d *Daemon) callApply(ctx context.Context, args map[string]any) (any, error) {
	dry, _ := args["dry_run"].(bool)
	d.applyMu.Lock()
	defer d.applyMu.Unlock()
	reply, err := d.readAndApplyLocked(ctx, "apply", dry)
	if err != nil {
		d.log.Errorf("%v", err)
	}
	return reply, nil
}

func (d *Daemon) callMaintenance(_ context.Context, args map[string]any) (any, error) {
	on := args["enable"].(bool)
	if on {
		if err := writeFileAtomic(d.opt.maintFile(), []byte("1\n")); err != nil {
			return nil, failed(api.Internal, control.StatusUnknown, "persist maintenance: "+err.Error())
		}
	} else if err := os.Remove(d.opt.maintFile()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, failed(api.Internal, control.StatusUnknown, "clear maintenance: "+err.Error())
	}
	if err := d.setDemotion(demoteMaintenance, on); err != nil {
		return nil, failed(api.Internal, control.StatusUnknown, err.Error())
	}
	d.log.Noticef("maintenance %s", map[bool]string{true: "on: this node is demoted", false: "off"}[on])
	return api.MaintenanceReply{Schema: api.Schema, Maintenance: on}, nil
}

func (d *Daemon) callSwitch(_ context.Context, args map[string]any) (any, error) {
	secs := args["seconds"].(int32)
	until := time.Now().Add(time.Duration(secs) * time.Second)
	d.mu.Lock()
	d.switchUntil = until
	d.mu.Unlock()
	if err := d.setDemotion(demoteSwitch, true); err != nil {
		return nil, failed(api.Internal, control.StatusUnknown, err.Error())
	}
	d.log.Noticef("switch: handing the VIP to the peer for %d s", secs)
	return api.SwitchReply{Schema: api.Schema, Until: until.Unix()}, nil
}

func (d *Daemon) callScan(ctx context.Context, args map[string]any) (any, error) {
	cfg, err := d.config()
	if err != nil {
		return nil, err
	}
	secs := int(args["seconds"].(int32))
	own := d.own(cfg)
	rep, err := vrrp.Scan(ctx, cfg.Device, time.Duration(secs)*time.Second, &own)
	if err != nil {
		return nil, failed(api.Internal, control.StatusUnknown, "scan: "+err.Error())
	}
	reply := api.ScanReply{Schema: api.Schema, Seconds: secs, Routers: []api.ScanRouter{}}
	conflict := map[string]bool{}
	for _, c := range rep.Conflicts {
		conflict[c.Source.String()] = true
	}
	for _, v := range rep.VRIDs {
		for _, s := range v.Sources {
			r := api.ScanRouter{VRID: int(s.VRID), Source: s.Addr.String(), MAC: s.MAC, Priority: int(s.Priority),
				IntervalMs: int(s.AdvertIntervalMS), Version: s.Version, Auth: authWord(s.AuthType), Adverts: s.Count,
				Self: s.Local || s.Addr == cfg.Address.Addr(), VIPs: []string{}}
			for _, a := range s.VIPs {
				r.VIPs = append(r.VIPs, a.String())
			}
			r.Peer = !r.Self && int(s.VRID) == cfg.VRID && sameVIPs(cfg.VIPs, s.VIPs) && (len(cfg.Peers) == 0 || containsAddr(cfg.Peers, s.Addr))
			r.Conflict = int(s.VRID) == cfg.VRID && !r.Self && (conflict[r.Source] || !r.Peer)
			reply.Routers = append(reply.Routers, r)
		}
	}
	if len(rep.FreeVRIDs) > 0 {
		reply.FreeVRID = rep.FreeVRIDs[0]
	}
	return reply, nil
}

func authWord(a vrrp.AuthType) string {
	switch a {
	case 0:
		return "none"
	case 1:
		return "pass"
	}
	return "ah"
}

func (d *Daemon) callLogs(ctx context.Context, args map[string]any) (any, error) {
	n := int(args["lines"].(int32))
	lines, err := d.readLogs(ctx, n)
	if err != nil {
		return nil, failed(api.Internal, control.StatusUnknown, "logs: "+err.Error())
	}
	out := api.LogsReply{Schema: api.Schema, Lines: []api.LogLine{}}
	for _, l := range lines {
		ll := api.LogLine{Source: "keepalived", Text: l.Message}
		if l.Ident != "" {
			ll.Source = l.Ident
		}
		if l.Match != nil {
			ll.Code = doctor.LogCode(l.Match.Code)
		}
		out.Lines = append(out.Lines, ll)
	}
	return out, nil
}

// readLogs returns the newest n keepalived log lines.
func (d *Daemon) readLogs(ctx context.Context, n int) ([]keepalived.LogLine, error) {
	if d.opt.KeepalivedLog != "" {
		return readConsoleLog(d.opt.KeepalivedLog, n)
	}
	src := keepalived.DetectLogSource()
	src.Lines = n
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return src.Read(ctx)
}

// writeFileAtomic writes a small file floatgw owns (temp + fsync + rename).
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	_, err := keepalived.WriteFileAtomic(path, data, 0o644)
	return err
}

// readConsoleLog returns the newest n lines of a file written by keepalived -l (the lab's
// per-node log, where every line is keepalived's).
func readConsoleLog(path string, n int) ([]keepalived.LogLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	const max = 1 << 20
	if fi, err := f.Stat(); err == nil && fi.Size() > max {
		f.Seek(fi.Size()-max, 0)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	var ring []string
	for sc.Scan() {
		if sc.Text() == "" {
			continue
		}
		ring = append(ring, sc.Text())
		if len(ring) > n {
			ring = ring[1:]
		}
	}
	out := make([]keepalived.LogLine, len(ring))
	for i, l := range ring {
		out[i] = keepalived.ParseLogLine(l)
	}
	return out, sc.Err()
}

// Internal methods of the control socket only (not in the ubus method table): the hotplug
// forwarders use them. They change nothing the user chose.
const (
	MethodReload  = "_reload"  // re-read the configuration (the LAN came up or changed)
	MethodHotplug = "_hotplug" // a keepalived hotplug event (fallback to the notify FIFO)
)

// ControlDispatch answers the control socket: the ubus methods plus the internal ones.
func (d *Daemon) ControlDispatch(ctx context.Context, method string, args map[string]any) (any, error) {
	switch method {
	case MethodReload:
		d.Reload()
		return map[string]any{"reload": true}, nil
	case MethodHotplug:
		action, _ := args["action"].(string)
		name, _ := args["name"].(string)
		d.log.Infof("keepalived hotplug: %s %s", action, name)
		d.broadcastState("hotplug")
		return map[string]any{"ok": true}, nil
	}
	return d.Call(ctx, method, args)
}
