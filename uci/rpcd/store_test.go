package rpcd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/floatgw/floatgw/ubus"
	"github.com/floatgw/floatgw/ubus/ubustest"
	"github.com/floatgw/floatgw/uci"
)

// modelRPCD serves a `uci` object on a ubustest broker that follows rpcd's
// uci.c for the methods the Store uses: get (dump with .anonymous, .type,
// .name, .index; lists as arrays), add (named or anonymous, with values),
// set (arrays replace a list, strings set), delete (section, option,
// options), changes, commit and revert, with one shared delta area like
// /tmp/.uci. It is a model written from rpcd's source, not rpcd itself: it
// checks the Store's calls and decoding, not rpcd's behaviour.
type modelRPCD struct {
	mu       sync.Mutex
	dir      string
	staged   map[string]*uci.Package
	pending  map[string]int
	calls    []string
	commits  []string
	failNext string // method name that fails once
}

func (m *modelRPCD) pkg(name string) (*uci.Package, error) {
	if p, ok := m.staged[name]; ok {
		return p, nil
	}
	b, err := os.ReadFile(filepath.Join(m.dir, name))
	if err != nil {
		return nil, ubus.StatusNotFound
	}
	p, err := uci.Parse(name, b)
	if err != nil {
		return nil, ubus.StatusUnknownError
	}
	m.staged[name] = p
	return p, nil
}

func str(t ubus.Table, k string) string { s, _ := t.String(k); return s }

func values(v ubus.Value) (list bool, vals []string) {
	if s, ok := v.AsString(); ok {
		return false, []string{s}
	}
	arr, _ := v.AsArray()
	for _, e := range arr {
		if s, ok := e.AsString(); ok && s != "" { // rpcd skips empty strings
			vals = append(vals, s)
		}
	}
	return true, vals
}

func (m *modelRPCD) handle(method string) ubus.Handler {
	return func(ctx context.Context, req *ubus.Request) (ubus.Table, error) {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.calls = append(m.calls, method)
		if m.failNext == method {
			m.failNext = ""
			return nil, ubus.StatusUnknownError
		}
		cfg := str(req.Args, "config")
		p, err := m.pkg(cfg)
		if err != nil && method != "changes" {
			return nil, err
		}
		switch method {
		case "get":
			var vals ubus.Table
			for i, s := range p.Sections() {
				st := ubus.Table{
					{Name: ".anonymous", Value: ubus.Bool(s.Anonymous)},
					{Name: ".type", Value: ubus.String(s.Type)},
					{Name: ".name", Value: ubus.String(s.Name)},
					{Name: ".index", Value: ubus.Int32(int32(i))},
				}
				for _, o := range s.Options {
					if o.List {
						var vs []ubus.Value
						for _, v := range o.Values {
							vs = append(vs, ubus.String(v))
						}
						st = append(st, ubus.Field{Name: o.Name, Value: ubus.ArrayOf(vs...)})
					} else {
						st = append(st, ubus.Field{Name: o.Name, Value: ubus.String(o.Values[0])})
					}
				}
				vals = append(vals, ubus.Field{Name: s.Name, Value: ubus.TableOf(st)})
			}
			return ubus.Table{{Name: "values", Value: ubus.TableOf(vals)}}, nil
		case "add":
			name, err := p.AddSection(str(req.Args, "type"), str(req.Args, "name"))
			if err != nil {
				return nil, ubus.StatusInvalidArgument
			}
			if v, ok := req.Args.Get("values"); ok {
				tb, _ := v.AsTable()
				for _, f := range tb {
					list, vals := values(f.Value)
					if list {
						err = p.SetList(name, f.Name, vals)
					} else {
						err = p.Set(name, f.Name, vals[0])
					}
					if err != nil {
						return nil, ubus.StatusInvalidArgument
					}
				}
			}
			m.pending[cfg]++
			return ubus.Table{{Name: "section", Value: ubus.String(name)}}, nil
		case "set":
			v, _ := req.Args.Get("values")
			tb, _ := v.AsTable()
			for _, f := range tb {
				list, vals := values(f.Value)
				if list {
					err = p.SetList(str(req.Args, "section"), f.Name, vals)
				} else {
					err = p.Set(str(req.Args, "section"), f.Name, vals[0])
				}
				if err != nil {
					return nil, ubus.StatusNotFound
				}
			}
			m.pending[cfg]++
			return nil, nil
		case "delete":
			sec := str(req.Args, "section")
			if v, ok := req.Args.Get("options"); ok {
				arr, _ := v.AsArray()
				for _, e := range arr {
					o, _ := e.AsString()
					p.Delete(sec, o)
				}
			} else if o := str(req.Args, "option"); o != "" {
				p.Delete(sec, o)
			} else if err := p.DeleteSection(sec); err != nil {
				return nil, ubus.StatusNotFound
			}
			m.pending[cfg]++
			return nil, nil
		case "changes":
			var arr []ubus.Value
			for i := 0; i < m.pending[cfg]; i++ {
				arr = append(arr, ubus.ArrayOf(ubus.String("set"), ubus.String("x")))
			}
			return ubus.Table{{Name: "changes", Value: ubus.ArrayOf(arr...)}}, nil
		case "revert":
			delete(m.staged, cfg)
			m.pending[cfg] = 0
			return nil, nil
		case "commit":
			// libuci rewrites the file canonically
			if err := os.WriteFile(filepath.Join(m.dir, cfg), uci.Render(cfg, p.Sections()), 0o644); err != nil {
				return nil, ubus.StatusUnknownError
			}
			delete(m.staged, cfg)
			m.pending[cfg] = 0
			m.commits = append(m.commits, cfg)
			return nil, nil
		}
		return nil, ubus.StatusMethodNotFound
	}
}

