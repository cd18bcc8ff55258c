package server

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/seekd/seekd/chat"
	"github.com/seekd/seekd/chat/parse"
	"github.com/seekd/seekd/engine"
	"github.com/seekd/seekd/sample"
)

// Default generation lengths when the request gives no max_tokens
// (DeepSeek's defaults), capped by what the context leaves.
const (
	defaultMaxTokens         = 4096
	defaultMaxTokensThinking = 32768
)

// prepared is a request ready for the engine: one prompt per choice and
// how to turn the output back into API events.
type prepared struct {
	choices   []choiceSpec
	prompts   []string // prompt texts, by prompt index (for echo and logs)
	thinking  bool     // thinking mode (the output starts in the reasoning)
	format    string   // chat/parse format
	parseOpts parse.Options
	plain     bool // completions: no parsing, all text is content
	// newConstraint builds a choice's output constraint (nil: none).
	newConstraint func() (engine.Constraint, error)
	maxTokens     int
	sampling      sample.Params
}

// choiceSpec is one engine request.
type choiceSpec struct {
	prompt      []int
	seed        uint64
	promptIndex int
	first       bool // the first choice of its prompt (counts the prompt tokens)
}

// prepare renders and tokenizes a request.
func (s *Server) prepare(ctx context.Context, g *genRequest) (*prepared, *apiError) {
	var p *prepared
	var e *apiError
	if g.Chat != nil {
		p, e = s.prepareChat(ctx, g)
	} else {
		p, e = s.prepareCompletion(g)
	}
	if e != nil {
		return nil, e
	}
	ctxLen := g.Model.Engine.Context()
	longest := 0
	for _, c := range p.choices {
		longest = max(longest, len(c.prompt))
	}
	if g.MaxTokens > 0 {
		if longest+g.MaxTokens > ctxLen {
			return nil, badRequest("messages", "This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the messages, %d in the completion). Please reduce the length of the messages or completion.", ctxLen, longest+g.MaxTokens, longest, g.MaxTokens)
		}
		p.maxTokens = g.MaxTokens
	} else {
		def := defaultMaxTokens
		if p.thinking {
			def = defaultMaxTokensThinking
		}
		if longest >= ctxLen {
			return nil, badRequest("messages", "This model's maximum context length is %d tokens. However, your messages resulted in %d tokens. Please reduce the length of the messages.", ctxLen, longest)
		}
		p.maxTokens = min(def, ctxLen-longest)
	}
	if g.Chat != nil && g.Chat.ThinkingBudget > 0 && p.parseOpts.StartInReasoning {
		// Only a prompt that opened the reasoning is known to be in it.
		s.withBudget(g, p, g.Chat.ThinkingBudget)
	}
	if p.thinking && g.Chat != nil {
		// Thinking mode: sampling parameters are accepted and ignored, as
		// in DeepSeek's API; the model's recommended settings apply.
		p.sampling = sample.Params{Temperature: 0.6, TopP: 0.95}
	} else {
		p.sampling = g.Sampling
	}
	return p, nil
}

// prepareChat renders the conversation with the model's chat template.
func (s *Server) prepareChat(ctx context.Context, g *genRequest) (*prepared, *apiError) {
	b := g.Model.Bundle
	ci := g.Chat
	if b.Template == nil {
		return nil, badRequest("model", "the model %q has no chat template; use /v1/completions", g.Model.Name)
	}
	msgs := slices.Clone(ci.Messages)
	lastUser := -1
	for i, m := range msgs {
		if m.Role == "user" {
			lastUser = i
		}
	}

	// Thinking: the request (or the model alias) decides when the template
	// has a switch; otherwise the template's default stands.
	kwargs := map[string]any{}
	for k, v := range ci.Kwargs {
		kwargs[k] = v
	}
	thinking := b.OpensReasoning
	if ci.Thinking != nil {
		thinking = *ci.Thinking && b.Caps.Thinking
	}
	if b.ThinkingVar != "" {
		if v, ok := kwargs[b.ThinkingVar]; ok {
			thinking = fmt.Sprint(v) == "true"
		} else if ci.Thinking != nil {
			kwargs[b.ThinkingVar] = thinking
		}
	}
	if thinking && g.Logprobs {
		return nil, badRequest("logprobs", "logprobs and top_logprobs are not supported in thinking mode (deepseek-reasoner, thinking enabled)")
	}

	// Era B: reasoning of earlier user turns is ignored; within the current
	// tool loop, thinking mode needs the reasoning back.
	for i := range msgs {
		if i < lastUser && msgs[i].Role == "assistant" {
			msgs[i].ReasoningContent = nil
		}
	}
	useTools := len(ci.ToolList) > 0 && ci.ToolChoice.Mode != "none"
	if thinking && len(ci.ToolList) > 0 {
		for i := lastUser + 1; i < len(msgs); i++ {
			if msgs[i].Role == "assistant" && len(msgs[i].ToolCalls) > 0 && msgs[i].ReasoningContent == nil {
				return nil, badRequest(fmt.Sprintf("messages[%d].reasoning_content", i), "Missing reasoning_content field in the assistant message at message index %d", i)
			}
		}
	}
	if useTools && !b.Caps.Tools {
		return nil, badRequest("tools", "the model %q has no tool-call format", g.Model.Name)
	}
	in := chat.Input{Kwargs: kwargs}
	if useTools {
		if b.Template.RendersTools() {
			in.Tools = ci.Tools
		} else {
			block := toolPrompt(b.Format, ci.ToolList)
			if b.Format == parse.FormatV31 {
				// The model card's block, as package chat renders it.
				if v31, err := chat.ToolPrompt(ci.Tools); err == nil {
					block = v31
				}
			}
			msgs = withSystemText(msgs, block)
		}
	}
	if ci.Format.Type == "json_schema" {
		msgs = withSystemText(msgs, "## Response Format:\n\nYou MUST strictly adhere to the following schema to reply:\n"+string(ci.Format.Schema))
	}

	var prompt string
	var err error
	if ci.Prefix {
		prompt, err = renderPrefix(ctx, b.Template, msgs, in)
	} else {
		in.Messages = msgs
		in.AddGenerationPrompt = true
		prompt, err = b.Template.Render(ctx, in)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, serverError("rendering the chat template: %v", ctx.Err())
		}
		return nil, badRequest("messages", "the model's chat template cannot render these messages: %v", err)
	}
	opens := parse.PromptOpensReasoning(prompt)
	if opens && ci.Thinking != nil && !*ci.Thinking && b.ThinkingVar == "" {
		// A template that forces thinking (R1): close the reasoning at once.
		prompt += "\n</think>\n\n"
		opens = false
	}
	p := &prepared{
		thinking: thinking || opens,
		format:   b.Format,
		prompts:  []string{prompt},
		parseOpts: parse.Options{
			StartInReasoning: opens,
			LeadingThink:     b.Caps.Thinking && !opens,
			TrimSpace:        true,
		},
	}
	if !useTools {
		p.format = parse.FormatNone
	} else {
		names := make([]string, len(ci.ToolList))
		for i, t := range ci.ToolList {
			names[i] = t.Name
		}
		p.parseOpts.AllowTool = parse.AllowNames(names...)
	}
	if e := s.constrain(g, p); e != nil {
		return nil, e
	}
	ids := b.Tokenizer.Encode(prompt)
	if len(ids) == 0 {
		return nil, badRequest("messages", "the rendered prompt is empty")
	}
	for i := range g.N {
		p.choices = append(p.choices, choiceSpec{prompt: ids, seed: g.Seed + uint64(i), first: i == 0})
	}
	return p, nil
}

