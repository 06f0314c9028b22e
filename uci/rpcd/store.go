package rpcd

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/floatgw/floatgw/ubus"
	"github.com/floatgw/floatgw/uci"
)

// Caller is the part of *ubus.Client the Store uses.
type Caller interface {
	Call(ctx context.Context, object, method string, args ubus.Table) (ubus.Table, error)
}

// Store is a uci.Store over rpcd's `uci` object. It is safe for concurrent
// use as far as Bus is; rpcd serialises the calls.
type Store struct {
	Bus Caller
	// Timeout bounds one Load or Save (all its calls); zero means 10 s.
	Timeout time.Duration
}

// ErrPendingChanges is returned (wrapped) by Save when rpcd's delta
// directory already holds uncommitted changes for the package.
var ErrPendingChanges = errors.New("uncommitted uci changes pending")

func (s *Store) ctx() (context.Context, context.CancelFunc) {
	d := s.Timeout
	if d <= 0 {
		d = 10 * time.Second
	}
	return context.WithTimeout(context.Background(), d)
}

// Load implements uci.Store. Sections come back in rpcd's order; anonymous
// sections are named by the cfgNNHHHH names rpcd reports, so that later
// changes address them exactly. A package rpcd does not know is empty.
// After a successful Save, Load again before editing further: rpcd names
// new anonymous sections itself.
func (s *Store) Load(name string) (*uci.Package, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	secs, err := s.get(ctx, name)
	if err != nil {
		return nil, err
	}
	return uci.Parse(name, uci.Render(name, secs))
}

func (s *Store) get(ctx context.Context, name string) ([]uci.Section, error) {
	reply, err := s.Bus.Call(ctx, "uci", "get", ubus.Table{{Name: "config", Value: ubus.String(name)}})
	if errors.Is(err, ubus.StatusNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rpcd: uci get %s: %w", name, err)
	}
	vals, ok := reply.Get("values")
	if !ok {
		return nil, fmt.Errorf("rpcd: uci get %s: reply without values", name)
	}
	tbl, ok := vals.AsTable()
	if !ok {
		return nil, fmt.Errorf("rpcd: uci get %s: values is not a table", name)
	}
	return decodeSections(tbl)
}

type indexed struct {
	idx int64
	sec uci.Section
}

// decodeSections turns rpcd's dump ({name: {".anonymous", ".type", ".name",
// ".index", option: string | [strings]}}) into sections in .index order,
// all named.
func decodeSections(tbl ubus.Table) ([]uci.Section, error) {
	var all []indexed
	for _, f := range tbl {
		st, ok := f.Value.AsTable()
		if !ok {
			return nil, fmt.Errorf("rpcd: section %q is not a table", f.Name)
		}
		sec := uci.Section{Name: f.Name}
		idx := int64(len(all))
		for _, o := range st {
			switch o.Name {
			case ".type":
				sec.Type, _ = o.Value.AsString()
			case ".name":
				if n, ok := o.Value.AsString(); ok {
					sec.Name = n
				}
			case ".index":
				if n, ok := o.Value.AsInt(); ok {
					idx = n
				}
			case ".anonymous":
			default:
				if v, ok := o.Value.AsString(); ok {
					sec.Options = append(sec.Options, uci.Option{Name: o.Name, Values: []string{v}})
					continue
				}
				arr, ok := o.Value.AsArray()
				if !ok {
					return nil, fmt.Errorf("rpcd: %s.%s: unexpected value type", f.Name, o.Name)
				}
				opt := uci.Option{Name: o.Name, List: true}
				for _, e := range arr {
					v, ok := e.AsString()
					if !ok {
						return nil, fmt.Errorf("rpcd: %s.%s: list entry is not a string", f.Name, o.Name)
					}
					opt.Values = append(opt.Values, v)
				}
				if len(opt.Values) > 0 {
					sec.Options = append(sec.Options, opt)
				}
			}
		}
		if sec.Type == "" {
			return nil, fmt.Errorf("rpcd: section %q without .type", f.Name)
		}
		all = append(all, indexed{idx, sec})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].idx < all[j].idx })
	out := make([]uci.Section, len(all))
	for i, a := range all {
		out[i] = a.sec
	}
	return out, nil
}

func optValue(o uci.Option) ubus.Value {
	if !o.List {
		return ubus.String(o.Values[0])
	}
	vs := make([]ubus.Value, len(o.Values))
	for i, v := range o.Values {
		vs[i] = ubus.String(v)
	}
	return ubus.ArrayOf(vs...)
}

type call struct {
	method string
	args   ubus.Table
}

