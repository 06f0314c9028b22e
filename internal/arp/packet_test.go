package arp

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/floatgw/floatgw/internal/testenv"
	"github.com/google/go-cmp/cmp"
)

var arpLine = regexp.MustCompile(`^(\d+\.\d{6}) (\S+) > (\S+), ethertype ARP .*IPv4 \(len 4\), (.*), length 28$`)

// TestParseFixtures decodes every ARP frame of the shared keepalived
// captures and checks it against tcpdump's decoding of the same frame.
func TestParseFixtures(t *testing.T) {
	dir := testenv.SharedDir(t, "keepalived-samples", "pcap")
	files, _ := filepath.Glob(filepath.Join(dir, "*.pcap"))
	var n, garps int
	for _, file := range files {
		hex := file[:len(file)-len(".pcap")] + ".hex.txt"
		want := map[string][]string{}
		if f, err := os.Open(hex); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if m := arpLine.FindStringSubmatch(sc.Text()); m != nil {
					want[m[1]] = m[2:]
				}
			}
			f.Close()
		}
		for i, rec := range testenv.ReadPcap(t, file) {
			if len(rec.Data) < 14 || binary.BigEndian.Uint16(rec.Data[12:14]) != EtherType {
				continue
			}
			n++
			f, err := ParseFrame(rec.Data)
			if err != nil {
				t.Errorf("%s #%d: %v", filepath.Base(file), i, err)
				continue
			}
			if f.IsGratuitous() {
				garps++
			}
			if w, ok := want[rec.TS()]; ok {
				got := []string{f.Src.String(), f.Dst.String(), f.Packet.String()}
				if diff := cmp.Diff(w, got); diff != "" {
					t.Errorf("%s #%d (-tcpdump +ours):\n%s", filepath.Base(file), i, diff)
				}
			} else if len(want) > 0 {
				t.Errorf("%s #%d: no tcpdump line for %s", filepath.Base(file), i, rec.TS())
			}
			b, err := f.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, rec.Data[:42]) {
				t.Errorf("%s #%d: re-encoded\n got % x\nwant % x", filepath.Base(file), i, b, rec.Data[:42])
			}
		}
	}
	if n == 0 || garps == 0 {
		t.Fatalf("%d ARP frames, %d gratuitous: fixtures missing ARP", n, garps)
	}
	t.Logf("decoded %d ARP frames (%d gratuitous)", n, garps)
}

var (
	macA = net.HardwareAddr{2, 0x77, 0, 0, 0, 2}
	macB = net.HardwareAddr{2, 0x77, 0, 0, 0, 3}
	zero = net.HardwareAddr{0, 0, 0, 0, 0, 0}
	vip  = netip.MustParseAddr("192.168.77.1")
	host = netip.MustParseAddr("192.168.77.100")
	any4 = netip.IPv4Unspecified()
)

func TestKind(t *testing.T) {
	tests := []struct {
		name string
		p    Packet
		want Kind
	}{
		{"keepalived garp", Packet{Op: OpRequest, SenderMAC: macB, SenderIP: vip, TargetMAC: Broadcast, TargetIP: vip}, KindGratuitous},
		{"reply garp", Packet{Op: OpReply, SenderMAC: macB, SenderIP: vip, TargetMAC: Broadcast, TargetIP: vip}, KindGratuitous},
		{"rfc 5227 probe", Packet{Op: OpRequest, SenderMAC: macA, SenderIP: any4, TargetMAC: zero, TargetIP: vip}, KindProbe},
		{"who-has", Packet{Op: OpRequest, SenderMAC: macA, SenderIP: host, TargetMAC: zero, TargetIP: vip}, KindRequest},
		{"reply", Packet{Op: OpReply, SenderMAC: macB, SenderIP: vip, TargetMAC: macA, TargetIP: host}, KindReply},
	}
	for _, tt := range tests {
		if got := tt.p.Kind(); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	good, err := Frame{Dst: Broadcast, Src: macA, Packet: Packet{Op: OpRequest, SenderMAC: macA, SenderIP: host, TargetIP: vip}}.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	mod := func(f func([]byte)) []byte { b := bytes.Clone(good); f(b); return b }
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"ethernet only", good[:14], ErrTruncated},
		{"short arp", good[:41], ErrTruncated},
		{"ipv4 ethertype", mod(func(b []byte) { b[13] = 0 }), ErrNotARP},
		{"htype 6", mod(func(b []byte) { b[15] = 6 }), ErrUnsupported},
		{"ipv6 ptype", mod(func(b []byte) { b[16], b[17] = 0x86, 0xdd }), ErrUnsupported},
		{"hlen 8", mod(func(b []byte) { b[18] = 8 }), ErrUnsupported},
		{"rarp op 3", mod(func(b []byte) { b[21] = 3 }), ErrOperation},
	}
	for _, tt := range tests {
		if _, err := ParseFrame(tt.b); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	// Ethernet padding to 60 bytes is ignored.
	if _, err := ParseFrame(append(bytes.Clone(good), make([]byte, 18)...)); err != nil {
		t.Errorf("padded frame: %v", err)
	}
}

