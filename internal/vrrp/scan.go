package vrrp

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/floatgw/floatgw/internal/jsonx"
)

// Own describes floatgw's own VRRP instance, the yardstick for conflicts.
type Own struct {
	// VRID is the instance's virtual router id.
	VRID uint8
	// VIPs are the virtual addresses it advertises.
	VIPs []netip.Addr
	// Addrs are the real (primary) addresses of floatgw's own routers, both
	// this one and its peer: adverts on VRID from any other address come
	// from a foreign router. Empty: sources are not judged foreign.
	Addrs []netip.Addr
	// Version is 2 or 3; 0 skips the check.
	Version int
	// AdvertInterval is the configured interval; 0 skips the check.
	AdvertInterval time.Duration
	// AuthType is the configured VRRPv2 authentication (checked against
	// VRRPv2 sources only).
	AuthType AuthType
	// AuthPass is the configured PASS password. Only its first 8 bytes go on
	// the wire (keepalived truncates). It is compared, never reported.
	AuthPass string
}

// MarshalJSON reports Own without its password, interval in milliseconds.
func (o Own) MarshalJSON() ([]byte, error) {
	vips, addrs := o.VIPs, o.Addrs
	if vips == nil {
		vips = []netip.Addr{}
	}
	if addrs == nil {
		addrs = []netip.Addr{}
	}
	return jsonx.Marshal(struct {
		VRID             uint8        `json:"vrid"`
		VIPs             []netip.Addr `json:"vips"`
		Addrs            []netip.Addr `json:"addrs"`
		Version          int          `json:"version"`
		AdvertIntervalMS int64        `json:"advert_interval_ms"`
		AuthType         AuthType     `json:"auth_type"`
	}{o.VRID, vips, addrs, o.Version, o.AdvertInterval.Milliseconds(), o.AuthType})
}

// Conflict codes: stable identifiers that the CLI and LuCI translate.
const (
	// Another router, not one of Own.Addrs, advertises floatgw's VRID.
	CodeForeignSource = "FOREIGN_SOURCE"
	// A source on floatgw's VRID advertises another VIP set (keepalived:
	// "ip address associated with VRID not present in MASTER advert").
	CodeVIPSetMismatch = "VIP_SET_MISMATCH"
	// Advertised interval differs (keepalived: "advertisement interval mismatch").
	CodeIntervalMismatch = "ADVERT_INTERVAL_MISMATCH"
	// VRRP version differs.
	CodeVersionMismatch = "VERSION_MISMATCH"
	// VRRPv2 auth type differs (keepalived: "received a 1 auth, expecting 0!").
	CodeAuthTypeMismatch = "AUTH_TYPE_MISMATCH"
	// PASS passwords differ in their first 8 bytes (keepalived: "received an invalid passwd!").
	CodeAuthPassMismatch = "AUTH_PASS_MISMATCH"
	// A CARP/ucarp router uses floatgw's VRID as its vhid (same virtual MAC).
	CodeCARPOnVRID = "CARP_ON_VRID"
)

// Conflict is one problem with floatgw's own VRID, in the project's
// {code, field, want, got, detail} shape.
type Conflict struct {
	Code   string     `json:"code"`
	VRID   int        `json:"vrid"`
	Source netip.Addr `json:"source"`
	MAC    string     `json:"mac"`
	Field  string     `json:"field"`
	Want   string     `json:"want,omitempty"`
	Got    string     `json:"got,omitempty"`
	Detail string     `json:"detail"`
}

// VRIDReport groups the sources heard on one VRID.
type VRIDReport struct {
	VRID    int      `json:"vrid"`
	Sources []Source `json:"sources"`
}

