package grammar

import "bytes"

// The recognizer is a pushdown automaton over bytes. Its state is a set of
// stacks (parses that are still possible: anyOf alternatives that begin
// alike run side by side); each stack is a list of fixed-size frames. A
// step never changes its source state, so the mask can walk the vocabulary
// trie keeping one state per depth.

// Frame kinds.
const (
	fRoot    uint8 = iota // bottom: phase 0 before the value, 1 after
	fPrefix               // a literal prefix, then its alternative's value
	fObject               // node: object; a: next property; b: chosen one (-1 extra)
	fArray                // node: array; a: items so far
	fString               // node: string; a: characters; b: DFA state; c: accumulator
	fKey                  // node: object; b: name-trie node (-1 none); c: accumulator
	fNumber               // node: number; a: bytes so far
	fLiteral              // a: literal-trie node
)

// Object phases.
const (
	oOpen  uint8 = iota // after '{'
	oKey                // inside a key (a key frame is above)
	oColon              // after a key
	oValue              // after ':'
	oAfter              // after a value
	oComma              // after ','
)

// Array phases.
const (
	aOpen  uint8 = iota // after '['
	aAfter              // after an item
	aComma              // after ','
)

// Number phases.
const (
	nStart uint8 = iota
	nMinus
	nZero
	nInt
	nDot
	nFrac
	nE
	nESign
	nExp
)

// frame is one level of a parse.
type frame struct {
	kind  uint8
	phase uint8
	ws    uint8 // consecutive white space
	esc   uint8 // strings: 0, 1 after '\\', 2-5 after "\\u" and 0-3 hex digits
	u     uint8 // strings: UTF-8 decoder state
	node  int32
	a     int32
	b     int32
	c     int32
}

// stackHdr locates a stack in state.frames; num holds the text of a
// bounded number being written (only the top frame can be one).
type stackHdr struct {
	off, n int32
	numLen uint8
	num    [MaxNumberLength]byte
}

// state is the set of live parses.
type state struct {
	frames []frame
	stacks []stackHdr
}

func (s *state) copyFrom(o *state) {
	s.frames = append(s.frames[:0], o.frames...)
	s.stacks = append(s.stacks[:0], o.stacks...)
}

func (s *state) top(si int) *frame {
	h := &s.stacks[si]
	return &s.frames[h.off+h.n-1]
}

// push and pop work on the last stack only (its frames end s.frames).
func (s *state) push(si int, f frame) {
	s.frames = append(s.frames, f)
	s.stacks[si].n++
}

func (s *state) pop(si int) {
	h := &s.stacks[si]
	h.n--
	s.frames = s.frames[:h.off+h.n]
}

// part is the typed piece of a value node that a first byte selects.
type part struct {
	kind uint8 // 0 none, else fObject, fArray, fString, fNumber, fLiteral
	idx  int32
}

type fork struct {
	hdr    stackHdr
	off, n int32
	p      part
}

// stepper steps states of one grammar; it holds scratch space.
type stepper struct {
	g          *Grammar
	forkFrames []frame
	forks      []fork
}

// Results of feeding a byte to a frame that may end before it.
const (
	reject = iota
	consumed
	refeed // the frame ended; the byte goes to the one below
)

// fits reports whether a value needing md levels can start on a stack of
// n frames (the root frame is not a level).
func fits(n, md int32) bool { return n+md-1 <= MaxDepth }

// initial sets st to the start state.
func (g *Grammar) initial(st *state) {
	st.frames, st.stacks = st.frames[:0], st.stacks[:0]
	if g.single {
		st.frames = append(st.frames, frame{kind: fRoot, node: g.choice[0]})
		st.stacks = append(st.stacks, stackHdr{off: 0, n: 1})
		return
	}
	for i, node := range g.choice {
		if !fits(1, g.md[node]) {
			continue // no value: its prefix would lead nowhere
		}
		ph := uint8(0)
		if len(g.prefixes[i].b) == 0 {
			ph = 1
		}
		off := int32(len(st.frames))
		st.frames = append(st.frames, frame{kind: fRoot, phase: 1}, frame{kind: fPrefix, phase: ph, node: int32(i)})
		st.stacks = append(st.stacks, stackHdr{off: off, n: 2})
	}
}

