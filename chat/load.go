package chat

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxConfigSize bounds the files LoadTemplate reads.
const maxConfigSize = 64 << 20

// ErrGGUF is returned for .gguf paths until GGUF metadata is supported.
var ErrGGUF = errors.New("reading the chat template of a .gguf file is not supported yet")

// specialTokenKeys are the special tokens Hugging Face passes to templates
// (its SPECIAL_TOKENS_ATTRIBUTES, without the additional tokens list).
var specialTokenKeys = []string{"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}

// LoadTemplate loads a chat template from path:
//   - a model folder: chat_template.jinja if present (as Hugging Face
//     saves it since transformers 4.43), else the chat_template of
//     tokenizer_config.json, else chat_template.json; special tokens come
//     from tokenizer_config.json;
//   - a tokenizer_config.json file (any .json file of that shape);
//   - any other file, read as Jinja source (.jinja), with special tokens
//     given by WithSpecialTokens.
//
// WithSpecialTokens overrides tokens read from the configuration.
func LoadTemplate(path string, opts ...Option) (*Template, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	if !st.IsDir() {
		switch strings.ToLower(filepath.Ext(path)) {
		case ".gguf":
			return nil, fmt.Errorf("chat: %s: %w", path, ErrGGUF)
		case ".json":
			data, err := readLimited(path)
			if err != nil {
				return nil, err
			}
			t, err := FromTokenizerConfig(data, opts...)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			return t, nil
		}
		src, err := readLimited(path)
		if err != nil {
			return nil, err
		}
		t, err := New(string(src), nil, opts...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return t, nil
	}

	cfgPath := filepath.Join(path, "tokenizer_config.json")
	var cfg *tokenizerConfig
	if data, err := readLimited(cfgPath); err == nil {
		if cfg, err = parseTokenizerConfig(data); err != nil {
			return nil, fmt.Errorf("%s: %w", cfgPath, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var specials SpecialTokens
	if cfg != nil {
		specials = cfg.specials
	}

	jinjaPath := filepath.Join(path, "chat_template.jinja")
	if src, err := readLimited(jinjaPath); err == nil {
		t, err := New(string(src), specials, opts...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", jinjaPath, err)
		}
		return t, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if cfg != nil && cfg.templates != nil {
		t, err := newTemplate(cfg.templates, specials, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cfgPath, err)
		}
		return t, nil
	}
	jsonPath := filepath.Join(path, "chat_template.json")
	if data, err := readLimited(jsonPath); err == nil {
		var v struct {
			ChatTemplate json.RawMessage `json:"chat_template"`
		}
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("%s: %w", jsonPath, err)
		}
		sources, err := parseChatTemplateField(v.ChatTemplate)
		if err == nil && sources == nil {
			err = errors.New("no chat_template")
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", jsonPath, err)
		}
		t, err := newTemplate(sources, specials, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", jsonPath, err)
		}
		return t, nil
	}
	return nil, fmt.Errorf("chat: %s: no chat template (looked for chat_template.jinja, the chat_template of tokenizer_config.json, chat_template.json)", path)
}

// FromTokenizerConfig builds a Template from the contents of a
// tokenizer_config.json: its chat_template (a string, or a list of
// {"name", "template"} entries) and its special tokens.
func FromTokenizerConfig(data []byte, opts ...Option) (*Template, error) {
	cfg, err := parseTokenizerConfig(data)
	if err != nil {
		return nil, err
	}
	if cfg.templates == nil {
		return nil, errors.New("chat: tokenizer config has no chat_template")
	}
	return newTemplate(cfg.templates, cfg.specials, opts)
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("chat: %s: %w", path, err)
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("chat: %s: larger than %d bytes", path, maxConfigSize)
	}
	return data, nil
}

type tokenizerConfig struct {
	templates map[string]string // nil when the config has no template
	specials  SpecialTokens
}

func parseTokenizerConfig(data []byte) (*tokenizerConfig, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, fmt.Errorf("chat: tokenizer config: %w", err)
	}
	cfg := &tokenizerConfig{specials: SpecialTokens{}}
	var err error
	if cfg.templates, err = parseChatTemplateField(fields["chat_template"]); err != nil {
		return nil, fmt.Errorf("chat: tokenizer config: %w", err)
	}
	for _, k := range specialTokenKeys {
		tok, ok, err := parseTokenField(fields[k])
		if err != nil {
			return nil, fmt.Errorf("chat: tokenizer config: %s: %w", k, err)
		}
		if ok {
			cfg.specials[k] = tok
		}
	}
	return cfg, nil
}

// parseChatTemplateField reads a chat_template value: a string or a list
// of {"name": ..., "template": ...}. Absent or null gives nil.
func parseChatTemplateField(raw json.RawMessage) (map[string]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return map[string]string{"default": s}, nil
	}
	var list []struct {
		Name     *string `json:"name"`
		Template *string `json:"template"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errors.New("chat_template: want a string or a list of {\"name\", \"template\"}")
	}
	out := map[string]string{}
	for i, e := range list {
		if e.Name == nil || e.Template == nil {
			return nil, fmt.Errorf("chat_template[%d]: needs \"name\" and \"template\"", i)
		}
		out[*e.Name] = *e.Template
	}
	return out, nil
}

// parseTokenField reads a special token: a string, an AddedToken object
// with "content", or null (not set, as Hugging Face leaves it out).
func parseTokenField(raw json.RawMessage) (string, bool, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, s != "", nil
	}
	var obj struct {
		Content *string `json:"content"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.Content == nil {
		return "", false, errors.New("want a string or an object with \"content\"")
	}
	return *obj.Content, *obj.Content != "", nil
}
