package jinja

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Value is a template value. Its dynamic type is one of:
//
//	nil          Python None
//	bool         Python bool
//	int64        Python int (no arbitrary precision: overflow is an error)
//	float64      Python float
//	string       Python str
//	*List        Python list, or tuple when Tuple is set
//	*Dict        Python dict (insertion-ordered)
//	*Namespace   jinja2's namespace()
//	*Func        a callable (global, bound method, macro)
//	Undefined    jinja2's default Undefined
//	*loopCtx     the loop variable inside for loops
type Value = any

// Undefined is jinja2's default Undefined: it prints as the empty string,
// is falsy, iterates as empty, and fails on every other use.
type Undefined struct {
	// Hint says why the value is undefined, in jinja2's words.
	Hint string
	// Err, when set, is the error any use raises (unsafe attributes).
	Err string
}

func (u Undefined) fail() error {
	if u.Err != "" {
		return fmt.Errorf("SecurityError: %s", u.Err)
	}
	if u.Hint == "" {
		return fmt.Errorf("UndefinedError: value is undefined")
	}
	return fmt.Errorf("UndefinedError: %s", u.Hint)
}

// List is a Python list, or a tuple when Tuple is set.
type List struct {
	Items []Value
	Tuple bool
}

// NewList returns a list holding items.
func NewList(items []Value) *List { return &List{Items: items} }

// NewTuple returns a tuple holding items.
func NewTuple(items ...Value) *List { return &List{Items: items, Tuple: true} }

// Dict is an insertion-ordered Python dict.
type Dict struct {
	keys []Value
	vals []Value
	idx  map[any]int
}

// NewDict returns an empty dict.
func NewDict() *Dict { return &Dict{idx: map[any]int{}} }

// Len returns the number of entries.
func (d *Dict) Len() int { return len(d.keys) }

// Set inserts or replaces the entry for key k. It fails for unhashable keys.
func (d *Dict) Set(k, v Value) error {
	h, err := hashKey(k)
	if err != nil {
		return err
	}
	if i, ok := d.idx[h]; ok {
		d.vals[i] = v
		return nil
	}
	d.idx[h] = len(d.keys)
	d.keys = append(d.keys, k)
	d.vals = append(d.vals, v)
	return nil
}

// SetString inserts or replaces the entry for a string key.
func (d *Dict) SetString(k string, v Value) {
	if i, ok := d.idx[k]; ok {
		d.vals[i] = v
		return
	}
	d.idx[k] = len(d.keys)
	d.keys = append(d.keys, k)
	d.vals = append(d.vals, v)
}

// Get returns the value for key k.
func (d *Dict) Get(k Value) (Value, bool, error) {
	h, err := hashKey(k)
	if err != nil {
		return nil, false, err
	}
	i, ok := d.idx[h]
	if !ok {
		return nil, false, nil
	}
	return d.vals[i], true, nil
}

// Keys returns the keys in insertion order (shared; do not modify).
func (d *Dict) Keys() []Value { return d.keys }

// Values returns the values in insertion order (shared; do not modify).
func (d *Dict) Values() []Value { return d.vals }

func (d *Dict) clone() *Dict {
	n := &Dict{keys: append([]Value(nil), d.keys...), vals: append([]Value(nil), d.vals...), idx: make(map[any]int, len(d.idx))}
	for k, v := range d.idx {
		n.idx[k] = v
	}
	return n
}

// noneKey and tupleKey make None and tuples usable as Go map keys.
type (
	noneKey  struct{}
	tupleKey string
)

// hashKey maps a hashable value to a Go map key so that values equal in
// Python (1, 1.0, True) share a key.
func hashKey(v Value) (any, error) {
	switch x := v.(type) {
	case nil:
		return noneKey{}, nil
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case int64, string:
		return x, nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
			return int64(x), nil
		}
		return x, nil
	case *List:
		if !x.Tuple {
			return nil, fmt.Errorf("TypeError: unhashable type: 'list'")
		}
		var b strings.Builder
		for _, it := range x.Items {
			h, err := hashKey(it)
			if err != nil {
				return nil, err
			}
			fmt.Fprintf(&b, "%T:%v\x00", h, h)
		}
		return tupleKey(b.String()), nil
	case *Dict:
		return nil, fmt.Errorf("TypeError: unhashable type: 'dict'")
	case Undefined:
		return noneKey{}, nil
	}
	return fmt.Sprintf("%p", v), nil
}

// Namespace is the object namespace() returns: attributes assignable with
// {% set ns.attr = value %} from any scope.
type Namespace struct{ attrs *Dict }

