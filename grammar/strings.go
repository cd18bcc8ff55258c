package grammar

import (
	"slices"
	"unicode/utf8"
)

// Strings: the content must be valid UTF-8 (a character may be split
// between tokens), valid JSON escapes, no raw control characters. Free
// strings (no length, pattern or format) accept any escape, as
// encoding/json does, lone surrogates included. Constrained strings count
// characters (code points) and run their DFA over the decoded characters;
// they take \u escapes of non-surrogates only (characters beyond the BMP
// are written as UTF-8). Keys of objects with properties are matched
// against the property names, decoded; where no additional property may
// come, a key takes no \u escape.

func hexVal(b byte) int32 {
	switch {
	case b >= '0' && b <= '9':
		return int32(b - '0')
	case b >= 'a' && b <= 'f':
		return int32(b-'a') + 10
	case b >= 'A' && b <= 'F':
		return int32(b-'A') + 10
	}
	return -1
}

// simpleEscape returns the character escape \b stands for.
func simpleEscape(b byte) (rune, bool) {
	switch b {
	case '"', '\\', '/':
		return rune(b), true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	}
	return 0, false
}

const escapeChars = "\"\\/bfnrt"

// strInfo describes the constraints on a string frame.
type strInfo struct {
	key     bool
	counted bool // a length bound without a DFA: count characters in a
	d       *dfa
	sn      *stringNode
}

func (m *stepper) info(f *frame) strInfo {
	if f.kind == fKey {
		return strInfo{key: true}
	}
	sn := &m.g.strs[f.node]
	si := strInfo{sn: sn}
	if sn.dfa >= 0 {
		si.d = m.g.dfas[sn.dfa]
	} else if sn.min > 0 || sn.max >= 0 {
		si.counted = true
	}
	return si
}

func (m *stepper) feedString(st *state, si int, f *frame, b byte) bool {
	in := m.info(f)
	switch {
	case f.esc == 0 && f.u == u8Ground:
		switch {
		case b == '"':
			if in.key {
				return m.closeKey(st, si, f)
			}
			if in.counted && f.a < in.sn.min || in.d != nil && !in.d.acceptEnd[f.b] {
				return false
			}
			st.pop(si)
			return true
		case b == '\\':
			if !m.escapeOK(st, si, f, in) {
				return false
			}
			f.esc = 1
			return true
		case b < 0x20:
			return false
		case b < 0x80:
			return m.char(st, si, f, in, rune(b))
		}
		u, ok := utf8Next(u8Ground, b)
		if !ok {
			return false
		}
		f.u, f.c = u, utf8LeadBits(b)
		switch {
		case in.key:
			return m.keyByte(st, si, f, b)
		case in.counted:
			if in.sn.max >= 0 && f.a >= in.sn.max {
				return false
			}
			f.a++
		case in.d != nil:
			lo, hi := utf8Range(u, f.c)
			return in.d.rangeAlive(f.b, lo, hi)
		}
		return true
	case f.esc == 0:
		u, ok := utf8Next(f.u, b)
		if !ok {
			return false
		}
		f.u, f.c = u, f.c<<6|int32(b&0x3F)
		r := rune(f.c)
		if u == u8Ground {
			f.c = 0 // equal states must look equal
		}
		switch {
		case in.key:
			return m.keyByte(st, si, f, b)
		case in.d != nil:
			if u == u8Ground {
				f.b = in.d.next(f.b, r)
				return f.b >= 0
			}
			lo, hi := utf8Range(u, f.c)
			return in.d.rangeAlive(f.b, lo, hi)
		}
		return true
	case f.esc == 1:
		if b == 'u' {
			if in.key && !m.g.extrasNow(st.stacks[si].n-1, &st.frames[st.stacks[si].off+st.stacks[si].n-2]) {
				return false
			}
			if in.d != nil && !in.d.rangeAlive(f.b, 0, 0xFFFF) {
				return false
			}
			f.esc, f.c = 2, 0
			return true
		}
		r, ok := simpleEscape(b)
		if !ok {
			return false
		}
		f.esc = 0
		if in.counted {
			f.a-- // char counts it again
		}
		return m.char(st, si, f, in, r)
	}
	// Hex digits of \uXXXX.
	h := hexVal(b)
	if h < 0 {
		return false
	}
	f.c = f.c<<4 | h
	f.esc++
	constrained := in.key && m.g.objs[f.node].names >= 0 || in.counted || in.d != nil
	if f.esc < 6 {
		if !constrained {
			return true
		}
		shift := uint(4 * (6 - f.esc))
		lo, hi := rune(f.c)<<shift, rune(f.c)<<shift|(1<<shift-1)
		if lo >= 0xD800 && hi <= 0xDFFF {
			return false
		}
		return in.d == nil || in.d.rangeAlive(f.b, lo, hi)
	}
	f.esc = 0
	r := rune(f.c)
	f.c = 0
	if !constrained {
		return true
	}
	if r >= 0xD800 && r <= 0xDFFF {
		return false
	}
	if in.counted {
		f.a-- // counted at the backslash
	}
	return m.char(st, si, f, in, r)
}

