package api

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"unicode/utf8"
)

// Object is the path under which the daemon registers its ubus object.
const Object = "floatgw"

// SessionArg is the argument rpcd's JSON-RPC proxies (uhttpd-mod-ubus and
// LuCI's ucode dispatcher) add to every call they forward. It is not part of
// any method's signature; [Method.Check] ignores it.
const SessionArg = "ubus_rpc_session"

// Access says whether calling a method can change anything. The rpcd ACL of
// the LuCI app grants Read methods in its read grant and Write methods in its
// write grant, never the other way round.
type Access string

// The two kinds of method.
const (
	// Read methods only observe: calling them changes no configuration, no
	// VRRP priority, no address and no file.
	Read Access = "read"
	// Write methods may change the router (configuration, VRRP priority,
	// firewall, who holds the VIP).
	Write Access = "write"
)

// ArgType is the type of a method argument, as declared in the ubus
// signature. The names follow blobmsg.
type ArgType string

// Argument types. Bool travels as blobmsg INT8 (BLOBMSG_TYPE_BOOL).
const (
	TypeString ArgType = "string"
	TypeBool   ArgType = "bool"
	TypeInt32  ArgType = "int32"
	TypeTable  ArgType = "table"
	TypeArray  ArgType = "array"
)

// BlobmsgType returns the blobmsg type number the ubus signature uses for t
// (libubox blobmsg.h: 1 array, 2 table, 3 string, 5 int32, 7 bool), or 0
// (BLOBMSG_TYPE_UNSPEC) for an unknown type.
func (t ArgType) BlobmsgType() int {
	switch t {
	case TypeArray:
		return 1
	case TypeTable:
		return 2
	case TypeString:
		return 3
	case TypeInt32:
		return 5
	case TypeBool:
		return 7
	}
	return 0
}

// Arg describes one named argument of a method.
type Arg struct {
	// Name is the blobmsg field name, lower_snake.
	Name string
	// Type is the only type accepted for the value.
	Type ArgType
	// Required arguments must be present; optional ones take Default.
	Required bool
	// Min and Max bound a TypeInt32 value (inclusive) when either is
	// non-zero.
	Min, Max int32
	// MaxLen bounds the length in bytes of a TypeString value when
	// non-zero.
	MaxLen int
	// Enum, when not empty, lists the only accepted TypeString values.
	Enum []string
	// Default is the value an absent optional argument takes (string, bool
	// or int32), or nil when absence has its own meaning described in Help.
	Default any
	// Help is one English sentence for `ubus -v list` readers, the CLI and
	// the README.
	Help string
}

// hasRange reports whether Min/Max apply.
func (a Arg) hasRange() bool { return a.Min != 0 || a.Max != 0 }

// Method describes one method of the floatgw ubus object.
type Method struct {
	// Name is the ubus method name.
	Name string
	// Access says whether the method can change anything.
	Access Access
	// Args lists the accepted arguments; any other argument (apart from
	// SessionArg) is refused.
	Args []Arg
	// Reply names the Go type of the reply body in this package.
	Reply string
	// Help is one English sentence describing the method.
	Help string
}

