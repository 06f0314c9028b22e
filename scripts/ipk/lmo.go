package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// LuCI's translation catalogs (.lmo) are what po2lmo, a host tool of the
// OpenWrt build, compiles from .po files. po2lmo is not packaged outside
// OpenWrt, so compileLMO reimplements it: same parsing rules (including
// its quirks: escapes other than \" and \\ are kept as written, an empty
// msgstr means "untranslated", every plural form gets val_id
// plural_num+1), same hash (Paul Hsieh's SuperFastHash seeded with the
// length), same layout:
//
//	values, each padded with NULs to a multiple of 4 bytes
//	index:  {key_id, val_id, offset, length} big-endian uint32s, sorted by key_id
//	offset of the index (big-endian uint32)
//
// An entry whose key and value hash alike (translation == original) is left
// out, and Plural-Forms from the header is stored under key 0. A catalog
// without any entry is nil (po2lmo deletes its output then).
// testdata/lmo holds a .po with the corner cases and po2lmo's output for it.

// sfhHash is SuperFastHash as LuCI's lmo.c has it: 16-bit little-endian
// reads, and the one or three trailing bytes read as signed chars.
func sfhHash(data []byte, init uint32) uint32 {
	if len(data) == 0 {
		return 0
	}
	get16 := func(b []byte) uint32 { return uint32(b[0]) | uint32(b[1])<<8 }
	hash := init
	rem := len(data) & 3
	for n := len(data) >> 2; n > 0; n-- {
		hash += get16(data)
		tmp := get16(data[2:])<<11 ^ hash
		hash = hash<<16 ^ tmp
		data = data[4:]
		hash += hash >> 11
	}
	switch rem {
	case 3:
		hash += get16(data)
		hash ^= hash << 16
		hash ^= uint32(int32(int8(data[2])) << 18)
		hash += hash >> 11
	case 2:
		hash += get16(data)
		hash ^= hash << 11
		hash += hash >> 17
	case 1:
		hash += uint32(int32(int8(data[0])))
		hash ^= hash << 10
		hash += hash >> 1
	}
	hash ^= hash << 3
	hash += hash >> 5
	hash ^= hash << 4
	hash += hash >> 17
	hash ^= hash << 25
	hash += hash >> 6
	return hash
}

func sfh(b []byte) uint32 { return sfhHash(b, uint32(len(b))) }

type lmoEntry struct{ key, val, offset, length uint32 }

// poMsg is one message being read; nil fields are absent, as in po2lmo.
type poMsg struct {
	ctxt, id, idPlural *[]byte
	val                [10]*[]byte
	pluralNum          int
}

// lmoWriter accumulates values and index entries.
type lmoWriter struct {
	values  bytes.Buffer
	entries []lmoEntry
}

func (w *lmoWriter) add(key, valID uint32, val []byte) {
	w.entries = append(w.entries, lmoEntry{key: key, val: valID, offset: uint32(w.values.Len()), length: uint32(len(val))})
	w.values.Write(val)
	w.values.Write(make([]byte, (4-len(val)%4)%4))
}

func (w *lmoWriter) flush(m *poMsg) {
	switch {
	case m.id != nil && m.val[0] != nil:
		for i := 0; i <= m.pluralNum; i++ {
			if m.val[i] == nil {
				continue
			}
			var key []byte
			switch {
			case m.ctxt != nil && m.idPlural != nil:
				key = append(append(append(append([]byte(nil), *m.ctxt...), 1), *m.id...), append([]byte{2}, strconv.Itoa(i)...)...)
			case m.ctxt != nil:
				key = append(append(append([]byte(nil), *m.ctxt...), 1), *m.id...)
			case m.idPlural != nil:
				key = append(append(append([]byte(nil), *m.id...), 2), strconv.Itoa(i)...)
			default:
				key = append([]byte(nil), *m.id...)
			}
			if len(key) > 4095 { // po2lmo's snprintf into char key[4096]
				key = key[:4095]
			}
			if k := sfh(key); k != sfh(*m.val[i]) {
				w.add(k, uint32(m.pluralNum+1), *m.val[i])
			}
		}
	case m.val[0] != nil:
		// The header: its lines are separated by the two characters \n.
		for _, field := range strings.Split(string(*m.val[0]), `\n`) {
			if len(field) >= 14 && strings.EqualFold(field[:14], "Plural-Forms: ") {
				w.add(0, 0, []byte(field[14:]))
				break
			}
		}
	}
	*m = poMsg{}
}

