package parse

import (
	"fmt"
	"strings"
)

// Format names (see Formats). R1, V3 and V3.1 share one special-token
// parser that accepts both call layouts (V3's type/name/fenced JSON and
// V3.1's name/raw JSON), so a model served under the neighbouring name
// still works; V3.2 has its own DSML parser. The format does not decide
// where reasoning starts: set Options from the prompt.
const (
	FormatNone       = "none"          // reasoning only; tool calls are not parsed
	FormatDeepSeekR1 = "deepseek-r1"   // R1 and R1-Distill: type, name, fenced JSON
	FormatDeepSeekV3 = "deepseek-v3"   // V3 / V3-0324: as R1
	FormatV31        = "deepseek-v3.1" // V3.1 / V3.1-Terminus: name, raw JSON
	FormatV32        = "deepseek-v3.2" // V3.2: DSML invoke / parameter markup
)

// Formats lists the format names New accepts.
func Formats() []string {
	return []string{FormatNone, FormatDeepSeekR1, FormatDeepSeekV3, FormatV31, FormatV32}
}

// Options configure a Parser. The zero value parses everything as content
// (plus tool calls, depending on the format).
type Options struct {
	// StartInReasoning says the prompt already opened the reasoning: R1 and
	// R1-Distill end the prompt with "<think>\n", V3.1/V3.2 thinking mode
	// with "<think>". The output is reasoning up to the first "</think>".
	// See PromptOpensReasoning.
	StartInReasoning bool
	// LeadingThink lets a "<think>" at the very start of the output open
	// the reasoning (models whose prompt does not force it, such as the
	// first R1 template or R1-0528). Elsewhere "<think>" is plain text.
	LeadingThink bool
	// TrimSpace drops the whitespace around the reasoning (after "<think>",
	// before and after "</think>"), as DeepSeek's API does. Without it the
	// parser removes nothing but the markers.
	TrimSpace bool
	// AllowTool, if set, limits tool calls to the names it accepts; a call
	// to any other name is returned as content. See AllowNames.
	AllowTool func(name string) bool
	// NewID returns the id of call index; nil means NewCallID. Tests inject
	// a deterministic one.
	NewID func(index int) string

	trace tracer // tests: receives every consumed piece of input
}

// stage is what the Parser needs from the tool-call state machine that
// reads the answer text.
type stage interface {
	feed(dst []Event, text string) []Event
	finish(dst []Event) []Event
}

// Parser turns generated text into events, chunk by chunk: a reasoning
// splitter first, then the format's tool-call parser on the answer. A
// Parser serves one output stream and is not safe for concurrent use.
type Parser struct {
	reasoning *reasoningSplitter
	tools     stage // nil for FormatNone
	trace     tracer
	scratch   []Event
	done      bool
}

// New returns a Parser for the named format (one of Formats).
func New(format string, opts Options) (*Parser, error) {
	p := &Parser{trace: opts.trace}
	// The splitter's content is traced by the tool stage that consumes it.
	var rtrace tracer
	if opts.trace != nil {
		rtrace = func(c class, s string) {
			if c != clsContent {
				opts.trace(c, s)
			}
		}
	}
	p.reasoning = newReasoningSplitter(opts, rtrace)
	switch format {
	case FormatNone:
	case FormatDeepSeekR1, FormatDeepSeekV3, FormatV31:
		p.tools = newTokenCalls(opts, opts.trace)
	case FormatV32:
		p.tools = newDSMLCalls(opts, opts.trace)
	default:
		return nil, fmt.Errorf("parse: unknown output format %q (want one of %s)",
			format, strings.Join(Formats(), ", "))
	}
	return p, nil
}

// Feed consumes the next chunk of generated text and appends the resulting
// events to dst. Text that may still be the start of a marker is held back
// until a later Feed or Finish decides it.
func (p *Parser) Feed(dst []Event, text string) []Event {
	if p.done || text == "" {
		return dst
	}
	p.scratch = p.reasoning.feed(p.scratch[:0], text)
	return p.route(dst)
}

// Finish ends the stream: whatever is still held back is released (as
// content, or as arguments of a call that has started) and the events are
// appended to dst. Later calls to Feed or Finish do nothing.
func (p *Parser) Finish(dst []Event) []Event {
	if p.done {
		return dst
	}
	p.done = true
	p.scratch = p.reasoning.finish(p.scratch[:0])
	dst = p.route(dst)
	if p.tools != nil {
		dst = p.tools.finish(dst)
	}
	return dst
}

// route passes the splitter's content through the tool-call stage.
func (p *Parser) route(dst []Event) []Event {
	for _, e := range p.scratch {
		switch {
		case e.Kind != ContentDelta:
			dst = append(dst, e)
		case p.tools != nil:
			dst = p.tools.feed(dst, e.Text)
		default:
			if p.trace != nil {
				p.trace(clsContent, e.Text)
			}
			dst = append(dst, e)
		}
	}
	return dst
}

// Parse parses a whole generated output at once.
func Parse(format, text string, opts Options) (Result, error) {
	p, err := New(format, opts)
	if err != nil {
		return Result{}, err
	}
	var acc Accumulator
	acc.Add(p.Finish(p.Feed(nil, text))...)
	return acc.Result(), nil
}

// PromptOpensReasoning reports whether a rendered prompt ends inside an
// open reasoning block ("<think>", possibly followed by whitespace, as the
// R1 and R1-Distill generation prompts and V3.1/V3.2 thinking mode write
// it), which is when Options.StartInReasoning should be set.
func PromptOpensReasoning(prompt string) bool {
	return strings.HasSuffix(trimRightSpace(prompt), thinkOpen)
}
