package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/seekd/seekd/chat/parse"
	"github.com/seekd/seekd/engine"
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
}

var _ engine.Constraint = (*outputConstraint)(nil)

func (c *outputConstraint) Mask(logits []float32) {
	if !c.open {
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
// tool calls (tool_choice required or a named function) and JSON output
// (response_format, or a named function's arguments) through the model's
// grammar. Without a grammar, JSON output is validated afterwards.
func (s *Server) constrain(g *genRequest, p *prepared) *apiError {
	ci := g.Chat
	b := g.Model.Bundle
	tok := b.Tokenizer
	gate := -1
	if p.thinking {
		id, ok := tok.TokenID("</think>")
		if !ok {
			if ci.ToolChoice.Mode == "required" || ci.ToolChoice.Mode == "function" || ci.Format.Type != "text" && ci.Format.Type != "" {
				return badRequest("tool_choice", "this model cannot constrain its output in thinking mode (no </think> token)")
			}
			return nil
		}
		gate = id
	}
	var forcedText, suffixText string
	var schema []byte
	jsonOut := false
	switch ci.ToolChoice.Mode {
	case "required", "function":
		if ci.Format.Type == "json_object" || ci.Format.Type == "json_schema" {
			return badRequest("response_format", "response_format json cannot be combined with a forced tool_choice")
		}
		forcedText, suffixText = toolCallOpening(p.format, ci.ToolChoice.Name)
		if ci.ToolChoice.Mode == "function" && p.format != parse.FormatV32 {
			jsonOut = true
			for _, t := range ci.ToolList {
				if t.Name == ci.ToolChoice.Name {
					schema = t.Parameters
				}
			}
		}
	}
	switch ci.Format.Type {
	case "json_object":
		jsonOut = true
	case "json_schema":
		jsonOut, schema = true, ci.Format.Schema
	}
	if !jsonOut && forcedText == "" {
		return nil
	}
	var check func(string) error
	if jsonOut && g.Model.grammar == nil {
		var err error
		if check, err = jsonChecker(schema); err != nil {
			return badRequest("response_format", "the JSON schema does not compile: %v", err)
		}
		suffixText = "" // nothing knows when the arguments end
	}
	forced := tok.Encode(forcedText)
	suffix := tok.Encode(suffixText)
	if g.Model.grammar != nil && jsonOut {
		// Compile once now so a bad schema is a 400, not a failed stream.
		if _, err := g.Model.grammar.JSON(schema); err != nil {
			return badRequest("response_format", "the JSON schema cannot be enforced: %v", err)
		}
	}
	grammar := g.Model.grammar
	p.newConstraint = func() (engine.Constraint, error) {
		c := &outputConstraint{gate: gate, open: gate < 0, forced: forced, suffix: suffix}
		if jsonOut && grammar != nil {
			inner, err := grammar.JSON(schema)
			if err != nil {
				return nil, err
			}
			c.inner = inner
		}
		return c, nil
	}
	if ci.ToolChoice.Mode == "required" || ci.ToolChoice.Mode == "function" {
		return nil // arguments are checked by the client, as with any tool call
	}
	p.check = check
	return nil
}

// toolCallOpening returns the text that opens a tool call in the model's
// format (with the function name when one is forced) and the text that
// closes it.
func toolCallOpening(format, name string) (open, close string) {
	switch format {
	case parse.FormatV31:
		if name == "" {
			return "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>", ""
		}
		return "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>" + name + "<｜tool▁sep｜>", "<｜tool▁call▁end｜><｜tool▁calls▁end｜>"
	case parse.FormatV32:
		if name == "" {
			return "\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"", ""
		}
		return "\n\n<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"" + name + "\">\n", ""
	case parse.FormatDeepSeekR1, parse.FormatDeepSeekV3:
		if name == "" {
			return "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>", ""
		}
		return "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>" + name + "\n```json\n", "\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>"
	}
	return "", ""
}

// jsonChecker validates output after generation: a JSON object
// (json_object), or a value valid under schema.
func jsonChecker(schema []byte) (func(string) error, error) {
	if len(schema) == 0 {
		return func(s string) error {
			var obj map[string]json.RawMessage
			if err := json.Unmarshal([]byte(s), &obj); err != nil {
				return fmt.Errorf("%w: %v", errNoJSON, err)
			}
			return nil
		}, nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	if err := c.AddResource("request.json", doc); err != nil {
		return nil, err
	}
	sch, err := c.Compile("request.json")
	if err != nil {
		return nil, err
	}
	return func(s string) error {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(s)))
		if err != nil {
			return fmt.Errorf("%w: %v", errNoJSON, err)
		}
		if err := sch.Validate(v); err != nil {
			return fmt.Errorf("the model's output does not match the JSON schema: %v", err)
		}
		return nil
	}, nil
}

// noLoader refuses every external $ref: a request's schema must not make
// the server read files or URLs.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external schema references are not allowed (%s)", url)
}
