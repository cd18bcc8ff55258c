package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/seekd/seekd/chat"
)

// chatRequestJSON is the body of POST /chat/completions (DeepSeek and
// OpenAI fields; where they differ both are accepted).
type chatRequestJSON struct {
	Model               string                     `json:"model"`
	Messages            []chatMessageJSON          `json:"messages"`
	Stream              *bool                      `json:"stream"`
	StreamOptions       *streamOptionsJSON         `json:"stream_options"`
	MaxTokens           *int                       `json:"max_tokens"`
	MaxCompletionTokens *int                       `json:"max_completion_tokens"`
	Temperature         *float64                   `json:"temperature"`
	TopP                *float64                   `json:"top_p"`
	TopK                *int                       `json:"top_k"`
	MinP                *float64                   `json:"min_p"`
	FrequencyPenalty    *float64                   `json:"frequency_penalty"`
	PresencePenalty     *float64                   `json:"presence_penalty"`
	RepetitionPenalty   *float64                   `json:"repetition_penalty"`
	Stop                json.RawMessage            `json:"stop"`
	Seed                *int64                     `json:"seed"`
	N                   *int                       `json:"n"`
	Logprobs            *bool                      `json:"logprobs"`
	TopLogprobs         *int                       `json:"top_logprobs"`
	ResponseFormat      *responseFormatJSON        `json:"response_format"`
	Tools               json.RawMessage            `json:"tools"`
	ToolChoice          json.RawMessage            `json:"tool_choice"`
	ParallelToolCalls   *bool                      `json:"parallel_tool_calls"`
	Thinking            *thinkingJSON              `json:"thinking"`
	ReasoningEffort     *string                    `json:"reasoning_effort"`
	ChatTemplateKwargs  map[string]json.RawMessage `json:"chat_template_kwargs"`
	User                string                     `json:"user"`
	UserID              string                     `json:"user_id"`
}

type streamOptionsJSON struct {
	IncludeUsage bool `json:"include_usage"`
}

type thinkingJSON struct {
	Type string `json:"type"`
}

type responseFormatJSON struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema"`
		Strict *bool           `json:"strict"`
	} `json:"json_schema"`
}

type chatMessageJSON struct {
	Role             string          `json:"role"`
	Content          json.RawMessage `json:"content"`
	Name             string          `json:"name"`
	ReasoningContent *string         `json:"reasoning_content"`
	Reasoning        *string         `json:"reasoning"`
	ToolCalls        []toolCallIn    `json:"tool_calls"`
	ToolCallID       string          `json:"tool_call_id"`
	Prefix           bool            `json:"prefix"`
}

