package server

import (
	"bytes"
	"encoding/json"
)

// usageJSON is DeepSeek's usage object: OpenAI's fields plus the
// prompt-cache hit/miss counts.
type usageJSON struct {
	PromptTokens            int                  `json:"prompt_tokens"`
	CompletionTokens        int                  `json:"completion_tokens"`
	TotalTokens             int                  `json:"total_tokens"`
	PromptTokensDetails     promptTokensDetails  `json:"prompt_tokens_details"`
	CompletionTokensDetails completionTokDetails `json:"completion_tokens_details"`
	PromptCacheHitTokens    int                  `json:"prompt_cache_hit_tokens"`
	PromptCacheMissTokens   int                  `json:"prompt_cache_miss_tokens"`
}

type promptTokensDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

type completionTokDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

func makeUsage(u choiceUsage) *usageJSON {
	return &usageJSON{
		PromptTokens:            u.Prompt,
		CompletionTokens:        u.Completion,
		TotalTokens:             u.Prompt + u.Completion,
		PromptTokensDetails:     promptTokensDetails{CachedTokens: u.Cached},
		CompletionTokensDetails: completionTokDetails{ReasoningTokens: u.Reasoning},
		PromptCacheHitTokens:    u.Cached,
		PromptCacheMissTokens:   u.Prompt - u.Cached,
	}
}

// chatCompletionJSON is a non-streaming chat response.
type chatCompletionJSON struct {
	ID                string           `json:"id"`
	Object            string           `json:"object"`
	Created           int64            `json:"created"`
	Model             string           `json:"model"`
	SystemFingerprint string           `json:"system_fingerprint"`
	Choices           []chatChoiceJSON `json:"choices"`
	Usage             *usageJSON       `json:"usage"`
}

type chatChoiceJSON struct {
	Index        int                 `json:"index"`
	Message      chatResponseMessage `json:"message"`
	Logprobs     *chatLogprobsJSON   `json:"logprobs"`
	FinishReason string              `json:"finish_reason"`
}

type chatResponseMessage struct {
	Role             string         `json:"role"`
	Content          string         `json:"content"`
	ReasoningContent *string        `json:"reasoning_content,omitempty"`
	Reasoning        *string        `json:"reasoning,omitempty"`
	ToolCalls        []toolCallJSON `json:"tool_calls,omitempty"`
}

type toolCallJSON struct {
	Index    int          `json:"index"`
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type,omitempty"`
	Function functionJSON `json:"function"`
}

type functionJSON struct {
	Name      string  `json:"name,omitempty"`
	Arguments *string `json:"arguments,omitempty"`
}

// chatLogprobsJSON is choices[].logprobs of chat completions.
type chatLogprobsJSON struct {
	Content []logprobEntryJSON `json:"content"`
}

type logprobEntryJSON struct {
	Token       string           `json:"token"`
	Logprob     float32          `json:"logprob"`
	Bytes       []int            `json:"bytes"`
	TopLogprobs []topLogprobJSON `json:"top_logprobs"`
}

type topLogprobJSON struct {
	Token   string  `json:"token"`
	Logprob float32 `json:"logprob"`
	Bytes   []int   `json:"bytes"`
}

func byteInts(b []byte) []int {
	out := make([]int, len(b))
	for i, c := range b {
		out[i] = int(c)
	}
	return out
}

func chatLogprobs(lps []tokenLogprob) []logprobEntryJSON {
	out := make([]logprobEntryJSON, len(lps))
	for i, lp := range lps {
		e := logprobEntryJSON{Token: lp.Token, Logprob: lp.Logprob, Bytes: byteInts(lp.Bytes), TopLogprobs: []topLogprobJSON{}}
		for _, t := range lp.Top {
			e.TopLogprobs = append(e.TopLogprobs, topLogprobJSON{Token: t.Token, Logprob: t.Logprob, Bytes: byteInts(t.Bytes)})
		}
		out[i] = e
	}
	return out
}

// chatChunkJSON is one streamed chat chunk. Usage is always present (null
// except on the one chunk that carries it); there is never an "error" key.
type chatChunkJSON struct {
	ID                string            `json:"id"`
	Object            string            `json:"object"`
	Created           int64             `json:"created"`
	Model             string            `json:"model"`
	SystemFingerprint string            `json:"system_fingerprint"`
	Choices           []chunkChoiceJSON `json:"choices"`
	Usage             *usageJSON        `json:"usage"`
}

type chunkChoiceJSON struct {
	Index        int               `json:"index"`
	Delta        chunkDelta        `json:"delta"`
	Logprobs     *chatLogprobsJSON `json:"logprobs"`
	FinishReason *string           `json:"finish_reason"`
}

// chunkDelta is a chat delta. In thinking mode it always carries both
// content and reasoning_content (one of them null), as DeepSeek's stream
// does; reasoning mirrors reasoning_content for vLLM/OpenRouter clients.
type chunkDelta struct {
	Role      string
	Content   *string
	Reasoning *string
	Thinking  bool // write the reasoning keys even when null
	ToolCalls []toolCallJSON
}

// MarshalJSON writes the delta with DeepSeek's key layout.
func (d chunkDelta) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	sep := false
	field := func(k string, v any) {
		if sep {
			b.WriteByte(',')
		}
		sep = true
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, _ := json.Marshal(v)
		b.Write(vb)
	}
	if d.Role != "" {
		field("role", d.Role)
	}
	if d.Content != nil || d.Thinking || d.Role != "" {
		field("content", d.Content)
	}
	if d.Reasoning != nil || d.Thinking {
		field("reasoning_content", d.Reasoning)
		field("reasoning", d.Reasoning)
	}
	if len(d.ToolCalls) > 0 {
		field("tool_calls", d.ToolCalls)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// modelJSON is one entry of GET /v1/models.
type modelJSON struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

type modelListJSON struct {
	Object string      `json:"object"`
	Data   []modelJSON `json:"data"`
}
