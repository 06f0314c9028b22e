package drift

import (
	"fmt"
	"time"
)

// Version is the VRRP protocol version of the instance: 2 (RFC 3768) or 3
// (RFC 5798). Any other value is rejected by [Plan.Validate].
type Version uint8

// VRRP versions.
const (
	V2 Version = 2
	V3 Version = 3
)

// downTimerAdverts is the number of advert intervals in the
// Master_Down_Interval: 3 in RFC 3768 §6.1 and RFC 5798 §6.1; keepalived's
// non-RFC down_timer_adverts knob defaults to it and floatgw never sets it.
const downTimerAdverts = 3

// SkewTime is the Skew_Time of a backup of the given priority.
//
// VRRPv2, RFC 3768 §6.1: Skew_Time = (256 − Priority) / 256 seconds,
// independent of the advert interval. VRRPv3, RFC 5798 §6.1:
// Skew_Time = ((256 − Priority) × Master_Adver_Interval) / 256, where the
// interval is in centiseconds. keepalived computes both in microseconds
// (VRRP_TIMER_SKEW in keepalived/include/vrrp.h), truncating; so does this
// function, so the result is the timer keepalived really arms
// (v2, priority 100: 609.375 ms; v3, 0.1 s, priority 100: 60.937 ms).
//
// For v3, advertInt is rounded down to whole centiseconds as on the wire.
// Priority 0 is not a backup priority; it is treated like any other value.
func SkewTime(v Version, priority uint8, advertInt time.Duration) time.Duration {
	p := int64(256 - int(priority))
	if v == V3 {
		cs := int64(advertInt / (10 * time.Millisecond))
		// (256-p) × cs × 10 000 µs / 256 = (256-p) × cs × 625 / 16 µs.
		return time.Duration(p*cs*625/16) * time.Microsecond
	}
	return time.Duration(p*1_000_000/256) * time.Microsecond
}

// MasterDownInterval is the Master_Down_Interval of a backup of the given
// priority: 3 × Advertisement_Interval + Skew_Time (RFC 3768 §6.1 and
// RFC 5798 §6.1, where the interval is the master's Master_Adver_Interval).
// A backup that hears nothing from the master becomes master after it.
// VRRPv2 intervals are whole seconds; advertInt is used as given.
func MasterDownInterval(v Version, priority uint8, advertInt time.Duration) time.Duration {
	ai := advertInt
	if v == V3 {
		ai = advertInt / (10 * time.Millisecond) * (10 * time.Millisecond)
	}
	return downTimerAdverts*ai + SkewTime(v, priority, advertInt)
}

// DefaultSlack is the margin added to a protocol time to make a budget when
// the plan sets none: a quarter of the advert interval, at least 100 ms.
// keepalived 2.2.7 stayed within 20 ms of the RFC timers in every measured
// run (keepalived-samples/README.md, "Timing"); the rest covers scheduling
// on a busy router and the daemon's own observation delay.
func DefaultSlack(advertInt time.Duration) time.Duration {
	s := advertInt / 4
	if s < 100*time.Millisecond {
		s = 100 * time.Millisecond
	}
	return s
}

// Expectation is how long one step of a run may take.
type Expectation struct {
	// Expected is the protocol time derived from the RFC timers.
	Expected time.Duration
	// Slack is the margin allowed on top of Expected.
	Slack time.Duration
	// Rule says in English how Expected was derived, with the RFC section,
	// for the evidence of a slow step.
	Rule string
}

// Budget is Expected + Slack: a measured time above it is slow.
func (e Expectation) Budget() time.Duration { return e.Expected + e.Slack }

// BudgetSet holds the expectations of one run, derived by [Budgets] from the
// plan and the direction decided at pre-check.
type BudgetSet struct {
	// Switch is the time from the trigger to the new holder's first
	// MASTER advert (and its VIP).
	Switch Expectation
	// Failback is the time from the undo to the VIP's return to the node
	// that held it before the run; only meaningful if FailbackExpected.
	Failback Expectation
	// FailbackExpected is false when VRRP will leave the VIP where the
	// run moved it (preempt off, or the original holder does not
	// outrank the other node); FailbackWhyNot then says why.
	FailbackExpected bool
	FailbackWhyNot   string
}

// PromotedPriority is this node's effective priority while a takeover run
// promotes it: the promote track file has weight +254 and the daemon writes
// 1, and keepalived clamps the sum to 254 (keepalived.conf(5), track_file),
// whatever the base priority. A holder at 254 or 255 cannot be outranked.
const PromotedPriority = 254

