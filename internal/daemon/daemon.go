package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/floatgw/floatgw/internal/api"
	"github.com/floatgw/floatgw/internal/arp"
	"github.com/floatgw/floatgw/internal/config"
	"github.com/floatgw/floatgw/internal/control"
	"github.com/floatgw/floatgw/internal/health"
	"github.com/floatgw/floatgw/internal/logx"
	"github.com/floatgw/floatgw/internal/netwatch"
	"github.com/floatgw/floatgw/internal/vrrp"
	"github.com/floatgw/floatgw/ubus"
)

// Instance is the keepalived vrrp_instance floatgw renders.
const Instance = "floatgw"

// Demotion reasons; any of them writes 1 to the weight-0 demote track file.
const (
	demoteMaintenance  = api.ReasonMaintenance
	demoteSwitch       = api.ReasonSwitch
	demoteVerification = api.ReasonVerification
)

// Daemon is one floatgw service. Create it with New and run it with Run; the exported
// methods are safe for concurrent use.
type Daemon struct {
	opt     Options
	log     *logx.Logger
	version string

	// applyMu serialises configuration loads and applies.
	applyMu sync.Mutex

	mu          sync.Mutex
	cfg         *config.Config
	cfgProblems []api.Problem
	applyProbs  []api.Problem
	gen         *generation // tasks that depend on the configuration
	kaState     string
	kaPrio      int
	kaEventAt   time.Time
	kaStopped   bool
	transitions []api.Transition
	demote      map[string]bool
	switchUntil time.Time
	tracker     *vrrp.Tracker
	watcher     *netwatch.Watcher
	monitor     *health.Monitor
	ubus        *ubus.Client
	subs        map[int]chan any
	nextSub     int
	runs        map[string]*verifyRun
	runOrder    []string
	activeRun   string
	// trim asks housekeeping to hand freed memory back to the kernel (debug.FreeOSMemory)
	// once the daemon is quiet again: set after a call or a verification that allocated.
	trim atomic.Bool

	methods map[string]handler // the answer to each api method, built once

	ctx    context.Context // the Run context, for work started by calls
	group  *errgroup.Group
	reload chan struct{}
}

// generation is the set of tasks started for one configuration (VRRP listener on its device,
// health monitor); a changed configuration cancels it and starts the next.
type generation struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a daemon with the given paths, logging to log.
func New(opt Options, log *logx.Logger, version string) *Daemon {
	d := &Daemon{
		opt: opt, log: log, version: version,
		kaState: api.StateUnknown,
		demote:  map[string]bool{},
		tracker: vrrp.NewTracker(),
		subs:    map[int]chan any{},
		runs:    map[string]*verifyRun{},
		reload:  make(chan struct{}, 1),
	}
	d.methods = d.handlers()
	return d
}

// Reload asks the running daemon to read its configuration again (SIGHUP). A bad
// configuration is rejected and the running one kept.
func (d *Daemon) Reload() {
	select {
	case d.reload <- struct{}{}:
	default:
	}
}

// Run runs the daemon until ctx ends. It returns an error only when the daemon cannot run at
// all (directories, control socket); everything else is logged and reported in status.
func (d *Daemon) Run(ctx context.Context) error {
	for _, dir := range []string{d.opt.StateDir, d.opt.RunDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("daemon: %w", err)
		}
	}
	g, ctx := errgroup.WithContext(ctx)
	d.mu.Lock()
	d.ctx, d.group = ctx, g
	d.mu.Unlock()

	d.restoreDemotion()

	w, err := netwatch.Open(netwatch.Options{})
	if err != nil {
		d.log.Errorf("netlink: %v (VIP and link changes will not be seen)", err)
	} else {
		d.watcher = w
		g.Go(func() error { return w.Run(ctx) })
		g.Go(func() error { d.consumeNetwatch(ctx, w); return nil })
	}

	if err := d.loadAndApply(ctx, "start"); err != nil {
		d.log.Errorf("%v", err)
	}
	g.Go(func() error { d.runFIFO(ctx); return nil })
	// A verification the previous daemon left half-done is restored first (it needs the
	// notify FIFO running to see keepalived's FAULT).
	d.recoverRun(ctx)
	g.Go(func() error {
		// keepalived may already run: ask it for its state once the FIFO reader is up.
		select {
		case <-time.After(500 * time.Millisecond):
			d.syncFromDump(ctx)
		case <-ctx.Done():
		}
		return nil
	})

	srv := &control.Server{Path: d.opt.ControlSocket, Dispatch: d.ControlDispatch}
	g.Go(func() error { return srv.Run(ctx) })
	g.Go(func() error { d.runUbus(ctx); return nil })
	g.Go(func() error { d.housekeeping(ctx); return nil })
	d.log.Noticef("started (version %s, platform %s)", d.version, d.opt.Platform)

	err = g.Wait()
	d.stopGeneration()
	d.finishRunsOnShutdown()
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	d.log.Noticef("stopped")
	return nil
}

// housekeeping handles reload requests, ends a timed switch, and expires old VRRP sources.
func (d *Daemon) housekeeping(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.reload:
			if err := d.loadAndApply(ctx, "reload"); err != nil {
				d.log.Errorf("%v", err)
			}
		case now := <-t.C:
			d.mu.Lock()
			expired := d.demote[demoteSwitch] && !d.switchUntil.IsZero() && now.After(d.switchUntil)
			d.tracker.Expire(now.Add(-10 * time.Minute))
			d.mu.Unlock()
			if expired {
				d.log.Noticef("switch period over: this node may take the VIP back")
				d.setDemotion(demoteSwitch, false)
			}
			d.trimMemory()
		}
	}
}

