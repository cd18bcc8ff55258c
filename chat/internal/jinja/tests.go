package jinja

import (
	"fmt"
	"unicode"
)

// testFunc is a jinja2 test ("x is name(args)").
type testFunc func(s *state, v Value, args []Value, kwargs []kwarg) (bool, error)

// tests is jinja2's test table; filled once by init, read-only after.
var tests map[string]testFunc

func init() {
	cmp := func(op string) testFunc {
		return func(_ *state, v Value, args []Value, kwargs []kwarg) (bool, error) {
			a, err := bindArgs(op, []string{"other"}, 1, args, kwargs)
			if err != nil {
				return false, err
			}
			return compare(op, v, a[0])
		}
	}
	noArgs := func(name string, f func(v Value) bool) testFunc {
		return func(_ *state, v Value, args []Value, kwargs []kwarg) (bool, error) {
			if _, err := bindArgs(name, nil, 0, args, kwargs); err != nil {
				return false, err
			}
			return f(v), nil
		}
	}
	isInt := func(v Value) (int64, bool) {
		i, _, isFloat, ok := number(v)
		_, isBool := v.(bool)
		return i, ok && !isFloat && !isBool
	}
	tests = map[string]testFunc{
		"defined":   noArgs("defined", func(v Value) bool { _, u := v.(Undefined); return !u }),
		"undefined": noArgs("undefined", func(v Value) bool { _, u := v.(Undefined); return u }),
		"none":      noArgs("none", func(v Value) bool { return v == nil }),
		"boolean":   noArgs("boolean", func(v Value) bool { _, ok := v.(bool); return ok }),
		"true":      noArgs("true", func(v Value) bool { b, ok := v.(bool); return ok && b }),
		"false":     noArgs("false", func(v Value) bool { b, ok := v.(bool); return ok && !b }),
		"integer":   noArgs("integer", func(v Value) bool { _, ok := v.(int64); return ok }),
		"float":     noArgs("float", func(v Value) bool { _, ok := v.(float64); return ok }),
		"number":    noArgs("number", isNumber),
		"string":    noArgs("string", func(v Value) bool { _, ok := v.(string); return ok }),
		"mapping":   noArgs("mapping", func(v Value) bool { _, ok := v.(*Dict); return ok }),
		"iterable": noArgs("iterable", func(v Value) bool {
			switch v.(type) {
			case string, *List, *Dict, Undefined:
				return true
			}
			return false
		}),
		"sequence": noArgs("sequence", func(v Value) bool {
			switch v.(type) {
			case string, *List, *Dict, Undefined:
				return true
			}
			return false
		}),
		"callable": noArgs("callable", func(v Value) bool {
			switch x := v.(type) {
			case *Func:
				return true
			case *loopCtx:
				return x.recurse != nil
			}
			return false
		}),
		"escaped": noArgs("escaped", func(Value) bool { return false }),
		"lower":   noArgs("lower", func(v Value) bool { return pyIsLower(toString(v)) }),
		"upper":   noArgs("upper", func(v Value) bool { return pyIsUpper(toString(v)) }),
		"odd": func(_ *state, v Value, args []Value, kwargs []kwarg) (bool, error) {
			i, ok := isInt(v)
			if !ok {
				return false, fmt.Errorf("TypeError: odd test needs an integer, got %s", typeName(v))
			}
			return i%2 != 0, nil
		},
		"even": func(_ *state, v Value, args []Value, kwargs []kwarg) (bool, error) {
			i, ok := isInt(v)
			if !ok {
				return false, fmt.Errorf("TypeError: even test needs an integer, got %s", typeName(v))
			}
			return i%2 == 0, nil
		},
		"divisibleby": func(_ *state, v Value, args []Value, kwargs []kwarg) (bool, error) {
			a, err := bindArgs("divisibleby", []string{"num"}, 1, args, kwargs)
			if err != nil {
				return false, err
			}
			i, ok1 := isInt(v)
			n, ok2 := isInt(a[0])
			if !ok1 || !ok2 {
				return false, fmt.Errorf("TypeError: divisibleby needs integers")
			}
			if n == 0 {
				return false, fmt.Errorf("ZeroDivisionError: integer division or modulo by zero")
			}
			return i%n == 0, nil
		},
		"sameas": func(_ *state, v Value, args []Value, kwargs []kwarg) (bool, error) {
			a, err := bindArgs("sameas", []string{"other"}, 1, args, kwargs)
			if err != nil {
				return false, err
			}
			return sameAs(v, a[0]), nil
		},
		"in": func(_ *state, v Value, args []Value, kwargs []kwarg) (bool, error) {
			a, err := bindArgs("in", []string{"seq"}, 1, args, kwargs)
			if err != nil {
				return false, err
			}
			return contains(a[0], v)
		},
		"filter": noArgs("filter", func(v Value) bool {
			s, ok := v.(string)
			_, found := filters[s]
			return ok && found
		}),
		"test": noArgs("test", func(v Value) bool {
			s, ok := v.(string)
			_, found := tests[s]
			return ok && found
		}),
	}
	for name, op := range map[string]string{
		"eq": "==", "equalto": "==", "==": "==", "ne": "!=", "!=": "!=",
		"lt": "<", "lessthan": "<", "<": "<", "le": "<=", "<=": "<=",
		"gt": ">", "greaterthan": ">", ">": ">", "ge": ">=", ">=": ">=",
	} {
		tests[name] = cmp(op)
	}
}

// sameAs is Python's "is" for the values templates can compare.
func sameAs(a, b Value) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case int64:
		y, ok := b.(int64)
		return ok && x == y && x >= -5 && x <= 256
	case string:
		y, ok := b.(string)
		return ok && x == y && len(x) <= 1
	case Undefined:
		return false
	case float64:
		return false
	}
	return a == b
}

func (s *state) applyTest(name string, v Value, args []Value, kwargs []kwarg) (Value, error) {
	t, ok := tests[name]
	if !ok {
		return nil, fmt.Errorf("TemplateRuntimeError: no test named '%s'", name)
	}
	r, err := t(s, v, args, kwargs)
	return r, err
}

// isWordRune is the \w class of Python's re for str patterns.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsNumber(r)
}