// Budgets derives the expectations of a run of plan p in direction d, for
// the priorities p carries (the peer's as learned at pre-check).
//
//   - Handover, soft: the holder enters FAULT through the weight-0 drift
//     track file and sends priority 0; the peer, a backup, sets its
//     Master_Down_Timer to Skew_Time (RFC 3768 §6.4.2 / RFC 5798 §6.4.2)
//     and takes over after Skew_Time(peer priority).
//   - Handover, hard: the holder goes silent; the peer takes over when its
//     Master_Down_Timer expires, at most Master_Down_Interval(peer
//     priority) after the holder's last advert (§6.4.2, §6.1).
//   - Takeover (soft, started on the backup): this node's priority is
//     raised above the master's. A backup with Preempt_Mode true discards
//     adverts of lower priority (§6.4.2), so its Master_Down_Timer, last
//     reset by the master's last advert, runs out: Master_Down_Interval of
//     the raised priority; keepalived's preempt_delay adds to it
//     (keepalived-and-peers.md §3, "Preempt").
//   - Failback: the original holder, back at its priority, takes the VIP
//     back the same way after Master_Down_Interval(its priority) plus its
//     preempt_delay, if it has preempt and outranks the other node.
func Budgets(p Plan, d Direction) BudgetSet {
	v, ai := p.Version, p.AdvertInterval
	slack := p.Slack
	if slack <= 0 {
		slack = DefaultSlack(ai)
	}
	var b BudgetSet
	local, peer := p.Local, p.Peer
	if peer.Priority == 0 {
		// Unknown (a silent backup): assume the slowest one.
		peer.Priority = 1
	}
	switch d {
	case DirHandover:
		if p.Mode == ModeHard {
			b.Switch = Expectation{
				Expected: MasterDownInterval(v, peer.Priority, ai), Slack: slack,
				Rule: fmt.Sprintf("silent master: Master_Down_Interval = 3 × %s + Skew_Time(peer priority %d) (RFC %s §6.1)",
					fmtDur(ai), peer.Priority, rfc(v)),
			}
		} else {
			b.Switch = Expectation{
				Expected: SkewTime(v, peer.Priority, ai), Slack: slack,
				Rule: fmt.Sprintf("priority-0 advert: Skew_Time(peer priority %d) (RFC %s §6.1, §6.4.2)",
					peer.Priority, rfc(v)),
			}
		}
		b.Failback, b.FailbackExpected, b.FailbackWhyNot = failback(v, ai, slack, "this node", local, peer.Priority)
	case DirTakeover:
		raised := uint8(PromotedPriority)
		b.Switch = Expectation{
			Expected: MasterDownInterval(v, raised, ai) + local.PreemptDelay, Slack: slack,
			Rule: fmt.Sprintf("preempting backup: Master_Down_Interval = 3 × %s + Skew_Time(raised priority %d) (RFC %s §6.1, §6.4.2)%s",
				fmtDur(ai), raised, rfc(v), delayNote(local.PreemptDelay)),
		}
		b.Failback, b.FailbackExpected, b.FailbackWhyNot = failback(v, ai, slack, "the peer", peer, local.Priority)
	}
	return b
}

func failback(v Version, ai, slack time.Duration, who string, orig Node, other uint8) (Expectation, bool, string) {
	if !orig.Preempt {
		return Expectation{}, false, who + " has preempt off (nopreempt), so it does not take the VIP back"
	}
	if orig.Priority <= other {
		return Expectation{}, false, fmt.Sprintf("%s (priority %d) does not outrank the other node (priority %d), so it does not take the VIP back",
			who, orig.Priority, other)
	}
	return Expectation{
		Expected: MasterDownInterval(v, orig.Priority, ai) + orig.PreemptDelay, Slack: slack,
		Rule: fmt.Sprintf("preempt: Master_Down_Interval = 3 × %s + Skew_Time(priority %d) (RFC %s §6.1, §6.4.2)%s",
			fmtDur(ai), orig.Priority, rfc(v), delayNote(orig.PreemptDelay)),
	}, true, ""
}

func rfc(v Version) string {
	if v == V3 {
		return "5798"
	}
	return "3768"
}

func delayNote(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return " + preempt_delay " + fmtDur(d)
}

// fmtDur prints a duration the way the evidence lines do: milliseconds
// below 10 s, else seconds.
func fmtDur(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return d.Round(time.Millisecond).String()
}

// returnExpectation is the time this node needs to take the VIP back when
// nobody took it over: with no master advertising, its Master_Down_Timer
// runs out after Master_Down_Interval(its priority), preempt or not
// (RFC 3768 §6.4.2).
func returnExpectation(p Plan) Expectation {
	slack := p.Slack
	if slack <= 0 {
		slack = DefaultSlack(p.AdvertInterval)
	}
	return Expectation{
		Expected: MasterDownInterval(p.Version, p.Local.Priority, p.AdvertInterval), Slack: slack,
		Rule: fmt.Sprintf("no master: Master_Down_Interval = 3 × %s + Skew_Time(priority %d) (RFC %s §6.1, §6.4.2)",
			fmtDur(p.AdvertInterval), p.Local.Priority, rfc(p.Version)),
	}
}
