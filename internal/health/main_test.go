package health

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/testenv"
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

// startMonitorIn runs the monitor helper (helperMonitor) inside ns with
// cfg, writing the track file track, and logs the verdict lines it
// prints. At cleanup it gets SIGTERM and is waited for; an exit status
// other than 0 fails the test.
func startMonitorIn(t *testing.T, ns *testenv.Netns, cfg Config, track string) {
	t.Helper()
	b, _ := json.Marshal(cfg)
	cmd := ns.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=monitor", "FGW_HEALTH_CONFIG="+string(b), "FGW_HEALTH_TRACK="+track)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			t.Logf("monitor: %s", sc.Text())
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-scanned // all output read before Wait, and no Logf after the test
		if err := cmd.Wait(); err != nil {
			t.Errorf("monitor helper: %v", err)
		}
	})
}

// newNetns creates a namespace "fgwt-health-<pid>-<suffix><n>" with lo
// up, deleted at cleanup.
func newNetns(t *testing.T, suffix string) *testenv.Netns {
	t.Helper()
	ns := testenv.NewNetns(t, "health", suffix)
	ns.IP(t, "link", "set", "lo", "up")
	return ns
}

// inNetns runs fn on a thread moved into namespace ns (testenv's Do);
// sockets fn creates stay in ns. An error from fn fails the test.
func inNetns(t *testing.T, ns *testenv.Netns, fn func() error) {
	t.Helper()
	var err error
	ns.Do(t, func() { err = fn() })
	if err != nil {
		t.Fatal(err)
	}
}

// runChecksIn runs specs once inside ns through the helper process.
func runChecksIn(t *testing.T, ns *testenv.Netns, env []string, specs ...CheckSpec) []Result {
	t.Helper()
	b, _ := json.Marshal(specs)
	cmd := ns.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, helperEnv+"=checks", "FGW_HEALTH_SPECS="+string(b))...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper in %s: %v\n%s", ns.Name, err, stderr.String())
	}
	var res []Result
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("helper output %q: %v", out, err)
	}
	return res
}

func isRoot() bool { return os.Geteuid() == 0 }
