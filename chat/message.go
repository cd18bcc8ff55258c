package chat

import (
	"github.com/seekd/seekd/chat/internal/jinja"
)

// Message is one chat message in the OpenAI / DeepSeek API shape. Only
// fields that are set reach the template as keys, so templates that test
// "'tool_calls' in message" or "message.prefix is defined" see what a
// Python caller passing the same request would.
type Message struct {
	// Role is "system", "user", "assistant" or "tool".
	Role string `json:"role"`
	// Content is the text; nil renders as None (assistant turns that only
	// call tools). The key is always present, as in the API.
	Content *string `json:"content"`
	// ReasoningContent is an earlier turn's reasoning; present when non-nil.
	ReasoningContent *string `json:"reasoning_content,omitempty"`
	// ToolCalls are the calls an assistant turn made; present when non-nil
	// (an empty non-nil slice renders as an empty list).
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// ToolCallID links a tool result to its call; present when non-empty.
	ToolCallID string `json:"tool_call_id,omitempty"`
	// Name is an optional participant or tool name; present when non-empty.
	Name string `json:"name,omitempty"`
	// Prefix marks a final assistant message the model should continue
	// (DeepSeek's prefix completion); present when true.
	Prefix bool `json:"prefix,omitempty"`
}

// ToolCall is one function call of an assistant message.
type ToolCall struct {
	// ID is the call id; present when non-empty.
	ID string `json:"id,omitempty"`
	// Type is "function"; present when non-empty.
	Type string `json:"type,omitempty"`
	// Function names the function and carries its arguments.
	Function FunctionCall `json:"function"`
}

// FunctionCall is the function part of a tool call.
type FunctionCall struct {
	// Name is the function name.
	Name string `json:"name"`
	// Arguments is the call's arguments as a JSON string, as in the API;
	// templates insert it verbatim.
	Arguments string `json:"arguments"`
}

// Text returns a pointer to s, for Message.Content.
func Text(s string) *string { return &s }

func optString(p *string) jinja.Value {
	if p == nil {
		return nil
	}
	return *p
}

// value converts the message to the dict a template sees.
func (m Message) value() *jinja.Dict {
	d := jinja.NewDict()
	d.SetString("role", m.Role)
	d.SetString("content", optString(m.Content))
	if m.ReasoningContent != nil {
		d.SetString("reasoning_content", *m.ReasoningContent)
	}
	if m.ToolCalls != nil {
		calls := make([]jinja.Value, len(m.ToolCalls))
		for i, c := range m.ToolCalls {
			cd := jinja.NewDict()
			if c.ID != "" {
				cd.SetString("id", c.ID)
			}
			if c.Type != "" {
				cd.SetString("type", c.Type)
			}
			fn := jinja.NewDict()
			fn.SetString("name", c.Function.Name)
			fn.SetString("arguments", c.Function.Arguments)
			cd.SetString("function", fn)
			calls[i] = cd
		}
		d.SetString("tool_calls", jinja.NewList(calls))
	}
	if m.ToolCallID != "" {
		d.SetString("tool_call_id", m.ToolCallID)
	}
	if m.Name != "" {
		d.SetString("name", m.Name)
	}
	if m.Prefix {
		d.SetString("prefix", true)
	}
	return d
}
