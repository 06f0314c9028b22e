package ubus

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Value is one blobmsg value. Type selects which field is meaningful:
//
//	TypeInt8 (TypeBool), TypeInt16, TypeInt32, TypeInt64: Int
//	TypeDouble: Float
//	TypeString: Str (the wire form adds the terminating NUL)
//	TypeUnspec: Raw (normally empty; JSON null)
//	TypeArray, TypeTable: List (array members normally have empty names)
//
// Values are plain data: they never alias a decoded buffer and may be copied
// and shared freely as long as nobody modifies them.
type Value struct {
	Type  Type
	Int   int64
	Float float64
	Str   string
	Raw   []byte
	List  []Field
}

// Field is a named blobmsg value: a table member (name required) or an array
// member (name normally empty).
type Field struct {
	Name  string
	Value Value
}

// Table is the contents of a blobmsg table, in wire order. It is what ubus
// carries as call arguments, reply data, event and notification payloads.
type Table []Field

// String returns a STRING value.
func String(s string) Value { return Value{Type: TypeString, Str: s} }

// Bool returns an INT8 value of 1 or 0, which is how libubox encodes a bool.
func Bool(b bool) Value {
	if b {
		return Value{Type: TypeBool, Int: 1}
	}
	return Value{Type: TypeBool}
}

// Int8 returns an INT8 value. Remember that JSON renderers show INT8 as a
// bool; use Int32 for numbers.
func Int8(v int8) Value { return Value{Type: TypeInt8, Int: int64(v)} }

// Int16 returns an INT16 value.
func Int16(v int16) Value { return Value{Type: TypeInt16, Int: int64(v)} }

// Int32 returns an INT32 value.
func Int32(v int32) Value { return Value{Type: TypeInt32, Int: int64(v)} }

// Int64 returns an INT64 value.
func Int64(v int64) Value { return Value{Type: TypeInt64, Int: v} }

// Double returns a DOUBLE value.
func Double(f float64) Value { return Value{Type: TypeDouble, Float: f} }

// Null returns an UNSPEC value with no payload (JSON null).
func Null() Value { return Value{Type: TypeUnspec} }

// ArrayOf returns an ARRAY value with unnamed members.
func ArrayOf(vs ...Value) Value {
	list := make([]Field, len(vs))
	for i, v := range vs {
		list[i] = Field{Value: v}
	}
	return Value{Type: TypeArray, List: list}
}

// TableOf returns a TABLE value with the given members.
func TableOf(t Table) Value { return Value{Type: TypeTable, List: []Field(t)} }

// AsInt returns the value of any integer type (INT8/16/32/64).
func (v Value) AsInt() (int64, bool) {
	switch v.Type {
	case TypeInt8, TypeInt16, TypeInt32, TypeInt64:
		return v.Int, true
	}
	return 0, false
}

// AsBool returns an INT8 as a bool (non-zero is true); other integer types
// are accepted when they are 0 or 1, since JSON-speaking callers sometimes
// send those.
func (v Value) AsBool() (bool, bool) {
	switch v.Type {
	case TypeInt8:
		return v.Int != 0, true
	case TypeInt16, TypeInt32, TypeInt64:
		if v.Int == 0 || v.Int == 1 {
			return v.Int == 1, true
		}
	}
	return false, false
}

// AsFloat returns a DOUBLE, or an integer converted to float64.
func (v Value) AsFloat() (float64, bool) {
	if v.Type == TypeDouble {
		return v.Float, true
	}
	if i, ok := v.AsInt(); ok && v.Type != TypeInt8 {
		return float64(i), true
	}
	return 0, false
}

// AsString returns a STRING value.
func (v Value) AsString() (string, bool) {
	if v.Type == TypeString {
		return v.Str, true
	}
	return "", false
}

// AsTable returns the members of a TABLE.
func (v Value) AsTable() (Table, bool) {
	if v.Type == TypeTable {
		return Table(v.List), true
	}
	return nil, false
}

// AsArray returns the members of an ARRAY (names dropped).
func (v Value) AsArray() ([]Value, bool) {
	if v.Type != TypeArray {
		return nil, false
	}
	out := make([]Value, len(v.List))
	for i, f := range v.List {
		out[i] = f.Value
	}
	return out, true
}

