package grammar

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// unsupportedKeywords would constrain the value in ways this package does
// not enforce: a schema using them is refused rather than half enforced.
func unsupportedKeywords() []string {
	return []string{
		"not", "if", "then", "else", "dependentRequired", "dependentSchemas",
		"dependencies", "patternProperties", "propertyNames", "unevaluatedItems",
		"contains", "minContains", "maxContains", "minProperties", "maxProperties",
		"$dynamicRef", "$recursiveRef",
	}
}

// validationKeywords validate (everything else is an annotation and is
// ignored).
func validationKeywords() []string {
	return []string{
		"type", "enum", "const", "properties", "required", "additionalProperties",
		"unevaluatedProperties", "items", "prefixItems", "additionalItems",
		"minItems", "maxItems", "uniqueItems", "minLength", "maxLength", "pattern",
		"format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
		"multipleOf", "anyOf", "oneOf", "allOf", "$ref", "nullable",
	}
}

type compiler struct {
	g    *Grammar
	doc  json.RawMessage
	memo map[string]int32 // JSON pointer → value node
}

// compileSchema compiles a schema document and returns its value node.
func compileSchema(g *Grammar, doc []byte) (int32, error) {
	if !json.Valid(doc) {
		return 0, fmt.Errorf("grammar: the schema is not valid JSON")
	}
	c := &compiler{g: g, doc: doc, memo: map[string]int32{}}
	id, err := c.schema(doc, "#", 0)
	if err != nil {
		return 0, fmt.Errorf("grammar: schema: %w", err)
	}
	return id, nil
}

// jsonObject is a JSON object with its keys in document order.
type jsonObject struct {
	keys []string
	vals map[string]json.RawMessage
}

func (o *jsonObject) has(k string) bool { _, ok := o.vals[k]; return ok }

// parseObject parses raw as an object (ok false: raw is not an object).
func parseObject(raw []byte) (*jsonObject, bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, false, err
	}
	o := &jsonObject{vals: map[string]json.RawMessage{}}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, false, err
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false, err
		}
		if o.has(k) {
			return nil, false, fmt.Errorf("duplicate key %q", k)
		}
		o.keys = append(o.keys, k)
		o.vals[k] = v
	}
	return o, true, nil
}

func parseArray(raw []byte) ([]json.RawMessage, bool) {
	var a []json.RawMessage
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &a) != nil {
		return nil, false
	}
	return a, true
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// resolve finds the target of a local $ref and its canonical pointer.
func (c *compiler) resolve(ref string) (json.RawMessage, string, error) {
	if !strings.HasPrefix(ref, "#") {
		return nil, "", fmt.Errorf("$ref %q: only references inside the schema (#/...) are supported", ref)
	}
	frag, err := url.PathUnescape(ref[1:])
	if err != nil {
		return nil, "", fmt.Errorf("$ref %q: %w", ref, err)
	}
	if frag == "" {
		return c.doc, "#", nil
	}
	if !strings.HasPrefix(frag, "/") {
		return nil, "", fmt.Errorf("$ref %q: anchors are not supported, only JSON pointers", ref)
	}
	cur := json.RawMessage(c.doc)
	ptr := "#"
	for _, p := range strings.Split(frag[1:], "/") {
		p = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
		ptr += "/" + escapePointer(p)
		if o, ok, _ := parseObject(cur); ok {
			v, found := o.vals[p]
			if !found {
				return nil, "", fmt.Errorf("$ref %q: %q not found", ref, p)
			}
			cur = v
			continue
		}
		if a, ok := parseArray(cur); ok {
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(a) {
				return nil, "", fmt.Errorf("$ref %q: no item %q", ref, p)
			}
			cur = a[i]
			continue
		}
		return nil, "", fmt.Errorf("$ref %q: %q not found", ref, p)
	}
	return cur, ptr, nil
}

// schema compiles the schema raw found at pointer ptr.
func (c *compiler) schema(raw json.RawMessage, ptr string, nest int) (int32, error) {
	if id, ok := c.memo[ptr]; ok {
		return id, nil
	}
	if nest > maxSchemaNest {
		return 0, fmt.Errorf("%s: nested too deeply", ptr)
	}
	if len(c.g.values) >= maxNodes {
		return 0, fmt.Errorf("%s: the schema is too large (over %d subschemas)", ptr, maxNodes)
	}
	id := int32(len(c.g.values))
	c.g.values = append(c.g.values, newValue())
	c.memo[ptr] = id
	raw = bytes.TrimSpace(raw)
	switch string(raw) {
	case "true":
		c.g.values[id] = valueNode{alts: []int32{c.g.anyValue()}, obj: -1, arr: -1, str: -1, num: -1, lit: -1}
		return id, nil
	case "false":
		return id, nil
	}
	obj, ok, err := parseObject(raw)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", ptr, err)
	}
	if !ok {
		return 0, fmt.Errorf("%s: a schema must be an object or a boolean", ptr)
	}
	vn, err := c.build(obj, ptr, nest)
	if err != nil {
		return 0, err
	}
	c.g.values[id] = vn
	return id, nil
}

