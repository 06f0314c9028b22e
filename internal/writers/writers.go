package writers

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/floatgw/floatgw/uci"
)

// Op is the kind of a Change.
type Op string

// Change operations, mirroring `uci set pkg.sec=type`, `uci set` /
// `uci add_list`, and `uci delete`.
const (
	OpAddSection Op = "add"    // create section Section of type Type
	OpSet        Op = "set"    // set Option to Values (a list when List)
	OpDelete     Op = "delete" // delete Option
)

// Change is one difference between a package and what floatgw wants.
type Change struct {
	Package string
	Section string // a section name or @type[N] selector
	Op      Op
	Type    string   // OpAddSection: the section type
	Option  string   // OpSet, OpDelete
	List    bool     // OpSet: write a list
	Values  []string // OpSet: the new values
	Old     []string // OpSet, OpDelete: the values before (nil if none)
}

// String renders the change like a uci command.
func (c Change) String() string {
	ref := c.Package + "." + c.Section
	switch c.Op {
	case OpAddSection:
		return "set " + ref + "=" + c.Type
	case OpDelete:
		return "delete " + ref + "." + c.Option
	default:
		q := make([]string, len(c.Values))
		for i, v := range c.Values {
			q[i] = uci.Quote(v)
		}
		if c.List {
			return "set " + ref + "." + c.Option + "=[" + strings.Join(q, " ") + "]"
		}
		return "set " + ref + "." + c.Option + "=" + strings.Join(q, " ")
	}
}

// Apply makes the changes on p (in memory). It stops at the first error;
// p may then hold the earlier changes, so apply to a fresh copy when that
// matters (Run does).
func Apply(p *uci.Package, changes []Change) error {
	for _, c := range changes {
		if c.Package != p.Name() {
			return fmt.Errorf("writers: change for package %s applied to %s", c.Package, p.Name())
		}
		var err error
		switch c.Op {
		case OpAddSection:
			_, err = p.AddSection(c.Type, c.Section)
		case OpSet:
			if c.List {
				err = p.SetList(c.Section, c.Option, c.Values)
			} else if len(c.Values) == 1 {
				err = p.Set(c.Section, c.Option, c.Values[0])
			} else {
				err = fmt.Errorf("plain option with %d values", len(c.Values))
			}
		case OpDelete:
			err = p.Delete(c.Section, c.Option)
		default:
			err = fmt.Errorf("unknown operation %q", c.Op)
		}
		if err != nil {
			return fmt.Errorf("writers: %s: %w", c, err)
		}
	}
	return nil
}

