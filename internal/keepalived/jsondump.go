package keepalived

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/valyala/fastjson"
)

// VRRPState is keepalived's instance state number in the JSON dump.
type VRRPState int

// States as keepalived numbers them (vrrp.h).
const (
	StateInit   VRRPState = 0
	StateBackup VRRPState = 1
	StateMaster VRRPState = 2
	StateFault  VRRPState = 3
)

func (s VRRPState) String() string {
	switch s {
	case StateInit:
		return "INIT"
	case StateBackup:
		return "BACKUP"
	case StateMaster:
		return "MASTER"
	case StateFault:
		return "FAULT"
	}
	return fmt.Sprintf("STATE(%d)", int(s))
}

// InstanceState is one instance of a keepalived JSON dump. The
// authentication password (auth_data, in clear in 2.2.7) is deliberately
// not kept.
type InstanceState struct {
	Name                 string
	Interface            string // ifp_ifname
	VMACInterface        string // vmac_ifname, empty without use_vmac
	VRID                 int
	State                VRRPState
	WantState            VRRPState
	BasePriority         int
	EffectivePriority    int
	MasterPriority       int // of the last master advert accepted; 0 if none since start
	LastTransition       time.Time
	VIPSet               bool // the VIPs are installed
	AdvertInterval       time.Duration
	MasterAdvertInterval time.Duration
	Version              int
	NoPreempt            bool
	PreemptDelay         time.Duration
	Accept               bool
	StrictMode           bool
	AuthType             int // 0 none, 1 PASS, 2 AH
	VIPs                 []DumpVIP
	Stats                InstanceStats
}

// DumpVIP is one entry of "vips", e.g.
// "192.168.77.1/24 dev eth0 scope global set".
type DumpVIP struct {
	Prefix netip.Prefix // a bare address is taken as /32
	Device string
	Set    bool   // installed on the interface right now
	Raw    string // the entry as keepalived wrote it
}

// InstanceStats are the per-instance counters of the dump.
type InstanceStats struct {
	AdvertRcvd, AdvertSent, BecomeMaster, ReleaseMaster         uint64
	PacketLenErr, AdvertIntervalErr, IPTTLErr, InvalidTypeRcvd  uint64
	AddrListErr, InvalidAuthType, AuthTypeMismatch, AuthFailure uint64
	PriZeroRcvd, PriZeroSent                                    uint64
}

// MaxJSONDump bounds the dump size accepted (keepalived writes ~1.5 KiB
// per instance).
const MaxJSONDump = 4 << 20

// ErrBadJSONDump is wrapped by every ParseJSONDump error.
var ErrBadJSONDump = errors.New("bad keepalived json dump")

// ParseJSONDump decodes keepalived's keepalived.json: json_version 1 (an
// array of {"data":…,"stats":…}) or 2 ({"vrrp":[…],…}). A truncated file
// (keepalived 2.2.7 does not write it atomically) is an error, never a
// partial result. It is pure, safe for concurrent use, and the result does
// not alias data.
func ParseJSONDump(data []byte) ([]InstanceState, error) {
	if len(data) > MaxJSONDump {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrBadJSONDump, len(data), MaxJSONDump)
	}
	var p fastjson.Parser
	root, err := p.ParseBytes(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadJSONDump, err)
	}
	arr := root
	if root.Type() == fastjson.TypeObject {
		arr = root.Get("vrrp")
		if arr == nil {
			return nil, fmt.Errorf("%w: object without \"vrrp\"", ErrBadJSONDump)
		}
	}
	items, err := arr.Array()
	if err != nil {
		return nil, fmt.Errorf("%w: vrrp instances: %v", ErrBadJSONDump, err)
	}
	out := make([]InstanceState, 0, len(items))
	for i, it := range items {
		st, err := parseInstance(it)
		if err != nil {
			return nil, fmt.Errorf("%w: instance %d: %v", ErrBadJSONDump, i, err)
		}
		out = append(out, st)
	}
	return out, nil
}

// dec reads fields of one object with a sticky error.
type dec struct {
	o   *fastjson.Value
	err error
}

func (d *dec) fail(key, why string) {
	if d.err == nil {
		d.err = fmt.Errorf("%s: %s", key, why)
	}
}

func (d *dec) get(key string, required bool) *fastjson.Value {
	v := d.o.Get(key)
	if v == nil && required {
		d.fail(key, "missing")
	}
	return v
}

func (d *dec) str(key string, required bool) string {
	v := d.get(key, required)
	if v == nil {
		return ""
	}
	b, err := v.StringBytes()
	if err != nil {
		d.fail(key, "not a string")
		return ""
	}
	return string(b) // copies out of the parser's buffer
}

func (d *dec) int(key string, required bool, min, max int) int {
	v := d.get(key, required)
	if v == nil {
		return 0
	}
	n, err := v.Int()
	if err != nil {
		d.fail(key, "not an integer")
		return 0
	}
	if n < min || n > max {
		d.fail(key, fmt.Sprintf("%d out of range %d..%d", n, min, max))
		return 0
	}
	return n
}

func (d *dec) uint(key string) uint64 {
	v := d.get(key, false)
	if v == nil {
		return 0
	}
	n, err := v.Uint64()
	if err != nil {
		d.fail(key, "not an unsigned integer")
	}
	return n
}