// Get returns the first member called name, like libubox blobmsg_parse does
// for duplicate names.
func (t Table) Get(name string) (Value, bool) {
	for _, f := range t {
		if f.Name == name {
			return f.Value, true
		}
	}
	return Value{}, false
}

// String returns the first member called name if it is a STRING.
func (t Table) String(name string) (string, bool) {
	v, _ := t.Get(name)
	return v.AsString()
}

// Int returns the first member called name if it is an integer of any width.
func (t Table) Int(name string) (int64, bool) {
	v, _ := t.Get(name)
	return v.AsInt()
}

// Bool returns the first member called name interpreted by Value.AsBool.
func (t Table) Bool(name string) (bool, bool) {
	v, _ := t.Get(name)
	return v.AsBool()
}

// MarshalTable encodes t as table contents: a run of named blobmsg
// attributes without an enclosing header, which is what UBUS_ATTR_DATA holds.
func MarshalTable(t Table) ([]byte, error) { return AppendTable(nil, t) }

// AppendTable appends the encoding of t (see MarshalTable) to b.
func AppendTable(b []byte, t Table) ([]byte, error) {
	return appendFields(b, t, true, 0)
}

// MarshalValue encodes one named blobmsg attribute, header included.
func MarshalValue(name string, v Value) ([]byte, error) {
	return appendField(nil, name, v, false, 0)
}

func appendFields(b []byte, list []Field, named bool, depth int) ([]byte, error) {
	var err error
	for _, f := range list {
		if b, err = appendField(b, f.Name, f.Value, named, depth); err != nil {
			return b, err
		}
	}
	return b, nil
}

// appendField encodes exactly like libubox blobmsg_add_field: an extended
// blob header whose id is the type, be16 name length, name, NUL, padding to
// 4, the value, and padding of the whole attribute to 4.
func appendField(b []byte, name string, v Value, named bool, depth int) ([]byte, error) {
	if named && name == "" {
		return b, fmt.Errorf("ubus: table member without a name")
	}
	if len(name) > math.MaxUint16 {
		return b, fmt.Errorf("ubus: attribute name of %d bytes is too long", len(name))
	}
	b, start := appendHeaderPlaceholder(b)
	b = binary.BigEndian.AppendUint16(b, uint16(len(name)))
	b = append(b, name...)
	b = append(b, 0)
	for (len(b)-start)%blobAlign != 0 {
		b = append(b, 0)
	}
	var err error
	switch v.Type {
	case TypeUnspec:
		b = append(b, v.Raw...)
	case TypeString:
		b = append(b, v.Str...)
		b = append(b, 0)
	case TypeInt8:
		if v.Int < math.MinInt8 || v.Int > math.MaxUint8 {
			return b, fmt.Errorf("ubus: %q: %d out of range for int8", name, v.Int)
		}
		b = append(b, uint8(v.Int))
	case TypeInt16:
		if v.Int < math.MinInt16 || v.Int > math.MaxUint16 {
			return b, fmt.Errorf("ubus: %q: %d out of range for int16", name, v.Int)
		}
		b = binary.BigEndian.AppendUint16(b, uint16(v.Int))
	case TypeInt32:
		if v.Int < math.MinInt32 || v.Int > math.MaxUint32 {
			return b, fmt.Errorf("ubus: %q: %d out of range for int32", name, v.Int)
		}
		b = binary.BigEndian.AppendUint32(b, uint32(v.Int))
	case TypeInt64:
		b = binary.BigEndian.AppendUint64(b, uint64(v.Int))
	case TypeDouble:
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(v.Float))
	case TypeArray, TypeTable:
		if depth+1 > MaxDepth {
			return b, fmt.Errorf("ubus: %q: nesting deeper than %d", name, MaxDepth)
		}
		if b, err = appendFields(b, v.List, v.Type == TypeTable, depth+1); err != nil {
			return b, err
		}
	default:
		return b, fmt.Errorf("ubus: %q: unknown blobmsg type %d", name, v.Type)
	}
	return finishAttr(b, start, uint8(v.Type), true)
}

