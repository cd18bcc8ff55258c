package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/seekd/seekd/chat"
)

// Anthropic's Messages API (POST /v1/messages; DeepSeek serves it under
// /anthropic, where the SDK appends /v1/messages). A request decodes into
// the same genRequest as a chat completion and runs the shared path; only
// the decoder, the encoder (anthropic_encode.go) and the error shape are
// Anthropic's.

func (s *Server) anthropicRoutes(mux *http.ServeMux) {
	api := func(pattern, endpoint string, h http.HandlerFunc) {
		mux.Handle(pattern, s.wrap(endpoint, s.anthropic, true, h))
	}
	for _, prefix := range []string{"/anthropic/v1", "/v1"} {
		api("POST "+prefix+"/messages", "messages", s.handleMessages)
		api("POST "+prefix+"/messages/count_tokens", "messages", s.handleCountTokens)
	}
	api("GET /anthropic/v1/models", "models", s.handleAnthropicModels)
	api("GET /anthropic/v1/models/{id}", "models", s.handleAnthropicModels)
}

// anthropicFront frames Anthropic's named server-sent events, with ping
// events while a request waits, and errors as {"type": "error", "error":
// {"type", "message"}}.
func anthropicFront() *frontEnd {
	return &frontEnd{
		errorBody:   func(e *apiError) any { return anthropicError(e) },
		status:      anthropicStatus,
		contentType: "text/event-stream",
		keepAlive:   dataLine(anthropicPing()),
		frame:       dataLine,
	}
}

// anthropicErrorJSON is Anthropic's error body (and "error" event).
type anthropicErrorJSON struct {
	Type  string `json:"type"`
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

func (anthropicErrorJSON) eventName() string { return "error" }

// anthropicStatus maps our statuses to Anthropic's: a value out of range
// (422 here, as DeepSeek does) is a 400 invalid_request_error there.
func anthropicStatus(e *apiError) int {
	if e.Status == http.StatusUnprocessableEntity {
		return http.StatusBadRequest
	}
	return e.Status
}

func anthropicError(e *apiError) anthropicErrorJSON {
	var out anthropicErrorJSON
	out.Type = "error"
	out.Error.Message = e.Message
	switch anthropicStatus(e) {
	case http.StatusBadRequest:
		out.Error.Type = "invalid_request_error"
	case http.StatusUnauthorized:
		out.Error.Type = "authentication_error"
	case http.StatusForbidden:
		out.Error.Type = "permission_error"
	case http.StatusNotFound:
		out.Error.Type = "not_found_error"
	case http.StatusRequestEntityTooLarge:
		out.Error.Type = "request_too_large"
	case http.StatusTooManyRequests:
		out.Error.Type = "rate_limit_error"
	case http.StatusServiceUnavailable, 529:
		out.Error.Type = "overloaded_error"
	default:
		out.Error.Type = "api_error"
	}
	return out
}

// anthropicRequestJSON is the body of POST /v1/messages. Fields DeepSeek's
// route ignores (container, mcp_servers, service_tier, cache_control) are
// ignored here too.
type anthropicRequestJSON struct {
	Model         string                   `json:"model"`
	MaxTokens     *int                     `json:"max_tokens"`
	System        json.RawMessage          `json:"system"`
	Messages      []anthropicMessageJSON   `json:"messages"`
	StopSequences []string                 `json:"stop_sequences"`
	Stream        *bool                    `json:"stream"`
	Temperature   *float64                 `json:"temperature"`
	TopP          *float64                 `json:"top_p"`
	TopK          *int                     `json:"top_k"`
	Tools         []anthropicToolJSON      `json:"tools"`
	ToolChoice    *anthropicToolChoiceJSON `json:"tool_choice"`
	Thinking      *anthropicThinkingJSON   `json:"thinking"`
	Metadata      *struct {
		UserID string `json:"user_id"`
	} `json:"metadata"`
}

type anthropicMessageJSON struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// anthropicBlockJSON is one content block of a request.
type anthropicBlockJSON struct {
	Type      string          `json:"type"`
	Text      *string         `json:"text"`
	Thinking  *string         `json:"thinking"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   bool            `json:"is_error"`
}

type anthropicToolJSON struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"input_schema"`
}

type anthropicToolChoiceJSON struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

type anthropicThinkingJSON struct {
	Type         string `json:"type"`
	BudgetTokens *int   `json:"budget_tokens"`
}

// handleMessages serves POST /v1/messages.
func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) {
	g, e := s.decodeMessages(r.Body, true)
	if e != nil {
		s.anthropic.writeError(w, e)
		return
	}
	g.Scope = cacheScope(r, g.Scope)
	s.generate(w, r, g, s.anthropic, newAnthropicEncoder)
}