// step feeds byte b (from a control token when special) to src, writing
// the result to dst; it reports whether any parse survives.
func (m *stepper) step(src *state, b byte, special bool, dst *state) bool {
	dst.frames, dst.stacks = dst.frames[:0], dst.stacks[:0]
	for si := range src.stacks {
		h := src.stacks[si]
		m.forks, m.forkFrames = m.forks[:0], m.forkFrames[:0]
		m.run(dst, h, src.frames[h.off:h.off+h.n], b, special, part{})
		for i := 0; i < len(m.forks); i++ {
			f := m.forks[i]
			m.run(dst, f.hdr, m.forkFrames[f.off:f.off+f.n], b, special, f.p)
		}
	}
	if len(dst.stacks) > 1 {
		dedupe(dst)
	}
	return len(dst.stacks) > 0
}

// run appends a copy of one stack to dst and feeds it b (or starts part p
// with b, for a fork).
func (m *stepper) run(dst *state, h stackHdr, frames []frame, b byte, special bool, p part) {
	off := int32(len(dst.frames))
	dst.frames = append(dst.frames, frames...)
	h.off = off
	dst.stacks = append(dst.stacks, h)
	si := len(dst.stacks) - 1
	var ok bool
	if p.kind != 0 {
		ok = m.push(dst, si, p, b)
	} else {
		ok = m.feed(dst, si, b, special)
	}
	if !ok {
		dst.frames = dst.frames[:off]
		dst.stacks = dst.stacks[:si]
	}
}

// feed feeds b to stack si (the last in st).
func (m *stepper) feed(st *state, si int, b byte, special bool) bool {
	g := m.g
	for {
		h := &st.stacks[si]
		if h.n == 0 {
			return false
		}
		f := &st.frames[h.off+h.n-1]
		if special && f.kind != fPrefix {
			return false
		}
		switch f.kind {
		case fString, fKey:
			return m.feedString(st, si, f, b)
		case fNumber:
			if r := m.feedNumber(st, si, f, b); r != refeed {
				return r == consumed
			}
		case fLiteral:
			if r := m.feedLiteral(st, si, f, b); r != refeed {
				return r == consumed
			}
		case fObject:
			return m.feedObject(st, si, f, b)
		case fArray:
			return m.feedArray(st, si, f, b)
		case fRoot:
			if f.phase == 1 {
				return false
			}
			if isWS(b) {
				return wsOK(f)
			}
			f.phase = 1
			return m.startValue(st, si, f.node, b)
		case fPrefix:
			p := &g.prefixes[f.node]
			if f.phase == 0 {
				i := f.a
				if p.b[i] != b || (p.atom[i] != 0) != special {
					return false
				}
				f.a++
				if int(f.a) == len(p.b) {
					f.phase = 1
				}
				return true
			}
			if isWS(b) {
				return wsOK(f)
			}
			v := g.choice[f.node]
			st.pop(si)
			return m.startValue(st, si, v, b)
		}
	}
}

func wsOK(f *frame) bool {
	if f.ws >= MaxWhitespace {
		return false
	}
	f.ws++
	return true
}

// partFor returns the part of value node v that byte b starts.
func (g *Grammar) partFor(v int32, b byte) (part, bool) {
	vn := &g.values[v]
	switch {
	case b == '{':
		if vn.obj >= 0 {
			return part{fObject, vn.obj}, true
		}
	case b == '[':
		if vn.arr >= 0 {
			return part{fArray, vn.arr}, true
		}
	case b == '"':
		if vn.str >= 0 {
			return part{fString, vn.str}, true
		}
	case b == '-' || b >= '0' && b <= '9':
		if vn.num >= 0 {
			return part{fNumber, vn.num}, true
		}
	}
	if vn.lit >= 0 && g.lits.child(vn.lit, b) >= 0 {
		return part{fLiteral, vn.lit}, true
	}
	return part{}, false
}

func (g *Grammar) partMD(p part) int32 {
	switch p.kind {
	case fObject:
		return g.objMD[p.idx]
	case fArray:
		return g.arrMD[p.idx]
	}
	return 1
}

// startValue starts value node v with byte b on stack si, forking a copy
// of the stack for every further alternative b can start.
func (m *stepper) startValue(st *state, si int, v int32, b byte) bool {
	g := m.g
	n := st.stacks[si].n
	vn := &g.values[v]
	if vn.alts == nil {
		p, ok := g.partFor(v, b)
		if !ok || !fits(n, g.partMD(p)) {
			return false
		}
		return m.push(st, si, p, b)
	}
	var first part
	for _, a := range vn.alts {
		p, ok := g.partFor(a, b)
		if !ok || !fits(n, g.partMD(p)) {
			continue
		}
		if first.kind == 0 {
			first = p
			continue
		}
		if len(m.forks) >= maxStacks {
			break // alternatives beyond these are not taken
		}
		h := st.stacks[si]
		off := int32(len(m.forkFrames))
		m.forkFrames = append(m.forkFrames, st.frames[h.off:h.off+h.n]...)
		m.forks = append(m.forks, fork{hdr: h, off: off, n: h.n, p: p})
	}
	if first.kind == 0 {
		return false
	}
	return m.push(st, si, first, b)
}

