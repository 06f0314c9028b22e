package doctor

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/floatgw/floatgw/internal/api"
)

// Evidence is everything the checks look at. Zero values mean "not known"; each check says
// which fields it needs and stays silent when they were not gathered (a Known* flag).
type Evidence struct {
	// Platform is "openwrt" or "linux".
	Platform string

	// Config as validated (what floatgw wants).
	VRID           int
	VIPs           []netip.Prefix
	LANPrefix      netip.Prefix // this node's address and subnet
	AdvertInterval time.Duration
	AuthPass       string // configured auth_pass (never printed)
	Preempt        bool
	UnicastPeers   []netip.Addr
	GARPRefresh    time.Duration

	// keepalived.
	KnownKeepalived   bool
	KeepalivedRunning bool
	KeepalivedPID     int
	// ConfigTest is the result of `keepalived -t -f <file>`.
	KnownConfigTest bool
	ConfigTestOK    bool
	ConfigTestOut   string
	// StrictMode: the keepalived configuration in use has vrrp_strict or no_accept.
	StrictMode bool

	// Firewall.
	KnownFirewall bool
	// FirewallAcceptsVRRP: an input rule accepts protocol 112 from the LAN (zone), or the
	// input path has no drop for it.
	FirewallAcceptsVRRP bool
	FirewallDetail      string

	// Log lines of keepalived with their matched code (internal/keepalived's matcher).
	Logs []LogLine

	// The LAN interface.
	KnownLink     bool
	LinkUp        bool
	LinkMulticast bool
	LinkName      string

	// VRRP state.
	LocalState  string // MASTER, BACKUP, FAULT, "" unknown
	LocalHasVIP bool
	// KnownNotify: the notify handler / FIFO path was checked.
	KnownNotify   bool
	NotifyOK      bool
	NotifyDetail  string
	NotifyEventAt time.Time // last FIFO/hotplug event, zero if none since start

	// Adverts heard on the wire during the evidence window.
	KnownAdverts bool
	Window       time.Duration
	Adverts      []Advert

	// PeerMACs are the MACs this node ever heard its peer advertise from (not only in the
	// window): the peer answering for the VIP is no conflict.
	PeerMACs []string

	// ARP: every MAC that answered for the VIP.
	KnownARP     bool
	OwnMAC       string
	VIPAnswerers []string

	// Files.
	DnsmasqHotplug string // path of keepalived-sync's 551-dnsmasq if present
}

// LogLine is a log line with the code a matcher gave it ("" if none).
type LogLine struct {
	Text string
	Code api.Code
}

// Advert is one VRRP sender heard, aggregated.
type Advert struct {
	Source   netip.Addr
	MAC      string
	VRID     int
	Priority int
	Interval time.Duration
	VIPs     []netip.Addr
	AuthType int // 0 none, 1 PASS, 2 AH
	Count    int
	Self     bool
}

func fix(id string) *api.Fix {
	info, ok := api.LookupFix(id)
	if !ok {
		return nil
	}
	return &api.Fix{ID: info.ID, Label: info.Meaning, Safe: info.Safe}
}

func problem(code api.Code, detail string, evidence []string, fixID string) api.Problem {
	info, _ := api.LookupCode(code)
	p := api.Problem{Code: code, Severity: info.Severity, Detail: detail, Evidence: evidence}
	if fixID != "" {
		p.Fix = fix(fixID)
	}
	return p
}

// Check is one named diagnosis.
type Check struct {
	Name string
	Run  func(*Evidence) []api.Problem
}

// Checks is the catalogue, in the order doctor reports it.
var Checks = []Check{
	{"keepalived_running", checkRunning},
	{"keepalived_config", checkConfigTest},
	{"firewall", checkFirewall},
	{"advert_send", checkSendEPERM},
	{"interface", checkInterface},
	{"vip_subnet", checkVIPSubnet},
	{"peer_adverts", checkPeerAdverts},
	{"split_brain", checkSplitBrain},
	{"vrid_conflict", checkVRIDConflict},
	{"auth", checkAuth},
	{"advert_interval", checkInterval},
	{"notify_handler", checkNotify},
	{"vip_conflict", checkVIPConflict},
	{"vip_strict", checkStrict},
	{"garp_refresh", checkGARP},
	{"dnsmasq_hotplug", checkDnsmasq},
	{"preempt", checkPreempt},
}