// handleCountTokens serves POST /v1/messages/count_tokens: the prompt's
// length once rendered and tokenized.
func (s *Server) handleCountTokens(w http.ResponseWriter, r *http.Request) {
	g, e := s.decodeMessages(r.Body, false)
	if e != nil {
		s.anthropic.writeError(w, e)
		return
	}
	p, e := s.prepare(r.Context(), g)
	if e != nil {
		s.anthropic.writeError(w, e)
		return
	}
	writeJSON(w, map[string]int{"input_tokens": len(p.choices[0].prompt)})
}

// handleAnthropicModels serves GET /anthropic/v1/models[/{id}] in
// Anthropic's shape.
func (s *Server) handleAnthropicModels(w http.ResponseWriter, r *http.Request) {
	type modelJSON struct {
		Type        string `json:"type"`
		ID          string `json:"id"`
		DisplayName string `json:"display_name"`
		CreatedAt   string `json:"created_at"`
	}
	var list []modelJSON
	for _, m := range s.modelEntries() {
		list = append(list, modelJSON{Type: "model", ID: m.ID, DisplayName: m.ID, CreatedAt: time.Unix(m.Created, 0).UTC().Format(time.RFC3339)})
	}
	if id := r.PathValue("id"); id != "" {
		for _, m := range list {
			if m.ID == id {
				writeJSON(w, m)
				return
			}
		}
		s.anthropic.writeError(w, notFound("model", "model: %s", id))
		return
	}
	writeJSON(w, map[string]any{"data": list, "has_more": false, "first_id": list[0].ID, "last_id": list[len(list)-1].ID})
}