// push starts part p with its first byte b.
func (m *stepper) push(st *state, si int, p part, b byte) bool {
	g := m.g
	switch p.kind {
	case fObject:
		st.push(si, frame{kind: fObject, phase: oOpen, node: p.idx, b: -1})
		return true
	case fArray:
		st.push(si, frame{kind: fArray, phase: aOpen, node: p.idx})
		return true
	case fString:
		s := &g.strs[p.idx]
		f := frame{kind: fString, node: p.idx}
		if s.dfa >= 0 {
			f.b = g.dfas[s.dfa].start
		}
		st.push(si, f)
		return true
	case fNumber:
		st.push(si, frame{kind: fNumber, node: p.idx})
		st.stacks[si].numLen = 0
		return m.feedNumber(st, si, st.top(si), b) == consumed
	case fLiteral:
		st.push(si, frame{kind: fLiteral, a: p.idx})
		return m.feedLiteral(st, si, st.top(si), b) == consumed
	}
	return false
}

func (m *stepper) feedLiteral(st *state, si int, f *frame, b byte) int {
	t := &m.g.lits
	if c := t.child(f.a, b); c >= 0 {
		f.a = c
		if t.nodes[c].term >= 0 && len(t.nodes[c].edges) == 0 {
			st.pop(si)
		}
		return consumed
	}
	if t.nodes[f.a].term >= 0 {
		st.pop(si)
		return refeed
	}
	return reject
}

func numNext(p uint8, b byte, integer, exp bool) (uint8, bool) {
	digit := b >= '0' && b <= '9'
	switch p {
	case nStart, nMinus:
		switch {
		case b == '-' && p == nStart:
			return nMinus, true
		case b == '0':
			return nZero, true
		case digit:
			return nInt, true
		}
	case nZero, nInt:
		switch {
		case digit && p == nInt:
			return nInt, true
		case b == '.' && !integer:
			return nDot, true
		case (b == 'e' || b == 'E') && exp:
			return nE, true
		}
	case nDot, nFrac:
		switch {
		case digit:
			return nFrac, true
		case (b == 'e' || b == 'E') && p == nFrac && exp:
			return nE, true
		}
	case nE:
		switch {
		case b == '+' || b == '-':
			return nESign, true
		case digit:
			return nExp, true
		}
	case nESign, nExp:
		if digit {
			return nExp, true
		}
	}
	return 0, false
}

func numEnd(p uint8) bool { return p == nZero || p == nInt || p == nFrac || p == nExp }

func (m *stepper) feedNumber(st *state, si int, f *frame, b byte) int {
	n := &m.g.nums[f.node]
	h := &st.stacks[si]
	if next, ok := numNext(f.phase, b, n.integer, !n.integer && !n.bounded); ok {
		if int(f.a) >= n.maxLen {
			return reject
		}
		if n.bounded {
			h.num[h.numLen] = b
			h.numLen++
			if !n.feasible(h.num[:h.numLen], false) {
				return reject
			}
		}
		f.phase = next
		f.a++
		return consumed
	}
	if !numEnd(f.phase) || n.bounded && !n.feasible(h.num[:h.numLen], true) {
		return reject
	}
	st.pop(si)
	return refeed
}

func (m *stepper) feedObject(st *state, si int, f *frame, b byte) bool {
	o := &m.g.objs[f.node]
	if isWS(b) {
		if f.phase == oKey {
			return false
		}
		return wsOK(f)
	}
	f.ws = 0
	switch f.phase {
	case oOpen, oComma:
		if b == '"' {
			return m.startKey(st, si, f)
		}
		if b == '}' && f.phase == oOpen && int(o.nextReq[f.a]) == len(o.props) {
			st.pop(si)
			return true
		}
	case oColon:
		if b == ':' {
			f.phase = oValue
			return true
		}
	case oValue:
		v := o.extra
		if f.b >= 0 {
			v = o.props[f.b].value
			f.a = f.b + 1
		}
		f.phase = oAfter
		return m.startValue(st, si, v, b)
	case oAfter:
		if b == ',' && m.anyKey(st.stacks[si].n, f) {
			f.phase = oComma
			return true
		}
		if b == '}' && int(o.nextReq[f.a]) == len(o.props) {
			st.pop(si)
			return true
		}
	}
	return false
}

