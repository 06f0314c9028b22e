package jsonx

import (
	"encoding"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// Marshaler is a type that encodes itself; its output must be valid JSON.
type Marshaler interface {
	MarshalJSON() ([]byte, error)
}

// RawMessage is encoded JSON. Marshal copies it (whitespace removed) after
// checking it is valid; an empty RawMessage encodes as null. Unmarshal
// stores the member's JSON re-encoded compactly: same values and member
// order, strings escaped as Marshal does.
type RawMessage []byte

// Number is a JSON number kept as its text. Unmarshal produces it for
// numbers stored into an interface; Marshal writes it unquoted.
type Number string

// String returns the number's text.
func (n Number) String() string { return string(n) }

// Int64 returns the number as an int64; it fails for fractions, exponents
// and values out of range.
func (n Number) Int64() (int64, error) { return strconv.ParseInt(string(n), 10, 64) }

// Float64 returns the number as a float64.
func (n Number) Float64() (float64, error) { return strconv.ParseFloat(string(n), 64) }

var (
	marshalerType     = reflect.TypeOf((*Marshaler)(nil)).Elem()
	textMarshalerType = reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()
	rawType           = reflect.TypeOf(RawMessage(nil))
	numberType        = reflect.TypeOf(Number(""))
)

// maxEncodeDepth bounds pointer and interface nesting while encoding, so
// a cyclic value fails instead of overflowing the stack.
const maxEncodeDepth = 1000

// Marshal returns the JSON encoding of v, as encoding/json would.
func Marshal(v any) ([]byte, error) {
	return appendValue(nil, reflect.ValueOf(v), 0)
}

// MarshalIndent is Marshal with each element on its own line, starting
// with prefix and indented by indent per level, as encoding/json's.
func MarshalIndent(v any, prefix, indent string) ([]byte, error) {
	b, err := Marshal(v)
	if err != nil {
		return nil, err
	}
	return appendIndent(make([]byte, 0, len(b)*2), b, prefix, indent), nil
}

func appendValue(b []byte, v reflect.Value, depth int) ([]byte, error) {
	if !v.IsValid() {
		return append(b, "null"...), nil
	}
	if depth > maxEncodeDepth {
		return nil, fmt.Errorf("jsonx: nesting deeper than %d (cyclic value?)", maxEncodeDepth)
	}
	t := v.Type()
	switch t {
	case rawType:
		return appendRaw(b, v.Bytes(), "RawMessage")
	case numberType:
		s := v.String()
		if s == "" {
			s = "0"
		}
		if !validNumber(s) {
			return nil, fmt.Errorf("jsonx: invalid number literal %q", s)
		}
		return append(b, s...), nil
	}
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && v.CanAddr() {
		pt := reflect.PointerTo(t)
		if !t.Implements(marshalerType) && !t.Implements(textMarshalerType) &&
			(pt.Implements(marshalerType) || pt.Implements(textMarshalerType)) {
			v = v.Addr()
			t = pt
		}
	}
	if t.Implements(marshalerType) {
		if t.Kind() == reflect.Pointer && v.IsNil() {
			return append(b, "null"...), nil
		}
		out, err := v.Interface().(Marshaler).MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("jsonx: MarshalJSON of %s: %w", t, err)
		}
		return appendRaw(b, out, t.String())
	}
	if t.Implements(textMarshalerType) {
		if t.Kind() == reflect.Pointer && v.IsNil() {
			return append(b, "null"...), nil
		}
		out, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			return nil, fmt.Errorf("jsonx: MarshalText of %s: %w", t, err)
		}
		return appendString(b, string(out)), nil
	}
	switch t.Kind() {
	case reflect.Bool:
		return strconv.AppendBool(b, v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.AppendUint(b, v.Uint(), 10), nil
	case reflect.Float32:
		return appendFloat(b, v.Float(), 32)
	case reflect.Float64:
		return appendFloat(b, v.Float(), 64)
	case reflect.String:
		return appendString(b, v.String()), nil
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		return appendValue(b, v.Elem(), depth+1)
	case reflect.Struct:
		return appendStruct(b, v, depth)
	case reflect.Map:
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		return appendMap(b, v, depth)
	case reflect.Slice:
		if v.IsNil() {
			return append(b, "null"...), nil
		}
		if t.Elem().Kind() == reflect.Uint8 && !reflect.PointerTo(t.Elem()).Implements(marshalerType) &&
			!reflect.PointerTo(t.Elem()).Implements(textMarshalerType) {
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, v.Bytes())
			return append(b, '"'), nil
		}
		return appendArray(b, v, depth)
	case reflect.Array:
		return appendArray(b, v, depth)
	}
	return nil, fmt.Errorf("jsonx: unsupported type %s", t)
}

