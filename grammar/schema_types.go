package grammar

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
)

// object compiles the object keywords of o.
func (c *compiler) object(o *jsonObject, ptr string, nest int) (int32, error) {
	g := c.g
	var on objectNode
	if raw, ok := o.vals["properties"]; ok {
		props, ok, err := parseObject(raw)
		if err != nil || !ok {
			return 0, fmt.Errorf("%s: properties must be an object", ptr)
		}
		for _, name := range props.keys {
			for i := range len(name) {
				if name[i] < 0x20 {
					return 0, fmt.Errorf("%s: property name %q: control characters in names are not supported", ptr, name)
				}
			}
			id, err := c.schema(props.vals[name], ptr+"/properties/"+escapePointer(name), nest+1)
			if err != nil {
				return 0, err
			}
			on.props = append(on.props, prop{name: name, value: id})
		}
	}
	var required []string
	if raw, ok := o.vals["required"]; ok {
		if err := json.Unmarshal(raw, &required); err != nil {
			return 0, fmt.Errorf("%s: required must be an array of strings", ptr)
		}
	}
	raw, has := o.vals["additionalProperties"]
	if !has {
		raw, has = o.vals["unevaluatedProperties"]
	}
	raw = bytes.TrimSpace(raw)
	switch {
	case !has && len(on.props) == 0 || string(raw) == "true":
		on.extra = g.anyValue()
	case !has || string(raw) == "false":
		on.extra = -1
	default:
		id, err := c.schema(raw, ptr+"/additionalProperties", nest+1)
		if err != nil {
			return 0, err
		}
		on.extra = id
	}
	for _, name := range required {
		found := false
		for i := range on.props {
			if on.props[i].name == name {
				on.props[i].required, found = true, true
			}
		}
		if found {
			continue
		}
		if on.extra < 0 {
			return 0, fmt.Errorf("%s: required property %q is not among the properties, and no additional property is allowed", ptr, name)
		}
		for i := range len(name) {
			if name[i] < 0x20 {
				return 0, fmt.Errorf("%s: property name %q: control characters in names are not supported", ptr, name)
			}
		}
		on.props = append(on.props, prop{name: name, value: on.extra, required: true})
	}
	on.nextReq = make([]int32, len(on.props)+1)
	on.nextReq[len(on.props)] = int32(len(on.props))
	for i := len(on.props) - 1; i >= 0; i-- {
		on.nextReq[i] = on.nextReq[i+1]
		if on.props[i].required {
			on.nextReq[i] = int32(i)
		}
	}
	on.names = -1
	if len(on.props) > 0 {
		on.names = g.names.newRoot()
		for i, p := range on.props {
			g.names.insert(on.names, []byte(p.name), int32(i))
		}
		g.names.index(on.names)
	}
	g.objs = append(g.objs, on)
	return int32(len(g.objs) - 1), nil
}

// array compiles the array keywords of o.
func (c *compiler) array(o *jsonObject, ptr string, nest int) (int32, error) {
	g := c.g
	an := arrayNode{max: -1}
	sub := func(raw json.RawMessage, p string) (int32, error) {
		if string(bytes.TrimSpace(raw)) == "false" {
			return -1, nil
		}
		return c.schema(raw, p, nest+1)
	}
	itemsRaw, hasItems := o.vals["items"]
	var prefix []json.RawMessage
	prefixKw := "prefixItems"
	if raw, ok := o.vals["prefixItems"]; ok {
		a, ok := parseArray(raw)
		if !ok {
			return 0, fmt.Errorf("%s: prefixItems must be an array", ptr)
		}
		prefix = a
	} else if a, ok := parseArray(itemsRaw); ok && hasItems {
		// The tuple form of drafts 4 to 2019-09.
		prefix, prefixKw = a, "items"
		itemsRaw, hasItems = o.vals["additionalItems"]
	}
	for i, raw := range prefix {
		id, err := sub(raw, fmt.Sprintf("%s/%s/%d", ptr, prefixKw, i))
		if err != nil {
			return 0, err
		}
		an.prefix = append(an.prefix, id)
	}
	an.items = g.anyValue()
	if hasItems {
		id, err := sub(itemsRaw, ptr+"/items")
		if err != nil {
			return 0, err
		}
		an.items = id
	}
	for i, id := range an.prefix {
		if id < 0 { // no value can come here: the array ends before
			an.prefix, an.items = an.prefix[:i], -1
			break
		}
	}
	var err error
	if an.min, err = count(o, "minItems", ptr, 0); err != nil {
		return 0, err
	}
	if an.max, err = count(o, "maxItems", ptr, -1); err != nil {
		return 0, err
	}
	g.arrs = append(g.arrs, an)
	return int32(len(g.arrs) - 1), nil
}

