package jinja

import (
	"fmt"
	"slices"
)

// Attribute and item access as jinja2's ImmutableSandboxedEnvironment does
// it: obj.name tries the Python attribute (methods) before the item,
// obj[key] tries the item before the attribute, a miss is Undefined, and
// methods that mutate lists and dicts are unsafe to call.

// absent marks an argument the caller did not pass.
type absentT struct{}

var absent Value = absentT{}

// bindArgs maps positional and keyword arguments onto named parameters;
// the first required ones must be given, the others come back as absent.
func bindArgs(fn string, names []string, required int, args []Value, kwargs []kwarg) ([]Value, error) {
	if len(args) > len(names) {
		return nil, fmt.Errorf("TypeError: %s() takes at most %d argument(s) (%d given)", fn, len(names), len(args))
	}
	out := make([]Value, len(names))
	for i := range out {
		out[i] = absent
	}
	copy(out, args)
	for _, kw := range kwargs {
		i := slices.Index(names, kw.name)
		if i < 0 {
			return nil, fmt.Errorf("TypeError: %s() got an unexpected keyword argument '%s'", fn, kw.name)
		}
		if out[i] != absent {
			return nil, fmt.Errorf("TypeError: %s() got multiple values for argument '%s'", fn, kw.name)
		}
		out[i] = kw.val
	}
	for i := 0; i < required; i++ {
		if out[i] == absent {
			return nil, fmt.Errorf("TypeError: %s() missing required argument '%s'", fn, names[i])
		}
	}
	return out, nil
}

func or(v, def Value) Value {
	if v == absent {
		return def
	}
	return v
}

func noAttr(obj Value, name string) Undefined {
	switch obj.(type) {
	case nil:
		return Undefined{Hint: fmt.Sprintf("'None' has no attribute '%s'", name)}
	}
	return Undefined{Hint: fmt.Sprintf("'%s object' has no attribute '%s'", typeName(obj), name)}
}

func unsafeAttr(obj Value, name string) Undefined {
	msg := fmt.Sprintf("access to attribute '%s' of '%s' object is unsafe.", name, typeName(obj))
	return Undefined{Hint: msg, Err: msg}
}

var (
	unsafeListMethods = []string{"append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort"}
	unsafeDictMethods = []string{"clear", "pop", "popitem", "setdefault", "update"}
)

func (s *state) getattr(obj Value, name string) (Value, error) {
	switch x := obj.(type) {
	case Undefined:
		return nil, x.fail()
	case *Dict:
		if m := dictMethod(x, name); m != nil {
			return m, nil
		}
		if slices.Contains(unsafeDictMethods, name) {
			return unsafeAttr(obj, name), nil
		}
		if v, ok, _ := x.Get(name); ok {
			return v, nil
		}
	case string:
		if m := strMethod(x, name); m != nil {
			return m, nil
		}
	case *List:
		if m := listMethod(x, name); m != nil {
			return m, nil
		}
		if !x.Tuple && slices.Contains(unsafeListMethods, name) {
			return unsafeAttr(obj, name), nil
		}
	case *Namespace:
		if v, ok, _ := x.attrs.Get(name); ok {
			return v, nil
		}
	case *loopCtx:
		if v, ok := x.attr(name); ok {
			return v, nil
		}
	case bool, int64, float64:
		switch name {
		case "real":
			if b, ok := x.(bool); ok {
				i, _, _, _ := number(b)
				return i, nil
			}
			return x, nil
		case "imag":
			if _, ok := x.(float64); ok {
				return 0.0, nil
			}
			return int64(0), nil
		}
	}
	return noAttr(obj, name), nil
}

