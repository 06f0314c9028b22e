package vrrp

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/arp"
	"github.com/floatgw/floatgw/internal/netwatch"
	"github.com/floatgw/floatgw/internal/testenv"
	"github.com/google/go-cmp/cmp"
)

// labNode is one namespace on the lab bridge.
type labNode struct {
	*testenv.Netns
	addr netip.Addr
	mac  net.HardwareAddr
}

// buildLab creates a bridge namespace and one namespace per node, each with
// eth0 on the bridge (IPv6 off, multicast snooping off), like the fixture
// lab of keepalived-samples.
func buildLab(t *testing.T, nodes map[string]int) map[string]*labNode {
	t.Helper()
	sw := testenv.NewNetns(t, "vrrp", "sw")
	sw.IP(t, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0", "stp_state", "0")
	sw.IP(t, "link", "set", "br0", "up")
	out := map[string]*labNode{}
	for name, host := range nodes {
		n := &labNode{Netns: testenv.NewNetns(t, "vrrp", name),
			addr: netip.AddrFrom4([4]byte{192, 168, 77, byte(host)}),
			mac:  net.HardwareAddr{2, 0x77, 0, 0, 0, byte(host)}}
		port := "p-" + name
		sw.Veth(t, port, n.Netns, "eth0")
		sw.IP(t, "link", "set", port, "master", "br0")
		sw.IP(t, "link", "set", port, "up")
		testenv.Run(t, "ip", "netns", "exec", n.Name, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1")
		n.IP(t, "link", "set", "eth0", "address", n.mac.String())
		n.IP(t, "addr", "add", n.addr.String()+"/24", "dev", "eth0")
		n.IP(t, "link", "set", "eth0", "up")
		n.IP(t, "link", "set", "lo", "up")
		out[name] = n
	}
	for _, n := range out {
		n.WaitCarrier(t, "eth0")
	}
	return out
}

const labConf = `global_defs {
    router_id %s
    script_user root
}
vrrp_instance GW {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority %d
    advert_int 1
    virtual_ipaddress {
        %s/24 dev eth0
    }
%s}
`

// startKeepalived runs keepalived in the node's namespace in the foreground
// with its own config, pid files and log; the cleanup stops it. extra is more
// of the vrrp_instance block (indented, newline-terminated), or "".
func startKeepalived(t *testing.T, n *labNode, prio int, vip, extra string) *exec.Cmd {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(labConf, n.Name, prio, vip, extra)), 0o644); err != nil {
		t.Fatal(err)
	}
	log, err := os.Create(filepath.Join(dir, "console.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", n.Name, "keepalived", "-n", "-l", "-D", "-P",
		"-f", conf, "-p", filepath.Join(dir, "keepalived.pid"), "-r", filepath.Join(dir, "vrrp.pid"),
		"-c", filepath.Join(dir, "checkers.pid"), "-b", filepath.Join(dir, "bfd.pid"))
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(), "TMPDIR="+dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("keepalived %s console:\n%s", n.Name, b)
		}
	})
	return cmd
}

func hasAddr(t *testing.T, n *labNode, addr string) bool {
	out, err := exec.Command("ip", "-n", n.Name, "-4", "addr", "show", "dev", "eth0").CombinedOutput()
	if err != nil {
		t.Fatalf("ip addr: %v %s", err, out)
	}
	return bytes.Contains(out, []byte(" "+addr+"/"))
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out after %v waiting for %s", d, what)
}

var (
	tcpdumpTS   = regexp.MustCompile(`^(\d+)\.(\d{6}) IP `)
	tcpdumpVRRP = regexp.MustCompile(`^\s+(\S+) > (\S+): (VRRPv\d, .*)$`)
)

type dumpedAdvert struct {
	time time.Time
	line string // "SRC: VRRPv2, Advertisement, vrid …" without the destination (a scan does not report it) or any auth suffix
	src  string
}

// parseTcpdump reads `tcpdump -nn -tt -v` output: a header line with the
// time, then the decoded VRRP line.
func parseTcpdump(t *testing.T, out []byte) []dumpedAdvert {
	var res []dumpedAdvert
	var ts time.Time
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if m := tcpdumpTS.FindStringSubmatch(line); m != nil {
			sec, _ := strconv.ParseInt(m[1], 10, 64)
			usec, _ := strconv.ParseInt(m[2], 10, 64)
			ts = time.Unix(sec, usec*1000)
			continue
		}
		if m := tcpdumpVRRP.FindStringSubmatch(line); m != nil {
			res = append(res, dumpedAdvert{time: ts, src: m[1],
				line: m[1] + ": " + authSuffix.ReplaceAllString(m[3], "")})
		}
	}
	return res
}