// count reads a non-negative integer keyword (def when absent).
func count(o *jsonObject, kw, ptr string, def int32) (int32, error) {
	raw, ok := o.vals[kw]
	if !ok {
		return def, nil
	}
	r, ok := new(big.Rat).SetString(string(bytes.TrimSpace(raw)))
	if !ok || !r.IsInt() || r.Sign() < 0 {
		return 0, fmt.Errorf("%s: %s must be a non-negative integer", ptr, kw)
	}
	if !r.Num().IsInt64() || r.Num().Int64() > 1<<30 {
		return 1 << 30, nil
	}
	return int32(r.Num().Int64()), nil
}

// str compiles the string keywords of o (-1: no string satisfies them).
func (c *compiler) str(o *jsonObject, ptr string) (int32, error) {
	g := c.g
	lo, err := count(o, "minLength", ptr, 0)
	if err != nil {
		return 0, err
	}
	hi, err := count(o, "maxLength", ptr, -1)
	if err != nil {
		return 0, err
	}
	var d *dfa
	if raw, ok := o.vals["pattern"]; ok {
		var pat string
		if json.Unmarshal(raw, &pat) != nil {
			return 0, fmt.Errorf("%s: pattern must be a string", ptr)
		}
		if d, err = regexDFA(pat); err != nil {
			return 0, fmt.Errorf("%s: %w", ptr, err)
		}
	}
	if raw, ok := o.vals["format"]; ok {
		var f string
		if json.Unmarshal(raw, &f) != nil {
			return 0, fmt.Errorf("%s: format must be a string", ptr)
		}
		if pat, ok := formatPattern(f); ok {
			fd, err := regexDFA(pat)
			if err != nil {
				return 0, fmt.Errorf("%s: format %q: %w", ptr, f, err)
			}
			if d == nil {
				d = fd
			} else if d, err = intersect(d, fd); err != nil {
				return 0, fmt.Errorf("%s: pattern and format %q: %w", ptr, f, err)
			}
		}
	}
	if d == nil {
		if hi >= 0 && lo > hi {
			return -1, nil
		}
		g.strs = append(g.strs, stringNode{min: lo, max: hi, dfa: -1})
		return int32(len(g.strs) - 1), nil
	}
	if lo > 0 || hi >= 0 {
		ld, err := lengthDFA(lo, hi)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", ptr, err)
		}
		if d, err = intersect(d, ld); err != nil {
			return 0, fmt.Errorf("%s: pattern or format with a length bound: %w", ptr, err)
		}
	}
	if d.start < 0 {
		return -1, nil
	}
	g.dfas = append(g.dfas, d)
	g.strs = append(g.strs, stringNode{max: -1, dfa: int32(len(g.dfas) - 1)})
	return int32(len(g.strs) - 1), nil
}

// number compiles the numeric keywords of o (-1: no number satisfies them).
func (c *compiler) number(o *jsonObject, ptr string, integer bool) (int32, error) {
	g := c.g
	n := numberNode{integer: integer, maxLen: MaxNumberLength}
	num := func(kw string) (bound, error) {
		raw, ok := o.vals[kw]
		if !ok {
			return bound{}, nil
		}
		s := string(bytes.TrimSpace(raw))
		if s == "true" || s == "false" {
			return bound{}, nil // draft 4 exclusive flags
		}
		if !json.Valid(raw) || s == "" || s[0] == '"' || s[0] == '{' || s[0] == '[' || s == "null" {
			return bound{}, fmt.Errorf("%s: %s must be a number", ptr, kw)
		}
		d, err := parseDecimal(s)
		if err != nil {
			return bound{}, fmt.Errorf("%s: %s: %w", ptr, kw, err)
		}
		return bound{set: true, d: d}, nil
	}
	var err error
	if n.lo, err = num("minimum"); err != nil {
		return 0, err
	}
	if n.hi, err = num("maximum"); err != nil {
		return 0, err
	}
	exLo, err := num("exclusiveMinimum")
	if err != nil {
		return 0, err
	}
	exHi, err := num("exclusiveMaximum")
	if err != nil {
		return 0, err
	}
	// Draft 4 booleans make minimum and maximum exclusive.
	if string(bytes.TrimSpace(o.vals["exclusiveMinimum"])) == "true" {
		n.lo.ex = n.lo.set
	}
	if string(bytes.TrimSpace(o.vals["exclusiveMaximum"])) == "true" {
		n.hi.ex = n.hi.set
	}
	if exLo.set && (!n.lo.set || cmpDec(exLo.d, n.lo.d) >= 0) {
		n.lo, n.lo.ex = exLo, true
	}
	if exHi.set && (!n.hi.set || cmpDec(exHi.d, n.hi.d) <= 0) {
		n.hi, n.hi.ex = exHi, true
	}
	m, err := num("multipleOf")
	if err != nil {
		return 0, err
	}
	if m.set {
		// An integer is a multiple of p/q (in lowest terms) exactly when p
		// divides it; numbers are then written as such integers.
		if n.mult, err = multiple(m.d); err != nil {
			return 0, fmt.Errorf("%s: %w", ptr, err)
		}
		n.integer = true
	}
	n.setup()
	if !n.feasible(nil, false) {
		return -1, nil
	}
	g.nums = append(g.nums, n)
	return int32(len(g.nums) - 1), nil
}
