package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/floatgw/floatgw/internal/api"
	"github.com/floatgw/floatgw/internal/config"
	"github.com/floatgw/floatgw/internal/health"
	"github.com/floatgw/floatgw/internal/keepalived"
	"github.com/floatgw/floatgw/uci"
)

// readConfig reads and validates /etc/config/floatgw without changing anything.
func (d *Daemon) readConfig(ctx context.Context) (*config.Config, error) {
	store := &uci.DirStore{Dir: d.opt.ConfigDir}
	pkg, err := store.Load("floatgw")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read %s/floatgw: %w", d.opt.ConfigDir, err)
		}
		return nil, err
	}
	env := d.resolveEnv(ctx, pkg)
	return config.Parse(pkg, env)
}

// resolveEnv finds the LAN device and this node's addresses on it: lan_device if given,
// else netifd's view of the logical network (OpenWrt).
func (d *Daemon) resolveEnv(ctx context.Context, pkg *uci.Package) config.Env {
	var env config.Env
	dev := ""
	if v, ok := getOpt(pkg, "lan_device"); ok {
		dev = v
	} else if d.opt.Platform == PlatformOpenWrt {
		lan := config.DefaultLAN
		if v, ok := getOpt(pkg, "lan"); ok {
			lan = v
		}
		dev = d.netifdDevice(ctx, lan)
	}
	if dev == "" {
		return env
	}
	env.LANDevice = dev
	if ifi, err := net.InterfaceByName(dev); err == nil {
		addrs, _ := ifi.Addrs()
		vips := map[netip.Addr]bool{}
		for _, v := range getList(pkg, "vip") {
			if p, err := netip.ParsePrefix(v); err == nil {
				vips[p.Addr()] = true
			} else if a, err := netip.ParseAddr(v); err == nil {
				vips[a] = true
			}
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			ip, ok := netip.AddrFromSlice(ipn.IP)
			if !ok || !ip.Unmap().Is4() || vips[ip.Unmap()] {
				continue // the VIP itself is not this node's address
			}
			bits, _ := ipn.Mask.Size()
			env.LANAddrs = append(env.LANAddrs, netip.PrefixFrom(ip.Unmap(), bits))
		}
	}
	return env
}

func mainSection(pkg *uci.Package) string {
	if _, ok := pkg.Section("main"); ok {
		return "main"
	}
	return "@floatgw[0]"
}