// Diagnose runs every check and returns the problems, worst first (stable within a severity).
func Diagnose(ev Evidence) (problems []api.Problem, checked []string) {
	for _, c := range Checks {
		checked = append(checked, c.Name)
		problems = append(problems, c.Run(&ev)...)
	}
	rank := map[api.Severity]int{api.SeverityError: 0, api.SeverityWarning: 1, api.SeverityInfo: 2}
	sort.SliceStable(problems, func(i, j int) bool { return rank[problems[i].Severity] < rank[problems[j].Severity] })
	if problems == nil {
		problems = []api.Problem{}
	}
	return problems, checked
}

func logsWith(ev *Evidence, codes ...api.Code) []string {
	var out []string
	for _, l := range ev.Logs {
		for _, c := range codes {
			if l.Code == c {
				out = append(out, l.Text)
				break
			}
		}
	}
	// The newest few are enough evidence.
	if len(out) > 3 {
		out = out[len(out)-3:]
	}
	return out
}

func checkRunning(ev *Evidence) []api.Problem {
	if !ev.KnownKeepalived || ev.KeepalivedRunning {
		return nil
	}
	return []api.Problem{problem(api.KeepalivedNotRunning, "no keepalived process for floatgw's configuration", nil, "keepalived_start")}
}

func checkConfigTest(ev *Evidence) []api.Problem {
	if !ev.KnownConfigTest || ev.ConfigTestOK {
		return nil
	}
	var evd []string
	for _, l := range strings.Split(strings.TrimSpace(ev.ConfigTestOut), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			evd = append(evd, l)
		}
	}
	if len(evd) > 5 {
		evd = evd[:5]
	}
	return []api.Problem{problem(api.KeepalivedConfigInvalid, "keepalived -t rejects the configuration", evd, "keepalived_render")}
}

func checkFirewall(ev *Evidence) []api.Problem {
	if !ev.KnownFirewall || ev.FirewallAcceptsVRRP {
		return nil
	}
	p := problem(api.FirewallNoVRRPRule, ev.FirewallDetail, nil, "")
	p.Field = "firewall.vrrp"
	p.Want = "an input rule accepting protocol 112 from the LAN zone"
	p.Got = "none"
	if ev.Platform == "openwrt" {
		p.Fix = fix("firewall_vrrp")
	} else {
		p.Fix = &api.Fix{ID: "firewall_vrrp_manual", Label: "allow VRRP in: nft add rule inet filter input ip protocol vrrp accept (or iptables -I INPUT -p vrrp -j ACCEPT)", Safe: false}
	}
	return []api.Problem{p}
}

func checkSendEPERM(ev *Evidence) []api.Problem {
	lines := logsWith(ev, api.AdvertSendEPERM)
	if len(lines) == 0 {
		return nil
	}
	return []api.Problem{problem(api.AdvertSendEPERM, "the local firewall's OUTPUT path drops VRRP, so the peer hears nothing and takes the VIP too", lines, "output_vrrp")}
}

func checkInterface(ev *Evidence) []api.Problem {
	if !ev.KnownLink || (ev.LinkUp && ev.LinkMulticast) {
		return nil
	}
	var why []string
	if !ev.LinkUp {
		why = append(why, "down")
	}
	if !ev.LinkMulticast && len(ev.UnicastPeers) == 0 {
		why = append(why, "without the MULTICAST flag")
	}
	if len(why) == 0 {
		return nil
	}
	p := problem(api.InterfaceDown, fmt.Sprintf("%s is %s", ev.LinkName, strings.Join(why, " and ")), nil, "")
	p.Field = ev.LinkName
	return []api.Problem{p}
}

func checkVIPSubnet(ev *Evidence) []api.Problem {
	if !ev.LANPrefix.IsValid() {
		return nil
	}
	var out []api.Problem
	subnet := ev.LANPrefix.Masked()
	for _, v := range ev.VIPs {
		if !subnet.Contains(v.Addr()) {
			p := problem(api.VIPOutsideSubnet, "clients on the LAN cannot use a gateway outside their subnet", nil, "")
			p.Field, p.Want, p.Got = "floatgw.main.vip", subnet.String(), v.Addr().String()
			out = append(out, p)
		}
	}
	return out
}

func peers(ev *Evidence) (peer []Advert, foreign []Advert) {
	own := map[netip.Addr]bool{}
	for _, v := range ev.VIPs {
		own[v.Addr()] = true
	}
	for _, a := range ev.Adverts {
		if a.Self || a.VRID != ev.VRID {
			continue
		}
		if len(ev.UnicastPeers) > 0 {
			isPeer := false
			for _, u := range ev.UnicastPeers {
				isPeer = isPeer || u == a.Source
			}
			if !isPeer {
				foreign = append(foreign, a)
				continue
			}
		} else {
			same := len(a.VIPs) == len(ev.VIPs)
			for _, v := range a.VIPs {
				same = same && own[v]
			}
			if !same {
				foreign = append(foreign, a)
				continue
			}
		}
		peer = append(peer, a)
	}
	return peer, foreign
}

