package jinja

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// pyUpper and pyLower are str.upper() and str.lower(): full Unicode case
// mappings (ß → SS, final sigma), which x/text implements and Go's
// strings.ToUpper (simple mappings) does not.
func pyUpper(s string) string {
	if isASCII(s) {
		return strings.ToUpper(s)
	}
	return cases.Upper(language.Und).String(s)
}

func pyLower(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	return cases.Lower(language.Und).String(s)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// pyIsLower and pyIsUpper are str.islower() and str.isupper().
func pyIsLower(s string) bool {
	return strings.IndexFunc(s, unicode.IsLower) >= 0 && strings.IndexFunc(s, func(r rune) bool { return unicode.IsUpper(r) || unicode.IsTitle(r) }) < 0
}

func pyIsUpper(s string) bool {
	return strings.IndexFunc(s, unicode.IsUpper) >= 0 && strings.IndexFunc(s, func(r rune) bool { return unicode.IsLower(r) || unicode.IsTitle(r) }) < 0
}

// Python str methods, with Python's semantics (code-point indices,
// Python's whitespace set, maxsplit counting splits).

func strArg(fn string, v Value) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("TypeError: %s() argument must be str, not %s", fn, typeName(v))
	}
	return s, nil
}

// stripChars returns the predicate strip() uses for its chars argument.
func stripChars(fn string, chars Value) (func(rune) bool, error) {
	if chars == absent || chars == nil {
		return isSpace, nil
	}
	cs, err := strArg(fn, chars)
	if err != nil {
		return nil, err
	}
	return func(r rune) bool { return strings.ContainsRune(cs, r) }, nil
}

func intArg(fn string, v Value) (int64, error) {
	i, _, isFloat, ok := number(v)
	if !ok || isFloat {
		return 0, fmt.Errorf("TypeError: %s() expected an integer, got %s", fn, typeName(v))
	}
	return i, nil
}

// pySplitWS is str.split() / str.rsplit() without a separator.
func pySplitWS(s string, maxsplit int64, fromRight bool) []Value {
	var out []Value
	if !fromRight {
		rest := s
		for {
			rest = strings.TrimLeftFunc(rest, isSpace)
			if rest == "" {
				break
			}
			if maxsplit >= 0 && int64(len(out)) >= maxsplit {
				out = append(out, rest)
				break
			}
			end := strings.IndexFunc(rest, isSpace)
			if end < 0 {
				out = append(out, rest)
				break
			}
			out = append(out, rest[:end])
			rest = rest[end:]
		}
		return out
	}
	rest := s
	for {
		rest = strings.TrimRightFunc(rest, isSpace)
		if rest == "" {
			break
		}
		if maxsplit >= 0 && int64(len(out)) >= maxsplit {
			out = append(out, rest)
			break
		}
		start := strings.LastIndexFunc(rest, isSpace)
		if start < 0 {
			out = append(out, rest)
			break
		}
		_, n := utf8.DecodeRuneInString(rest[start:])
		out = append(out, rest[start+n:])
		rest = rest[:start]
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func pySplit(fn, s string, a []Value, fromRight bool) (Value, error) {
	maxsplit := int64(-1)
	if a[1] != absent {
		m, err := intArg(fn, a[1])
		if err != nil {
			return nil, err
		}
		maxsplit = m
	}
	if a[0] == absent || a[0] == nil {
		return NewList(pySplitWS(s, maxsplit, fromRight)), nil
	}
	sep, err := strArg(fn, a[0])
	if err != nil {
		return nil, err
	}
	if sep == "" {
		return nil, fmt.Errorf("ValueError: empty separator")
	}
	var parts []string
	switch {
	case maxsplit < 0:
		parts = strings.Split(s, sep)
	case !fromRight:
		parts = strings.SplitN(s, sep, int(min(maxsplit, 1<<30))+1)
	default:
		for int64(len(parts)) < maxsplit {
			i := strings.LastIndex(s, sep)
			if i < 0 {
				break
			}
			parts = append(parts, s[i+len(sep):])
			s = s[:i]
		}
		parts = append(parts, s)
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
	}
	out := make([]Value, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return NewList(out), nil
}

// splitLines is str.splitlines(keepends).
func splitLines(s string, keep bool) []Value {
	var out []Value
	start := 0
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			end := i + n
			if r == '\r' && end < len(s) && s[end] == '\n' {
				end++
			}
			if keep {
				out = append(out, s[start:end])
			} else {
				out = append(out, s[start:i])
			}
			start = end
			i = end
			continue
		}
		i += n
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func isCased(r rune) bool { return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) }

// pyTitle is str.title().
func pyTitle(s string) string {
	var b strings.Builder
	prevCased := false
	for _, r := range s {
		if prevCased {
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(unicode.ToTitle(r))
		}
		prevCased = isCased(r)
	}
	return b.String()
}

// pyCapitalize is str.capitalize().
func pyCapitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToTitle(r)) + pyLower(s[n:])
}

