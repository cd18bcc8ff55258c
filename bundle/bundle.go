// Package bundle opens a model together with everything serving it needs:
// the weights (model.Model), the tokenizer, the chat template, and facts
// derived from them: which reasoning and tool-call format the model writes,
// whether its generation prompt opens the reasoning, whether the template
// has a thinking switch, its capabilities (thinking, tools, fill-in-the-
// middle), its stop tokens and its context length.
//
// A bundle comes from a Hugging Face model folder (config.json, safetensors,
// tokenizer.json, tokenizer_config.json) or from a single GGUF file (whose
// tokenizer.ggml.* metadata and tokenizer.chat_template give the same
// things). OpenText reads only the text side, without the weights, for the
// commands that tokenize or render templates.
package bundle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/seekd/seekd/chat"
	"github.com/seekd/seekd/chat/parse"
	"github.com/seekd/seekd/model"
	"github.com/seekd/seekd/tokenizer"
)

// Capabilities say what a model can do through the API.
type Capabilities struct {
	// Thinking: the model writes reasoning (forced by its template, or
	// switchable with the template's thinking variable).
	Thinking bool
	// Tools: the model's format has tool calls (R1/V3, V3.1 or V3.2 DSML).
	Tools bool
	// FIM: the tokenizer has the fill-in-the-middle tokens.
	FIM bool
}

// FIMTokens are the fill-in-the-middle token ids (prefix-suffix-middle
// order: Begin prefix Hole suffix End middle).
type FIMTokens struct {
	Begin, Hole, End int
}

// Text is the text side of a model: tokenizer, chat template and the facts
// derived from them.
type Text struct {
	// Path is the folder or file the bundle was opened from.
	Path string
	// Tokenizer encodes prompts and decodes output.
	Tokenizer *tokenizer.Tokenizer
	// Template is the chat template; nil when the model ships none (it can
	// then only serve plain completions).
	Template *chat.Template
	// TemplateSource is the Jinja source of Template ("" if none).
	TemplateSource string

	// Format is the chat/parse format of the model's output (parse.Format*).
	Format string
	// OpensReasoning: the default generation prompt ends inside "<think>",
	// so output starts in the reasoning (R1, R1-Distill).
	OpensReasoning bool
	// ThinkingVar names the template variable that switches thinking on
	// and off ("thinking" for V3.1, "enable_thinking" for templates that
	// only know that name), "" if the template has none.
	ThinkingVar string
	// Caps are the capabilities.
	Caps Capabilities
	// FIM holds the fill-in-the-middle tokens when Caps.FIM.
	FIM FIMTokens
	// StopTokens end a generation: EOS, <|EOT|> and end-of-turn ids.
	StopTokens []int
	// MaxContext is the context length the tokenizer configuration or GGUF
	// metadata declares (0 if unknown); the model's own is in its Config.
	MaxContext int
}

// Bundle is a loaded model and its text side.
type Bundle struct {
	*Text
	// Model runs forward passes.
	Model model.Model
}

// Options configure Open.
type Options struct {
	// Model are the options model.Load gets.
	Model model.Options
}

// Open loads the model at path (a Hugging Face folder or a .gguf file)
// with its tokenizer and chat template.
func Open(path string, opt Options) (*Bundle, error) {
	t, err := OpenText(path)
	if err != nil {
		return nil, err
	}
	m, err := model.Load(path, opt.Model)
	if err != nil {
		return nil, err
	}
	c := m.Config()
	if t.Tokenizer.VocabSize() > c.Vocab {
		m.Close()
		return nil, fmt.Errorf("bundle: %s: the tokenizer has %d tokens, more than the model's vocabulary of %d", path, t.Tokenizer.VocabSize(), c.Vocab)
	}
	for _, id := range c.EOS {
		if id >= 0 && id < c.Vocab && !slices.Contains(t.StopTokens, id) {
			t.StopTokens = append(t.StopTokens, id)
		}
	}
	return &Bundle{Text: t, Model: m}, nil
}

// Close releases the model.
func (b *Bundle) Close() error { return b.Model.Close() }

// Context returns the context length to serve: the model's, capped by what
// the tokenizer configuration declares when that is smaller.
func (b *Bundle) Context() int {
	n := b.Model.Config().MaxPos
	if b.MaxContext > 0 && b.MaxContext < n {
		n = b.MaxContext
	}
	return n
}

