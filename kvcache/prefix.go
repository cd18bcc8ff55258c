package kvcache

import (
	"crypto/sha256"
	"encoding/binary"
)

// The prefix cache is a radix tree over token ids whose edges are whole
// blocks: the node at depth d holds the cache of positions
// [(d-1)·BlockTokens, d·BlockTokens) for one exact sequence of earlier
// tokens. Each scope (API key and user) has its own root, so entries are
// invisible across scopes. A node keeps its block in RAM while the pool has
// room and, with a disk tier, on disk under its chain hash (a digest of the
// scope and every token up to the end of the block), which is how it is
// found again after eviction or a restart.

// Hash identifies a block of a token prefix within a scope.
type Hash [32]byte

type node struct {
	parent   *node
	key      string // the block's token ids, packed
	hash     Hash
	block    *Block // nil when not in RAM
	children map[string]*node
	lastUse  uint64
	onDisk   bool
	// unit marks a prefix that later requests may hit (see Lookup).
	unit bool
}

type prefixTree struct {
	pool     *Pool
	roots    map[string]*node
	clock    uint64
	disk     *Disk // optional
	nodes    map[*node]struct{}
	interval int // a unit every interval blocks of a published sequence (0: none)

	hits, lookups uint64 // tokens
}

// PrefixStats counts the prefix cache's work.
type PrefixStats struct {
	HitTokens, LookupTokens uint64 // prompt tokens served from the cache / looked up
	RAMBlocks               int    // blocks held in RAM by the cache
	DiskBytes               int64
}

// EnablePrefixCache turns on prefix caching in RAM (bounded by the pool's
// budget, least recently used blocks evicted first) and, when disk is not
// nil, on disk. intervalBlocks > 0 also makes a cache unit every that many
// blocks inside long sequences (see Lookup).
func (p *Pool) EnablePrefixCache(disk *Disk, intervalBlocks int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.prefix = &prefixTree{pool: p, roots: map[string]*node{}, disk: disk, nodes: map[*node]struct{}{}, interval: intervalBlocks}
}

// PrefixStats returns the prefix cache's counters (zero without one).
func (p *Pool) PrefixStats() PrefixStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.prefix
	if t == nil {
		return PrefixStats{}
	}
	st := PrefixStats{HitTokens: t.hits, LookupTokens: t.lookups}
	for n := range t.nodes {
		if n.block != nil {
			st.RAMBlocks++
		}
	}
	if t.disk != nil {
		st.DiskBytes = t.disk.Bytes()
	}
	return st
}

func packTokens(toks []int) string {
	b := make([]byte, 4*len(toks))
	for i, t := range toks {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(t))
	}
	return string(b)
}

func scopeHash(scope string) Hash { return sha256.Sum256([]byte("seekd-kv-scope\x00" + scope)) }

func chainHash(parent Hash, key string) Hash {
	h := sha256.New()
	h.Write(parent[:])
	h.Write([]byte(key))
	var out Hash
	h.Sum(out[:0])
	return out
}

func (t *prefixTree) root(scope string) *node {
	r := t.roots[scope]
	if r == nil {
		r = &node{hash: scopeHash(scope), children: map[string]*node{}}
		t.roots[scope] = r
	}
	return r
}

func (t *prefixTree) child(n *node, key string) *node {
	c := n.children[key]
	if c == nil {
		c = &node{parent: n, key: key, hash: chainHash(n.hash, key), children: map[string]*node{}}
		n.children[key] = c
		t.nodes[c] = struct{}{}
	}
	return c
}