// pyCenter is str.center(width).
func pyCenter(s string, width int64, fill string) string {
	n := int64(runeLen(s))
	if width <= n {
		return s
	}
	marg := width - n
	left := marg/2 + (marg & width & 1)
	return strings.Repeat(fill, int(left)) + s + strings.Repeat(fill, int(marg-left))
}

// runeRange resolves Python's optional start/end arguments to byte offsets.
func runeRange(s string, start, end Value) (string, int, error) {
	r := []rune(s)
	a, b, _, err := sliceIndices(or(start, nil), or(end, nil), nil, len(r))
	if err != nil {
		return "", 0, err
	}
	if a > b {
		return "", -1, nil
	}
	return string(r[a:b]), a, nil
}

func allRunes(s string, pred func(rune) bool) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !pred(r) {
			return false
		}
	}
	return true
}

func strMethod(s string, name string) *Func {
	simple := func(f func() Value) *Func {
		return method(name, func(_ *state, args []Value, kwargs []kwarg) (Value, error) {
			if _, err := bindArgs(name, nil, 0, args, kwargs); err != nil {
				return nil, err
			}
			return f(), nil
		})
	}
	with := func(params []string, required int, f func(a []Value) (Value, error)) *Func {
		return method(name, func(_ *state, args []Value, kwargs []kwarg) (Value, error) {
			a, err := bindArgs(name, params, required, args, kwargs)
			if err != nil {
				return nil, err
			}
			return f(a)
		})
	}
	switch name {
	case "strip", "lstrip", "rstrip":
		return with([]string{"chars"}, 0, func(a []Value) (Value, error) {
			pred, err := stripChars(name, a[0])
			if err != nil {
				return nil, err
			}
			switch name {
			case "lstrip":
				return strings.TrimLeftFunc(s, pred), nil
			case "rstrip":
				return strings.TrimRightFunc(s, pred), nil
			}
			return strings.TrimFunc(s, pred), nil
		})
	case "split", "rsplit":
		return with([]string{"sep", "maxsplit"}, 0, func(a []Value) (Value, error) {
			return pySplit(name, s, a, name == "rsplit")
		})
	case "splitlines":
		return with([]string{"keepends"}, 0, func(a []Value) (Value, error) {
			return NewList(splitLines(s, truthy(or(a[0], false)))), nil
		})
	case "startswith", "endswith":
		return with([]string{"prefix", "start", "end"}, 1, func(a []Value) (Value, error) {
			sub, _, err := runeRange(s, a[1], a[2])
			if err != nil {
				return nil, err
			}
			var cands []Value
			if t, ok := a[0].(*List); ok && t.Tuple {
				cands = t.Items
			} else {
				cands = []Value{a[0]}
			}
			for _, c := range cands {
				p, err := strArg(name, c)
				if err != nil {
					return nil, err
				}
				if (name == "startswith" && strings.HasPrefix(sub, p)) || (name == "endswith" && strings.HasSuffix(sub, p)) {
					return true, nil
				}
			}
			return false, nil
		})
	case "upper":
		return simple(func() Value { return pyUpper(s) })
	case "lower":
		return simple(func() Value { return pyLower(s) })
	case "title":
		return simple(func() Value { return pyTitle(s) })
	case "capitalize":
		return simple(func() Value { return pyCapitalize(s) })
	case "swapcase":
		return simple(func() Value {
			return strings.Map(func(r rune) rune {
				if unicode.IsUpper(r) {
					return unicode.ToLower(r)
				}
				return unicode.ToUpper(r)
			}, s)
		})
	case "isalpha":
		return simple(func() Value { return allRunes(s, unicode.IsLetter) })
	case "isdigit", "isdecimal", "isnumeric":
		return simple(func() Value { return allRunes(s, unicode.IsDigit) })
	case "isalnum":
		return simple(func() Value {
			return allRunes(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) })
		})
	case "isspace":
		return simple(func() Value { return allRunes(s, isSpace) })
	case "islower":
		return simple(func() Value { return pyIsLower(s) })
	case "isupper":
		return simple(func() Value { return pyIsUpper(s) })
	case "replace":
		return with([]string{"old", "new", "count"}, 2, func(a []Value) (Value, error) {
			old, err := strArg(name, a[0])
			if err != nil {
				return nil, err
			}
			nw, err := strArg(name, a[1])
			if err != nil {
				return nil, err
			}
			n := int64(-1)
			if a[2] != absent {
				if n, err = intArg(name, a[2]); err != nil {
					return nil, err
				}
			}
			return strings.Replace(s, old, nw, int(max(min(n, 1<<30), -1))), nil
		})
	case "find", "rfind", "index", "rindex", "count":
		return with([]string{"sub", "start", "end"}, 1, func(a []Value) (Value, error) {
			sub, err := strArg(name, a[0])
			if err != nil {
				return nil, err
			}
			hay, off, err := runeRange(s, a[1], a[2])
			if err != nil {
				return nil, err
			}
			if name == "count" {
				if off < 0 {
					return int64(0), nil
				}
				if sub == "" {
					return int64(runeLen(hay) + 1), nil
				}
				return int64(strings.Count(hay, sub)), nil
			}
			i := -1
			if off >= 0 {
				if name == "find" || name == "index" {
					i = strings.Index(hay, sub)
				} else {
					i = strings.LastIndex(hay, sub)
				}
			}
			if i < 0 {
				if name == "index" || name == "rindex" {
					return nil, fmt.Errorf("ValueError: substring not found")
				}
				return int64(-1), nil
			}
			return int64(off + runeLen(hay[:i])), nil
		})
	case "join":
		return method(name, func(st *state, args []Value, kwargs []kwarg) (Value, error) {
			a, err := bindArgs(name, []string{"iterable"}, 1, args, kwargs)
			if err != nil {
				return nil, err
			}
			items, err := st.iterate(a[0])
			if err != nil {
				return nil, err
			}
			parts := make([]string, len(items))
			for i, it := range items {
				p, ok := it.(string)
				if !ok {
					return nil, fmt.Errorf("TypeError: sequence item %d: expected str instance, %s found", i, typeName(it))
				}
				parts[i] = p
			}
			return strings.Join(parts, s), nil
		})
	case "center", "ljust", "rjust":
		return with([]string{"width", "fillchar"}, 1, func(a []Value) (Value, error) {
			w, err := intArg(name, a[0])
			if err != nil {
				return nil, err
			}
			fill, err := strArg(name, or(a[1], " "))
			if err != nil || runeLen(fill) != 1 {
				return nil, fmt.Errorf("TypeError: The fill character must be exactly one character long")
			}
			if w > 1<<24 {
				return nil, fmt.Errorf("MemoryError: width %d too large", w)
			}
			pad := int(w) - runeLen(s)
			switch {
			case pad <= 0:
				return s, nil
			case name == "ljust":
				return s + strings.Repeat(fill, pad), nil
			case name == "rjust":
				return strings.Repeat(fill, pad) + s, nil
			}
			return pyCenter(s, w, fill), nil
		})
	case "zfill":
		return with([]string{"width"}, 1, func(a []Value) (Value, error) {
			w, err := intArg(name, a[0])
			if err != nil {
				return nil, err
			}
			pad := int(min(w, 1<<24)) - runeLen(s)
			if pad <= 0 {
				return s, nil
			}
			if s != "" && (s[0] == '+' || s[0] == '-') {
				return s[:1] + strings.Repeat("0", pad) + s[1:], nil
			}
			return strings.Repeat("0", pad) + s, nil
		})
	case "removeprefix", "removesuffix":
		return with([]string{"affix"}, 1, func(a []Value) (Value, error) {
			x, err := strArg(name, a[0])
			if err != nil {
				return nil, err
			}
			if name == "removeprefix" {
				return strings.TrimPrefix(s, x), nil
			}
			return strings.TrimSuffix(s, x), nil
		})
	case "partition", "rpartition":
		return with([]string{"sep"}, 1, func(a []Value) (Value, error) {
			sep, err := strArg(name, a[0])
			if err != nil {
				return nil, err
			}
			if sep == "" {
				return nil, fmt.Errorf("ValueError: empty separator")
			}
			i := strings.Index(s, sep)
			if name == "rpartition" {
				i = strings.LastIndex(s, sep)
			}
			if i < 0 {
				if name == "rpartition" {
					return NewTuple("", "", s), nil
				}
				return NewTuple(s, "", ""), nil
			}
			return NewTuple(s[:i], sep, s[i+len(sep):]), nil
		})
	case "format":
		return method(name, func(st *state, args []Value, kwargs []kwarg) (Value, error) {
			return braceFormat(s, args, kwargs)
		})
	}
	return nil
}
