package server

import (
	"sort"
	"strings"
	"time"

	"github.com/seekd/seekd/chat/parse"
)

// ollamaEncoder writes /api/chat and /api/generate responses: chunks with
// message.content / message.thinking (chat) or response / thinking
// (generate), whole tool calls with their arguments as objects, and a final
// chunk with done_reason and the counts and durations (nanoseconds).
type ollamaEncoder struct {
	chat bool // /api/chat (else /api/generate)
	g    *genRequest
	p    *prepared

	calls map[int]*ollamaCall // tool calls being streamed, by index
	sent  map[int]bool        // tool calls already sent (streaming)

	// Whole-response state.
	acc      parse.Accumulator
	logprobs []ollamaLogprobJSON
	last     outEvent
}

// ollamaCall is a tool call whose arguments are still arriving.
type ollamaCall struct {
	id, name string
	args     strings.Builder
}

func newOllamaEncoder(chat bool) func(*genRequest, *prepared) encoder {
	return func(g *genRequest, p *prepared) encoder {
		return &ollamaEncoder{chat: chat, g: g, p: p, calls: map[int]*ollamaCall{}, sent: map[int]bool{}}
	}
}

// ollamaChunkJSON is one chunk (or the whole response).
type ollamaChunkJSON struct {
	Model     string             `json:"model"`
	CreatedAt string             `json:"created_at"`
	Message   *ollamaMessageJSON `json:"message,omitempty"`
	Response  *string            `json:"response,omitempty"`
	Thinking  string             `json:"thinking,omitempty"` // generate
	Done      bool               `json:"done"`
	ollamaStatsJSON
	Logprobs []ollamaLogprobJSON `json:"logprobs,omitempty"`
}

// ollamaStatsJSON is the final chunk's summary; durations in nanoseconds.
type ollamaStatsJSON struct {
	DoneReason         string `json:"done_reason,omitempty"`
	TotalDuration      int64  `json:"total_duration,omitempty"`
	LoadDuration       int64  `json:"load_duration,omitempty"`
	PromptEvalCount    int    `json:"prompt_eval_count,omitempty"`
	PromptEvalDuration int64  `json:"prompt_eval_duration,omitempty"`
	EvalCount          int    `json:"eval_count,omitempty"`
	EvalDuration       int64  `json:"eval_duration,omitempty"`
}

type ollamaLogprobJSON struct {
	Token       string                 `json:"token"`
	Logprob     float32                `json:"logprob"`
	Bytes       []int                  `json:"bytes,omitempty"`
	TopLogprobs []ollamaTopLogprobJSON `json:"top_logprobs,omitempty"`
}

type ollamaTopLogprobJSON struct {
	Token   string  `json:"token"`
	Logprob float32 `json:"logprob"`
	Bytes   []int   `json:"bytes,omitempty"`
}

func ollamaLogprobs(lps []tokenLogprob) []ollamaLogprobJSON {
	var out []ollamaLogprobJSON
	for _, lp := range lps {
		e := ollamaLogprobJSON{Token: lp.Token, Logprob: lp.Logprob, Bytes: byteInts(lp.Bytes)}
		for _, t := range lp.Top {
			e.TopLogprobs = append(e.TopLogprobs, ollamaTopLogprobJSON{Token: t.Token, Logprob: t.Logprob, Bytes: byteInts(t.Bytes)})
		}
		out = append(out, e)
	}
	return out
}

// chunk makes a chunk carrying content, thinking and tool calls.
func (c *ollamaEncoder) chunk(content, thinking string, calls []ollamaToolCallJSON) *ollamaChunkJSON {
	ch := &ollamaChunkJSON{Model: c.g.Alias, CreatedAt: time.Now().UTC().Format(time.RFC3339Nano)}
	if c.chat {
		ch.Message = &ollamaMessageJSON{Role: "assistant", Content: content, Thinking: thinking, ToolCalls: calls}
	} else {
		ch.Response, ch.Thinking = &content, thinking
	}
	return ch
}