// want compares one option with the wanted value and returns the change
// needed, if any. values==nil means the option must not exist.
func want(p *uci.Package, sec uci.Section, ref, opt string, list bool, values []string) []Change {
	o, ok := sec.Option(opt)
	if values == nil {
		if !ok {
			return nil
		}
		return []Change{{Package: p.Name(), Section: ref, Op: OpDelete, Option: opt, Old: o.Values}}
	}
	if ok && o.List == list && equal(o.Values, values) {
		return nil
	}
	var old []string
	if ok {
		old = o.Values
	}
	return []Change{{Package: p.Name(), Section: ref, Op: OpSet, Option: opt, List: list, Values: append([]string(nil), values...), Old: old}}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// values of a list option, or of a plain option read as a space-separated
// list (how OpenWrt's firewall reads `option network 'lan wan'`).
func words(sec uci.Section, opt string) []string {
	o, ok := sec.Option(opt)
	if !ok {
		return nil
	}
	if o.List {
		return o.Values
	}
	return strings.Fields(o.Values[0])
}

// FirewallRuleSection is the firewall section floatgw owns.
const FirewallRuleSection = "vrrp"

// ErrNoZone is returned (wrapped) when no firewall zone holds the LAN.
var ErrNoZone = errors.New("no firewall zone holds the network")

// Firewall computes the changes that make firewall.vrrp the input rule
// floatgw needs: name Allow-VRRP, src = the zone holding the network lan,
// proto 112, target ACCEPT, family ipv4, and no dest (a dest would make it
// a forward rule). The section belongs to floatgw: any other option in it
// is removed. Nothing else in the package is looked at or changed.
func Firewall(fw *uci.Package, lan string) ([]Change, error) {
	zone := ""
	for _, z := range fw.SectionsOfType("zone") {
		for _, n := range words(z, "network") {
			if n == lan {
				if name, ok := z.Get("name"); ok && len(name) == 1 {
					zone = name[0]
				}
				break
			}
		}
		if zone != "" {
			break
		}
	}
	if zone == "" {
		return nil, fmt.Errorf("writers: firewall: %w %q", ErrNoZone, lan)
	}
	return ownedSection(fw, FirewallRuleSection, "rule", []owned{
		{"name", "Allow-VRRP"},
		{"src", zone},
		{"proto", "112"},
		{"family", "ipv4"},
		{"target", "ACCEPT"},
	})
}

type owned struct{ opt, value string }

// ownedSection makes section name of type typ hold exactly opts.
func ownedSection(p *uci.Package, name, typ string, opts []owned) ([]Change, error) {
	sec, exists := p.Section(name)
	var out []Change
	if exists && sec.Type != typ {
		return nil, fmt.Errorf("writers: %s.%s exists as a %q section, not %q; rename or remove it", p.Name(), name, sec.Type, typ)
	}
	if !exists {
		out = append(out, Change{Package: p.Name(), Section: name, Op: OpAddSection, Type: typ})
		sec = uci.Section{Name: name, Type: typ}
	}
	keep := map[string]bool{}
	for _, o := range opts {
		keep[o.opt] = true
		out = append(out, want(p, sec, name, o.opt, false, []string{o.value})...)
	}
	for _, o := range sec.Options {
		if !keep[o.Name] {
			out = append(out, want(p, sec, name, o.Name, false, nil)...)
		}
	}
	return out, nil
}

// Keepalived computes the changes that make OpenWrt's keepalived service
// use floatgw's rendered configuration: globals.alt_config_file = altConfig
// and globals.enabled = 1. With enable false it removes alt_config_file if
// (and only if) it still points at altConfig. Nothing else of the user's
// keepalived configuration is touched.
func Keepalived(ka *uci.Package, altConfig string, enable bool) ([]Change, error) {
	if !strings.HasPrefix(altConfig, "/") {
		return nil, fmt.Errorf("writers: keepalived: alt_config_file must be an absolute path, got %q", altConfig)
	}
	ref := "globals"
	sec, ok := ka.Section(ref)
	if ok && sec.Type != "globals" {
		return nil, fmt.Errorf("writers: keepalived.globals is a %q section, not globals", sec.Type)
	}
	if !ok {
		if all := ka.SectionsOfType("globals"); len(all) > 0 {
			ref, sec, ok = "@globals[0]", all[0], true
		}
	}
	if !enable {
		if cur, has := sec.Get("alt_config_file"); ok && has && len(cur) == 1 && cur[0] == altConfig {
			return want(ka, sec, ref, "alt_config_file", false, nil), nil
		}
		return nil, nil
	}
	var out []Change
	if !ok {
		out = append(out, Change{Package: ka.Name(), Section: ref, Op: OpAddSection, Type: "globals"})
		sec = uci.Section{Name: ref, Type: "globals"}
	}
	out = append(out, want(ka, sec, ref, "alt_config_file", false, []string{altConfig})...)
	out = append(out, want(ka, sec, ref, "enabled", false, []string{"1"})...)
	return out, nil
}

// ErrNoDHCPSection is returned (wrapped) when no dhcp section serves the LAN.
var ErrNoDHCPSection = errors.New("no dhcp section for the network")

// isRouterOption reports whether a dnsmasq dhcp_option entry sets option 3
// (router) without a tag: "3,…" or "option:router,…".
func isRouterOption(v string) bool {
	first, _, _ := strings.Cut(v, ",")
	return first == "3" || first == "option:router"
}

// DHCP computes the change to the LAN's dhcp_option list (the dhcp section
// whose interface is lan) that hands out vip as the default gateway: the
// first untagged option-3 entry becomes "3,<vip>", further ones are
// dropped, and when there is none "3,<vip>" is appended. Every other entry
// keeps its place. With enable false it removes only the entry "3,<vip>"
// floatgw would have written.
func DHCP(dhcp *uci.Package, lan string, vip netip.Addr, enable bool) ([]Change, error) {
	if !vip.Is4() {
		return nil, fmt.Errorf("writers: dhcp: gateway must be an IPv4 address, got %q", vip)
	}
	ref := ""
	var sec uci.Section
	count := 0
	for _, s := range dhcp.Sections() {
		if s.Type != "dhcp" {
			continue
		}
		if v, ok := s.Get("interface"); ok && len(v) == 1 && v[0] == lan {
			sec = s
			ref = s.Name
			if s.Anonymous {
				ref = fmt.Sprintf("@dhcp[%d]", count)
			}
			break
		}
		count++
	}
	if ref == "" {
		if !enable {
			return nil, nil
		}
		return nil, fmt.Errorf("writers: dhcp: %w %q", ErrNoDHCPSection, lan)
	}
	entry := "3," + vip.String()
	cur, _ := sec.Get("dhcp_option")
	var next []string
	done := false
	for _, v := range cur {
		switch {
		case enable && isRouterOption(v):
			if !done {
				next = append(next, entry)
				done = true
			}
		case !enable && v == entry:
		default:
			next = append(next, v)
		}
	}
	if enable && !done {
		next = append(next, entry)
	}
	if len(next) == 0 {
		next = nil // delete the option
	}
	o, has := sec.Option("dhcp_option")
	if has && o.List && equal(o.Values, next) {
		return nil, nil
	}
	if !has && next == nil {
		return nil, nil
	}
	return want(dhcp, sec, ref, "dhcp_option", true, next), nil
}
