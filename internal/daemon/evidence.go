package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/floatgw/floatgw/internal/api"
	"github.com/floatgw/floatgw/internal/arp"
	"github.com/floatgw/floatgw/internal/config"
	"github.com/floatgw/floatgw/internal/control"
	"github.com/floatgw/floatgw/internal/doctor"
	"github.com/floatgw/floatgw/internal/drift"
	"github.com/floatgw/floatgw/internal/keepalived"
	"github.com/floatgw/floatgw/internal/proc"
	"github.com/floatgw/floatgw/internal/vrrp"
	"github.com/floatgw/floatgw/uci"
)

func ifaceMAC(dev string) (drift.MAC, error) {
	ifi, err := net.InterfaceByName(dev)
	if err != nil {
		return drift.MAC{}, err
	}
	m, ok := drift.MACFrom(ifi.HardwareAddr)
	if !ok {
		return drift.MAC{}, fmt.Errorf("%s has no ethernet address", dev)
	}
	return m, nil
}

func parseMAC(s string) (drift.MAC, error) {
	hw, err := net.ParseMAC(s)
	if err != nil {
		return drift.MAC{}, err
	}
	m, ok := drift.MACFrom(hw)
	if !ok {
		return drift.MAC{}, fmt.Errorf("not an ethernet address: %s", s)
	}
	return m, nil
}

func renderFor(d *Daemon, cfg *config.Config) ([]byte, error) {
	return keepalived.Render(d.spec(cfg))
}

// own describes floatgw's instance for the VRRP scan's conflict rules.
func (d *Daemon) own(cfg *config.Config) vrrp.Own {
	o := vrrp.Own{VRID: uint8(cfg.VRID), Version: cfg.Version, AdvertInterval: cfg.AdvertInt, AuthPass: cfg.AuthPass}
	for _, v := range cfg.VIPs {
		o.VIPs = append(o.VIPs, v.Addr())
	}
	o.Addrs = append(o.Addrs, cfg.Address.Addr())
	o.Addrs = append(o.Addrs, cfg.Peers...)
	if cfg.AuthPass != "" {
		o.AuthType = 1
	}
	if len(cfg.Peers) == 0 {
		// Multicast: the peer is whoever advertises our VIP set on our VRID.
		d.mu.Lock()
		if src, ok := d.peerSourceLocked(); ok {
			o.Addrs = append(o.Addrs, src.Addr)
		}
		d.mu.Unlock()
	}
	return o
}

// probeVIPs sends an ARP request for each VIP; answers become ARPReply inputs.
func (d *Daemon) probeVIPs(ctx context.Context, cfg *config.Config, vips []netip.Addr, inputs chan<- drift.Input) {
	for _, v := range vips {
		v := v
		go func() {
			mac, err := arp.Probe(ctx, cfg.Device, v, 300*time.Millisecond)
			if err != nil {
				return
			}
			m, ok := drift.MACFrom(mac)
			if !ok {
				return
			}
			select {
			case inputs <- drift.ARPReply{At: time.Now(), IP: v, MAC: m}:
			case <-ctx.Done():
			}
		}()
	}
}

type fwEvidence struct {
	known   bool
	accepts bool
	detail  string
}

