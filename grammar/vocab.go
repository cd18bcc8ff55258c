package grammar

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/seekd/seekd/tokenizer"
)

// Vocab is a model's vocabulary prepared for masking: a byte trie over the
// tokens and precomputed masks for the inside of JSON strings. Build it once
// per model; it is safe for concurrent use.
type Vocab struct {
	n       int
	tokens  [][]byte // bytes of each id (nil: none)
	control []bool   // control tokens: never allowed except as noted
	ctrlIDs []int32  // control tokens with bytes
	eos     int
	maxLen  int

	full       trie // every non-control token
	structural trie // non-control tokens with a '"', '\\' or control byte

	// plain[u] holds the tokens made only of plain string bytes (no '"',
	// '\\' or byte below 0x20) that are valid UTF-8 continuing from decoder
	// state u (a character may be left unfinished at the end).
	plain [u8States]bitset
	// starts[id] is the number of characters a plain token starts (bytes
	// that are not continuation bytes); byStarts lists plain tokens by
	// starts, most first.
	starts   []uint8
	byStarts []int32

	mu       sync.Mutex
	withByte map[byte][]int32 // tokens containing a byte (for After)
}

// NewVocab prepares a vocabulary: tokens[id] are the bytes each id stands
// for (nil or empty for unused ids), control lists the ids the model uses
// as markers (special and other added tokens: BOS, EOS, role and tool-call
// markers, <think>), which JSON output never contains, and eos is the
// end-of-sequence id (-1 if none), allowed only once the JSON value may end.
func NewVocab(tokens [][]byte, control []int, eos int) (*Vocab, error) {
	if len(tokens) == 0 {
		return nil, fmt.Errorf("grammar: empty vocabulary")
	}
	v := &Vocab{n: len(tokens), tokens: tokens, control: make([]bool, len(tokens)), eos: eos, withByte: map[byte][]int32{}}
	if eos >= len(tokens) {
		return nil, fmt.Errorf("grammar: EOS id %d is outside the vocabulary of %d tokens", eos, len(tokens))
	}
	for _, id := range control {
		if id < 0 || id >= len(tokens) {
			return nil, fmt.Errorf("grammar: control token id %d is outside the vocabulary of %d tokens", id, len(tokens))
		}
		v.control[id] = true
	}
	if eos >= 0 {
		v.control[eos] = true
	}
	var all, structural []int32
	for id, b := range tokens {
		v.maxLen = max(v.maxLen, len(b))
		if len(b) == 0 {
			continue
		}
		if v.control[id] {
			if id != eos {
				v.ctrlIDs = append(v.ctrlIDs, int32(id))
			}
			continue
		}
		all = append(all, int32(id))
		if !allPlain(b) {
			structural = append(structural, int32(id))
		}
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("grammar: the vocabulary has no ordinary tokens")
	}
	v.full = buildTrie(tokens, all)
	v.structural = buildTrie(tokens, structural)
	v.starts = make([]uint8, len(tokens))
	for u := range v.plain {
		v.plain[u] = newBitset(len(tokens))
	}
	for _, id := range all {
		b := tokens[id]
		if !allPlain(b) {
			continue
		}
		n := 0
		for _, c := range b {
			if c < 0x80 || c >= 0xC0 {
				n++
			}
		}
		v.starts[id] = uint8(min(n, 255))
		v.byStarts = append(v.byStarts, id)
		for u := range uint8(u8States) {
			if validUTF8From(u, b) {
				v.plain[u].set(int(id))
			}
		}
	}
	slices.SortStableFunc(v.byStarts, func(a, b int32) int { return int(v.starts[b]) - int(v.starts[a]) })
	return v, nil
}

// FromTokenizer prepares the vocabulary of a tokenizer: every added token
// (special or not) is a control token, and EOS is the tokenizer's.
func FromTokenizer(t *tokenizer.Tokenizer) (*Vocab, error) {
	n := t.VocabSize()
	tokens := make([][]byte, n)
	for id := range n {
		tokens[id], _ = t.TokenBytes(id)
	}
	var control []int
	for _, a := range t.AddedTokens() {
		control = append(control, a.ID)
	}
	for id := range n {
		if t.IsSpecial(id) {
			control = append(control, id)
		}
	}
	return NewVocab(tokens, control, t.EOS())
}

// Size is the number of token ids.
func (v *Vocab) Size() int { return v.n }