// Lookup finds the longest cached prefix of tokens and adopts its blocks
// into s, which must be empty; it returns the number of positions now in
// s's cache (a multiple of the block size).
//
// It follows DeepSeek's documented caching units: a request hits only on a
// prefix that is a whole unit, and units are made at request boundaries
// (the end of a prompt and of an output, see Publish), every interval
// blocks inside long sequences, and when two requests are found to share a
// prefix (that prefix becomes a unit for later requests: A+B then A+C
// misses, a later A+D hits on A). At least one token is always left to
// compute, since its logits start the generation. After a restart, blocks
// found on disk count as units.
func (s *Seq) Lookup(scope string, tokens []int) int {
	p := s.pool
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.prefix
	if t == nil || len(s.blocks) > 0 {
		return 0
	}
	bt := p.blockTokens
	maxBlocks := (len(tokens) - 1) / bt
	t.lookups += uint64(len(tokens))
	n := t.root(scope)
	var path []*node // matched nodes, in RAM
	useTo := 0       // blocks usable: up to the deepest unit
	for i := 0; i < len(tokens)/bt; i++ {
		key := packTokens(tokens[i*bt : (i+1)*bt])
		c := n.children[key]
		if c == nil {
			if t.disk == nil {
				break
			}
			c = t.child(n, key)
		}
		if c.block == nil && !t.loadLocked(c) {
			if len(c.children) == 0 {
				t.dropLocked(c)
			}
			break
		}
		p.refLocked(c.block) // held while we look further
		path = append(path, c)
		if c.unit {
			useTo = len(path)
		}
		n = c
	}
	// The deepest shared block becomes a unit for later requests.
	if len(path) > 0 {
		path[len(path)-1].unit = true
	}
	use := min(useTo, maxBlocks)
	for i, c := range path {
		if i < use {
			t.clock++
			c.lastUse = t.clock
			s.blocks = append(s.blocks, c.block)
		} else {
			p.unrefLocked(c.block)
		}
	}
	hit := use * bt
	t.hits += uint64(hit)
	return hit
}

// loadLocked brings a node's block back from disk.
func (t *prefixTree) loadLocked(n *node) bool {
	if t.disk == nil {
		return false
	}
	b, err := t.pool.getLocked()
	if err != nil {
		return false
	}
	if !t.disk.Load(n.hash, n.key, b.Data) {
		t.pool.unrefLocked(b)
		n.onDisk = false
		return false
	}
	n.block, b.node, n.onDisk, n.unit = b, n, true, true // b's reference is the tree's
	return true
}

// Publish offers the sequence's full blocks covering tokens (whose cache
// must be computed) to the prefix cache, for later requests in scope. The
// last full block ends a unit (a request boundary).
func (s *Seq) Publish(scope string, tokens []int) {
	p := s.pool
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.prefix
	if t == nil {
		return
	}
	bt := p.blockTokens
	full := min(len(tokens)/bt, len(s.blocks))
	n := t.root(scope)
	for i := 0; i < full; i++ {
		key := packTokens(tokens[i*bt : (i+1)*bt])
		c := t.child(n, key)
		b := s.blocks[i]
		switch {
		case c.block == b:
		case c.block == nil && b.node == nil:
			p.refLocked(b)
			c.block, b.node = b, c
		}
		t.clock++
		c.lastUse = t.clock
		if i == full-1 || (t.interval > 0 && (i+1)%t.interval == 0) {
			c.unit = true
		}
		if t.disk != nil && !c.onDisk && c.block != nil {
			c.onDisk = true
			blk := c.block
			p.refLocked(blk) // held until written
			t.disk.store(c.hash, c.key, blk.Data, func() { p.Put(blk) })
		}
		n = c
	}
}

// evictLocked frees the least recently used block that only the cache
// holds, preferring blocks with no cached continuation. It reports whether
// it freed one.
func (t *prefixTree) evictLocked() bool {
	var victim *node
	for n := range t.nodes {
		if n.block == nil || n.block.refs != 1 || hasRAMChild(n) {
			continue
		}
		if victim == nil || n.lastUse < victim.lastUse {
			victim = n
		}
	}
	if victim == nil {
		return false
	}
	b := victim.block
	victim.block = nil
	t.pool.unrefLocked(b)
	if !victim.onDisk && len(victim.children) == 0 {
		t.dropLocked(victim)
	}
	return true
}

func hasRAMChild(n *node) bool {
	for _, c := range n.children {
		if c.block != nil {
			return true
		}
	}
	return false
}

// dropLocked removes a node without a block or children from the tree.
func (t *prefixTree) dropLocked(n *node) {
	for n != nil && n.parent != nil && n.block == nil && len(n.children) == 0 && !n.onDisk {
		delete(n.parent.children, n.key)
		delete(t.nodes, n)
		n = n.parent
	}
}