// boolish accepts true/false and 0/1: keepalived prints some flags as
// JSON booleans and others as integers.
func (d *dec) boolish(key string) bool {
	v := d.get(key, false)
	if v == nil {
		return false
	}
	switch v.Type() {
	case fastjson.TypeTrue:
		return true
	case fastjson.TypeFalse:
		return false
	case fastjson.TypeNumber:
		n, err := v.Int()
		if err != nil || (n != 0 && n != 1) {
			d.fail(key, "not 0 or 1")
		}
		return n == 1
	}
	d.fail(key, "not a boolean")
	return false
}

func (d *dec) seconds(key string, max float64) time.Duration {
	v := d.get(key, false)
	if v == nil {
		return 0
	}
	f, err := v.Float64()
	if err != nil || math.IsNaN(f) || f < 0 || f > max {
		d.fail(key, "not a number of seconds in range")
		return 0
	}
	return time.Duration(math.Round(f * float64(time.Second)))
}

func parseInstance(it *fastjson.Value) (InstanceState, error) {
	if it.Type() != fastjson.TypeObject {
		return InstanceState{}, errors.New("not an object")
	}
	data := it.Get("data")
	if data == nil || data.Type() != fastjson.TypeObject {
		return InstanceState{}, errors.New("data: missing or not an object")
	}
	d := &dec{o: data}
	var s InstanceState
	s.Name = d.str("iname", true)
	s.Interface = d.str("ifp_ifname", false)
	s.VMACInterface = d.str("vmac_ifname", false)
	s.VRID = d.int("vrid", true, 1, 255)
	s.State = VRRPState(d.int("state", true, 0, 3))
	s.WantState = VRRPState(d.int("wantstate", false, 0, 255))
	s.BasePriority = d.int("base_priority", true, 0, 255)
	s.EffectivePriority = d.int("effective_priority", true, 0, 255)
	s.MasterPriority = d.int("master_priority", false, 0, 255)
	if lt := d.get("last_transition", false); lt != nil {
		f, err := lt.Float64()
		if err != nil || math.IsNaN(f) || f < 0 || f > 1e11 {
			d.fail("last_transition", "not an epoch time")
		} else if f > 0 {
			sec, frac := math.Modf(f)
			s.LastTransition = time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000)
		}
	}
	s.VIPSet = d.boolish("vipset")
	s.AdvertInterval = d.seconds("adver_int", 255)
	s.MasterAdvertInterval = d.seconds("master_adver_int", 255)
	s.Version = d.int("version", false, 0, 3)
	s.NoPreempt = d.boolish("nopreempt")
	s.PreemptDelay = d.seconds("preempt_delay", 1000)
	s.Accept = d.boolish("accept")
	s.StrictMode = d.boolish("strict_mode")
	s.AuthType = d.int("auth_type", false, 0, 2)
	if d.err != nil {
		return InstanceState{}, d.err
	}
	if vv := data.Get("vips"); vv != nil {
		arr, err := vv.Array()
		if err != nil {
			return InstanceState{}, errors.New("vips: not an array")
		}
		for _, e := range arr {
			b, err := e.StringBytes()
			if err != nil {
				return InstanceState{}, errors.New("vips: entry not a string")
			}
			vip, err := parseDumpVIP(string(b))
			if err != nil {
				return InstanceState{}, fmt.Errorf("vips: %w", err)
			}
			s.VIPs = append(s.VIPs, vip)
		}
	}
	if st := it.Get("stats"); st != nil {
		if st.Type() != fastjson.TypeObject {
			return InstanceState{}, errors.New("stats: not an object")
		}
		sd := &dec{o: st}
		s.Stats = InstanceStats{
			AdvertRcvd: sd.uint("advert_rcvd"), AdvertSent: sd.uint("advert_sent"),
			BecomeMaster: sd.uint("become_master"), ReleaseMaster: sd.uint("release_master"),
			PacketLenErr: sd.uint("packet_len_err"), AdvertIntervalErr: sd.uint("advert_interval_err"),
			IPTTLErr: sd.uint("ip_ttl_err"), InvalidTypeRcvd: sd.uint("invalid_type_rcvd"),
			AddrListErr: sd.uint("addr_list_err"), InvalidAuthType: sd.uint("invalid_authtype"),
			AuthTypeMismatch: sd.uint("authtype_mismatch"), AuthFailure: sd.uint("auth_failure"),
			PriZeroRcvd: sd.uint("pri_zero_rcvd"), PriZeroSent: sd.uint("pri_zero_sent"),
		}
		if sd.err != nil {
			return InstanceState{}, fmt.Errorf("stats: %w", sd.err)
		}
	}
	return s, nil
}

// parseDumpVIP reads "ADDR[/LEN] dev IF scope S [set] [nftable_set]".
func parseDumpVIP(raw string) (DumpVIP, error) {
	f := strings.Fields(raw)
	if len(f) == 0 {
		return DumpVIP{}, errors.New("empty entry")
	}
	v := DumpVIP{Raw: raw}
	if strings.Contains(f[0], "/") {
		p, err := netip.ParsePrefix(f[0])
		if err != nil {
			return DumpVIP{}, fmt.Errorf("address %q: %v", f[0], err)
		}
		v.Prefix = p
	} else {
		a, err := netip.ParseAddr(f[0])
		if err != nil {
			return DumpVIP{}, fmt.Errorf("address %q: %v", f[0], err)
		}
		v.Prefix = netip.PrefixFrom(a, a.BitLen())
	}
	for i := 1; i < len(f); i++ {
		switch f[i] {
		case "dev":
			if i+1 < len(f) {
				v.Device = f[i+1]
				i++
			}
		case "scope", "label", "brd", "metric":
			i++ // skip the option's value
		case "set":
			v.Set = true
		}
	}
	return v, nil
}
