package config

import (
	"net/netip"
	"reflect"
	"testing"
	"time"
)

// TestEqualSeesEveryField changes every leaf field of a Config, one at a time, and checks
// that Equal notices; a field added to Config (or Health, GARP, Check) without a line in
// Equal fails here.
func TestEqualSeesEveryField(t *testing.T) {
	base := func() *Config {
		return &Config{
			VIPs:   []netip.Prefix{netip.MustParsePrefix("192.168.1.1/24")},
			Peers:  []netip.Addr{netip.MustParseAddr("192.168.1.2")},
			Health: Health{Checks: []Check{{Target: "1.1.1.1"}}},
		}
	}
	if a, b := base(), base(); !a.Equal(b) {
		t.Fatal("two equal configurations compare unequal")
	}
	var walk func(path string, get func(*Config) reflect.Value)
	n := 0
	walk = func(path string, get func(*Config) reflect.Value) {
		typ := get(base()).Type()
		if typ.Kind() == reflect.Struct && typ.PkgPath() != "net/netip" {
			for i := 0; i < typ.NumField(); i++ {
				i := i
				walk(path+"."+typ.Field(i).Name, func(c *Config) reflect.Value { return get(c).Field(i) })
			}
			return
		}
		if typ.Kind() == reflect.Slice && typ.Elem().Kind() == reflect.Struct && typ.Elem().PkgPath() != "net/netip" {
			walk(path+"[0]", func(c *Config) reflect.Value { return get(c).Index(0) })
			return
		}
		a, b := base(), base()
		change(t, path, get(b))
		n++
		if a.Equal(b) || b.Equal(a) {
			t.Errorf("Equal does not see a change of %s", path)
		}
	}
	walk("Config", func(c *Config) reflect.Value { return reflect.ValueOf(c).Elem() })
	if n < 30 {
		t.Errorf("walked only %d fields", n)
	}
}

// change sets v to a value different from what base() has there.
func change(t *testing.T, path string, v reflect.Value) {
	t.Helper()
	switch v.Interface().(type) {
	case netip.Prefix:
		v.Set(reflect.ValueOf(netip.MustParsePrefix("10.0.0.1/8")))
		return
	case netip.Addr:
		v.Set(reflect.ValueOf(netip.MustParseAddr("10.0.0.9")))
		return
	case time.Duration:
		v.SetInt(v.Int() + 1)
		return
	case []netip.Prefix:
		v.Set(reflect.ValueOf([]netip.Prefix{netip.MustParsePrefix("10.0.0.1/8")}))
		return
	case []netip.Addr:
		v.Set(reflect.ValueOf([]netip.Addr{}))
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int:
		v.SetInt(v.Int() + 1)
	case reflect.String:
		v.SetString(v.String() + "x")
	default:
		t.Fatalf("%s: no way to change a %s; teach change() and Equal about it", path, v.Type())
	}
}
