package jinja

import (
	"fmt"
	"strings"
	"time"
)

// maxRange is jinja2's sandbox limit on range() sizes.
const maxRange = 100000

// globals are the functions every template sees: jinja2's defaults plus
// the two Hugging Face adds (raise_exception, strftime_now). Read-only.
var globals = map[string]Value{
	"namespace":       &Func{Name: "namespace", Fn: builtinNamespace, kind: "type"},
	"dict":            &Func{Name: "dict", Fn: builtinDict, kind: "type"},
	"range":           &Func{Name: "range", Fn: builtinRange, kind: "type"},
	"cycler":          &Func{Name: "cycler", Fn: builtinCycler, kind: "type"},
	"joiner":          &Func{Name: "joiner", Fn: builtinJoiner, kind: "type"},
	"raise_exception": &Func{Name: "raise_exception", Fn: builtinRaise},
	"strftime_now":    &Func{Name: "strftime_now", Fn: builtinStrftimeNow},
	"lipsum": &Func{Name: "generate_lorem_ipsum", Fn: func(*state, []Value, []kwarg) (Value, error) {
		return nil, fmt.Errorf("lipsum() is not supported: its output is random")
	}},
}

func builtinNamespace(_ *state, args []Value, kwargs []kwarg) (Value, error) {
	ns := &Namespace{attrs: NewDict()}
	if len(args) > 1 {
		return nil, fmt.Errorf("TypeError: namespace() takes at most 1 positional argument")
	}
	if len(args) == 1 {
		switch x := args[0].(type) {
		case *Dict:
			for i, k := range x.keys {
				ks, ok := k.(string)
				if !ok {
					return nil, fmt.Errorf("TypeError: namespace() keywords must be strings")
				}
				ns.attrs.SetString(ks, x.vals[i])
			}
		default:
			return nil, fmt.Errorf("TypeError: namespace() argument must be a mapping, not %s", typeName(args[0]))
		}
	}
	for _, kw := range kwargs {
		ns.attrs.SetString(kw.name, kw.val)
	}
	return ns, nil
}

