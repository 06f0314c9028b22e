package writers

import (
	"fmt"
	"path"

	"github.com/floatgw/floatgw/internal/config"
	"github.com/floatgw/floatgw/uci"
)

// Writer computes the changes one package needs. It must not modify p.
type Writer struct {
	Package string
	Compute func(p *uci.Package) ([]Change, error)
}

// Result is what Run did (or, in a dry run, would do) to one package.
type Result struct {
	Package string
	Changes []Change // empty: the package is already as wanted
	// Diff is the unified diff of the file (a/etc/config/NAME,
	// b/etc/config/NAME); empty when nothing changes.
	Diff string
}

// Changed reports whether the package changed, i.e. whether the service
// that reads it needs a reload.
func (r Result) Changed() bool { return len(r.Changes) > 0 }

// Run loads every package, computes and applies all changes in memory, and
// only when every writer succeeded saves the changed packages (unless
// dryRun). Packages without changes are not saved, so a second Run writes
// nothing and reports nothing changed. A failure while saving can leave
// earlier packages saved; the error names the package.
func Run(store uci.Store, writers []Writer, dryRun bool) ([]Result, error) {
	type work struct {
		pkg *uci.Package
		res Result
	}
	var all []work
	for _, w := range writers {
		p, err := store.Load(w.Package)
		if err != nil {
			return nil, fmt.Errorf("writers: load %s: %w", w.Package, err)
		}
		changes, err := w.Compute(p)
		if err != nil {
			return nil, err
		}
		res := Result{Package: w.Package, Changes: changes}
		if len(changes) > 0 {
			if err := Apply(p, changes); err != nil {
				return nil, err
			}
			name := path.Join("etc/config", w.Package)
			res.Diff = UnifiedDiff("a/"+name, "b/"+name, p.Original(), p.Bytes())
		}
		all = append(all, work{p, res})
	}
	out := make([]Result, len(all))
	for i, w := range all {
		out[i] = w.res
		if dryRun || !w.res.Changed() {
			continue
		}
		if err := store.Save(w.pkg); err != nil {
			return out[:i], fmt.Errorf("writers: save %s: %w", w.res.Package, err)
		}
	}
	return out, nil
}

// Options are the inputs of ForConfig besides the validated config.
type Options struct {
	// KeepalivedConfig is the absolute path of the keepalived configuration
	// floatgw renders (keepalived.globals.alt_config_file). Empty skips the
	// keepalived writer (plain Linux has no /etc/config/keepalived).
	KeepalivedConfig string
}

// ForConfig returns the writers a validated configuration asks for:
// the firewall rule (when enabled and c.Firewall; a disabled floatgw leaves
// an existing rule alone), keepalived's globals (alt_config_file removed
// again when disabled), and the DHCP gateway option (added when enabled and
// c.DHCPGateway, floatgw's own entry removed otherwise).
func ForConfig(c *config.Config, o Options) []Writer {
	var ws []Writer
	if c.Enabled && c.Firewall && c.LAN != "" {
		ws = append(ws, Writer{Package: "firewall", Compute: func(p *uci.Package) ([]Change, error) {
			return Firewall(p, c.LAN)
		}})
	}
	if o.KeepalivedConfig != "" {
		ws = append(ws, Writer{Package: "keepalived", Compute: func(p *uci.Package) ([]Change, error) {
			return Keepalived(p, o.KeepalivedConfig, c.Enabled)
		}})
	}
	if c.LAN != "" && len(c.VIPs) > 0 {
		enable := c.Enabled && c.DHCPGateway
		vip := c.VIPs[0].Addr()
		ws = append(ws, Writer{Package: "dhcp", Compute: func(p *uci.Package) ([]Change, error) {
			return DHCP(p, c.LAN, vip, enable)
		}})
	}
	return ws
}

// ApplyConfig is `floatgw apply`: it loads and validates floatgw's own
// package from store and, only if it is valid, runs the writers for it.
// An invalid configuration returns the validation error and writes nothing
// at all. floatgw's own package is never written.
func ApplyConfig(store uci.Store, env config.Env, o Options, dryRun bool) ([]Result, error) {
	p, err := store.Load("floatgw")
	if err != nil {
		return nil, fmt.Errorf("writers: load floatgw: %w", err)
	}
	c, err := config.Parse(p, env)
	if err != nil {
		return nil, err
	}
	return Run(store, ForConfig(c, o), dryRun)
}
