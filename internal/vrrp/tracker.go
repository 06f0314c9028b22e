package vrrp

import (
	"errors"
	"net/netip"
	"slices"
	"sort"
	"time"
)

// Limits that keep a long-running Tracker bounded whatever the segment
// sends.
const (
	maxSources         = 1024 // (VRID, source) pairs tracked; more are counted in Dropped
	maxRejected        = 256  // (source, MAC, reason) triples
	maxGaps            = 64   // inter-advert gaps kept per source for the median
	maxPriorityChanges = 32   // newest kept
)

// Source is what was heard from one sender on one VRID.
type Source struct {
	VRID uint8      `json:"vrid"`
	Addr netip.Addr `json:"addr"` // IP source: the sender's primary address, not a VIP
	MAC  string     `json:"mac"`  // Ethernet source of the last advert
	// Local is true when the adverts were sent by this host.
	Local    bool  `json:"local"`
	Version  int   `json:"version"`
	Priority uint8 `json:"priority"` // of the last advert
	// Priorities lists every distinct priority heard, in order of first
	// appearance.
	Priorities []int `json:"priorities"`
	// PriorityChanges is the history of changes (newest 32).
	PriorityChanges []PriorityChange `json:"priority_changes"`
	// AdvertIntervalMS is the interval the last advert announced.
	AdvertIntervalMS int64 `json:"advert_interval_ms"`
	// MeasuredIntervalMS is the median gap between consecutive adverts (of
	// the newest 64 gaps), 0 until two adverts were heard. A master that
	// keeps hearing a rival may advertise less often than it announces.
	MeasuredIntervalMS int64        `json:"measured_interval_ms"`
	VIPs               []netip.Addr `json:"vips"`
	AuthType           AuthType     `json:"auth_type"`
	Count              int          `json:"count"`
	FirstSeen          time.Time    `json:"first_seen"`
	LastSeen           time.Time    `json:"last_seen"`
	// LegacyChecksum: a VRRPv3 unicast advert with the old keepalived
	// checksum (see Packet.LegacyChecksum).
	LegacyChecksum bool `json:"legacy_checksum,omitempty"`

	authData [8]byte // compared, never reported
}

// PriorityChange is one change of a source's advertised priority.
type PriorityChange struct {
	Time time.Time `json:"time"`
	From int       `json:"from"`
	To   int       `json:"to"`
}

