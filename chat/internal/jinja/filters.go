package jinja

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// filterFunc is a jinja2 filter ("v | name(args)").
type filterFunc func(s *state, v Value, args []Value, kwargs []kwarg) (Value, error)

// filters is jinja2's filter table (with Hugging Face's tojson); filled
// once by init, read-only after.
var filters map[string]filterFunc

func init() {
	filters = map[string]filterFunc{
		"abs":         filterAbs,
		"attr":        filterAttr,
		"batch":       filterBatch,
		"capitalize":  strFilter(pyCapitalize),
		"center":      filterCenter,
		"count":       filterLength,
		"length":      filterLength,
		"default":     filterDefault,
		"d":           filterDefault,
		"dictsort":    filterDictsort,
		"escape":      filterEscape,
		"e":           filterEscape,
		"forceescape": filterEscape,
		"first":       filterFirst,
		"last":        filterLast,
		"float":       filterFloat,
		"int":         filterInt,
		"format":      filterFormat,
		"indent":      filterIndent,
		"items":       filterItems,
		"join":        filterJoin,
		"list":        filterList,
		"lower":       strFilter(pyLower),
		"upper":       strFilter(pyUpper),
		"title":       strFilter(jinjaTitle),
		"map":         filterMap,
		"max":         minMax(false),
		"min":         minMax(true),
		"pprint":      func(_ *state, v Value, _ []Value, _ []kwarg) (Value, error) { return repr(v), nil },
		"reject":      selectFilter(false, false),
		"rejectattr":  selectFilter(false, true),
		"select":      selectFilter(true, false),
		"selectattr":  selectFilter(true, true),
		"replace":     filterReplace,
		"reverse":     filterReverse,
		"round":       filterRound,
		"safe":        func(_ *state, v Value, _ []Value, _ []kwarg) (Value, error) { return toString(v), nil },
		"sort":        filterSort,
		"string":      func(_ *state, v Value, _ []Value, _ []kwarg) (Value, error) { return toString(v), nil },
		"sum":         filterSum,
		"tojson":      filterTojson,
		"trim":        filterTrim,
		"truncate":    filterTruncate,
		"unique":      filterUnique,
		"wordcount":   filterWordcount,
	}
}

func (s *state) applyFilter(f *filterExpr, v Value, sc *scope) (Value, error) {
	args, kwargs, err := s.evalArgs(&f.callArgs, sc)
	if err != nil {
		return nil, err
	}
	return s.callFilter(f.name, v, args, kwargs)
}

func (s *state) callFilter(name string, v Value, args []Value, kwargs []kwarg) (Value, error) {
	fn, ok := filters[name]
	if !ok {
		return nil, fmt.Errorf("TemplateRuntimeError: no filter named '%s'", name)
	}
	if err := s.step(); err != nil {
		return nil, err
	}
	return fn(s, v, args, kwargs)
}

func strFilter(f func(string) string) filterFunc {
	return func(_ *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
		return f(toString(v)), nil
	}
}

