package server

import (
	"net/http"
	"time"

	"github.com/seekd/seekd/chat/parse"
)

// handleChat serves POST /chat/completions (beta: /beta/chat/completions,
// where chat prefix completion is allowed).
func (s *Server) handleChat(beta bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g, e := s.decodeChat(r.Body, beta)
		if e != nil {
			writeError(w, e)
			return
		}
		g.Scope = cacheScope(r, g.Scope)
		s.generate(w, r, g, s.openai, newChatEncoder)
	}
}

// chatEncoder writes chat.completion and chat.completion.chunk objects.
type chatEncoder struct {
	g        *genRequest
	p        *prepared
	id       string
	created  int64
	started  map[int]bool
	finished int
	usage    choiceUsage
	choices  map[int]*chatChoiceState
}

// chatChoiceState accumulates one choice of a non-streaming response.
type chatChoiceState struct {
	acc      parse.Accumulator
	logprobs []tokenLogprob
	finish   string
}

func newChatEncoder(g *genRequest, p *prepared) encoder {
	return &chatEncoder{g: g, p: p, id: newID(), created: time.Now().Unix(), started: map[int]bool{}, choices: map[int]*chatChoiceState{}}
}

func (c *chatEncoder) chunk(choices ...chunkChoiceJSON) *chatChunkJSON {
	if choices == nil {
		choices = []chunkChoiceJSON{}
	}
	return &chatChunkJSON{ID: c.id, Object: "chat.completion.chunk", Created: c.created, Model: c.g.Alias, SystemFingerprint: c.g.Model.fingerprint, Choices: choices}
}

func (c *chatEncoder) addUsage(u choiceUsage) {
	c.usage.Prompt += u.Prompt
	c.usage.Cached += u.Cached
	c.usage.Completion += u.Completion
	c.usage.Reasoning += u.Reasoning
}

func (c *chatEncoder) streamEvent(ev outEvent) []any {
	var out []any
	thinking := c.p.thinking
	if !c.started[ev.Choice] {
		c.started[ev.Choice] = true
		d := chunkDelta{Role: "assistant", Thinking: thinking}
		if thinking {
			d.Reasoning = strPtr("")
		} else {
			d.Content = strPtr("")
		}
		out = append(out, c.chunk(chunkChoiceJSON{Index: ev.Choice, Delta: d}))
	}
	lps := ev.Logprobs
	emit := func(d chunkDelta) {
		d.Thinking = thinking
		ch := chunkChoiceJSON{Index: ev.Choice, Delta: d}
		if len(lps) > 0 {
			ch.Logprobs = &chatLogprobsJSON{Content: chatLogprobs(lps)}
			lps = nil
		}
		out = append(out, c.chunk(ch))
	}
	evs := ev.Parsed
	for i := 0; i < len(evs); {
		e := evs[i]
		switch e.Kind {
		case parse.ReasoningDelta, parse.ContentDelta:
			text := e.Text
			j := i + 1
			for j < len(evs) && evs[j].Kind == e.Kind {
				text += evs[j].Text
				j++
			}
			if e.Kind == parse.ReasoningDelta {
				emit(chunkDelta{Reasoning: &text})
			} else {
				emit(chunkDelta{Content: &text})
			}
			i = j
		case parse.ToolCallStart:
			emit(chunkDelta{ToolCalls: []toolCallJSON{{Index: e.Index, ID: e.ID, Type: "function", Function: functionJSON{Name: e.Name, Arguments: strPtr("")}}}})
			i++
		case parse.ToolCallArgs:
			args := e.Text
			j := i + 1
			for j < len(evs) && evs[j].Kind == parse.ToolCallArgs && evs[j].Index == e.Index {
				args += evs[j].Text
				j++
			}
			emit(chunkDelta{ToolCalls: []toolCallJSON{{Index: e.Index, Function: functionJSON{Arguments: &args}}}})
			i = j
		default:
			i++
		}
	}
	if len(lps) > 0 {
		emit(chunkDelta{Content: strPtr("")})
	}
	if ev.Done {
		c.finished++
		c.addUsage(ev.Usage)
		finish := ev.Finish
		ch := c.chunk(chunkChoiceJSON{Index: ev.Choice, Delta: chunkDelta{Content: strPtr(""), Thinking: thinking}, FinishReason: &finish})
		if !c.g.IncludeUsage && c.finished == len(c.p.choices) {
			ch.Usage = makeUsage(c.usage)
		}
		out = append(out, ch)
	}
	return out
}

func (c *chatEncoder) streamStart() []any { return nil }

func (c *chatEncoder) streamEnd() []any {
	if !c.g.IncludeUsage {
		return nil
	}
	ch := c.chunk()
	ch.Usage = makeUsage(c.usage)
	return []any{ch}
}

func (c *chatEncoder) add(ev outEvent) {
	st := c.choices[ev.Choice]
	if st == nil {
		st = &chatChoiceState{}
		c.choices[ev.Choice] = st
	}
	st.acc.Add(ev.Parsed...)
	st.logprobs = append(st.logprobs, ev.Logprobs...)
	if ev.Done {
		st.finish = ev.Finish
		c.addUsage(ev.Usage)
	}
}

func (c *chatEncoder) result() any {
	resp := &chatCompletionJSON{ID: c.id, Object: "chat.completion", Created: c.created, Model: c.g.Alias, SystemFingerprint: c.g.Model.fingerprint, Usage: makeUsage(c.usage)}
	for i := range c.p.choices {
		st := c.choices[i]
		if st == nil {
			st = &chatChoiceState{finish: "stop"}
		}
		r := st.acc.Result()
		msg := chatResponseMessage{Role: "assistant", Content: r.Content}
		if c.p.thinking || r.Reasoning != "" {
			msg.ReasoningContent = strPtr(r.Reasoning)
			msg.Reasoning = strPtr(r.Reasoning)
		}
		for _, tc := range r.ToolCalls {
			msg.ToolCalls = append(msg.ToolCalls, toolCallJSON{Index: tc.Index, ID: tc.ID, Type: "function", Function: functionJSON{Name: tc.Function.Name, Arguments: strPtr(tc.Function.Arguments)}})
		}
		ch := chatChoiceJSON{Index: i, Message: msg, FinishReason: st.finish}
		if c.g.Logprobs {
			ch.Logprobs = &chatLogprobsJSON{Content: chatLogprobs(st.logprobs)}
		}
		resp.Choices = append(resp.Choices, ch)
	}
	return resp
}

func strPtr(s string) *string { return &s }