// ScanReport is the result of a scan: the contract the daemon exposes over
// ubus and the CLI prints (`floatgw scan --json` is this struct). Lists are
// never null in JSON, times are RFC 3339 with nanoseconds, durations are
// milliseconds.
//
//   - vrids: every VRID heard, ascending, each with its sources (ascending
//     address): address, MAC, local (sent by this host), version, last
//     priority and every priority heard with the changes, announced and
//     measured interval, VIPs, auth type (never the password), count,
//     first/last seen.
//   - rejected: protocol-112 frames that were not valid adverts, per source
//     and reason (BAD_TTL, CARP, BAD_CHECKSUM, …), with the VRID or CARP vhid
//     when known.
//   - own: the instance compared against (absent when none was given).
//   - conflicts: problems with own's VRID (codes above).
//   - free_vrids: up to 5 VRIDs heard from nobody (VRRP or CARP), the first
//     ones after own's VRID (or from 1).
type ScanReport struct {
	Interface  string       `json:"interface"`
	Start      time.Time    `json:"start"`
	End        time.Time    `json:"end"`
	DurationMS int64        `json:"duration_ms"`
	Adverts    int          `json:"adverts"`
	VRIDs      []VRIDReport `json:"vrids"`
	Rejected   []Rejected   `json:"rejected"`
	Own        *Own         `json:"own,omitempty"`
	Conflicts  []Conflict   `json:"conflicts"`
	FreeVRIDs  []int        `json:"free_vrids"`
	// Dropped counts frames not tracked because a size limit was reached.
	Dropped int `json:"dropped,omitempty"`
}

// Report builds a ScanReport from what t has seen; Interface, Start, End and
// DurationMS are left for the caller. own may be nil.
func (t *Tracker) Report(own *Own) ScanReport {
	r := ScanReport{
		Adverts:   t.adverts,
		VRIDs:     []VRIDReport{},
		Rejected:  t.Rejected(),
		Conflicts: []Conflict{},
		Dropped:   t.dropped,
	}
	sources := t.Sources()
	used := map[uint8]bool{}
	for _, s := range sources {
		used[s.VRID] = true
		if n := len(r.VRIDs); n == 0 || r.VRIDs[n-1].VRID != int(s.VRID) {
			r.VRIDs = append(r.VRIDs, VRIDReport{VRID: int(s.VRID)})
		}
		r.VRIDs[len(r.VRIDs)-1].Sources = append(r.VRIDs[len(r.VRIDs)-1].Sources, s)
	}
	for _, rej := range r.Rejected {
		if rej.Reason == "CARP" && rej.VRID != 0 {
			used[uint8(rej.VRID)] = true
		}
	}
	start := uint8(0)
	if own != nil {
		o := *own
		r.Own = &o
		r.Conflicts = Conflicts(o, sources, r.Rejected)
		start = own.VRID
		used[own.VRID] = true
	}
	r.FreeVRIDs = FreeVRIDs(used, start, 5)
	return r
}

