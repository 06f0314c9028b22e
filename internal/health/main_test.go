package health

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary doubles as a helper process that runs inside a
// network namespace (ip netns exec ... <test binary>): sockets live in
// the namespace of the thread that creates them, and a Monitor creates
// them on arbitrary threads, so the whole process has to be inside.
const helperEnv = "FGW_HEALTH_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "checks":
		os.Exit(helperChecks())
	case "monitor":
		os.Exit(helperMonitor())
	default:
		fmt.Fprintln(os.Stderr, "unknown helper", os.Getenv(helperEnv))
		os.Exit(2)
	}
}

// helperChecks runs each CheckSpec of FGW_HEALTH_SPECS once, prints the
// results as JSON. FGW_HEALTH_PING_SOCKET=datagram|raw forces the ping
// socket kind.
func helperChecks() int {
	var specs []CheckSpec
	if err := json.Unmarshal([]byte(os.Getenv("FGW_HEALTH_SPECS")), &specs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var results []Result
	for _, s := range specs {
		var c Check
		var err error
		if s.Type == CheckPing && os.Getenv("FGW_HEALTH_PING_SOCKET") != "" {
			kind := map[string]PingSocket{"datagram": PingDatagram, "raw": PingRaw}[os.Getenv("FGW_HEALTH_PING_SOCKET")]
			c, err = NewPingCheckSocket(s.Target, s.Timeout, kind)
		} else {
			c, err = NewCheck(s)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		results = append(results, c.Run(context.Background()))
	}
	json.NewEncoder(os.Stdout).Encode(results)
	return 0
}

// helperMonitor runs a Monitor with FGW_HEALTH_CONFIG writing
// FGW_HEALTH_TRACK until SIGTERM, printing each verdict change.
func helperMonitor() int {
	var cfg Config
	if err := json.Unmarshal([]byte(os.Getenv("FGW_HEALTH_CONFIG")), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	m, err := NewMonitor(cfg, Options{
		TrackFile: os.Getenv("FGW_HEALTH_TRACK"),
		OnChange: func(s Status) {
			fmt.Printf("%s %s\n", time.Now().Format(time.RFC3339Nano), s.Verdict)
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := m.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// requireNetns skips (loudly) unless the test can create network
// namespaces.
func requireNetns(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("SKIP (needs root): network-namespace test not run")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("SKIP (needs iproute2 'ip'): network-namespace test not run")
	}
	if err := exec.Command("ip", "netns", "list").Run(); err != nil {
		t.Skipf("SKIP (ip netns unavailable: %v): network-namespace test not run", err)
	}
}

func run(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// newNetns creates a namespace "fgwt-health-<pid>-<suffix>" with lo up,
// deleted at cleanup.
func newNetns(t *testing.T, suffix string) string {
	t.Helper()
	name := fmt.Sprintf("fgwt-health-%d-%s", os.Getpid(), suffix)
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return name
}

// inNetns runs fn on a thread moved into namespace ns; sockets fn
// creates stay in ns. The thread is discarded afterwards (the
// goroutine exits locked), so no other goroutine ever runs in ns.
func inNetns(t *testing.T, ns string, fn func() error) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("open netns %s: %w", ns, err)
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		errc <- fn()
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// runChecksIn runs specs once inside ns through the helper process.
func runChecksIn(t *testing.T, ns string, env []string, specs ...CheckSpec) []Result {
	t.Helper()
	b, _ := json.Marshal(specs)
	cmd := exec.Command("ip", "netns", "exec", ns, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, helperEnv+"=checks", "FGW_HEALTH_SPECS="+string(b))...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper in %s: %v\n%s", ns, err, stderr.String())
	}
	var res []Result
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("helper output %q: %v", out, err)
	}
	return res
}

func isRoot() bool { return os.Geteuid() == 0 }
