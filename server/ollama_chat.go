package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/seekd/seekd/chat"
)

// ollamaChatRequestJSON is the body of POST /api/chat.
type ollamaChatRequestJSON struct {
	Model       string              `json:"model"`
	Messages    []ollamaMessageJSON `json:"messages"`
	Tools       json.RawMessage     `json:"tools"`
	Format      json.RawMessage     `json:"format"`
	Options     json.RawMessage     `json:"options"`
	Stream      *bool               `json:"stream"`
	KeepAlive   json.RawMessage     `json:"keep_alive"`
	Think       json.RawMessage     `json:"think"`
	Logprobs    *bool               `json:"logprobs"`
	TopLogprobs *int                `json:"top_logprobs"`
}

// ollamaGenerateRequestJSON is the body of POST /api/generate.
type ollamaGenerateRequestJSON struct {
	Model     string          `json:"model"`
	Prompt    string          `json:"prompt"`
	Suffix    *string         `json:"suffix"`
	System    *string         `json:"system"`
	Template  string          `json:"template"`
	Raw       bool            `json:"raw"`
	Images    []string        `json:"images"`
	Format    json.RawMessage `json:"format"`
	Options   json.RawMessage `json:"options"`
	Stream    *bool           `json:"stream"`
	KeepAlive json.RawMessage `json:"keep_alive"`
	Think     json.RawMessage `json:"think"`
	Context   []int           `json:"context"` // deprecated; ignored
}

// ollamaMessageJSON is a chat message, in requests and responses.
type ollamaMessageJSON struct {
	Role       string               `json:"role"`
	Content    string               `json:"content"`
	Thinking   string               `json:"thinking,omitempty"`
	Images     []string             `json:"images,omitempty"`
	ToolCalls  []ollamaToolCallJSON `json:"tool_calls,omitempty"`
	ToolName   string               `json:"tool_name,omitempty"`
	ToolCallID string               `json:"tool_call_id,omitempty"`
}

