package jinja

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Filters over sequences and mappings.

func filterBatch(s *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
	a, err := bindArgs("batch", []string{"linecount", "fill_with"}, 1, args, kwargs)
	if err != nil {
		return nil, err
	}
	n, err := intArg("batch", a[0])
	if err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, fmt.Errorf("ValueError: batch size must be positive")
	}
	items, err := s.iterate(v)
	if err != nil {
		return nil, err
	}
	var out []Value
	for i := 0; i < len(items); i += int(n) {
		chunk := append([]Value(nil), items[i:min(len(items), i+int(n))]...)
		if len(chunk) < int(n) && a[1] != absent && a[1] != nil {
			for len(chunk) < int(n) {
				chunk = append(chunk, a[1])
			}
		}
		out = append(out, NewList(chunk))
	}
	return NewList(out), nil
}

func length(v Value) (int, error) {
	switch x := v.(type) {
	case string:
		return runeLen(x), nil
	case *List:
		return len(x.Items), nil
	case *Dict:
		return x.Len(), nil
	case Undefined:
		return 0, nil
	case *loopCtx:
		return len(x.items), nil
	}
	return 0, fmt.Errorf("TypeError: object of type '%s' has no len()", typeName(v))
}

func filterLength(_ *state, v Value, _ []Value, _ []kwarg) (Value, error) {
	n, err := length(v)
	return int64(n), err
}

// sortValues is Python's stable sorted(items, key=key, reverse=reverse).
func sortValues(items []Value, key func(Value) (Value, error), reverse bool) ([]Value, error) {
	keys := make([]Value, len(items))
	for i, it := range items {
		k, err := key(it)
		if err != nil {
			return nil, err
		}
		keys[i] = k
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	var sortErr error
	slices.SortStableFunc(idx, func(i, j int) int {
		a, b := keys[i], keys[j]
		if reverse {
			a, b = b, a
		}
		lt, err := less(a, b)
		if err != nil && sortErr == nil {
			sortErr = err
		}
		if lt {
			return -1
		}
		if gt, _ := less(b, a); gt {
			return 1
		}
		return 0
	})
	if sortErr != nil {
		return nil, sortErr
	}
	out := make([]Value, len(items))
	for k, i := range idx {
		out[k] = items[i]
	}
	return out, nil
}

func filterDictsort(_ *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
	a, err := bindArgs("dictsort", []string{"case_sensitive", "by", "reverse"}, 0, args, kwargs)
	if err != nil {
		return nil, err
	}
	d, ok := v.(*Dict)
	if !ok {
		return nil, fmt.Errorf("TypeError: dictsort needs a mapping, not %s", typeName(v))
	}
	pos := 0
	switch or(a[1], "key") {
	case "key":
	case "value":
		pos = 1
	default:
		return nil, fmt.Errorf("FilterArgumentError: You can only sort by either \"key\" or \"value\"")
	}
	cs := truthy(or(a[0], false))
	out, err := sortValues(dictItems(d).Items, func(it Value) (Value, error) {
		k := it.(*List).Items[pos]
		if !cs {
			k = ignoreCase(k)
		}
		return k, nil
	}, truthy(or(a[2], false)))
	return NewList(out), err
}

func filterFirst(s *state, v Value, _ []Value, _ []kwarg) (Value, error) {
	items, err := s.iterate(v)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return Undefined{Hint: "No first item, sequence was empty."}, nil
	}
	return items[0], nil
}

func filterLast(s *state, v Value, _ []Value, _ []kwarg) (Value, error) {
	switch v.(type) {
	case string, *List, *Dict, Undefined:
	default:
		return nil, fmt.Errorf("TypeError: '%s' object is not reversible", typeName(v))
	}
	items, err := s.iterate(v)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return Undefined{Hint: "No last item, sequence was empty."}, nil
	}
	return items[len(items)-1], nil
}

func filterItems(_ *state, v Value, _ []Value, _ []kwarg) (Value, error) {
	switch x := v.(type) {
	case Undefined:
		return NewList(nil), nil
	case *Dict:
		return dictItems(x), nil
	}
	return nil, fmt.Errorf("TypeError: Can only get item pairs from a mapping.")
}