func checkPeerAdverts(ev *Evidence) []api.Problem {
	if !ev.KnownAdverts || (ev.KnownKeepalived && !ev.KeepalivedRunning) {
		return nil
	}
	peer, _ := peers(ev)
	if len(peer) > 0 {
		return nil
	}
	// A MASTER never hears a lower-priority BACKUP: backups are silent in VRRP (RFC 3768
	// §6.4.2). Only a BACKUP (or FAULT) that hears no MASTER proves adverts are missing.
	if ev.LocalState == "MASTER" {
		return nil
	}
	detail := fmt.Sprintf("no advert for VRID %d from another router in %v while this node is %s", ev.VRID, ev.Window.Round(time.Millisecond), orUnknown(ev.LocalState))
	p := problem(api.PeerNoAdverts, detail, nil, "unicast_peers")
	if len(ev.UnicastPeers) > 0 {
		p = problem(api.PeerUnreachable, detail+"; the unicast peer(s) "+addrs(ev.UnicastPeers)+" send nothing here", nil, "")
	}
	return []api.Problem{p}
}

func orUnknown(s string) string {
	if s == "" {
		return "in an unknown state"
	}
	return s
}

func addrs(a []netip.Addr) string {
	s := make([]string, len(a))
	for i, x := range a {
		s[i] = x.String()
	}
	return strings.Join(s, ", ")
}

func checkSplitBrain(ev *Evidence) []api.Problem {
	var evd []string
	split := false
	if ev.LocalHasVIP && ev.KnownAdverts {
		peer, _ := peers(ev)
		for _, a := range peer {
			if a.Priority > 0 {
				split = true
				evd = append(evd, fmt.Sprintf("this node holds the VIP and %s (%s) advertises as MASTER with priority %d", a.Source, a.MAC, a.Priority))
			}
		}
	}
	if ev.KnownARP {
		others := otherMACs(distinct(ev.VIPAnswerers), ev.OwnMAC)
		switch {
		case len(others) > 1:
			split = true
			evd = append(evd, "the VIP is answered by "+strings.Join(others, " and "))
		case ev.LocalHasVIP && len(others) == 1:
			// A node never answers its own probe: one answer while this node holds the VIP
			// means a second holder.
			split = true
			evd = append(evd, "this node holds the VIP and "+others[0]+" answers for it too")
		}
	}
	lines := logsWith(ev, api.SplitBrain)
	if len(lines) > 0 && ev.LocalHasVIP {
		split = true
		evd = append(evd, lines...)
	}
	if !split {
		return nil
	}
	return []api.Problem{problem(api.SplitBrain, "each node does not hear the other: usually a firewall drops incoming VRRP on one of them (fix it there: firewall.vrrp), or multicast is filtered between them", evd, "")}
}

func otherMACs(macs []string, own string) []string {
	var out []string
	for _, m := range macs {
		if m != strings.ToLower(own) {
			out = append(out, m)
		}
	}
	return out
}