// Rejected counts protocol-112 frames that were not valid VRRP adverts, per
// (source address, source MAC, reason).
type Rejected struct {
	Addr netip.Addr `json:"addr"` // invalid (empty in JSON) when the IP header was unreadable
	MAC  string     `json:"mac"`
	// Reason is the code from Reason (BAD_TTL, CARP, BAD_CHECKSUM, …).
	Reason string `json:"reason"`
	// Detail is the last error's text.
	Detail string `json:"detail"`
	// VRID is the advert's VRID (or CARP's vhid) when it could be read, else 0.
	VRID      int       `json:"vrid,omitempty"`
	Count     int       `json:"count"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
}

type sourceKey struct {
	vrid uint8
	addr netip.Addr
}

type rejectKey struct {
	addr   netip.Addr
	mac    string
	reason string
}

type sourceState struct {
	Source
	gaps []time.Duration // ring of the newest maxGaps gaps
	next int
}

// Tracker aggregates frames per (VRID, source). It is pure: time comes
// from the frames. It is not safe for concurrent use; the owner serialises
// Observe and the readers.
type Tracker struct {
	sources  map[sourceKey]*sourceState
	rejected map[rejectKey]*Rejected
	adverts  int
	dropped  int
}

// NewTracker returns an empty Tracker.
func NewTracker() *Tracker {
	return &Tracker{sources: map[sourceKey]*sourceState{}, rejected: map[rejectKey]*Rejected{}}
}

// Observe records one frame.
func (t *Tracker) Observe(f Frame) {
	if f.Err != nil {
		t.reject(f)
		return
	}
	a := f.Packet.Advert
	k := sourceKey{a.VRID, f.Packet.Src}
	s, ok := t.sources[k]
	if !ok {
		if len(t.sources) >= maxSources {
			t.dropped++
			return
		}
		s = &sourceState{Source: Source{VRID: a.VRID, Addr: f.Packet.Src, FirstSeen: f.Time}}
		t.sources[k] = s
	}
	t.adverts++
	if s.Count > 0 {
		if gap := f.Time.Sub(s.LastSeen); gap > 0 {
			if len(s.gaps) < maxGaps {
				s.gaps = append(s.gaps, gap)
			} else {
				s.gaps[s.next] = gap
				s.next = (s.next + 1) % maxGaps
			}
		}
		if a.Priority != s.Priority {
			s.PriorityChanges = append(s.PriorityChanges, PriorityChange{Time: f.Time, From: int(s.Priority), To: int(a.Priority)})
			if n := len(s.PriorityChanges); n > maxPriorityChanges {
				s.PriorityChanges = append([]PriorityChange(nil), s.PriorityChanges[n-maxPriorityChanges:]...)
			}
		}
	}
	if !slices.Contains(s.Priorities, int(a.Priority)) {
		s.Priorities = append(s.Priorities, int(a.Priority))
	}
	s.Count++
	if f.Time.After(s.LastSeen) {
		s.LastSeen = f.Time
	}
	s.MAC = f.SrcMAC.String()
	s.Local = s.Local || f.Outgoing
	s.Version = a.Version
	s.Priority = a.Priority
	s.AdvertIntervalMS = a.AdvertInterval().Milliseconds()
	s.VIPs = append(s.VIPs[:0], a.Addrs...)
	s.AuthType = a.AuthType
	s.authData = a.AuthData
	s.LegacyChecksum = f.Packet.LegacyChecksum
}

func (t *Tracker) reject(f Frame) {
	reason := Reason(f.Err)
	k := rejectKey{f.Packet.Src, f.SrcMAC.String(), reason}
	r, ok := t.rejected[k]
	if !ok {
		if len(t.rejected) >= maxRejected {
			t.dropped++
			return
		}
		r = &Rejected{Addr: k.addr, MAC: k.mac, Reason: reason, FirstSeen: f.Time}
		t.rejected[k] = r
	}
	r.Count++
	r.Detail = f.Err.Error()
	if f.Time.After(r.LastSeen) {
		r.LastSeen = f.Time
	}
	var ce *CARPError
	switch {
	case errors.As(f.Err, &ce):
		r.VRID = int(ce.VHID)
	case f.Packet.Advert.VRID != 0:
		r.VRID = int(f.Packet.Advert.VRID)
	}
}

// Expire forgets sources and rejections last seen before t.
func (t *Tracker) Expire(before time.Time) {
	for k, s := range t.sources {
		if s.LastSeen.Before(before) {
			delete(t.sources, k)
		}
	}
	for k, r := range t.rejected {
		if r.LastSeen.Before(before) {
			delete(t.rejected, k)
		}
	}
}

// Adverts returns the number of valid adverts observed.
func (t *Tracker) Adverts() int { return t.adverts }

// Dropped returns how many frames were not tracked because a limit was hit.
func (t *Tracker) Dropped() int { return t.dropped }

// Sources returns a copy of every source, sorted by VRID then address.
func (t *Tracker) Sources() []Source {
	out := make([]Source, 0, len(t.sources))
	for _, s := range t.sources {
		c := s.Source
		c.Priorities = slices.Clone(s.Priorities)
		c.PriorityChanges = slices.Clone(s.PriorityChanges)
		c.VIPs = slices.Clone(s.VIPs)
		if c.Priorities == nil {
			c.Priorities = []int{}
		}
		if c.PriorityChanges == nil {
			c.PriorityChanges = []PriorityChange{}
		}
		if c.VIPs == nil {
			c.VIPs = []netip.Addr{}
		}
		c.MeasuredIntervalMS = median(s.gaps).Round(time.Millisecond).Milliseconds()
		out = append(out, c)
	}
	// sort.Slice, not slices.SortFunc: each generic instantiation costs ~10 KB on mipsle.
	sort.Slice(out, func(i, j int) bool {
		if out[i].VRID != out[j].VRID {
			return out[i].VRID < out[j].VRID
		}
		return out[i].Addr.Less(out[j].Addr)
	})
	return out
}

// Rejected returns a copy of the rejection counters, sorted by address,
// MAC and reason.
func (t *Tracker) Rejected() []Rejected {
	out := make([]Rejected, 0, len(t.rejected))
	for _, r := range t.rejected {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if c := a.Addr.Compare(b.Addr); c != 0 {
			return c < 0
		}
		if a.MAC != b.MAC {
			return a.MAC < b.MAC
		}
		return a.Reason < b.Reason
	})
	return out
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
