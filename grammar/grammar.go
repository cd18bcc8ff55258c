package grammar

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
)

// Limits of the JSON the constraints let a model write. They keep every
// generation finite apart from the content itself: a model cannot loop on
// white space or digits.
const (
	// MaxWhitespace is the most consecutive insignificant white-space bytes
	// (space, tab, CR, LF) between two JSON tokens. 20 allows pretty-printed
	// output (a newline and indentation) several levels deep.
	MaxWhitespace = 20
	// MaxNumberLength is the most bytes in one number.
	MaxNumberLength = 32
	// MaxDepth is the most nested values (objects, arrays and the string or
	// number innermost), counting the top level.
	MaxDepth = 64
)

const (
	maxStacks     = 32    // parallel parses kept (anyOf alternatives)
	maxNodes      = 20000 // compiled schema nodes
	maxSchemaNest = 200   // nesting of the schema document
	maxCached     = 128   // cached plain-token masks per grammar
	inf           = 1 << 30
)

// Grammar is a compiled schema (or choice of schemas) over one vocabulary.
// It is safe for concurrent use; each generation needs its own Constraint
// (New).
type Grammar struct {
	v        *Vocab
	values   []valueNode
	objs     []objectNode
	arrs     []arrayNode
	strs     []stringNode
	nums     []numberNode
	dfas     []*dfa
	lits     byteTrie // literal values (enum, const, true, false, null)
	names    byteTrie // property names (payload: property index)
	prefixes []prefixLit
	choice   []int32 // the value node of each alternative
	single   bool    // one alternative without prefix: root frame holds it
	anyID    int32   // 1 + the node of any JSON value (0: not made yet)
	md       []int32 // minimum depth of each value node (inf: no value)
	objMD    []int32
	arrMD    []int32

	mu    sync.Mutex
	cache map[plainKey]bitset
}

// valueNode is a schema: either alternatives (anyOf) or typed parts, each
// -1 when that type is not allowed.
type valueNode struct {
	alts                    []int32 // flattened, never alternatives themselves
	obj, arr, str, num, lit int32
}

func newValue() valueNode { return valueNode{obj: -1, arr: -1, str: -1, num: -1, lit: -1} }

type prop struct {
	name     string
	value    int32
	required bool
}

// objectNode: properties come in schema order; optional ones may be left
// out; additional properties (when allowed) come after them.
type objectNode struct {
	props   []prop
	nextReq []int32 // nextReq[i]: first required index >= i (len(props) if none)
	extra   int32   // value node of additional properties, -1: not allowed
	names   int32   // root of the name trie, -1 without properties
}

type arrayNode struct {
	prefix   []int32
	items    int32 // after the prefix; -1: none
	min, max int32 // max -1: unbounded
}

func (a *arrayNode) item(i int32) int32 {
	if int(i) < len(a.prefix) {
		return a.prefix[i]
	}
	return a.items
}

// stringNode: min and max count characters; dfa (-1: none) constrains the
// content (pattern, format, and then also the length).
type stringNode struct {
	min, max int32
	dfa      int32
}

// prefixLit is the literal prefix of an alternative. atom marks control
// tokens inside it: 1 where one starts, 2 inside it.
type prefixLit struct {
	b    []byte
	atom []uint8
}

// New returns a constraint for one generation.
func (g *Grammar) New(opts ...Option) (*Constraint, error) {
	c := newConstraint(g)
	var o options
	for _, f := range opts {
		f(&o)
	}
	if len(o.marker) > 0 {
		c.setGate(o.marker)
	}
	if len(o.prefill) > 0 {
		if err := c.Feed(o.prefill); err != nil {
			return nil, fmt.Errorf("grammar: prefilled text: %w", err)
		}
	}
	return c, nil
}

// compile builds the grammar of a choice of alternatives.
func compile(v *Vocab, alts []Alternative) (*Grammar, error) {
	g := &Grammar{v: v, cache: map[plainKey]bitset{}}
	for i, a := range alts {
		var node int32
		var err error
		s := bytes.TrimSpace(a.Schema)
		if len(s) == 0 || string(s) == "null" {
			node = g.anyObject()
		} else if node, err = compileSchema(g, s); err != nil {
			if len(alts) > 1 {
				return nil, fmt.Errorf("alternative %d: %w", i, err)
			}
			return nil, err
		}
		g.choice = append(g.choice, node)
		g.prefixes = append(g.prefixes, v.prefixLit(a.Prefix))
	}
	g.single = len(alts) == 1 && len(alts[0].Prefix) == 0
	g.flatten()
	g.depths()
	ok := false
	for _, node := range g.choice {
		ok = ok || fits(1, g.md[node])
	}
	if !ok {
		return nil, fmt.Errorf("grammar: no JSON value satisfies the schema within %d levels of nesting", MaxDepth)
	}
	return g, nil
}

// anyValue returns the node of any JSON value (and makes it once).
func (g *Grammar) anyValue() int32 {
	if g.anyID > 0 {
		return g.anyID - 1
	}
	id := int32(len(g.values))
	g.anyID = id + 1
	g.values = append(g.values, newValue())
	vn := newValue()
	vn.obj = int32(len(g.objs))
	g.objs = append(g.objs, objectNode{nextReq: []int32{0}, extra: id, names: -1})
	vn.arr = int32(len(g.arrs))
	g.arrs = append(g.arrs, arrayNode{items: id, max: -1})
	vn.str = int32(len(g.strs))
	g.strs = append(g.strs, stringNode{max: -1, dfa: -1})
	vn.num = int32(len(g.nums))
	g.nums = append(g.nums, numberNode{maxLen: MaxNumberLength})
	vn.lit = g.lits.newRoot()
	for _, s := range []string{"true", "false", "null"} {
		g.lits.insert(vn.lit, []byte(s), 0)
	}
	g.values[id] = vn
	return id
}