func setup(t *testing.T, files map[string]string) (*modelRPCD, *ubus.Client) {
	t.Helper()
	b := ubustest.NewTest(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv, err := ubus.Dial(ctx, b.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	m := &modelRPCD{dir: t.TempDir(), staged: map[string]*uci.Package{}, pending: map[string]int{}}
	for n, text := range files {
		os.WriteFile(filepath.Join(m.dir, n), []byte(text), 0o644)
	}
	obj := &ubus.Object{Name: "uci"}
	for _, meth := range []string{"get", "add", "set", "delete", "changes", "revert", "commit"} {
		obj.Methods = append(obj.Methods, ubus.Method{Name: meth, Handler: m.handle(meth)})
	}
	if err := srv.AddObject(ctx, obj); err != nil {
		t.Fatal(err)
	}
	cl, err := ubus.Dial(ctx, b.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return m, cl
}

const firewall = `
config zone
	option name 'lan'
	list network 'lan'

config rule
	option name 'Allow-Ping'
	list icmp_type 'echo-request'

config rule 'old'
	option name 'x'
	option dest '*'
`

func TestStoreLoadEditSave(t *testing.T) {
	m, cl := setup(t, map[string]string{"firewall": firewall})
	st := &Store{Bus: cl}
	p, err := st.Load("firewall")
	if err != nil {
		t.Fatal(err)
	}
	// anonymous sections come back under rpcd's names, in rpcd's order
	var names []string
	for _, s := range p.Sections() {
		names = append(names, s.Type+":"+s.Name)
	}
	if diff := cmp.Diff([]string{"zone:cfg01dc81", "rule:cfg0292bd", "rule:old"}, names); diff != "" {
		t.Fatalf("sections: %s", diff)
	}
	if got, _ := p.Get("@rule[0]", "icmp_type"); !cmp.Equal(got, []string{"echo-request"}) {
		t.Fatalf("list decoded as %v", got)
	}
	// unchanged: no calls at all
	m.calls = nil
	if err := st.Save(p); err != nil || len(m.calls) != 0 {
		t.Fatalf("unchanged save: %v, calls %v", err, m.calls)
	}
	// edits: a new named section, a changed option, a removed option, a
	// removed section, a list
	if _, err := p.AddSection("rule", "vrrp"); err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][2]string{{"name", "Allow-VRRP"}, {"src", "lan"}, {"proto", "112"}} {
		if err := p.Set("vrrp", kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	p.SetList("@rule[0]", "icmp_type", []string{"echo-request", "echo-reply"})
	p.Delete("old", "dest")
	p.Set("old", "name", "y")
	if _, err := p.AddSection("include", ""); err != nil {
		t.Fatal(err)
	}
	p.Set("@include[0]", "path", "/etc/firewall.user")
	if err := st.Save(p); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"firewall"}, m.commits); diff != "" {
		t.Fatalf("commits: %s", diff)
	}
	got, _ := os.ReadFile(filepath.Join(m.dir, "firewall"))
	q, _ := uci.Parse("firewall", got)
	want := `firewall.@zone[0]=zone
firewall.@zone[0].name='lan'
firewall.@zone[0].network='lan'
firewall.@rule[0]=rule
firewall.@rule[0].name='Allow-Ping'
firewall.@rule[0].icmp_type='echo-request' 'echo-reply'
firewall.old=rule
firewall.old.name='y'
firewall.vrrp=rule
firewall.vrrp.name='Allow-VRRP'
firewall.vrrp.src='lan'
firewall.vrrp.proto='112'
firewall.@include[0]=include
firewall.@include[0].path='/etc/firewall.user'
`
	if diff := cmp.Diff(want, q.Show(false)); diff != "" {
		t.Errorf("committed meaning (-want +got):\n%s", diff)
	}
	if p.Changed() {
		t.Error("package still marked changed after save")
	}
}

func TestStoreRefusesPendingAndConflicts(t *testing.T) {
	m, cl := setup(t, map[string]string{"dhcp": "config dhcp 'lan'\n\toption interface 'lan'\n"})
	st := &Store{Bus: cl}
	p, err := st.Load("dhcp")
	if err != nil {
		t.Fatal(err)
	}
	p.SetList("lan", "dhcp_option", []string{"3,192.168.1.254"})

	// someone else's uncommitted change
	m.mu.Lock()
	m.pending["dhcp"] = 1
	m.mu.Unlock()
	m.calls = nil
	if err := st.Save(p); !errors.Is(err, ErrPendingChanges) {
		t.Fatalf("got %v, want ErrPendingChanges", err)
	}
	for _, c := range m.calls {
		if c == "set" || c == "commit" || c == "add" || c == "delete" {
			t.Fatalf("wrote despite pending changes: %v", m.calls)
		}
	}
	m.mu.Lock()
	m.pending["dhcp"] = 0
	// a committed change by someone else since Load
	os.WriteFile(filepath.Join(m.dir, "dhcp"), []byte("config dhcp 'lan'\n\toption interface 'lan'\n\toption start '50'\n"), 0o644)
	delete(m.staged, "dhcp")
	m.mu.Unlock()
	if err := st.Save(p); !errors.Is(err, uci.ErrConflict) {
		t.Fatalf("got %v, want uci.ErrConflict", err)
	}
	if len(m.commits) != 0 {
		t.Fatal("committed despite a conflict")
	}
}

func TestStoreRevertsOnFailure(t *testing.T) {
	m, cl := setup(t, map[string]string{"network": "config interface 'lan'\n\toption proto 'static'\n"})
	st := &Store{Bus: cl}
	p, _ := st.Load("network")
	p.Set("lan", "ipaddr", "192.168.1.2")
	m.failNext = "set"
	if err := st.Save(p); err == nil {
		t.Fatal("save succeeded although set failed")
	}
	if !strings.Contains(fmt.Sprint(m.calls), "revert") || len(m.commits) != 0 {
		t.Fatalf("calls %v commits %v", m.calls, m.commits)
	}
}

func TestLoadMissingPackage(t *testing.T) {
	_, cl := setup(t, nil)
	p, err := (&Store{Bus: cl}).Load("keepalived")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Sections()) != 0 {
		t.Fatal("missing package not empty")
	}
}

func TestEmptyListEntryRefused(t *testing.T) {
	_, err := plan("x", nil, []uci.Section{{Name: "s", Type: "t", Options: []uci.Option{{Name: "l", List: true, Values: []string{"a", ""}}}}})
	if err == nil {
		t.Fatal("empty list entry accepted")
	}
}