// Methods is the method table of the floatgw ubus object, in the order the
// daemon registers them. Callers must not modify it.
var Methods = []Method{
	{
		Name:   "status",
		Access: Read,
		Reply:  "StatusReply",
		Help:   "this node and the peer as seen on the wire: VRRP state, effective priority and why, VIP holder, health checks, recent transitions",
	},
	{
		Name:   "verify",
		Access: Write,
		Reply:  "VerifyStartReply",
		Args: []Arg{{
			Name: "mode", Type: TypeString, Enum: []string{"soft", "hard"}, Default: "soft",
			Help: "soft demotes the VIP holder through its track file; hard also simulates a silent master (no priority-0 advert)",
		}},
		Help: "start a drift verification and return its run id at once; a second caller gets busy and the running run's id",
	},
	{
		Name:   "verify_status",
		Access: Read,
		Reply:  "VerifyRun",
		Args: []Arg{{
			Name: "id", Type: TypeString, MaxLen: 64,
			Help: "run id returned by verify; absent means the latest run (a reply with an empty id when there is none yet)",
		}},
		Help: "progress and result of a drift verification run",
	},
	{
		Name:   "doctor",
		Access: Read,
		Reply:  "DoctorReply",
		Help:   "run every diagnosis check and report the problems found, each with evidence and a fix; changes nothing",
	},
	{
		Name:   "doctor_fix",
		Access: Write,
		Reply:  "DoctorReply",
		Args: []Arg{{
			Name: "id", Type: TypeString, MaxLen: 64,
			Help: "id of one fix offered by a problem (Fix.ID); absent means every safe fix",
		}},
		Help: "apply safe fixes for the problems doctor finds, then check again",
	},
	{
		Name:   "scan",
		Access: Read,
		Reply:  "ScanReply",
		Args: []Arg{{
			Name: "seconds", Type: TypeInt32, Min: 1, Max: 60, Default: int32(5),
			Help: "how long to listen; the reply comes after this many seconds (LuCI stays below its 20 s RPC timeout)",
		}},
		Help: "listen to VRRP on the LAN and list every router heard: VRID, source, priority, interval, VIPs",
	},
	{
		Name:   "apply",
		Access: Write,
		Reply:  "ApplyReply",
		Args: []Arg{{
			Name: "dry_run", Type: TypeBool, Default: false,
			Help: "only report what would change",
		}},
		Help: "re-read /etc/config/floatgw, render keepalived, firewall and DHCP settings and apply what differs",
	},
	{
		Name:   "switch",
		Access: Write,
		Reply:  "SwitchReply",
		Args: []Arg{{
			Name: "seconds", Type: TypeInt32, Min: 10, Max: 3600, Default: int32(300),
			Help: "how long this node stays demoted before it may take the VIP back",
		}},
		Help: "hand the VIP to the peer now, for a limited time (not persistent)",
	},
	{
		Name:   "maintenance",
		Access: Write,
		Reply:  "MaintenanceReply",
		Args: []Arg{{
			Name: "enable", Type: TypeBool, Required: true,
			Help: "true demotes this node persistently (survives reboot), false ends maintenance",
		}},
		Help: "enter or leave persistent maintenance mode",
	},
	{
		Name:   "logs",
		Access: Read,
		Reply:  "LogsReply",
		Args: []Arg{{
			Name: "lines", Type: TypeInt32, Min: 1, Max: 1000, Default: int32(200),
			Help: "how many recent lines to return",
		}},
		Help: "recent keepalived and floatgw log lines with the known error patterns marked by problem code",
	},
}

// Lookup returns the method called name.
func Lookup(name string) (Method, bool) {
	for _, m := range Methods {
		if m.Name == name {
			return m, true
		}
	}
	return Method{}, false
}

// Arg returns the argument called name.
func (m Method) Arg(name string) (Arg, bool) {
	for _, a := range m.Args {
		if a.Name == name {
			return a, true
		}
	}
	return Arg{}, false
}

// Check validates the arguments of one call and returns them normalised:
// SessionArg dropped, defaults filled in for absent optional arguments that
// have one, and every value converted to its Go form (string, bool, int32,
// map[string]any or []any). Problems use the ARG_* codes with Field set to
// "<method>.<arg>"; when any is returned the call must be refused with ubus
// status INVALID_ARGUMENT and nothing done.
//
// Accepted input values: string; bool; for int32 any Go integer type,
// float64, json.Number or jsonx.Number holding an integral value (JSON
// decoding; "60.0" counts); for table map[string]any; for array []any.
// args is not modified.
func (m Method) Check(args map[string]any) (map[string]any, []Problem) {
	out := make(map[string]any, len(m.Args))
	var probs []Problem

	names := make([]string, 0, len(args))
	for k := range args {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return names[i] < names[j] })
	for _, k := range names {
		if k == SessionArg {
			continue
		}
		if _, ok := m.Arg(k); !ok {
			probs = append(probs, Problem{
				Code: ArgUnknown, Severity: SeverityError, Field: m.Name + "." + k,
				Want: m.argList(), Got: k,
				Detail: fmt.Sprintf("method %s takes no argument %q", m.Name, k),
			})
		}
	}

	for _, a := range m.Args {
		field := m.Name + "." + a.Name
		v, present := args[a.Name]
		if !present || v == nil {
			if a.Required {
				probs = append(probs, Problem{Code: ArgMissing, Severity: SeverityError, Field: field,
					Want: string(a.Type), Detail: "argument is required"})
				continue
			}
			if a.Default != nil {
				out[a.Name] = a.Default
			}
			continue
		}
		nv, p := a.check(field, v)
		if p != nil {
			probs = append(probs, *p)
			continue
		}
		out[a.Name] = nv
	}
	if len(probs) > 0 {
		return nil, probs
	}
	return out, nil
}

