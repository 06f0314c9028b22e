package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/floatgw/floatgw/internal/api"
	"github.com/floatgw/floatgw/internal/columns"
	"github.com/floatgw/floatgw/internal/jsonx"
)

// paint wraps s in an ANSI colour when tty is true.
func paint(tty bool, color, s string) string {
	if !tty {
		return s
	}
	codes := map[string]string{"red": "31", "green": "32", "yellow": "33", "bold": "1", "dim": "2"}
	return "\x1b[" + codes[color] + "m" + s + "\x1b[0m"
}

func decode(data jsonx.RawMessage, v any) error {
	if err := jsonx.Unmarshal(data, v); err != nil {
		return fmt.Errorf("unexpected reply from the daemon: %w", err)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func renderStatus(w io.Writer, data jsonx.RawMessage, tty bool) (int, error) {
	var s api.StatusReply
	if err := decode(data, &s); err != nil {
		return exitError, err
	}
	tw := columns.New(w, 2)
	n := s.Node
	state := n.State
	switch state {
	case api.StateMaster:
		state = paint(tty, "green", state)
	case api.StateFault:
		state = paint(tty, "red", state)
	}
	fmt.Fprintf(tw, "node\t%s (%s)\t%s\n", orDash(n.Hostname), orDash(n.Role), state)
	prio := fmt.Sprintf("%d", n.EffectivePriority)
	if n.EffectivePriority != n.BasePriority {
		var why []string
		for _, r := range n.PriorityReasons {
			why = append(why, r.Reason)
		}
		prio += fmt.Sprintf(" (base %d; %s)", n.BasePriority, strings.Join(why, ", "))
	}
	fmt.Fprintf(tw, "priority\t%s\n", prio)
	fmt.Fprintf(tw, "lan\t%s %s %s\n", n.LAN.Device, n.LAN.Address, n.LAN.MAC)
	mode := "multicast 224.0.0.18"
	if len(n.UnicastPeers) > 0 {
		mode = "unicast to " + strings.Join(n.UnicastPeers, ", ")
	}
	fmt.Fprintf(tw, "vrrp\tVRID %d, v%d, every %d ms, %s, preempt %v\n", n.VRID, n.Version, n.AdvertIntMs, mode, n.Preempt)
	holder := "nobody answers"
	switch {
	case s.Holder.Self:
		holder = "this node"
	case s.Holder.Peer:
		holder = "the peer " + s.Holder.IP
	case s.Holder.IP != "":
		holder = paint(tty, "red", "another host "+s.Holder.IP)
	}
	if s.Holder.MAC != "" {
		holder += " (" + s.Holder.MAC + ")"
	}
	fmt.Fprintf(tw, "vip\t%s held by %s\n", strings.Join(n.VIPs, " "), holder)
	if s.Peer.Seen {
		fmt.Fprintf(tw, "peer\t%s %s priority %d %s, last advert %d ms ago\n", s.Peer.Address, s.Peer.MAC, s.Peer.Priority, s.Peer.State, s.Peer.LastAdvertMs)
	} else {
		fmt.Fprintf(tw, "peer\t%s\n", paint(tty, "yellow", "no advert seen from a peer"))
	}
	fmt.Fprintf(tw, "health\t%s (%s)\n", s.Health.State, s.Health.Mode)
	for _, c := range s.Health.Checks {
		res := paint(tty, "green", "ok")
		if !c.OK {
			res = paint(tty, "red", "FAIL "+c.Error)
		}
		fmt.Fprintf(tw, "\t%s %s %s: %s %d ms\n", c.Name, c.Type, c.Target, res, c.LatencyMs)
	}
	ka := "running"
	if !s.Keepalived.Running {
		ka = paint(tty, "red", "not running")
	}
	fmt.Fprintf(tw, "keepalived\t%s\n", ka)
	if s.Maintenance {
		fmt.Fprintf(tw, "maintenance\t%s\n", paint(tty, "yellow", "on (this node is demoted)"))
	}
	if s.VerifyRunning != "" {
		fmt.Fprintf(tw, "verify\trun %s in progress\n", s.VerifyRunning)
	}
	for i, t := range s.Transitions {
		label := ""
		if i == 0 {
			label = "transitions"
		}
		fmt.Fprintf(tw, "%s\t%s %s → %s (priority %d, %s)\n", label, time.Unix(t.At, 0).Format("15:04:05"), t.From, t.To, t.Priority, t.Reason)
	}
	tw.Flush()
	writeProblems(w, s.Problems, tty)
	if len(s.Problems) > 0 {
		return exitFailed, nil
	}
	return exitOK, nil
}

func writeProblems(w io.Writer, probs []api.Problem, tty bool) {
	for _, p := range probs {
		sev := string(p.Severity)
		color := "yellow"
		if p.Severity == api.SeverityError {
			color = "red"
		}
		fmt.Fprintf(w, "\n%s %s", paint(tty, color, strings.ToUpper(sev)), paint(tty, "bold", string(p.Code)))
		if info, ok := api.LookupCode(p.Code); ok {
			fmt.Fprintf(w, ": %s", info.Meaning)
		}
		fmt.Fprintln(w)
		if p.Field != "" {
			fmt.Fprintf(w, "  where:    %s\n", p.Field)
		}
		if p.Want != "" || p.Got != "" {
			fmt.Fprintf(w, "  want:     %s\n  got:      %s\n", orDash(p.Want), orDash(p.Got))
		}
		if p.Detail != "" {
			fmt.Fprintf(w, "  detail:   %s\n", p.Detail)
		}
		for _, e := range p.Evidence {
			fmt.Fprintf(w, "  evidence: %s\n", e)
		}
		if p.Fix != nil {
			how := "do this by hand"
			if p.Fix.Safe {
				how = "floatgw doctor --fix"
			}
			fmt.Fprintf(w, "  fix:      %s [%s]\n", p.Fix.Label, how)
		}
	}
}

func renderDoctor(w io.Writer, data jsonx.RawMessage, tty bool) (int, error) {
	var r api.DoctorReply
	if err := decode(data, &r); err != nil {
		return exitError, err
	}
	for _, f := range r.Fixed {
		res := paint(tty, "green", "fixed")
		if !f.OK {
			res = paint(tty, "red", "fix failed")
		}
		fmt.Fprintf(w, "%s %s %s\n", res, f.ID, f.Detail)
	}
	fmt.Fprintf(w, "checked: %s\n", strings.Join(r.Checked, ", "))
	if len(r.Problems) == 0 {
		fmt.Fprintln(w, paint(tty, "green", "no problems found"))
		return exitOK, nil
	}
	writeProblems(w, r.Problems, tty)
	return exitFailed, nil
}

func renderScan(w io.Writer, data jsonx.RawMessage, tty bool) (int, error) {
	var r api.ScanReply
	if err := decode(data, &r); err != nil {
		return exitError, err
	}
	tw := columns.New(w, 2)
	fmt.Fprintf(tw, "VRID\tSOURCE\tMAC\tPRIO\tINTERVAL\tVER\tAUTH\tADVERTS\tVIPS\tNOTE\n")
	conflict := false
	for _, s := range r.Routers {
		note := ""
		switch {
		case s.Self:
			note = "this node"
		case s.Peer:
			note = "peer"
		case s.Conflict:
			note = paint(tty, "red", "CONFLICT: same VRID")
			conflict = true
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d ms\t%d\t%s\t%d\t%s\t%s\n", s.VRID, s.Source, s.MAC, s.Priority, s.IntervalMs, s.Version, s.Auth, s.Adverts, strings.Join(s.VIPs, ","), note)
	}
	tw.Flush()
	fmt.Fprintf(w, "listened %d s, %d sender(s)", r.Seconds, len(r.Routers))
	if r.FreeVRID != 0 {
		fmt.Fprintf(w, "; a free VRID: %d", r.FreeVRID)
	}
	fmt.Fprintln(w)
	if conflict {
		return exitFailed, nil
	}
	return exitOK, nil
}

func renderApply(w io.Writer, data jsonx.RawMessage, tty bool) (int, error) {
	var r api.ApplyReply
	if err := decode(data, &r); err != nil {
		return exitError, err
	}
	for _, c := range r.Changes {
		fmt.Fprintf(w, "%-8s %s\n", c.Action, c.Target)
		if c.Detail != "" {
			for _, l := range strings.Split(strings.TrimRight(c.Detail, "\n"), "\n") {
				fmt.Fprintf(w, "    %s\n", l)
			}
		}
	}
	switch {
	case len(r.Problems) > 0:
		writeProblems(w, r.Problems, tty)
		return exitFailed, nil
	case !r.Changed:
		fmt.Fprintln(w, "nothing to change")
	case r.DryRun:
		fmt.Fprintln(w, "dry run: nothing was written")
	}
	return exitOK, nil
}

func renderSwitch(w io.Writer, data jsonx.RawMessage, tty bool) (int, error) {
	var r api.SwitchReply
	if err := decode(data, &r); err != nil {
		return exitError, err
	}
	fmt.Fprintf(w, "this node is demoted until %s; the peer takes the VIP\n", time.Unix(r.Until, 0).Format("15:04:05"))
	return exitOK, nil
}

func renderMaintenance(w io.Writer, data jsonx.RawMessage, tty bool) (int, error) {
	var r api.MaintenanceReply
	if err := decode(data, &r); err != nil {
		return exitError, err
	}
	if r.Maintenance {
		fmt.Fprintln(w, "maintenance on: this node is demoted (persists across reboots)")
	} else {
		fmt.Fprintln(w, "maintenance off")
	}
	return exitOK, nil
}

func renderLogs(w io.Writer, data jsonx.RawMessage, tty bool) (int, error) {
	var r api.LogsReply
	if err := decode(data, &r); err != nil {
		return exitError, err
	}
	for _, l := range r.Lines {
		mark := "  "
		text := l.Text
		if l.Code != "" {
			mark = paint(tty, "red", "! ")
			text += paint(tty, "yellow", "  ["+string(l.Code)+"]")
		}
		ts := "-"
		if l.At > 0 {
			ts = time.Unix(l.At, 0).Format("Jan _2 15:04:05")
		}
		fmt.Fprintf(w, "%s%s %-10s %s\n", mark, ts, l.Source, text)
	}
	return exitOK, nil
}