// Conflicts compares the sources heard on own.VRID (and CARP rejections
// with that vhid) with own. It is pure; the result is ordered by source.
func Conflicts(own Own, sources []Source, rejected []Rejected) []Conflict {
	out := []Conflict{}
	for _, s := range sources {
		if s.VRID != own.VRID {
			continue
		}
		add := func(code, field, want, got, detail string) {
			out = append(out, Conflict{Code: code, VRID: int(s.VRID), Source: s.Addr, MAC: s.MAC,
				Field: field, Want: want, Got: got, Detail: detail})
		}
		if len(own.Addrs) > 0 && !slices.Contains(own.Addrs, s.Addr) {
			add(CodeForeignSource, "source", joinAddrs(own.Addrs), s.Addr.String(),
				fmt.Sprintf("%s (%s) advertises vrid %d but is not one of floatgw's routers", s.Addr, s.MAC, s.VRID))
		}
		if !sameSet(own.VIPs, s.VIPs) {
			add(CodeVIPSetMismatch, "vips", joinAddrs(own.VIPs), joinAddrs(s.VIPs),
				fmt.Sprintf("%s advertises vrid %d with VIPs [%s], floatgw's are [%s]", s.Addr, s.VRID, joinAddrs(s.VIPs), joinAddrs(own.VIPs)))
		}
		if own.Version != 0 && s.Version != own.Version {
			add(CodeVersionMismatch, "version", fmt.Sprint(own.Version), fmt.Sprint(s.Version),
				fmt.Sprintf("%s speaks VRRPv%d, floatgw VRRPv%d", s.Addr, s.Version, own.Version))
		}
		if ms := own.AdvertInterval.Milliseconds(); ms != 0 && s.AdvertIntervalMS != ms {
			add(CodeIntervalMismatch, "advert_int", fmt.Sprintf("%dms", ms), fmt.Sprintf("%dms", s.AdvertIntervalMS),
				fmt.Sprintf("%s announces an advert interval of %d ms, floatgw %d ms", s.Addr, s.AdvertIntervalMS, ms))
		}
		if s.Version == 2 && own.Version != 3 {
			if s.AuthType != own.AuthType {
				add(CodeAuthTypeMismatch, "auth_type", own.AuthType.String(), s.AuthType.String(),
					fmt.Sprintf("%s uses auth type %s, floatgw %s", s.Addr, s.AuthType, own.AuthType))
			} else if s.AuthType == AuthSimple && own.AuthPass != "" {
				var want [8]byte
				copy(want[:], own.AuthPass)
				if want != s.authData {
					add(CodeAuthPassMismatch, "auth_pass", "", "",
						fmt.Sprintf("%s uses another PASS password (only the first 8 characters count)", s.Addr))
				}
			}
		}
	}
	for _, r := range rejected {
		if r.Reason == "CARP" && r.VRID == int(own.VRID) {
			out = append(out, Conflict{Code: CodeCARPOnVRID, VRID: r.VRID, Source: r.Addr, MAC: r.MAC, Field: "vrid",
				Got: fmt.Sprint(r.VRID), Detail: fmt.Sprintf("%s sends CARP/ucarp with vhid %d, the same virtual MAC as vrid %d", r.Addr, r.VRID, r.VRID)})
		}
	}
	return out
}

// FreeVRIDs returns up to n VRIDs (1–255) not in used, the first ones after
// start, wrapping around.
func FreeVRIDs(used map[uint8]bool, start uint8, n int) []int {
	out := []int{}
	for i := 1; i <= 255 && len(out) < n; i++ {
		v := uint8((int(start)+i-1)%255 + 1)
		if !used[v] {
			out = append(out, int(v))
		}
	}
	return out
}

func sameSet(a, b []netip.Addr) bool {
	in := func(set []netip.Addr, x netip.Addr) bool {
		for _, y := range set {
			if x == y {
				return true
			}
		}
		return false
	}
	for _, x := range a {
		if !in(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !in(a, x) {
			return false
		}
	}
	return true
}

func joinAddrs(a []netip.Addr) string {
	s := make([]string, len(a))
	for i, ip := range a {
		s[i] = ip.String()
	}
	return strings.Join(s, ",")
}

// Scan listens on ifname for dur and reports every VRID heard, with
// conflicts against own (may be nil). The sockets are opened in the calling
// thread's network namespace before Scan returns to waiting. If ctx ends
// early, the report so far is returned with ctx's error.
func Scan(ctx context.Context, ifname string, dur time.Duration, own *Own) (ScanReport, error) {
	t := NewTracker()
	start := time.Now()
	l, err := NewListener(ifname, t.Observe)
	if err != nil {
		return ScanReport{}, err
	}
	sctx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	runErr := l.Run(sctx)
	end := time.Now()
	r := t.Report(own)
	r.Interface, r.Start, r.End = ifname, start, end
	r.DurationMS = end.Sub(start).Milliseconds()
	if runErr != nil {
		return r, fmt.Errorf("vrrp: scan %s: %w", ifname, runErr)
	}
	return r, ctx.Err()
}