// char takes a whole character r (ASCII, or decoded from an escape).
func (m *stepper) char(st *state, si int, f *frame, in strInfo, r rune) bool {
	switch {
	case in.key:
		if f.b < 0 && f.node >= 0 && m.g.objs[f.node].names < 0 {
			return true // free key
		}
		var buf [4]byte
		n := utf8.EncodeRune(buf[:], r)
		for _, c := range buf[:n] {
			if !m.keyByte(st, si, f, c) {
				return false
			}
		}
		return true
	case in.counted:
		if in.sn.max >= 0 && f.a >= in.sn.max {
			return false
		}
		f.a++
	case in.d != nil:
		f.b = in.d.next(f.b, r)
		return f.b >= 0
	}
	return true
}

// escapeOK reports whether some escape can follow a backslash here.
func (m *stepper) escapeOK(st *state, si int, f *frame, in strInfo) bool {
	switch {
	case in.key:
		h := &st.stacks[si]
		obj := &st.frames[h.off+h.n-2]
		if m.g.extrasNow(h.n-1, obj) {
			return true
		}
		for i := range len(escapeChars) {
			r, _ := simpleEscape(escapeChars[i])
			if m.nameAlive(h.n-1, obj, f.b, byte(r)) {
				return true
			}
		}
		return false
	case in.counted:
		if in.sn.max >= 0 && f.a >= in.sn.max {
			return false
		}
		f.a++ // the escape's character; char undoes this before counting
		return true
	case in.d != nil:
		for i := range len(escapeChars) {
			r, _ := simpleEscape(escapeChars[i])
			if in.d.next(f.b, r) >= 0 {
				return true
			}
		}
		return in.d.rangeAlive(f.b, 0, 0xFFFF)
	}
	return true
}

// nameAlive reports whether the key at name-trie node t (-1: none) can
// take byte c and still become a candidate property of object frame obj
// (on a stack of n frames).
func (m *stepper) nameAlive(n int32, obj *frame, t int32, c byte) bool {
	if t < 0 {
		return false
	}
	t = m.g.names.child(t, c)
	return t >= 0 && m.candidateBelow(n, obj, t)
}

// candidateBelow reports whether name-trie node t leads to a property that
// object frame obj (on a stack of n frames) may take next.
func (m *stepper) candidateBelow(n int32, obj *frame, t int32) bool {
	g := m.g
	o := &g.objs[obj.node]
	lo, hi := o.candidates(obj.a)
	sub := g.names.nodes[t].sub
	i, _ := slices.BinarySearch(sub, lo)
	for _, p := range sub[i:] {
		if p > hi {
			break
		}
		if fits(n, g.md[o.props[p].value]) {
			return true
		}
	}
	return false
}

// keyByte advances a key over one byte of its decoded name.
func (m *stepper) keyByte(st *state, si int, f *frame, c byte) bool {
	h := &st.stacks[si]
	obj := &st.frames[h.off+h.n-2]
	if f.b >= 0 {
		f.b = m.g.names.child(f.b, c)
		if f.b >= 0 && m.candidateBelow(h.n-1, obj, f.b) {
			return true
		}
	}
	return m.g.extrasNow(h.n-1, obj)
}

// closeKey ends a key: a candidate property's name, or an additional one.
func (m *stepper) closeKey(st *state, si int, f *frame) bool {
	g := m.g
	h := &st.stacks[si]
	obj := &st.frames[h.off+h.n-2]
	o := &g.objs[obj.node]
	if f.b >= 0 {
		if p := g.names.nodes[f.b].term; p >= 0 {
			lo, hi := o.candidates(obj.a)
			if p < lo || p > hi || !fits(h.n-1, g.md[o.props[p].value]) {
				return false
			}
			obj.b, obj.phase, obj.ws = p, oColon, 0
			st.pop(si)
			return true
		}
	}
	if !g.extrasNow(h.n-1, obj) {
		return false
	}
	obj.b, obj.phase, obj.ws = -1, oColon, 0
	st.pop(si)
	return true
}
