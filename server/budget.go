package server

import (
	"bytes"

	"github.com/seekd/seekd/engine"
)

// budgetConstraint caps a choice's reasoning: after budget tokens without
// "</think>" it forces the tokens of "</think>", and the answer follows
// (Anthropic's thinking.budget_tokens). It wraps the choice's other
// constraint (JSON output, forced tool calls), which sees every token,
// forced ones included, so its own gate opens at the forced "</think>".
type budgetConstraint struct {
	left   int   // reasoning tokens still allowed
	close  []int // the tokens of "</think>"
	forced int   // how many of close were forced so far
	closed bool  // the reasoning ended (naturally or forced)
	// tail holds the last bytes of the output, to see a "</think>" the
	// model writes itself across tokens.
	tail       []byte
	tokenBytes func(int) []byte
	inner      engine.Constraint // nil: none
}

var _ engine.Constraint = (*budgetConstraint)(nil)

var endThinkBytes = []byte("</think>")

func (c *budgetConstraint) Mask(logits []float32) {
	if !c.closed && c.left <= 0 {
		only(logits, c.close[c.forced])
		return
	}
	if c.inner != nil {
		c.inner.Mask(logits)
	}
}

func (c *budgetConstraint) Accept(tok int) error {
	if !c.closed {
		if c.left <= 0 {
			c.forced++
			c.closed = c.forced == len(c.close)
		} else {
			c.left--
			c.tail = append(c.tail, c.tokenBytes(tok)...)
			if bytes.Contains(c.tail, endThinkBytes) {
				c.closed = true
			}
			if n := len(c.tail); n > 2*len(endThinkBytes) {
				c.tail = append(c.tail[:0], c.tail[n-len(endThinkBytes):]...)
			}
		}
	}
	if c.inner != nil {
		return c.inner.Accept(tok)
	}
	return nil
}

func (c *budgetConstraint) Complete() bool { return c.inner != nil && c.inner.Complete() }

// withBudget wraps p's constraint in a thinking budget of n tokens.
func (s *Server) withBudget(g *genRequest, p *prepared, n int) {
	tok := g.Model.Bundle.Tokenizer
	var close []int
	if id, ok := tok.TokenID("</think>"); ok {
		close = []int{id}
	} else {
		close = tok.Encode("</think>")
	}
	tokenBytes := func(id int) []byte {
		b, _ := tok.TokenBytes(id)
		return b
	}
	inner := p.newConstraint
	p.newConstraint = func() (engine.Constraint, error) {
		c := &budgetConstraint{left: n, close: close, tokenBytes: tokenBytes}
		if inner != nil {
			con, err := inner()
			if err != nil {
				return nil, err
			}
			c.inner = con
		}
		return c, nil
	}
}
