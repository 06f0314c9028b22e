package health

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/health/internal/labserver"
	"github.com/floatgw/floatgw/internal/testenv"
)

func startDNS(t *testing.T, addr string) *labserver.DNS {
	t.Helper()
	d, err := labserver.StartDNS(addr, map[string]netip.Addr{"gw.lab": netip.MustParseAddr("192.0.2.1")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func startTCP(t *testing.T, addr string) *labserver.TCP {
	t.Helper()
	s, err := labserver.StartTCP(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func startHTTP(t *testing.T, addr string) *labserver.HTTP {
	t.Helper()
	s, err := labserver.StartHTTP(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// closedPort returns a loopback TCP/UDP port nobody listens on.
func closedPort(t *testing.T, network string) int {
	t.Helper()
	switch network {
	case "tcp":
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		return p
	default:
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := c.LocalAddr().(*net.UDPAddr).Port
		c.Close()
		return p
	}
}

func runCheck(t *testing.T, spec CheckSpec) Result {
	t.Helper()
	c, err := NewCheck(spec)
	if err != nil {
		t.Fatalf("NewCheck(%+v): %v", spec, err)
	}
	return c.Run(context.Background())
}

func TestChecksLoopback(t *testing.T) {
	dns := startDNS(t, "127.0.0.1:0")
	tcp := startTCP(t, "127.0.0.1:0")
	web := startHTTP(t, "127.0.0.1:0")
	dnsPort, tcpPort, webPort := int(dns.Addr().Port()), int(tcp.Addr().Port()), int(web.Addr().Port())
	to := 500 * time.Millisecond
	tests := []struct {
		name    string
		spec    CheckSpec
		ok      bool
		errPart string
	}{
		{name: "tcp open", spec: CheckSpec{Type: CheckTCP, Target: "127.0.0.1", Port: tcpPort, Timeout: to}, ok: true},
		{name: "tcp refused", spec: CheckSpec{Type: CheckTCP, Target: "127.0.0.1", Port: closedPort(t, "tcp"), Timeout: to}, errPart: "refused"},
		{name: "tcp by name", spec: CheckSpec{Type: CheckTCP, Target: "localhost", Port: tcpPort, Timeout: to}, ok: true},
		{name: "dns answer", spec: CheckSpec{Type: CheckDNS, Target: "127.0.0.1", Port: dnsPort, Name: "gw.lab", Timeout: to}, ok: true},
		{name: "dns expected address", spec: CheckSpec{Type: CheckDNS, Target: "127.0.0.1", Port: dnsPort, Name: "GW.lab.", Expect: "192.0.2.1", Timeout: to}, ok: true},
		{name: "dns other address", spec: CheckSpec{Type: CheckDNS, Target: "127.0.0.1", Port: dnsPort, Name: "gw.lab", Expect: "192.0.2.9", Timeout: to}, errPart: "did not return 192.0.2.9"},
		{name: "dns nxdomain", spec: CheckSpec{Type: CheckDNS, Target: "127.0.0.1", Port: dnsPort, Name: "nope.lab", Timeout: to}, errPart: "NXDOMAIN"},
		{name: "dns nxdomain, any reply", spec: CheckSpec{Type: CheckDNS, Target: "127.0.0.1", Port: dnsPort, Name: "nope.lab", Expect: "reply", Timeout: to}, ok: true},
		{name: "dns port closed", spec: CheckSpec{Type: CheckDNS, Target: "127.0.0.1", Port: closedPort(t, "udp"), Name: "gw.lab", Timeout: to}, errPart: "refused"},
		{name: "http 204", spec: CheckSpec{Type: CheckHTTP, Target: "127.0.0.1", Port: webPort, Path: "/generate_204", Timeout: to}, ok: true},
		{name: "http 200 when 204 expected", spec: CheckSpec{Type: CheckHTTP, Target: "127.0.0.1", Port: webPort, Path: "/status/200", Expect: "204", Timeout: to}, errPart: "status 200, want 204"},
		{name: "http 503", spec: CheckSpec{Type: CheckHTTP, Target: "127.0.0.1", Port: webPort, Path: "/status/503", Timeout: to}, errPart: "status 503, want 2xx"},
		{name: "http on a non-http port", spec: CheckSpec{Type: CheckHTTP, Target: "127.0.0.1", Port: tcpPort, Timeout: to}, errPart: "read status line"},
		{name: "http refused", spec: CheckSpec{Type: CheckHTTP, Target: "127.0.0.1", Port: closedPort(t, "tcp"), Timeout: to}, errPart: "refused"},
		{name: "ping loopback", spec: CheckSpec{Type: CheckPing, Target: "127.0.0.1", Timeout: to}, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.spec.Type == CheckPing {
				requireRoot(t)
			}
			r := runCheck(t, tt.spec)
			if r.OK != tt.ok || !strings.Contains(r.Err, tt.errPart) {
				t.Errorf("result %+v, want ok=%v err containing %q", r, tt.ok, tt.errPart)
			}
			if r.OK && r.Err != "" || r.Latency <= 0 || r.Latency > tt.spec.Timeout+200*time.Millisecond {
				t.Errorf("result %+v is inconsistent", r)
			}
		})
	}
	if dns.Queries() == 0 {
		t.Error("the DNS responder saw no query")
	}
}

func requireRoot(t *testing.T) {
	t.Helper()
	if !isRoot() {
		t.Skip("SKIP (needs root for a raw ICMP socket; ping_group_range does not allow datagram sockets here)")
	}
}

func TestPingRawLoopback(t *testing.T) {
	requireRoot(t)
	c, err := NewPingCheckSocket("127.0.0.1", time.Second, PingRaw)
	if err != nil {
		t.Fatal(err)
	}
	// Several concurrent runs of one check must each match their own
	// reply (same id, distinct sequence numbers and payloads).
	res := make(chan Result, 8)
	for i := 0; i < cap(res); i++ {
		go func() { res <- c.Run(context.Background()) }()
	}
	for i := 0; i < cap(res); i++ {
		if r := <-res; !r.OK {
			t.Errorf("run %d: %+v", i, r)
		}
	}
}

// TestPingDatagramInNetns checks the unprivileged ping-socket path in a
// namespace whose net.ipv4.ping_group_range admits group 0, and that
// PingDatagram fails where it does not.
func TestPingDatagramInNetns(t *testing.T) {
	testenv.NeedNetns(t)
	ns := newNetns(t, "dgram")
	spec := CheckSpec{Type: CheckPing, Target: "127.0.0.1", Timeout: time.Second}
	testenv.Run(t, "ip", "netns", "exec", ns.Name, "sysctl", "-q", "-w", "net.ipv4.ping_group_range=1 0")
	res := runChecksIn(t, ns, []string{"FGW_HEALTH_PING_SOCKET=datagram"}, spec)
	if res[0].OK || !strings.Contains(res[0].Err, "datagram") {
		t.Errorf("datagram ping with ping_group_range '1 0': %+v, want a datagram socket error", res[0])
	}
	testenv.Run(t, "ip", "netns", "exec", ns.Name, "sysctl", "-q", "-w", "net.ipv4.ping_group_range=0 0")
	res = runChecksIn(t, ns, []string{"FGW_HEALTH_PING_SOCKET=datagram"}, spec)
	if !res[0].OK {
		t.Errorf("datagram ping with ping_group_range '0 0': %+v", res[0])
	}
}

// TestChecksTimeoutInNetns sends every check to an address behind a
// veth whose far end drops everything inside a namespace of its own: each
// must fail by timeout, close to the configured timeout.
func TestChecksTimeoutInNetns(t *testing.T) {
	testenv.NeedNetns(t)
	ns := newNetns(t, "hole")
	peer := newNetns(t, "hole-peer")
	// hole0's peer sits in a namespace without addresses: frames reach
	// it and are dropped there, silently.
	ns.Veth(t, "hole0", peer, "sink0")
	peer.IP(t, "link", "set", "sink0", "up")
	ns.IP(t, "addr", "add", "10.251.0.1/24", "dev", "hole0")
	ns.IP(t, "link", "set", "hole0", "up")
	// A permanent neighbour entry so the kernel does not report "host
	// unreachable" after ARP fails; the frames go out and vanish.
	ns.IP(t, "neigh", "add", "10.251.0.2", "lladdr", "02:00:00:00:00:02", "dev", "hole0", "nud", "permanent")
	to := 300 * time.Millisecond
	specs := []CheckSpec{
		{Type: CheckPing, Target: "10.251.0.2", Timeout: to},
		{Type: CheckTCP, Target: "10.251.0.2", Port: 80, Timeout: to},
		{Type: CheckDNS, Target: "10.251.0.2", Port: 53, Name: "gw.lab", Timeout: to},
		{Type: CheckHTTP, Target: "10.251.0.2", Port: 80, Timeout: to},
	}
	res := runChecksIn(t, ns, nil, specs...)
	for i, r := range res {
		if r.OK {
			t.Errorf("%s: passed against a black hole", specs[i].Type)
		}
		if r.Latency < to || r.Latency > to+150*time.Millisecond {
			t.Errorf("%s: latency %v, want about the timeout %v (%s)", specs[i].Type, r.Latency, to, r.Err)
		}
		t.Logf("%s: %v %q", specs[i].Type, r.Latency, r.Err)
	}
}

// TestCheckCancel: cancelling the context ends a run at once, well
// before its timeout.
func TestCheckCancel(t *testing.T) {
	// A silent UDP "resolver" on loopback.
	silent, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	c, err := NewDNSCheck(silent.LocalAddr().(*net.UDPAddr).AddrPort(), "gw.lab", "", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	r := c.Run(ctx)
	if r.OK || time.Since(start) > time.Second {
		t.Errorf("cancelled run: %+v after %v", r, time.Since(start))
	}
}

func TestNewCheckRejects(t *testing.T) {
	for _, spec := range []CheckSpec{
		{Type: "icmp", Target: "192.0.2.1"},
		{Type: CheckTCP, Target: "192.0.2.1"},
		{Type: CheckTCP, Target: "192.0.2.1", Port: 70000},
		{Type: CheckPing, Target: ""},
		{Type: CheckPing, Target: "2001:db8::1"},
		{Type: CheckPing, Target: "bad host"},
		{Type: CheckPing, Target: "192.0.2.1", Port: 5},
		{Type: CheckDNS, Target: "resolver.lab"},
		{Type: CheckDNS, Target: "192.0.2.1", Name: "a..b"},
		{Type: CheckHTTP, Target: "192.0.2.1", Path: "/x\r\nEvil: 1"},
		{Type: CheckHTTP, Target: "192.0.2.1", Path: "nohash"},
		{Type: CheckHTTP, Target: "192.0.2.1", Expect: "2xx"},
		{Type: CheckTCP, Target: "192.0.2.1", Port: 1, Expect: "x"},
		{Type: CheckTCP, Target: "192.0.2.1", Port: 1, Timeout: time.Millisecond},
	} {
		if c, err := NewCheck(spec); err == nil {
			t.Errorf("NewCheck(%+v) = %v, want an error", spec, c)
		}
	}
	if _, err := NewPingCheckSocket("192.0.2.1", time.Second, PingSocket(9)); err == nil {
		t.Error("unknown ping socket kind accepted")
	}
}

func TestCheckString(t *testing.T) {
	for spec, want := range map[CheckSpec]string{
		{Type: CheckPing, Target: "192.0.2.1"}:                            "ping 192.0.2.1",
		{Type: CheckTCP, Target: "192.0.2.1", Port: 443}:                  "tcp 192.0.2.1:443",
		{Type: CheckDNS, Target: "192.0.2.53", Name: "gw.lab"}:            "dns gw.lab @192.0.2.53:53",
		{Type: CheckHTTP, Target: "192.0.2.1", Path: "/generate_204"}:     "http 192.0.2.1:80/generate_204",
		{Type: CheckHTTP, Target: "gw.lab", Port: 8080, Path: "/healthz"}: "http gw.lab:8080/healthz",
	} {
		c, err := NewCheck(spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
