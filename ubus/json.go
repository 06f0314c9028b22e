package ubus

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

// JSONToBlobmsg converts a JSON object into table contents with the type
// rules of libubox blobmsg_add_json_element, which the ubus command line,
// uhttpd-mod-ubus and LuCI all use:
//
//	object → TABLE, array → ARRAY, string → STRING, true/false → INT8,
//	integer in int32 range → INT32, other integers → INT64 (saturated to the
//	int64 range like json_object_get_int64), number with a fraction or an
//	exponent → DOUBLE, null → UNSPEC.
//
// The top level must be an object (the ubus CLI answers PARSE_ERROR
// otherwise; the error returned here wraps StatusParseError). Strings and
// keys end at an embedded NUL as they do in C. A repeated key replaces the
// earlier value in place, as json-c does. Nesting deeper than MaxDepth is
// an error.
func JSONToBlobmsg(data []byte) (Table, error) {
	var p fastjson.Parser
	v, err := p.ParseBytes(data)
	if err != nil {
		return nil, fmt.Errorf("ubus: parse json: %v: %w", err, StatusParseError)
	}
	if v.Type() != fastjson.TypeObject {
		return nil, fmt.Errorf("ubus: json top level is %s, want object: %w", v.Type(), StatusParseError)
	}
	val, err := jsonValue(v, 0)
	if err != nil {
		return nil, err
	}
	return Table(val.List), nil
}

func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

func jsonValue(v *fastjson.Value, depth int) (Value, error) {
	switch v.Type() {
	case fastjson.TypeNull:
		return Null(), nil
	case fastjson.TypeTrue:
		return Bool(true), nil
	case fastjson.TypeFalse:
		return Bool(false), nil
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return String(cString(string(b))), nil
	case fastjson.TypeNumber:
		return jsonNumber(string(v.MarshalTo(nil)))
	case fastjson.TypeArray, fastjson.TypeObject:
		if depth > MaxDepth {
			return Value{}, fmt.Errorf("ubus: json nests deeper than %d: %w", MaxDepth, StatusParseError)
		}
	}
	if v.Type() == fastjson.TypeArray {
		arr, _ := v.Array()
		out := Value{Type: TypeArray}
		for _, e := range arr {
			ev, err := jsonValue(e, depth+1)
			if err != nil {
				return Value{}, err
			}
			out.List = append(out.List, Field{Value: ev})
		}
		return out, nil
	}
	obj, _ := v.Object()
	out := Value{Type: TypeTable}
	var err error
	index := map[string]int{}
	obj.Visit(func(k []byte, e *fastjson.Value) {
		if err != nil {
			return
		}
		var ev Value
		if ev, err = jsonValue(e, depth+1); err != nil {
			return
		}
		name := cString(string(k))
		if i, ok := index[name]; ok {
			out.List[i].Value = ev
			return
		}
		index[name] = len(out.List)
		out.List = append(out.List, Field{Name: name, Value: ev})
	})
	if err != nil {
		return Value{}, err
	}
	if depth > 0 {
		for _, f := range out.List {
			if f.Name == "" {
				return Value{}, fmt.Errorf("ubus: json object with an empty key: %w", StatusParseError)
			}
		}
	}
	return out, nil
}

