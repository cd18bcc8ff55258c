package jinja

import (
	"fmt"
	"math"
	"math/bits"
	"strings"
)

// Python's operators on template values.

// number returns v as an int or float; bools count as ints.
func number(v Value) (i int64, f float64, isFloat, ok bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, 1, false, true
		}
		return 0, 0, false, true
	case int64:
		return x, float64(x), false, true
	case float64:
		return 0, x, true, true
	}
	return 0, 0, false, false
}

func isNumber(v Value) bool {
	_, _, _, ok := number(v)
	return ok
}

func unsupported(op string, a, b Value) error {
	return fmt.Errorf("TypeError: unsupported operand type(s) for %s: '%s' and '%s'", op, typeName(a), typeName(b))
}

func overflow() error { return fmt.Errorf("OverflowError: integer result does not fit in 64 bits") }

func (s *state) binop(op string, a, b Value) (Value, error) {
	if u, ok := a.(Undefined); ok {
		return nil, u.fail()
	}
	if u, ok := b.(Undefined); ok {
		return nil, u.fail()
	}
	ai, af, aFloat, aNum := number(a)
	bi, bf, bFloat, bNum := number(b)
	bothNum := aNum && bNum
	anyFloat := aFloat || bFloat
	switch op {
	case "+":
		switch {
		case bothNum && anyFloat:
			return af + bf, nil
		case bothNum:
			r := ai + bi
			if (ai > 0 && bi > 0 && r < 0) || (ai < 0 && bi < 0 && r >= 0) {
				return nil, overflow()
			}
			return r, nil
		}
		switch x := a.(type) {
		case string:
			y, ok := b.(string)
			if !ok {
				return nil, fmt.Errorf("TypeError: can only concatenate str (not \"%s\") to str", typeName(b))
			}
			if err := s.checkSize(len(x) + len(y)); err != nil {
				return nil, err
			}
			return x + y, nil
		case *List:
			y, ok := b.(*List)
			if !ok || y.Tuple != x.Tuple {
				return nil, fmt.Errorf("TypeError: can only concatenate %s (not \"%s\") to %s", typeName(a), typeName(b), typeName(a))
			}
			if err := s.checkSize(len(x.Items) + len(y.Items)); err != nil {
				return nil, err
			}
			items := append(append(make([]Value, 0, len(x.Items)+len(y.Items)), x.Items...), y.Items...)
			return &List{Items: items, Tuple: x.Tuple}, nil
		}
	case "-":
		if bothNum {
			if anyFloat {
				return af - bf, nil
			}
			r := ai - bi
			if (ai >= 0) != (bi >= 0) && (r >= 0) != (ai >= 0) {
				return nil, overflow()
			}
			return r, nil
		}
	case "*":
		if bothNum {
			if anyFloat {
				return af * bf, nil
			}
			hi, lo := bits.Mul64(uint64(abs64(ai)), uint64(abs64(bi)))
			if hi != 0 || lo > math.MaxInt64 {
				return nil, overflow()
			}
			if (ai < 0) != (bi < 0) {
				return -int64(lo), nil
			}
			return int64(lo), nil
		}
		if seq, n, ok := seqTimes(a, b); ok {
			return s.repeat(seq, n)
		}
	case "/":
		if bothNum {
			if bf == 0 {
				return nil, fmt.Errorf("ZeroDivisionError: division by zero")
			}
			return af / bf, nil
		}
	case "//":
		if bothNum {
			if bf == 0 {
				return nil, fmt.Errorf("ZeroDivisionError: integer division or modulo by zero")
			}
			if anyFloat {
				return math.Floor(af / bf), nil
			}
			if ai == math.MinInt64 && bi == -1 {
				return nil, overflow()
			}
			q := ai / bi
			if (ai%bi != 0) && ((ai < 0) != (bi < 0)) {
				q--
			}
			return q, nil
		}
	case "%":
		if str, ok := a.(string); ok {
			return s.percentFormat(str, b)
		}
		if bothNum {
			if bf == 0 {
				return nil, fmt.Errorf("ZeroDivisionError: integer division or modulo by zero")
			}
			if anyFloat {
				m := math.Mod(af, bf)
				if m != 0 && (m < 0) != (bf < 0) {
					m += bf
				}
				return m, nil
			}
			if bi == -1 {
				return int64(0), nil
			}
			m := ai % bi
			if m != 0 && (m < 0) != (bi < 0) {
				m += bi
			}
			return m, nil
		}
	case "**":
		if bothNum {
			if !anyFloat && bi >= 0 {
				r := int64(1)
				base := ai
				for e := bi; e > 0; e >>= 1 {
					if e&1 == 1 {
						v, err := s.binop("*", r, base)
						if err != nil {
							return nil, err
						}
						r = v.(int64)
					}
					if e > 1 {
						v, err := s.binop("*", base, base)
						if err != nil {
							return nil, err
						}
						base = v.(int64)
					}
				}
				return r, nil
			}
			if af == 0 && bf < 0 {
				return nil, fmt.Errorf("ZeroDivisionError: 0.0 cannot be raised to a negative power")
			}
			return math.Pow(af, bf), nil
		}
	default:
		return nil, fmt.Errorf("internal error: unknown operator %s", op)
	}
	return nil, unsupported(op, a, b)
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// seqTimes recognizes sequence*int and int*sequence.
func seqTimes(a, b Value) (Value, int64, bool) {
	isSeq := func(v Value) bool {
		switch v.(type) {
		case string, *List:
			return true
		}
		return false
	}
	intOf := func(v Value) (int64, bool) {
		i, _, isFloat, ok := number(v)
		return i, ok && !isFloat
	}
	if n, ok := intOf(b); ok && isSeq(a) {
		return a, n, true
	}
	if n, ok := intOf(a); ok && isSeq(b) {
		return b, n, true
	}
	return nil, 0, false
}

func (s *state) repeat(seq Value, n int64) (Value, error) {
	if n < 0 {
		n = 0
	}
	switch x := seq.(type) {
	case string:
		if len(x) > 0 && n > int64(s.opts.MaxOutput/len(x)) {
			return nil, s.checkSize(math.MaxInt32)
		}
		return strings.Repeat(x, int(n)), nil
	case *List:
		if len(x.Items) > 0 && n > int64(s.opts.MaxOutput/len(x.Items)) {
			return nil, s.checkSize(math.MaxInt32)
		}
		out := make([]Value, 0, len(x.Items)*int(n))
		for i := int64(0); i < n; i++ {
			out = append(out, x.Items...)
		}
		return &List{Items: out, Tuple: x.Tuple}, nil
	}
	return nil, fmt.Errorf("internal error: repeat of %s", typeName(seq))
}

func unary(op string, v Value) (Value, error) {
	if u, ok := v.(Undefined); ok {
		return nil, u.fail()
	}
	i, f, isFloat, ok := number(v)
	if !ok {
		return nil, fmt.Errorf("TypeError: bad operand type for unary %s: '%s'", op, typeName(v))
	}
	if op == "+" {
		if isFloat {
			return f, nil
		}
		return i, nil
	}
	if isFloat {
		return -f, nil
	}
	if i == math.MinInt64 {
		return nil, overflow()
	}
	return -i, nil
}

// equal is Python's ==.
func equal(a, b Value) bool {
	if _, _, _, ok := number(a); ok {
		ai, af, aFloat, _ := number(a)
		bi, bf, bFloat, ok := number(b)
		if !ok {
			return false
		}
		if aFloat || bFloat {
			return af == bf
		}
		return ai == bi
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case *List:
		y, ok := b.(*List)
		if !ok || x.Tuple != y.Tuple || len(x.Items) != len(y.Items) {
			return false
		}
		for i := range x.Items {
			if !equal(x.Items[i], y.Items[i]) {
				return false
			}
		}
		return true
	case *Dict:
		y, ok := b.(*Dict)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i, k := range x.keys {
			v, found, err := y.Get(k)
			if err != nil || !found || !equal(x.vals[i], v) {
				return false
			}
		}
		return true
	case Undefined:
		_, ok := b.(Undefined)
		return ok
	}
	return a == b
}

// less is Python's a < b.
func less(a, b Value) (bool, error) {
	if u, ok := a.(Undefined); ok {
		return false, u.fail()
	}
	if u, ok := b.(Undefined); ok {
		return false, u.fail()
	}
	ai, af, aFloat, aNum := number(a)
	bi, bf, bFloat, bNum := number(b)
	if aNum && bNum {
		if aFloat || bFloat {
			return af < bf, nil
		}
		return ai < bi, nil
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return x < y, nil
		}
	case *List:
		if y, ok := b.(*List); ok && x.Tuple == y.Tuple {
			for i := 0; i < len(x.Items) && i < len(y.Items); i++ {
				if equal(x.Items[i], y.Items[i]) {
					continue
				}
				return less(x.Items[i], y.Items[i])
			}
			return len(x.Items) < len(y.Items), nil
		}
	}
	return false, fmt.Errorf("TypeError: '<' not supported between instances of '%s' and '%s'", typeName(a), typeName(b))
}

