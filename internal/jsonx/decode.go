package jsonx

import (
	"encoding"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// Unmarshaler is a type that decodes itself from its JSON text.
type Unmarshaler interface {
	UnmarshalJSON([]byte) error
}

var (
	unmarshalerType     = reflect.TypeOf((*Unmarshaler)(nil)).Elem()
	textUnmarshalerType = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

// Unmarshal decodes the single JSON value in data (surrounding whitespace
// allowed) into the value v points to. Numbers stored into interfaces
// become Number. The result never aliases data.
func Unmarshal(data []byte, v any) error {
	return unmarshal(data, v, false)
}

// UnmarshalStrict is Unmarshal that also refuses object members matching
// no field of the struct they are decoded into.
func UnmarshalStrict(data []byte, v any) error {
	return unmarshal(data, v, true)
}

func unmarshal(data []byte, v any, strict bool) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("jsonx: Unmarshal needs a non-nil pointer, got %T", v)
	}
	var p fastjson.Parser
	// Parse first: it bounds the nesting depth, which Validate does not.
	jv, err := p.ParseBytes(data)
	if err != nil {
		return fmt.Errorf("jsonx: %w", err)
	}
	if err := fastjson.ValidateBytes(data); err != nil {
		return fmt.Errorf("jsonx: %w", err)
	}
	if err := checkControl(data); err != nil {
		return err
	}
	d := decoder{strict: strict}
	return d.value(jv, rv.Elem(), "")
}

type decoder struct {
	strict bool
}

// typeError describes a JSON value that does not fit the Go type.
func typeError(jv *fastjson.Value, t reflect.Type, path string) error {
	if path == "" {
		path = "value"
	}
	return fmt.Errorf("jsonx: cannot decode JSON %s into %s of Go type %s", jv.Type(), path, t)
}

// text returns a JSON string's contents, invalid UTF-8 bytes replaced by
// U+FFFD as encoding/json does; it copies.
func text(jv *fastjson.Value) string {
	b, _ := jv.StringBytes()
	return validUTF8(b)
}

// validUTF8 copies b to a string with each invalid byte replaced by U+FFFD.
func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			sb.WriteString("\uFFFD")
		} else {
			sb.Write(b[:size])
		}
		b = b[size:]
	}
	return sb.String()
}

func (d *decoder) value(jv *fastjson.Value, v reflect.Value, path string) error {
	jt := jv.Type()
	if v.Type() == rawType {
		// Like json.RawMessage: null is kept as the text "null".
		v.SetBytes(appendJSON(nil, jv))
		return nil
	}
	if jt == fastjson.TypeNull {
		switch v.Kind() {
		case reflect.Interface, reflect.Pointer, reflect.Map, reflect.Slice:
			v.SetZero()
		}
		return nil
	}
	t := v.Type()
	if t == numberType {
		if jt != fastjson.TypeNumber {
			return typeError(jv, t, path)
		}
		v.SetString(string(jv.MarshalTo(nil)))
		return nil
	}
	if t.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return d.value(jv, v.Elem(), path)
	}
	if v.CanAddr() {
		pt := reflect.PointerTo(t)
		if pt.Implements(unmarshalerType) {
			return v.Addr().Interface().(Unmarshaler).UnmarshalJSON(appendJSON(nil, jv))
		}
		if pt.Implements(textUnmarshalerType) {
			if jt != fastjson.TypeString {
				return typeError(jv, t, path)
			}
			b, _ := jv.StringBytes()
			return v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText(append([]byte(nil), b...))
		}
	}
	switch t.Kind() {
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return typeError(jv, t, path)
		}
		g, err := generic(jv)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(g))
		return nil
	case reflect.Bool:
		switch jt {
		case fastjson.TypeTrue:
			v.SetBool(true)
		case fastjson.TypeFalse:
			v.SetBool(false)
		default:
			return typeError(jv, t, path)
		}
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if jt != fastjson.TypeNumber {
			return typeError(jv, t, path)
		}
		s := string(jv.MarshalTo(nil))
		n, err := strconv.ParseInt(s, 10, t.Bits())
		if err != nil {
			return fmt.Errorf("jsonx: cannot decode number %s into %s of Go type %s", s, orValue(path), t)
		}
		v.SetInt(n)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if jt != fastjson.TypeNumber {
			return typeError(jv, t, path)
		}
		s := string(jv.MarshalTo(nil))
		n, err := strconv.ParseUint(s, 10, t.Bits())
		if err != nil {
			return fmt.Errorf("jsonx: cannot decode number %s into %s of Go type %s", s, orValue(path), t)
		}
		v.SetUint(n)
		return nil
	case reflect.Float32, reflect.Float64:
		if jt != fastjson.TypeNumber {
			return typeError(jv, t, path)
		}
		s := string(jv.MarshalTo(nil))
		f, err := strconv.ParseFloat(s, t.Bits())
		if err != nil {
			return fmt.Errorf("jsonx: cannot decode number %s into %s of Go type %s", s, orValue(path), t)
		}
		v.SetFloat(f)
		return nil
	case reflect.String:
		if jt != fastjson.TypeString {
			return typeError(jv, t, path)
		}
		v.SetString(text(jv))
		return nil
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && jt == fastjson.TypeString {
			b, _ := jv.StringBytes()
			out, err := base64.StdEncoding.DecodeString(string(b))
			if err != nil {
				return fmt.Errorf("jsonx: %s: %w", orValue(path), err)
			}
			v.SetBytes(out)
			return nil
		}
		if jt != fastjson.TypeArray {
			return typeError(jv, t, path)
		}
		items, _ := jv.Array()
		s := reflect.MakeSlice(t, len(items), len(items))
		for i, it := range items {
			if err := d.value(it, s.Index(i), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Array:
		if jt != fastjson.TypeArray {
			return typeError(jv, t, path)
		}
		items, _ := jv.Array()
		for i := 0; i < v.Len(); i++ {
			if i < len(items) {
				if err := d.value(items[i], v.Index(i), path+"["+strconv.Itoa(i)+"]"); err != nil {
					return err
				}
			} else {
				v.Index(i).SetZero()
			}
		}
		return nil
	case reflect.Map:
		if jt != fastjson.TypeObject {
			return typeError(jv, t, path)
		}
		if t.Key().Kind() != reflect.String {
			return fmt.Errorf("jsonx: unsupported map key type %s", t.Key())
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(t))
		}
		o, _ := jv.Object()
		var err error
		o.Visit(func(key []byte, mv *fastjson.Value) {
			if err != nil {
				return
			}
			k := validUTF8(key)
			ev := reflect.New(t.Elem()).Elem()
			if err = d.value(mv, ev, path+"."+k); err != nil {
				return
			}
			v.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), ev)
		})
		return err
	case reflect.Struct:
		if jt != fastjson.TypeObject {
			return typeError(jv, t, path)
		}
		fields, err := structFields(t)
		if err != nil {
			return err
		}
		o, _ := jv.Object()
		o.Visit(func(key []byte, mv *fastjson.Value) {
			if err != nil {
				return
			}
			f := lookup(fields, key)
			if f == nil {
				if d.strict {
					err = fmt.Errorf("jsonx: unknown member %q in %s", key, orValue(path))
				}
				return
			}
			fv, ferr := fieldForSet(v, f.index)
			if ferr != nil {
				err = ferr
				return
			}
			err = d.value(mv, fv, path+"."+f.name)
		})
		return err
	}
	return fmt.Errorf("jsonx: unsupported type %s", t)
}

