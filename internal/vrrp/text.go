package vrrp

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/floatgw/floatgw/internal/columns"
)

// WriteText prints r for a person at a terminal: per VRID an aligned table
// of sources, then what was not VRRP, the conflicts with floatgw's VRID and
// the suggested free VRIDs. No colour; the CLI adds it on a TTY. Times are
// printed in loc (nil means time.Local).
func (r ScanReport) WriteText(w io.Writer, loc *time.Location) error {
	if loc == nil {
		loc = time.Local
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Listened on %s for %.1f s: %d VRRP adverts", r.Interface, float64(r.DurationMS)/1000, r.Adverts)
	if n := rejectedTotal(r.Rejected); n > 0 {
		fmt.Fprintf(&b, ", %d other protocol-112 packets", n)
	}
	b.WriteString(".\n")
	if len(r.VRIDs) == 0 {
		b.WriteString("\nNo VRRP router advertised on this segment.\n")
	}
	foreign := map[string]bool{}
	for _, c := range r.Conflicts {
		if c.Code == CodeForeignSource {
			foreign[c.Source.String()] = true
		}
	}
	for _, v := range r.VRIDs {
		fmt.Fprintf(&b, "\nVRID %d", v.VRID)
		if r.Own != nil && int(r.Own.VRID) == v.VRID {
			b.WriteString(" (floatgw's)")
		}
		b.WriteString("\n")
		tw := columns.New(&b, 2)
		fmt.Fprintln(tw, "  SOURCE\tMAC\tVERSION\tPRIORITY\tINTERVAL\tMEASURED\tVIPS\tAUTH\tADVERTS\tLAST SEEN\t")
		for _, s := range v.Sources {
			note := ""
			if s.Local {
				note = "this host"
			}
			if r.Own != nil && foreign[s.Addr.String()] && v.VRID == int(r.Own.VRID) {
				note = "FOREIGN"
			}
			fmt.Fprintf(tw, "  %s\t%s\tv%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n",
				s.Addr, s.MAC, s.Version, priorityText(s), msText(s.AdvertIntervalMS), msText(s.MeasuredIntervalMS),
				joinAddrs(s.VIPs), s.AuthType, s.Count, s.LastSeen.In(loc).Format("15:04:05.000"), note)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(r.Rejected) > 0 {
		b.WriteString("\nNot valid VRRP:\n")
		tw := columns.New(&b, 2)
		for _, x := range r.Rejected {
			id := ""
			if x.VRID != 0 {
				id = "vrid/vhid " + strconv.Itoa(x.VRID)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d packets\t%s\n", addrText(x.Addr.String()), x.MAC, x.Reason, id, x.Count, x.Detail)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if r.Own != nil {
		if len(r.Conflicts) == 0 {
			fmt.Fprintf(&b, "\nNo conflict with floatgw's VRID %d.\n", r.Own.VRID)
		} else {
			fmt.Fprintf(&b, "\nConflicts with floatgw's VRID %d:\n", r.Own.VRID)
			tw := columns.New(&b, 2)
			for _, c := range r.Conflicts {
				fmt.Fprintf(tw, "  %s\t%s\n", c.Code, c.Detail)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
	}
	if len(r.FreeVRIDs) > 0 {
		s := make([]string, len(r.FreeVRIDs))
		for i, v := range r.FreeVRIDs {
			s[i] = strconv.Itoa(v)
		}
		fmt.Fprintf(&b, "\nFree VRIDs (heard from nobody): %s\n", strings.Join(s, " "))
	}
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

func rejectedTotal(r []Rejected) int {
	n := 0
	for _, x := range r {
		n += x.Count
	}
	return n
}

func addrText(s string) string {
	if s == "invalid IP" || s == "" {
		return "?"
	}
	return s
}

// priorityText shows the last priorities in order, e.g. "150→50→0".
func priorityText(s Source) string {
	seq := []int{}
	if len(s.PriorityChanges) > 0 {
		seq = append(seq, s.PriorityChanges[0].From)
		for _, c := range s.PriorityChanges {
			seq = append(seq, c.To)
		}
	} else {
		seq = append(seq, int(s.Priority))
	}
	if len(seq) > 4 {
		seq = seq[len(seq)-4:]
	}
	parts := make([]string, len(seq))
	for i, p := range seq {
		parts[i] = strconv.Itoa(p)
	}
	return strings.Join(parts, "→")
}

func msText(ms int64) string {
	switch {
	case ms == 0:
		return "-"
	case ms%1000 == 0:
		return fmt.Sprintf("%ds", ms/1000)
	case ms >= 1000:
		return fmt.Sprintf("%.2fs", float64(ms)/1000)
	}
	return fmt.Sprintf("%dms", ms)
}