// decodeMessages turns a Messages request into the internal form.
// needMax says max_tokens is required (not for count_tokens).
func (s *Server) decodeMessages(body io.Reader, needMax bool) (*genRequest, *apiError) {
	var j anthropicRequestJSON
	if e := decodeJSON(body, &j); e != nil {
		return nil, e
	}
	if j.Model == "" {
		return nil, badRequest("model", "model: Field required")
	}
	// Unknown model names mean the first model, as on DeepSeek's route.
	m, alias, thinkAlias, e := s.lookupModel(j.Model)
	if e != nil {
		m, alias, thinkAlias = s.models[0], j.Model, nil
	}
	g := &genRequest{Model: m, Alias: alias, Received: time.Now()}
	ci := &chatInput{Thinking: boolPtr(false), ParallelToolCalls: true}
	if thinkAlias != nil {
		ci.Thinking = thinkAlias
	}
	g.Chat = ci
	if j.MaxTokens == nil && needMax {
		return nil, badRequest("max_tokens", "max_tokens: Field required")
	}
	stops, err := json.Marshal(j.StopSequences)
	if err != nil {
		return nil, badRequest("stop_sequences", "stop_sequences: %v", err)
	}
	user := ""
	if j.Metadata != nil {
		user = j.Metadata.UserID
	}
	if e := decodeCommon(g, commonJSON{Stream: j.Stream, MaxTokens: j.MaxTokens, Temperature: j.Temperature, TopP: j.TopP, TopK: j.TopK, Stop: stops, UserID: user}); e != nil {
		return nil, e
	}

	if t := j.Thinking; t != nil {
		switch t.Type {
		case "enabled":
			ci.Thinking = boolPtr(true)
			if t.BudgetTokens != nil {
				if *t.BudgetTokens < 1 {
					return nil, badRequest("thinking.budget_tokens", "thinking.enabled.budget_tokens: Input should be greater than or equal to 1")
				}
				ci.ThinkingBudget = *t.BudgetTokens
			}
		case "adaptive":
			ci.Thinking = boolPtr(true)
		case "disabled":
			ci.Thinking = boolPtr(false)
		default:
			return nil, badRequest("thinking.type", "thinking.type: Input tag %q found using 'type' does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'", t.Type)
		}
	}

	// System prompt: a string or text blocks.
	if len(j.System) > 0 && string(j.System) != "null" {
		text, e := anthropicText("system", j.System)
		if e != nil {
			return nil, e
		}
		ci.Messages = append(ci.Messages, chat.Message{Role: "system", Content: &text})
	}
	if len(j.Messages) == 0 {
		return nil, badRequest("messages", "messages: at least one message is required")
	}
	thinkingTools := ci.Thinking != nil && *ci.Thinking && len(j.Tools) > 0
	lastUserText := -1 // the last user message with text: the tool loop after it needs its reasoning back
	for i, mj := range j.Messages {
		if mj.Role == "user" && anthropicHasText(mj.Content) {
			lastUserText = i
		}
	}
	for i, mj := range j.Messages {
		msgs, e := decodeAnthropicMessage(i, mj, thinkingTools && i > lastUserText)
		if e != nil {
			return nil, e
		}
		ci.Messages = append(ci.Messages, msgs...)
	}
	// A final assistant message is a prefill: the answer continues it.
	if last := ci.Messages[len(ci.Messages)-1]; last.Role == "assistant" && len(last.ToolCalls) == 0 {
		ci.Prefix = true
	}

	// Tools, as the OpenAI-shaped JSON the templates and grammar expect.
	var openAITools []map[string]any
	seen := map[string]bool{}
	for i, t := range j.Tools {
		p := fmt.Sprintf("tools.%d", i)
		if t.Type != "" && t.Type != "custom" {
			return nil, badRequest(p+".type", "%s: tools of type %q are not supported (only custom tools with an input_schema)", p, t.Type)
		}
		if !toolNameRE.MatchString(t.Name) {
			return nil, badRequest(p+".name", "%s.name: %q must be 1-64 characters of a-z, A-Z, 0-9, _ and -", p, t.Name)
		}
		if seen[t.Name] {
			return nil, badRequest(p+".name", "tools: tool names must be unique (%q)", t.Name)
		}
		seen[t.Name] = true
		schema := t.InputSchema
		if len(schema) == 0 || string(schema) == "null" {
			return nil, badRequest(p+".input_schema", "%s.input_schema: Field required", p)
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(schema, &obj) != nil {
			return nil, badRequest(p+".input_schema", "%s.input_schema: must be a JSON schema object", p)
		}
		ci.ToolList = append(ci.ToolList, toolSpec{Name: t.Name, Description: t.Description, Parameters: schema})
		openAITools = append(openAITools, map[string]any{"type": "function", "function": map[string]any{"name": t.Name, "description": t.Description, "parameters": schema}})
	}
	if len(openAITools) > 0 {
		ci.Tools, _ = json.Marshal(openAITools)
	}
	ci.ToolChoice = toolChoice{Mode: "none"}
	if len(ci.ToolList) > 0 {
		ci.ToolChoice.Mode = "auto"
	}
	if tc := j.ToolChoice; tc != nil {
		switch tc.Type {
		case "auto", "none":
			ci.ToolChoice.Mode = tc.Type
		case "any":
			if len(ci.ToolList) == 0 {
				return nil, badRequest("tool_choice", "tool_choice: type \"any\" needs tools")
			}
			ci.ToolChoice.Mode = "required"
		case "tool":
			if !seen[tc.Name] {
				return nil, badRequest("tool_choice.name", "tool_choice: the tool %q is not among the tools", tc.Name)
			}
			ci.ToolChoice = toolChoice{Mode: "function", Name: tc.Name}
		default:
			return nil, badRequest("tool_choice.type", "tool_choice.type: Input tag %q found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'", tc.Type)
		}
	}
	return g, nil
}

// anthropicHasText reports whether a message's content has text (a string,
// or a text block), as opposed to only tool results.
func anthropicHasText(raw json.RawMessage) bool {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return true
	}
	var blocks []anthropicBlockJSON
	json.Unmarshal(raw, &blocks)
	for _, b := range blocks {
		if b.Type == "text" {
			return true
		}
	}
	return false
}