// candidates is the range of properties an object frame's next key may
// name: optional ones up to the next required one.
func (o *objectNode) candidates(next int32) (lo, hi int32) {
	return next, min(o.nextReq[next], int32(len(o.props))-1)
}

// extrasNow reports whether the next key of object frame f (on a stack of
// n frames) may be an additional property.
func (g *Grammar) extrasNow(n int32, f *frame) bool {
	o := &g.objs[f.node]
	return o.extra >= 0 && int(o.nextReq[f.a]) == len(o.props) && fits(n, g.md[o.extra])
}

// anyKey reports whether object frame f (top of a stack of n frames) can
// take another key.
func (m *stepper) anyKey(n int32, f *frame) bool {
	g := m.g
	if !fits(n, 1) {
		return false
	}
	if g.extrasNow(n, f) {
		return true
	}
	o := &g.objs[f.node]
	lo, hi := o.candidates(f.a)
	for p := lo; p <= hi; p++ {
		if fits(n, g.md[o.props[p].value]) {
			return true
		}
	}
	return false
}

func (m *stepper) startKey(st *state, si int, f *frame) bool {
	if !m.anyKey(st.stacks[si].n, f) {
		return false
	}
	f.phase = oKey
	st.push(si, frame{kind: fKey, node: f.node, b: m.g.objs[f.node].names})
	return true
}

func (m *stepper) feedArray(st *state, si int, f *frame, b byte) bool {
	g := m.g
	a := &g.arrs[f.node]
	if isWS(b) {
		return wsOK(f)
	}
	f.ws = 0
	switch f.phase {
	case aOpen:
		if b == ']' {
			if a.min == 0 {
				st.pop(si)
				return true
			}
			return false
		}
		it := a.item(0)
		if it < 0 || a.max == 0 {
			return false
		}
		f.a, f.phase = 1, aAfter
		return m.startValue(st, si, it, b)
	case aAfter:
		if b == ',' {
			it := a.item(f.a)
			if (a.max < 0 || f.a < a.max) && it >= 0 && fits(st.stacks[si].n, g.md[it]) {
				f.phase = aComma
				return true
			}
			return false
		}
		if b == ']' && f.a >= a.min {
			st.pop(si)
			return true
		}
	case aComma:
		it := a.item(f.a)
		f.a++
		f.phase = aAfter
		return m.startValue(st, si, it, b)
	}
	return false
}

// complete reports whether every parse has ended.
func complete(st *state) bool {
	for _, h := range st.stacks {
		if h.n != 1 || st.frames[h.off].phase != 1 {
			return false
		}
	}
	return len(st.stacks) > 0
}

// accepting reports whether the output may end here (some parse is done,
// or only a number or literal at the top level is open and may end).
func (g *Grammar) accepting(st *state) bool {
	for si, h := range st.stacks {
		switch {
		case h.n == 1 && st.frames[h.off].phase == 1:
			return true
		case h.n == 2 && st.frames[h.off].phase == 1:
			f := st.top(si)
			switch f.kind {
			case fNumber:
				n := &g.nums[f.node]
				if numEnd(f.phase) && (!n.bounded || n.feasible(h.num[:h.numLen], true)) {
					return true
				}
			case fLiteral:
				if g.lits.nodes[f.a].term >= 0 {
					return true
				}
			}
		}
	}
	return false
}

// dedupe drops stacks equal to an earlier one, and stacks beyond maxStacks.
func dedupe(st *state) {
	out := 0
	w := int32(0)
	for i := range st.stacks {
		h := st.stacks[i]
		dup := out >= maxStacks
		for j := 0; j < out && !dup; j++ {
			dup = sameStack(st, &st.stacks[j], &h)
		}
		if dup {
			continue
		}
		copy(st.frames[w:], st.frames[h.off:h.off+h.n])
		h.off = w
		w += h.n
		st.stacks[out] = h
		out++
	}
	st.stacks = st.stacks[:out]
	st.frames = st.frames[:w]
}

func sameStack(st *state, a, b *stackHdr) bool {
	if a.n != b.n || a.numLen != b.numLen || !bytes.Equal(a.num[:a.numLen], b.num[:b.numLen]) {
		return false
	}
	for k := int32(0); k < a.n; k++ {
		if st.frames[a.off+k] != st.frames[b.off+k] {
			return false
		}
	}
	return true
}
