package server

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/seekd/seekd/chat/parse"
	"github.com/seekd/seekd/engine"
)

// run submits one engine request per choice and returns the channel of
// their events, closed when every choice has ended. engineCtx ends the
// generation (client gone or shutdown cut); readCtx ends the reading
// (client gone). Submission errors (queue full, prompt too long) come back
// before anything is written to the client.
func (s *Server) run(engineCtx, readCtx context.Context, g *genRequest, p *prepared) (<-chan outEvent, *apiError) {
	streams := make([]*engine.Stream, 0, len(p.choices))
	fail := func(e *apiError) (<-chan outEvent, *apiError) {
		for _, st := range streams {
			st.Close()
		}
		return nil, e
	}
	submitted := time.Now()
	for _, c := range p.choices {
		req := &engine.Request{
			Prompt:      c.prompt,
			MaxTokens:   p.maxTokens,
			Sampling:    p.sampling,
			Seed:        c.seed,
			StopTokens:  g.Model.Bundle.StopTokens,
			Logprobs:    g.Logprobs,
			TopLogprobs: g.TopLogprobs,
			CacheScope:  g.Scope,
		}
		if p.newConstraint != nil {
			con, err := p.newConstraint()
			if err != nil {
				return fail(badRequest("response_format", "the output constraint: %v", err))
			}
			req.Constraint = con
		}
		st, err := g.Model.Engine.Submit(engineCtx, req)
		if err != nil {
			var tl *engine.PromptTooLongError
			switch {
			case errors.Is(err, engine.ErrQueueFull):
				return fail(&apiError{Status: 429, Message: "Rate Limit Reached: the server is at capacity, retry later", Type: typeRateLimit, Code: "rate_limit_exceeded"})
			case errors.Is(err, engine.ErrClosed):
				return fail(&apiError{Status: 503, Message: "Server Overloaded: the model is shutting down", Type: typeOverloaded, Code: "server_overloaded"})
			case errors.As(err, &tl):
				return fail(badRequest("messages", "This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the messages, %d in the completion).", tl.Context, tl.Prompt+tl.Max, tl.Prompt, tl.Max))
			default:
				return fail(badRequest("", "%v", err))
			}
		}
		streams = append(streams, st)
	}
	out := make(chan outEvent, 16)
	var wg sync.WaitGroup
	for i, st := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.runChoice(readCtx, i, st, g, p, submitted, out)
		}()
	}
	go func() { wg.Wait(); close(out) }()
	return out, nil
}