func distinct(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		x = strings.ToLower(x)
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// FreeVRID returns the lowest VRID from 1 to 255 that no advert uses, 0 if none.
func FreeVRID(adverts []Advert, avoid int) int {
	used := map[int]bool{avoid: true}
	for _, a := range adverts {
		used[a.VRID] = true
	}
	for v := 1; v <= 255; v++ {
		if !used[v] {
			return v
		}
	}
	return 0
}

func checkVRIDConflict(ev *Evidence) []api.Problem {
	var evd []string
	if ev.KnownAdverts {
		_, foreign := peers(ev)
		for _, a := range foreign {
			evd = append(evd, fmt.Sprintf("%s (%s) uses VRID %d with VIPs %s, priority %d", a.Source, a.MAC, a.VRID, addrs(a.VIPs), a.Priority))
		}
	}
	evd = append(evd, logsWith(ev, api.VRIDConflict)...)
	if len(evd) == 0 {
		return nil
	}
	detail := "another router on the segment uses our VRID"
	if v := FreeVRID(ev.Adverts, ev.VRID); v != 0 {
		detail += fmt.Sprintf("; VRID %d is free", v)
	}
	p := problem(api.VRIDConflict, detail, evd, "vrid_change")
	p.Field = "floatgw.main.vrid"
	p.Got = fmt.Sprint(ev.VRID)
	return []api.Problem{p}
}

func checkAuth(ev *Evidence) []api.Problem {
	var out []api.Problem
	if len(ev.AuthPass) > 8 {
		p := problem(api.AuthPassTooLong, "keepalived uses only the first 8 characters", logsWith(ev, api.AuthPassTooLong), "auth_pass_shorten")
		p.Field, p.Want, p.Got = "floatgw.main.auth_pass", "at most 8 characters", fmt.Sprintf("%d characters", len(ev.AuthPass))
		out = append(out, p)
	}
	evd := logsWith(ev, api.AuthMismatch)
	if ev.KnownAdverts {
		want := 0
		if ev.AuthPass != "" {
			want = 1
		}
		peer, _ := peers(ev)
		for _, a := range peer {
			if a.AuthType != want {
				evd = append(evd, fmt.Sprintf("%s sends auth type %d, we use %d", a.Source, a.AuthType, want))
			}
		}
	}
	if len(evd) > 0 {
		out = append(out, problem(api.AuthMismatch, "set the same auth_pass (or none) on both routers", evd, ""))
	}
	return out
}

func checkInterval(ev *Evidence) []api.Problem {
	evd := logsWith(ev, api.AdvertIntervalMismatch)
	if ev.KnownAdverts && ev.AdvertInterval > 0 {
		peer, _ := peers(ev)
		for _, a := range peer {
			if a.Interval > 0 && a.Interval != ev.AdvertInterval {
				evd = append(evd, fmt.Sprintf("%s advertises every %v, we every %v", a.Source, a.Interval, ev.AdvertInterval))
			}
		}
	}
	if len(evd) == 0 {
		return nil
	}
	p := problem(api.AdvertIntervalMismatch, "set the same advert_int on both routers", evd, "advert_int")
	p.Field = "floatgw.main.advert_int"
	return []api.Problem{p}
}

func checkNotify(ev *Evidence) []api.Problem {
	if !ev.KnownNotify || ev.NotifyOK {
		return nil
	}
	return []api.Problem{problem(api.NotifyHandlerMissing, ev.NotifyDetail, nil, "notify_handler")}
}

func checkVIPConflict(ev *Evidence) []api.Problem {
	if !ev.KnownARP || ev.LocalHasVIP {
		return nil
	}
	// Not holding the VIP ourselves: an answer is fine from our peer, not from anyone else.
	peer, _ := peers(ev)
	peerMAC := map[string]bool{}
	for _, a := range peer {
		peerMAC[strings.ToLower(a.MAC)] = true
	}
	for _, m := range ev.PeerMACs {
		peerMAC[strings.ToLower(m)] = true
	}
	var evd []string
	for _, m := range distinct(ev.VIPAnswerers) {
		if !peerMAC[m] && m != strings.ToLower(ev.OwnMAC) {
			evd = append(evd, "the VIP is answered by "+m+", which is not a VRRP router of our VRID")
		}
	}
	if len(evd) == 0 {
		return nil
	}
	return []api.Problem{problem(api.VIPAddressConflict, "pick a VIP no host uses, or remove it from that host", evd, "vip")}
}

func checkStrict(ev *Evidence) []api.Problem {
	if !ev.StrictMode {
		return nil
	}
	return []api.Problem{problem(api.VIPUnreachable, "vrrp_strict (or no_accept) makes keepalived drop traffic to the VIP: clients cannot ping it or use it for DNS; remove vrrp_strict from the keepalived configuration", logsWith(ev, api.VIPUnreachable), "")}
}

func checkGARP(ev *Evidence) []api.Problem {
	if ev.GARPRefresh > 0 {
		return nil
	}
	return []api.Problem{problem(api.StaleARP, "without periodic gratuitous ARP, a client that missed the burst keeps the old MAC until its ARP entry expires", nil, "garp_refresh")}
}

func checkDnsmasq(ev *Evidence) []api.Problem {
	if ev.DnsmasqHotplug == "" {
		return nil
	}
	return []api.Problem{problem(api.DnsmasqHotplugPresent, "it stops dnsmasq on the BACKUP node, so clients of that router lose DHCP and DNS", []string{ev.DnsmasqHotplug}, "dnsmasq_hotplug")}
}

func checkPreempt(ev *Evidence) []api.Problem {
	if ev.Preempt {
		return nil
	}
	p := problem(api.PreemptOff, "after a failover the VIP stays on the backup until it fails", nil, "enable_preempt")
	p.Field = "floatgw.main.preempt"
	return []api.Problem{p}
}
