package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"github.com/seekd/seekd/chat"
	"github.com/seekd/seekd/tokenizer"
	"github.com/seekd/seekd/weights/gguf"
)

// maxConfigBytes caps the JSON configuration files read here.
const maxConfigBytes = 64 << 20

// openFolderText reads a Hugging Face folder's tokenizer.json,
// tokenizer_config.json (chat template, special tokens, model_max_length),
// chat_template.jinja and generation_config.json (extra EOS ids).
func openFolderText(dir string) (*Text, error) {
	tj := filepath.Join(dir, "tokenizer.json")
	if _, err := os.Stat(tj); err != nil {
		return nil, fmt.Errorf("bundle: %s: %w", dir, errNoTokenizer)
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	t := &Text{Tokenizer: tok}
	cfgPath := filepath.Join(dir, "tokenizer_config.json")
	var cfg tokenizerConfig
	if err := readJSON(cfgPath, &cfg); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	// chat_template.jinja wins over tokenizer_config.json, as in Hugging
	// Face since transformers 4.43.
	var src string
	if b, err := readCapped(filepath.Join(dir, "chat_template.jinja")); err == nil {
		src = string(b)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if src == "" {
		if src, err = cfg.template(); err != nil {
			return nil, fmt.Errorf("bundle: %s: chat_template: %w", cfgPath, err)
		}
	}
	if cfg.ModelMaxLength > 0 && cfg.ModelMaxLength < 1<<24 {
		t.MaxContext = int(cfg.ModelMaxLength)
	}
	specials := chat.SpecialTokens{}
	for name, raw := range map[string]json.RawMessage{"bos_token": cfg.BOS, "eos_token": cfg.EOS, "pad_token": cfg.Pad, "unk_token": cfg.Unk} {
		if s, ok := tokenString(raw); ok {
			specials[name] = s
		}
	}
	if _, ok := specials["bos_token"]; !ok && tok.BOSToken() != "" {
		specials["bos_token"] = tok.BOSToken()
	}
	if _, ok := specials["eos_token"]; !ok && tok.EOSToken() != "" {
		specials["eos_token"] = tok.EOSToken()
	}
	if src != "" {
		tmpl, err := chat.New(src, specials)
		if err != nil {
			return nil, fmt.Errorf("bundle: %s: %w", cfgPath, err)
		}
		t.Template, t.TemplateSource = tmpl, src
	}
	var gen struct {
		EOS json.RawMessage `json:"eos_token_id"`
	}
	if err := readJSON(filepath.Join(dir, "generation_config.json"), &gen); err == nil {
		for _, id := range intOrInts(gen.EOS) {
			if tok.Valid(id) {
				t.StopTokens = appendNew(t.StopTokens, id)
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return t, nil
}

// tokenizerConfig is the part of tokenizer_config.json serving needs.
type tokenizerConfig struct {
	ChatTemplate   json.RawMessage `json:"chat_template"`
	BOS            json.RawMessage `json:"bos_token"`
	EOS            json.RawMessage `json:"eos_token"`
	Pad            json.RawMessage `json:"pad_token"`
	Unk            json.RawMessage `json:"unk_token"`
	ModelMaxLength float64         `json:"model_max_length"`
}

// template returns the default chat template: chat_template is a string,
// or a list of {name, template} of which "default" is used.
func (c *tokenizerConfig) template() (string, error) {
	raw := c.ChatTemplate
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var list []struct {
		Name     string `json:"name"`
		Template string `json:"template"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return "", errors.New("neither a string nor a list of {name, template}")
	}
	for _, v := range list {
		if v.Name == "default" {
			return v.Template, nil
		}
	}
	return "", errors.New("the list has no template named \"default\"")
}

// tokenString reads a special token given as a string or as an
// AddedToken object {"content": ...}.
func tokenString(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var o struct {
		Content *string `json:"content"`
	}
	if json.Unmarshal(raw, &o) == nil && o.Content != nil {
		return *o.Content, true
	}
	return "", false
}

// intOrInts reads an id given as a number or a list of numbers.
func intOrInts(raw json.RawMessage) []int {
	var one int
	if json.Unmarshal(raw, &one) == nil {
		return []int{one}
	}
	var many []int
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	return nil
}

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > maxConfigBytes {
		return nil, fmt.Errorf("bundle: %s: %d bytes, more than the %d allowed", path, st.Size(), maxConfigBytes)
	}
	return os.ReadFile(path)
}

func readJSON(path string, v any) error {
	b, err := readCapped(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("bundle: %s: %w", path, err)
	}
	return nil
}

// openGGUFText builds the tokenizer from a GGUF file's tokenizer.ggml.*
// metadata and reads tokenizer.chat_template.
func openGGUFText(path string) (*Text, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	defer f.Close()
	wrap := func(key string, err error) error { return fmt.Errorf("bundle: %s: %s: %w", path, key, err) }
	if m, err := f.StringOr("tokenizer.ggml.model", "gpt2"); err != nil {
		return nil, wrap("tokenizer.ggml.model", err)
	} else if m != "gpt2" {
		return nil, fmt.Errorf("bundle: %s: tokenizer.ggml.model %q is not supported (seekd reads byte-level BPE, \"gpt2\")", path, m)
	}
	var p tokenizer.Parts
	if p.Tokens, err = f.Strings("tokenizer.ggml.tokens"); err != nil {
		return nil, wrap("tokenizer.ggml.tokens", err)
	}
	if p.Merges, err = f.Strings("tokenizer.ggml.merges"); err != nil {
		return nil, wrap("tokenizer.ggml.merges", err)
	}
	if f.Has("tokenizer.ggml.token_type") {
		types, err := f.Ints("tokenizer.ggml.token_type")
		if err != nil {
			return nil, wrap("tokenizer.ggml.token_type", err)
		}
		p.Types = make([]tokenizer.TokenType, len(types))
		for i, v := range types {
			p.Types[i] = tokenizer.TokenType(v)
		}
	}
	optID := func(key string) (int, error) {
		if !f.Has(key) {
			return -1, nil
		}
		v, err := f.Uint(key)
		if err != nil {
			return -1, wrap(key, err)
		}
		if v >= uint64(len(p.Tokens)) {
			return -1, wrap(key, fmt.Errorf("id %d is out of range [0, %d)", v, len(p.Tokens)))
		}
		return int(v), nil
	}
	if p.BOS, err = optID("tokenizer.ggml.bos_token_id"); err != nil {
		return nil, err
	}
	if p.EOS, err = optID("tokenizer.ggml.eos_token_id"); err != nil {
		return nil, err
	}
	if p.AddBOS, err = f.BoolOr("tokenizer.ggml.add_bos_token", p.BOS >= 0); err != nil {
		return nil, wrap("tokenizer.ggml.add_bos_token", err)
	}
	if p.AddEOS, err = f.BoolOr("tokenizer.ggml.add_eos_token", false); err != nil {
		return nil, wrap("tokenizer.ggml.add_eos_token", err)
	}
	if p.Pre, err = f.StringOr("tokenizer.ggml.pre", "default"); err != nil {
		return nil, wrap("tokenizer.ggml.pre", err)
	}
	tok, err := tokenizer.FromParts(p)
	if err != nil {
		return nil, fmt.Errorf("bundle: %s: %w", path, err)
	}
	t := &Text{Tokenizer: tok}
	for _, key := range []string{"tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"} {
		id, err := optID(key)
		if err != nil {
			return nil, err
		}
		if id >= 0 {
			t.StopTokens = appendNew(t.StopTokens, id)
		}
	}
	if n, err := f.UintOr(f.ArchKey("context_length"), 0); err == nil && n < math.MaxInt32 {
		t.MaxContext = int(n)
	}
	src, err := f.StringOr("tokenizer.chat_template", "")
	if err != nil {
		return nil, wrap("tokenizer.chat_template", err)
	}
	if src != "" {
		specials := chat.SpecialTokens{}
		if s := tok.BOSToken(); s != "" {
			specials["bos_token"] = s
		}
		if s := tok.EOSToken(); s != "" {
			specials["eos_token"] = s
		}
		tmpl, err := chat.New(src, specials)
		if err != nil {
			return nil, fmt.Errorf("bundle: %s: tokenizer.chat_template: %w", path, err)
		}
		t.Template, t.TemplateSource = tmpl, src
	}
	return t, nil
}