// poString returns the text between the first pair of unescaped quotes of
// a line with \" and \\ unescaped and other escapes kept, and false for a
// comment line or a line without a quote.
func poString(line string) ([]byte, bool) {
	if strings.HasPrefix(line, "#") {
		return nil, false
	}
	start := strings.IndexByte(line, '"')
	if start < 0 {
		return nil, false
	}
	var out []byte
	for i := start + 1; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line):
			i++
			if n := line[i]; n == '"' || n == '\\' {
				out = append(out, n)
			} else {
				out = append(out, '\\', n)
			}
		case c == '"':
			return out, true
		default:
			out = append(out, c)
		}
	}
	return out, true
}

// compileLMO compiles a .po file the way LuCI's po2lmo does.
func compileLMO(po []byte) ([]byte, error) {
	var (
		w   lmoWriter
		m   = poMsg{pluralNum: -1}
		cur **[]byte
	)
	set := func(p **[]byte) { *p = nil; cur = p }
	sc := bufio.NewScanner(bytes.NewReader(po))
	sc.Buffer(make([]byte, 4096), 4096)
	for lineNo := 1; ; lineNo++ {
		eof := !sc.Scan()
		if eof && sc.Err() != nil {
			return nil, fmt.Errorf("line %d: %w (po2lmo reads at most 4095 bytes per line)", lineNo, sc.Err())
		}
		line := ""
		if !eof {
			line = sc.Text()
		}
		switch {
		case strings.HasPrefix(line, `msgctxt "`):
			if m.id != nil || m.val[0] != nil {
				w.flush(&m)
			}
			set(&m.ctxt)
		case eof || strings.HasPrefix(line, `msgid "`):
			if m.id != nil || m.val[0] != nil {
				w.flush(&m)
			}
			set(&m.id)
		case strings.HasPrefix(line, `msgid_plural "`):
			set(&m.idPlural)
		case strings.HasPrefix(line, `msgstr "`), strings.HasPrefix(line, "msgstr["):
			m.pluralNum = 0
			if d := leadingDigits(line[7:]); line[6] == '[' && d != "" {
				n, err := strconv.Atoi(d)
				if err != nil {
					return nil, fmt.Errorf("line %d: plural index %s: %w", lineNo, d, err)
				}
				m.pluralNum = n
			}
			if m.pluralNum >= 10 {
				return nil, fmt.Errorf("line %d: too many plural forms", lineNo)
			}
			set(&m.val[m.pluralNum])
		}
		if eof {
			break
		}
		if cur != nil {
			if s, ok := poString(line); ok && len(s) > 0 {
				if *cur == nil {
					*cur = new([]byte)
				}
				**cur = append(**cur, s...)
			}
		}
	}
	if w.values.Len() == 0 {
		return nil, nil
	}
	sort.SliceStable(w.entries, func(i, j int) bool { return w.entries[i].key < w.entries[j].key })
	out := bytes.NewBuffer(append([]byte(nil), w.values.Bytes()...))
	for _, e := range w.entries {
		for _, v := range []uint32{e.key, e.val, e.offset, e.length} {
			_ = binary.Write(out, binary.BigEndian, v)
		}
	}
	_ = binary.Write(out, binary.BigEndian, uint32(w.values.Len()))
	return out.Bytes(), nil
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
