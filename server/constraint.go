package server

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/seekd/seekd/chat/parse"
	"github.com/seekd/seekd/engine"
	"github.com/seekd/seekd/grammar"
)

// outputConstraint is the engine.Constraint of one choice: free until the
// gate token (</think> in thinking mode; open from the start otherwise),
// then the forced tokens (tool-call markers and a function name), then the
// inner constraint (a JSON grammar), then the forced closing tokens.
type outputConstraint struct {
	gate   int // -1: open from the start
	open   bool
	forced []int
	inner  engine.Constraint
	suffix []int
	stops  []int // not allowed before the gate: the constrained part must come
}

var _ engine.Constraint = (*outputConstraint)(nil)

func (c *outputConstraint) Mask(logits []float32) {
	if !c.open {
		for _, id := range c.stops {
			if id >= 0 && id < len(logits) {
				logits[id] = float32(math.Inf(-1))
			}
		}
		return
	}
	switch {
	case len(c.forced) > 0:
		only(logits, c.forced[0])
	case c.inner != nil && !c.inner.Complete():
		c.inner.Mask(logits)
	case len(c.suffix) > 0:
		only(logits, c.suffix[0])
	}
}

// only leaves tok as the single allowed token.
func only(logits []float32, tok int) {
	keep := logits[tok]
	if math.IsInf(float64(keep), -1) || math.IsNaN(float64(keep)) {
		keep = 0
	}
	for i := range logits {
		logits[i] = float32(math.Inf(-1))
	}
	logits[tok] = keep
}

func (c *outputConstraint) Accept(tok int) error {
	if !c.open {
		if tok == c.gate {
			c.open = true
		}
		return nil
	}
	switch {
	case len(c.forced) > 0:
		if tok != c.forced[0] {
			return fmt.Errorf("server: constraint expected token %d, got %d", c.forced[0], tok)
		}
		c.forced = c.forced[1:]
	case c.inner != nil && !c.inner.Complete():
		return c.inner.Accept(tok)
	case len(c.suffix) > 0:
		c.suffix = c.suffix[1:]
	}
	return nil
}

func (c *outputConstraint) Complete() bool {
	if !c.open || len(c.forced) > 0 || c.inner == nil {
		return false
	}
	return c.inner.Complete() && len(c.suffix) == 0
}

// constrain sets up how a chat request's output is constrained: forced
// tool calls (tool_choice required or a named function: the call markers
// are forced, then the arguments follow the function's JSON schema) and
// JSON output (response_format json_object or json_schema), through
// package grammar's masks over the model's vocabulary. In thinking mode the
// constraint starts after </think>.
func (s *Server) constrain(g *genRequest, p *prepared) *apiError {
	ci := g.Chat
	b := g.Model.Bundle
	tok := b.Tokenizer
	forcedTool := ci.ToolChoice.Mode == "required" || ci.ToolChoice.Mode == "function"
	jsonOut := ci.Format.Type == "json_object" || ci.Format.Type == "json_schema"
	if !forcedTool && !jsonOut {
		return nil
	}
	if forcedTool && jsonOut {
		return badRequest("response_format", "response_format %s cannot be combined with tool_choice %q", ci.Format.Type, ci.ToolChoice.Mode)
	}
	gate := -1
	var after []grammar.Option
	if p.thinking {
		if id, ok := tok.TokenID("</think>"); ok {
			gate = id
		} else if jsonOut {
			// The grammar finds "</think>" in the bytes itself.
			after = append(after, grammar.After([]byte("</think>")))
		} else {
			return badRequest("tool_choice", "this model cannot force a tool call in thinking mode (it has no </think> token)")
		}
	}
	vocab, err := g.Model.vocab()
	if err != nil {
		return serverError("the model's vocabulary cannot be constrained: %v", err)
	}
	var gram *grammar.Grammar
	var forcedText, suffixText string
	param := "response_format"
	switch {
	case jsonOut:
		var schema []byte
		if ci.Format.Type == "json_schema" {
			schema = ci.Format.Schema
		}
		gram, err = vocab.Compile(schema)
	case p.format == parse.FormatV32:
		// DSML parameters are not one JSON value: force the opening only.
		forcedText = "\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\""
		if ci.ToolChoice.Mode == "function" {
			forcedText += ci.ToolChoice.Name + "\">\n"
		}
	default:
		param = "tools"
		open, sep, close := toolCallSyntax(p.format)
		forcedText, suffixText = open, close
		if ci.ToolChoice.Mode == "function" {
			forcedText += ci.ToolChoice.Name + sep
			i := slices.IndexFunc(ci.ToolList, func(t toolSpec) bool { return t.Name == ci.ToolChoice.Name })
			gram, err = vocab.Compile(ci.ToolList[i].Parameters)
		} else {
			alts := make([]grammar.Alternative, len(ci.ToolList))
			for i, t := range ci.ToolList {
				alts[i] = grammar.Alternative{Prefix: []byte(t.Name + sep), Schema: json.RawMessage(t.Parameters)}
			}
			gram, err = vocab.CompileChoice(alts)
		}
	}
	if err != nil {
		return badRequest(param, "the JSON schema cannot be enforced: %v", err)
	}
	forced := tok.Encode(forcedText)
	suffix := tok.Encode(suffixText)
	stops := b.StopTokens
	p.newConstraint = func() (engine.Constraint, error) {
		c := &outputConstraint{gate: gate, open: gate < 0, forced: forced, suffix: suffix, stops: stops}
		if gram != nil {
			inner, err := gram.New(after...)
			if err != nil {
				return nil, err
			}
			c.inner = inner
		}
		return c, nil
	}
	return nil
}

// toolCallSyntax returns what opens a tool call in the model's format, what
// separates the function name from its JSON arguments, and what closes the
// call (and the block of calls).
func toolCallSyntax(format string) (open, sep, close string) {
	switch format {
	case parse.FormatV31:
		return "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>", "<｜tool▁sep｜>", "<｜tool▁call▁end｜><｜tool▁calls▁end｜>"
	default: // R1 and V3: type, name and fenced JSON
		return "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>", "\n```json\n", "\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>"
	}
}
