package doctor

import (
	"bufio"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floatgw/floatgw/internal/api"
	"github.com/floatgw/floatgw/internal/keepalived"
)

func base() Evidence {
	return Evidence{
		Platform:       "openwrt",
		VRID:           51,
		VIPs:           []netip.Prefix{netip.MustParsePrefix("192.168.77.1/24")},
		LANPrefix:      netip.MustParsePrefix("192.168.77.2/24"),
		AdvertInterval: time.Second,
		Preempt:        true,
		GARPRefresh:    10 * time.Second,
	}
}

func peerAdvert(prio int) Advert {
	return Advert{Source: netip.MustParseAddr("192.168.77.3"), MAC: "02:77:00:00:00:03", VRID: 51, Priority: prio,
		Interval: time.Second, VIPs: []netip.Addr{netip.MustParseAddr("192.168.77.1")}, Count: 5}
}

func codes(ps []api.Problem) []string {
	var s []string
	for _, p := range ps {
		s = append(s, string(p.Code))
	}
	return s
}

// sampleLogs reads a keepalived console log captured in the lab (keepalived-samples/logs)
// through the real matcher.
func sampleLogs(t *testing.T, name string) []LogLine {
	t.Helper()
	path := filepath.Join("..", "..", "..", "shared", "keepalived-samples", "logs", name)
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("FIXTURE MISSING: %v", err)
	}
	defer f.Close()
	var out []LogLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "# ") {
			continue
		}
		l := keepalived.ParseLogLine(sc.Text())
		ll := LogLine{Text: l.Message}
		if l.Match != nil {
			ll.Code = LogCode(l.Match.Code)
		}
		out = append(out, ll)
	}
	return out
}