// siblings returns the validation keywords of o other than the given ones.
func siblings(o *jsonObject, except ...string) []string {
	var out []string
	for _, k := range validationKeywords() {
		if o.has(k) && !contains(except, k) {
			out = append(out, k)
		}
	}
	return out
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func (c *compiler) build(o *jsonObject, ptr string, nest int) (valueNode, error) {
	g := c.g
	vn := newValue()
	for _, k := range unsupportedKeywords() {
		if o.has(k) {
			return vn, fmt.Errorf("%s: %q is not supported", ptr, k)
		}
	}
	if u, ok := o.vals["uniqueItems"]; ok && string(bytes.TrimSpace(u)) == "true" {
		return vn, fmt.Errorf("%s: \"uniqueItems\": true is not supported", ptr)
	}
	nullable := string(bytes.TrimSpace(o.vals["nullable"])) == "true"
	withNull := func(alts []int32) []int32 {
		if nullable {
			n := newValue()
			n.lit = g.lits.newRoot()
			g.lits.insert(n.lit, []byte("null"), 0)
			g.values = append(g.values, n)
			alts = append(alts, int32(len(g.values)-1))
		}
		return alts
	}
	if o.has("$ref") {
		if s := siblings(o, "$ref", "nullable"); len(s) > 0 {
			return vn, fmt.Errorf("%s: %q next to $ref is not supported", ptr, s[0])
		}
		var ref string
		if err := json.Unmarshal(o.vals["$ref"], &ref); err != nil {
			return vn, fmt.Errorf("%s: $ref must be a string", ptr)
		}
		target, tptr, err := c.resolve(ref)
		if err != nil {
			return vn, fmt.Errorf("%s: %w", ptr, err)
		}
		id, err := c.schema(target, tptr, nest+1)
		if err != nil {
			return vn, err
		}
		vn.alts = withNull([]int32{id})
		return vn, nil
	}
	for _, kw := range []string{"allOf", "anyOf", "oneOf"} {
		if !o.has(kw) {
			continue
		}
		if s := siblings(o, kw, "nullable"); len(s) > 0 {
			return vn, fmt.Errorf("%s: %q next to %s is not supported", ptr, s[0], kw)
		}
		subs, ok := parseArray(o.vals[kw])
		if !ok || len(subs) == 0 {
			return vn, fmt.Errorf("%s: %s must be a non-empty array", ptr, kw)
		}
		if kw == "allOf" && len(subs) > 1 {
			return vn, fmt.Errorf("%s: allOf with more than one schema is not supported", ptr)
		}
		alts := []int32{}
		for i, s := range subs {
			id, err := c.schema(s, fmt.Sprintf("%s/%s/%d", ptr, kw, i), nest+1)
			if err != nil {
				return vn, err
			}
			alts = append(alts, id)
		}
		vn.alts = withNull(alts)
		return vn, nil
	}
	types, typed, err := schemaTypes(o, ptr)
	if err != nil {
		return vn, err
	}
	if nullable {
		types["null"] = true
	}
	if o.has("enum") || o.has("const") {
		return c.literals(o, ptr, types, typed || nullable)
	}
	if types["object"] {
		if vn.obj, err = c.object(o, ptr, nest); err != nil {
			return vn, err
		}
	}
	if types["array"] {
		if vn.arr, err = c.array(o, ptr, nest); err != nil {
			return vn, err
		}
	}
	if types["string"] {
		if vn.str, err = c.str(o, ptr); err != nil {
			return vn, err
		}
	}
	if types["number"] || types["integer"] {
		if vn.num, err = c.number(o, ptr, !types["number"]); err != nil {
			return vn, err
		}
	}
	if types["boolean"] || types["null"] {
		vn.lit = g.lits.newRoot()
		if types["boolean"] {
			g.lits.insert(vn.lit, []byte("true"), 0)
			g.lits.insert(vn.lit, []byte("false"), 0)
		}
		if types["null"] {
			g.lits.insert(vn.lit, []byte("null"), 0)
		}
	}
	return vn, nil
}

// schemaTypes returns the types a schema allows: its "type", or when it
// has none, the types its keywords apply to (all without such keywords).
func schemaTypes(o *jsonObject, ptr string) (map[string]bool, bool, error) {
	all := []string{"object", "array", "string", "number", "integer", "boolean", "null"}
	types := map[string]bool{}
	if raw, ok := o.vals["type"]; ok {
		var one string
		var list []string
		if json.Unmarshal(raw, &one) == nil {
			list = []string{one}
		} else if json.Unmarshal(raw, &list) != nil {
			return nil, false, fmt.Errorf("%s: type must be a string or an array of strings", ptr)
		}
		for _, t := range list {
			if !contains(all, t) {
				return nil, false, fmt.Errorf("%s: unknown type %q", ptr, t)
			}
			types[t] = true
		}
		return types, true, nil
	}
	groups := map[string][]string{
		"object": {"properties", "required", "additionalProperties", "unevaluatedProperties"},
		"array":  {"items", "prefixItems", "additionalItems", "minItems", "maxItems"},
		"string": {"minLength", "maxLength", "pattern", "format"},
		"number": {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"},
	}
	for t, kws := range groups {
		for _, k := range kws {
			if o.has(k) {
				types[t] = true
			}
		}
	}
	if len(types) == 0 {
		for _, t := range all {
			types[t] = true
		}
	}
	return types, false, nil
}

// literals compiles enum and const: the values in canonical compact form.
func (c *compiler) literals(o *jsonObject, ptr string, types map[string]bool, filter bool) (valueNode, error) {
	vn := newValue()
	var vals []json.RawMessage
	if raw, ok := o.vals["enum"]; ok {
		a, ok := parseArray(raw)
		if !ok {
			return vn, fmt.Errorf("%s: enum must be an array", ptr)
		}
		vals = a
	}
	canon := func(raw json.RawMessage) ([]byte, error) {
		b, err := canonical(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: enum or const value: %w", ptr, err)
		}
		return b, nil
	}
	if raw, ok := o.vals["const"]; ok {
		cb, err := canon(raw)
		if err != nil {
			return vn, err
		}
		keep := !o.has("enum")
		for _, v := range vals {
			if b, err := canon(v); err == nil && bytes.Equal(b, cb) {
				keep = true
			}
		}
		vals = nil
		if keep {
			vals = []json.RawMessage{raw}
		}
	}
	root := c.g.lits.newRoot()
	n := 0
	for _, v := range vals {
		b, err := canon(v)
		if err != nil {
			return vn, err
		}
		if filter && !types[jsonType(b)] && !(jsonType(b) == "integer" && types["number"]) &&
			!(jsonType(b) == "number" && types["integer"] && isIntegral(b)) {
			continue
		}
		c.g.lits.insert(root, b, 0)
		n++
	}
	if n > 0 {
		vn.lit = root
	}
	return vn, nil
}

// jsonType names the type of a canonical JSON value ("integer" for
// numbers without fraction or exponent).
func jsonType(b []byte) string {
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	if bytes.ContainsAny(b, ".eE") {
		return "number"
	}
	return "integer"
}

func isIntegral(b []byte) bool {
	r, ok := new(big.Rat).SetString(string(b))
	return ok && r.IsInt()
}

// canonical re-encodes a JSON value compactly, keeping object keys in
// order and numbers as written, with strings escaped minimally.
func canonical(raw json.RawMessage) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, fmt.Errorf("empty value")
	}
	switch raw[0] {
	case '{':
		o, _, err := parseObject(raw)
		if err != nil {
			return nil, err
		}
		out := []byte{'{'}
		for i, k := range o.keys {
			if i > 0 {
				out = append(out, ',')
			}
			out = appendString(out, k)
			out = append(out, ':')
			v, err := canonical(o.vals[k])
			if err != nil {
				return nil, err
			}
			out = append(out, v...)
		}
		return append(out, '}'), nil
	case '[':
		a, ok := parseArray(raw)
		if !ok {
			return nil, fmt.Errorf("bad array")
		}
		out := []byte{'['}
		for i, v := range a {
			if i > 0 {
				out = append(out, ',')
			}
			b, err := canonical(v)
			if err != nil {
				return nil, err
			}
			out = append(out, b...)
		}
		return append(out, ']'), nil
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return appendString(nil, s), nil
	}
	var out bytes.Buffer
	if err := json.Compact(&out, raw); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// appendString appends s as a JSON string, escaping only what must be.
func appendString(out []byte, s string) []byte {
	out = append(out, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			out = append(out, '\\', byte(r))
		case r == '\n':
			out = append(out, '\\', 'n')
		case r == '\r':
			out = append(out, '\\', 'r')
		case r == '\t':
			out = append(out, '\\', 't')
		case r == '\b':
			out = append(out, '\\', 'b')
		case r == '\f':
			out = append(out, '\\', 'f')
		case r < 0x20:
			out = append(out, fmt.Sprintf("\\u%04x", r)...)
		default:
			out = utf8.AppendRune(out, r)
		}
	}
	return append(out, '"')
}
