// Package servertest runs seekd's server over a scripted fake model for
// tests: a model.Model whose logits force a chosen text through a real
// tokenizer (the DeepSeek-V3 one in testdata), so the server's whole path
// (chat template, tokenizer, engine, detokenizer, reasoning and tool-call
// parsers, constrained decoding) runs deterministically and fast, with no
// weights.
//
//	ts := servertest.Start(t, servertest.Config{Script: servertest.Fixed("Hello!")})
//	resp, _ := http.Post(ts.URL+"/v1/chat/completions", ...)
package servertest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/seekd/seekd/model"
	"github.com/seekd/seekd/tokenizer"
)

// Forever is a script answer that makes the model generate " tick" until it
// is stopped (max_tokens, a disconnect, a cancelled context).
const Forever = "\x00forever"

// Fail is a script answer that makes the forward pass fail, so the
// engine ends the request with an error ("the script failed on purpose").
const Fail = "\x00fail"

// endless separates Endless's text from its loop.
const endless = "\x00endless\x00"

// Endless is a script answer that generates text, then loop over and over
// until the generation is stopped.
func Endless(text, loop string) string { return text + endless + loop }

// Script maps a rendered prompt to the text the model generates for it.
type Script func(prompt string) string

// Fixed is a script that always answers text.
func Fixed(text string) Script { return func(string) string { return text } }

// Scripted is a model.Model whose logits force the text its script gives,
// tokenized by a real tokenizer. It keeps each sequence's tokens in its KV
// cache rows, so it sees what was generated, including text a constraint
// forced. When a constraint masks the scripted token it falls back to tokens
// that end JSON values soon, so constrained output still terminates.
type Scripted struct {
	// Delay is slept at every forward step (set it before the engine starts).
	Delay time.Duration

	cfg     model.Config
	tok     *tokenizer.Tokenizer
	script  Script
	tick    int
	closers []int // fallback tokens, most preferred first

	mu      sync.Mutex
	prompts map[model.KV]int // prompt length of each sequence
}

var _ model.Model = (*Scripted)(nil)

// NewScripted returns a scripted model over tok. Its configuration is a
// one-layer Qwen2 shape with the DeepSeek-V3 vocabulary size (129,280) and
// a 4,096-token context.
func NewScripted(tok *tokenizer.Tokenizer, s Script) *Scripted {
	tick, ok := tok.TokenID(" tick")
	if !ok {
		tick = tok.Encode(" tick")[0]
	}
	var closers []int
	for _, s := range []string{"}", "\"", "\":", "1", "{"} {
		if id, ok := tok.TokenID(s); ok {
			closers = append(closers, id)
		}
	}
	return &Scripted{
		cfg:     model.Config{Arch: model.Qwen2, Vocab: 129280, Layers: 1, KVHeads: 1, HeadDim: 1, MaxPos: 4096, Heads: 1, Hidden: 1},
		tok:     tok,
		script:  s,
		tick:    tick,
		closers: closers,
		prompts: map[model.KV]int{},
	}
}

// Config returns the model's configuration.
func (m *Scripted) Config() *model.Config { return &m.cfg }

// Close does nothing.
func (m *Scripted) Close() error { return nil }

// Forward stores each sequence's new tokens in its cache and fills its
// logits so that the script's next token wins.
func (m *Scripted) Forward(ctx context.Context, b *model.Batch) error {
	if m.Delay > 0 {
		time.Sleep(m.Delay)
	}
	for _, s := range b.Seqs {
		for i, id := range s.Tokens {
			s.KV.Row(0, s.Pos+i)[0] = float32(id)
		}
		if s.NoLogits {
			continue
		}
		n := s.Pos + len(s.Tokens)
		hist := make([]int, n)
		for p := range n {
			hist[p] = int(s.KV.Row(0, p)[0])
		}
		m.mu.Lock()
		plen, ok := m.prompts[s.KV]
		if !ok {
			plen = n
			m.prompts[s.KV] = n
		}
		m.mu.Unlock()
		if cap(s.Logits) < m.cfg.Vocab {
			s.Logits = make([]float32, m.cfg.Vocab)
		}
		s.Logits = s.Logits[:m.cfg.Vocab]
		for i := range s.Logits {
			s.Logits[i] = float32(i%7) * 0.1
		}
		for i, id := range m.closers {
			s.Logits[id] = float32(25 - i)
		}
		next, err := m.next(hist[:plen], hist[plen:])
		if err != nil {
			return err
		}
		s.Logits[next] = 50
	}
	return nil
}

const endThink = "</think>"

// next returns the token that continues the script's answer.
func (m *Scripted) next(prompt, gen []int) (int, error) {
	want := m.script(m.tok.Decode(prompt))
	switch want {
	case Forever:
		return m.tick, nil
	case Fail:
		return 0, errors.New("servertest: the script failed on purpose")
	}
	have := m.tok.Decode(gen)
	if i := strings.Index(want, endless); i >= 0 {
		text, loop := want[:i], want[i+len(endless):]
		if !strings.HasPrefix(have, text) || loop == "" {
			want = text
		} else {
			pos := (len(have) - len(text)) % len(loop)
			return m.tok.Encode(loop[pos:] + loop)[0], nil
		}
	}
	return m.continueText(want, have), nil
}

// continueText returns the token that continues want after have.
func (m *Scripted) continueText(want, have string) int {
	// The reasoning was closed early (a thinking budget forced </think>):
	// go on with the script's answer.
	if i := strings.Index(have, endThink); i >= 0 {
		if j := strings.Index(want, endThink); j >= 0 && !strings.HasPrefix(want, have[:i+len(endThink)]) {
			want, have = want[j+len(endThink):], have[i+len(endThink):]
			if want == "" {
				return m.tok.EOS()
			}
		}
	}
	// Continue the script after whatever the output already holds (text a
	// constraint forced comes before the script's own text).
	for k := 0; k <= len(have); k++ {
		if strings.HasPrefix(want, have[k:]) {
			if k == len(have) && k > 0 && strings.Contains(have, want[:min(len(want), 6)]) {
				break // the script ran already; do not start it over
			}
			rest := want[len(have)-k:]
			if rest == "" {
				return m.tok.EOS()
			}
			return m.tok.Encode(rest)[0]
		}
	}
	return m.tok.EOS()
}
