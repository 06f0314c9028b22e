// Package jsonx is floatgw's small JSON codec: Marshal, MarshalIndent and
// Unmarshal for the shapes floatgw sends and receives (ubus and control
// socket replies, CLI output, the drift journal). It exists for footprint:
// in floatgw's stripped mipsle build encoding/json brought 114 KB of code
// and type data, jsonx about 50 KB, and its decoder reuses
// github.com/valyala/fastjson, which the ubus package links anyway
// (measured: 45 KB less in the binary, Go 1.26; reflect, strconv and fmt
// stay, others need them).
//
// Marshal follows encoding/json's output byte for byte for what it
// supports: `json:"name,omitempty"` and `json:"-"` tags, embedded structs,
// bool, integers, floats (same formatting), strings (same escaping,
// HTML-safe, invalid UTF-8 as U+FFFD), slices, arrays, []byte as base64,
// maps with string, integer or TextMarshaler keys (sorted), pointers,
// interfaces, [Marshaler] (MarshalJSON), encoding.TextMarshaler (which
// covers netip.Addr, netip.Prefix and time.Time), [RawMessage] and
// [Number].
//
// Unmarshal parses with fastjson (validated strictly: fastjson's Validate
// plus a check for raw control characters in strings, which it can miss;
// nesting at most 300 deep; trailing data refused) and fills structs (exact member name first,
// then case-insensitive like encoding/json), maps with string keys, slices,
// arrays, pointers, [Unmarshaler], encoding.TextUnmarshaler, [RawMessage]
// and interfaces. Numbers stored into an interface (any, map[string]any,
// []any) become [Number], never float64, so integers stay exact and
// distinguishable. [UnmarshalStrict] also refuses members that match no
// struct field (encoding/json's DisallowUnknownFields).
//
// It does not do: the `,string` tag option (a type using it is refused),
// streaming (Decoder/Encoder), HTML-escaping inside MarshalJSON output,
// or encoding/json's error types and continue-after-type-error behaviour:
// Unmarshal stops at the first mismatch and the target is then partly
// filled. A lone UTF-16 surrogate escape in input ("\ud800") is kept as
// its six characters of escape text (fastjson's behaviour) where
// encoding/json substitutes U+FFFD.
//
// All functions are safe for concurrent use; per-type field lists are
// cached.
package jsonx
