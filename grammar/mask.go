package grammar

import (
	"math"
	"math/bits"
)

// The mask walks the vocabulary trie with the recognizer, pruning a branch
// at the first byte no parse takes. Inside a string most tokens are
// "plain" (no quote, backslash or control byte), and whether a plain token
// fits depends only on the string's own state: those come from masks made
// once per vocabulary (free strings: by UTF-8 state; length bounds: by
// characters left) or once per DFA state (patterns, formats; cached in the
// grammar). Only the tokens with a quote, backslash or control byte are
// walked with the whole parse.

type walkFrame struct {
	node, edge, end int32
}

// plainKey identifies the state of a DFA-constrained string.
type plainKey struct {
	dfa, state, acc int32
	u               uint8
}

// Mask sets the logits of the tokens that may not come next to -Inf.
func (c *Constraint) Mask(logits []float32) {
	c.compute()
	c.apply(logits)
}

func (c *Constraint) apply(logits []float32) {
	n := min(len(logits), c.v.n)
	ninf := float32(math.Inf(-1))
	for wi, w := range c.allowed {
		if w == ^uint64(0) {
			continue
		}
		base := wi * 64
		for z := ^w; z != 0; z &= z - 1 {
			i := base + bits.TrailingZeros64(z)
			if i >= n {
				break
			}
			logits[i] = ninf
		}
	}
	for i := c.v.n; i < len(logits); i++ {
		logits[i] = ninf
	}
}

// compute fills c.allowed with the tokens that may come next.
func (c *Constraint) compute() {
	a := c.allowed
	a.clear()
	eos := c.v.eos
	if c.Complete() {
		if eos >= 0 {
			a.set(eos)
		}
		return
	}
	if c.gated {
		c.gateMask()
		return
	}
	c.s1.frames, c.s1.stacks = c.s1.frames[:0], c.s1.stacks[:0]
	c.s2.frames, c.s2.stacks = c.s2.frames[:0], c.s2.stacks[:0]
	ctrl := false
	for si, h := range c.st.stacks {
		f := c.st.top(si)
		dst := &c.s2
		if c.inContent(si, f) {
			c.plainMask(si, f, a)
			dst = &c.s1
		}
		if f.kind == fPrefix && f.phase == 0 && c.g.prefixes[f.node].atom[f.a] != 0 {
			ctrl = true
		}
		off := int32(len(dst.frames))
		dst.frames = append(dst.frames, c.st.frames[h.off:h.off+h.n]...)
		h.off = off
		dst.stacks = append(dst.stacks, h)
	}
	if len(c.s1.stacks) > 0 {
		c.walkTrie(&c.v.structural, &c.s1, false, a)
	}
	if len(c.s2.stacks) > 0 {
		c.walkTrie(&c.v.full, &c.s2, false, a)
	}
	if ctrl {
		for _, id := range c.v.ctrlIDs {
			if c.tryFeed(c.v.tokens[id], true) {
				a.set(int(id))
			}
		}
	}
	if eos >= 0 && c.g.accepting(&c.st) {
		a.set(eos)
	}
}

// inContent reports whether stack si is inside a string where plain
// tokens depend on the string's state alone.
func (c *Constraint) inContent(si int, f *frame) bool {
	switch f.kind {
	case fString:
		return f.esc == 0
	case fKey:
		h := &c.st.stacks[si]
		return f.esc == 0 && c.g.extrasNow(h.n-1, &c.st.frames[h.off+h.n-2])
	}
	return false
}

// plainMask adds the plain tokens string frame f (of stack si) takes.
func (c *Constraint) plainMask(si int, f *frame, out bitset) {
	v := c.v
	if f.kind == fKey {
		out.or(v.plain[f.u])
		return
	}
	sn := &c.g.strs[f.node]
	if sn.dfa < 0 {
		if sn.max < 0 || sn.max-f.a >= 255 {
			out.or(v.plain[f.u])
			return
		}
		rem := uint8(sn.max - f.a)
		t := c.tmpMask
		copy(t, v.plain[f.u])
		for _, id := range v.byStarts {
			if v.starts[id] <= rem {
				break
			}
			t.unset(int(id))
		}
		out.or(t)
		return
	}
	key := plainKey{dfa: sn.dfa, state: f.b, acc: f.c, u: f.u}
	if f.u == u8Ground {
		key.acc = 0
	}
	g := c.g
	g.mu.Lock()
	m, ok := g.cache[key]
	g.mu.Unlock()
	if ok {
		out.or(m)
		return
	}
	// Walk only plain bytes from a state holding just this parse.
	h := c.st.stacks[si]
	var one state
	one.frames = append(one.frames, c.st.frames[h.off:h.off+h.n]...)
	h.off = 0
	one.stacks = append(one.stacks, h)
	t := c.tmpMask
	t.clear()
	c.walkTrie(&c.v.full, &one, true, t)
	out.or(t)
	g.mu.Lock()
	if len(g.cache) < maxCached {
		g.cache[key] = append(bitset(nil), t...)
	}
	g.mu.Unlock()
}

// walkTrie adds to out every token of t that start's parses can take
// (only tokens of plain bytes when plainOnly).
func (c *Constraint) walkTrie(t *trie, start *state, plainOnly bool, out bitset) {
	if len(t.first) == 0 {
		return
	}
	c.walk[0].copyFrom(start)
	ws := c.wstack
	ws[0] = walkFrame{node: 0, edge: t.first[0], end: t.first[0] + int32(t.count[0])}
	d := 0
	for d >= 0 {
		w := &ws[d]
		if w.edge == w.end {
			d--
			continue
		}
		e := w.edge
		w.edge++
		b := t.edgeByte[e]
		if plainOnly && !isPlain(b) {
			continue
		}
		if !c.m.step(&c.walk[d], b, false, &c.walk[d+1]) {
			continue
		}
		child := t.edgeNode[e]
		for k, end := t.tokFirst[child], t.tokFirst[child]+int32(t.tokCount[child]); k < end; k++ {
			out.set(int(t.toks[k]))
		}
		if t.count[child] > 0 {
			d++
			ws[d] = walkFrame{node: child, edge: t.first[child], end: t.first[child] + int32(t.count[child])}
		}
	}
}

// tryFeed reports whether the parses take bytes b.
func (c *Constraint) tryFeed(b []byte, special bool) bool {
	x, y := &c.walk[0], &c.walk[1]
	x.copyFrom(&c.st)
	for _, ch := range b {
		if complete(x) || !c.m.step(x, ch, special, y) {
			return false
		}
		x, y = y, x
	}
	return true
}

// gateMask: before the marker everything but EOS goes, except tokens that
// complete the marker with bytes the grammar does not take after it.
func (c *Constraint) gateMask() {
	a := c.allowed
	for i := range a {
		a[i] = ^uint64(0)
	}
	if r := c.v.n % 64; r != 0 {
		a[len(a)-1] = 1<<r - 1
	}
	if c.v.eos >= 0 {
		a.unset(c.v.eos)
	}
	for _, id := range c.v.tokensWith(c.marker[len(c.marker)-1]) {
		t := c.v.tokens[id]
		i := c.markerEnd(c.match, t)
		if i < 0 || i == len(t) {
			continue
		}
		if !c.tryFeed(t[i:], false) {
			a.unset(int(id))
		}
	}
}