func appendArray(b []byte, v reflect.Value, depth int) ([]byte, error) {
	b = append(b, '[')
	var err error
	for i, n := 0, v.Len(); i < n; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendValue(b, v.Index(i), depth+1); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

func appendStruct(b []byte, v reflect.Value, depth int) ([]byte, error) {
	fields, err := structFields(v.Type())
	if err != nil {
		return nil, err
	}
	b = append(b, '{')
	first := true
	for i := range fields {
		f := &fields[i]
		fv, ok := fieldByIndex(v, f.index)
		if !ok || (f.omitEmpty && isEmpty(fv)) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, f.name)
		b = append(b, ':')
		if b, err = appendValue(b, fv, depth+1); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// fieldByIndex follows index through embedded pointers; ok is false when
// one of them is nil.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

type mapEntry struct {
	key string
	val reflect.Value
}

func appendMap(b []byte, v reflect.Value, depth int) ([]byte, error) {
	kt := v.Type().Key()
	entries := make([]mapEntry, 0, v.Len())
	it := v.MapRange()
	for it.Next() {
		k := it.Key()
		var ks string
		switch {
		case kt.Kind() == reflect.String:
			ks = k.String()
		case kt.Implements(textMarshalerType):
			if kt.Kind() == reflect.Pointer && k.IsNil() {
				ks = ""
				break
			}
			out, err := k.Interface().(encoding.TextMarshaler).MarshalText()
			if err != nil {
				return nil, fmt.Errorf("jsonx: MarshalText of map key %s: %w", kt, err)
			}
			ks = string(out)
		case kt.Kind() >= reflect.Int && kt.Kind() <= reflect.Int64:
			ks = strconv.FormatInt(k.Int(), 10)
		case kt.Kind() >= reflect.Uint && kt.Kind() <= reflect.Uintptr:
			ks = strconv.FormatUint(k.Uint(), 10)
		default:
			return nil, fmt.Errorf("jsonx: unsupported map key type %s", kt)
		}
		entries = append(entries, mapEntry{ks, it.Value()})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
	b = append(b, '{')
	var err error
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, e.key)
		b = append(b, ':')
		if b, err = appendValue(b, e.val, depth+1); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendFloat formats f like encoding/json: shortest representation,
// exponent form only below 1e-6 or from 1e21, "e-07" shortened to "e-7".
func appendFloat(b []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("jsonx: unsupported value %s", strconv.FormatFloat(f, 'g', -1, bits))
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

const hexDigits = "0123456789abcdef"

// appendString quotes s like encoding/json with HTML escaping: <, >, &,
// U+2028 and U+2029 as \u escapes, control characters escaped, invalid
// UTF-8 bytes as \ufffd.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendRaw appends the JSON text raw without insignificant whitespace,
// after checking that it is one valid JSON value.
func appendRaw(b, raw []byte, what string) ([]byte, error) {
	if len(raw) == 0 {
		return append(b, "null"...), nil
	}
	if err := fastjson.ValidateBytes(raw); err != nil {
		return nil, fmt.Errorf("jsonx: invalid JSON from %s: %w", what, err)
	}
	inString := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if inString {
			b = append(b, c)
			switch c {
			case '\\':
				i++
				b = append(b, raw[i])
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
		case '"':
			inString = true
			b = append(b, c)
		default:
			b = append(b, c)
		}
	}
	return b, nil
}

// appendIndent re-lays out the compact, valid JSON src like json.Indent.
func appendIndent(b, src []byte, prefix, indent string) []byte {
	depth := 0
	newline := func() {
		b = append(b, '\n')
		b = append(b, prefix...)
		for i := 0; i < depth; i++ {
			b = append(b, indent...)
		}
	}
	inString := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inString {
			b = append(b, c)
			switch c {
			case '\\':
				i++
				b = append(b, src[i])
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			b = append(b, c)
		case '{', '[':
			b = append(b, c)
			if i+1 < len(src) && (src[i+1] == '}' || src[i+1] == ']') {
				i++
				b = append(b, src[i])
				continue
			}
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			b = append(b, c)
		case ',':
			b = append(b, c)
			newline()
		case ':':
			b = append(b, ':', ' ')
		default:
			b = append(b, c)
		}
	}
	return b
}

// validNumber reports whether s is a JSON number literal.
func validNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

var errStringOption = errors.New("the `,string` tag option is not supported")
