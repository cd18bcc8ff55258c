package tokenizer

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// TokenType is a GGUF token type (tokenizer.ggml.token_type).
type TokenType int32

// GGUF token types, as llama.cpp numbers them.
const (
	TypeNormal      TokenType = 1
	TypeUnknown     TokenType = 2
	TypeControl     TokenType = 3 // special tokens: BOS, EOS, role markers
	TypeUserDefined TokenType = 4 // added tokens that are not special
	TypeUnused      TokenType = 5
	TypeByte        TokenType = 6
)

// Parts describes a byte-level BPE tokenizer the way a GGUF file's
// tokenizer.ggml.* metadata does (tokenizer.ggml.model "gpt2").
type Parts struct {
	// Tokens are the vocabulary strings in id order, in byte-level form
	// (tokenizer.ggml.tokens).
	Tokens []string
	// Types are the tokens' types (tokenizer.ggml.token_type); nil means all
	// normal. Control tokens become special added tokens and user-defined
	// ones non-special added tokens: both are matched in the text before
	// pre-tokenization, as llama.cpp does with parse_special.
	Types []TokenType
	// Merges are "a b" strings, highest priority first (tokenizer.ggml.merges).
	Merges []string
	// BOS and EOS are token ids, -1 if none (tokenizer.ggml.bos_token_id, ...).
	BOS, EOS int
	// AddBOS and AddEOS: tokenizer.ggml.add_bos_token, add_eos_token.
	AddBOS, AddEOS bool
	// Pre names the pre-tokenizer as llama.cpp does in tokenizer.ggml.pre:
	// "deepseek-v3", "deepseek-llm", "deepseek-coder", "deepseek-r1-qwen",
	// "qwen2", "llama-bpe" (Llama 3), "gpt-2", ... (see PreTokenizers).
	Pre string
}

// preset is a named pre-tokenizer: Split regexes applied in order, then the
// byte-level mapping.
type preset struct {
	regexes      []string
	nfc          bool // Qwen2's tokenizer.json normalizes to NFC
	ignoreMerges bool // Llama 3's tokenizer.json sets ignore_merges
}

// presetFor returns the pre-tokenizer that llama.cpp calls name, with the
// same regexes as the model's own tokenizer.json.
func presetFor(name string) (preset, bool) {
	switch name {
	case "deepseek-v3":
		return preset{regexes: []string{reDigits3, reCJKDeepSeek, reDeepSeekV3}}, true
	case "deepseek-llm":
		return preset{regexes: []string{
			reNewline,
			"\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
			"\\s?[!-/:-~！-／：-～‘-‟　-。]+",
			"\\s+$",
			"[一-龥ࠀ-一가-퟿]+",
			reDigitsAll,
		}}, true
	case "deepseek-coder":
		return preset{regexes: []string{
			reNewline,
			"\\s?\\p{L}+",
			"\\s?\\p{P}+",
			"[一-龥ࠀ-一가-퟿]+",
			reDigits1,
		}}, true
	case "qwen2", "deepseek-r1-qwen", "megrez":
		return preset{regexes: []string{reQwen2}, nfc: true}, true
	case "llama3", "llama-v3", "llama-bpe":
		return preset{regexes: []string{reLlama3}, ignoreMerges: true}, true
	case "smaug-bpe", "dbrx":
		return preset{regexes: []string{reLlama3}}, true
	case "gpt-2", "phi-2", "mpt", "olmo":
		return preset{regexes: []string{reGPT2}}, true
	}
	return preset{}, false
}

// PreTokenizers lists the tokenizer.ggml.pre names that FromParts accepts.
func PreTokenizers() []string {
	return []string{"deepseek-v3", "deepseek-llm", "deepseek-coder", "deepseek-r1-qwen", "qwen2", "megrez",
		"llama-bpe", "llama3", "llama-v3", "smaug-bpe", "dbrx", "gpt-2", "phi-2", "mpt", "olmo"}
}

// FromParts builds a tokenizer from GGUF-style parts. Encoding through it
// gives the same ids as the model's tokenizer.json.
func FromParts(p Parts) (*Tokenizer, error) {
	t, err := fromParts(p)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return t, nil
}

func fromParts(p Parts) (*Tokenizer, error) {
	if len(p.Tokens) == 0 {
		return nil, errors.New("no tokens")
	}
	if len(p.Tokens) > maxVocab {
		return nil, fmt.Errorf("%d tokens, more than %d", len(p.Tokens), maxVocab)
	}
	if p.Types != nil && len(p.Types) != len(p.Tokens) {
		return nil, fmt.Errorf("%d token types for %d tokens", len(p.Types), len(p.Tokens))
	}
	pre, ok := presetFor(p.Pre)
	if !ok {
		return nil, fmt.Errorf("unknown pre-tokenizer %q (known: %s)", p.Pre, strings.Join(PreTokenizers(), ", "))
	}
	vocab := make(map[string]int32, len(p.Tokens))
	var added []AddedToken
	unique := true
	for id, s := range p.Tokens {
		if len(s) > maxTokenLen {
			return nil, fmt.Errorf("token %d: longer than %d bytes", id, maxTokenLen)
		}
		if s == "" {
			continue // an id without a token
		}
		if _, dup := vocab[s]; !dup {
			vocab[s] = int32(id) // the first of duplicate strings wins, as in llama.cpp
		} else {
			unique = false
		}
		typ := TypeNormal
		if p.Types != nil {
			typ = p.Types[id]
		}
		switch typ {
		case TypeControl, TypeUserDefined:
			added = append(added, AddedToken{ID: id, Content: s, Special: typ == TypeControl})
		case TypeNormal, TypeUnknown, TypeUnused, TypeByte:
		default:
			return nil, fmt.Errorf("token %d: unknown type %d", id, typ)
		}
	}
	m := newBPEModel(vocab, len(p.Merges))
	m.ignoreMerges = pre.ignoreMerges
	if unique {
		m.tokens = p.Tokens
	}
	var scratch []byte
	for rank, line := range p.Merges {
		// Split at the first space after the first byte, as llama.cpp does.
		sp := -1
		if len(line) > 1 {
			if k := strings.IndexByte(line[1:], ' '); k >= 0 {
				sp = k + 1
			}
		}
		if sp < 0 {
			return nil, fmt.Errorf("merge %d: %q is not two tokens separated by a space", rank, line)
		}
		var err error
		if scratch, err = addMerge(m, line[:sp], line[sp+1:], rank, scratch); err != nil {
			return nil, err
		}
	}
	pt := &preTokenizer{}
	for _, re := range pre.regexes {
		st, err := newRegexStage(re, behaviorIsolated, false)
		if err != nil {
			return nil, fmt.Errorf("pre-tokenizer %q: %w", p.Pre, err)
		}
		pt.stages = append(pt.stages, st)
	}
	sp := buildSpec{
		model: m, vocabTokens: p.Tokens, added: added, pre: newPreTokenizer(pt.stages),
		bos: p.BOS, eos: p.EOS, addBOS: p.AddBOS, addEOS: p.AddEOS,
	}
	if pre.nfc {
		sp.norm = norm.NFC.String
	}
	if sp.addBOS && sp.bos < 0 {
		return nil, errors.New("add_bos_token is true but there is no BOS token")
	}
	if sp.addEOS && sp.eos < 0 {
		return nil, errors.New("add_eos_token is true but there is no EOS token")
	}
	return build(sp)
}
