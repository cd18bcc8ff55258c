package jinja

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// percentFormat is Python's printf-style str % args.
func (s *state) percentFormat(format string, arg Value) (Value, error) {
	var args []Value
	var mapping *Dict
	switch x := arg.(type) {
	case *List:
		if x.Tuple {
			args = x.Items
		} else {
			args = []Value{x}
		}
	case *Dict:
		mapping = x
		args = []Value{x}
	default:
		args = []Value{arg}
	}
	next := 0
	take := func() (Value, error) {
		if next >= len(args) {
			return nil, fmt.Errorf("TypeError: not enough arguments for format string")
		}
		next++
		return args[next-1], nil
	}
	var b strings.Builder
	for i := 0; i < len(format); {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			i++
			continue
		}
		i++
		if i >= len(format) {
			return nil, fmt.Errorf("ValueError: incomplete format")
		}
		var val Value
		haveVal := false
		if format[i] == '(' {
			end := strings.IndexByte(format[i:], ')')
			if end < 0 {
				return nil, fmt.Errorf("ValueError: incomplete format key")
			}
			if mapping == nil {
				return nil, fmt.Errorf("TypeError: format requires a mapping")
			}
			v, ok, err := mapping.Get(format[i+1 : i+end])
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("KeyError: %s", repr(format[i+1:i+end]))
			}
			val, haveVal = v, true
			i += end + 1
		}
		flags := ""
		for i < len(format) && strings.IndexByte("-+ #0", format[i]) >= 0 {
			flags += string(format[i])
			i++
		}
		readNum := func() (string, error) {
			if i < len(format) && format[i] == '*' {
				i++
				v, err := take()
				if err != nil {
					return "", err
				}
				n, err := intArg("format", v)
				return strconv.FormatInt(n, 10), err
			}
			j := i
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				i++
			}
			return format[j:i], nil
		}
		width, err := readNum()
		if err != nil {
			return nil, err
		}
		prec := ""
		if i < len(format) && format[i] == '.' {
			i++
			if prec, err = readNum(); err != nil {
				return nil, err
			}
			if prec == "" {
				prec = "0"
			}
		}
		for i < len(format) && strings.IndexByte("hlL", format[i]) >= 0 {
			i++
		}
		if i >= len(format) {
			return nil, fmt.Errorf("ValueError: incomplete format")
		}
		conv := format[i]
		i++
		if conv == '%' {
			b.WriteByte('%')
			continue
		}
		if !haveVal {
			if val, err = take(); err != nil {
				return nil, err
			}
		}
		spec := "%" + flags + width
		if prec != "" {
			spec += "." + prec
		}
		switch conv {
		case 's', 'r', 'a':
			str := toString(val)
			if conv != 's' {
				str = repr(val)
			}
			if prec != "" {
				p, _ := strconv.Atoi(prec)
				if r := []rune(str); p < len(r) {
					str = string(r[:p])
				}
			}
			w, _ := strconv.Atoi(width)
			if pad := w - utf8.RuneCountInString(str); pad > 0 {
				if strings.Contains(flags, "-") {
					str += strings.Repeat(" ", pad)
				} else {
					str = strings.Repeat(" ", pad) + str
				}
			}
			b.WriteString(str)
		case 'd', 'i', 'u', 'o', 'x', 'X', 'c':
			n, f, isFloat, ok := number(val)
			if conv == 'c' {
				if str, isStr := val.(string); isStr && utf8.RuneCountInString(str) == 1 {
					b.WriteString(str)
					continue
				}
				if !ok || isFloat {
					return nil, fmt.Errorf("TypeError: %%c requires int or char")
				}
				b.WriteRune(rune(n))
				continue
			}
			if !ok {
				return nil, fmt.Errorf("TypeError: %%%c format: a real number is required, not %s", conv, typeName(val))
			}
			if isFloat {
				if math.IsInf(f, 0) || math.IsNaN(f) {
					return nil, fmt.Errorf("OverflowError: cannot convert float infinity or NaN to integer")
				}
				n = int64(f)
			}
			verb := map[byte]string{'d': "d", 'i': "d", 'u': "d", 'o': "o", 'x': "x", 'X': "X"}[conv]
			out := fmt.Sprintf(spec+verb, n)
			if conv == 'o' && strings.Contains(flags, "#") {
				out = strings.Replace(out, "0", "0o", 1)
			}
			b.WriteString(out)
		case 'e', 'E', 'f', 'F', 'g', 'G':
			_, f, _, ok := number(val)
			if !ok {
				return nil, fmt.Errorf("TypeError: must be real number, not %s", typeName(val))
			}
			if prec == "" {
				spec += ".6"
			}
			verb := string(conv)
			if conv == 'F' {
				verb = "f"
			}
			out := fmt.Sprintf(spec+verb, f)
			if math.IsInf(f, 0) || math.IsNaN(f) {
				out = strings.NewReplacer("+Inf", "inf", "-Inf", "-inf", "Inf", "inf", "NaN", "nan").Replace(out)
				if conv == 'E' || conv == 'F' || conv == 'G' {
					out = strings.ToUpper(out)
				}
			}
			b.WriteString(out)
		default:
			return nil, fmt.Errorf("ValueError: unsupported format character '%c'", conv)
		}
		if err := s.checkSize(b.Len()); err != nil {
			return nil, err
		}
	}
	if mapping == nil && next < len(args) {
		return nil, fmt.Errorf("TypeError: not all arguments converted during string formatting")
	}
	return b.String(), nil
}

// braceFormat is str.format for plain fields ("{}", "{0}", "{name}",
// with !r / !s conversions); format specs are not supported.
func braceFormat(format string, args []Value, kwargs []kwarg) (Value, error) {
	var b strings.Builder
	auto := 0
	for i := 0; i < len(format); {
		c := format[i]
		switch {
		case c == '{' && i+1 < len(format) && format[i+1] == '{':
			b.WriteByte('{')
			i += 2
			continue
		case c == '}' && i+1 < len(format) && format[i+1] == '}':
			b.WriteByte('}')
			i += 2
			continue
		case c == '}':
			return nil, fmt.Errorf("ValueError: Single '}' encountered in format string")
		case c != '{':
			b.WriteByte(c)
			i++
			continue
		}
		end := strings.IndexByte(format[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("ValueError: Single '{' encountered in format string")
		}
		field := format[i+1 : i+end]
		i += end + 1
		conv := byte('s')
		if k := strings.IndexByte(field, '!'); k >= 0 {
			if k+1 < len(field) {
				conv = field[k+1]
			}
			field = field[:k]
		}
		if strings.ContainsRune(field, ':') {
			return nil, fmt.Errorf("ValueError: format specs are not supported")
		}
		var val Value
		switch {
		case field == "":
			if auto >= len(args) {
				return nil, fmt.Errorf("IndexError: Replacement index %d out of range for positional args tuple", auto)
			}
			val = args[auto]
			auto++
		case field[0] >= '0' && field[0] <= '9':
			n, err := strconv.Atoi(field)
			if err != nil || n >= len(args) {
				return nil, fmt.Errorf("IndexError: Replacement index %s out of range for positional args tuple", field)
			}
			val = args[n]
		default:
			found := false
			for _, kw := range kwargs {
				if kw.name == field {
					val, found = kw.val, true
				}
			}
			if !found {
				return nil, fmt.Errorf("KeyError: %s", repr(field))
			}
		}
		if conv == 'r' || conv == 'a' {
			b.WriteString(repr(val))
		} else {
			b.WriteString(toString(val))
		}
	}
	return b.String(), nil
}