// Decoder walks blobmsg attributes with a single sticky error, in the style
// of netlink's AttributeDecoder: call Next until it returns false, read the
// current attribute with the typed getters, then check Err once. A getter
// called on an attribute of another type records an error and returns the
// zero value; after the first error every call is a no-op.
//
// A Decoder never aliases its input in what it returns. Nested decoders
// (from Nested) share the parent's error. A Decoder is not safe for
// concurrent use.
type Decoder struct {
	b     []byte
	off   int
	array bool
	depth int
	err   *error
	root  error

	valid bool
	typ   Type
	name  string
	data  []byte
}

// NewDecoder returns a Decoder over table contents (named attributes), such
// as the payload of UBUS_ATTR_DATA. The Decoder reads b without copying it;
// b must not change while the Decoder is in use.
func NewDecoder(b []byte) *Decoder {
	d := &Decoder{b: b}
	d.err = &d.root
	return d
}

// Err returns the first error met by this decoder or any decoder sharing it.
func (d *Decoder) Err() error { return *d.err }

func (d *Decoder) fail(err error) {
	if *d.err == nil {
		*d.err = err
	}
	d.valid = false
}

// Next advances to the next attribute and reports whether there is one.
func (d *Decoder) Next() bool {
	d.valid = false
	if *d.err != nil || d.off >= len(d.b) {
		return false
	}
	a, next, err := nextAttr(d.b, d.off)
	if err != nil {
		d.fail(err)
		return false
	}
	typ, name, data, err := parseBlobmsg(a, d.array)
	if err != nil {
		d.fail(fmt.Errorf("%w (offset %d)", err, d.off))
		return false
	}
	d.off = next
	d.valid, d.typ, d.name, d.data = true, typ, name, data
	return true
}

// parseBlobmsg validates one attribute the way libubox blobmsg_check_attr
// does and returns its type, name and value bytes. Inside arrays an
// attribute without the extended bit (no name header) is accepted, as libubox
// does; in tables it is not, and names must be non-empty.
func parseBlobmsg(a rawAttr, inArray bool) (Type, string, []byte, error) {
	var name string
	data := a.payload
	if !a.extended {
		if !inArray {
			return 0, "", nil, malformed("table member without a blobmsg name header")
		}
	} else {
		p := a.payload
		if len(p) < 3 {
			return 0, "", nil, malformed("blobmsg name header truncated")
		}
		nl := int(binary.BigEndian.Uint16(p))
		hdr := pad4(2 + nl + 1)
		if hdr > len(p) {
			return 0, "", nil, malformed("blobmsg name length %d exceeds the attribute", nl)
		}
		if p[2+nl] != 0 {
			return 0, "", nil, malformed("blobmsg name not NUL-terminated")
		}
		if nl == 0 && !inArray {
			return 0, "", nil, malformed("table member without a name")
		}
		name = string(p[2 : 2+nl])
		data = p[hdr:]
	}
	typ := Type(a.id)
	want := -1
	switch typ {
	case TypeInt8:
		want = 1
	case TypeInt16:
		want = 2
	case TypeInt32:
		want = 4
	case TypeInt64, TypeDouble:
		want = 8
	case TypeString:
		if len(data) == 0 || data[len(data)-1] != 0 {
			return 0, "", nil, malformed("string %q not NUL-terminated", name)
		}
	case TypeUnspec, TypeArray, TypeTable:
	default:
		return 0, "", nil, malformed("attribute %q has unknown blobmsg type %d", name, typ)
	}
	if want >= 0 && len(data) != want {
		return 0, "", nil, malformed("%s %q has %d value bytes, want %d", typ, name, len(data), want)
	}
	return typ, name, data, nil
}

// Name returns the current attribute's name ("" for array members).
func (d *Decoder) Name() string { return d.name }

// Type returns the current attribute's blobmsg type.
func (d *Decoder) Type() Type { return d.typ }

func (d *Decoder) check(want Type) bool {
	if *d.err != nil {
		return false
	}
	if !d.valid {
		d.fail(fmt.Errorf("ubus: decoder has no current attribute"))
		return false
	}
	if d.typ != want {
		d.fail(fmt.Errorf("ubus: attribute %q is %s, want %s", d.name, d.typ, want))
		return false
	}
	return true
}

// Int8 returns an INT8 attribute.
func (d *Decoder) Int8() int8 {
	if !d.check(TypeInt8) {
		return 0
	}
	return int8(d.data[0])
}

