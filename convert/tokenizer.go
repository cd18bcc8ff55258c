package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Token types of tokenizer.ggml.token_type (llama.cpp's llama_token_type).
const (
	tokNormal      int32 = 1
	tokControl     int32 = 3
	tokUserDefined int32 = 4
	tokUnused      int32 = 5
)

// hfTokenizer is the part of tokenizer.json the converter reads.
type hfTokenizer struct {
	AddedTokens []struct {
		ID         int    `json:"id"`
		Content    string `json:"content"`
		Special    bool   `json:"special"`
		Normalized bool   `json:"normalized"`
	} `json:"added_tokens"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Model         struct {
		Type   string          `json:"type"`
		Vocab  map[string]int  `json:"vocab"`
		Merges json.RawMessage `json:"merges"`
	} `json:"model"`
}

// specialTypes returns gguf-py SpecialVocab's token kinds, in its order,
// with the id key each is written under ("" when gguf-py has no writer).
func specialTypes() []struct{ typ, key string } {
	return []struct{ typ, key string }{
		{"bos", "tokenizer.ggml.bos_token_id"},
		{"eos", "tokenizer.ggml.eos_token_id"},
		{"unk", "tokenizer.ggml.unknown_token_id"},
		{"sep", "tokenizer.ggml.seperator_token_id"}, // sic, as llama.cpp spells it
		{"pad", "tokenizer.ggml.padding_token_id"},
		{"cls", ""},
		{"mask", "tokenizer.ggml.mask_token_id"},
	}
}

// addTokenizer writes the tokenizer.ggml.* keys and the chat template the
// way convert_hf_to_gguf.py's _set_vocab_gpt2 and gguf-py's SpecialVocab do.
// Without a tokenizer.json nothing is written.
func addTokenizer(m *metaSet, opt Options, cfg *hfConfig) error {
	dir := opt.TokenizerDir
	raw, err := os.ReadFile(filepath.Join(dir, "tokenizer.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("convert: %w", err)
	}
	path := filepath.Join(dir, "tokenizer.json")
	var tok hfTokenizer
	if err := json.Unmarshal(raw, &tok); err != nil {
		return fmt.Errorf("convert: %s: %w", path, err)
	}
	if tok.Model.Type != "BPE" {
		return fmt.Errorf("convert: %s: model type %q, only byte-level BPE (gpt2) tokenizers are supported", path, tok.Model.Type)
	}
	tcfg, err := readTokenizerConfig(dir)
	if err != nil {
		return err
	}

	tokens, types, err := vocabulary(&tok, cfg.VocabSize, path)
	if err != nil {
		return err
	}
	pre := opt.TokenizerPre
	if pre == "" {
		if pre, err = detectPre(&tok); err != nil {
			return fmt.Errorf("convert: %s: %w", path, err)
		}
	}
	merges, err := mergeList(tok.Model.Merges)
	if err != nil {
		return fmt.Errorf("convert: %s: %w", path, err)
	}
	m.set("tokenizer.ggml.model", "gpt2")
	m.set("tokenizer.ggml.pre", pre)
	m.set("tokenizer.ggml.tokens", tokens)
	m.set("tokenizer.ggml.token_type", types)
	if len(merges) > 0 {
		m.set("tokenizer.ggml.merges", merges)
	}

	sv := specialVocab(&tok, tcfg, cfg)
	for _, s := range specialTypes() {
		if id, ok := sv.ids[s.typ]; ok && s.key != "" {
			m.set(s.key, id)
		}
	}
	for _, typ := range sv.addOrder {
		if typ == "bos" || typ == "eos" || typ == "sep" {
			m.set("tokenizer.ggml.add_"+typ+"_token", sv.add[typ])
		}
	}
	return addChatTemplate(m, dir, tcfg)
}

// vocabulary lists the tokens by id with their types, as get_vocab_base does.
func vocabulary(tok *hfTokenizer, vocabSize int, path string) ([]string, []int32, error) {
	byID := make(map[int]string, len(tok.Model.Vocab)+len(tok.AddedTokens))
	for s, id := range tok.Model.Vocab {
		byID[id] = s
	}
	added := map[int]int{} // id -> index in AddedTokens
	for i, a := range tok.AddedTokens {
		byID[a.ID] = a.Content
		added[a.ID] = i
	}
	if vocabSize <= 0 {
		vocabSize = len(byID)
	}
	for id := range byID {
		if id < 0 || id >= vocabSize {
			return nil, nil, fmt.Errorf("convert: %s: token id %d outside the vocabulary size %d of config.json", path, id, vocabSize)
		}
	}
	tokens := make([]string, vocabSize)
	types := make([]int32, vocabSize)
	for i := range tokens {
		s, ok := byID[i]
		switch {
		case !ok:
			tokens[i], types[i] = fmt.Sprintf("[PAD%d]", i), tokUnused
		case hasKey(added, i):
			a := tok.AddedTokens[added[i]]
			if a.Special || looksSpecial(s) {
				types[i] = tokControl
			} else {
				s = strings.ReplaceAll(s, "\u2581", " ")
				types[i] = tokUserDefined
			}
			tokens[i] = s
		default:
			tokens[i], types[i] = s, tokNormal
		}
	}
	return tokens, types, nil
}

func hasKey[K comparable, V any](m map[K]V, k K) bool { _, ok := m[k]; return ok }

// looksSpecial is convert_hf_to_gguf.py's does_token_look_special: added
// tokens shaped like <|x|> or <｜x｜> are control tokens even when the
// tokenizer does not flag them special.
func looksSpecial(s string) bool {
	switch s {
	case "<pad>", "<mask>", "<2mass>", "[@BOS@]":
		return true
	}
	return (strings.HasPrefix(s, "<|") && strings.HasSuffix(s, "|>")) ||
		(strings.HasPrefix(s, "<｜") && strings.HasSuffix(s, "｜>")) ||
		(strings.HasPrefix(s, "<unused") && strings.HasSuffix(s, ">"))
}

// mergeList returns the merges as "a b" strings; the newer [a, b] pair form
// has its spaces encoded as U+0120, as gguf-py does.
func mergeList(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var strs []string
	if err := json.Unmarshal(raw, &strs); err == nil {
		return strs, nil
	}
	var pairs [][]string
	if err := json.Unmarshal(raw, &pairs); err != nil {
		return nil, fmt.Errorf("unknown merges format: %w", err)
	}
	out := make([]string, len(pairs))
	for i, p := range pairs {
		if len(p) != 2 {
			return nil, fmt.Errorf("merge %d has %d parts", i, len(p))
		}
		out[i] = strings.ReplaceAll(p[0], " ", "\u0120") + " " + strings.ReplaceAll(p[1], " ", "\u0120")
	}
	return out, nil
}

// Pre-tokenizer regular expressions of the tokenizers seekd converts.
const (
	regexQwen2  = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	regexLlama3 = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// detectPre names the pre-tokenizer for tokenizer.ggml.pre. llama.cpp's
// converter identifies it by hashing the token ids of a test string; seekd
// recognizes the same tokenizers by their split expressions instead.
func detectPre(tok *hfTokenizer) (string, error) {
	var pt struct {
		Type          string                 `json:"type"`
		Pattern       struct{ Regex string } `json:"pattern"`
		Pretokenizers []struct {
			Type    string                 `json:"type"`
			Pattern struct{ Regex string } `json:"pattern"`
		} `json:"pretokenizers"`
	}
	if len(tok.PreTokenizer) > 0 {
		if err := json.Unmarshal(tok.PreTokenizer, &pt); err != nil {
			return "", fmt.Errorf("pre_tokenizer: %w", err)
		}
	}
	var regs []string
	if pt.Type == "Split" {
		regs = append(regs, pt.Pattern.Regex)
	}
	for _, p := range pt.Pretokenizers {
		if p.Type == "Split" {
			regs = append(regs, p.Pattern.Regex)
		}
	}
	deepseek := false
	for _, a := range tok.AddedTokens {
		deepseek = deepseek || a.Content == "<｜begin▁of▁sentence｜>"
	}
	switch {
	case len(regs) >= 2 && regs[0] == `\p{N}{1,3}` && strings.HasPrefix(regs[1], "[一-龥"):
		return "deepseek-v3", nil
	case len(regs) >= 1 && regs[0] == "[\r\n]":
		return "deepseek-llm", nil
	case len(regs) == 1 && regs[0] == regexQwen2 && deepseek:
		return "deepseek-r1-qwen", nil
	case len(regs) == 1 && regs[0] == regexQwen2:
		return "qwen2", nil
	case len(regs) == 1 && regs[0] == regexLlama3:
		return "llama-bpe", nil
	}
	return "", fmt.Errorf("unrecognized pre-tokenizer %q: name it with the tokenizer-pre option", regs)
}

// tokenizerConfig is the part of tokenizer_config.json SpecialVocab reads.
type tokenizerConfig map[string]json.RawMessage

func readTokenizerConfig(dir string) (tokenizerConfig, error) {
	path := filepath.Join(dir, "tokenizer_config.json")
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	var c tokenizerConfig
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("convert: %s: %w", path, err)
	}
	return c, nil
}

// token returns the content of "<typ>_token" (a string or an AddedToken).
func (c tokenizerConfig) token(typ string) string {
	raw, ok := c[typ+"_token"]
	if !ok {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var at struct{ Content string }
	if json.Unmarshal(raw, &at) == nil {
		return at.Content
	}
	return ""
}

// flag returns "add_<typ>_token" when it is a bool.
func (c tokenizerConfig) flag(typ string) (bool, bool) {
	var b bool
	raw, ok := c["add_"+typ+"_token"]
	if !ok || json.Unmarshal(raw, &b) != nil {
		return false, false
	}
	return b, true
}

// special is the outcome of gguf-py's SpecialVocab: token ids by kind and
// the add_*_token flags in the order they were decided.
type special struct {
	ids      map[string]uint32
	add      map[string]bool
	addOrder []string
}

func (s *special) setAdd(typ string, v bool) {
	if !hasKey(s.add, typ) {
		s.addOrder = append(s.addOrder, typ)
	}
	s.add[typ] = v
}

func specialVocab(tok *hfTokenizer, tcfg tokenizerConfig, cfg *hfConfig) *special {
	s := &special{ids: map[string]uint32{}, add: map[string]bool{}}
	bos, eos, sep, cls := tcfg.token("bos"), tcfg.token("eos"), tcfg.token("sep"), tcfg.token("cls")
	s.postProcessor(tok.PostProcessor, tcfg != nil, bos, eos, sep, cls)
	if tcfg != nil {
		for _, st := range specialTypes() {
			if v, ok := tcfg.flag(st.typ); ok {
				s.setAdd(st.typ, v)
			}
			content := tcfg.token(st.typ)
			if content == "" {
				continue
			}
			for _, a := range tok.AddedTokens {
				if a.Content == content {
					if !hasKey(s.ids, st.typ) && a.ID >= 0 {
						s.ids[st.typ] = uint32(a.ID)
					}
					break
				}
			}
		}
	}
	// config.json fills the kinds the tokenizer files did not name.
	for _, f := range []struct {
		typ string
		raw json.RawMessage
	}{{"bos", cfg.BosTokenID}, {"eos", cfg.EosTokenID}, {"unk", cfg.UnkTokenID}, {"sep", cfg.SepTokenID}, {"pad", cfg.PadTokenID}} {
		if id, ok := tokenID(f.raw); ok && !hasKey(s.ids, f.typ) {
			s.ids[f.typ] = id
		}
	}
	return s
}

// postProcessor reads the add-BOS/EOS/SEP behaviour from tokenizer.json's
// post_processor the way SpecialVocab does (TemplateProcessing: a leading
// special token means BOS, a trailing one EOS, one between A and B SEP).
func (s *special) postProcessor(raw json.RawMessage, haveConfig bool, bos, eos, sep, cls string) {
	type piece struct {
		SpecialToken *struct{ ID string } `json:"SpecialToken"`
		Sequence     *struct{ ID string } `json:"Sequence"`
	}
	type processor struct {
		Type       string      `json:"type"`
		Single     []piece     `json:"single"`
		Pair       []piece     `json:"pair"`
		Processors []processor `json:"processors"`
	}
	var pp processor
	if len(raw) == 0 || json.Unmarshal(raw, &pp) != nil {
		return
	}
	procs := pp.Processors
	if procs == nil {
		procs = []processor{pp}
	}
	special := func(p piece) string {
		if p.SpecialToken == nil {
			return ""
		}
		return p.SpecialToken.ID
	}
	seq := func(p piece) string {
		if p.Sequence == nil {
			return ""
		}
		return p.Sequence.ID
	}
	for _, proc := range procs {
		switch proc.Type {
		case "RobertaProcessing":
			s.setAdd("bos", true)
			s.setAdd("eos", true)
			s.setAdd("sep", true)
		case "TemplateProcessing":
			var first, last string
			if len(proc.Single) > 1 {
				if first = special(proc.Single[0]); first != "" {
					if !haveConfig {
						bos = first
					}
					s.setAdd("bos", first == bos || first == cls)
				}
				if last = special(proc.Single[len(proc.Single)-1]); last != "" {
					if !haveConfig {
						eos = last
					}
					s.setAdd("eos", last == eos)
				}
			}
			pair := proc.Pair
			if len(pair) == 0 {
				continue
			}
			if first != "" && special(pair[0]) == first {
				pair = pair[1:]
			}
			if last != "" && len(pair) > 0 && special(pair[len(pair)-1]) == last {
				pair = pair[:len(pair)-1]
			}
			if len(pair) < 3 || seq(pair[0]) != "A" || seq(pair[len(pair)-1]) != "B" {
				continue
			}
			mid := pair[1 : len(pair)-1]
			addSep := false
			if e := special(mid[0]); e != "" && (e == sep || e == eos) && last == "" {
				addSep = true
			}
			if len(mid) == 2 {
				if e := special(mid[1]); e != "" && (e == sep || e == eos) {
					addSep = true
				}
			}
			s.setAdd("sep", addSep)
		}
	}
}

// addChatTemplate writes tokenizer.chat_template from tokenizer_config.json,
// or from chat_template.jinja / chat_template.json next to it.
func addChatTemplate(m *metaSet, dir string, tcfg tokenizerConfig) error {
	raw, ok := tcfg["chat_template"]
	if !ok {
		if b, err := os.ReadFile(filepath.Join(dir, "chat_template.jinja")); err == nil {
			m.set("tokenizer.chat_template", string(b))
			return nil
		}
		b, err := os.ReadFile(filepath.Join(dir, "chat_template.json"))
		if err != nil {
			return nil
		}
		var ct struct {
			ChatTemplate json.RawMessage `json:"chat_template"`
		}
		if err := json.Unmarshal(b, &ct); err != nil {
			return fmt.Errorf("convert: %s: %w", filepath.Join(dir, "chat_template.json"), err)
		}
		raw = ct.ChatTemplate
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		m.set("tokenizer.chat_template", s)
		return nil
	}
	var named []struct {
		Name     string  `json:"name"`
		Template *string `json:"template"`
	}
	if err := json.Unmarshal(raw, &named); err != nil {
		return nil // gguf-py ignores a chat_template of another type
	}
	var names []string
	var def *string
	for _, n := range named {
		clean := strings.Map(func(r rune) rune {
			if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				return r
			}
			return '_'
		}, n.Name)
		if clean == "" || n.Template == nil {
			continue
		}
		if clean == "default" {
			def = n.Template
			continue
		}
		names = append(names, clean)
		m.set("tokenizer.chat_template."+clean, *n.Template)
	}
	if len(names) > 0 {
		sort.Strings(names)
		m.set("tokenizer.chat_templates", names)
	}
	if def != nil {
		m.set("tokenizer.chat_template", *def)
	}
	return nil
}