// plan turns the difference between two trees into rpcd calls.
func plan(pkg string, old, cur []uci.Section) ([]call, error) {
	cfg := ubus.Field{Name: "config", Value: ubus.String(pkg)}
	oldBy := map[string]uci.Section{}
	for _, s := range old {
		oldBy[s.Name] = s
	}
	curBy := map[string]bool{}
	var calls []call
	for _, s := range old {
		found := false
		for _, c := range cur {
			if !c.Anonymous && c.Name == s.Name {
				found = true
			}
		}
		if !found {
			calls = append(calls, call{"delete", ubus.Table{cfg, {Name: "section", Value: ubus.String(s.Name)}}})
		}
	}
	for _, c := range cur {
		for _, o := range c.Options {
			for _, v := range o.Values {
				if v == "" {
					return nil, fmt.Errorf("rpcd: %s.%s.%s: rpcd cannot store an empty list entry", pkg, c.Name, o.Name)
				}
			}
		}
		prev, existed := oldBy[c.Name]
		if c.Anonymous || !existed {
			if !c.Anonymous {
				curBy[c.Name] = true
			}
			args := ubus.Table{cfg, {Name: "type", Value: ubus.String(c.Type)}}
			if !c.Anonymous {
				args = append(args, ubus.Field{Name: "name", Value: ubus.String(c.Name)})
			}
			var vals ubus.Table
			for _, o := range c.Options {
				vals = append(vals, ubus.Field{Name: o.Name, Value: optValue(o)})
			}
			if len(vals) > 0 {
				args = append(args, ubus.Field{Name: "values", Value: ubus.TableOf(vals)})
			}
			calls = append(calls, call{"add", args})
			continue
		}
		curBy[c.Name] = true
		if prev.Type != c.Type {
			return nil, fmt.Errorf("rpcd: %s.%s: changing a section's type (%s to %s) is not supported", pkg, c.Name, prev.Type, c.Type)
		}
		var set ubus.Table
		var del []ubus.Value
		for _, o := range c.Options {
			po, had := prev.Option(o.Name)
			if had && po.List == o.List && equal(po.Values, o.Values) {
				continue
			}
			set = append(set, ubus.Field{Name: o.Name, Value: optValue(o)})
		}
		for _, o := range prev.Options {
			if _, still := c.Option(o.Name); !still {
				del = append(del, ubus.String(o.Name))
			}
		}
		sec := ubus.Field{Name: "section", Value: ubus.String(c.Name)}
		if len(del) > 0 {
			calls = append(calls, call{"delete", ubus.Table{cfg, sec, {Name: "options", Value: ubus.ArrayOf(del...)}}})
		}
		if len(set) > 0 {
			calls = append(calls, call{"set", ubus.Table{cfg, sec, {Name: "values", Value: ubus.TableOf(set)}}})
		}
	}
	return calls, nil
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

// Save implements uci.Store: it sends the difference between the package as
// loaded and as edited (delete, add, set calls), then commit. Nothing is
// sent for an unchanged package. It fails with uci.ErrConflict when rpcd's
// view changed since Load, and with ErrPendingChanges when uncommitted
// changes for the package are waiting in rpcd's delta directory.
func (s *Store) Save(p *uci.Package) error {
	if !p.Changed() {
		return nil
	}
	name := p.Name()
	ctx, cancel := s.ctx()
	defer cancel()
	orig, err := uci.Parse(name, p.Original())
	if err != nil {
		return fmt.Errorf("rpcd: save %s: %w", name, err)
	}
	calls, err := plan(name, orig.Sections(), p.Sections())
	if err != nil {
		return err
	}
	now, err := s.get(ctx, name)
	if err != nil {
		return err
	}
	if string(uci.Render(name, now)) != string(p.Original()) {
		return fmt.Errorf("rpcd: save %s: %w", name, uci.ErrConflict)
	}
	cfg := ubus.Table{{Name: "config", Value: ubus.String(name)}}
	ch, err := s.Bus.Call(ctx, "uci", "changes", cfg)
	if err != nil && !errors.Is(err, ubus.StatusNotFound) {
		return fmt.Errorf("rpcd: uci changes %s: %w", name, err)
	}
	if v, ok := ch.Get("changes"); ok {
		if arr, ok := v.AsArray(); ok && len(arr) > 0 {
			return fmt.Errorf("rpcd: save %s: %w (%d; see `uci changes %s`)", name, ErrPendingChanges, len(arr), name)
		}
	}
	for _, c := range calls {
		if _, err := s.Bus.Call(ctx, "uci", c.method, c.args); err != nil {
			rctx, rcancel := s.ctx()
			s.Bus.Call(rctx, "uci", "revert", cfg)
			rcancel()
			return fmt.Errorf("rpcd: uci %s %s: %w", c.method, name, err)
		}
	}
	if _, err := s.Bus.Call(ctx, "uci", "commit", cfg); err != nil {
		return fmt.Errorf("rpcd: uci commit %s: %w", name, err)
	}
	p.Rebase()
	return nil
}

// NotifyConfigChange sends the event rpcd sends after a commit
// (service.event {"type": "config.change", "data": {"package": pkg}}), so
// procd runs the reload triggers of services that read pkg. Use it after
// saving a package with uci.DirStore.
func NotifyConfigChange(ctx context.Context, bus Caller, pkg string) error {
	_, err := bus.Call(ctx, "service", "event", ubus.Table{
		{Name: "type", Value: ubus.String("config.change")},
		{Name: "data", Value: ubus.TableOf(ubus.Table{{Name: "package", Value: ubus.String(pkg)}})},
	})
	if err != nil {
		return fmt.Errorf("rpcd: config.change event for %s: %w", pkg, err)
	}
	return nil
}