func TestDiagnose(t *testing.T) {
	tests := []struct {
		name string
		ev   func() Evidence
		want []string
	}{
		{"healthy backup hearing its master", func() Evidence {
			e := base()
			e.KnownKeepalived, e.KeepalivedRunning = true, true
			e.KnownAdverts, e.Adverts, e.LocalState = true, []Advert{peerAdvert(150)}, "BACKUP"
			e.KnownFirewall, e.FirewallAcceptsVRRP = true, true
			e.KnownLink, e.LinkUp, e.LinkMulticast = true, true, true
			return e
		}, nil},
		{"keepalived stopped", func() Evidence {
			e := base()
			e.KnownKeepalived = true
			return e
		}, []string{"KEEPALIVED_NOT_RUNNING"}},
		{"bad config", func() Evidence {
			e := base()
			e.KnownConfigTest, e.ConfigTestOut = true, "(/etc/keepalived/keepalived.conf: Line 3) Unknown keyword 'vrrp_instanc'\n"
			return e
		}, []string{"KEEPALIVED_CONFIG_INVALID"}},
		{"no firewall rule", func() Evidence {
			e := base()
			e.KnownFirewall = true
			return e
		}, []string{"FIREWALL_NO_VRRP_RULE"}},
		{"backup hears nobody", func() Evidence {
			e := base()
			e.KnownKeepalived, e.KeepalivedRunning = true, true
			e.KnownAdverts, e.LocalState, e.Window = true, "BACKUP", 3*time.Second
			return e
		}, []string{"PEER_NO_ADVERTS"}},
		{"master hears nobody is normal", func() Evidence {
			e := base()
			e.KnownKeepalived, e.KeepalivedRunning = true, true
			e.KnownAdverts, e.LocalState, e.LocalHasVIP = true, "MASTER", true
			return e
		}, nil},
		{"split brain on the wire", func() Evidence {
			e := base()
			e.KnownAdverts, e.LocalState, e.LocalHasVIP = true, "MASTER", true
			e.Adverts = []Advert{peerAdvert(100)}
			return e
		}, []string{"SPLIT_BRAIN"}},
		{"split brain by ARP", func() Evidence {
			e := base()
			e.KnownARP, e.VIPAnswerers = true, []string{"02:77:00:00:00:02", "02:77:00:00:00:03"}
			e.LocalHasVIP = true
			return e
		}, []string{"SPLIT_BRAIN"}},
		{"foreign router same VRID", func() Evidence {
			e := base()
			e.KnownAdverts, e.LocalState = true, "BACKUP"
			f := peerAdvert(120)
			f.Source, f.MAC, f.VIPs = netip.MustParseAddr("192.168.77.9"), "02:77:00:00:00:09", []netip.Addr{netip.MustParseAddr("192.168.77.254")}
			e.Adverts = []Advert{peerAdvert(150), f}
			return e
		}, []string{"VRID_CONFLICT"}},
		{"auth type differs on the wire", func() Evidence {
			e := base()
			e.KnownAdverts, e.LocalState = true, "BACKUP"
			a := peerAdvert(150)
			a.AuthType = 1
			e.Adverts = []Advert{a}
			return e
		}, []string{"AUTH_MISMATCH"}},
		{"long auth_pass", func() Evidence {
			e := base()
			e.AuthPass = "floatgw-secret"
			return e
		}, []string{"AUTH_PASS_TOO_LONG"}},
		{"interval differs", func() Evidence {
			e := base()
			e.KnownAdverts, e.LocalState = true, "BACKUP"
			a := peerAdvert(150)
			a.Interval = 2 * time.Second
			e.Adverts = []Advert{a}
			return e
		}, []string{"ADVERT_INTERVAL_MISMATCH"}},
		{"link down", func() Evidence {
			e := base()
			e.KnownLink, e.LinkName = true, "br-lan"
			return e
		}, []string{"INTERFACE_DOWN"}},
		{"vip outside", func() Evidence {
			e := base()
			e.VIPs = []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}
			return e
		}, []string{"VIP_OUTSIDE_SUBNET"}},
		{"master answered by a second holder", func() Evidence {
			e := base()
			e.LocalHasVIP, e.OwnMAC = true, "02:77:00:00:00:03"
			e.KnownARP, e.VIPAnswerers = true, []string{"02:77:00:00:00:02"}
			return e
		}, []string{"SPLIT_BRAIN"}},
		{"peer known from earlier adverts is no conflict", func() Evidence {
			e := base()
			e.KnownARP, e.VIPAnswerers, e.PeerMACs = true, []string{"02:77:00:00:00:03"}, []string{"02:77:00:00:00:03"}
			return e
		}, nil},
		{"vip used by another host", func() Evidence {
			e := base()
			e.KnownARP, e.VIPAnswerers, e.OwnMAC = true, []string{"aa:bb:cc:00:00:01"}, "02:77:00:00:00:02"
			return e
		}, []string{"VIP_ADDRESS_CONFLICT"}},
		{"vip answered by the peer is fine", func() Evidence {
			e := base()
			e.KnownAdverts, e.Adverts, e.LocalState = true, []Advert{peerAdvert(150)}, "BACKUP"
			e.KnownARP, e.VIPAnswerers = true, []string{"02:77:00:00:00:03"}
			return e
		}, nil},
		{"strict", func() Evidence { e := base(); e.StrictMode = true; return e }, []string{"VIP_UNREACHABLE"}},
		{"no garp refresh", func() Evidence { e := base(); e.GARPRefresh = 0; return e }, []string{"STALE_ARP"}},
		{"551-dnsmasq", func() Evidence {
			e := base()
			e.DnsmasqHotplug = "/etc/hotplug.d/keepalived/551-dnsmasq"
			return e
		}, []string{"DNSMASQ_HOTPLUG_PRESENT"}},
		{"preempt off", func() Evidence { e := base(); e.Preempt = false; return e }, []string{"PREEMPT_OFF"}},
		{"notify handler", func() Evidence {
			e := base()
			e.KnownNotify, e.NotifyDetail = true, "/etc/hotplug.d/keepalived/50-floatgw is not executable"
			return e
		}, []string{"NOTIFY_HANDLER_MISSING"}},
		{"unicast peer silent", func() Evidence {
			e := base()
			e.UnicastPeers = []netip.Addr{netip.MustParseAddr("192.168.77.3")}
			e.KnownAdverts, e.LocalState = true, "BACKUP"
			return e
		}, []string{"PEER_UNREACHABLE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, checked := Diagnose(tt.ev())
			if len(checked) != len(Checks) {
				t.Errorf("checked %d, want %d", len(checked), len(Checks))
			}
			if strings.Join(codes(got), ",") != strings.Join(tt.want, ",") {
				t.Errorf("codes = %v, want %v\n%+v", codes(got), tt.want, got)
			}
			for _, p := range got {
				if _, ok := api.LookupCode(p.Code); !ok {
					t.Errorf("code %s is not in the catalogue", p.Code)
				}
				if p.Fix != nil {
					if info, ok := api.LookupFix(p.Fix.ID); ok && info.Safe != p.Fix.Safe {
						t.Errorf("fix %s safe=%v, catalogue says %v", p.Fix.ID, p.Fix.Safe, info.Safe)
					}
				}
			}
		})
	}
}

// Real keepalived logs from the lab captures, through the real log matcher.
func TestDiagnoseFromCapturedLogs(t *testing.T) {
	tests := []struct {
		log  string
		want api.Code
	}{
		{"fx-a-nft-output-drop.kaB.console.log", api.AdvertSendEPERM},
		{"fx-c-foreign-vrid.kaA.console.log", api.VRIDConflict},
		{"fx-d1-auth-pass-mismatch.kaA.console.log", api.AuthMismatch},
		{"fx-d2-auth-type-mismatch.kaA.console.log", api.AuthMismatch},
		{"fx-e-advert-int-mismatch.kaB.console.log", api.AdvertIntervalMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.log, func(t *testing.T) {
			e := base()
			e.Logs = sampleLogs(t, tt.log)
			got, _ := Diagnose(e)
			found := false
			for _, p := range got {
				if p.Code == tt.want {
					found = true
					if len(p.Evidence) == 0 {
						t.Errorf("%s without evidence", p.Code)
					}
				}
			}
			if !found {
				t.Errorf("want %s from %s, got %v", tt.want, tt.log, codes(got))
			}
		})
	}
}

func TestFreeVRID(t *testing.T) {
	if v := FreeVRID([]Advert{{VRID: 1}, {VRID: 2}}, 51); v != 3 {
		t.Errorf("FreeVRID = %d, want 3", v)
	}
	var all []Advert
	for i := 1; i <= 255; i++ {
		all = append(all, Advert{VRID: i})
	}
	if v := FreeVRID(all, 51); v != 0 {
		t.Errorf("FreeVRID on a full segment = %d", v)
	}
}