func compare(op string, a, b Value) (bool, error) {
	switch op {
	case "==":
		return equal(a, b), nil
	case "!=":
		return !equal(a, b), nil
	case "<":
		return less(a, b)
	case ">":
		return less(b, a)
	case "<=":
		lt, err := less(a, b)
		return lt || (err == nil && equal(a, b)), err
	case ">=":
		gt, err := less(b, a)
		return gt || (err == nil && equal(a, b)), err
	case "in":
		return contains(b, a)
	case "notin":
		in, err := contains(b, a)
		return !in, err
	}
	return false, fmt.Errorf("internal error: unknown comparison %s", op)
}

// contains is Python's item in container.
func contains(container, item Value) (bool, error) {
	switch c := container.(type) {
	case string:
		s, ok := item.(string)
		if !ok {
			return false, fmt.Errorf("TypeError: 'in <string>' requires string as left operand, not %s", typeName(item))
		}
		return strings.Contains(c, s), nil
	case *List:
		for _, it := range c.Items {
			if equal(it, item) {
				return true, nil
			}
		}
		return false, nil
	case *Dict:
		_, ok, err := c.Get(item)
		return ok, err
	case Undefined:
		return false, nil
	}
	return false, fmt.Errorf("TypeError: argument of type '%s' is not iterable", typeName(container))
}

