package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"

	"github.com/seekd/seekd/chat/parse"
)

// anthropicEncoder writes Anthropic message objects and their stream
// events: message_start, then per content block (thinking, text, tool_use
// in output order) content_block_start, its deltas and content_block_stop,
// then message_delta (stop reason, usage) and message_stop.
type anthropicEncoder struct {
	g  *genRequest
	p  *prepared
	id string

	// Streaming state.
	block    int    // index of the open block (-1: none)
	open     string // its type: "thinking", "text", "tool_use"
	thinking strings.Builder
	tools    map[int]int // tool-call index -> block index

	// Whole-message state.
	acc          parse.Accumulator
	finish       string
	stopSequence string
	usage        choiceUsage
}

func newAnthropicEncoder(g *genRequest, p *prepared) encoder {
	return &anthropicEncoder{g: g, p: p, id: "msg_" + randomBase62(24), block: -1, tools: map[int]int{}}
}

// The stream events. Each names itself for dataLine.
type (
	anthropicMessageStart struct {
		Type    string              `json:"type"`
		Message anthropicMessageOut `json:"message"`
	}
	anthropicBlockStart struct {
		Type         string `json:"type"`
		Index        int    `json:"index"`
		ContentBlock any    `json:"content_block"`
	}
	anthropicBlockDelta struct {
		Type  string         `json:"type"`
		Index int            `json:"index"`
		Delta anthropicDelta `json:"delta"`
	}
	anthropicBlockStop struct {
		Type  string `json:"type"`
		Index int    `json:"index"`
	}
	anthropicMessageDelta struct {
		Type  string `json:"type"`
		Delta struct {
			StopReason   *string `json:"stop_reason"`
			StopSequence *string `json:"stop_sequence"`
		} `json:"delta"`
		Usage anthropicUsageJSON `json:"usage"`
	}
	anthropicMessageStop struct {
		Type string `json:"type"`
	}
	anthropicPingJSON struct {
		Type string `json:"type"`
	}
	// anthropicDelta is a content_block_delta's delta: thinking_delta,
	// signature_delta, text_delta or input_json_delta.
	anthropicDelta struct {
		Type        string  `json:"type"`
		Thinking    *string `json:"thinking,omitempty"`
		Signature   string  `json:"signature,omitempty"`
		Text        *string `json:"text,omitempty"`
		PartialJSON *string `json:"partial_json,omitempty"`
	}
)

func (anthropicMessageStart) eventName() string { return "message_start" }
func (anthropicBlockStart) eventName() string   { return "content_block_start" }
func (anthropicBlockDelta) eventName() string   { return "content_block_delta" }
func (anthropicBlockStop) eventName() string    { return "content_block_stop" }
func (anthropicMessageDelta) eventName() string { return "message_delta" }
func (anthropicMessageStop) eventName() string  { return "message_stop" }
func (anthropicPingJSON) eventName() string     { return "ping" }

func anthropicPing() anthropicPingJSON { return anthropicPingJSON{Type: "ping"} }

// anthropicMessageOut is a message object (response or message_start).
type anthropicMessageOut struct {
	ID           string             `json:"id"`
	Type         string             `json:"type"`
	Role         string             `json:"role"`
	Model        string             `json:"model"`
	Content      []any              `json:"content"`
	StopReason   *string            `json:"stop_reason"`
	StopSequence *string            `json:"stop_sequence"`
	Usage        anthropicUsageJSON `json:"usage"`
}