// jsonNumber applies json-c's split: a token with '.', 'e' or 'E' is a
// double, anything else an integer.
func jsonNumber(tok string) (Value, error) {
	if strings.ContainsAny(tok, ".eE") {
		f, err := strconv.ParseFloat(tok, 64)
		if err != nil && !isRangeErr(err) {
			return Value{}, fmt.Errorf("ubus: json number %q: %w", tok, StatusParseError)
		}
		return Double(f), nil
	}
	i, err := strconv.ParseInt(tok, 10, 64)
	if err != nil {
		if !isRangeErr(err) {
			return Value{}, fmt.Errorf("ubus: json number %q: %w", tok, StatusParseError)
		}
		if strings.HasPrefix(tok, "-") {
			i = math.MinInt64
		} else {
			i = math.MaxInt64
		}
	}
	if i >= math.MinInt32 && i <= math.MaxInt32 {
		return Int32(int32(i)), nil
	}
	return Int64(i), nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// BlobmsgToJSON renders table contents as compact JSON exactly like libubox
// blobmsg_format_json (what `ubus -S call`, `ubus listen` and uhttpd print):
// INT8 as true/false, other integers as signed numbers, DOUBLE with six
// decimals ("%lf"), UNSPEC as null, strings escaped with \uXXXX for control
// characters. Two deliberate differences keep the output valid JSON: NaN and
// infinities become null, and invalid UTF-8 becomes U+FFFD. As in C, strings
// and names end at an embedded NUL.
func BlobmsgToJSON(t Table) ([]byte, error) {
	w := &jsonWriter{}
	if err := w.list(t, false, 0); err != nil {
		return nil, err
	}
	return w.buf.Bytes(), nil
}

// BlobmsgToJSONIndent renders like BlobmsgToJSON with the tab indentation
// of blobmsg_format_json_indent, byte for byte what `ubus call` prints
// (without the final newline).
func BlobmsgToJSONIndent(t Table) ([]byte, error) {
	w := &jsonWriter{indent: true}
	if err := w.list(t, false, 0); err != nil {
		return nil, err
	}
	return w.buf.Bytes(), nil
}

type jsonWriter struct {
	buf    bytes.Buffer
	indent bool
	level  int
}

func (w *jsonWriter) sep() {
	if !w.indent {
		return
	}
	w.buf.WriteByte('\n')
	for i := 0; i < w.level; i++ {
		w.buf.WriteByte('\t')
	}
}

func (w *jsonWriter) list(list []Field, array bool, depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("ubus: nesting deeper than %d", MaxDepth)
	}
	open, close := byte('{'), byte('}')
	if array {
		open, close = '[', ']'
	}
	w.buf.WriteByte(open)
	w.level++
	w.sep()
	for i, f := range list {
		if i > 0 {
			w.buf.WriteByte(',')
			w.sep()
		}
		if name := cString(f.Name); !array && name != "" {
			w.str(name)
			if w.indent {
				w.buf.WriteString(": ")
			} else {
				w.buf.WriteByte(':')
			}
		}
		if err := w.value(f.Value, depth); err != nil {
			return err
		}
	}
	w.level--
	w.sep()
	w.buf.WriteByte(close)
	return nil
}

func (w *jsonWriter) value(v Value, depth int) error {
	switch v.Type {
	case TypeUnspec:
		w.buf.WriteString("null")
	case TypeInt8:
		if uint8(v.Int) != 0 {
			w.buf.WriteString("true")
		} else {
			w.buf.WriteString("false")
		}
	case TypeInt16:
		w.buf.WriteString(strconv.FormatInt(int64(int16(v.Int)), 10))
	case TypeInt32:
		w.buf.WriteString(strconv.FormatInt(int64(int32(v.Int)), 10))
	case TypeInt64:
		w.buf.WriteString(strconv.FormatInt(v.Int, 10))
	case TypeDouble:
		if math.IsNaN(v.Float) || math.IsInf(v.Float, 0) {
			w.buf.WriteString("null")
		} else {
			w.buf.WriteString(strconv.FormatFloat(v.Float, 'f', 6, 64))
		}
	case TypeString:
		w.str(cString(v.Str))
	case TypeArray, TypeTable:
		return w.list(v.List, v.Type == TypeArray, depth+1)
	default:
		return fmt.Errorf("ubus: unknown blobmsg type %d", v.Type)
	}
	return nil
}

// str escapes like blobmsg_format_string.
func (w *jsonWriter) str(s string) {
	const hex = "0123456789abcdef"
	w.buf.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '\b':
				w.buf.WriteString(`\b`)
			case '\n':
				w.buf.WriteString(`\n`)
			case '\t':
				w.buf.WriteString(`\t`)
			case '\r':
				w.buf.WriteString(`\r`)
			case '"', '\\':
				w.buf.WriteByte('\\')
				w.buf.WriteByte(c)
			default:
				if c < ' ' {
					w.buf.WriteString(`\u00`)
					w.buf.WriteByte(hex[c>>4])
					w.buf.WriteByte(hex[c&0xf])
				} else {
					w.buf.WriteByte(c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			w.buf.WriteString("\ufffd")
		} else {
			w.buf.WriteString(s[i : i+size])
		}
		i += size
	}
	w.buf.WriteByte('"')
}