// jinjaTitle is jinja2's title filter: each run between [-\s({[<]
// separators gets its first character upper-cased and the rest lowered.
func jinjaTitle(s string) string {
	isSep := func(r rune) bool { return r == '-' || r == '(' || r == '{' || r == '[' || r == '<' || isSpace(r) }
	var b strings.Builder
	start := true
	prevSep := false
	for _, r := range s {
		sep := isSep(r)
		if start || sep != prevSep {
			b.WriteRune(unicode.ToUpper(r))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
		start, prevSep = false, sep
	}
	return b.String()
}

func filterAbs(_ *state, v Value, _ []Value, _ []kwarg) (Value, error) {
	i, f, isFloat, ok := number(v)
	if !ok {
		return nil, fmt.Errorf("TypeError: bad operand type for abs(): '%s'", typeName(v))
	}
	if isFloat {
		return math.Abs(f), nil
	}
	return abs64(i), nil
}

func filterAttr(s *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
	a, err := bindArgs("attr", []string{"name"}, 1, args, kwargs)
	if err != nil {
		return nil, err
	}
	name, err := strArg("attr", a[0])
	if err != nil {
		return nil, err
	}
	if u, ok := v.(Undefined); ok {
		return nil, u.fail()
	}
	if d, ok := v.(*Dict); ok {
		if m := dictMethod(d, name); m != nil {
			return m, nil
		}
		return noAttr(v, name), nil
	}
	return s.getattr(v, name)
}

func filterCenter(_ *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
	a, err := bindArgs("center", []string{"width"}, 0, args, kwargs)
	if err != nil {
		return nil, err
	}
	w, err := intArg("center", or(a[0], int64(80)))
	if err != nil {
		return nil, err
	}
	if w > 1<<24 {
		return nil, fmt.Errorf("MemoryError: width %d too large", w)
	}
	return pyCenter(toString(v), w, " "), nil
}

func filterDefault(_ *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
	a, err := bindArgs("default", []string{"default_value", "boolean"}, 0, args, kwargs)
	if err != nil {
		return nil, err
	}
	_, undef := v.(Undefined)
	if undef || (truthy(or(a[1], false)) && !truthy(v)) {
		return or(a[0], ""), nil
	}
	return v, nil
}

// ignoreCase lowers strings for case-insensitive sorting and grouping.
func ignoreCase(v Value) Value {
	if s, ok := v.(string); ok {
		return pyLower(s)
	}
	return v
}

func filterEscape(_ *state, v Value, _ []Value, _ []kwarg) (Value, error) {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(toString(v)), nil
}

// pyFloat is Python's float(v) for the values templates hold.
func pyFloat(v Value) (float64, bool) {
	if _, f, _, ok := number(v); ok {
		return f, true
	}
	s, ok := v.(string)
	if !ok {
		return 0, false
	}
	s = strings.TrimFunc(s, isSpace)
	switch strings.ToLower(strings.TrimLeft(s, "+-")) {
	case "inf", "infinity", "nan":
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil
	}
	if strings.Contains(s, "__") || strings.HasPrefix(s, "_") || strings.HasSuffix(s, "_") {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	return f, err == nil || isRangeErr(err)
}

func filterFloat(_ *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
	a, err := bindArgs("float", []string{"default"}, 0, args, kwargs)
	if err != nil {
		return nil, err
	}
	if u, ok := v.(Undefined); ok {
		return nil, u.fail()
	}
	if f, ok := pyFloat(v); ok {
		return f, nil
	}
	return or(a[0], 0.0), nil
}

func filterInt(_ *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
	a, err := bindArgs("int", []string{"default", "base"}, 0, args, kwargs)
	if err != nil {
		return nil, err
	}
	if u, ok := v.(Undefined); ok {
		return nil, u.fail()
	}
	def := or(a[0], int64(0))
	base, err := intArg("int", or(a[1], int64(10)))
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case bool, int64:
		i, _, _, _ := number(x)
		return i, nil
	case string:
		t := strings.TrimFunc(x, isSpace)
		if base == 16 || base == 8 || base == 2 {
			t = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(t), "0x"), "0o"), "0b")
		}
		if i, err := strconv.ParseInt(strings.ReplaceAll(t, "_", ""), int(base), 64); err == nil && !strings.Contains(t, "__") {
			return i, nil
		}
	}
	f, ok := pyFloat(v)
	if !ok {
		return def, nil
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("OverflowError: cannot convert float infinity or NaN to integer")
	}
	if math.Abs(f) >= 1<<63 {
		return nil, overflow()
	}
	return int64(f), nil
}

func filterFormat(s *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
	if len(args) > 0 && len(kwargs) > 0 {
		return nil, fmt.Errorf("FilterArgumentError: can't handle positional and keyword arguments at the same time")
	}
	if len(kwargs) > 0 {
		d := NewDict()
		for _, kw := range kwargs {
			d.SetString(kw.name, kw.val)
		}
		return s.percentFormat(toString(v), d)
	}
	return s.percentFormat(toString(v), &List{Items: args, Tuple: true})
}

func filterIndent(_ *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
	a, err := bindArgs("indent", []string{"width", "first", "blank"}, 0, args, kwargs)
	if err != nil {
		return nil, err
	}
	var ind string
	switch w := or(a[0], int64(4)).(type) {
	case string:
		ind = w
	default:
		n, err := intArg("indent", w)
		if err != nil {
			return nil, err
		}
		ind = strings.Repeat(" ", int(max(0, min(n, 1<<16))))
	}
	s := toString(v) + "\n"
	lines := splitLines(s, false)
	var rv string
	if truthy(or(a[2], false)) {
		parts := make([]string, len(lines))
		for i, l := range lines {
			parts[i] = l.(string)
		}
		rv = strings.Join(parts, "\n"+ind)
	} else {
		var b strings.Builder
		b.WriteString(lines[0].(string))
		for _, l := range lines[1:] {
			b.WriteByte('\n')
			if l.(string) != "" {
				b.WriteString(ind)
			}
			b.WriteString(l.(string))
		}
		rv = b.String()
	}
	if truthy(or(a[1], false)) {
		rv = ind + rv
	}
	return rv, nil
}

