package daemon_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/testenv"
	"github.com/floatgw/floatgw/ubus"
	"github.com/floatgw/floatgw/ubus/ubustest"
)

// The daemon's ubus object, end to end: the real floatgw binary runs in a network namespace of
// its own (a veth pair, so no host interface is touched) and registers `floatgw` on an
// in-process ubustest broker; the test calls every method through the broker.

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
}

type env struct {
	bin    string
	broker *ubustest.Broker
	client *ubus.Client
	root   string
	cmd    *exec.Cmd
}

func start(t *testing.T) *env {
	testenv.NeedNetns(t)
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "floatgw")
	build := exec.Command("go", "build", "-o", bin, "./cmd/floatgw")
	build.Dir = testenv.RepoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ns := fmt.Sprintf("fgwt-dmn-%d", os.Getpid()%100000)
	peer := ns + "p"
	exec.Command("ip", "netns", "del", ns).Run()
	exec.Command("ip", "netns", "del", peer).Run()
	run(t, "ip", "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	run(t, "ip", "netns", "add", peer)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", peer).Run() })
	run(t, "ip", "-n", ns, "link", "add", "lan0", "type", "veth", "peer", "name", "eth0", "netns", peer)
	run(t, "ip", "-n", ns, "addr", "add", "192.168.88.2/24", "dev", "lan0")
	run(t, "ip", "-n", ns, "link", "set", "lan0", "up")
	run(t, "ip", "-n", ns, "link", "set", "lo", "up")
	run(t, "ip", "-n", peer, "link", "set", "eth0", "up")

	root := filepath.Join(tmp, "root")
	os.MkdirAll(filepath.Join(root, "etc/config"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/config/floatgw"), []byte(`
config floatgw 'main'
	option enabled '1'
	option role 'primary'
	option lan_device 'lan0'
	list vip '192.168.88.1/24'
	option vrid '61'

config health 'health'
	option mode 'off'
`), 0o644)
	kalog := filepath.Join(tmp, "keepalived.log")
	os.WriteFile(kalog, []byte("Sat Nov 21 22:09:20 2026: (floatgw): send advert error 1 (Operation not permitted)\n"), 0o644)

	b := ubustest.NewTest(t)
	cmd := exec.Command("ip", "netns", "exec", ns, bin, "daemon", "-S", "--platform", "linux", "--root", root,
		"--ubus-socket", b.Path(), "--keepalived-main", filepath.Join(tmp, "ka.conf"),
		"--keepalived-conf", filepath.Join(tmp, "fgw-ka.conf"), "--keepalived-pidfile", filepath.Join(tmp, "none.pid"),
		"--keepalived-log", kalog)
	logf, _ := os.Create(filepath.Join(tmp, "daemon.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			cmd.Process.Kill()
			t.Error("daemon did not stop within 3 s of SIGINT (procd's term timeout is 5 s)")
		}
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("daemon log:\n%s", b)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := ubus.Dial(ctx, b.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.WaitFor(ctx, "floatgw"); err != nil {
		t.Fatalf("the daemon did not register floatgw: %v", err)
	}
	return &env{bin: bin, broker: b, client: c, root: root, cmd: cmd}
}

func (e *env) call(t *testing.T, method string, args ubus.Table) (ubus.Table, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return e.client.Call(ctx, "floatgw", method, args)
}

func field(name string, v ubus.Value) ubus.Field { return ubus.Field{Name: name, Value: v} }

func TestUbusMethods(t *testing.T) {
	e := start(t)

	st, err := e.call(t, "status", nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := st.Int("schema"); v != 1 {
		t.Errorf("status schema = %d, want 1", v)
	}
	node, _ := st.Get("node")
	nt, _ := node.AsTable()
	if v, _ := nt.Int("vrid"); v != 61 {
		t.Errorf("status node.vrid = %d, want 61", v)
	}
	// A LuCI call carries ubus_rpc_session; it is accepted and ignored.
	if _, err := e.call(t, "status", ubus.Table{field("ubus_rpc_session", ubus.String("00000000000000000000000000000000"))}); err != nil {
		t.Errorf("status with ubus_rpc_session: %v", err)
	}

	// The CLI reaches the daemon through ubus when ubusd has the object.
	cli := exec.Command(e.bin, "status", "--json")
	cli.Env = append(os.Environ(), "FLOATGW_UBUS="+e.broker.Path(), "FLOATGW_SOCKET=/nonexistent/floatgw.sock")
	if out, err := cli.CombinedOutput(); err != nil || !strings.Contains(string(out), `"schema": 1`) {
		t.Errorf("floatgw status --json over ubus: %v\n%s", err, out)
	}

	if r, err := e.call(t, "verify_status", nil); err != nil {
		t.Errorf("verify_status before any run: %v", err)
	} else if id, _ := r.String("id"); id != "" {
		t.Errorf("verify_status before any run: id %q", id)
	}
	if r, err := e.call(t, "doctor", nil); err != nil {
		t.Errorf("doctor: %v", err)
	} else if _, ok := r.Get("checked"); !ok {
		t.Errorf("doctor reply without checked: %v", r)
	}
	if r, err := e.call(t, "apply", ubus.Table{field("dry_run", ubus.Bool(true))}); err != nil {
		t.Errorf("apply dry_run: %v", err)
	} else if dr, _ := r.Bool("dry_run"); !dr {
		t.Errorf("apply dry_run reply: %v", r)
	}
	if _, err := e.call(t, "scan", ubus.Table{field("seconds", ubus.Int32(1))}); err != nil {
		t.Errorf("scan: %v", err)
	}
	if r, err := e.call(t, "logs", ubus.Table{field("lines", ubus.Int32(10))}); err != nil {
		t.Errorf("logs: %v", err)
	} else {
		lines, _ := r.Get("lines")
		lt, _ := lines.AsArray()
		marked := false
		for _, l := range lt {
			if tt, ok := l.AsTable(); ok {
				if c, _ := tt.String("code"); c == "ADVERT_SEND_EPERM" {
					marked = true
				}
			}
		}
		if !marked {
			t.Errorf("logs did not mark the send advert error line: %v", r)
		}
	}

	demote := filepath.Join(e.root, "var/run/floatgw/demote")
	if _, err := e.call(t, "maintenance", ubus.Table{field("enable", ubus.Bool(true))}); err != nil {
		t.Fatalf("maintenance on: %v", err)
	}
	if b, _ := os.ReadFile(demote); strings.TrimSpace(string(b)) != "1" {
		t.Errorf("maintenance on: demote file %q, want 1", b)
	}
	if _, err := os.Stat(filepath.Join(e.root, "etc/floatgw/maintenance")); err != nil {
		t.Errorf("maintenance is not persisted: %v", err)
	}
	if _, err := e.call(t, "maintenance", ubus.Table{field("enable", ubus.Bool(false))}); err != nil {
		t.Fatalf("maintenance off: %v", err)
	}
	if b, _ := os.ReadFile(demote); strings.TrimSpace(string(b)) != "0" {
		t.Errorf("maintenance off: demote file %q, want 0", b)
	}
	if r, err := e.call(t, "switch", ubus.Table{field("seconds", ubus.Int32(10))}); err != nil {
		t.Errorf("switch: %v", err)
	} else if u, _ := r.Int("until"); u <= time.Now().Unix() {
		t.Errorf("switch until %d", u)
	}
	if b, _ := os.ReadFile(demote); strings.TrimSpace(string(b)) != "1" {
		t.Errorf("switch: demote file %q, want 1", b)
	}

	// verify without keepalived: a run id at once, a second caller gets busy, the run fails.
	r, err := e.call(t, "verify", nil)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	id, _ := r.String("id")
	if id == "" {
		t.Fatalf("verify reply without id: %v", r)
	}
	if r2, err := e.call(t, "verify", nil); err == nil {
		if busy, _ := r2.Bool("busy"); busy {
			if id2, _ := r2.String("id"); id2 != id {
				t.Errorf("busy reply names run %q, want %q", id2, id)
			}
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		vs, err := e.call(t, "verify_status", ubus.Table{field("id", ubus.String(id))})
		if err != nil {
			t.Fatalf("verify_status: %v", err)
		}
		if busy, _ := vs.Bool("busy"); !busy {
			if v, _ := vs.String("verdict"); v == "pass" {
				t.Errorf("a verification without keepalived passed: %v", vs)
			}
			// A caller that saw the run end may start the next one at once.
			r3, err := e.call(t, "verify", nil)
			if err != nil {
				t.Fatalf("verify after the run ended: %v", err)
			}
			if busy, _ := r3.Bool("busy"); busy {
				t.Errorf("verify right after verify_status said the run ended: busy, %v", r3)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("verification did not finish within 30 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestUbusArgumentValidation(t *testing.T) {
	e := start(t)
	tests := []struct {
		method string
		args   ubus.Table
		want   ubus.Status
	}{
		{"scan", ubus.Table{field("seconds", ubus.Int32(0))}, ubus.StatusInvalidArgument},
		{"scan", ubus.Table{field("seconds", ubus.Int32(61))}, ubus.StatusInvalidArgument},
		{"scan", ubus.Table{field("seconds", ubus.String("5"))}, ubus.StatusInvalidArgument},
		{"maintenance", nil, ubus.StatusInvalidArgument},
		{"maintenance", ubus.Table{field("enable", ubus.String("yes"))}, ubus.StatusInvalidArgument},
		{"verify", ubus.Table{field("mode", ubus.String("sideways"))}, ubus.StatusInvalidArgument},
		{"logs", ubus.Table{field("lines", ubus.Int32(100000))}, ubus.StatusInvalidArgument},
		{"status", ubus.Table{field("bogus", ubus.Int32(1))}, ubus.StatusInvalidArgument},
		{"switch", ubus.Table{field("seconds", ubus.Int32(1))}, ubus.StatusInvalidArgument},
		{"verify_status", ubus.Table{field("id", ubus.String("no-such-run"))}, ubus.StatusNotFound},
		{"no_such_method", nil, ubus.StatusMethodNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			_, err := e.call(t, tt.method, tt.args)
			if !errors.Is(err, tt.want) {
				t.Errorf("%s %v: err %v, want %v", tt.method, tt.args, err, tt.want)
			}
		})
	}
	// Nothing was changed by the refused calls.
	if b, err := os.ReadFile(filepath.Join(e.root, "var/run/floatgw/demote")); err == nil && strings.TrimSpace(string(b)) != "0" {
		t.Errorf("demote file %q after refused calls", b)
	}
}

func TestUbusConcurrentCallsAndBrokerRestart(t *testing.T) {
	e := start(t)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.call(t, "status", nil); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent status: %v", err)
	}

	// ubusd goes away and comes back: the daemon re-registers its object.
	e.broker.Stop()
	time.Sleep(300 * time.Millisecond)
	if err := e.broker.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := ubus.Dial(ctx, e.broker.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.WaitFor(ctx, "floatgw"); err != nil {
		t.Fatalf("floatgw not back after the broker restart: %v", err)
	}
	if _, err := c.Call(ctx, "floatgw", "status", nil); err != nil {
		t.Errorf("status after the broker restart: %v", err)
	}
}
