package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/seekd/seekd/chat/internal/jinja"
)

// SpecialTokens maps template variable names such as "bos_token" and
// "eos_token" to their token strings. Hugging Face passes every special
// token that is set; unset ones stay undefined in the template.
type SpecialTokens map[string]string

// Option configures a Template.
type Option func(*config)

type config struct {
	now      func() time.Time
	specials SpecialTokens
}

// WithClock sets the clock strftime_now reads (default: time.Now).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithSpecialTokens adds special tokens, overriding those a loaded
// configuration gives (for .jinja files with no configuration, or to pass
// --bos/--eos on the command line).
func WithSpecialTokens(t SpecialTokens) Option {
	return func(c *config) {
		if c.specials == nil {
			c.specials = SpecialTokens{}
		}
		maps.Copy(c.specials, t)
	}
}

// Template is a compiled chat template with its special tokens. It is
// safe for concurrent use.
type Template struct {
	// variants maps template names to templates; "default" is used unless
	// tools are given and a "tool_use" variant exists, as in Hugging Face.
	variants map[string]*jinja.Template
	specials SpecialTokens
	now      func() time.Time
}

// New compiles a chat template from its Jinja source and the special
// tokens the template sees as variables.
func New(source string, specials SpecialTokens, opts ...Option) (*Template, error) {
	return newTemplate(map[string]string{"default": source}, specials, opts)
}

func newTemplate(sources map[string]string, specials SpecialTokens, opts []Option) (*Template, error) {
	c := config{now: time.Now}
	for _, o := range opts {
		o(&c)
	}
	t := &Template{variants: map[string]*jinja.Template{}, specials: SpecialTokens{}, now: c.now}
	maps.Copy(t.specials, specials)
	maps.Copy(t.specials, c.specials)
	for _, name := range slices.Sorted(maps.Keys(sources)) {
		jt, err := jinja.Parse(sources[name])
		if err != nil {
			if len(sources) > 1 {
				return nil, fmt.Errorf("chat template %q: %w", name, err)
			}
			return nil, fmt.Errorf("chat template: %w", err)
		}
		t.variants[name] = jt
	}
	if t.variants["default"] == nil {
		return nil, fmt.Errorf("chat template: no template named \"default\" among %v", slices.Sorted(maps.Keys(sources)))
	}
	return t, nil
}

// RendersTools reports whether the template reads the tools variable. When
// it does not (DeepSeek V3, V3.1, R1), tool definitions must reach the
// model through the system prompt; see WithToolPrompt.
func (t *Template) RendersTools() bool {
	for _, v := range t.variants {
		if v.Uses("tools") {
			return true
		}
	}
	return false
}

// Input is one rendering request with typed messages.
type Input struct {
	// Messages is the conversation.
	Messages []Message
	// Tools is the JSON array of tool definitions (OpenAI format), passed
	// to the template with its key order; empty or "null" means none.
	Tools json.RawMessage
	// AddGenerationPrompt appends the assistant turn opener.
	AddGenerationPrompt bool
	// Kwargs are extra template variables such as "thinking" or
	// "enable_thinking". Values may be Go values (bool, string, numbers,
	// slices, string-keyed maps) or json.RawMessage (decoded in order).
	Kwargs map[string]any
}

// RawInput is one rendering request in JSON form, as the `seekd template`
// command reads it: messages and tools go to the template exactly as
// decoded, with every key and key order kept.
type RawInput struct {
	// Messages is the JSON array of messages.
	Messages json.RawMessage `json:"messages"`
	// Tools is the JSON array of tool definitions, or null.
	Tools json.RawMessage `json:"tools,omitempty"`
	// AddGenerationPrompt appends the assistant turn opener.
	AddGenerationPrompt bool `json:"add_generation_prompt"`
	// Kwargs is a JSON object of extra template variables.
	Kwargs json.RawMessage `json:"kwargs,omitempty"`
}

// Render renders the conversation with the template.
func (t *Template) Render(ctx context.Context, in Input) (string, error) {
	msgs := make([]jinja.Value, len(in.Messages))
	for i, m := range in.Messages {
		msgs[i] = m.value()
	}
	tools, err := decodeTools(in.Tools)
	if err != nil {
		return "", err
	}
	kwargs := make(map[string]jinja.Value, len(in.Kwargs))
	for k, v := range in.Kwargs {
		jv, err := jinja.FromGo(v)
		if err != nil {
			return "", fmt.Errorf("chat: kwargs %q: %w", k, err)
		}
		kwargs[k] = jv
	}
	return t.render(ctx, jinja.NewList(msgs), tools, in.AddGenerationPrompt, kwargs)
}

// RenderJSON renders a conversation given as raw JSON.
func (t *Template) RenderJSON(ctx context.Context, in RawInput) (string, error) {
	if len(in.Messages) == 0 {
		return "", errors.New("chat: messages: missing")
	}
	msgs, err := jinja.FromJSON(in.Messages)
	if err != nil {
		return "", fmt.Errorf("chat: messages: %w", err)
	}
	if _, ok := msgs.(*jinja.List); !ok {
		return "", errors.New("chat: messages: not a JSON array")
	}
	tools, err := decodeTools(in.Tools)
	if err != nil {
		return "", err
	}
	kwargs := map[string]jinja.Value{}
	if len(in.Kwargs) > 0 && string(in.Kwargs) != "null" {
		kv, err := jinja.FromJSON(in.Kwargs)
		if err != nil {
			return "", fmt.Errorf("chat: kwargs: %w", err)
		}
		d, ok := kv.(*jinja.Dict)
		if !ok {
			return "", errors.New("chat: kwargs: not a JSON object")
		}
		for i, k := range d.Keys() {
			kwargs[k.(string)] = d.Values()[i]
		}
	}
	return t.render(ctx, msgs, tools, in.AddGenerationPrompt, kwargs)
}

func decodeTools(raw json.RawMessage) (jinja.Value, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	v, err := jinja.FromJSON(raw)
	if err != nil {
		return nil, fmt.Errorf("chat: tools: %w", err)
	}
	if _, ok := v.(*jinja.List); !ok && v != nil {
		return nil, errors.New("chat: tools: not a JSON array")
	}
	return v, nil
}

// reserved are the variables apply_chat_template passes itself; Python
// rejects kwargs that repeat them.
var reserved = []string{"messages", "tools", "documents", "add_generation_prompt"}

// render passes variables in Hugging Face's order: special tokens, then
// messages/tools/documents/add_generation_prompt, then kwargs.
func (t *Template) render(ctx context.Context, msgs, tools jinja.Value, addGen bool, kwargs map[string]jinja.Value) (string, error) {
	vars := make(map[string]jinja.Value, len(t.specials)+len(kwargs)+4)
	for k, v := range t.specials {
		vars[k] = v
	}
	vars["messages"] = msgs
	vars["tools"] = tools
	vars["documents"] = nil
	vars["add_generation_prompt"] = addGen
	for k, v := range kwargs {
		if slices.Contains(reserved, k) {
			return "", fmt.Errorf("chat: kwargs: %q is set by the renderer itself", k)
		}
		vars[k] = v
	}
	tmpl := t.variants["default"]
	if tu := t.variants["tool_use"]; tu != nil && tools != nil {
		tmpl = tu
	}
	out, err := tmpl.Render(ctx, vars, jinja.Options{Now: t.now})
	if err != nil {
		return "", fmt.Errorf("chat template: %w", err)
	}
	return out, nil
}
