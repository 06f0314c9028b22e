package health

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/floatgw/floatgw/internal/health/internal/labserver"
)

var addrCmp = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

func TestParseResolvConf(t *testing.T) {
	def := resolvConf{Timeout: 5 * time.Second, Attempts: 2}
	ips := func(s ...string) []netip.Addr {
		var a []netip.Addr
		for _, x := range s {
			a = append(a, netip.MustParseAddr(x))
		}
		return a
	}
	tests := []struct {
		name string
		in   string
		want resolvConf
	}{
		{"empty", "", def},
		{"openwrt dnsmasq", "search lan\nnameserver 127.0.0.1\nnameserver ::1\n", resolvConf{Servers: ips("127.0.0.1", "::1"), Timeout: 5 * time.Second, Attempts: 2}},
		{
			"resolv.conf.auto from netifd",
			"# Interface wan\nnameserver 198.51.100.1\nnameserver 198.51.100.2\n# Interface wan6\nnameserver 2001:db8::53\nnameserver 192.0.2.53\n",
			resolvConf{Servers: ips("198.51.100.1", "198.51.100.2", "2001:db8::53"), Timeout: 5 * time.Second, Attempts: 2},
		},
		{"comments, junk and tabs", "; comment\n#nameserver 192.0.2.9\nnameserver\nnameserver bogus\n\tnameserver\t192.0.2.1  # trailing\ndomain lab\nsortlist 10.0.0.0\n", resolvConf{Servers: ips("192.0.2.1"), Timeout: 5 * time.Second, Attempts: 2}},
		{"mapped address unmapped", "nameserver ::ffff:192.0.2.1\n", resolvConf{Servers: ips("192.0.2.1"), Timeout: 5 * time.Second, Attempts: 2}},
		{"options", "options ndots:2 timeout:1 attempts:3 rotate\n", resolvConf{Timeout: time.Second, Attempts: 3}},
		{"options clamped", "options timeout:0 attempts:0\noptions timeout:99 attempts:9\n", resolvConf{Timeout: 30 * time.Second, Attempts: 5}},
		{"bad option values ignored", "options timeout:x attempts:\n", def},
		{"crlf", "nameserver 192.0.2.1\r\n", resolvConf{Servers: ips("192.0.2.1"), Timeout: 5 * time.Second, Attempts: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, parseResolvConf([]byte(tt.in)), addrCmp); diff != "" {
				t.Errorf("parseResolvConf (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHostsLookup4(t *testing.T) {
	const hosts = `# /etc/hosts
127.0.0.1 localhost
::1     localhost ip6-localhost
192.168.77.2	r1.lan r1   # main router
192.168.77.3 R2.LAN.
10.0.0.1x broken.lan
fe80::1%lan r1.lan
192.168.77.9 foreign.lan r1.lan
#192.168.77.4 r3.lan
192.168.77.5
`
	tests := []struct {
		name string
		want []netip.Addr
	}{
		{"localhost", []netip.Addr{netip.MustParseAddr("127.0.0.1")}},
		{"r1", []netip.Addr{netip.MustParseAddr("192.168.77.2")}},
		{"R1.lan.", []netip.Addr{netip.MustParseAddr("192.168.77.2"), netip.MustParseAddr("192.168.77.9")}},
		{"r2.lan", []netip.Addr{netip.MustParseAddr("192.168.77.3")}},
		{"ip6-localhost", nil},
		{"broken.lan", nil},
		{"r3.lan", nil},
		{"main", nil},
		{"lan", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, hostsLookup4([]byte(hosts), tt.name), addrCmp); diff != "" {
			t.Errorf("hostsLookup4(%q) (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestResolverConfFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	withNS := write("with", "nameserver 192.0.2.1\n")
	without := write("without", "search lan\noptions timeout:2\n")
	auto := write("auto", "nameserver 198.51.100.1\noptions attempts:4\n")
	missing := filepath.Join(dir, "missing")
	local := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}
	tests := []struct {
		name  string
		paths []string
		want  resolvConf
	}{
		{"first has servers", []string{withNS, auto}, resolvConf{Servers: []netip.Addr{netip.MustParseAddr("192.0.2.1")}, Timeout: 5 * time.Second, Attempts: 2}},
		{"falls back to resolv.conf.auto", []string{without, auto}, resolvConf{Servers: []netip.Addr{netip.MustParseAddr("198.51.100.1")}, Timeout: 5 * time.Second, Attempts: 4}},
		{"first missing", []string{missing, auto}, resolvConf{Servers: []netip.Addr{netip.MustParseAddr("198.51.100.1")}, Timeout: 5 * time.Second, Attempts: 4}},
		{"no servers anywhere: local host, first file's options", []string{without, missing}, resolvConf{Servers: local, Timeout: 2 * time.Second, Attempts: 2}},
		{"no files", []string{missing}, resolvConf{Servers: local, Timeout: 5 * time.Second, Attempts: 2}},
	}
	for _, tt := range tests {
		r := &resolver{confPaths: tt.paths}
		if diff := cmp.Diff(tt.want, r.conf(), addrCmp); diff != "" {
			t.Errorf("%s: conf (-want +got):\n%s", tt.name, diff)
		}
	}
}

// startDNSServer is a scripted DNS responder on addr for resolver tests
// (labserver.StartDNSFunc), closed when the test ends.
func startDNSServer(t *testing.T, addr netip.AddrPort, answer func(n int, id uint16, name string) [][]byte) *labserver.DNS {
	t.Helper()
	s, err := labserver.StartDNSFunc(addr.String(), answer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testResolver is a resolver with its own hosts and resolv.conf files
// whose nameservers are reached on port.
func testResolver(t *testing.T, hosts, conf string, port uint16) *resolver {
	t.Helper()
	dir := t.TempDir()
	r := &resolver{hostsPath: filepath.Join(dir, "hosts"), confPaths: []string{filepath.Join(dir, "resolv.conf")}, port: port}
	if err := os.WriteFile(r.hostsPath, []byte(hosts), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.confPaths[0], []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return r
}

// rrCNAME is a CNAME record owned by owner (uncompressed) pointing at target.
func rrCNAME(t *testing.T, owner, target string) []byte {
	return rrNamed(t, owner, dnsTypeCNAME, wireName(t, target))
}

func rrAOf(t *testing.T, owner, a string) []byte {
	ip := netip.MustParseAddr(a).As4()
	return rrNamed(t, owner, dnsTypeA, ip[:])
}

func TestResolverLookup(t *testing.T) {
	flaky := 0 // touched only by the server's goroutine
	lab := func(_ int, id uint16, name string) [][]byte {
		one := func(flags uint16, answers ...[]byte) [][]byte { return [][]byte{reply(t, id, name, flags, answers...)} }
		switch name {
		case "gw.lab":
			return one(0, rrA("192.0.2.1"), rrA("192.0.2.2"))
		case "www.lab": // www.lab → edge.cdn.example → e1.cdn.example → A
			return one(0,
				rrCNAME(t, "www.lab", "edge.CDN.example"),
				rrCNAME(t, "edge.cdn.example", "e1.cdn.example"),
				rrAOf(t, "other.example", "203.0.113.66"),
				rrAOf(t, "e1.cdn.example", "198.51.100.7"))
		case "dangling.lab":
			return one(0, rrCNAME(t, "dangling.lab", "nowhere.example"))
		case "loop.lab":
			return one(0, rrCNAME(t, "loop.lab", "loop2.lab"), rrCNAME(t, "loop2.lab", "loop.lab"))
		case "empty.lab":
			return one(0)
		case "big.lab":
			return one(dnsFlagTC)
		case "noisy.lab": // garbage, a wrong id, another question, then the reply
			return [][]byte{{1, 2, 3}, reply(t, id+1, name, 0, rrA("203.0.113.1")), reply(t, id, "other.lab", 0, rrA("203.0.113.2")), reply(t, id, name, 0, rrA("192.0.2.9"))}
		case "flaky.lab": // the first query is lost
			if flaky++; flaky == 1 {
				return nil
			}
			return one(0, rrA("192.0.2.10"))
		case "silent.lab":
			return nil
		case "servfail.lab":
			return one(RcodeServFail)
		}
		return one(RcodeNXDomain)
	}
	srv := startDNSServer(t, netip.MustParseAddrPort("127.0.0.1:0"), lab)
	hosts := "127.0.0.1 localhost\n192.168.77.2 r1.lan\n"
	tests := []struct {
		name    string
		conf    string
		timeout time.Duration
		want    []netip.Addr
		wantErr string
		queries int // queries the server saw; -1: do not check
		maxTime time.Duration
	}{
		{name: "r1.lan", want: []netip.Addr{netip.MustParseAddr("192.168.77.2")}, queries: 0},
		{name: "R1.LAN.", want: []netip.Addr{netip.MustParseAddr("192.168.77.2")}, queries: 0},
		{name: "gw.lab", want: []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")}, queries: 1},
		{name: "Gw.Lab.", want: []netip.Addr{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")}, queries: 1},
		{name: "www.lab", want: []netip.Addr{netip.MustParseAddr("198.51.100.7")}, queries: 1},
		{name: "noisy.lab", want: []netip.Addr{netip.MustParseAddr("192.0.2.9")}, queries: 1},
		{name: "nx.lab", wantErr: "no such host (NXDOMAIN from 127.0.0.1:", queries: 1},
		{name: "empty.lab", wantErr: "no IPv4 address (from 127.0.0.1:", queries: 1},
		{name: "dangling.lab", wantErr: "CNAME chain ends at nowhere.example without one", queries: 1},
		{name: "loop.lab", wantErr: "CNAME chain longer than 8 records", queries: 1},
		{name: "big.lab", wantErr: "truncated: the answer needs DNS over TCP", queries: 1},
		// attempts:2 → two queries, each given half of the 400 ms.
		{name: "silent.lab", timeout: 400 * time.Millisecond, wantErr: "no reply within ", queries: 2, maxTime: 600 * time.Millisecond},
		{name: "flaky.lab", timeout: 400 * time.Millisecond, want: []netip.Addr{netip.MustParseAddr("192.0.2.10")}, queries: 2},
		{name: "servfail.lab", wantErr: "server answered SERVFAIL", queries: 2},
		{name: "servfail.lab", conf: "nameserver 127.0.0.1\noptions attempts:1\n", wantErr: "server answered SERVFAIL", queries: 1},
		{name: "bad..name", wantErr: "bad host name", queries: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf := tt.conf
			if conf == "" {
				conf = "nameserver 127.0.0.1\n"
			}
			r := testResolver(t, hosts, conf, srv.Addr().Port())
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 2 * time.Second
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			before := srv.Queries()
			start := time.Now()
			got, err := r.lookup4(ctx, tt.name)
			el := time.Since(start)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, addrCmp); diff != "" {
				t.Errorf("lookup4 (-want +got):\n%s", diff)
			}
			if n := srv.Queries() - before; n != tt.queries {
				t.Errorf("server saw %d queries, want %d", n, tt.queries)
			}
			if tt.maxTime > 0 && el > tt.maxTime {
				t.Errorf("took %v, want at most %v", el, tt.maxTime)
			}
			t.Logf("%v %v in %v", got, err, el.Round(time.Millisecond))
		})
	}
}

// TestResolverServers: a server that fails (SERVFAIL, silence, a closed
// port) hands the query to the next; NXDOMAIN is final.
func TestResolverServers(t *testing.T) {
	good := startDNSServer(t, netip.MustParseAddrPort("127.0.0.1:0"), func(_ int, id uint16, name string) [][]byte {
		if name == "gw.lab" {
			return [][]byte{reply(t, id, name, 0, rrA("192.0.2.1"))}
		}
		return [][]byte{reply(t, id, name, RcodeNXDomain)}
	})
	// The same port on other loopback addresses (all of 127/8 is local on Linux).
	port := good.Addr().Port()
	other := func(addr string, answer func(int, uint16, string) [][]byte) *labserver.DNS {
		c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.AddrPortFrom(netip.MustParseAddr(addr), port)))
		if err != nil {
			t.Skipf("SKIP: cannot bind %s:%d for a second test resolver: %v", addr, port, err)
		}
		c.Close()
		return startDNSServer(t, netip.AddrPortFrom(netip.MustParseAddr(addr), port), answer)
	}
	servfail := other("127.0.0.2", func(_ int, id uint16, name string) [][]byte {
		return [][]byte{reply(t, id, name, RcodeServFail)}
	})
	silent := other("127.0.0.3", func(int, uint16, string) [][]byte { return nil })
	// 127.0.0.4 has nothing on the port: ICMP port unreachable.
	nxFirst := other("127.0.0.5", func(_ int, id uint16, name string) [][]byte {
		return [][]byte{reply(t, id, name, RcodeNXDomain)}
	})
	tests := []struct {
		name, conf, host, wantErr string
	}{
		{"servfail then good", "nameserver 127.0.0.2\nnameserver 127.0.0.1\n", "gw.lab", ""},
		{"silent then good", "nameserver 127.0.0.3\nnameserver 127.0.0.1\noptions attempts:1\n", "gw.lab", ""},
		{"refused port then good", "nameserver 127.0.0.4\nnameserver 127.0.0.1\n", "gw.lab", ""},
		{"nxdomain is final", "nameserver 127.0.0.5\nnameserver 127.0.0.1\n", "gw.lab", "no such host (NXDOMAIN from 127.0.0.5:"},
		{"all fail: the last error", "nameserver 127.0.0.2\nnameserver 127.0.0.4\noptions attempts:1\n", "gw.lab", "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := testResolver(t, "", tt.conf, port)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			goodBefore := good.Queries()
			got, err := r.lookup4(ctx, tt.host)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				if strings.Contains(tt.name, "final") && good.Queries() != goodBefore {
					t.Error("the second server was asked after NXDOMAIN")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0] != netip.MustParseAddr("192.0.2.1") {
				t.Errorf("got %v", got)
			}
		})
	}
	if servfail.Queries() == 0 || silent.Queries() == 0 || nxFirst.Queries() == 0 {
		t.Errorf("servers asked: servfail %d, silent %d, nxdomain %d; want each at least once", servfail.Queries(), silent.Queries(), nxFirst.Queries())
	}
}

func TestResolverCancel(t *testing.T) {
	srv := startDNSServer(t, netip.MustParseAddrPort("127.0.0.1:0"), func(int, uint16, string) [][]byte { return nil })
	r := testResolver(t, "", "nameserver 127.0.0.1\n", srv.Addr().Port())
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := r.lookup4(ctx, "gw.lab")
	if err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("err = %v, want context canceled", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("cancelled lookup returned after %v (options timeout is 5 s)", el)
	}
}

// TestCheckByName runs a tcp check whose target is a name that only the
// test's DNS server knows, through the package's resolver.
func TestCheckByName(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	srv := startDNSServer(t, netip.MustParseAddrPort("127.0.0.1:0"), func(_ int, id uint16, name string) [][]byte {
		if name == "svc.lab" {
			return [][]byte{reply(t, id, name, 0, rrCNAME(t, "svc.lab", "host.lab"), rrAOf(t, "host.lab", "127.0.0.1"))}
		}
		return [][]byte{reply(t, id, name, RcodeNXDomain)}
	})
	old := stubSystem
	stubSystem = testResolver(t, "", "nameserver 127.0.0.1\n", srv.Addr().Port())
	defer func() { stubSystem = old }()
	port := ln.Addr().(*net.TCPAddr).Port
	for host, ok := range map[string]bool{"svc.lab": true, "nx.lab": false} {
		c, err := NewTCPCheck(host, port, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		r := c.Run(context.Background())
		if r.OK != ok {
			t.Errorf("tcp %s:%d: %+v, want ok=%v", host, port, r, ok)
		}
		if !ok && !strings.Contains(r.Err, "resolve nx.lab: no such host") {
			t.Errorf("error %q does not say the name does not exist", r.Err)
		}
	}
}
