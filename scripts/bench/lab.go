package main

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/floatgw/floatgw/internal/netwatch"
	"github.com/floatgw/floatgw/ubus"
	"github.com/floatgw/floatgw/ubus/ubustest"
)

var vip = netip.MustParseAddr("192.168.77.1")

const lanDev = "lan0"

// lab drives scripts/lab under its own prefix and watches both routers.
type lab struct {
	script string // absolute path of scripts/lab
	prefix string
	state  string // /run/floatgw-lab/<prefix>
	bin    string // absolute path of the floatgw binary

	rec     *recorder
	brokers map[string]*ubustest.Broker
	ubus    map[string]*ubus.Client
	daemons map[string]*exec.Cmd
	cancel  context.CancelFunc
}

func (l *lab) env() []string {
	return append(os.Environ(), "LAB_PREFIX="+l.prefix, "FLOATGW_BIN="+l.bin)
}

// run runs scripts/lab with args.
func (l *lab) run(args ...string) error {
	cmd := exec.Command(l.script, args...)
	cmd.Env = l.env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("scripts/lab %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

func (l *lab) ns(node string) string { return l.prefix + "-" + node }

// nodeCmd is what `scripts/lab exec NODE ARGS...` runs, without the shell
// in between (so that timings do not include it).
func (l *lab) nodeCmd(ctx context.Context, node string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", l.ns(node)}, args...)...)
	cmd.Env = append(os.Environ(), "FLOATGW_ROOT="+filepath.Join(l.state, node, "root"))
	return cmd
}

func (l *lab) pidFile(node, name string) int {
	b, err := os.ReadFile(filepath.Join(l.state, node, name))
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

func alive(pid int) bool { return pid > 0 && syscall.Kill(pid, 0) == nil }

// up brings the lab up with floatgw daemons, then restarts each daemon
// connected to a ubustest broker of its own and starts the watchers.
func (l *lab) up(ctx context.Context) error {
	_ = l.run("down")
	if err := l.run("up", "--floatgw"); err != nil {
		return err
	}
	ctx, l.cancel = context.WithCancel(ctx)
	l.rec = newRecorder()
	l.brokers = map[string]*ubustest.Broker{}
	l.ubus = map[string]*ubus.Client{}
	l.daemons = map[string]*exec.Cmd{}
	for _, n := range []string{"r1", "r2"} {
		if err := l.watch(ctx, n); err != nil {
			return err
		}
		if err := l.restartDaemon(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// restartDaemon replaces the lab's floatgw daemon on node by the same
// command line plus --ubus-socket (scripts/lab's fgw_start has no way to
// pass it) and subscribes to its floatgw.state events.
func (l *lab) restartDaemon(ctx context.Context, node string) error {
	if err := l.run("floatgw", node, "stop"); err != nil {
		return err
	}
	dir := filepath.Join(l.state, node)
	b, err := ubustest.New(filepath.Join(dir, "ubus", "ubus.sock"))
	if err != nil {
		return fmt.Errorf("ubus broker for %s: %w", node, err)
	}
	l.brokers[node] = b
	logf, err := os.OpenFile(filepath.Join(dir, "floatgw.log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command("ip", "netns", "exec", l.ns(node), l.bin, "daemon", "-S", "--platform", "linux",
		"--keepalived-main", dir+"/keepalived.conf", "--keepalived-conf", dir+"/floatgw-keepalived.conf",
		"--keepalived-pidfile", dir+"/keepalived.pid", "--keepalived-log", dir+"/keepalived.log",
		"--keepalived-json", dir+"/tmp/keepalived.json",
		"--keepalived-start", l.script+" keepalived "+node+" start",
		"--ubus-socket", b.Path())
	cmd.Env = append(l.env(), "FLOATGW_ROOT="+dir+"/root")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	l.daemons[node] = cmd
	go cmd.Wait() // reaped when scripts/lab down kills it
	if err := os.WriteFile(dir+"/floatgw.pid", []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		return err
	}
	sock := dir + "/root/var/run/floatgw.sock"
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil && b.Clients() > 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("floatgw daemon in %s: no control socket or no ubus connection after 10 s (see %s/floatgw.log)", node, dir)
		}
		time.Sleep(20 * time.Millisecond)
	}
	c, err := ubus.Dial(ctx, b.Path())
	if err != nil {
		return fmt.Errorf("ubus dial %s: %w", node, err)
	}
	l.ubus[node] = c
	_, err = c.Listen(ctx, "floatgw.state", func(_ string, data ubus.Table) {
		what, _ := data.String("changed")
		l.rec.add(obs{Node: node, Kind: "ubus:" + what, At: time.Now()})
	})
	return err
}

// watch starts an rtnetlink watcher in node's namespace that records the
// VIP's comings and goings on the LAN device.
func (l *lab) watch(ctx context.Context, node string) error {
	f, err := os.Open("/run/netns/" + l.ns(node))
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := netwatch.Open(netwatch.Options{NetNS: int(f.Fd()), Buffer: 1024})
	if err != nil {
		return fmt.Errorf("netwatch %s: %w", node, err)
	}
	l.rec.setWatcher(node, w)
	go w.Run(ctx)
	go func() {
		for ev := range w.Events() {
			a, ok := ev.(netwatch.AddrEvent)
			if !ok || a.Ifname != lanDev || a.Addr.Addr() != vip {
				continue
			}
			k := "vip-"
			if a.Added {
				k = "vip+"
			}
			l.rec.add(obs{Node: node, Kind: k, At: a.Time})
		}
	}()
	return nil
}

// down closes the clients and brokers and removes the lab.
func (l *lab) down() {
	for _, c := range l.ubus {
		c.Close()
	}
	if err := l.run("down"); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
	}
	for _, b := range l.brokers {
		b.Close()
	}
	if l.cancel != nil {
		l.cancel()
	}
}

// holds reports whether node has the VIP now (rtnetlink state).
func (l *lab) holds(node string) bool {
	w := l.rec.watcher(node)
	return w != nil && w.HasAddr(lanDev, vip)
}

// steady waits until r2 alone holds the VIP, then lets the backup hear
// `settle` of adverts.
func (l *lab) steady(settle, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for !(l.holds("r2") && !l.holds("r1")) {
		if time.Now().After(deadline) {
			return fmt.Errorf("the VIP did not settle on r2 alone within %v (r1 %v, r2 %v)", timeout, l.holds("r1"), l.holds("r2"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(settle)
	return nil
}

// obs is one observation: a VIP change read from rtnetlink ("vip+",
// "vip-") or a floatgw.state event ("ubus:<changed>").
type obs struct {
	Node string
	Kind string
	At   time.Time
}

type recorder struct {
	mu       sync.Mutex
	obs      []obs
	changed  chan struct{}
	watchers map[string]*netwatch.Watcher
}

func newRecorder() *recorder {
	return &recorder{changed: make(chan struct{}), watchers: map[string]*netwatch.Watcher{}}
}

func (r *recorder) setWatcher(node string, w *netwatch.Watcher) {
	r.mu.Lock()
	r.watchers[node] = w
	r.mu.Unlock()
}

func (r *recorder) watcher(node string) *netwatch.Watcher {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.watchers[node]
}

func (r *recorder) add(o obs) {
	r.mu.Lock()
	r.obs = append(r.obs, o)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// since returns the observations at or after t.
func (r *recorder) since(t time.Time) []obs {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []obs
	for _, o := range r.obs {
		if !o.At.Before(t) {
			out = append(out, o)
		}
	}
	return out
}

// wait returns the first observation of kind on node at or after t.
func (r *recorder) wait(node, kind string, t time.Time, timeout time.Duration) (obs, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ch := r.changed
		for _, o := range r.obs {
			if o.Node == node && o.Kind == kind && !o.At.Before(t) {
				r.mu.Unlock()
				return o, nil
			}
		}
		r.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return obs{}, fmt.Errorf("no %s on %s within %v", kind, node, timeout)
		}
	}
}