func TestRoundTripAndNoAlias(t *testing.T) {
	in := Frame{Dst: Broadcast, Src: macB, Packet: Packet{Op: OpReply, SenderMAC: macB, SenderIP: vip, TargetMAC: macA, TargetIP: host}}
	b, err := in.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseFrame(b)
	if err != nil {
		t.Fatal(err)
	}
	opt := cmp.Comparer(func(a, b netip.Addr) bool { return a == b })
	if diff := cmp.Diff(in, got, opt); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	for i := range b {
		b[i] = 0
	}
	if got.SenderMAC.String() != macB.String() || got.Src.String() != macB.String() {
		t.Fatal("decoded frame aliases its input")
	}
	bad := []Frame{
		{Dst: Broadcast, Src: macA[:5], Packet: in.Packet},
		{Dst: Broadcast, Src: macA, Packet: Packet{Op: 9, SenderIP: vip, TargetIP: vip}},
		{Dst: Broadcast, Src: macA, Packet: Packet{Op: OpRequest, SenderIP: netip.MustParseAddr("::1"), TargetIP: vip}},
		{Dst: Broadcast, Src: macA, Packet: Packet{Op: OpRequest, SenderMAC: macA[:4], SenderIP: vip, TargetIP: vip}},
	}
	for i, f := range bad {
		if _, err := f.MarshalBinary(); err == nil {
			t.Errorf("bad frame %d encoded", i)
		}
	}
}

func TestMatch(t *testing.T) {
	garp := Frame{Dst: Broadcast, Src: macB, Packet: Packet{Op: OpRequest, SenderMAC: macB, SenderIP: vip, TargetMAC: Broadcast, TargetIP: vip}}
	probe := Frame{Dst: Broadcast, Src: macA, Packet: Packet{Op: OpRequest, SenderMAC: macA, SenderIP: any4, TargetMAC: zero, TargetIP: vip}}
	ask := Frame{Dst: Broadcast, Src: macA, Packet: Packet{Op: OpRequest, SenderMAC: macA, SenderIP: host, TargetMAC: zero, TargetIP: vip}}
	reply := Frame{Dst: macA, Src: macB, Packet: Packet{Op: OpReply, SenderMAC: macB, SenderIP: vip, TargetMAC: macA, TargetIP: host}}
	ips := []netip.Addr{vip}
	tests := []struct {
		name string
		f    Frame
		ips  []netip.Addr
		ok   bool
		kind Kind
	}{
		{"garp for vip", garp, ips, true, KindGratuitous},
		{"probe for vip", probe, ips, true, KindProbe},
		{"client asks for vip: not a claim", ask, ips, false, 0},
		{"reply for vip", reply, ips, true, KindReply},
		{"everything when no ips", ask, nil, true, KindRequest},
		{"other address", garp, []netip.Addr{host}, false, 0},
	}
	for _, tt := range tests {
		ev, ok := Match(Observed{Frame: tt.f}, tt.ips)
		if ok != tt.ok || (ok && ev.Kind != tt.kind) {
			t.Errorf("%s: ok=%v kind=%v", tt.name, ok, ev.Kind)
		}
	}
}