// decodeAnthropicMessage converts one message into the template's
// messages: a user message's tool_result blocks become tool messages (before
// its text), an assistant message's thinking, text and tool_use blocks
// become one message with reasoning, content and tool calls.
// needThinking says the message is in the current tool loop of a thinking
// request with tools: a tool_use needs its thinking block back.
func decodeAnthropicMessage(i int, mj anthropicMessageJSON, needThinking bool) ([]chat.Message, *apiError) {
	p := fmt.Sprintf("messages.%d", i)
	if mj.Role != "user" && mj.Role != "assistant" {
		return nil, badRequest(p+".role", "%s.role: Input should be 'user' or 'assistant'", p)
	}
	if len(mj.Content) == 0 || string(mj.Content) == "null" {
		return nil, badRequest(p+".content", "%s.content: Field required", p)
	}
	var text string
	if json.Unmarshal(mj.Content, &text) == nil {
		return []chat.Message{{Role: mj.Role, Content: &text}}, nil
	}
	var blocks []anthropicBlockJSON
	if err := json.Unmarshal(mj.Content, &blocks); err != nil {
		return nil, badRequest(p+".content", "%s.content: Input should be a valid string or a list of content blocks", p)
	}
	var out []chat.Message
	var texts []string
	var reasoning *string
	var calls []chat.ToolCall
	for k, b := range blocks {
		q := fmt.Sprintf("%s.content.%d", p, k)
		switch {
		case b.Type == "text":
			if b.Text == nil {
				return nil, badRequest(q+".text", "%s.text: Field required", q)
			}
			texts = append(texts, *b.Text)
		case b.Type == "thinking" && mj.Role == "assistant":
			if b.Thinking != nil {
				r := *b.Thinking
				if reasoning != nil {
					r = *reasoning + r
				}
				reasoning = &r
			}
		case b.Type == "redacted_thinking" && mj.Role == "assistant":
			// Opaque to us: there is nothing to give the model back.
		case b.Type == "tool_use" && mj.Role == "assistant":
			if b.Name == "" || b.ID == "" {
				return nil, badRequest(q, "%s: a tool_use block needs id and name", q)
			}
			args, e := decodeArguments(q+".input", b.Input)
			if e != nil {
				return nil, e
			}
			calls = append(calls, chat.ToolCall{ID: b.ID, Type: "function", Function: chat.FunctionCall{Name: b.Name, Arguments: args}})
		case b.Type == "tool_result" && mj.Role == "user":
			if b.ToolUseID == "" {
				return nil, badRequest(q+".tool_use_id", "%s.tool_use_id: Field required", q)
			}
			content := ""
			if len(b.Content) > 0 && string(b.Content) != "null" {
				c, e := anthropicText(q+".content", b.Content)
				if e != nil {
					return nil, e
				}
				content = c
			}
			out = append(out, chat.Message{Role: "tool", ToolCallID: b.ToolUseID, Content: &content})
		default:
			return nil, badRequest(q+".type", "%s: content blocks of type %q are not supported in %s messages", q, b.Type, mj.Role)
		}
	}
	if mj.Role == "user" {
		if len(texts) > 0 || len(out) == 0 {
			t := strings.Join(texts, "\n")
			out = append(out, chat.Message{Role: "user", Content: &t})
		}
		return out, nil
	}
	if needThinking && len(calls) > 0 && reasoning == nil {
		return nil, badRequest(p+".content", "%s.content: thinking is enabled, so an assistant message with tool_use blocks must include its thinking block (send back the thinking blocks you received)", p)
	}
	msg := chat.Message{Role: "assistant", ReasoningContent: reasoning, ToolCalls: calls}
	if len(texts) > 0 || len(calls) == 0 {
		t := strings.Join(texts, "")
		msg.Content = &t
	}
	return []chat.Message{msg}, nil
}

// anthropicText reads a string or an array of text blocks (system prompts,
// tool results).
func anthropicText(p string, raw json.RawMessage) (string, *apiError) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var blocks []anthropicBlockJSON
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return "", badRequest(p, "%s: Input should be a valid string or a list of text blocks", p)
	}
	var parts []string
	for k, b := range blocks {
		if b.Type != "text" || b.Text == nil {
			return "", badRequest(fmt.Sprintf("%s.%d", p, k), "%s.%d: only text blocks are supported here, got %q", p, k, b.Type)
		}
		parts = append(parts, *b.Text)
	}
	return strings.Join(parts, "\n"), nil
}