// ollamaToolCallJSON is a tool call: its arguments are a JSON object, not
// a string as in OpenAI's API.
type ollamaToolCallJSON struct {
	ID       string `json:"id,omitempty"`
	Function struct {
		Index     int             `json:"index"`
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"function"`
}

// ollamaOptionsJSON are the options seekd uses; the others (num_ctx,
// num_thread, repeat_last_n, mirostat, ...) are accepted and ignored: the
// context and threads are the server's.
type ollamaOptionsJSON struct {
	Temperature      *float64        `json:"temperature"`
	TopP             *float64        `json:"top_p"`
	TopK             *int            `json:"top_k"`
	MinP             *float64        `json:"min_p"`
	NumPredict       *int            `json:"num_predict"`
	Seed             *int64          `json:"seed"`
	Stop             json.RawMessage `json:"stop"`
	RepeatPenalty    *float64        `json:"repeat_penalty"`
	PresencePenalty  *float64        `json:"presence_penalty"`
	FrequencyPenalty *float64        `json:"frequency_penalty"`
}

func (s *Server) handleOllamaChat(w http.ResponseWriter, r *http.Request) {
	var j ollamaChatRequestJSON
	if e := decodeJSON(r.Body, &j); e != nil {
		s.ollama.writeError(w, e)
		return
	}
	g, e := s.decodeOllamaChat(&j)
	if e != nil {
		s.ollama.writeError(w, e)
		return
	}
	if g == nil { // no messages: Ollama loads the model and says so
		s.ollamaLoaded(w, j.Model, j.KeepAlive, true)
		return
	}
	g.Scope = cacheScope(r, g.Scope)
	s.generate(w, r, g, s.ollama, newOllamaEncoder(true))
}

func (s *Server) handleOllamaGenerate(w http.ResponseWriter, r *http.Request) {
	var j ollamaGenerateRequestJSON
	if e := decodeJSON(r.Body, &j); e != nil {
		s.ollama.writeError(w, e)
		return
	}
	g, e := s.decodeOllamaGenerate(&j)
	if e != nil {
		s.ollama.writeError(w, e)
		return
	}
	if g == nil {
		s.ollamaLoaded(w, j.Model, j.KeepAlive, false)
		return
	}
	g.Scope = cacheScope(r, g.Scope)
	s.generate(w, r, g, s.ollama, newOllamaEncoder(false))
}

// ollamaLoaded answers a request with nothing to generate, which Ollama
// clients send to load (or, with keep_alive 0, unload) a model. Served
// models are always loaded.
func (s *Server) ollamaLoaded(w http.ResponseWriter, model string, keepAlive json.RawMessage, chat bool) {
	reason := "load"
	switch string(keepAlive) {
	case "0", `"0"`, `"0s"`, `"0m"`:
		reason = "unload"
	}
	out := map[string]any{"model": model, "created_at": time.Now().UTC().Format(time.RFC3339Nano), "done": true, "done_reason": reason}
	if chat {
		out["message"] = ollamaMessageJSON{Role: "assistant"}
	} else {
		out["response"] = ""
	}
	writeJSON(w, out)
}

// decodeOllamaCommon fills what chat and generate share: the model (and
// the thinking its alias implies), the options, and streaming (on unless
// "stream": false).
func (s *Server) decodeOllamaCommon(g *genRequest, model string, options json.RawMessage, stream *bool) *apiError {
	m, alias, think, e := s.ollamaModel(model)
	if e != nil {
		return e
	}
	g.Model, g.Alias, g.Received = m, alias, time.Now()
	var o ollamaOptionsJSON
	if len(options) > 0 && string(options) != "null" {
		if err := json.Unmarshal(options, &o); err != nil {
			return badRequest("options", "options: %v", err)
		}
	}
	c := commonJSON{Stream: boolPtr(true), Temperature: o.Temperature, TopP: o.TopP, TopK: o.TopK, MinP: o.MinP,
		RepetitionPenalty: o.RepeatPenalty, PresencePenalty: o.PresencePenalty, FrequencyPenalty: o.FrequencyPenalty, Stop: o.Stop, Seed: o.Seed}
	if stream != nil {
		c.Stream = stream
	}
	if o.NumPredict != nil && *o.NumPredict > 0 { // -1 (no limit), -2 (fill the context) and 0: the default
		c.MaxTokens = o.NumPredict
	}
	if e := decodeCommon(g, c); e != nil {
		return e
	}
	if g.Chat != nil {
		g.Chat.Thinking = think
	}
	return nil
}

// decodeThink reads think: a bool, or a level ("low", "medium", "high",
// "max"), which the open weights do not have: any level turns thinking on.
func decodeThink(raw json.RawMessage, m *servedModel, into *chatInput) *apiError {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var on bool
	if json.Unmarshal(raw, &on) != nil {
		var level string
		if json.Unmarshal(raw, &level) != nil {
			return badRequest("think", "think must be true, false or one of \"low\", \"medium\", \"high\", \"max\"")
		}
		switch level {
		case "low", "medium", "high", "max":
			on = true
		case "none", "":
			on = false
		default:
			return badRequest("think", "invalid think value %q: want true, false, \"low\", \"medium\", \"high\" or \"max\"", level)
		}
	}
	if on && !m.Bundle.Caps.Thinking {
		return badRequest("think", "%q does not support thinking", m.Name)
	}
	into.Thinking = boolPtr(on)
	return nil
}

// decodeFormat reads format: "json" or a JSON schema (constrained
// decoding, as response_format on the OpenAI path).
func decodeFormat(raw json.RawMessage) (responseFormat, *apiError) {
	if len(raw) == 0 || string(raw) == "null" || string(raw) == `""` {
		return responseFormat{Type: "text"}, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s != "json" {
			return responseFormat{}, badRequest("format", "invalid format %q: want \"json\" or a JSON schema", s)
		}
		return responseFormat{Type: "json_object"}, nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return responseFormat{}, badRequest("format", "format must be \"json\" or a JSON schema object")
	}
	return responseFormat{Type: "json_schema", Name: "format", Schema: raw}, nil
}

// decodeOllamaChat turns /api/chat into the internal form (nil: no
// messages, only a load).
func (s *Server) decodeOllamaChat(j *ollamaChatRequestJSON) (*genRequest, *apiError) {
	g := &genRequest{Chat: &chatInput{ParallelToolCalls: true}}
	ci := g.Chat
	if e := s.decodeOllamaCommon(g, j.Model, j.Options, j.Stream); e != nil {
		return nil, e
	}
	if len(j.Messages) == 0 {
		return nil, nil
	}
	if e := decodeThink(j.Think, g.Model, ci); e != nil {
		return nil, e
	}
	if j.Logprobs != nil && *j.Logprobs {
		g.Logprobs = true
		if j.TopLogprobs != nil {
			if *j.TopLogprobs < 0 || *j.TopLogprobs > 20 {
				return nil, badRequest("top_logprobs", "top_logprobs must be between 0 and 20")
			}
			g.TopLogprobs = *j.TopLogprobs
		}
	}
	for i, mj := range j.Messages {
		msg, e := decodeOllamaMessage(i, mj)
		if e != nil {
			return nil, e
		}
		ci.Messages = append(ci.Messages, msg)
	}
	list, raw, e := decodeTools(j.Tools)
	if e != nil {
		return nil, e
	}
	ci.ToolList, ci.Tools = list, raw
	ci.ToolChoice = toolChoice{Mode: "none"}
	if len(list) > 0 {
		ci.ToolChoice.Mode = "auto"
	}
	if ci.Format, e = decodeFormat(j.Format); e != nil {
		return nil, e
	}
	return g, nil
}

// decodeOllamaMessage converts one message for the template.
func decodeOllamaMessage(i int, mj ollamaMessageJSON) (chat.Message, *apiError) {
	p := fmt.Sprintf("messages[%d]", i)
	content := mj.Content
	msg := chat.Message{Role: mj.Role, Content: &content}
	if len(mj.Images) > 0 {
		return msg, badRequest(p+".images", "%s: images are not supported (the served models read text only)", p)
	}
	switch mj.Role {
	case "system", "user":
	case "assistant":
		if mj.Thinking != "" {
			msg.ReasoningContent = &mj.Thinking
		}
		for k, tc := range mj.ToolCalls {
			q := fmt.Sprintf("%s.tool_calls[%d]", p, k)
			if tc.Function.Name == "" {
				return msg, badRequest(q+".function.name", "%s.function.name is missing", q)
			}
			args, e := decodeArguments(q+".function.arguments", tc.Function.Arguments)
			if e != nil {
				return msg, e
			}
			msg.ToolCalls = append(msg.ToolCalls, chat.ToolCall{ID: tc.ID, Type: "function", Function: chat.FunctionCall{Name: tc.Function.Name, Arguments: args}})
		}
	case "tool":
		msg.ToolCallID = mj.ToolCallID
		msg.Name = mj.ToolName
	case "":
		return msg, badRequest(p+".role", "%s.role is missing", p)
	default:
		return msg, badRequest(p+".role", "%s.role must be system, user, assistant or tool, got %q", p, mj.Role)
	}
	return msg, nil
}

// decodeOllamaGenerate turns /api/generate into the internal form: a
// chat-templated prompt (with system), the raw prompt (raw: true), or
// fill-in-the-middle (suffix). nil: an empty prompt, only a load.
func (s *Server) decodeOllamaGenerate(j *ollamaGenerateRequestJSON) (*genRequest, *apiError) {
	g := &genRequest{}
	if j.Prompt == "" && j.Suffix == nil {
		if _, _, _, e := s.ollamaModel(j.Model); e != nil {
			return nil, e
		}
		return nil, nil
	}
	if !j.Raw && j.Suffix == nil {
		g.Chat = &chatInput{ParallelToolCalls: true, ToolChoice: toolChoice{Mode: "none"}}
	}
	if e := s.decodeOllamaCommon(g, j.Model, j.Options, j.Stream); e != nil {
		return nil, e
	}
	if len(j.Images) > 0 {
		return nil, badRequest("images", "images are not supported (the served models read text only)")
	}
	if j.Template != "" {
		return nil, badRequest("template", "template overrides are not supported: the model's own chat template is used (or send raw: true with a ready prompt)")
	}
	if g.Chat == nil {
		if j.System != nil && *j.System != "" {
			return nil, badRequest("system", "system cannot be combined with raw or suffix")
		}
		if j.Suffix != nil && !g.Model.Bundle.Caps.FIM {
			return nil, badRequest("suffix", "%q does not support insert", g.Model.Name)
		}
		g.Completion = &completionInput{Prompts: []promptInput{{Text: j.Prompt}}, Suffix: j.Suffix}
		return g, nil
	}
	ci := g.Chat
	if e := decodeThink(j.Think, g.Model, ci); e != nil {
		return nil, e
	}
	if j.System != nil && *j.System != "" {
		ci.Messages = append(ci.Messages, chat.Message{Role: "system", Content: chat.Text(*j.System)})
	}
	ci.Messages = append(ci.Messages, chat.Message{Role: "user", Content: chat.Text(j.Prompt)})
	var e *apiError
	if ci.Format, e = decodeFormat(j.Format); e != nil {
		return nil, e
	}
	return g, nil
}
