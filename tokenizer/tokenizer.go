package tokenizer

import (
	"fmt"
	"sort"
	"sync"
	"unicode/utf8"
)

// Tokenizer is a byte-level BPE tokenizer with added tokens. It is safe for
// concurrent use.
type Tokenizer struct {
	model  *bpeModel
	pre    *preTokenizer
	norm   normalizer
	raw    *addedMatcher // added tokens matched in the raw text
	normed *addedMatcher // added tokens matched in the normalized text

	tokens  []string // id -> vocabulary string or added token content; "" where no token
	defined []bool   // id -> whether the id has a token
	bytes   []byte   // every token's bytes, concatenated
	offsets []uint32 // id -> its bytes are bytes[offsets[id]:offsets[id+1]]

	added          []AddedToken     // by id
	addedByID      map[int32]int    // id -> index in added
	addedByContent map[string]int32 // content -> id

	bos, eos       int
	addBOS, addEOS bool

	pool sync.Pool // *scratch
}

// scratch is per-call working memory, pooled.
type scratch struct {
	segs, segs2 []segment
	pieces      [2][]string
	ids         []int32
	pairs       []uint64
	heap        []mergeItem
	buf         []byte
}

// buildSpec is what both constructors (tokenizer.json and parts) produce.
type buildSpec struct {
	model          *bpeModel
	vocabTokens    []string // the model's vocabulary by id ("" where none)
	added          []AddedToken
	pre            *preTokenizer
	norm           normalizer
	bos, eos       int // -1 if none
	addBOS, addEOS bool
}

func build(sp buildSpec) (*Tokenizer, error) {
	n := len(sp.vocabTokens)
	for _, a := range sp.added {
		if a.ID < 0 || a.ID >= maxVocab {
			return nil, fmt.Errorf("added token %q: id %d out of range", a.Content, a.ID)
		}
		if a.Content == "" {
			return nil, fmt.Errorf("added token %d: empty content", a.ID)
		}
		n = max(n, a.ID+1)
	}
	t := &Tokenizer{
		model:          sp.model,
		pre:            sp.pre,
		norm:           sp.norm,
		tokens:         make([]string, n),
		defined:        make([]bool, n),
		addedByID:      make(map[int32]int, len(sp.added)),
		addedByContent: make(map[string]int32, len(sp.added)),
		bos:            sp.bos,
		eos:            sp.eos,
		addBOS:         sp.addBOS,
		addEOS:         sp.addEOS,
	}
	for id, s := range sp.vocabTokens {
		if s != "" {
			t.tokens[id], t.defined[id] = s, true
		}
	}
	added := append([]AddedToken(nil), sp.added...)
	sort.SliceStable(added, func(i, j int) bool { return added[i].ID < added[j].ID })
	var raw, normed []AddedToken
	for _, a := range added {
		if _, dup := t.addedByID[int32(a.ID)]; dup {
			return nil, fmt.Errorf("added token id %d defined twice", a.ID)
		}
		t.addedByID[int32(a.ID)] = len(t.added)
		t.added = append(t.added, a)
		if _, dup := t.addedByContent[a.Content]; !dup {
			t.addedByContent[a.Content] = int32(a.ID)
		}
		t.tokens[a.ID], t.defined[a.ID] = a.Content, true
		if a.Normalized {
			normed = append(normed, a)
		} else {
			raw = append(raw, a)
		}
	}
	t.raw, t.normed = newAddedMatcher(raw), newAddedMatcher(normed)
	for _, id := range []int{t.bos, t.eos} {
		if id >= n || id < -1 || (id >= 0 && !t.defined[id]) {
			return nil, fmt.Errorf("special token id %d has no token", id)
		}
	}
	t.buildBytes()
	t.pool.New = func() any { return new(scratch) }
	return t, nil
}

// buildBytes computes every token's bytes: an added token's content as is;
// a vocabulary string mapped back through the byte-level alphabet, or (as
// Hugging Face's ByteLevel decoder does) taken as is when one of its
// characters is outside the alphabet.
func (t *Tokenizer) buildBytes() {
	inv := byteLevelInverse(&t.model.alpha)
	t.offsets = make([]uint32, len(t.tokens)+1)
	size := 0
	for _, s := range t.tokens {
		size += len(s)
	}
	t.bytes = make([]byte, 0, size)
	for id, s := range t.tokens {
		t.offsets[id] = uint32(len(t.bytes))
		if _, isAdded := t.addedByID[int32(id)]; isAdded {
			t.bytes = append(t.bytes, s...)
			continue
		}
		start := len(t.bytes)
		for _, r := range s {
			if r >= 0x144 || inv[r] < 0 {
				t.bytes = append(t.bytes[:start], s...)
				break
			}
			t.bytes = append(t.bytes, byte(inv[r]))
		}
	}
	t.offsets[len(t.tokens)] = uint32(len(t.bytes))
}

// Encode returns the ids of text. Added tokens in the text (special ones
// such as "<｜User｜>" included) are matched as single tokens, and no BOS or
// EOS is added: Hugging Face's encode(text, add_special_tokens=False).
func (t *Tokenizer) Encode(text string) []int {
	return t.AppendEncode(make([]int, 0, len(text)/3+1), text)
}

// EncodeWithSpecial is Encode plus the BOS and EOS that the tokenizer's
// configuration asks for (add_bos_token, add_eos_token): Hugging Face's
// add_special_tokens=True.
func (t *Tokenizer) EncodeWithSpecial(text string) []int {
	ids := make([]int, 0, len(text)/3+2)
	if t.addBOS && t.bos >= 0 {
		ids = append(ids, t.bos)
	}
	ids = t.AppendEncode(ids, text)
	if t.addEOS && t.eos >= 0 {
		ids = append(ids, t.eos)
	}
	return ids
}

