package chat

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadModelFolders loads the tokenizer fixtures' model folders (whose
// tokenizer_config.json carry the DeepSeek-V3, Qwen3 and Llama 3
// templates) and renders the reference conversations of those templates.
func TestLoadModelFolders(t *testing.T) {
	lines := loadRenderings(t)
	for _, tc := range []struct {
		dir, template string
		specials      SpecialTokens
	}{
		{"deepseek_v3", "deepseek-v3", SpecialTokens{"bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>", "pad_token": "<｜end▁of▁sentence｜>"}},
		{"qwen3", "qwen3", SpecialTokens{"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"}},
		{"llama3", "llama3", SpecialTokens{"bos_token": "<|begin_of_text|>", "eos_token": "<|end_of_text|>"}},
	} {
		tmpl, err := LoadTemplate(filepath.Join("..", "testdata", "tokenizers", tc.dir), WithClock(fixedClock))
		if err != nil {
			t.Fatalf("%s: %v", tc.dir, err)
		}
		if len(tmpl.specials) != len(tc.specials) {
			t.Errorf("%s: special tokens %v, want %v", tc.dir, tmpl.specials, tc.specials)
		}
		for k, v := range tc.specials {
			if tmpl.specials[k] != v {
				t.Errorf("%s: %s = %q, want %q", tc.dir, k, tmpl.specials[k], v)
			}
		}
		n := 0
		for _, r := range lines {
			if r.Template != tc.template {
				continue
			}
			_, in := fixtureInput(t, r, map[string]*Template{})
			got, err := tmpl.RenderJSON(context.Background(), in)
			if r.Error != nil {
				if err == nil {
					t.Errorf("%s/%s: no error, want %q", tc.dir, r.Case, *r.Error)
				}
				continue
			}
			// The fixture's llama3 renderings used <|eot_id|> as EOS; the
			// template does not read eos_token, so the bytes still agree.
			if err != nil || got != *r.Rendered {
				t.Errorf("%s/%s: got %q (%v), want %q", tc.dir, r.Case, got, err, *r.Rendered)
			}
			n++
		}
		if n == 0 {
			t.Errorf("%s: no renderings compared", tc.dir)
		}
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadTemplateSources(t *testing.T) {
	ctx := context.Background()
	msgs := Input{Messages: []Message{{Role: "user", Content: Text("hi")}}}
	dir := t.TempDir()

	// A .jinja file takes special tokens from the caller.
	jinjaFile := filepath.Join(dir, "t.jinja")
	writeFile(t, jinjaFile, "{{ bos_token }}{{ messages[0].content }}{{ eos_token }}\n")
	tmpl, err := LoadTemplate(jinjaFile, WithSpecialTokens(SpecialTokens{"bos_token": "<s>", "eos_token": "</s>"}))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := tmpl.Render(ctx, msgs); got != "<s>hi</s>" {
		t.Errorf(".jinja: %q", got)
	}

	// A folder: chat_template.jinja wins over tokenizer_config.json; token
	// objects and plain strings both work; null tokens stay unset.
	folder := filepath.Join(dir, "model")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(folder, "tokenizer_config.json"), `{
		"bos_token": {"__type": "AddedToken", "content": "<B>"}, "eos_token": "<E>", "unk_token": null,
		"chat_template": "cfg:{{ bos_token }}{{ unk_token is defined }}"}`)
	tmpl, err = LoadTemplate(folder)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := tmpl.Render(ctx, msgs); got != "cfg:<B>False" {
		t.Errorf("tokenizer_config.json: %q", got)
	}
	writeFile(t, filepath.Join(folder, "chat_template.jinja"), "file:{{ eos_token }}")
	tmpl, err = LoadTemplate(folder, WithSpecialTokens(SpecialTokens{"eos_token": "<X>"}))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := tmpl.Render(ctx, msgs); got != "file:<X>" {
		t.Errorf("chat_template.jinja with override: %q", got)
	}

	// Named templates: "tool_use" when tools are given.
	named := filepath.Join(dir, "named.json")
	writeFile(t, named, `{"chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"}]}`)
	tmpl, err = LoadTemplate(named)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := tmpl.Render(ctx, Input{}); got != "D" {
		t.Errorf("named default: %q", got)
	}
	if got, _ := tmpl.Render(ctx, Input{Tools: []byte(`[]`)}); got != "T" {
		t.Errorf("named tool_use: %q", got)
	}

	// chat_template.json (processor configs) as the last resort.
	proc := filepath.Join(dir, "proc")
	if err := os.Mkdir(proc, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(proc, "chat_template.json"), `{"chat_template": "P"}`)
	tmpl, err = LoadTemplate(proc)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := tmpl.Render(ctx, Input{}); got != "P" {
		t.Errorf("chat_template.json: %q", got)
	}
}

func TestLoadTemplateErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, file, data, want string
	}{
		{"no template", "a/tokenizer_config.json", `{"eos_token": "x"}`, "no chat template"},
		{"bad json", "b/tokenizer_config.json", `{`, "tokenizer_config.json"},
		{"bad token", "c/tokenizer_config.json", `{"bos_token": 5, "chat_template": "x"}`, "bos_token"},
		{"bad template field", "d/tokenizer_config.json", `{"chat_template": 5}`, "chat_template"},
		{"entry without name", "e/tokenizer_config.json", `{"chat_template": [{"template": "x"}]}`, "chat_template[0]"},
		{"no default", "f/tokenizer_config.json", `{"chat_template": [{"name": "tool_use", "template": "x"}]}`, "default"},
		{"syntax error", "g/chat_template.jinja", `{% for %}`, "chat_template.jinja"},
	}
	for _, tc := range cases {
		path := filepath.Join(dir, tc.file)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, tc.data)
		_, err := LoadTemplate(filepath.Dir(path))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := LoadTemplate(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing path: %v", err)
	}
	gguf := filepath.Join(dir, "m.gguf")
	writeFile(t, gguf, "GGUF")
	if _, err := LoadTemplate(gguf); !errors.Is(err, ErrGGUF) {
		t.Errorf("gguf: %v", err)
	}
	if _, err := FromTokenizerConfig([]byte(`{}`)); err == nil {
		t.Error("FromTokenizerConfig accepted a config without a template")
	}
}