// attrGetter is jinja2's make_attrgetter: a dotted path of item lookups
// ("a.b.0"), with an optional default for undefined results.
func (s *state) attrGetter(attr Value, def Value, lower bool) func(Value) (Value, error) {
	var parts []Value
	if attr == nil || attr == absent {
		// no attribute: the item itself
	} else if str, ok := attr.(string); ok {
		for _, p := range strings.Split(str, ".") {
			if n, err := strconv.ParseInt(p, 10, 64); err == nil && p != "" && strings.Trim(p, "0123456789") == "" {
				parts = append(parts, n)
			} else {
				parts = append(parts, p)
			}
		}
	} else {
		parts = []Value{attr}
	}
	return func(it Value) (Value, error) {
		for _, p := range parts {
			var err error
			if it, err = s.getitem(it, p); err != nil {
				return nil, err
			}
		}
		if _, undef := it.(Undefined); undef && def != nil && def != absent {
			it = def
		}
		if lower {
			it = ignoreCase(it)
		}
		return it, nil
	}
}

func filterJoin(s *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
	a, err := bindArgs("join", []string{"d", "attribute"}, 0, args, kwargs)
	if err != nil {
		return nil, err
	}
	items, err := s.iterate(v)
	if err != nil {
		return nil, err
	}
	if a[1] != absent && a[1] != nil {
		get := s.attrGetter(a[1], nil, false)
		for i, it := range items {
			if items[i], err = get(it); err != nil {
				return nil, err
			}
		}
	}
	parts := make([]string, len(items))
	n := 0
	for i, it := range items {
		parts[i] = toString(it)
		n += len(parts[i])
	}
	if err := s.checkSize(n); err != nil {
		return nil, err
	}
	return strings.Join(parts, toString(or(a[0], ""))), nil
}

func filterList(s *state, v Value, _ []Value, _ []kwarg) (Value, error) {
	items, err := s.iterate(v)
	return NewList(items), err
}

func filterMap(s *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
	items, err := s.iterate(v)
	if err != nil {
		return nil, err
	}
	var fn func(Value) (Value, error)
	if len(args) == 0 && len(kwargs) > 0 {
		var attr, def Value = absent, nil
		for _, kw := range kwargs {
			switch kw.name {
			case "attribute":
				attr = kw.val
			case "default":
				def = kw.val
			default:
				return nil, fmt.Errorf("FilterArgumentError: Unexpected keyword argument %s", repr(kw.name))
			}
		}
		if attr == absent {
			return nil, fmt.Errorf("FilterArgumentError: map requires a filter argument")
		}
		fn = s.attrGetter(attr, def, false)
	} else {
		if len(args) == 0 {
			return nil, fmt.Errorf("FilterArgumentError: map requires a filter argument")
		}
		name, err := strArg("map", args[0])
		if err != nil {
			return nil, err
		}
		fn = func(it Value) (Value, error) { return s.callFilter(name, it, args[1:], kwargs) }
	}
	out := make([]Value, len(items))
	for i, it := range items {
		if out[i], err = fn(it); err != nil {
			return nil, err
		}
	}
	return NewList(out), nil
}

func minMax(isMin bool) filterFunc {
	return func(s *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
		a, err := bindArgs(map[bool]string{true: "min", false: "max"}[isMin], []string{"case_sensitive", "attribute"}, 0, args, kwargs)
		if err != nil {
			return nil, err
		}
		items, err := s.iterate(v)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return Undefined{Hint: "No aggregated item, sequence was empty."}, nil
		}
		lower := !truthy(or(a[0], false))
		key := func(it Value) (Value, error) {
			if lower {
				return ignoreCase(it), nil
			}
			return it, nil
		}
		if a[1] != absent && a[1] != nil {
			key = s.attrGetter(a[1], nil, lower)
		}
		best := items[0]
		bk, err := key(best)
		if err != nil {
			return nil, err
		}
		for _, it := range items[1:] {
			k, err := key(it)
			if err != nil {
				return nil, err
			}
			var better bool
			if isMin {
				better, err = less(k, bk)
			} else {
				better, err = less(bk, k)
			}
			if err != nil {
				return nil, err
			}
			if better {
				best, bk = it, k
			}
		}
		return best, nil
	}
}