// anthropicUsageJSON is Anthropic's usage: input_tokens excludes the
// prompt tokens read from the prefix cache, which cache_read_input_tokens
// counts (nothing is billed as cache creation).
type anthropicUsageJSON struct {
	InputTokens              int `json:"input_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
	OutputTokens             int `json:"output_tokens"`
}

// Content blocks.
type (
	anthropicTextBlock struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	anthropicThinkingBlock struct {
		Type      string `json:"type"`
		Thinking  string `json:"thinking"`
		Signature string `json:"signature"`
	}
	anthropicToolUseBlock struct {
		Type  string          `json:"type"`
		ID    string          `json:"id"`
		Name  string          `json:"name"`
		Input json.RawMessage `json:"input"`
	}
)

func (c *anthropicEncoder) message(content []any) anthropicMessageOut {
	if content == nil {
		content = []any{}
	}
	return anthropicMessageOut{ID: c.id, Type: "message", Role: "assistant", Model: c.g.Alias, Content: content}
}

func (c *anthropicEncoder) streamStart() []any {
	m := c.message(nil)
	if len(c.p.choices) > 0 {
		m.Usage.InputTokens = len(c.p.choices[0].prompt) // the cache hits are known at the end (message_delta)
	}
	return []any{anthropicMessageStart{Type: "message_start", Message: m}, anthropicPing()}
}

// startBlock closes the open block and opens a new one.
func (c *anthropicEncoder) startBlock(out []any, kind string, block any) []any {
	out = c.closeBlock(out)
	c.block++
	c.open = kind
	return append(out, anthropicBlockStart{Type: "content_block_start", Index: c.block, ContentBlock: block})
}

func (c *anthropicEncoder) closeBlock(out []any) []any {
	if c.open == "" {
		return out
	}
	if c.open == "thinking" {
		out = append(out, c.delta(anthropicDelta{Type: "signature_delta", Signature: signature(c.thinking.String())}))
		c.thinking.Reset()
	}
	c.open = ""
	return append(out, anthropicBlockStop{Type: "content_block_stop", Index: c.block})
}

func (c *anthropicEncoder) delta(d anthropicDelta) anthropicBlockDelta {
	return anthropicBlockDelta{Type: "content_block_delta", Index: c.block, Delta: d}
}

func (c *anthropicEncoder) streamEvent(ev outEvent) []any {
	var out []any
	for _, e := range ev.Parsed {
		switch e.Kind {
		case parse.ReasoningDelta:
			if c.open != "thinking" {
				out = c.startBlock(out, "thinking", anthropicThinkingBlock{Type: "thinking"})
			}
			c.thinking.WriteString(e.Text)
			out = append(out, c.delta(anthropicDelta{Type: "thinking_delta", Thinking: &e.Text}))
		case parse.ContentDelta:
			if e.Text == "" {
				continue
			}
			if c.open != "text" {
				out = c.startBlock(out, "text", anthropicTextBlock{Type: "text"})
			}
			out = append(out, c.delta(anthropicDelta{Type: "text_delta", Text: &e.Text}))
		case parse.ToolCallStart:
			out = c.startBlock(out, "tool_use", anthropicToolUseBlock{Type: "tool_use", ID: toolUseID(e.ID), Name: e.Name, Input: json.RawMessage("{}")})
			c.tools[e.Index] = c.block
		case parse.ToolCallArgs:
			if b, ok := c.tools[e.Index]; ok && b == c.block && e.Text != "" {
				out = append(out, c.delta(anthropicDelta{Type: "input_json_delta", PartialJSON: &e.Text}))
			}
		}
	}
	if ev.Done {
		out = c.closeBlock(out)
		d := anthropicMessageDelta{Type: "message_delta", Usage: anthropicUsage(ev.Usage)}
		d.Delta.StopReason, d.Delta.StopSequence = anthropicStop(ev.Finish, ev.StopSequence)
		out = append(out, d)
	}
	return out
}

func (c *anthropicEncoder) streamEnd() []any {
	return []any{anthropicMessageStop{Type: "message_stop"}}
}

func (c *anthropicEncoder) add(ev outEvent) {
	c.acc.Add(ev.Parsed...)
	if ev.Done {
		c.finish, c.stopSequence, c.usage = ev.Finish, ev.StopSequence, ev.Usage
	}
}

func (c *anthropicEncoder) result() any {
	r := c.acc.Result()
	var content []any
	if c.p.thinking || r.Reasoning != "" {
		content = append(content, anthropicThinkingBlock{Type: "thinking", Thinking: r.Reasoning, Signature: signature(r.Reasoning)})
	}
	if r.Content != "" || len(r.ToolCalls) == 0 {
		content = append(content, anthropicTextBlock{Type: "text", Text: r.Content})
	}
	for _, tc := range r.ToolCalls {
		content = append(content, anthropicToolUseBlock{Type: "tool_use", ID: toolUseID(tc.ID), Name: tc.Function.Name, Input: toolInput(tc.Function.Arguments)})
	}
	m := c.message(content)
	m.StopReason, m.StopSequence = anthropicStop(c.finish, c.stopSequence)
	m.Usage = anthropicUsage(c.usage)
	return m
}

// anthropicStop maps a finish reason to stop_reason and stop_sequence.
func anthropicStop(finish, seq string) (*string, *string) {
	reason := "end_turn"
	switch {
	case finish == "length":
		reason = "max_tokens"
	case finish == "tool_calls":
		reason = "tool_use"
	case seq != "":
		reason = "stop_sequence"
		return &reason, &seq
	}
	return &reason, nil
}

func anthropicUsage(u choiceUsage) anthropicUsageJSON {
	return anthropicUsageJSON{InputTokens: u.Prompt - u.Cached, CacheReadInputTokens: u.Cached, OutputTokens: u.Completion}
}

// toolUseID turns a tool-call id ("call_00_...") into Anthropic's style
// ("toolu_00_...").
func toolUseID(id string) string {
	if rest, ok := strings.CutPrefix(id, "call_"); ok {
		return "toolu_" + rest
	}
	return id
}

// toolInput returns tool-call arguments as the JSON object Anthropic's
// tool_use.input is; arguments that are not an object (a model's mistake)
// become {}.
func toolInput(args string) json.RawMessage {
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(args), &obj) != nil {
		return json.RawMessage("{}")
	}
	return json.RawMessage(args)
}

// signature is the opaque signature of a thinking block. Anthropic's
// verifies the block was not altered; ours is only a digest, since this
// server accepts any thinking text back.
func signature(thinking string) string {
	sum := sha256.Sum256([]byte(thinking))
	return base64.StdEncoding.EncodeToString(sum[:])
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randomBase62 returns n random base-62 characters.
func randomBase62(n int) string {
	b := make([]byte, n)
	max := big.NewInt(int64(len(base62)))
	for i := range b {
		k, _ := rand.Int(rand.Reader, max)
		b[i] = base62[k.Int64()]
	}
	return string(b)
}