func orValue(path string) string {
	if path == "" {
		return "value"
	}
	return path
}

// lookup finds the field for an object member: exact name first, then
// case-insensitively, as encoding/json.
func lookup(fields []field, key []byte) *field {
	for i := range fields {
		if fields[i].name == string(key) {
			return &fields[i]
		}
	}
	for i := range fields {
		if strings.EqualFold(fields[i].name, string(key)) {
			return &fields[i]
		}
	}
	return nil
}

// fieldForSet follows index, allocating nil embedded pointers.
func fieldForSet(v reflect.Value, index []int) (reflect.Value, error) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return reflect.Value{}, errors.New("jsonx: cannot set embedded pointer to unexported struct")
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, nil
}

// generic converts a JSON value to nil, bool, Number, string, []any or
// map[string]any.
func generic(jv *fastjson.Value) (any, error) {
	switch jv.Type() {
	case fastjson.TypeNull:
		return nil, nil
	case fastjson.TypeTrue:
		return true, nil
	case fastjson.TypeFalse:
		return false, nil
	case fastjson.TypeNumber:
		return Number(jv.MarshalTo(nil)), nil
	case fastjson.TypeString:
		return text(jv), nil
	case fastjson.TypeArray:
		items, _ := jv.Array()
		out := make([]any, len(items))
		for i, it := range items {
			g, err := generic(it)
			if err != nil {
				return nil, err
			}
			out[i] = g
		}
		return out, nil
	case fastjson.TypeObject:
		o, _ := jv.Object()
		out := make(map[string]any, o.Len())
		var err error
		o.Visit(func(key []byte, mv *fastjson.Value) {
			if err != nil {
				return
			}
			var g any
			g, err = generic(mv)
			out[validUTF8(key)] = g
		})
		return out, err
	}
	return nil, fmt.Errorf("jsonx: unexpected JSON type %s", jv.Type())
}

// appendJSON writes jv back as compact JSON with Marshal's string escaping.
// (fastjson's own MarshalTo quotes strings with strconv, whose \x escapes
// are not JSON.)
func appendJSON(b []byte, jv *fastjson.Value) []byte {
	switch jv.Type() {
	case fastjson.TypeString:
		return appendString(b, text(jv))
	case fastjson.TypeArray:
		items, _ := jv.Array()
		b = append(b, '[')
		for i, it := range items {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, it)
		}
		return append(b, ']')
	case fastjson.TypeObject:
		o, _ := jv.Object()
		b = append(b, '{')
		first := true
		o.Visit(func(key []byte, mv *fastjson.Value) {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendString(b, validUTF8(key))
			b = append(b, ':')
			b = appendJSON(b, mv)
		})
		return append(b, '}')
	}
	// Numbers keep their text; true, false and null.
	return jv.MarshalTo(b)
}

// checkControl refuses raw control characters inside strings. fastjson's
// Validate misses those that come before an escape sequence in the same
// string ("\x00\\b").
func checkControl(data []byte) error {
	in := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch {
		case !in:
			in = c == '"'
		case c == '\\':
			i++
		case c == '"':
			in = false
		case c < 0x20:
			return fmt.Errorf("jsonx: control character 0x%02x in a string at offset %d", c, i)
		}
	}
	return nil
}