// selectFilter builds select/reject and selectattr/rejectattr.
func selectFilter(keep, byAttr bool) filterFunc {
	return func(s *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
		items, err := s.iterate(v)
		if err != nil {
			return nil, err
		}
		get := func(it Value) (Value, error) { return it, nil }
		if byAttr {
			if len(args) == 0 {
				return nil, fmt.Errorf("FilterArgumentError: Missing parameter for attribute name")
			}
			get = s.attrGetter(args[0], nil, false)
			args = args[1:]
		}
		test := func(x Value) (bool, error) { return truthy(x), nil }
		if len(args) > 0 {
			name, err := strArg("select", args[0])
			if err != nil {
				return nil, err
			}
			targs := args[1:]
			test = func(x Value) (bool, error) {
				r, err := s.applyTest(name, x, targs, kwargs)
				return truthy(r), err
			}
		}
		var out []Value
		for _, it := range items {
			x, err := get(it)
			if err != nil {
				return nil, err
			}
			ok, err := test(x)
			if err != nil {
				return nil, err
			}
			if ok == keep {
				out = append(out, it)
			}
		}
		return NewList(out), nil
	}
}

func filterReverse(s *state, v Value, _ []Value, _ []kwarg) (Value, error) {
	if str, ok := v.(string); ok {
		r := []rune(str)
		slices.Reverse(r)
		return string(r), nil
	}
	items, err := s.iterate(v)
	if err != nil {
		return nil, fmt.Errorf("FilterArgumentError: argument must be iterable")
	}
	slices.Reverse(items)
	return NewList(items), nil
}

func filterSort(s *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
	a, err := bindArgs("sort", []string{"reverse", "case_sensitive", "attribute"}, 0, args, kwargs)
	if err != nil {
		return nil, err
	}
	items, err := s.iterate(v)
	if err != nil {
		return nil, err
	}
	// jinja2's make_multi_attrgetter: the key is a list with one entry
	// per comma-separated attribute, so equal keys (even undefined ones)
	// compare by == and never reach <.
	lower := !truthy(or(a[1], false))
	var getters []func(Value) (Value, error)
	if attr, ok := a[2].(string); ok {
		for _, part := range strings.Split(attr, ",") {
			getters = append(getters, s.attrGetter(part, nil, lower))
		}
	} else {
		getters = append(getters, s.attrGetter(or(a[2], nil), nil, lower))
	}
	key := func(it Value) (Value, error) {
		k := make([]Value, len(getters))
		for i, g := range getters {
			var err error
			if k[i], err = g(it); err != nil {
				return nil, err
			}
		}
		return NewList(k), nil
	}
	out, err := sortValues(items, key, truthy(or(a[0], false)))
	return NewList(out), err
}

func filterSum(s *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
	a, err := bindArgs("sum", []string{"attribute", "start"}, 0, args, kwargs)
	if err != nil {
		return nil, err
	}
	items, err := s.iterate(v)
	if err != nil {
		return nil, err
	}
	if a[0] != absent && a[0] != nil {
		get := s.attrGetter(a[0], nil, false)
		for i, it := range items {
			if items[i], err = get(it); err != nil {
				return nil, err
			}
		}
	}
	total := or(a[1], int64(0))
	if _, isStr := total.(string); isStr {
		return nil, fmt.Errorf("TypeError: sum() can't sum strings [use ''.join(seq) instead]")
	}
	for _, it := range items {
		if total, err = s.binop("+", total, it); err != nil {
			return nil, err
		}
	}
	return total, nil
}

func filterUnique(s *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
	a, err := bindArgs("unique", []string{"case_sensitive", "attribute"}, 0, args, kwargs)
	if err != nil {
		return nil, err
	}
	items, err := s.iterate(v)
	if err != nil {
		return nil, err
	}
	lower := !truthy(or(a[0], false))
	key := func(it Value) (Value, error) {
		if lower {
			return ignoreCase(it), nil
		}
		return it, nil
	}
	if a[1] != absent && a[1] != nil {
		key = s.attrGetter(a[1], nil, lower)
	}
	seen := NewDict()
	var out []Value
	for _, it := range items {
		k, err := key(it)
		if err != nil {
			return nil, err
		}
		if _, ok, err := seen.Get(k); err != nil {
			return nil, err
		} else if ok {
			continue
		}
		_ = seen.Set(k, true)
		out = append(out, it)
	}
	return NewList(out), nil
}