// reportLines renders every (source, priority) of a report as tcpdump's
// line for it (without the destination), and counts adverts per source.
func reportLines(r ScanReport) (lines []string, counts map[string]int) {
	counts = map[string]int{}
	for _, v := range r.VRIDs {
		for _, s := range v.Sources {
			counts[s.Addr.String()] += s.Count
			for _, p := range s.Priorities {
				a := Advert{Version: s.Version, VRID: s.VRID, Priority: uint8(p), AuthType: s.AuthType, Addrs: s.VIPs}
				if s.Version == 3 {
					a.Interval = uint16(s.AdvertIntervalMS / 10)
				} else {
					a.Interval = uint16(s.AdvertIntervalMS / 1000)
				}
				l := Packet{Src: s.Addr, Dst: Group, Advert: a}.String()
				lines = append(lines, strings.Replace(l, " > "+Group.String(), "", 1))
			}
		}
	}
	sort.Strings(lines)
	return lines, counts
}

// TestScanLab is the scan acceptance test: r1 and r2 (floatgw's pair, VRID
// 51, VIP .1) and a foreign keepalived on the same VRID with VIP .254 run
// in namespaces on one bridge. An observer scans for 5 s while tcpdump
// captures in the same namespace; 1 s in, r2 (the master) is stopped, so
// that r2 (150, then its priority-0 advert), r1 (taking over) and the
// foreign master all advertise in the window. (The foreign keepalived adverts
// by unicast to the observer, so it hears nobody and speaks every second.)
// The scan must list exactly what tcpdump saw and flag the foreign router. An ARP watcher in the
// observer and a netwatch watcher in r1 must see the takeover too.
func TestScanLab(t *testing.T) {
	testenv.NeedNetns(t)
	for _, tool := range []string{"keepalived", "tcpdump"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("SKIPPED: %s not installed (apt-get install -y %s)", tool, tool)
		}
	}
	lab := buildLab(t, map[string]int{"r1": 2, "r2": 3, "fr": 4, "obs": 100})
	r1, r2, fr, obs := lab["r1"], lab["r2"], lab["fr"], lab["obs"]

	startKeepalived(t, r1, 100, "192.168.77.1", "")
	kr2 := startKeepalived(t, r2, 150, "192.168.77.1", "")
	// The foreign router adverts by unicast to the observer: it hears nobody, so it is master
	// and speaks every second for the whole window. (As a multicast router with its own VIP
	// it yielded to r1/r2 in about one run in eight, depending on keepalived's timers, and
	// the window had no advert of it.)
	startKeepalived(t, fr, 120, "192.168.77.254",
		"    unicast_src_ip 192.168.77.4\n    unicast_peer {\n        192.168.77.100\n    }\n")
	waitFor(t, "r2 to hold the VIP and the foreign router its own", 20*time.Second, func() bool {
		return hasAddr(t, r2, "192.168.77.1") && hasAddr(t, fr, "192.168.77.254")
	})
	if hasAddr(t, r1, "192.168.77.1") {
		t.Fatal("r1 holds the VIP while r2 is master")
	}

	// netwatch in r1: the VIP arriving there is the takeover.
	w, err := netwatch.Open(netwatch.Options{NetNS: r1.FD()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	// Cancel first, then wait: the goroutines end with ctx (a failing t.Fatal used to wait
	// for them before cancelling, and hung until the test timeout).
	defer func() { cancel(); bg.Wait() }()
	bg.Add(1)
	go func() { defer bg.Done(); _ = w.Run(ctx) }()
	vipAdded := make(chan netwatch.AddrEvent, 1)
	bg.Add(1)
	go func() {
		defer bg.Done()
		for ev := range w.Events() {
			if a, ok := ev.(netwatch.AddrEvent); ok && a.Added && a.Addr.Addr() == vip && a.Ifname == "eth0" {
				select {
				case vipAdded <- a:
				default:
				}
			}
		}
	}()

	// ARP watcher in the observer for the VIP.
	var amu sync.Mutex
	var garps []arp.Event
	var aw *arp.Watcher
	obs.Do(t, func() {
		aw, err = arp.NewWatcher("eth0", []netip.Addr{vip}, func(e arp.Event) { amu.Lock(); garps = append(garps, e); amu.Unlock() })
	})
	if err != nil {
		t.Fatal(err)
	}
	bg.Add(1)
	go func() { defer bg.Done(); _ = aw.Run(ctx) }()

	var dump, dumpErr bytes.Buffer
	td := exec.Command("ip", "netns", "exec", obs.Name, "tcpdump", "-i", "eth0", "-nn", "-l", "-tt", "-v", "vrrp")
	td.Stdout, td.Stderr = &dump, &dumpErr
	if err := td.Start(); err != nil {
		t.Fatal(err)
	}
	tdDone := make(chan struct{})
	go func() { _ = td.Wait(); close(tdDone) }()
	t.Cleanup(func() { _ = td.Process.Kill(); <-tdDone })
	waitFor(t, "tcpdump to listen", 10*time.Second, func() bool {
		return strings.Contains(dumpErr.String(), "listening on")
	})

	own := &Own{VRID: 51, VIPs: []netip.Addr{vip}, Addrs: []netip.Addr{r1.addr, r2.addr}, Version: 2,
		AdvertInterval: time.Second, AuthType: AuthNone}
	var stoppedAt time.Time
	stop := time.AfterFunc(time.Second, func() {
		stoppedAt = time.Now()
		_ = kr2.Process.Signal(syscall.SIGTERM)
	})
	defer stop.Stop()
	var report ScanReport
	var scanErr error
	obs.Do(t, func() { report, scanErr = Scan(context.Background(), "eth0", 5*time.Second, own) })
	if scanErr != nil {
		t.Fatal(scanErr)
	}
	time.Sleep(300 * time.Millisecond)
	_ = td.Process.Signal(syscall.SIGINT)
	<-tdDone

	// tcpdump's adverts inside the scan window.
	var want []string
	wantCounts := map[string]int{}
	seen := map[string]bool{}
	all := parseTcpdump(t, dump.Bytes())
	for _, d := range all {
		if d.time.Before(report.Start) || d.time.After(report.End) {
			continue
		}
		wantCounts[d.src]++
		if !seen[d.line] {
			seen[d.line] = true
			want = append(want, d.line)
		}
	}
	sort.Strings(want)
	got, gotCounts := reportLines(report)
	t.Logf("tcpdump captured %d adverts (%d in the scan window), scan counted %d; per source tcpdump %v, scan %v",
		len(all), total(wantCounts), report.Adverts, wantCounts, gotCounts)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("scan differs from tcpdump (-tcpdump +scan):\n%s\ntcpdump output:\n%s", diff, dump.String())
	}
	for src, n := range wantCounts {
		if d := gotCounts[src] - n; d < -1 || d > 1 {
			t.Errorf("%s: scan counted %d adverts, tcpdump %d", src, gotCounts[src], n)
		}
	}
	srcs := map[string]bool{}
	for _, s := range report.VRIDs[0].Sources {
		srcs[s.Addr.String()] = true
	}
	if len(report.VRIDs) != 1 || len(srcs) != 3 {
		t.Fatalf("want VRID 51 with r1, r2 and the foreign router; got %+v", report.VRIDs)
	}
	for _, s := range report.VRIDs[0].Sources {
		want := map[string]string{"192.168.77.2": r1.mac.String(), "192.168.77.3": r2.mac.String(), "192.168.77.4": fr.mac.String()}[s.Addr.String()]
		if s.MAC != want {
			t.Errorf("%v: MAC %s, want %s", s.Addr, s.MAC, want)
		}
	}
	var codes []string
	for _, c := range report.Conflicts {
		if c.Source != fr.addr {
			t.Errorf("conflict for one of floatgw's routers: %+v", c)
		}
		codes = append(codes, c.Code)
	}
	if diff := cmp.Diff([]string{CodeForeignSource, CodeVIPSetMismatch}, codes); diff != "" {
		t.Errorf("conflicts (-want +got):\n%s", diff)
	}
	if len(report.FreeVRIDs) == 0 || report.FreeVRIDs[0] != 52 {
		t.Errorf("free vrids %v", report.FreeVRIDs)
	}

	// The takeover as the drift verifier sees it.
	select {
	case ev := <-vipAdded:
		t.Logf("netwatch: VIP added on r1 %v after r2 was stopped", ev.Time.Sub(stoppedAt).Round(time.Millisecond))
	case <-time.After(2 * time.Second):
		t.Error("netwatch never reported the VIP on r1")
	}
	amu.Lock()
	var fromR1 int
	for _, e := range garps {
		if e.Kind == arp.KindGratuitous && e.MAC.String() == r1.mac.String() {
			if fromR1 == 0 {
				t.Logf("arp: first GARP for the VIP from r1's MAC %v after r2 was stopped", e.Time.Sub(stoppedAt).Round(time.Millisecond))
			}
			fromR1++
		}
	}
	amu.Unlock()
	if fromR1 == 0 {
		t.Errorf("no gratuitous ARP for the VIP from r1's MAC; saw %+v", garps)
	}
	cancel()
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
