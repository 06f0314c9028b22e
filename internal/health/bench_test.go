package health

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/health/internal/labserver"
)

// BenchmarkRound measures one round of the four check types against
// loopback targets, run concurrently as the Monitor runs them. The
// fork/CPU comparison with the vrrp_script model is the program in
// ./bench (see its doc comment).
func BenchmarkRound(b *testing.B) {
	if !isRoot() {
		b.Skip("SKIP (needs root for the raw ICMP socket)")
	}
	dns, err := labserver.StartDNS("127.0.0.1:0", map[string]netip.Addr{"gw.lab": netip.MustParseAddr("127.0.0.1")})
	if err != nil {
		b.Fatal(err)
	}
	defer dns.Close()
	tcp, err := labserver.StartTCP("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer tcp.Close()
	web, err := labserver.StartHTTP("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer web.Close()
	specs := []CheckSpec{
		{Type: CheckPing, Target: "127.0.0.1", Timeout: time.Second},
		{Type: CheckTCP, Target: "127.0.0.1", Port: int(tcp.Addr().Port()), Timeout: time.Second},
		{Type: CheckDNS, Target: "127.0.0.1", Port: int(dns.Addr().Port()), Name: "gw.lab", Timeout: time.Second},
		{Type: CheckHTTP, Target: "127.0.0.1", Port: int(web.Addr().Port()), Path: "/generate_204", Timeout: time.Second},
	}
	m, err := NewMonitor(Config{Checks: specs}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, _ := m.round(ctx)
		for j, r := range res {
			if !r.OK {
				b.Fatalf("check %d failed: %+v", j, r)
			}
		}
	}
}

// BenchmarkStatus measures a Status snapshot under concurrent readers.
func BenchmarkStatus(b *testing.B) {
	m, err := NewMonitor(Config{Checks: []CheckSpec{
		{Type: CheckTCP, Target: "127.0.0.1", Port: 1}, {Type: CheckTCP, Target: "127.0.0.1", Port: 2},
	}}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = m.Status()
		}
	})
}