// toolCall makes a finished tool call, its arguments as a JSON object.
func toolCallOut(index int, id, name, args string) ollamaToolCallJSON {
	var tc ollamaToolCallJSON
	tc.ID = id
	tc.Function.Index, tc.Function.Name, tc.Function.Arguments = index, name, toolInput(args)
	return tc
}

// stats summarises a finished choice.
func (c *ollamaEncoder) stats(ev outEvent) ollamaStatsJSON {
	reason := "stop"
	if ev.Finish == "length" {
		reason = "length"
	}
	total := time.Since(c.g.Received)
	if c.g.Received.IsZero() {
		total = ev.PromptTime + ev.GenTime
	}
	return ollamaStatsJSON{
		DoneReason: reason, TotalDuration: total.Nanoseconds(),
		PromptEvalCount: ev.Usage.Prompt, PromptEvalDuration: ev.PromptTime.Nanoseconds(),
		EvalCount: ev.Usage.Completion, EvalDuration: ev.GenTime.Nanoseconds(),
	}
}

func (c *ollamaEncoder) streamStart() []any { return nil }

func (c *ollamaEncoder) streamEvent(ev outEvent) []any {
	var out []any
	lps := ollamaLogprobs(ev.Logprobs)
	emit := func(ch *ollamaChunkJSON) {
		if lps != nil {
			ch.Logprobs, lps = lps, nil
		}
		out = append(out, ch)
	}
	evs := ev.Parsed
	for i := 0; i < len(evs); {
		e := evs[i]
		switch e.Kind {
		case parse.ReasoningDelta, parse.ContentDelta:
			var b strings.Builder
			j := i
			for ; j < len(evs) && evs[j].Kind == e.Kind; j++ {
				b.WriteString(evs[j].Text)
			}
			i = j
			if b.Len() == 0 {
				continue
			}
			if e.Kind == parse.ReasoningDelta {
				emit(c.chunk("", b.String(), nil))
			} else {
				emit(c.chunk(b.String(), "", nil))
			}
			continue
		case parse.ToolCallStart:
			c.calls[e.Index] = &ollamaCall{id: e.ID, name: e.Name}
		case parse.ToolCallArgs:
			if tc := c.calls[e.Index]; tc != nil {
				tc.args.WriteString(e.Text)
			}
		case parse.ToolCallEnd:
			if tc := c.calls[e.Index]; tc != nil && !c.sent[e.Index] {
				c.sent[e.Index] = true
				emit(c.chunk("", "", []ollamaToolCallJSON{toolCallOut(e.Index, tc.id, tc.name, tc.args.String())}))
			}
		}
		i++
	}
	if ev.Done {
		// Calls the model never closed still go out, as the OpenAI path does.
		var idx []int
		for k := range c.calls {
			if !c.sent[k] {
				idx = append(idx, k)
			}
		}
		sort.Ints(idx)
		var rest []ollamaToolCallJSON
		for _, k := range idx {
			c.sent[k] = true
			rest = append(rest, toolCallOut(k, c.calls[k].id, c.calls[k].name, c.calls[k].args.String()))
		}
		if len(rest) > 0 {
			emit(c.chunk("", "", rest))
		}
		final := c.chunk("", "", nil)
		final.Done = true
		final.ollamaStatsJSON = c.stats(ev)
		emit(final)
	} else if lps != nil {
		emit(c.chunk("", "", nil))
	}
	return out
}

func (c *ollamaEncoder) streamEnd() []any { return nil }

func (c *ollamaEncoder) add(ev outEvent) {
	c.acc.Add(ev.Parsed...)
	c.logprobs = append(c.logprobs, ollamaLogprobs(ev.Logprobs)...)
	if ev.Done {
		c.last = ev
	}
}

func (c *ollamaEncoder) result() any {
	r := c.acc.Result()
	var calls []ollamaToolCallJSON
	for _, tc := range r.ToolCalls {
		calls = append(calls, toolCallOut(tc.Index, tc.ID, tc.Function.Name, tc.Function.Arguments))
	}
	ch := c.chunk(r.Content, r.Reasoning, calls)
	ch.Done = true
	ch.ollamaStatsJSON = c.stats(c.last)
	ch.Logprobs = c.logprobs
	return ch
}
