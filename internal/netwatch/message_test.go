package netwatch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func ne16(v uint16) []byte { return binary.NativeEndian.AppendUint16(nil, v) }
func ne32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// addrComparer compares netip.Addr by value for go-cmp.
var addrComparer = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

// newaddrVIP is the body of the RTM_NEWADDR keepalived's "ip addr add
// 192.168.77.1/24 dev eth0" produces, attribute by attribute.
var newaddrVIP = cat(
	[]byte{unix.AF_INET, 24, 0x81, 0}, ne32(3), // family, prefixlen, flags (SECONDARY|PERMANENT), scope universe, index 3
	ne16(8), ne16(ifaAddress), []byte{192, 168, 77, 1}, // IFA_ADDRESS
	ne16(8), ne16(ifaLocal), []byte{192, 168, 77, 1}, // IFA_LOCAL
	ne16(8), ne16(ifaBroadcast), []byte{192, 168, 77, 255}, // IFA_BROADCAST
	ne16(9), ne16(ifaLabel), []byte("eth0\x00"), []byte{0, 0, 0}, // IFA_LABEL, padded to 4
	ne16(8), ne16(ifaFlags), ne32(0x81), // IFA_FLAGS
	ne16(20), ne16(6), make([]byte, 16), // IFA_CACHEINFO, skipped
)

func TestParseAddrMessage(t *testing.T) {
	got, err := ParseAddrMessage(newaddrVIP)
	if err != nil {
		t.Fatal(err)
	}
	vip := netip.MustParseAddr("192.168.77.1")
	want := AddrMessage{Family: unix.AF_INET, PrefixLen: 24, Flags: 0x81, Index: 3,
		Local: vip, Address: vip, Broadcast: netip.MustParseAddr("192.168.77.255"), Label: "eth0"}
	if diff := cmp.Diff(want, got, addrComparer); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if p := got.Prefix(); p != netip.MustParsePrefix("192.168.77.1/24") {
		t.Fatalf("prefix %v", p)
	}
	// Decoding must not alias the input.
	in := bytes.Clone(newaddrVIP)
	m, _ := ParseAddrMessage(in)
	for i := range in {
		in[i] = 0
	}
	if m.Label != "eth0" || m.Local != vip {
		t.Fatal("decoded message aliases its input")
	}
}

func TestParseLinkMessage(t *testing.T) {
	b := cat(
		[]byte{unix.AF_UNSPEC, 0}, ne16(1), ne32(4), // family, pad, ARPHRD_ETHER, index 4
		ne32(0x11043), ne32(0), // flags UP|BROADCAST|RUNNING|MULTICAST|LOWER_UP, change
		ne16(11), ne16(iflaIfname), []byte("br-lan\x00"), []byte{0}, // IFLA_IFNAME
		ne16(8), ne16(iflaMTU), ne32(1500), // IFLA_MTU
		ne16(10), ne16(iflaAddress), []byte{2, 0x77, 0, 0, 0, 2}, []byte{0, 0}, // IFLA_ADDRESS
		ne16(5), ne16(iflaOperstate), []byte{6}, []byte{0, 0, 0}, // IFLA_OPERSTATE up
	)
	got, err := ParseLinkMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	want := LinkMessage{Type: 1, Index: 4, Flags: 0x11043, Name: "br-lan", MTU: 1500,
		HardwareAddr: net.HardwareAddr{2, 0x77, 0, 0, 0, 2}, OperState: 6}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	ev := linkEvent(got, false, time.Time{})
	if !ev.Up || !ev.Running || !ev.Multicast || !ev.LowerUp || ev.Ifname != "br-lan" {
		t.Fatalf("event %+v", ev)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		addr bool
		b    []byte
	}{
		{"short ifaddrmsg", true, []byte{2, 24, 0, 0}},
		{"prefix 33", true, cat([]byte{unix.AF_INET, 33, 0, 0}, ne32(1))},
		{"ipv6-sized local in AF_INET", true, cat([]byte{unix.AF_INET, 24, 0, 0}, ne32(1), ne16(20), ne16(ifaLocal), make([]byte, 16))},
		{"attribute overruns", true, cat([]byte{unix.AF_INET, 24, 0, 0}, ne32(1), ne16(40), ne16(ifaLocal), []byte{1, 2, 3, 4})},
		{"short flags", true, cat([]byte{unix.AF_INET, 24, 0, 0}, ne32(1), ne16(6), ne16(ifaFlags), []byte{1, 2, 0, 0})},
		{"short ifinfomsg", false, make([]byte, 15)},
		{"short mtu", false, cat(make([]byte, 16), ne16(6), ne16(iflaMTU), []byte{1, 2, 0, 0})},
		{"truncated attribute header", false, cat(make([]byte, 16), []byte{8, 0})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.addr {
				_, err = ParseAddrMessage(tt.b)
			} else {
				_, err = ParseLinkMessage(tt.b)
			}
			if !errors.Is(err, ErrMessage) {
				t.Fatalf("err = %v, want ErrMessage", err)
			}
		})
	}
}

func TestMessageRoundTrip(t *testing.T) {
	am := AddrMessage{Family: unix.AF_INET, PrefixLen: 32, Flags: 0x280, Scope: 0, Index: 7,
		Local: netip.MustParseAddr("10.0.0.1"), Address: netip.MustParseAddr("10.0.0.1"), Label: "lan0:vip"}
	b, err := am.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseAddrMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(am, back, addrComparer); diff != "" {
		t.Fatalf("addr (-want +got):\n%s", diff)
	}
	lm := LinkMessage{Type: 1, Index: 9, Flags: 0x1003, Change: 1, Name: "eth1", MTU: 9000,
		HardwareAddr: net.HardwareAddr{1, 2, 3, 4, 5, 6}, Master: 3, OperState: 2}
	b, err = lm.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	lback, err := ParseLinkMessage(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(lm, lback); diff != "" {
		t.Fatalf("link (-want +got):\n%s", diff)
	}
}