// firewallEvidence says whether VRRP from the LAN is accepted on input: on OpenWrt from the
// UCI firewall (a rule with proto 112/vrrp, target ACCEPT, from the LAN's zone, or a zone
// input policy of ACCEPT); elsewhere from the nftables ruleset (a drop rule for protocol 112
// on an input hook).
func (d *Daemon) firewallEvidence(ctx context.Context, cfg *config.Config) fwEvidence {
	if d.opt.Platform == PlatformOpenWrt {
		return uciFirewallEvidence(d.opt.ConfigDir, cfg.LAN)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	// A ruleset cut at the limit could hide a drop rule: unknown, not "accepts".
	out, err := proc.Run(ctx, proc.Cmd{Argv: []string{"nft", "list", "ruleset"}, MaxStdout: 4 << 20, MaxStderr: -1})
	if err != nil || out.Truncated {
		return fwEvidence{}
	}
	return nftEvidence(string(out.Stdout))
}

// nftEvidence reads `nft list ruleset`: a rule that drops or rejects VRRP in a chain with an
// input hook means VRRP is not accepted. iptables-nft rules appear here too.
func nftEvidence(ruleset string) fwEvidence {
	ev := fwEvidence{known: true, accepts: true}
	input := false
	for _, line := range strings.Split(ruleset, "\n") {
		l := strings.TrimSpace(line)
		if strings.HasPrefix(l, "chain ") {
			input = false
		}
		if strings.Contains(l, "hook input") || strings.Contains(l, "hook prerouting") {
			input = true
		}
		if !input {
			continue
		}
		vrrpRule := strings.Contains(l, "vrrp") || strings.Contains(l, "protocol 112") || strings.Contains(l, "l4proto 112")
		if vrrpRule && (strings.Contains(l, "drop") || strings.Contains(l, "reject")) {
			return fwEvidence{known: true, accepts: false, detail: "nftables drops VRRP on input: " + l}
		}
	}
	return ev
}

func uciFirewallEvidence(dir, lan string) fwEvidence {
	pkg, err := (&uci.DirStore{Dir: dir}).Load("firewall")
	if err != nil {
		return fwEvidence{}
	}
	zone := ""
	for _, s := range pkg.SectionsOfType("zone") {
		nets, _ := s.Get("network")
		for _, n := range strings.Fields(strings.Join(nets, " ")) {
			if n == lan {
				zone = last(s, "name")
				if strings.EqualFold(last(s, "input"), "ACCEPT") {
					return fwEvidence{known: true, accepts: true, detail: "zone " + zone + " accepts all input"}
				}
			}
		}
	}
	for _, s := range pkg.SectionsOfType("rule") {
		if last(s, "enabled") == "0" || !strings.EqualFold(last(s, "target"), "ACCEPT") || last(s, "dest") != "" {
			continue
		}
		protos, _ := s.Get("proto")
		p := strings.ToLower(strings.Join(protos, " "))
		if (strings.Contains(p, "112") || strings.Contains(p, "vrrp")) && (zone == "" || last(s, "src") == zone || last(s, "src") == "*") {
			return fwEvidence{known: true, accepts: true, detail: "rule " + s.Name + " accepts VRRP"}
		}
	}
	return fwEvidence{known: true, accepts: false, detail: fmt.Sprintf("no firewall rule accepts protocol 112 from zone %q", zone)}
}

func last(s uci.Section, opt string) string {
	v, _ := s.Get(opt)
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// Doctor gathers evidence concurrently, bounded in time, and runs the diagnosis catalogue.
// fixID, when set, names the fix the caller is about to apply (only for logging).
func (d *Daemon) Doctor(ctx context.Context, _ string) (api.DoctorReply, error) {
	cfg, err := d.config()
	if err != nil {
		return api.DoctorReply{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 8*time.Second)
	defer cancel()
	ev := doctor.Evidence{
		Platform: d.opt.Platform, VRID: cfg.VRID, VIPs: cfg.VIPs, LANPrefix: cfg.Address,
		AdvertInterval: cfg.AdvertInt, AuthPass: cfg.AuthPass, Preempt: cfg.Preempt,
		UnicastPeers: cfg.Peers, GARPRefresh: d.garpRefresh(cfg),
	}
	// Everything this node ever heard from its peer (not only in the window): its MAC is
	// not a foreign host's answer for the VIP.
	d.mu.Lock()
	for _, src := range d.tracker.Sources() {
		if !src.Local && int(src.VRID) == cfg.VRID && src.Addr != cfg.Address.Addr() && sameVIPs(cfg.VIPs, src.VIPs) {
			ev.PeerMACs = append(ev.PeerMACs, src.MAC)
		}
	}
	d.mu.Unlock()
	// Log lines count only if keepalived writes them now: the ones that appear while the
	// adverts are listened to below.
	before, _ := d.readLogs(ctx, 300)
	var wg sync.WaitGroup
	var mu sync.Mutex
	gather := func(f func(*doctor.Evidence)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local doctor.Evidence
			f(&local)
			mu.Lock()
			mergeEvidence(&ev, &local)
			mu.Unlock()
		}()
	}
	gather(func(e *doctor.Evidence) {
		e.KnownKeepalived = true
		e.KeepalivedRunning = d.keepalivedPID() > 0
	})
	gather(func(e *doctor.Evidence) {
		ok, out, known := keepalivedConfigTest(ctx, d.opt)
		e.KnownConfigTest, e.ConfigTestOK, e.ConfigTestOut = known, ok, out
		e.StrictMode = strictMode(d.opt)
	})
	gather(func(e *doctor.Evidence) {
		fw := d.firewallEvidence(ctx, cfg)
		e.KnownFirewall, e.FirewallAcceptsVRRP, e.FirewallDetail = fw.known, fw.accepts, fw.detail
	})
	gather(func(e *doctor.Evidence) {
		select {
		case <-time.After(d.evidenceWindow(cfg)):
		case <-ctx.Done():
			return
		}
		after, err := d.readLogs(ctx, 300)
		if err != nil {
			return
		}
		for _, l := range newLines(before, after) {
			ll := doctor.LogLine{Text: l.Message}
			if l.Match != nil {
				ll.Code = doctor.LogCode(l.Match.Code)
			}
			e.Logs = append(e.Logs, ll)
		}
	})
	gather(func(e *doctor.Evidence) {
		ifi, err := net.InterfaceByName(cfg.Device)
		if err != nil {
			return
		}
		e.KnownLink, e.LinkName = true, cfg.Device
		e.LinkUp = ifi.Flags&net.FlagUp != 0 && ifi.Flags&net.FlagRunning != 0
		e.LinkMulticast = ifi.Flags&net.FlagMulticast != 0
		e.OwnMAC = ifi.HardwareAddr.String()
	})
	gather(func(e *doctor.Evidence) {
		// Listen on the wire for three advert intervals (at least 1.5 s) using what the
		// running listener hears.
		window := d.evidenceWindow(cfg)
		start := time.Now()
		select {
		case <-time.After(window):
		case <-ctx.Done():
			return
		}
		e.KnownAdverts, e.Window = true, window
		d.mu.Lock()
		for _, s := range d.tracker.Sources() {
			if s.LastSeen.Before(start) {
				continue
			}
			a := doctor.Advert{Source: s.Addr, MAC: s.MAC, VRID: int(s.VRID), Priority: int(s.Priority),
				Interval: time.Duration(s.AdvertIntervalMS) * time.Millisecond, VIPs: s.VIPs, AuthType: int(s.AuthType),
				Count: s.Count, Self: s.Local || s.Addr == cfg.Address.Addr()}
			e.Adverts = append(e.Adverts, a)
		}
		if st := d.kaState; st != api.StateUnknown {
			e.LocalState = st
		}
		d.mu.Unlock()
		if d.watcher != nil && len(cfg.VIPs) > 0 {
			e.LocalHasVIP = d.watcher.HasAddr(cfg.Device, cfg.VIPs[0].Addr())
		}
	})
	gather(func(e *doctor.Evidence) {
		if len(cfg.VIPs) == 0 {
			return
		}
		// Every MAC that claims the VIP (RFC 5227 probe: sender 0.0.0.0, so this node's own
		// holding does not answer itself).
		macs, err := arp.DAD(ctx, cfg.Device, cfg.VIPs[0].Addr(), arp.DADOptions{})
		if err != nil && len(macs) == 0 {
			if errors.Is(err, context.DeadlineExceeded) {
				return
			}
		}
		e.KnownARP = true
		for _, m := range macs {
			e.VIPAnswerers = append(e.VIPAnswerers, m.String())
		}
	})
	gather(func(e *doctor.Evidence) {
		p := filepath.Join(d.opt.HotplugDir, "551-dnsmasq")
		if _, err := os.Stat(p); err == nil {
			e.DnsmasqHotplug = p
		}
		if d.opt.Platform == PlatformOpenWrt {
			e.KnownNotify = true
			h := filepath.Join(d.opt.HotplugDir, "50-floatgw")
			fi, err := os.Stat(h)
			switch {
			case err != nil:
				e.NotifyDetail = h + " is missing"
			case fi.Mode()&0o111 == 0:
				e.NotifyDetail = h + " is not executable"
			default:
				e.NotifyOK = true
			}
		}
		if fi, err := os.Stat(d.opt.fifoPath()); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			e.KnownNotify = true
			e.NotifyOK = false
			e.NotifyDetail = "the notify fifo " + d.opt.fifoPath() + " is missing, so floatgw cannot follow keepalived's state"
		} else if !e.KnownNotify {
			e.KnownNotify, e.NotifyOK = true, true
		}
	})
	wg.Wait()
	probs, checked := doctor.Diagnose(ev)
	return api.DoctorReply{Schema: api.Schema, Problems: probs, Checked: checked, Fixed: []api.FixResult{}}, nil
}

// evidenceWindow is how long the doctor listens: three advert intervals, at least 1.5 s.
func (d *Daemon) evidenceWindow(cfg *config.Config) time.Duration {
	w := 3 * cfg.AdvertInt
	if w < 1500*time.Millisecond {
		w = 1500 * time.Millisecond
	}
	return w
}

// newLines returns the lines of after that came after the last line of before (all of after
// when that line is gone, e.g. the log rotated).
func newLines(before, after []keepalived.LogLine) []keepalived.LogLine {
	if len(before) == 0 {
		return after
	}
	last := before[len(before)-1].Raw
	for i := len(after) - 1; i >= 0; i-- {
		if after[i].Raw == last {
			return after[i+1:]
		}
	}
	return after
}

// mergeEvidence copies the fields one gatherer set.
func mergeEvidence(dst, src *doctor.Evidence) {
	if src.KnownKeepalived {
		dst.KnownKeepalived, dst.KeepalivedRunning = true, src.KeepalivedRunning
	}
	if src.KnownConfigTest {
		dst.KnownConfigTest, dst.ConfigTestOK, dst.ConfigTestOut = true, src.ConfigTestOK, src.ConfigTestOut
	}
	dst.StrictMode = dst.StrictMode || src.StrictMode
	if src.KnownFirewall {
		dst.KnownFirewall, dst.FirewallAcceptsVRRP, dst.FirewallDetail = true, src.FirewallAcceptsVRRP, src.FirewallDetail
	}
	dst.Logs = append(dst.Logs, src.Logs...)
	if src.KnownLink {
		dst.KnownLink, dst.LinkUp, dst.LinkMulticast, dst.LinkName = true, src.LinkUp, src.LinkMulticast, src.LinkName
		dst.OwnMAC = src.OwnMAC
	}
	if src.KnownAdverts {
		dst.KnownAdverts, dst.Window, dst.Adverts = true, src.Window, src.Adverts
		dst.LocalState, dst.LocalHasVIP = src.LocalState, src.LocalHasVIP
	}
	if src.KnownARP {
		dst.KnownARP, dst.VIPAnswerers = true, src.VIPAnswerers
	}
	if src.KnownNotify {
		dst.KnownNotify, dst.NotifyOK, dst.NotifyDetail = true, src.NotifyOK, src.NotifyDetail
	}
	if src.DnsmasqHotplug != "" {
		dst.DnsmasqHotplug = src.DnsmasqHotplug
	}
}

// keepalivedConfigTest runs `keepalived -t -f` on the configuration keepalived reads, with a
// timeout (keepalived 2.2.7 can hang in -t, see keepalived-samples/config-test).
func keepalivedConfigTest(ctx context.Context, o Options) (ok bool, out string, known bool) {
	path := o.KeepalivedConf
	if o.KeepalivedMain != "" {
		path = o.KeepalivedMain
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	res, err := proc.Run(ctx, proc.Cmd{Argv: []string{"keepalived", "-t", "-f", path}, Combined: true})
	if errors.Is(err, proc.ErrNotFound) {
		return false, "", false // not installed: nothing to say about the files
	}
	if ctx.Err() != nil {
		return false, "keepalived -t did not finish within 5 s (a track_file or script that does not exist?)", true
	}
	return err == nil, string(res.Stdout), true
}

// strictMode reports vrrp_strict or no_accept in the keepalived files in use.
func strictMode(o Options) bool {
	for _, p := range []string{o.KeepalivedConf, o.KeepalivedMain} {
		if p == "" {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			l = strings.TrimSpace(l)
			if strings.HasPrefix(l, "#") || strings.HasPrefix(l, "!") {
				continue
			}
			if f := strings.Fields(l); len(f) > 0 && (f[0] == "vrrp_strict" || f[0] == "no_accept") {
				return true
			}
		}
	}
	return false
}

// callDoctorFix applies the safe fixes of the current problems (or the one named), then
// checks again and reports both.
func (d *Daemon) callDoctorFix(ctx context.Context, args map[string]any) (any, error) {
	want, _ := args["id"].(string)
	before, err := d.Doctor(ctx, want)
	if err != nil {
		return nil, err
	}
	var fixed []api.FixResult
	seen := map[string]bool{}
	// A safe fix named explicitly (a LuCI button on the verify page) is applied even when the
	// doctor does not report its problem right now.
	if want != "" && isSafeFix(want) {
		before.Problems = append(before.Problems, api.Problem{Fix: &api.Fix{ID: want, Safe: true}})
	}
	for _, p := range before.Problems {
		if p.Fix == nil || !p.Fix.Safe || seen[p.Fix.ID] || (want != "" && p.Fix.ID != want) {
			continue
		}
		seen[p.Fix.ID] = true
		err := d.applyFix(ctx, p.Fix.ID)
		r := api.FixResult{ID: p.Fix.ID, OK: err == nil}
		if err != nil {
			r.Detail = err.Error()
			d.log.Errorf("fix %s: %v", p.Fix.ID, err)
		} else {
			d.log.Noticef("fix %s applied", p.Fix.ID)
		}
		fixed = append(fixed, r)
	}
	if want != "" && len(fixed) == 0 {
		return nil, failed(api.FixNotFound, control.StatusNotFound, "no current problem offers the safe fix "+want)
	}
	after, err := d.Doctor(ctx, "")
	if err != nil {
		return nil, err
	}
	after.Fixed = fixed
	if after.Fixed == nil {
		after.Fixed = []api.FixResult{}
	}
	return after, nil
}

func isSafeFix(id string) bool {
	for _, s := range api.SafeFixIDs {
		if s == id {
			return true
		}
	}
	return false
}

// applyFix applies one safe fix (api.SafeFixIDs; a test keeps the two lists in step).
func (d *Daemon) applyFix(ctx context.Context, id string) error {
	switch id {
	case "keepalived_render", "garp_refresh", "notify_handler":
		switch id {
		case "notify_handler":
			if err := d.fixNotifyHandler(); err != nil {
				return err
			}
		case "garp_refresh":
			// The user asked for it: render a 10 s refresh even though the configuration
			// has it off (the flag lives in floatgw's state directory, not in UCI).
			if err := writeFileAtomic(d.opt.garpFile(), []byte("10\n")); err != nil {
				return err
			}
		}
		d.applyMu.Lock()
		defer d.applyMu.Unlock()
		reply, err := d.readAndApplyLocked(ctx, "fix "+id, false)
		if err != nil {
			return err
		}
		if len(reply.Problems) > 0 {
			return errors.New(joinProblems(reply.Problems))
		}
		if id == "keepalived_render" {
			if ok, out, known := keepalivedConfigTest(ctx, d.opt); known && !ok {
				first := strings.TrimSpace(strings.SplitN(strings.TrimSpace(out), "\n", 2)[0])
				return fmt.Errorf("floatgw's file was rendered again, but keepalived -t still fails, so the error is outside it (%s): %s", d.opt.KeepalivedMain, first)
			}
		}
		return nil
	case "keepalived_start":
		return startKeepalived(ctx, d.opt)
	case "firewall_vrrp":
		return d.fixFirewall(ctx)
	}
	return fmt.Errorf("fix %s is not automatic", id)
}

// fixNotifyHandler makes the hotplug forwarder executable again (OpenWrt) and recreates the
// notify FIFO; the caller then re-renders and reloads keepalived so that it writes to it.
func (d *Daemon) fixNotifyHandler() error {
	if d.opt.Platform == PlatformOpenWrt {
		h := filepath.Join(d.opt.HotplugDir, "50-floatgw")
		if _, err := os.Stat(h); err == nil {
			if err := os.Chmod(h, 0o755); err != nil {
				return err
			}
		}
	}
	if fi, err := os.Lstat(d.opt.fifoPath()); err == nil && fi.Mode()&os.ModeNamedPipe == 0 {
		return fmt.Errorf("%s exists and is not a fifo; remove it", d.opt.fifoPath())
	} else if err != nil {
		if err := syscall.Mkfifo(d.opt.fifoPath(), 0o600); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("recreate notify fifo: %w", err)
		}
	}
	return nil
}
