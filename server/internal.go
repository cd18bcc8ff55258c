package server

import (
	"encoding/json"
	"time"

	"github.com/seekd/seekd/chat"
	"github.com/seekd/seekd/chat/parse"
	"github.com/seekd/seekd/sample"
)

// genRequest is what every API's request decodes into: one internal form
// that the shared generation path (template, tokenize, engine, detokenize,
// parse, stop strings) runs. The OpenAI/DeepSeek decoders fill it, and
// the Anthropic and Ollama decoders fill the same type.
type genRequest struct {
	Model *servedModel
	Alias string // the model id the client asked for

	// Chat: the conversation (nil for plain completions).
	Chat *chatInput
	// Completion: a plain prompt or fill-in-the-middle (nil for chat).
	Completion *completionInput

	MaxTokens   int // 0: the default for the mode, capped by the context
	Sampling    sample.Params
	Seed        uint64
	HasSeed     bool
	N           int
	Stop        []string
	Logprobs    bool
	TopLogprobs int

	Stream       bool
	IncludeUsage bool
	// Scope isolates prefix-cache entries: a digest of the API key and the
	// end user (user / user_id).
	Scope string
	// Received is when the request arrived (Ollama reports durations from it).
	Received time.Time
}

// chatInput is a chat request's conversation and options.
type chatInput struct {
	Messages []chat.Message
	// Tools is the JSON array of tool definitions as the client sent it.
	Tools json.RawMessage
	// ToolList is the same tools, decoded.
	ToolList   []toolSpec
	ToolChoice toolChoice
	// Thinking: nil follows the model id (deepseek-reasoner on, otherwise
	// the template's default).
	Thinking *bool
	// Kwargs are chat_template_kwargs, passed to the template.
	Kwargs map[string]any
	// Prefix: the last message is an assistant prefix to continue (beta).
	Prefix bool
	// ThinkingBudget, when positive, caps the reasoning at that many
	// tokens: then "</think>" is forced and the answer follows (Anthropic's
	// thinking.budget_tokens).
	ThinkingBudget int
	// Format is the response_format.
	Format responseFormat
	// ParallelToolCalls allows several tool calls in one turn.
	ParallelToolCalls bool
}

// toolSpec is one function tool.
type toolSpec struct {
	Name        string
	Description string
	Parameters  json.RawMessage // JSON schema, may be empty
	Strict      bool
}

// toolChoice is tool_choice: "none", "auto", "required" or a named
// function ("function" with Name).
type toolChoice struct {
	Mode string
	Name string
}

// responseFormat is response_format.
type responseFormat struct {
	Type   string          // "text", "json_object", "json_schema"
	Name   string          // json_schema.name
	Schema json.RawMessage // json_schema.schema
}

// completionInput is a legacy completions request's prompt.
type completionInput struct {
	// Prompts: one entry per prompt (text or token ids); each gets N choices.
	Prompts []promptInput
	Suffix  *string // fill-in-the-middle (beta)
	Echo    bool
}

// promptInput is one completion prompt: text, or token ids.
type promptInput struct {
	Text string
	IDs  []int
}

// outEvent is what the shared generation path emits for the encoders:
// parsed output of one choice, its tokens' log-probabilities, or its end.
type outEvent struct {
	Choice   int
	Parsed   []parse.Event  // reasoning, content and tool-call events
	Logprobs []tokenLogprob // the tokens these events came from
	// Done marks the choice's last event.
	Done   bool
	Finish string // stop, length, tool_calls (with Done)
	Err    error  // a failure after the response started (with Done)
	Usage  choiceUsage
	// StopSequence is the stop string that ended the choice, if one did.
	StopSequence string
	// PromptTime is from submission to the first generated token (queue
	// and prefill); GenTime from there to the end (with Done).
	PromptTime, GenTime time.Duration
}

// choiceUsage counts one choice's tokens.
type choiceUsage struct {
	Prompt, Cached, Completion, Reasoning int
}

// tokenLogprob is one generated token with its log-probability and the
// most likely alternatives.
type tokenLogprob struct {
	Token   string
	Bytes   []byte
	Logprob float32
	Top     []altLogprob
}

// altLogprob is one alternative token.
type altLogprob struct {
	Token   string
	Bytes   []byte
	Logprob float32
}