// renderPrefix renders a conversation whose last message is an assistant
// prefix to continue: the prompt ends right after the prefix text.
func renderPrefix(ctx context.Context, t *chat.Template, msgs []chat.Message, in chat.Input) (string, error) {
	last := msgs[len(msgs)-1]
	content := ""
	if last.Content != nil {
		content = *last.Content
	}
	if content != "" {
		in.Messages = msgs
		full, err := t.Render(ctx, in)
		if err != nil {
			return "", err
		}
		if i := strings.LastIndex(full, content); i >= 0 {
			return full[:i+len(content)], nil
		}
	}
	in.Messages = msgs[:len(msgs)-1]
	in.AddGenerationPrompt = true
	head, err := t.Render(ctx, in)
	if err != nil {
		return "", err
	}
	return head + content, nil
}

// withSystemText appends text to the last system message (templates that
// keep only the last one, like R1's, still see it), or puts a system
// message holding it first.
func withSystemText(msgs []chat.Message, text string) []chat.Message {
	out := slices.Clone(msgs)
	for i := len(out) - 1; i >= 0; i-- {
		if m := out[i]; m.Role == "system" && m.Content != nil {
			c := *m.Content + "\n\n" + text
			out[i].Content = &c
			return out
		}
	}
	return append([]chat.Message{{Role: "system", Content: chat.Text(text)}}, out...)
}

// prepareCompletion tokenizes legacy completion prompts, or builds the
// fill-in-the-middle prompt from prompt and suffix.
func (s *Server) prepareCompletion(g *genRequest) (*prepared, *apiError) {
	b := g.Model.Bundle
	tok := b.Tokenizer
	ci := g.Completion
	vocab := g.Model.Bundle.Model.Config().Vocab
	p := &prepared{plain: true, format: parse.FormatNone}
	for pi, pr := range ci.Prompts {
		var ids []int
		text := pr.Text
		switch {
		case pr.IDs != nil:
			for _, id := range pr.IDs {
				if id < 0 || id >= vocab || !tok.Valid(id) {
					return nil, invalidValue("prompt", "token id %d is not in the vocabulary", id)
				}
			}
			ids = pr.IDs
			text = tok.Decode(ids)
		case ci.Suffix != nil:
			if !b.Caps.FIM {
				return nil, badRequest("suffix", "the model %q has no fill-in-the-middle tokens", g.Model.Name)
			}
			if tok.AddBOS() && tok.BOS() >= 0 {
				ids = append(ids, tok.BOS())
			}
			ids = append(ids, b.FIM.Begin)
			ids = tok.AppendEncode(ids, pr.Text)
			ids = append(ids, b.FIM.Hole)
			ids = tok.AppendEncode(ids, *ci.Suffix)
			ids = append(ids, b.FIM.End)
		default:
			if tok.AddBOS() && tok.BOS() >= 0 {
				ids = append(ids, tok.BOS())
			}
			ids = tok.AppendEncode(ids, pr.Text)
		}
		if len(ids) == 0 {
			return nil, badRequest("prompt", "the prompt is empty")
		}
		p.prompts = append(p.prompts, text)
		for i := range g.N {
			p.choices = append(p.choices, choiceSpec{prompt: ids, seed: g.Seed + uint64(i), promptIndex: pi, first: i == 0})
		}
	}
	return p, nil
}