func getOpt(pkg *uci.Package, opt string) (string, bool) {
	v, ok := pkg.Get(mainSection(pkg), opt)
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

func getList(pkg *uci.Package, opt string) []string {
	v, _ := pkg.Get(mainSection(pkg), opt)
	return v
}

// loadAndApply reads the configuration; if it is valid it becomes the running one and is
// applied (keepalived, and on OpenWrt the firewall, keepalived UCI and DHCP). A rejected
// configuration keeps the running one and says why.
func (d *Daemon) loadAndApply(ctx context.Context, why string) error {
	d.applyMu.Lock()
	defer d.applyMu.Unlock()
	_, err := d.readAndApplyLocked(ctx, why, false)
	return err
}

// readAndApplyLocked is the one path from /etc/config/floatgw to the router (start, SIGHUP,
// the apply method): read and validate; with dryRun report what would change; otherwise adopt
// the configuration (tasks restarted only when it changed, stopped when floatgw is disabled)
// and apply it. Nothing is written when validation fails. applyMu must be held.
func (d *Daemon) readAndApplyLocked(ctx context.Context, why string, dryRun bool) (api.ApplyReply, error) {
	cfg, err := d.readConfig(ctx)
	if err != nil {
		probs := problemsOf(err)
		reply := api.ApplyReply{Schema: api.Schema, DryRun: dryRun, Changes: []api.Change{}, Problems: probs}
		if dryRun {
			return reply, nil
		}
		d.mu.Lock()
		d.cfgProblems = probs
		running := d.cfg != nil
		d.mu.Unlock()
		if running {
			return reply, fmt.Errorf("%s: configuration rejected, keeping the running one: %s", why, joinProblems(probs))
		}
		return reply, fmt.Errorf("%s: configuration rejected: %s", why, joinProblems(probs))
	}
	if dryRun {
		reply, _ := d.applyLocked(ctx, cfg, true)
		return reply, nil
	}
	d.mu.Lock()
	old := d.cfg
	d.cfg, d.cfgProblems = cfg, nil
	d.mu.Unlock()
	if !cfg.Enabled {
		d.log.Noticef("%s: floatgw is disabled in /etc/config/floatgw", why)
		d.stopGeneration()
		return api.ApplyReply{Schema: api.Schema, Changes: []api.Change{}, Problems: []api.Problem{}}, nil
	}
	reply, err := d.applyLocked(ctx, cfg, false)
	if err != nil {
		d.log.Errorf("%s: apply: %v", why, err)
	}
	if old == nil || !old.Equal(cfg) {
		d.log.Infof("%s: configuration loaded (VRID %d, VIP %v, priority %d, %s)", why, cfg.VRID, cfg.VIPs, cfg.Priority, cfg.Device)
		d.startGeneration(cfg)
	}
	return reply, nil
}

// spec maps the validated configuration onto keepalived's terms.
func (d *Daemon) spec(cfg *config.Config) keepalived.Spec {
	in := keepalived.InstanceSpec{
		Name:           Instance,
		Interface:      cfg.Device,
		VRID:           cfg.VRID,
		Priority:       cfg.Priority,
		Version:        cfg.Version,
		AdvertInterval: cfg.AdvertInt,
		NoPreempt:      !cfg.Preempt,
		UnicastPeers:   append([]netip.Addr(nil), cfg.Peers...),
		AuthPass:       cfg.AuthPass,
		Health:         keepalived.TrackFile{Path: d.opt.healthFile(), Weight: -cfg.Health.Weight},
		DemotePath:     d.opt.demoteFile(),
		PromotePath:    d.opt.promoteFile(),
	}
	if cfg.Preempt {
		in.PreemptDelay = cfg.PreemptDelay
	}
	if len(cfg.Peers) > 0 {
		in.UnicastSource = cfg.Address.Addr()
	}
	for _, v := range cfg.VIPs {
		in.VIPs = append(in.VIPs, keepalived.VIP{Prefix: v})
	}
	s := keepalived.Spec{
		NotifyFIFO:   d.opt.fifoPath(),
		StartupDelay: cfg.StartupDelay,
		GARP: &keepalived.GARP{
			MasterDelay: cfg.GARP.MasterDelay, MasterRepeat: cfg.GARP.MasterRepeat,
			MasterRefresh: d.garpRefresh(cfg), MasterRefreshRepeat: cfg.GARP.MasterRefreshRepeat,
		},
		Instances: []keepalived.InstanceSpec{in},
	}
	if d.opt.Platform == PlatformOpenWrt {
		s.Hotplug = &keepalived.Hotplug{}
	}
	return s
}

// garpRefresh is the GARP refresh interval rendered: the configured one, or, when it is off and
// the user applied the garp_refresh fix (a flag in the state directory), 10 s.
func (d *Daemon) garpRefresh(cfg *config.Config) time.Duration {
	if cfg.GARP.MasterRefresh > 0 {
		return cfg.GARP.MasterRefresh
	}
	if _, err := os.Stat(d.opt.garpFile()); err == nil {
		return 10 * time.Second
	}
	return 0
}

func healthConfig(cfg *config.Config) health.Config {
	h := health.Config{
		Mode: health.Mode(cfg.Health.Mode), Interval: cfg.Health.Interval,
		Fall: cfg.Health.Fall, Rise: cfg.Health.Rise, K: cfg.Health.K, N: cfg.Health.N,
		HoldDown: cfg.Health.HoldDown,
	}
	for _, c := range cfg.Health.Checks {
		h.Checks = append(h.Checks, health.CheckSpec{
			Type: health.CheckType(c.Type), Target: c.Target, Timeout: c.Timeout,
			Port: c.Port, Name: c.Name, Path: c.Path, Expect: c.Expect,
		})
	}
	return h
}

func (d *Daemon) reloader() keepalived.Reloader {
	if d.opt.KeepalivedPidfile != "" {
		return keepalived.PIDFileReloader{PIDFile: d.opt.KeepalivedPidfile}
	}
	return platformReloader(d.opt)
}

// applyLocked renders and applies; with dryRun it only reports. applyMu must be held.
func (d *Daemon) applyLocked(ctx context.Context, cfg *config.Config, dryRun bool) (api.ApplyReply, error) {
	reply := api.ApplyReply{Schema: api.Schema, DryRun: dryRun, Changes: []api.Change{}, Problems: []api.Problem{}}
	// Track files exist before keepalived reads them (a missing track file makes keepalived
	// 2.2.7 hang in -t, see keepalived-samples/config-test).
	if !dryRun {
		for _, f := range []string{d.opt.healthFile(), d.opt.demoteFile(), d.opt.promoteFile()} {
			if _, err := os.Stat(f); errors.Is(err, fs.ErrNotExist) {
				if err := writeTrack(f, 0); err != nil {
					return reply, err
				}
			}
		}
	}
	content, err := keepalived.Render(d.spec(cfg))
	if err != nil {
		reply.Problems = append(reply.Problems, api.Problem{Code: api.ApplyFailed, Severity: api.SeverityError, Field: "keepalived", Detail: err.Error()})
		return reply, fmt.Errorf("render keepalived: %w", err)
	}
	a := &keepalived.Applier{Path: d.opt.KeepalivedConf, IncludeFrom: d.opt.KeepalivedMain}
	// A keepalived that is not running reads the new file when it starts; only a running
	// one is reloaded.
	if d.keepalivedPID() > 0 {
		a.Reloader = d.reloader()
	}
	var res keepalived.ApplyResult
	if dryRun {
		res, err = a.Plan(content)
		if err == nil && res.ConfigChanged {
			old, _ := os.ReadFile(d.opt.KeepalivedConf)
			reply.Changes = append(reply.Changes, api.Change{Target: "keepalived", Action: actionOf(old), Detail: unifiedDiff(d.opt.KeepalivedConf, old, content)})
		}
	} else {
		res, err = a.Apply(ctx, content)
		if res.ConfigChanged {
			reply.Changes = append(reply.Changes, api.Change{Target: "keepalived", Action: "update", Detail: d.opt.KeepalivedConf})
		}
		if res.Reloaded {
			reply.Changes = append(reply.Changes, api.Change{Target: "keepalived", Action: "reload"})
		}
	}
	if res.IncludeAdded {
		reply.Changes = append(reply.Changes, api.Change{Target: "keepalived.include", Action: "update", Detail: "include " + d.opt.KeepalivedConf + " in " + d.opt.KeepalivedMain})
	}
	if err != nil {
		reply.Problems = append(reply.Problems, api.Problem{Code: api.ApplyFailed, Severity: api.SeverityError, Field: "keepalived", Detail: err.Error()})
	}
	if d.opt.Platform == PlatformOpenWrt {
		d.applyOpenWrt(ctx, cfg, dryRun, &reply)
	}
	reply.Changed = len(reply.Changes) > 0
	if !dryRun {
		d.mu.Lock()
		d.applyProbs = append([]api.Problem(nil), reply.Problems...)
		d.mu.Unlock()
		for _, c := range reply.Changes {
			d.log.Noticef("apply: %s %s", c.Action, c.Target)
		}
	}
	if len(reply.Problems) > 0 {
		return reply, errors.New(joinProblems(reply.Problems))
	}
	return reply, nil
}

func actionOf(old []byte) string {
	if old == nil {
		return "create"
	}
	return "update"
}

// writeTrack writes a keepalived track file atomically.
func writeTrack(path string, v int) error {
	return health.WriteTrackFile(path, v)
}

// restoreDemotion sets the demote track file from the persistent maintenance flag.
func (d *Daemon) restoreDemotion() {
	if _, err := os.Stat(d.opt.maintFile()); err == nil {
		d.mu.Lock()
		d.demote[demoteMaintenance] = true
		d.mu.Unlock()
		d.log.Noticef("maintenance mode is on (persistent): this node stays demoted")
	}
	d.writeDemote()
}

// setDemotion adds or removes a demotion reason and rewrites the track file.
func (d *Daemon) setDemotion(reason string, on bool) error {
	d.mu.Lock()
	if on {
		d.demote[reason] = true
	} else {
		delete(d.demote, reason)
		if reason == demoteSwitch {
			d.switchUntil = time.Time{}
		}
	}
	d.mu.Unlock()
	err := d.writeDemote()
	d.broadcastState("demotion")
	return err
}

func (d *Daemon) writeDemote() error {
	d.mu.Lock()
	v := 0
	if len(d.demote) > 0 {
		v = 1
	}
	d.mu.Unlock()
	if err := writeTrack(d.opt.demoteFile(), v); err != nil {
		d.log.Errorf("write demote track file: %v", err)
		return err
	}
	return nil
}

// EnvFor resolves the LAN environment for a configuration file outside a running daemon
// (floatgw validate).
func EnvFor(ctx context.Context, o Options, pkg *uci.Package) config.Env {
	d := New(o, nil, "")
	return d.resolveEnv(ctx, pkg)
}
