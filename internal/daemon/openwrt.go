package daemon

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/floatgw/floatgw/internal/api"
	"github.com/floatgw/floatgw/internal/config"
	"github.com/floatgw/floatgw/internal/proc"
	"github.com/floatgw/floatgw/internal/writers"
	"github.com/floatgw/floatgw/uci"
)

// services maps a UCI package floatgw writes to the init script that must reload after it
// changed.
var services = map[string]string{
	"firewall":   "/etc/init.d/firewall",
	"dhcp":       "/etc/init.d/dnsmasq",
	"keepalived": "/etc/init.d/keepalived",
}

func unifiedDiff(name string, old, new []byte) string {
	return writers.UnifiedDiff("a"+name, "b"+name, old, new)
}

// applyOpenWrt writes the other packages' settings floatgw owns (firewall.vrrp, keepalived
// globals, DHCP option 3) and reloads exactly the services whose package changed.
func (d *Daemon) applyOpenWrt(ctx context.Context, cfg *config.Config, dryRun bool, reply *api.ApplyReply) {
	store := &uci.DirStore{Dir: d.opt.ConfigDir}
	res, err := writers.Run(store, writers.ForConfig(cfg, writers.Options{KeepalivedConfig: d.opt.KeepalivedConf}), dryRun)
	for _, r := range res {
		for _, c := range r.Changes {
			ch := api.Change{Target: r.Package, Action: "update", Detail: c.String()}
			if dryRun {
				ch.Detail = r.Diff
			}
			reply.Changes = append(reply.Changes, ch)
			if dryRun {
				break // the diff shows every change of the package
			}
		}
		if !dryRun && r.Changed() {
			if err := runService(ctx, services[r.Package], "reload"); err != nil {
				reply.Problems = append(reply.Problems, api.Problem{Code: api.ApplyFailed, Severity: api.SeverityError, Field: r.Package, Detail: err.Error()})
			} else {
				reply.Changes = append(reply.Changes, api.Change{Target: r.Package, Action: "reload"})
			}
		}
	}
	if err != nil {
		reply.Problems = append(reply.Problems, api.Problem{Code: api.ApplyFailed, Severity: api.SeverityError, Detail: err.Error()})
	}
}

// fixFirewall adds the firewall.vrrp rule (OpenWrt) and reloads the firewall.
func (d *Daemon) fixFirewall(ctx context.Context) error {
	if d.opt.Platform != PlatformOpenWrt {
		return fmt.Errorf("the firewall of a plain Linux box is the user's: allow VRRP in by hand")
	}
	cfg, err := d.config()
	if err != nil {
		return err
	}
	lan := cfg.LAN
	store := &uci.DirStore{Dir: d.opt.ConfigDir}
	res, err := writers.Run(store, []writers.Writer{{Package: "firewall", Compute: func(p *uci.Package) ([]writers.Change, error) {
		return writers.Firewall(p, lan)
	}}}, false)
	if err != nil {
		return err
	}
	if len(res) > 0 && res[0].Changed() {
		return runService(ctx, services["firewall"], "reload")
	}
	return nil
}

// startKeepalived starts keepalived through its own service.
func startKeepalived(ctx context.Context, o Options) error {
	switch {
	case len(o.KeepalivedStart) > 0:
		return runArgv(ctx, o.KeepalivedStart...)
	case o.Platform == PlatformOpenWrt:
		if err := runService(ctx, services["keepalived"], "enable"); err != nil {
			return err
		}
		return runService(ctx, services["keepalived"], "start")
	}
	return runArgv(ctx, "systemctl", "start", "keepalived.service")
}

func runService(ctx context.Context, script, verb string) error {
	return runArgv(ctx, script, verb)
}

// runArgv runs a command from an argument list (never a shell string), bounded to 15 s.
func runArgv(ctx context.Context, argv ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	out, err := proc.Run(ctx, proc.Cmd{Argv: argv, Combined: true})
	if err != nil {
		return fmt.Errorf("%s %v: %w: %s", argv[0], argv[1:], err, bytes.TrimSpace(out.Stdout))
	}
	return nil
}