func builtinDict(s *state, args []Value, kwargs []kwarg) (Value, error) {
	d := NewDict()
	if len(args) > 1 {
		return nil, fmt.Errorf("TypeError: dict expected at most 1 argument, got %d", len(args))
	}
	if len(args) == 1 {
		switch x := args[0].(type) {
		case *Dict:
			d = x.clone()
		default:
			items, err := s.iterate(x)
			if err != nil {
				return nil, err
			}
			for _, it := range items {
				pair, ok := it.(*List)
				if !ok || len(pair.Items) != 2 {
					return nil, fmt.Errorf("ValueError: dictionary update sequence element has wrong length")
				}
				if err := d.Set(pair.Items[0], pair.Items[1]); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, kw := range kwargs {
		d.SetString(kw.name, kw.val)
	}
	return d, nil
}

func builtinRange(_ *state, args []Value, kwargs []kwarg) (Value, error) {
	if len(kwargs) > 0 {
		return nil, fmt.Errorf("TypeError: range() takes no keyword arguments")
	}
	var n [3]int64
	for i, a := range args {
		if i >= 3 {
			return nil, fmt.Errorf("TypeError: range expected at most 3 arguments, got %d", len(args))
		}
		v, err := intArg("range", a)
		if err != nil {
			return nil, err
		}
		n[i] = v
	}
	start, stop, step := int64(0), int64(0), int64(1)
	switch len(args) {
	case 0:
		return nil, fmt.Errorf("TypeError: range expected at least 1 argument, got 0")
	case 1:
		stop = n[0]
	case 2:
		start, stop = n[0], n[1]
	case 3:
		start, stop, step = n[0], n[1], n[2]
	}
	if step == 0 {
		return nil, fmt.Errorf("ValueError: range() arg 3 must not be zero")
	}
	var count int64
	if step > 0 && stop > start {
		count = (stop - start + step - 1) / step
	} else if step < 0 && stop < start {
		count = (start - stop - step - 1) / -step
	}
	if count > maxRange {
		return nil, fmt.Errorf("OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE (%d).", maxRange)
	}
	items := make([]Value, count)
	for i := range items {
		items[i] = start + int64(i)*step
	}
	return NewList(items), nil
}

func builtinCycler(_ *state, args []Value, kwargs []kwarg) (Value, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("RuntimeError: at least one item has to be provided")
	}
	items := append([]Value(nil), args...)
	pos := 0
	ns := &Namespace{attrs: NewDict()}
	update := func() { ns.attrs.SetString("current", items[pos]) }
	update()
	ns.attrs.SetString("next", &Func{Name: "next", Fn: func(*state, []Value, []kwarg) (Value, error) {
		v := items[pos]
		pos = (pos + 1) % len(items)
		update()
		return v, nil
	}})
	ns.attrs.SetString("reset", &Func{Name: "reset", Fn: func(*state, []Value, []kwarg) (Value, error) {
		pos = 0
		update()
		return nil, nil
	}})
	return ns, nil
}

func builtinJoiner(_ *state, args []Value, kwargs []kwarg) (Value, error) {
	a, err := bindArgs("joiner", []string{"sep"}, 0, args, kwargs)
	if err != nil {
		return nil, err
	}
	sep := toString(or(a[0], ", "))
	used := false
	return &Func{Name: "joiner", Fn: func(*state, []Value, []kwarg) (Value, error) {
		if !used {
			used = true
			return "", nil
		}
		return sep, nil
	}}, nil
}

func builtinRaise(_ *state, args []Value, _ []kwarg) (Value, error) {
	msg := ""
	if len(args) > 0 {
		msg = toString(args[0])
	}
	return nil, fmt.Errorf("TemplateError: %s", msg)
}

func builtinStrftimeNow(s *state, args []Value, kwargs []kwarg) (Value, error) {
	a, err := bindArgs("strftime_now", []string{"format"}, 1, args, kwargs)
	if err != nil {
		return nil, err
	}
	f, err := strArg("strftime_now", a[0])
	if err != nil {
		return nil, err
	}
	return strftime(s.opts.Now(), f), nil
}

// strftime formats t like C/Python strftime (glibc's "%-" no-padding
// flag included). Unknown directives are copied through.
func strftime(t time.Time, f string) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		noPad := false
		if f[i] == '-' && i+1 < len(f) {
			noPad = true
			i++
		}
		num := func(v, width int) {
			if noPad {
				fmt.Fprintf(&b, "%d", v)
			} else {
				fmt.Fprintf(&b, "%0*d", width, v)
			}
		}
		hour12 := t.Hour() % 12
		if hour12 == 0 {
			hour12 = 12
		}
		switch f[i] {
		case 'a':
			b.WriteString(t.Weekday().String()[:3])
		case 'A':
			b.WriteString(t.Weekday().String())
		case 'b', 'h':
			b.WriteString(t.Month().String()[:3])
		case 'B':
			b.WriteString(t.Month().String())
		case 'c':
			b.WriteString(t.Format("Mon Jan  2 15:04:05 2006"))
		case 'd':
			num(t.Day(), 2)
		case 'e':
			fmt.Fprintf(&b, "%2d", t.Day())
		case 'f':
			fmt.Fprintf(&b, "%06d", t.Nanosecond()/1000)
		case 'H':
			num(t.Hour(), 2)
		case 'I':
			num(hour12, 2)
		case 'j':
			num(t.YearDay(), 3)
		case 'm':
			num(int(t.Month()), 2)
		case 'M':
			num(t.Minute(), 2)
		case 'p':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'S':
			num(t.Second(), 2)
		case 'u':
			wd := int(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			fmt.Fprintf(&b, "%d", wd)
		case 'w':
			fmt.Fprintf(&b, "%d", int(t.Weekday()))
		case 'x':
			b.WriteString(t.Format("01/02/06"))
		case 'X':
			b.WriteString(t.Format("15:04:05"))
		case 'y':
			num(t.Year()%100, 2)
		case 'Y':
			fmt.Fprintf(&b, "%d", t.Year())
		case 'z':
			b.WriteString(t.Format("-0700"))
		case 'Z':
			b.WriteString(t.Format("MST"))
		case 'F':
			b.WriteString(t.Format("2006-01-02"))
		case 'T':
			b.WriteString(t.Format("15:04:05"))
		case 'D':
			b.WriteString(t.Format("01/02/06"))
		case 'R':
			b.WriteString(t.Format("15:04"))
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			if noPad {
				b.WriteByte('-')
			}
			b.WriteByte(f[i])
		}
	}
	return b.String()
}
