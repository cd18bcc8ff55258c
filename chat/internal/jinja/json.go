package jinja

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxJSONDepth bounds the nesting of decoded JSON values.
const maxJSONDepth = 512

// FromJSON decodes JSON into template values the way Python's json.loads
// does: objects keep their key order, integers stay integers (those beyond
// 64 bits become floats), and other numbers are floats.
func FromJSON(data []byte) (Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeJSON(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("invalid JSON: data after the value")
	}
	return v, nil
}

func decodeJSON(dec *json.Decoder, depth int) (Value, error) {
	if depth > maxJSONDepth {
		return nil, fmt.Errorf("JSON nested more than %d deep", maxJSONDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			items := []Value{}
			for dec.More() {
				v, err := decodeJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				items = append(items, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, fmt.Errorf("invalid JSON: %w", err)
			}
			return NewList(items), nil
		case '{':
			d := NewDict()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, fmt.Errorf("invalid JSON: %w", err)
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("invalid JSON: object key is not a string")
				}
				v, err := decodeJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				d.SetString(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, fmt.Errorf("invalid JSON: %w", err)
			}
			return d, nil
		}
		return nil, fmt.Errorf("invalid JSON: unexpected %v", t)
	case json.Number:
		return jsonNumber(string(t))
	case nil, bool, string:
		return t, nil
	}
	return nil, fmt.Errorf("invalid JSON: unexpected token %v", tok)
}

func jsonNumber(s string) (Value, error) {
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		return nil, fmt.Errorf("invalid JSON number %q", s)
	}
	return f, nil
}

// FromGo converts a Go value to a template value: nil, bools, integers,
// floats, strings, json.Number, json.RawMessage (decoded in order),
// slices, and maps with string keys (in sorted key order). Values that
// are already template values pass through.
func FromGo(v any) (Value, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case bool, int64, float64, string, *List, *Dict, *Namespace, Undefined:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case float32:
		return float64(x), nil
	case json.Number:
		return jsonNumber(string(x))
	case json.RawMessage:
		return FromJSON(x)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			return nil, nil
		}
		return FromGo(rv.Elem().Interface())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if rv.Uint() > math.MaxInt64 {
			return float64(rv.Uint()), nil
		}
		return int64(rv.Uint()), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return nil, nil
		}
		items := make([]Value, rv.Len())
		for i := range items {
			it, err := FromGo(rv.Index(i).Interface())
			if err != nil {
				return nil, err
			}
			items[i] = it
		}
		return NewList(items), nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("cannot convert %T: map keys must be strings", v)
		}
		if rv.IsNil() {
			return nil, nil
		}
		keys := make([]string, 0, rv.Len())
		for _, k := range rv.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		d := NewDict()
		for _, k := range keys {
			it, err := FromGo(rv.MapIndex(reflect.ValueOf(k).Convert(rv.Type().Key())).Interface())
			if err != nil {
				return nil, err
			}
			d.SetString(k, it)
		}
		return d, nil
	}
	return nil, fmt.Errorf("cannot convert %T to a template value", v)
}

// jsonOpts are the json.dumps arguments Hugging Face's tojson exposes.
type jsonOpts struct {
	ensureASCII bool
	indent      *string
	itemSep     string
	keySep      string
	sortKeys    bool
}

// dumpsJSON is Python's json.dumps(v, ...).
func (s *state) dumpsJSON(v Value, o jsonOpts) (string, error) {
	var b strings.Builder
	if err := s.encodeJSON(&b, v, o, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func (s *state) encodeJSON(b *strings.Builder, v Value, o jsonOpts, level int) error {
	if level > maxJSONDepth {
		return fmt.Errorf("RecursionError: maximum recursion depth exceeded while encoding a JSON object")
	}
	if err := s.checkSize(b.Len()); err != nil {
		return err
	}
	newline := func(l int) {
		if o.indent != nil {
			b.WriteByte('\n')
			for range l {
				b.WriteString(*o.indent)
			}
		}
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(jsonFloat(x))
	case string:
		writeJSONString(b, x, o.ensureASCII)
	case *List:
		if len(x.Items) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		newline(level + 1)
		for i, it := range x.Items {
			if i > 0 {
				b.WriteString(o.itemSep)
				newline(level + 1)
			}
			if err := s.encodeJSON(b, it, o, level+1); err != nil {
				return err
			}
		}
		newline(level)
		b.WriteByte(']')
	case *Dict:
		if x.Len() == 0 {
			b.WriteString("{}")
			return nil
		}
		order := make([]int, x.Len())
		for i := range order {
			order[i] = i
		}
		if o.sortKeys {
			var sortErr error
			slices.SortStableFunc(order, func(i, j int) int {
				lt, err := less(x.keys[i], x.keys[j])
				if err != nil {
					sortErr = err
				}
				if lt {
					return -1
				}
				if gt, _ := less(x.keys[j], x.keys[i]); gt {
					return 1
				}
				return 0
			})
			if sortErr != nil {
				return sortErr
			}
		}
		b.WriteByte('{')
		newline(level + 1)
		for n, i := range order {
			if n > 0 {
				b.WriteString(o.itemSep)
				newline(level + 1)
			}
			var key string
			switch k := x.keys[i].(type) {
			case string:
				key = k
			case nil:
				key = "null"
			case bool:
				key = map[bool]string{true: "true", false: "false"}[k]
			case int64:
				key = strconv.FormatInt(k, 10)
			case float64:
				key = jsonFloat(k)
			default:
				return fmt.Errorf("TypeError: keys must be str, int, float, bool or None, not %s", typeName(k))
			}
			writeJSONString(b, key, o.ensureASCII)
			b.WriteString(o.keySep)
			if err := s.encodeJSON(b, x.vals[i], o, level+1); err != nil {
				return err
			}
		}
		newline(level)
		b.WriteByte('}')
	default:
		return fmt.Errorf("TypeError: Object of type %s is not JSON serializable", typeName(v))
	}
	return nil
}

func jsonFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return floatRepr(f)
}

// writeJSONString writes a JSON string as Python's json module does.
func writeJSONString(b *strings.Builder, s string, ensureASCII bool) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20:
				fmt.Fprintf(b, `\u%04x`, r)
			case r < 0x7f || !ensureASCII:
				b.WriteRune(r)
			case r <= 0xffff:
				fmt.Fprintf(b, `\u%04x`, r)
			default:
				r -= 0x10000
				fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			}
		}
	}
	b.WriteByte('"')
}

// DumpJSON is Python's json.dumps(v, ensure_ascii=False): ", " and ": "
// separators, key order kept, non-ASCII written as is.
func DumpJSON(v Value) (string, error) {
	s := &state{opts: Options{MaxOutput: 64 << 20, MaxSteps: 1}}
	return s.dumpsJSON(v, jsonOpts{itemSep: ", ", keySep: ": "})
}