// JSON returns a constraint that lets the model write one JSON value valid
// under schema (a JSON Schema), or any JSON object when schema is empty or
// null (response_format json_object). See Compile for the schema subset.
func (v *Vocab) JSON(schema []byte, opts ...Option) (*Constraint, error) {
	g, err := v.Compile(schema)
	if err != nil {
		return nil, err
	}
	return g.New(opts...)
}

// Compile compiles a JSON Schema (empty or null: any JSON object) into a
// grammar that makes constraints for any number of generations.
func (v *Vocab) Compile(schema []byte) (*Grammar, error) {
	return v.CompileChoice([]Alternative{{Schema: schema}})
}

// Alternative is one form the constrained output may take: the bytes of
// Prefix exactly, then one JSON value valid under Schema (empty or null:
// any JSON object). Control tokens whose bytes appear in Prefix (e.g.
// "<｜tool▁sep｜>") must be written as those tokens.
type Alternative struct {
	Prefix []byte
	Schema json.RawMessage
}

// CompileChoice compiles a choice between alternatives, e.g. the forced
// tool call of tool_choice "required": a function name and separator, then
// that function's arguments.
func (v *Vocab) CompileChoice(alts []Alternative) (*Grammar, error) {
	if len(alts) == 0 {
		return nil, fmt.Errorf("grammar: no alternatives")
	}
	return compile(v, alts)
}

// tokensWith returns the tokens whose bytes contain b.
func (v *Vocab) tokensWith(b byte) []int32 {
	v.mu.Lock()
	defer v.mu.Unlock()
	if ids, ok := v.withByte[b]; ok {
		return ids
	}
	ids := []int32{}
	for id, t := range v.tokens {
		if bytes.IndexByte(t, b) >= 0 {
			ids = append(ids, int32(id))
		}
	}
	v.withByte[b] = ids
	return ids
}

func allPlain(b []byte) bool {
	for _, c := range b {
		if !isPlain(c) {
			return false
		}
	}
	return true
}

func validUTF8From(u uint8, b []byte) bool {
	for _, c := range b {
		var ok bool
		if u, ok = utf8Next(u, c); !ok {
			return false
		}
	}
	return true
}

// trie is a byte trie over token ids. Node 0 is the root; the edges of a
// node are contiguous and sorted by byte.
type trie struct {
	first    []int32 // per node: first edge
	count    []uint16
	tokFirst []int32 // per node: first id in toks
	tokCount []uint16
	edgeByte []byte
	edgeNode []int32
	toks     []int32
}

// buildTrie builds the trie of ids (whose bytes are tokens[id]).
func buildTrie(tokens [][]byte, ids []int32) trie {
	ids = slices.Clone(ids)
	slices.SortFunc(ids, func(a, b int32) int {
		if c := bytes.Compare(tokens[a], tokens[b]); c != 0 {
			return c
		}
		return int(a - b)
	})
	var t trie
	t.node(tokens, ids, 0)
	return t
}

// node adds the node of the sorted ids sharing their first depth bytes and
// returns its index.
func (t *trie) node(tokens [][]byte, ids []int32, depth int) int32 {
	n := int32(len(t.first))
	t.first = append(t.first, 0)
	t.count = append(t.count, 0)
	t.tokFirst = append(t.tokFirst, int32(len(t.toks)))
	t.tokCount = append(t.tokCount, 0)
	i := 0
	for i < len(ids) && len(tokens[ids[i]]) == depth {
		t.toks = append(t.toks, ids[i])
		i++
	}
	t.tokCount[n] = uint16(i)
	rest := ids[i:]
	// Reserve this node's edges, contiguous, before building any child.
	var groups [][2]int
	for j := 0; j < len(rest); {
		b := tokens[rest[j]][depth]
		k := j + 1
		for k < len(rest) && tokens[rest[k]][depth] == b {
			k++
		}
		groups = append(groups, [2]int{j, k})
		j = k
	}
	t.first[n] = int32(len(t.edgeByte))
	t.count[n] = uint16(len(groups))
	for _, gr := range groups {
		t.edgeByte = append(t.edgeByte, tokens[rest[gr[0]]][depth])
		t.edgeNode = append(t.edgeNode, 0)
	}
	for k, gr := range groups {
		child := t.node(tokens, rest[gr[0]:gr[1]], depth+1)
		t.edgeNode[int(t.first[n])+k] = child
	}
	return n
}