// anyObject returns a new node of any JSON object.
func (g *Grammar) anyObject() int32 {
	anyV := g.anyValue()
	vn := newValue()
	vn.obj = g.values[anyV].obj
	g.values = append(g.values, vn)
	return int32(len(g.values) - 1)
}

// flatten replaces every list of alternatives by the typed nodes it reaches.
func (g *Grammar) flatten() {
	for i := range g.values {
		if len(g.values[i].alts) == 0 {
			continue
		}
		var out []int32
		seen := map[int32]bool{int32(i): true}
		var walk func(n int32)
		walk = func(n int32) {
			if seen[n] {
				return
			}
			seen[n] = true
			if len(g.values[n].alts) == 0 {
				out = append(out, n)
				return
			}
			for _, a := range g.values[n].alts {
				walk(a)
			}
		}
		for _, a := range g.values[i].alts {
			walk(a)
		}
		if out == nil {
			out = []int32{} // no value: an empty list still means alternatives
		}
		g.values[i].alts = out
	}
}

// depths computes the minimum nesting each node needs (inf: no value at
// all satisfies it), the fixpoint of a min-max system; after MaxDepth+1
// rounds every depth up to MaxDepth is exact.
func (g *Grammar) depths() {
	g.md = make([]int32, len(g.values))
	g.objMD = make([]int32, len(g.objs))
	g.arrMD = make([]int32, len(g.arrs))
	for i := range g.md {
		g.md[i] = inf
	}
	for i := range g.objMD {
		g.objMD[i] = inf
	}
	for i := range g.arrMD {
		g.arrMD[i] = inf
	}
	for range MaxDepth + 2 {
		changed := false
		for i := range g.objs {
			d := int32(1)
			for _, p := range g.objs[i].props {
				if p.required {
					d = max(d, 1+g.md[p.value])
				}
			}
			if d > MaxDepth {
				d = inf
			}
			if d < g.objMD[i] {
				g.objMD[i], changed = d, true
			}
		}
		for i := range g.arrs {
			a := &g.arrs[i]
			d := int32(1)
			if a.max >= 0 && a.min > a.max {
				d = inf
			}
			for k := int32(0); k < a.min && d < inf; k++ {
				it := a.item(k)
				if it < 0 {
					d = inf
					break
				}
				d = max(d, 1+g.md[it])
				if int(k) >= len(a.prefix) {
					break // the rest are the same items
				}
			}
			if d > MaxDepth {
				d = inf
			}
			if d < g.arrMD[i] {
				g.arrMD[i], changed = d, true
			}
		}
		for i := range g.values {
			d := g.valueMD(int32(i))
			if d < g.md[i] {
				g.md[i], changed = d, true
			}
		}
		if !changed {
			break
		}
	}
}

func (g *Grammar) valueMD(i int32) int32 {
	vn := &g.values[i]
	if vn.alts != nil {
		d := int32(inf)
		for _, a := range vn.alts {
			d = min(d, g.md[a])
		}
		return d
	}
	d := int32(inf)
	if vn.obj >= 0 {
		d = min(d, g.objMD[vn.obj])
	}
	if vn.arr >= 0 {
		d = min(d, g.arrMD[vn.arr])
	}
	if vn.str >= 0 || vn.num >= 0 || vn.lit >= 0 {
		d = min(d, 1)
	}
	return d
}

// prefixLit prepares a literal prefix, finding the control tokens in it
// (leftmost, longest first).
func (v *Vocab) prefixLit(b []byte) prefixLit {
	p := prefixLit{b: bytes.Clone(b), atom: make([]uint8, len(b))}
	for i := 0; i < len(b); {
		best := 0
		for _, id := range v.ctrlIDs {
			t := v.tokens[id]
			if len(t) > best && bytes.HasPrefix(b[i:], t) {
				best = len(t)
			}
		}
		if best == 0 {
			i++
			continue
		}
		p.atom[i] = 1
		for k := i + 1; k < i+best; k++ {
			p.atom[k] = 2
		}
		i += best
	}
	return p
}

// byteTrie is a small trie of literal byte strings with a payload at the
// end of each (-1: no string ends here). For property names every node
// also lists the payloads below it (sorted), to tell which names a prefix
// can still become.
type byteTrie struct {
	nodes []tnode
}

type tnode struct {
	edges []tedge
	term  int32
	sub   []int32
}

type tedge struct {
	b  byte
	to int32
}

func (t *byteTrie) newRoot() int32 {
	t.nodes = append(t.nodes, tnode{term: -1})
	return int32(len(t.nodes) - 1)
}

func (t *byteTrie) child(n int32, b byte) int32 {
	for _, e := range t.nodes[n].edges {
		if e.b == b {
			return e.to
		}
	}
	return -1
}

func (t *byteTrie) insert(root int32, s []byte, payload int32) {
	n := root
	for _, b := range s {
		c := t.child(n, b)
		if c < 0 {
			c = int32(len(t.nodes))
			t.nodes = append(t.nodes, tnode{term: -1})
			t.nodes[n].edges = append(t.nodes[n].edges, tedge{b, c})
		}
		n = c
	}
	t.nodes[n].term = payload
}

// index fills sub for the trie under root.
func (t *byteTrie) index(root int32) []int32 {
	var sub []int32
	if p := t.nodes[root].term; p >= 0 {
		sub = append(sub, p)
	}
	for _, e := range t.nodes[root].edges {
		sub = append(sub, t.index(e.to)...)
	}
	slices.Sort(sub)
	t.nodes[root].sub = sub
	return sub
}