// trimMemory returns the heap a call or a verification left behind to the kernel, once no
// verification runs. Without it the runtime keeps freed pages for minutes (and a tight
// GOMEMLIMIT instead makes the collector run thousands of times a minute on a small heap:
// measured, idle CPU x5–8 and status latency x12). One forced collection
// after each burst costs about a millisecond.
func (d *Daemon) trimMemory() {
	d.mu.Lock()
	busy := d.activeRun != ""
	d.mu.Unlock()
	if !busy && d.trim.Swap(false) {
		debug.FreeOSMemory()
	}
}

// startGeneration starts the configuration-dependent tasks for cfg.
func (d *Daemon) startGeneration(cfg *config.Config) {
	d.stopGeneration()
	d.mu.Lock()
	parent, g := d.ctx, d.group
	d.mu.Unlock()
	if parent == nil || cfg == nil || !cfg.Enabled {
		return
	}
	ctx, cancel := context.WithCancel(parent)
	gen := &generation{cancel: cancel, done: make(chan struct{})}
	var wg sync.WaitGroup

	var vips []netip.Addr
	for _, v := range cfg.VIPs {
		vips = append(vips, v.Addr())
	}
	// The packet sockets end when the link goes down (ENETDOWN): they are opened again once a
	// second until the generation ends.
	d.supervise(ctx, g, &wg, "vrrp listener on "+cfg.Device, func(ctx context.Context) error {
		l, err := vrrp.NewListener(cfg.Device, d.onFrame)
		if err != nil {
			return err
		}
		return l.Run(ctx)
	})
	d.supervise(ctx, g, &wg, "arp watcher on "+cfg.Device, func(ctx context.Context) error {
		aw, err := arp.NewWatcher(cfg.Device, vips, d.onARP)
		if err != nil {
			return err
		}
		return aw.Run(ctx)
	})

	mon, err := health.NewMonitor(healthConfig(cfg), health.Options{
		TrackFile: d.opt.healthFile(),
		OnChange: func(s health.Status) {
			d.log.Noticef("health %s", s.Verdict)
			d.broadcastState("health")
		},
	})
	if err != nil {
		d.log.Errorf("health monitor: %v", err)
	} else {
		d.mu.Lock()
		d.monitor = mon
		d.mu.Unlock()
		wg.Add(1)
		g.Go(func() error {
			defer wg.Done()
			if err := mon.Run(ctx); err != nil && ctx.Err() == nil {
				d.log.Errorf("health monitor: %v", err)
			}
			return nil
		})
	}
	go func() { wg.Wait(); close(gen.done) }()
	d.mu.Lock()
	d.gen = gen
	d.mu.Unlock()
}

// supervise runs task until ctx ends, starting it again a second after it returns.
func (d *Daemon) supervise(ctx context.Context, g *errgroup.Group, wg *sync.WaitGroup, name string, task func(context.Context) error) {
	wg.Add(1)
	g.Go(func() error {
		defer wg.Done()
		for {
			err := task(ctx)
			if ctx.Err() != nil {
				return nil
			}
			if err == nil {
				err = errors.New("stopped")
			}
			d.log.Limitf(name, logx.Warning, "%s: %v (retrying every second)", name, err)
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
				return nil
			}
		}
	})
}

func (d *Daemon) stopGeneration() {
	d.mu.Lock()
	gen := d.gen
	d.gen = nil
	d.mu.Unlock()
	if gen == nil {
		return
	}
	gen.cancel()
	select {
	case <-gen.done:
	case <-time.After(3 * time.Second):
		d.log.Warnf("configuration tasks did not stop within 3 s")
	}
}

// subscribe returns a channel that receives every observation (drift inputs) until the
// returned cancel is called. Slow subscribers lose events rather than block the daemon.
func (d *Daemon) subscribe() (<-chan any, func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	id := d.nextSub
	d.nextSub++
	ch := make(chan any, 256)
	d.subs[id] = ch
	return ch, func() {
		d.mu.Lock()
		delete(d.subs, id)
		d.mu.Unlock()
	}
}

func (d *Daemon) publish(v any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ch := range d.subs {
		select {
		case ch <- v:
		default:
		}
	}
}

// problemsOf turns a configuration error into problems.
func problemsOf(err error) []api.Problem {
	var out []api.Problem
	for _, fe := range config.Problems(err) {
		out = append(out, api.Problem{
			Code: api.ConfigInvalid, Severity: api.SeverityError,
			Field: fe.Field(), Got: fe.Value, Detail: fe.Reason,
		})
	}
	if len(out) == 0 && err != nil {
		out = append(out, api.Problem{Code: api.ConfigInvalid, Severity: api.SeverityError, Detail: err.Error()})
	}
	return out
}

func joinProblems(ps []api.Problem) string {
	var s []string
	for _, p := range ps {
		if p.Field != "" {
			s = append(s, fmt.Sprintf("%s: %s, got %q", p.Field, p.Detail, p.Got))
		} else {
			s = append(s, p.Detail)
		}
	}
	return strings.Join(s, "; ")
}
