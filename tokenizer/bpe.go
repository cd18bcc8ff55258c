package tokenizer

import (
	"fmt"
	"hash/maphash"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// noMerge is the packed merge value of a pair that has no merge.
const noMerge = ^uint64(0)

// Word cache bounds: words up to maxCachedWord bytes are cached, in a table
// of cacheSlots entries (a power of two).
const (
	maxCachedWord = 128
	cacheSlots    = 1 << 16
	// heapThreshold is the word length from which merging uses a heap.
	heapThreshold = 128
)

// bpeModel is a byte-level BPE model: vocabulary strings are in GPT-2's
// byte-to-unicode alphabet, and a word's first symbols are its bytes.
type bpeModel struct {
	vocab map[string]int32 // token (byte-level form) -> id
	// merges maps a pair of ids (left<<32 | right) to rank<<32 | merged id.
	merges       map[uint64]uint64
	byteIDs      [256]int32 // the id of each byte's one-character token, -1 if none
	alpha        [256]rune
	ignoreMerges bool
	unk          int32 // -1 if none
	cache        wordCache

	// tokens (id -> string, when each string has one id) lets addMerge try
	// a guessed id before hashing the merged string: in most vocabularies
	// the token made by merge r is id r + a constant (mergeOffset).
	tokens      []string
	mergeOffset int
}

func newBPEModel(vocab map[string]int32, nMerges int) *bpeModel {
	m := &bpeModel{
		vocab:  vocab,
		merges: make(map[uint64]uint64, nMerges),
		alpha:  byteLevelAlphabet(),
		unk:    -1,
	}
	m.cache = newWordCache()
	var buf [4]byte
	for b := range 256 {
		n := utf8.EncodeRune(buf[:], m.alpha[b])
		if id, ok := vocab[string(buf[:n])]; ok {
			m.byteIDs[b] = id
		} else {
			m.byteIDs[b] = -1
		}
	}
	return m
}

// addMerge records merge number rank, of the tokens a and b. scratch is a
// reusable buffer; the grown buffer is returned.
func addMerge[T string | []byte](m *bpeModel, a, b T, rank int, scratch []byte) ([]byte, error) {
	ia, ok := m.vocab[string(a)]
	if !ok {
		return scratch, fmt.Errorf("merge %d: token %q is not in the vocabulary", rank, a)
	}
	ib, ok := m.vocab[string(b)]
	if !ok {
		return scratch, fmt.Errorf("merge %d: token %q is not in the vocabulary", rank, b)
	}
	scratch = append(append(scratch[:0], a...), b...)
	id := int32(-1)
	if g := rank + m.mergeOffset; g >= 0 && g < len(m.tokens) && m.tokens[g] == string(scratch) {
		id = int32(g)
	} else if id, ok = m.vocab[string(scratch)]; !ok {
		return scratch, fmt.Errorf("merge %d: merged token %q is not in the vocabulary", rank, scratch)
	} else {
		m.mergeOffset = int(id) - rank
	}
	// A repeated pair keeps its last rank, as Hugging Face's merge map does.
	m.merges[uint64(uint32(ia))<<32|uint64(uint32(ib))] = uint64(rank)<<32 | uint64(uint32(id))
	return scratch, nil
}

func (m *bpeModel) pair(a, b int32) uint64 {
	if v, ok := m.merges[uint64(uint32(a))<<32|uint64(uint32(b))]; ok {
		return v
	}
	return noMerge
}

// encodeWord appends the ids of one pre-tokenized piece (raw bytes).
func (m *bpeModel) encodeWord(dst []int, w string, sc *scratch) []int {
	if len(w) == 1 && m.byteIDs[w[0]] >= 0 {
		return append(dst, int(m.byteIDs[w[0]])) // faster than the cache
	}
	if len(w) <= maxCachedWord {
		if ids, ok := m.cache.get(w); ok {
			for _, id := range ids {
				dst = append(dst, int(id))
			}
			return dst
		}
	}
	ids := m.wordIDs(w, sc)
	if len(w) <= maxCachedWord {
		m.cache.put(w, ids)
	}
	for _, id := range ids {
		dst = append(dst, int(id))
	}
	return dst
}

// wordIDs returns the ids of w in scratch space.
func (m *bpeModel) wordIDs(w string, sc *scratch) []int32 {
	if m.ignoreMerges {
		buf := sc.buf[:0]
		for i := 0; i < len(w); i++ {
			buf = utf8.AppendRune(buf, m.alpha[w[i]])
		}
		sc.buf = buf
		if id, ok := m.vocab[string(buf)]; ok {
			sc.ids = append(sc.ids[:0], id)
			return sc.ids
		}
	}
	ids := sc.ids[:0]
	for i := 0; i < len(w); i++ {
		if id := m.byteIDs[w[i]]; id >= 0 {
			ids = append(ids, id)
		} else if m.unk >= 0 {
			ids = append(ids, m.unk)
		}
	}
	if len(ids) >= heapThreshold {
		ids = m.mergeHeap(ids, sc)
	} else {
		ids = m.mergeSmall(ids, sc)
	}
	sc.ids = ids
	return ids
}

// mergeSmall applies the merges to ids: always the pair of lowest rank, the
// leftmost one among equals, until no pair has a merge. It keeps the rank of
// every adjacent pair in an array, so each merge costs two map lookups and a
// scan of the array.
func (m *bpeModel) mergeSmall(ids []int32, sc *scratch) []int32 {
	if len(ids) < 2 {
		return ids
	}
	pr := sc.pairs[:0]
	for i := 0; i+1 < len(ids); i++ {
		pr = append(pr, m.pair(ids[i], ids[i+1]))
	}
	sc.pairs = pr
	for {
		best, bi := noMerge, -1
		for i, v := range pr {
			if v < best {
				best, bi = v, i
			}
		}
		if bi < 0 {
			return ids
		}
		ids[bi] = int32(uint32(best))
		ids = append(ids[:bi+1], ids[bi+2:]...)
		pr = append(pr[:bi], pr[bi+1:]...)
		if bi > 0 {
			pr[bi-1] = m.pair(ids[bi-1], ids[bi])
		}
		if bi < len(pr) {
			pr[bi] = m.pair(ids[bi], ids[bi+1])
		}
	}
}

// mergeItem is a candidate merge: key is rank<<32 | position of the left
// symbol, val the packed merge it was found with.
type mergeItem struct {
	key, val uint64
}

// mergeHeap gives the same result as mergeSmall for long words, in
// O(n log n): a linked list of symbols and a min-heap of candidate pairs
// ordered by (rank, position), as Hugging Face's Word::merge_all does.
func (m *bpeModel) mergeHeap(ids []int32, sc *scratch) []int32 {
	n := len(ids)
	prev := make([]int32, n)
	next := make([]int32, n)
	alive := make([]bool, n)
	h := sc.heap[:0]
	for i := range n {
		prev[i], next[i], alive[i] = int32(i-1), int32(i+1), true
	}
	next[n-1] = -1
	push := func(pos int32) {
		if pos < 0 || next[pos] < 0 {
			return
		}
		v := m.pair(ids[pos], ids[next[pos]])
		if v == noMerge {
			return
		}
		h = heapPush(h, mergeItem{key: v&^0xffffffff | uint64(pos), val: v})
	}
	for i := range n - 1 {
		push(int32(i))
	}
	for len(h) > 0 {
		var it mergeItem
		h, it = heapPop(h)
		pos := int32(uint32(it.key))
		if !alive[pos] || next[pos] < 0 || m.pair(ids[pos], ids[next[pos]]) != it.val {
			continue
		}
		r := next[pos]
		ids[pos] = int32(uint32(it.val))
		alive[r] = false
		next[pos] = next[r]
		if next[r] >= 0 {
			prev[next[r]] = pos
		}
		push(prev[pos])
		push(pos)
	}
	sc.heap = h
	out := ids[:0]
	for i := int32(0); i >= 0; i = next[i] {
		out = append(out, ids[i])
	}
	return out
}

func heapPush(h []mergeItem, it mergeItem) []mergeItem {
	h = append(h, it)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if h[p].key <= h[i].key {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
	return h
}

func heapPop(h []mergeItem) ([]mergeItem, mergeItem) {
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for i := 0; ; {
		l, small := 2*i+1, i
		if l < len(h) && h[l].key < h[small].key {
			small = l
		}
		if r := l + 1; r < len(h) && h[r].key < h[small].key {
			small = r
		}
		if small == i {
			break
		}
		h[i], h[small] = h[small], h[i]
		i = small
	}
	return h, top
}

// wordCache maps recent words to their ids. It is a 4-way set-associative
// table of immutable entries: a lookup is a hash and up to four atomic loads
// and comparisons, without locks; a new word replaces a free or a
// pseudo-randomly chosen entry of its set.
type wordCache struct {
	seed  maphash.Seed
	slots []atomic.Pointer[cacheEntry]
}

type cacheEntry struct {
	hash uint64
	word string
	ids  []int32
}

const cacheWays = 4

func newWordCache() wordCache {
	return wordCache{seed: maphash.MakeSeed(), slots: make([]atomic.Pointer[cacheEntry], cacheSlots)}
}

// set returns the slots of w's set.
func (c *wordCache) set(h uint64) []atomic.Pointer[cacheEntry] {
	base := int(h&(cacheSlots/cacheWays-1)) * cacheWays
	return c.slots[base : base+cacheWays]
}

func (c *wordCache) get(w string) ([]int32, bool) {
	h := maphash.String(c.seed, w)
	set := c.set(h)
	for i := range set {
		if e := set[i].Load(); e != nil && e.hash == h && e.word == w {
			return e.ids, true
		}
	}
	return nil, false
}

func (c *wordCache) put(w string, ids []int32) {
	h := maphash.String(c.seed, w)
	set := c.set(h)
	victim := int(h>>32) % cacheWays
	for i := range set {
		if set[i].Load() == nil {
			victim = i
			break
		}
	}
	// w points into the caller's text: the entry keeps its own copy.
	set[victim].Store(&cacheEntry{hash: h, word: strings.Clone(w), ids: append([]int32(nil), ids...)})
}