func (m Method) argList() string {
	if len(m.Args) == 0 {
		return "no arguments"
	}
	s := ""
	for i, a := range m.Args {
		if i > 0 {
			s += ", "
		}
		s += a.Name
	}
	return s
}

// check validates one present value.
func (a Arg) check(field string, v any) (any, *Problem) {
	typeErr := func() (any, *Problem) {
		return nil, &Problem{Code: ArgWrongType, Severity: SeverityError, Field: field,
			Want: string(a.Type), Got: describe(v), Detail: "wrong type"}
	}
	switch a.Type {
	case TypeString:
		s, ok := v.(string)
		if !ok {
			return typeErr()
		}
		if a.MaxLen > 0 && len(s) > a.MaxLen {
			return nil, &Problem{Code: ArgRange, Severity: SeverityError, Field: field,
				Want: fmt.Sprintf("at most %d bytes", a.MaxLen), Got: strconv.Itoa(len(s)) + " bytes", Detail: "too long"}
		}
		if !utf8.ValidString(s) {
			return nil, &Problem{Code: ArgWrongType, Severity: SeverityError, Field: field,
				Want: "UTF-8 string", Got: strconv.Quote(s), Detail: "not valid UTF-8"}
		}
		if len(a.Enum) > 0 {
			for _, e := range a.Enum {
				if s == e {
					return s, nil
				}
			}
			return nil, &Problem{Code: ArgEnum, Severity: SeverityError, Field: field,
				Want: joinOr(a.Enum), Got: s, Detail: "not one of the accepted values"}
		}
		return s, nil
	case TypeBool:
		b, ok := v.(bool)
		if !ok {
			return typeErr()
		}
		return b, nil
	case TypeInt32:
		n, ok := integer(v)
		if !ok {
			return typeErr()
		}
		lo, hi := int64(math.MinInt32), int64(math.MaxInt32)
		if a.hasRange() {
			lo, hi = int64(a.Min), int64(a.Max)
		}
		if n < lo || n > hi {
			return nil, &Problem{Code: ArgRange, Severity: SeverityError, Field: field,
				Want: fmt.Sprintf("%d–%d", lo, hi), Got: strconv.FormatInt(n, 10), Detail: "out of range"}
		}
		return int32(n), nil
	case TypeTable:
		t, ok := v.(map[string]any)
		if !ok {
			return typeErr()
		}
		return t, nil
	case TypeArray:
		l, ok := v.([]any)
		if !ok {
			return typeErr()
		}
		return l, nil
	}
	return typeErr()
}

// integer converts the integral Go forms a decoder may produce.
func integer(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint:
		if uint64(n) > math.MaxInt64 {
			return 0, false
		}
		return int64(n), true
	case uint64:
		if n > math.MaxInt64 {
			return 0, false
		}
		return int64(n), true
	case float64:
		if n != math.Trunc(n) || math.IsInf(n, 0) || n < math.MinInt64 || n >= math.MaxInt64 {
			return 0, false
		}
		return int64(n), true
	case number:
		if i, err := n.Int64(); err == nil {
			return i, true
		}
		f, err := n.Float64()
		if err != nil {
			return 0, false
		}
		return integer(f)
	}
	return 0, false
}

// number is a JSON number kept as text: encoding/json's json.Number and
// internal/jsonx's Number (what the control socket and ubus decoding
// produce). Integral values written with a fraction or exponent ("60.0",
// "6e1") are accepted like the float64 they stand for.
type number interface {
	Int64() (int64, error)
	Float64() (float64, error)
	String() string
}

// describe names the JSON type of a value for ARG_TYPE problems.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return "string " + strconv.Quote(x)
	case bool:
		return "bool " + strconv.FormatBool(x)
	case map[string]any:
		return "table"
	case []any:
		return "array"
	case float64, float32:
		return fmt.Sprintf("number %v", x)
	case number:
		if _, err := x.Int64(); err != nil {
			return "number " + x.String()
		}
	}
	if n, ok := integer(v); ok {
		return "integer " + strconv.FormatInt(n, 10)
	}
	return fmt.Sprintf("%T", v)
}

func joinOr(s []string) string {
	out := ""
	for i, e := range s {
		switch {
		case i == 0:
		case i == len(s)-1:
			out += " or "
		default:
			out += ", "
		}
		out += e
	}
	return out
}