func filterReplace(_ *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
	a, err := bindArgs("replace", []string{"old", "new", "count"}, 2, args, kwargs)
	if err != nil {
		return nil, err
	}
	n := int64(-1)
	if c := or(a[2], nil); c != nil {
		if n, err = intArg("replace", c); err != nil {
			return nil, err
		}
	}
	return strings.Replace(toString(v), toString(a[0]), toString(a[1]), int(max(min(n, 1<<30), -1))), nil
}

// pyRound is Python's round(x, ndigits) for floats.
func pyRound(x float64, nd int64) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return x
	}
	if nd >= 0 {
		if nd > 300 {
			return x
		}
		r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', int(nd), 64), 64)
		return r
	}
	p := math.Pow(10, float64(-nd))
	return math.RoundToEven(x/p) * p
}

func filterRound(_ *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
	a, err := bindArgs("round", []string{"precision", "method"}, 0, args, kwargs)
	if err != nil {
		return nil, err
	}
	prec, err := intArg("round", or(a[0], int64(0)))
	if err != nil {
		return nil, err
	}
	i, f, isFloat, ok := number(v)
	if !ok {
		return nil, fmt.Errorf("TypeError: type %s doesn't define __round__ method", typeName(v))
	}
	switch or(a[1], "common") {
	case "common":
		if !isFloat {
			if prec >= 0 {
				return i, nil
			}
			return int64(pyRound(float64(i), prec)), nil
		}
		return pyRound(f, prec), nil
	case "ceil", "floor":
		p := math.Pow(10, float64(prec))
		if a[1] == "ceil" {
			return math.Ceil(f*p) / p, nil
		}
		return math.Floor(f*p) / p, nil
	}
	return nil, fmt.Errorf("FilterArgumentError: method must be common, ceil or floor")
}

// filterTojson is Hugging Face's tojson: json.dumps(x, ensure_ascii=False,
// indent=None, separators=None, sort_keys=False).
func filterTojson(s *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
	a, err := bindArgs("tojson", []string{"ensure_ascii", "indent", "separators", "sort_keys"}, 0, args, kwargs)
	if err != nil {
		return nil, err
	}
	o := jsonOpts{ensureASCII: truthy(or(a[0], false)), sortKeys: truthy(or(a[3], false)), itemSep: ", ", keySep: ": "}
	switch ind := or(a[1], nil).(type) {
	case nil:
	case string:
		o.indent = &ind
	default:
		n, err := intArg("tojson", ind)
		if err != nil {
			return nil, err
		}
		sp := strings.Repeat(" ", int(max(0, min(n, 1<<10))))
		o.indent = &sp
	}
	if o.indent != nil {
		o.itemSep = ","
	}
	if sep := or(a[2], nil); sep != nil {
		l, ok := sep.(*List)
		if !ok || len(l.Items) != 2 {
			return nil, fmt.Errorf("ValueError: separators must be a pair of strings")
		}
		is, ok1 := l.Items[0].(string)
		ks, ok2 := l.Items[1].(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("TypeError: separators must be strings")
		}
		o.itemSep, o.keySep = is, ks
	}
	return s.dumpsJSON(v, o)
}

func filterTrim(_ *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
	a, err := bindArgs("trim", []string{"chars"}, 0, args, kwargs)
	if err != nil {
		return nil, err
	}
	pred, err := stripChars("trim", a[0])
	if err != nil {
		return nil, err
	}
	return strings.TrimFunc(toString(v), pred), nil
}

func filterTruncate(_ *state, v Value, args []Value, kwargs []kwarg) (Value, error) {
	a, err := bindArgs("truncate", []string{"length", "killwords", "end", "leeway"}, 0, args, kwargs)
	if err != nil {
		return nil, err
	}
	n, err := intArg("truncate", or(a[0], int64(255)))
	if err != nil {
		return nil, err
	}
	end := toString(or(a[2], "..."))
	leeway, err := intArg("truncate", or(a[3], int64(5)))
	if err != nil {
		return nil, err
	}
	r := []rune(toString(v))
	if int64(len(r)) <= n+leeway {
		return string(r), nil
	}
	cut := max(0, min(int(n)-runeLen(end), len(r)))
	if truthy(or(a[1], false)) {
		return string(r[:cut]) + end, nil
	}
	head := string(r[:cut])
	if i := strings.LastIndex(head, " "); i >= 0 {
		head = head[:i]
	}
	return head + end, nil
}

func filterWordcount(_ *state, v Value, _ []Value, _ []kwarg) (Value, error) {
	n := int64(0)
	in := false
	for _, r := range toString(v) {
		w := isWordRune(r)
		if w && !in {
			n++
		}
		in = w
	}
	return n, nil
}