// runChoice turns one engine stream into parsed events: detokenize, match
// stop strings, split reasoning and tool calls.
func (s *Server) runChoice(ctx context.Context, idx int, st *engine.Stream, g *genRequest, p *prepared, submitted time.Time, out chan<- outEvent) {
	defer st.Close()
	defer func() {
		// A bug in this request's output path must not take the server down.
		if v := recover(); v != nil {
			s.log.Error("panic in a generation", "model", g.Model.Name, "panic", v, "stack", string(debug.Stack()))
			select {
			case out <- outEvent{Choice: idx, Done: true, Err: fmt.Errorf("internal error: %v", v)}:
			case <-ctx.Done():
			}
		}
	}()
	tok := g.Model.Bundle.Tokenizer
	mm := s.metrics.model(g.Model.Name)
	spec := p.choices[idx]
	detok := tok.NewDetokenizer()
	stop := newStopMatcher(g.Stop)
	parser, err := parse.New(p.format, p.parseOpts)
	if err != nil { // the format comes from the bundle; a bad one is a bug
		parser, _ = parse.New(parse.FormatNone, parse.Options{})
	}
	send := func(ev outEvent) bool {
		ev.Choice = idx
		select {
		case out <- ev:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var (
		stopped   bool
		reasoning = p.thinking
		rTokens   int
		tail      string // the end of the raw text, to see "</think>" across tokens
		called    bool
		last      time.Time
		first     time.Time
	)
	feed := func(evs []parse.Event, text string) []parse.Event {
		if p.plain {
			if text != "" {
				evs = append(evs, parse.Event{Kind: parse.ContentDelta, Text: text})
			}
			return evs
		}
		return parser.Feed(evs, text)
	}
	note := func(evs []parse.Event) {
		for _, e := range evs {
			switch e.Kind {
			case parse.ToolCallStart:
				called = true
			}
		}
	}
	for {
		ev, err := st.Next(ctx)
		if err != nil {
			return // the client went away; Close frees the engine's cache
		}
		if t := ev.Token; t != nil {
			now := time.Now()
			if last.IsZero() {
				first = now
				mm.ttft.Observe(now.Sub(submitted).Seconds())
			} else {
				mm.itl.Observe(now.Sub(last).Seconds())
			}
			last = now
			if stopped {
				continue // tokens the engine made before it saw Close
			}
			text := detok.Add(t.ID)
			if reasoning {
				rTokens++
				tail += text
				if strings.Contains(tail, "</think>") {
					reasoning = false
				}
				if len(tail) > 16 {
					tail = tail[len(tail)-16:]
				}
			}
			var lps []tokenLogprob
			if g.Logprobs {
				lps = []tokenLogprob{s.logprob(tok, t)}
			}
			released, hit := stop.Feed(text)
			evs := feed(nil, released)
			if hit {
				stopped = true
				st.Close()
				evs = s.finishParser(parser, p, evs)
			}
			note(evs)
			if (len(evs) > 0 || len(lps) > 0) && !send(outEvent{Parsed: evs, Logprobs: lps}) {
				return
			}
			continue
		}
		// The final event.
		var evs []parse.Event
		if !stopped {
			rest, hit := stop.Feed(detok.Flush())
			if !hit {
				rest += stop.Flush()
			}
			stopped = stopped || hit
			evs = s.finishParser(parser, p, feed(nil, rest))
			note(evs)
		}
		done := outEvent{Parsed: evs, Done: true, StopSequence: stop.matched}
		if end := time.Now(); first.IsZero() {
			done.PromptTime = end.Sub(submitted)
		} else {
			done.PromptTime, done.GenTime = first.Sub(submitted), end.Sub(first)
		}
		switch {
		case stopped:
			done.Finish = "stop"
		case ev.Finish == engine.FinishStop:
			done.Finish = "stop"
		case ev.Finish == engine.FinishLength:
			done.Finish = "length"
		case ev.Finish == engine.FinishCancelled:
			done.Finish = "length" // cut short by shutdown
		default:
			done.Err = ev.Err
			if done.Err == nil {
				done.Err = errors.New("generation failed")
			}
		}
		if called && done.Finish == "stop" {
			done.Finish = "tool_calls"
		}
		u := ev.Usage
		done.Usage = choiceUsage{Completion: u.CompletionTokens, Reasoning: min(rTokens, u.CompletionTokens)}
		if spec.first {
			done.Usage.Prompt, done.Usage.Cached = u.PromptTokens, u.CachedTokens
		}
		mm.promptTokens.Add(float64(done.Usage.Prompt))
		mm.cachedTokens.Add(float64(done.Usage.Cached))
		mm.completionTokens.Add(float64(u.CompletionTokens))
		if s.opt.LogPrompts {
			s.log.Info("generation", "model", g.Model.Name, "choice", idx, "prompt", p.prompts[spec.promptIndex], "finish", done.Finish)
		}
		send(done)
		return
	}
}

// finishParser ends the parser (completions have none).
func (s *Server) finishParser(parser *parse.Parser, p *prepared, evs []parse.Event) []parse.Event {
	if p.plain {
		return evs
	}
	return parser.Finish(evs)
}

// logprob converts an engine token to its API form.
func (s *Server) logprob(tok interface {
	TokenBytes(int) ([]byte, bool)
}, t *engine.Token) tokenLogprob {
	b, _ := tok.TokenBytes(t.ID)
	lp := tokenLogprob{Token: string(b), Bytes: b, Logprob: t.Logprob}
	for _, alt := range t.Top {
		ab, _ := tok.TokenBytes(alt.ID)
		lp.Top = append(lp.Top, altLogprob{Token: string(ab), Bytes: ab, Logprob: alt.Logprob})
	}
	return lp
}