// OpenText reads the tokenizer and chat template of the model at path (a
// folder, a tokenizer.json, or a .gguf file) without loading weights.
func OpenText(path string) (*Text, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	var t *Text
	switch {
	case !st.IsDir() && strings.HasSuffix(strings.ToLower(path), ".gguf"):
		t, err = openGGUFText(path)
	case st.IsDir():
		t, err = openFolderText(path)
	case filepath.Base(path) == "tokenizer.json":
		t, err = openFolderText(filepath.Dir(path))
	default:
		return nil, fmt.Errorf("bundle: %s is neither a model folder nor a .gguf file", path)
	}
	if err != nil {
		return nil, err
	}
	t.Path = path
	if err := t.derive(); err != nil {
		return nil, fmt.Errorf("bundle: %s: %w", path, err)
	}
	return t, nil
}

// derive fills the facts that follow from the tokenizer and the template.
func (t *Text) derive() error {
	tok := t.Tokenizer
	if id := tok.EOS(); id >= 0 {
		t.StopTokens = appendNew(t.StopTokens, id)
	}
	for _, s := range []string{"<|EOT|>", "<|eot_id|>", "<|im_end|>", "<|end_of_text|>"} {
		if id, ok := tok.TokenID(s); ok && tok.IsSpecial(id) {
			t.StopTokens = appendNew(t.StopTokens, id)
		}
	}
	b, okb := tok.TokenID("<｜fim▁begin｜>")
	h, okh := tok.TokenID("<｜fim▁hole｜>")
	e, oke := tok.TokenID("<｜fim▁end｜>")
	if okb && okh && oke {
		t.Caps.FIM = true
		t.FIM = FIMTokens{Begin: b, Hole: h, End: e}
	}
	t.Format = detectFormat(t.TemplateSource, tok)
	t.Caps.Tools = t.Format != parse.FormatNone
	if t.Template == nil {
		return nil
	}
	probe := func(kwargs map[string]any) (string, error) {
		return t.Template.Render(context.Background(), chat.Input{
			Messages:            []chat.Message{{Role: "user", Content: chat.Text("Hi")}},
			AddGenerationPrompt: true,
			Kwargs:              kwargs,
		})
	}
	def, err := probe(nil)
	if err != nil {
		return fmt.Errorf("chat template: rendering a one-message conversation: %w", err)
	}
	t.OpensReasoning = parse.PromptOpensReasoning(def)
	for _, name := range []string{"thinking", "enable_thinking"} {
		if !strings.Contains(t.TemplateSource, name) {
			continue
		}
		on, err1 := probe(map[string]any{name: true})
		off, err2 := probe(map[string]any{name: false})
		// The switch changes the prompt, and "off" does not open the
		// reasoning ("on" may open it, or leave "<think>" to the model).
		if err1 == nil && err2 == nil && on != off && !parse.PromptOpensReasoning(off) {
			t.ThinkingVar = name
			break
		}
	}
	t.Caps.Thinking = t.OpensReasoning || t.ThinkingVar != "" || strings.Contains(t.TemplateSource, "</think>")
	return nil
}

// detectFormat tells the tool-call layout from the template text and the
// special tokens: V3.2's DSML, V3.1's "name<｜tool▁sep｜>arguments", or the
// R1/V3 "type<｜tool▁sep｜>name + fenced JSON" layout.
func detectFormat(src string, tok *tokenizer.Tokenizer) string {
	_, hasSep := tok.TokenID("<｜tool▁sep｜>")
	switch {
	case strings.Contains(src, "｜DSML｜"):
		return parse.FormatV32
	case src == "" && hasDSML(tok):
		return parse.FormatV32
	case strings.Contains(src, "<｜tool▁sep｜>") && strings.Contains(src, "```json"):
		if strings.Contains(src, "<think>") || strings.Contains(src, "</think>") {
			return parse.FormatDeepSeekR1
		}
		return parse.FormatDeepSeekV3
	case strings.Contains(src, "<｜tool▁sep｜>"):
		return parse.FormatV31
	case src == "" && hasSep:
		return parse.FormatDeepSeekV3
	}
	return parse.FormatNone
}

func hasDSML(tok *tokenizer.Tokenizer) bool {
	for _, a := range tok.AddedTokens() {
		if strings.Contains(a.Content, "DSML") {
			return true
		}
	}
	return false
}

func appendNew(s []int, id int) []int {
	if slices.Contains(s, id) {
		return s
	}
	return append(s, id)
}

// errNoTokenizer is wrapped when a folder has no tokenizer.json.
var errNoTokenizer = errors.New("no tokenizer.json")