// Func is a callable value: a global function, a bound method or a macro.
type Func struct {
	Name string
	Fn   func(s *state, args []Value, kwargs []kwarg) (Value, error)
	// kind names the Python type for error messages and printing.
	kind string
}

type kwarg struct {
	name string
	val  Value
}

func typeName(v Value) string {
	switch x := v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case *List:
		if x.Tuple {
			return "tuple"
		}
		return "list"
	case *Dict:
		return "dict"
	case *Namespace:
		return "Namespace"
	case *Func:
		if x.kind != "" {
			return x.kind
		}
		return "function"
	case Undefined:
		return "Undefined"
	case *loopCtx:
		return "LoopContext"
	}
	return fmt.Sprintf("%T", v)
}

// truthy is Python's bool(v).
func truthy(v Value) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case *List:
		return len(x.Items) > 0
	case *Dict:
		return x.Len() > 0
	case Undefined:
		return false
	}
	return true
}

// toString is jinja2's to_string (Python str()) of a value.
func toString(v Value) string {
	switch x := v.(type) {
	case string:
		return x
	case Undefined:
		return ""
	}
	var b strings.Builder
	writeRepr(&b, v, false, nil)
	return b.String()
}

// repr is Python's repr(v).
func repr(v Value) string {
	var b strings.Builder
	writeRepr(&b, v, true, nil)
	return b.String()
}

// writeRepr writes str(v) (quote false) or repr(v). Containers being
// printed are in seen, so that a namespace holding itself prints as
// Python's recursion guard does ("{...}") instead of looping.
func writeRepr(b *strings.Builder, v Value, quote bool, seen map[any]bool) {
	switch x := v.(type) {
	case *List, *Dict:
		if seen[x] {
			if l, ok := x.(*List); ok && !l.Tuple {
				b.WriteString("[...]")
			} else {
				b.WriteString("{...}")
			}
			return
		}
		if seen == nil {
			seen = map[any]bool{}
		}
		seen[x] = true
		defer delete(seen, x)
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(floatRepr(x))
	case string:
		if quote {
			writeStrRepr(b, x)
		} else {
			b.WriteString(x)
		}
	case *List:
		open, close := "[", "]"
		if x.Tuple {
			open, close = "(", ")"
		}
		b.WriteString(open)
		for i, it := range x.Items {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, it, true, seen)
		}
		if x.Tuple && len(x.Items) == 1 {
			b.WriteByte(',')
		}
		b.WriteString(close)
	case *Dict:
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, k, true, seen)
			b.WriteString(": ")
			writeRepr(b, x.vals[i], true, seen)
		}
		b.WriteByte('}')
	case *Namespace:
		b.WriteString("<Namespace ")
		writeRepr(b, x.attrs, true, seen)
		b.WriteByte('>')
	case *Func:
		if x.kind == "Macro" {
			fmt.Fprintf(b, "<Macro %s>", repr(x.Name))
		} else {
			fmt.Fprintf(b, "<function %s>", x.Name)
		}
	case Undefined:
		if quote {
			b.WriteString("Undefined")
		}
	case *loopCtx:
		fmt.Fprintf(b, "<LoopContext %d/%d>", x.index+1, len(x.items))
	default:
		fmt.Fprintf(b, "%v", v)
	}
}

// writeStrRepr writes Python's repr of a str.
func writeStrRepr(b *strings.Builder, s string) {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < ' ' || r == 0x7f:
			fmt.Fprintf(b, `\x%02x`, r)
		case r < 0x7f:
			b.WriteRune(r)
		case unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			fmt.Fprintf(b, `\U%08x`, r)
		}
	}
	b.WriteByte(q)
}

// floatRepr is Python's repr(float): the shortest round-tripping digits,
// in fixed notation when the decimal exponent is in [-4, 16), else in
// exponent notation with at least two exponent digits.
func floatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // [-]d[.ddd]e±XX
	neg := false
	if e[0] == '-' {
		neg = true
		e = e[1:]
	}
	mant, expStr, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	var out string
	if exp < -4 || exp >= 16 {
		out = e
	} else if exp < 0 {
		out = "0." + strings.Repeat("0", -exp-1) + digits
	} else if len(digits) <= exp+1 {
		out = digits + strings.Repeat("0", exp+1-len(digits)) + ".0"
	} else {
		out = digits[:exp+1] + "." + digits[exp+1:]
	}
	if neg {
		return "-" + out
	}
	return out
}

// isSpace is Python's str.isspace for one rune.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// runeLen is Python's len(str).
func runeLen(s string) int { return utf8.RuneCountInString(s) }