// Bool returns an INT8 attribute as a bool (non-zero is true).
func (d *Decoder) Bool() bool {
	if !d.check(TypeBool) {
		return false
	}
	return d.data[0] != 0
}

// Int16 returns an INT16 attribute.
func (d *Decoder) Int16() int16 {
	if !d.check(TypeInt16) {
		return 0
	}
	return int16(binary.BigEndian.Uint16(d.data))
}

// Int32 returns an INT32 attribute.
func (d *Decoder) Int32() int32 {
	if !d.check(TypeInt32) {
		return 0
	}
	return int32(binary.BigEndian.Uint32(d.data))
}

// Int64 returns an INT64 attribute.
func (d *Decoder) Int64() int64 {
	if !d.check(TypeInt64) {
		return 0
	}
	return int64(binary.BigEndian.Uint64(d.data))
}

// Double returns a DOUBLE attribute.
func (d *Decoder) Double() float64 {
	if !d.check(TypeDouble) {
		return 0
	}
	return math.Float64frombits(binary.BigEndian.Uint64(d.data))
}

// String returns a STRING attribute without its terminating NUL.
func (d *Decoder) String() string {
	if !d.check(TypeString) {
		return ""
	}
	return string(d.data[:len(d.data)-1])
}

// Nested returns a Decoder over the members of the current TABLE or ARRAY.
// It shares this decoder's sticky error and enforces MaxDepth.
func (d *Decoder) Nested() *Decoder {
	nd := &Decoder{err: d.err, depth: d.depth + 1}
	if *d.err != nil {
		return nd
	}
	if !d.valid || (d.typ != TypeTable && d.typ != TypeArray) {
		d.fail(fmt.Errorf("ubus: attribute %q is %s, not a table or array", d.name, d.typ))
		return nd
	}
	if nd.depth > MaxDepth {
		d.fail(malformed("attribute %q nests deeper than %d", d.name, MaxDepth))
		return nd
	}
	nd.b, nd.array = d.data, d.typ == TypeArray
	return nd
}

// Value returns the current attribute as a Value, decoding nested tables and
// arrays completely.
func (d *Decoder) Value() Value {
	if *d.err != nil {
		return Value{}
	}
	if !d.valid {
		d.fail(fmt.Errorf("ubus: decoder has no current attribute"))
		return Value{}
	}
	v := Value{Type: d.typ}
	switch d.typ {
	case TypeUnspec:
		if len(d.data) > 0 {
			v.Raw = append([]byte(nil), d.data...)
		}
	case TypeString:
		v.Str = string(d.data[:len(d.data)-1])
	case TypeInt8:
		v.Int = int64(int8(d.data[0]))
	case TypeInt16:
		v.Int = int64(int16(binary.BigEndian.Uint16(d.data)))
	case TypeInt32:
		v.Int = int64(int32(binary.BigEndian.Uint32(d.data)))
	case TypeInt64:
		v.Int = int64(binary.BigEndian.Uint64(d.data))
	case TypeDouble:
		v.Float = math.Float64frombits(binary.BigEndian.Uint64(d.data))
	case TypeArray, TypeTable:
		nd := d.Nested()
		for nd.Next() {
			v.List = append(v.List, Field{Name: nd.name, Value: nd.Value()})
		}
		if *d.err != nil {
			return Value{}
		}
	}
	return v
}

// UnmarshalTable decodes table contents (see MarshalTable) completely.
// The result never aliases b.
func UnmarshalTable(b []byte) (Table, error) {
	d := NewDecoder(b)
	var t Table
	for d.Next() {
		t = append(t, Field{Name: d.Name(), Value: d.Value()})
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

// UnmarshalValue decodes one blobmsg attribute, header included (see
// MarshalValue). The whole of b must be that one attribute.
func UnmarshalValue(b []byte) (string, Value, error) {
	d := &Decoder{b: b, array: true}
	d.err = &d.root
	if !d.Next() {
		if d.Err() != nil {
			return "", Value{}, d.Err()
		}
		return "", Value{}, malformed("no attribute")
	}
	name, v := d.Name(), d.Value()
	if d.Err() != nil {
		return "", Value{}, d.Err()
	}
	if d.off != len(b) {
		return "", Value{}, malformed("%d bytes after the attribute", len(b)-d.off)
	}
	return name, v, nil
}
