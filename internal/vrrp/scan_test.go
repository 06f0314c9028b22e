package vrrp

import (
	"bytes"
	"encoding/json"
	"flag"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/testenv"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Fatalf("%s differs (-want +got):\n%s", path, diff)
	}
}

// framesFromPcap decodes every protocol-112 frame of a capture.
func framesFromPcap(t *testing.T, name string) []Frame {
	t.Helper()
	var out []Frame
	for _, rec := range testenv.ReadPcap(t, filepath.Join(testenv.SharedDir(t, "keepalived-samples", "pcap"), name)) {
		ip := ipPayload(rec.Data)
		if ip == nil || len(ip) < 10 || ip[9] != Protocol {
			continue
		}
		f := DecodeFrame(rec.Data)
		f.Time = rec.Time().UTC()
		out = append(out, f)
	}
	return out
}

var (
	kaA   = netip.MustParseAddr("192.168.77.2")
	kaB   = netip.MustParseAddr("192.168.77.3")
	kaD   = netip.MustParseAddr("192.168.77.4")
	ownGW = Own{VRID: 51, VIPs: []netip.Addr{vip}, Addrs: []netip.Addr{kaA, kaB}, Version: 2,
		AdvertInterval: time.Second, AuthType: AuthNone}
)

// TestReportForeignVRID replays the fx-c capture (kaA, kaB and a foreign
// keepalived kaD on the same VRID 51 with VIP .201) through a Tracker.
func TestReportForeignVRID(t *testing.T) {
	tr := NewTracker()
	for _, f := range framesFromPcap(t, "all-fx-c-foreign-vrid.pcap") {
		tr.Observe(f)
	}
	// Plus a ucarp neighbour with vhid 7, which must land in "rejected".
	carp := DecodeFrame(ethFrame(groupMAC, net.HardwareAddr{2, 0x77, 0, 0, 0, 9}, ipWrap(t, carpPacket(), 255, Protocol, 0)))
	carp.Packet.Src = netip.MustParseAddr("192.168.77.9")
	carp.Err = &CARPError{VHID: 7, AdvBase: 1}
	carp.Time = time.Date(2026, 11, 21, 22, 13, 0, 0, time.UTC)
	tr.Observe(carp)
	own := ownGW
	r := tr.Report(&own)
	r.Interface = "eth0"

	if len(r.VRIDs) != 1 || r.VRIDs[0].VRID != 51 {
		t.Fatalf("vrids = %+v", r.VRIDs)
	}
	var addrs []netip.Addr
	for _, s := range r.VRIDs[0].Sources {
		addrs = append(addrs, s.Addr)
	}
	if diff := cmp.Diff([]netip.Addr{kaA, kaB, kaD}, addrs, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Fatalf("sources (-want +got):\n%s", diff)
	}
	var codes []string
	for _, c := range r.Conflicts {
		if c.Source != kaD {
			t.Errorf("conflict for one of our own routers: %+v", c)
		}
		codes = append(codes, c.Code)
	}
	if diff := cmp.Diff([]string{CodeForeignSource, CodeVIPSetMismatch}, codes); diff != "" {
		t.Fatalf("conflict codes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{52, 53, 54, 55, 56}, r.FreeVRIDs); diff != "" {
		t.Fatalf("free vrids (-want +got):\n%s", diff)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "report-fx-c-foreign-vrid.json", append(b, '\n'))
	r.DurationMS = 20000
	var text bytes.Buffer
	if err := r.WriteText(&text, time.UTC); err != nil {
		t.Fatal(err)
	}
	golden(t, "report-fx-c-foreign-vrid.txt", text.Bytes())
}

func TestTrackerIntervalsAndPriorities(t *testing.T) {
	tr := NewTracker()
	for _, f := range framesFromPcap(t, "all-s1-v3-lifecycle.pcap") {
		tr.Observe(f)
	}
	srcs := tr.Sources()
	if len(srcs) != 2 {
		t.Fatalf("%d sources, want kaA and kaB", len(srcs))
	}
	for _, s := range srcs {
		if s.AdvertIntervalMS != 100 {
			t.Errorf("%v: announced %d ms", s.Addr, s.AdvertIntervalMS)
		}
		// keepalived sends every 100 ms; the median gap must be close.
		if s.MeasuredIntervalMS < 95 || s.MeasuredIntervalMS > 110 {
			t.Errorf("%v: measured %d ms", s.Addr, s.MeasuredIntervalMS)
		}
	}
	// kaB was demoted to 50 and stopped (priority 0) during the lifecycle.
	b := srcs[1]
	if b.Addr != kaB || len(b.PriorityChanges) == 0 {
		t.Errorf("kaB: %v with %d priority changes", b.Addr, len(b.PriorityChanges))
	}
	for _, p := range []int{150, 50, 0} {
		if !slices.Contains(b.Priorities, p) {
			t.Errorf("kaB priorities %v lack %d", b.Priorities, p)
		}
	}
}

func TestConflictRules(t *testing.T) {
	base := Source{VRID: 51, Addr: kaB, MAC: "02:77:00:00:00:03", Version: 2, AdvertIntervalMS: 1000,
		VIPs: []netip.Addr{vip}, AuthType: AuthNone}
	mod := func(f func(*Source)) Source { s := base; f(&s); return s }
	withPass := func(own Own, p string) Own { own.AuthType, own.AuthPass = AuthSimple, p; return own }
	tests := []struct {
		name string
		own  Own
		src  Source
		want []string
	}{
		{"clean", ownGW, base, nil},
		{"other vrid ignored", ownGW, mod(func(s *Source) { s.VRID = 52; s.Addr = kaD }), nil},
		{"foreign", ownGW, mod(func(s *Source) { s.Addr = kaD }), []string{CodeForeignSource}},
		{"foreign unknown without own addrs", Own{VRID: 51, VIPs: []netip.Addr{vip}}, mod(func(s *Source) { s.Addr = kaD }), nil},
		{"vip order does not matter", Own{VRID: 51, VIPs: []netip.Addr{kaD, vip}},
			mod(func(s *Source) { s.VIPs = []netip.Addr{vip, kaD} }), nil},
		{"vips", ownGW, mod(func(s *Source) { s.VIPs = []netip.Addr{kaD} }), []string{CodeVIPSetMismatch}},
		{"interval", ownGW, mod(func(s *Source) { s.AdvertIntervalMS = 2000 }), []string{CodeIntervalMismatch}},
		{"version", ownGW, mod(func(s *Source) { s.Version = 3; s.AdvertIntervalMS = 1000 }), []string{CodeVersionMismatch}},
		{"auth type", ownGW, mod(func(s *Source) { s.AuthType = AuthSimple }), []string{CodeAuthTypeMismatch}},
		{"auth pass", withPass(ownGW, "secret1"), mod(func(s *Source) { s.AuthType = AuthSimple; s.authData = [8]byte{'s', 'e', 'c', 'r', 'e', 't', '2'} }),
			[]string{CodeAuthPassMismatch}},
		{"auth pass truncated to 8 matches", withPass(ownGW, "floatgw-second"),
			mod(func(s *Source) { s.AuthType = AuthSimple; s.authData = [8]byte{'f', 'l', 'o', 'a', 't', 'g', 'w', '-'} }), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range Conflicts(tt.own, []Source{tt.src}, nil) {
				got = append(got, c.Code)
				if c.Code == CodeAuthPassMismatch && (c.Want != "" || c.Got != "") {
					t.Errorf("password leaked into conflict: %+v", c)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
	carp := []Rejected{{Addr: kaD, Reason: "CARP", VRID: 51}}
	if c := Conflicts(ownGW, nil, carp); len(c) != 1 || c[0].Code != CodeCARPOnVRID {
		t.Fatalf("carp conflict: %+v", c)
	}
}

func TestFreeVRIDs(t *testing.T) {
	used := map[uint8]bool{254: true, 255: true, 1: true, 3: true}
	if diff := cmp.Diff([]int{2, 4, 5}, FreeVRIDs(used, 253, 3)); diff != "" {
		t.Fatal(diff)
	}
	if diff := cmp.Diff([]int{2, 4}, FreeVRIDs(used, 0, 2)); diff != "" {
		t.Fatal(diff)
	}
}

func TestTrackerRejectsAndLimits(t *testing.T) {
	tr := NewTracker()
	mac := net.HardwareAddr{2, 0, 0, 0, 0, 9}
	now := time.Unix(1000, 0)
	tr.Observe(Frame{Time: now, SrcMAC: mac, Packet: Packet{Src: kaD}, Err: &CARPError{VHID: 7}})
	tr.Observe(Frame{Time: now.Add(time.Second), SrcMAC: mac, Packet: Packet{Src: kaD}, Err: &CARPError{VHID: 7}})
	rej := tr.Rejected()
	if len(rej) != 1 || rej[0].Count != 2 || rej[0].VRID != 7 || rej[0].Reason != "CARP" {
		t.Fatalf("rejected = %+v", rej)
	}
	r := tr.Report(nil)
	if len(r.VRIDs) != 0 || r.Adverts != 0 {
		t.Fatalf("CARP counted as VRRP: %+v", r.VRIDs)
	}
	// vhid 7 is taken: no free VRID suggestion may be 7.
	for _, v := range FreeVRIDs(map[uint8]bool{7: true}, 6, 1) {
		if v == 7 {
			t.Fatal("suggested a vrid in use by CARP")
		}
	}
	for i := 0; i < maxSources+10; i++ {
		a := Advert{Version: 2, VRID: uint8(i%255 + 1), Priority: 100, Interval: 1}
		tr.Observe(Frame{Time: now, Packet: Packet{Src: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), Advert: a}})
	}
	if len(tr.Sources()) != maxSources || tr.Dropped() != 10 {
		t.Fatalf("%d sources, %d dropped", len(tr.Sources()), tr.Dropped())
	}
	tr.Expire(now.Add(time.Second))
	if len(tr.Sources()) != 0 || len(tr.Rejected()) != 1 {
		t.Fatalf("expire left %d sources, %d rejections", len(tr.Sources()), len(tr.Rejected()))
	}
}
