package jsonx

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
)

type field struct {
	name      string
	index     []int
	omitEmpty bool
	tagged    bool
}

type fieldList struct {
	fields []field
	err    error
}

var fieldCache sync.Map // reflect.Type → *fieldList

// structFields lists the JSON members of struct type t in encoding/json's
// order and with its rules for embedded structs: a shallower field hides
// deeper ones of the same name; at equal depth a tagged field wins, and
// otherwise all of them are dropped.
func structFields(t reflect.Type) ([]field, error) {
	if fl, ok := fieldCache.Load(t); ok {
		return fl.(*fieldList).fields, fl.(*fieldList).err
	}
	var all []field
	err := collect(t, nil, map[reflect.Type]bool{}, &all)
	fl := &fieldList{err: err}
	if err == nil {
		fl.fields = dominant(all)
	}
	fieldCache.Store(t, fl)
	return fl.fields, fl.err
}

func collect(t reflect.Type, index []int, seen map[reflect.Type]bool, out *[]field) error {
	if seen[t] {
		return nil
	}
	seen[t] = true
	defer delete(seen, t)
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag, hasTag := sf.Tag.Lookup("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := sf.Type
		if sf.Anonymous {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if !sf.IsExported() && ft.Kind() != reflect.Struct {
				continue
			}
			if name == "" && ft.Kind() == reflect.Struct {
				if err := collect(ft, append(index[:len(index):len(index)], i), seen, out); err != nil {
					return err
				}
				continue
			}
		} else if !sf.IsExported() {
			continue
		}
		f := field{name: name, index: append(index[:len(index):len(index)], i), tagged: hasTag && name != ""}
		if f.name == "" {
			f.name = sf.Name
		}
		for opts != "" {
			var o string
			o, opts, _ = strings.Cut(opts, ",")
			switch o {
			case "omitempty":
				f.omitEmpty = true
			case "string":
				return fmt.Errorf("jsonx: field %s.%s: %w", t, sf.Name, errStringOption)
			}
		}
		*out = append(*out, f)
	}
	return nil
}

func dominant(all []field) []field {
	byName := map[string][]int{}
	for i, f := range all {
		byName[f.name] = append(byName[f.name], i)
	}
	keep := make([]bool, len(all))
	for _, idx := range byName {
		best := idx[0]
		for _, i := range idx[1:] {
			if len(all[i].index) < len(all[best].index) {
				best = i
			}
		}
		n, tagged := 0, 0
		for _, i := range idx {
			if len(all[i].index) == len(all[best].index) {
				n++
				if all[i].tagged {
					tagged++
					best = i
				}
			}
		}
		if n == 1 || tagged == 1 {
			keep[best] = true
		}
	}
	var out []field
	for i, f := range all {
		if keep[i] {
			out = append(out, f)
		}
	}
	// Declaration order: by index sequence, as encoding/json.
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].index, out[j].index
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return len(a) < len(b)
	})
	return out
}