// AppendEncode appends the ids of text to dst, like Encode.
func (t *Tokenizer) AppendEncode(dst []int, text string) []int {
	sc := t.pool.Get().(*scratch)
	defer t.pool.Put(sc)
	sc.segs = t.raw.split(sc.segs[:0], text)
	for _, sg := range sc.segs {
		if sg.tok >= 0 {
			dst = append(dst, int(sg.tok))
			continue
		}
		part := text[sg.start:sg.end]
		if t.norm != nil {
			part = t.norm(part)
		}
		if t.normed == nil {
			dst = t.encodeText(dst, part, sc)
			continue
		}
		sc.segs2 = t.normed.split(sc.segs2[:0], part)
		for _, s2 := range sc.segs2 {
			if s2.tok >= 0 {
				dst = append(dst, int(s2.tok))
			} else {
				dst = t.encodeText(dst, part[s2.start:s2.end], sc)
			}
		}
	}
	return dst
}

// encodeText pre-tokenizes plain text (no added tokens) and encodes each piece.
func (t *Tokenizer) encodeText(dst []int, s string, sc *scratch) []int {
	for _, piece := range t.pre.run(s, &sc.pieces) {
		dst = t.model.encodeWord(dst, piece, sc)
	}
	return dst
}

// Decode returns the text of ids. Byte sequences that are not valid UTF-8
// become U+FFFD, as in Hugging Face's decode; ids without a token are
// skipped (check user-supplied ids with Valid). Added tokens, special ones
// included, decode to their content. No spaces are cleaned up.
func (t *Tokenizer) Decode(ids []int) string {
	var b []byte
	for _, id := range ids {
		b = t.appendBytes(b, id)
	}
	return lossyString(b)
}

func (t *Tokenizer) appendBytes(b []byte, id int) []byte {
	if id < 0 || id >= len(t.tokens) {
		return b
	}
	return append(b, t.bytes[t.offsets[id]:t.offsets[id+1]]...)
}

// TokenBytes returns a copy of the bytes that id stands for (for example a
// single byte of a multi-byte character), and whether id has a token.
func (t *Tokenizer) TokenBytes(id int) ([]byte, bool) {
	if !t.Valid(id) {
		return nil, false
	}
	return t.appendBytes(nil, id), true
}

// Valid reports whether id has a token.
func (t *Tokenizer) Valid(id int) bool {
	return id >= 0 && id < len(t.tokens) && t.defined[id]
}

// VocabSize is the number of ids: one more than the largest id with a token
// (Hugging Face's len(tokenizer)). The model's embedding may be larger.
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// Token returns id's string as the vocabulary spells it (byte-level form,
// e.g. "Ġhello" for " hello"), or an added token's content.
func (t *Tokenizer) Token(id int) (string, bool) {
	if !t.Valid(id) {
		return "", false
	}
	return t.tokens[id], true
}

// VocabID returns the id of a token spelled as in the vocabulary (byte-level
// form, e.g. "Ġhello") or of an added token's content.
func (t *Tokenizer) VocabID(token string) (int, bool) {
	if id, ok := t.addedByContent[token]; ok {
		return int(id), true
	}
	id, ok := t.model.vocab[token]
	return int(id), ok
}

// TokenID returns the id of the single token whose text is exactly text:
// an added token (e.g. "<think>", "<｜fim▁begin｜>") or a vocabulary token
// (e.g. " hello").
func (t *Tokenizer) TokenID(text string) (int, bool) {
	if id, ok := t.addedByContent[text]; ok {
		return int(id), true
	}
	buf := make([]byte, 0, 2*len(text))
	for i := 0; i < len(text); i++ {
		buf = utf8.AppendRune(buf, t.model.alpha[text[i]])
	}
	id, ok := t.model.vocab[string(buf)]
	return int(id), ok
}

// BOS returns the id of the beginning-of-sequence token, -1 if none.
func (t *Tokenizer) BOS() int { return t.bos }

// EOS returns the id of the end-of-sequence token, -1 if none.
func (t *Tokenizer) EOS() int { return t.eos }

// BOSToken returns the BOS token's text ("" if none).
func (t *Tokenizer) BOSToken() string { return t.tokenText(t.bos) }

// EOSToken returns the EOS token's text ("" if none).
func (t *Tokenizer) EOSToken() string { return t.tokenText(t.eos) }

func (t *Tokenizer) tokenText(id int) string {
	if !t.Valid(id) {
		return ""
	}
	return string(t.appendBytes(nil, id))
}

// AddBOS reports whether a BOS token goes before encoded text
// (tokenizer_config.json's add_bos_token). Chat templates write BOS
// themselves, so a rendered prompt is encoded without it.
func (t *Tokenizer) AddBOS() bool { return t.addBOS }

// AddEOS reports whether an EOS token goes after encoded text (add_eos_token).
func (t *Tokenizer) AddEOS() bool { return t.addEOS }

// AddedTokens returns the added tokens, by id.
func (t *Tokenizer) AddedTokens() []AddedToken {
	return append([]AddedToken(nil), t.added...)
}

// SpecialTokens returns the special added tokens, by id.
func (t *Tokenizer) SpecialTokens() []AddedToken {
	var out []AddedToken
	for _, a := range t.added {
		if a.Special {
			out = append(out, a)
		}
	}
	return out
}

// IsSpecial reports whether id is a special added token.
func (t *Tokenizer) IsSpecial(id int) bool {
	if !t.Valid(id) {
		return false
	}
	i, ok := t.addedByID[int32(id)]
	return ok && t.added[i].Special
}