// sliceIndices is Python's slice.indices(length).
func sliceIndices(start, stop, step Value, length int) (int, int, int, error) {
	toInt := func(v Value, what string) (int, bool, error) {
		if v == nil {
			return 0, false, nil
		}
		if _, ok := v.(Undefined); ok {
			return 0, false, nil
		}
		i, _, isFloat, ok := number(v)
		if !ok || isFloat {
			return 0, false, fmt.Errorf("TypeError: slice indices must be integers or None")
		}
		return int(max(min(i, math.MaxInt32), math.MinInt32)), true, nil
	}
	st, hasStep, err := toInt(step, "step")
	if err != nil {
		return 0, 0, 0, err
	}
	if !hasStep {
		st = 1
	}
	if st == 0 {
		return 0, 0, 0, fmt.Errorf("ValueError: slice step cannot be zero")
	}
	lower, upper := 0, length
	if st < 0 {
		lower, upper = -1, length-1
	}
	adjust := func(v Value, def int) (int, error) {
		i, has, err := toInt(v, "index")
		if err != nil || !has {
			return def, err
		}
		if i < 0 {
			i += length
			if i < lower {
				i = lower
			}
		} else if i > upper {
			i = upper
		}
		return i, nil
	}
	defStart, defStop := lower, upper
	if st < 0 {
		defStart, defStop = upper, lower
	}
	a, err := adjust(start, defStart)
	if err != nil {
		return 0, 0, 0, err
	}
	b, err := adjust(stop, defStop)
	if err != nil {
		return 0, 0, 0, err
	}
	return a, b, st, nil
}

func (s *state) evalSlice(obj Value, sl *sliceExpr, sc *scope) (Value, error) {
	var parts [3]Value
	for i, e := range []expr{sl.start, sl.stop, sl.step} {
		if e == nil {
			continue
		}
		v, err := s.eval(e, sc)
		if err != nil {
			return nil, err
		}
		parts[i] = v
	}
	if u, ok := obj.(Undefined); ok {
		return nil, u.fail()
	}
	n := 0
	var runes []rune
	switch x := obj.(type) {
	case *List:
		n = len(x.Items)
	case string:
		runes = []rune(x)
		n = len(runes)
	default:
		return Undefined{Hint: fmt.Sprintf("'%s' object is not subscriptable", typeName(obj))}, nil
	}
	a, b, st, err := sliceIndices(parts[0], parts[1], parts[2], n)
	if err != nil {
		return nil, err
	}
	var idx []int
	if st > 0 {
		for i := a; i < b; i += st {
			idx = append(idx, i)
		}
	} else {
		for i := a; i > b; i += st {
			idx = append(idx, i)
		}
	}
	if l, ok := obj.(*List); ok {
		out := make([]Value, len(idx))
		for k, i := range idx {
			out[k] = l.Items[i]
		}
		return &List{Items: out, Tuple: l.Tuple}, nil
	}
	out := make([]rune, len(idx))
	for k, i := range idx {
		out[k] = runes[i]
	}
	return string(out), nil
}