type toolCallIn struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"function"`
}

type toolJSON struct {
	Type     string `json:"type"`
	Function *struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
		Strict      bool            `json:"strict"`
	} `json:"function"`
}

// maxBody caps request bodies.
const maxBody = 32 << 20

// decodeJSON reads a request body into v, mapping syntax and type errors
// to 400s that name the field.
func decodeJSON(r io.Reader, v any) *apiError {
	data, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	if err != nil {
		return badRequest("", "reading the request body: %v", err)
	}
	if len(data) > maxBody {
		return &apiError{Status: 413, Message: fmt.Sprintf("the request body is larger than %d bytes", maxBody), Type: typeInvalidRequest, Code: "request_too_large"}
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return badRequest("", "the request body is empty; expected a JSON object")
	}
	if err := json.Unmarshal(data, v); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			return badRequest(te.Field, "Failed to deserialize the JSON body into the target type: %s: invalid type: %s, expected %s", te.Field, te.Value, te.Type)
		case errors.As(err, &se):
			return badRequest("", "the request body is not valid JSON: %v (at byte %d)", se, se.Offset)
		default:
			return badRequest("", "the request body is not valid JSON: %v", err)
		}
	}
	return nil
}

var toolNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// decodeChat turns a chat request into the internal form, validating
// every field. beta says the request came through /beta (prefix
// completion allowed).
func (s *Server) decodeChat(body io.Reader, beta bool) (*genRequest, *apiError) {
	var j chatRequestJSON
	if e := decodeJSON(body, &j); e != nil {
		return nil, e
	}
	g := &genRequest{}
	m, alias, thinkAlias, e := s.lookupModel(j.Model)
	if e != nil {
		return nil, e
	}
	g.Model, g.Alias = m, alias
	ci := &chatInput{Thinking: thinkAlias, ParallelToolCalls: true}
	g.Chat = ci
	if e := decodeCommon(g, commonJSON{
		Stream: j.Stream, StreamOptions: j.StreamOptions, MaxTokens: j.MaxTokens, MaxCompletionTokens: j.MaxCompletionTokens,
		Temperature: j.Temperature, TopP: j.TopP, TopK: j.TopK, MinP: j.MinP,
		FrequencyPenalty: j.FrequencyPenalty, PresencePenalty: j.PresencePenalty, RepetitionPenalty: j.RepetitionPenalty,
		Stop: j.Stop, Seed: j.Seed, N: j.N, User: j.User, UserID: j.UserID,
	}); e != nil {
		return nil, e
	}
	if j.Logprobs != nil && *j.Logprobs {
		g.Logprobs = true
	}
	if j.TopLogprobs != nil {
		if *j.TopLogprobs < 0 || *j.TopLogprobs > 20 {
			return nil, invalidValue("top_logprobs", "top_logprobs must be between 0 and 20, got %d", *j.TopLogprobs)
		}
		if *j.TopLogprobs > 0 && !g.Logprobs {
			return nil, badRequest("top_logprobs", "top_logprobs requires logprobs to be true")
		}
		g.TopLogprobs = *j.TopLogprobs
	}
	if j.ParallelToolCalls != nil {
		ci.ParallelToolCalls = *j.ParallelToolCalls
	}

	// Thinking: the thinking field overrides the model id; reasoning_effort
	// "none" turns it off (other efforts are accepted and ignored: the open
	// weights have no effort levels).
	if j.Thinking != nil {
		switch j.Thinking.Type {
		case "enabled":
			ci.Thinking = boolPtr(true)
		case "disabled":
			ci.Thinking = boolPtr(false)
		case "", "auto":
		default:
			return nil, invalidValue("thinking.type", "thinking.type must be \"enabled\" or \"disabled\", got %q", j.Thinking.Type)
		}
	}
	if j.ReasoningEffort != nil {
		switch *j.ReasoningEffort {
		case "none":
			ci.Thinking = boolPtr(false)
		case "minimal", "low", "medium", "high", "xhigh", "max":
		default:
			return nil, invalidValue("reasoning_effort", "reasoning_effort must be one of low, medium, high, max (or none), got %q", *j.ReasoningEffort)
		}
	}
	if len(j.ChatTemplateKwargs) > 0 {
		ci.Kwargs = map[string]any{}
		for k, v := range j.ChatTemplateKwargs {
			switch k {
			case "messages", "tools", "documents", "add_generation_prompt":
				return nil, badRequest("chat_template_kwargs", "chat_template_kwargs may not set %q", k)
			}
			ci.Kwargs[k] = v
		}
	}

	// Messages.
	if j.Messages == nil {
		return nil, badRequest("messages", "Failed to deserialize the JSON body into the target type: missing field `messages`")
	}
	if len(j.Messages) == 0 {
		return nil, badRequest("messages", "messages must contain at least one message")
	}
	for i, mj := range j.Messages {
		msg, e := decodeMessage(i, mj)
		if e != nil {
			return nil, e
		}
		ci.Messages = append(ci.Messages, msg)
		if mj.Prefix {
			if i != len(j.Messages)-1 || mj.Role != "assistant" {
				return nil, badRequest(fmt.Sprintf("messages[%d].prefix", i), "prefix: true is only allowed on the last message, which must be an assistant message")
			}
			if !beta {
				return nil, badRequest(fmt.Sprintf("messages[%d].prefix", i), "chat prefix completion (prefix: true) is a beta feature: send the request to /beta/chat/completions")
			}
			ci.Prefix = true
		}
	}

	// Tools.
	list, raw, e := decodeTools(j.Tools)
	if e != nil {
		return nil, e
	}
	ci.ToolList, ci.Tools = list, raw
	tc, e := decodeToolChoice(j.ToolChoice, ci.ToolList)
	if e != nil {
		return nil, e
	}
	ci.ToolChoice = tc

	// Response format.
	if rf := j.ResponseFormat; rf != nil {
		switch rf.Type {
		case "", "text":
			ci.Format.Type = "text"
		case "json_object":
			ci.Format.Type = "json_object"
		case "json_schema":
			if s.opt.DeepSeekStrict {
				return nil, badRequest("response_format", "This response_format type is unavailable now")
			}
			if rf.JSONSchema == nil || len(rf.JSONSchema.Schema) == 0 || string(rf.JSONSchema.Schema) == "null" {
				return nil, badRequest("response_format.json_schema", "response_format of type json_schema needs json_schema.schema")
			}
			var obj map[string]json.RawMessage
			if json.Unmarshal(rf.JSONSchema.Schema, &obj) != nil {
				return nil, badRequest("response_format.json_schema.schema", "response_format.json_schema.schema must be a JSON object")
			}
			ci.Format = responseFormat{Type: "json_schema", Name: rf.JSONSchema.Name, Schema: rf.JSONSchema.Schema}
		default:
			return nil, invalidValue("response_format.type", "response_format.type must be text, json_object or json_schema, got %q", rf.Type)
		}
		if ci.Format.Type == "json_object" && !mentionsJSON(ci.Messages) {
			return nil, badRequest("response_format", "Prompt must contain the word 'json' in some form to use 'response_format' of type 'json_object'.")
		}
	}
	return g, nil
}

// decodeTools reads tools in OpenAI's shape (which Ollama shares): an array
// of {"type": "function", "function": {name, description, parameters}}.
// It returns them decoded, and the array as sent (nil when empty).
func decodeTools(raw json.RawMessage) ([]toolSpec, json.RawMessage, *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil, nil
	}
	var tools []toolJSON
	if err := json.Unmarshal(raw, &tools); err != nil {
		return nil, nil, badRequest("tools", "tools must be an array of {\"type\": \"function\", \"function\": {...}}: %v", err)
	}
	if len(tools) > 128 {
		return nil, nil, invalidValue("tools", "at most 128 tools are allowed, got %d", len(tools))
	}
	var list []toolSpec
	seen := map[string]bool{}
	for i, t := range tools {
		p := fmt.Sprintf("tools[%d]", i)
		if t.Type != "function" {
			return nil, nil, badRequest(p+".type", "%s.type must be \"function\", got %q", p, t.Type)
		}
		if t.Function == nil {
			return nil, nil, badRequest(p+".function", "%s.function is missing", p)
		}
		if !toolNameRE.MatchString(t.Function.Name) {
			return nil, nil, badRequest(p+".function.name", "%s.function.name %q must be 1-64 characters of a-z, A-Z, 0-9, _ and -", p, t.Function.Name)
		}
		if seen[t.Function.Name] {
			return nil, nil, badRequest(p+".function.name", "two tools are named %q", t.Function.Name)
		}
		seen[t.Function.Name] = true
		params := t.Function.Parameters
		if len(params) > 0 && string(params) != "null" {
			var obj map[string]json.RawMessage
			if json.Unmarshal(params, &obj) != nil {
				return nil, nil, badRequest(p+".function.parameters", "%s.function.parameters must be a JSON schema object", p)
			}
		} else {
			params = nil
		}
		list = append(list, toolSpec{Name: t.Function.Name, Description: t.Function.Description, Parameters: params, Strict: t.Function.Strict})
	}
	if len(list) == 0 {
		return nil, nil, nil
	}
	return list, raw, nil
}

// decodeMessage checks one message and converts it for the template.
func decodeMessage(i int, mj chatMessageJSON) (chat.Message, *apiError) {
	p := fmt.Sprintf("messages[%d]", i)
	msg := chat.Message{Role: mj.Role, Name: mj.Name}
	content, isNull, e := decodeContent(p, mj.Content)
	if e != nil {
		return msg, e
	}
	if !isNull {
		msg.Content = &content
	}
	switch mj.Role {
	case "system", "user", "developer":
		if isNull {
			return msg, badRequest(p+".content", "%s.content is required for the %s role", p, mj.Role)
		}
		if mj.Role == "developer" {
			msg.Role = "system" // OpenAI's newer name for the system role
		}
	case "assistant":
		rc := mj.ReasoningContent
		if rc == nil {
			rc = mj.Reasoning
		}
		msg.ReasoningContent = rc
		msg.Prefix = mj.Prefix
		for k, tc := range mj.ToolCalls {
			q := fmt.Sprintf("%s.tool_calls[%d]", p, k)
			if tc.Type != "" && tc.Type != "function" {
				return msg, badRequest(q+".type", "%s.type must be \"function\"", q)
			}
			if tc.Function.Name == "" {
				return msg, badRequest(q+".function.name", "%s.function.name is missing", q)
			}
			args, e := decodeArguments(q+".function.arguments", tc.Function.Arguments)
			if e != nil {
				return msg, e
			}
			msg.ToolCalls = append(msg.ToolCalls, chat.ToolCall{ID: tc.ID, Type: "function", Function: chat.FunctionCall{Name: tc.Function.Name, Arguments: args}})
		}
		if isNull && len(mj.ToolCalls) == 0 {
			return msg, badRequest(p+".content", "%s: an assistant message needs content or tool_calls", p)
		}
	case "tool":
		if mj.ToolCallID == "" {
			return msg, badRequest(p+".tool_call_id", "%s: a tool message needs tool_call_id", p)
		}
		if isNull {
			empty := ""
			msg.Content = &empty
		}
		msg.ToolCallID = mj.ToolCallID
	case "":
		return msg, badRequest(p+".role", "%s.role is missing", p)
	default:
		return msg, badRequest(p+".role", "%s.role must be system, user, assistant or tool, got %q", p, mj.Role)
	}
	return msg, nil
}

// decodeContent accepts a string, null, or an array of text parts (which
// OpenAI clients send; DeepSeek's era-B API rejected them, a drop-in
// server flattens them).
func decodeContent(p string, raw json.RawMessage) (string, bool, *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", true, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, false, nil
	}
	var parts []struct {
		Type string  `json:"type"`
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", false, badRequest(p+".content", "%s.content must be a string or an array of text parts", p)
	}
	var b strings.Builder
	for k, part := range parts {
		switch part.Type {
		case "text", "input_text":
			if part.Text == nil {
				return "", false, badRequest(fmt.Sprintf("%s.content[%d].text", p, k), "%s.content[%d] has no text", p, k)
			}
			b.WriteString(*part.Text)
		default:
			return "", false, badRequest(fmt.Sprintf("%s.content[%d].type", p, k), "%s.content[%d]: content parts of type %q are not supported (text only)", p, k, part.Type)
		}
	}
	return b.String(), false, nil
}

// decodeArguments accepts tool-call arguments as a JSON string (the API's
// form) or as an object (which some clients send).
func decodeArguments(p string, raw json.RawMessage) (string, *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return "{}", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil {
		return string(raw), nil
	}
	return "", badRequest(p, "%s must be a JSON string (or object)", p)
}

func decodeToolChoice(raw json.RawMessage, tools []toolSpec) (toolChoice, *apiError) {
	tc := toolChoice{Mode: "none"}
	if len(tools) > 0 {
		tc.Mode = "auto"
	}
	if len(raw) == 0 || string(raw) == "null" {
		return tc, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		switch s {
		case "none", "auto":
			tc.Mode = s
		case "required", "any":
			if len(tools) == 0 {
				return tc, badRequest("tool_choice", "tool_choice %q needs tools", s)
			}
			tc.Mode = "required"
		default:
			return tc, invalidValue("tool_choice", "tool_choice must be none, auto, required or {\"type\": \"function\", \"function\": {\"name\": ...}}, got %q", s)
		}
		return tc, nil
	}
	var obj struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.Type != "function" || obj.Function.Name == "" {
		return tc, badRequest("tool_choice", "tool_choice must be none, auto, required or {\"type\": \"function\", \"function\": {\"name\": ...}}")
	}
	for _, t := range tools {
		if t.Name == obj.Function.Name {
			return toolChoice{Mode: "function", Name: t.Name}, nil
		}
	}
	return tc, badRequest("tool_choice.function.name", "tool_choice names the function %q, which is not among the tools", obj.Function.Name)
}

// mentionsJSON applies DeepSeek's json_object rule: some message must
// contain the word "json" (any case).
func mentionsJSON(msgs []chat.Message) bool {
	for _, m := range msgs {
		if m.Content != nil && strings.Contains(strings.ToLower(*m.Content), "json") {
			return true
		}
	}
	return false
}

func boolPtr(b bool) *bool { return &b }