func (s *state) getitem(obj Value, key Value) (Value, error) {
	switch x := obj.(type) {
	case Undefined:
		return nil, x.fail()
	case *Dict:
		if v, ok, err := x.Get(key); err == nil && ok {
			return v, nil
		}
	case *List:
		if i, _, isFloat, ok := number(key); ok && !isFloat {
			n := int64(len(x.Items))
			if i < 0 {
				i += n
			}
			if i >= 0 && i < n {
				return x.Items[i], nil
			}
			return Undefined{Hint: fmt.Sprintf("%s object has no element %s", typeName(obj), repr(key))}, nil
		}
	case string:
		if i, _, isFloat, ok := number(key); ok && !isFloat {
			r := []rune(x)
			n := int64(len(r))
			if i < 0 {
				i += n
			}
			if i >= 0 && i < n {
				return string(r[i]), nil
			}
			return Undefined{Hint: fmt.Sprintf("str object has no element %s", repr(key))}, nil
		}
	}
	if name, ok := key.(string); ok {
		return s.getattr(obj, name)
	}
	return Undefined{Hint: fmt.Sprintf("%s object has no element %s", typeName(obj), repr(key))}, nil
}

func method(name string, fn func(s *state, args []Value, kwargs []kwarg) (Value, error)) *Func {
	return &Func{Name: name, Fn: fn, kind: "builtin_function_or_method"}
}

func dictMethod(d *Dict, name string) *Func {
	switch name {
	case "get":
		return method("get", func(_ *state, args []Value, kwargs []kwarg) (Value, error) {
			a, err := bindArgs("get", []string{"key", "default"}, 1, args, kwargs)
			if err != nil {
				return nil, err
			}
			v, ok, err := d.Get(a[0])
			if err != nil {
				return nil, err
			}
			if !ok {
				return or(a[1], nil), nil
			}
			return v, nil
		})
	case "items":
		return method("items", func(_ *state, args []Value, kwargs []kwarg) (Value, error) {
			if _, err := bindArgs("items", nil, 0, args, kwargs); err != nil {
				return nil, err
			}
			return dictItems(d), nil
		})
	case "keys":
		return method("keys", func(_ *state, args []Value, kwargs []kwarg) (Value, error) {
			if _, err := bindArgs("keys", nil, 0, args, kwargs); err != nil {
				return nil, err
			}
			return NewList(append([]Value(nil), d.keys...)), nil
		})
	case "values":
		return method("values", func(_ *state, args []Value, kwargs []kwarg) (Value, error) {
			if _, err := bindArgs("values", nil, 0, args, kwargs); err != nil {
				return nil, err
			}
			return NewList(append([]Value(nil), d.vals...)), nil
		})
	case "copy":
		return method("copy", func(_ *state, args []Value, kwargs []kwarg) (Value, error) {
			if _, err := bindArgs("copy", nil, 0, args, kwargs); err != nil {
				return nil, err
			}
			return d.clone(), nil
		})
	}
	return nil
}

func dictItems(d *Dict) *List {
	items := make([]Value, len(d.keys))
	for i, k := range d.keys {
		items[i] = NewTuple(k, d.vals[i])
	}
	return NewList(items)
}

func listMethod(l *List, name string) *Func {
	switch name {
	case "index":
		return method("index", func(_ *state, args []Value, kwargs []kwarg) (Value, error) {
			a, err := bindArgs("index", []string{"value"}, 1, args, kwargs)
			if err != nil {
				return nil, err
			}
			for i, it := range l.Items {
				if equal(it, a[0]) {
					return int64(i), nil
				}
			}
			return nil, fmt.Errorf("ValueError: %s is not in list", repr(a[0]))
		})
	case "count":
		return method("count", func(_ *state, args []Value, kwargs []kwarg) (Value, error) {
			a, err := bindArgs("count", []string{"value"}, 1, args, kwargs)
			if err != nil {
				return nil, err
			}
			n := int64(0)
			for _, it := range l.Items {
				if equal(it, a[0]) {
					n++
				}
			}
			return n, nil
		})
	case "copy":
		if l.Tuple {
			return nil
		}
		return method("copy", func(_ *state, args []Value, kwargs []kwarg) (Value, error) {
			if _, err := bindArgs("copy", nil, 0, args, kwargs); err != nil {
				return nil, err
			}
			return NewList(append([]Value(nil), l.Items...)), nil
		})
	}
	return nil
}
