package parse

import (
	"fmt"
	"strings"
)

// EventKind says what an Event carries.
type EventKind uint8

const (
	// ReasoningDelta carries reasoning text (reasoning_content) in Text.
	ReasoningDelta EventKind = iota + 1
	// ContentDelta carries answer text (content) in Text.
	ContentDelta
	// ToolCallStart opens tool call Index with its ID and function Name;
	// its arguments start empty.
	ToolCallStart
	// ToolCallArgs appends the fragment Text to the arguments of call Index.
	ToolCallArgs
	// ToolCallEnd says call Index was closed properly by the model.
	ToolCallEnd
)

// String names the kind, for logs and test failures.
func (k EventKind) String() string {
	switch k {
	case ReasoningDelta:
		return "reasoning"
	case ContentDelta:
		return "content"
	case ToolCallStart:
		return "tool-start"
	case ToolCallArgs:
		return "tool-args"
	case ToolCallEnd:
		return "tool-end"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is one step of parsed output.
type Event struct {
	Kind  EventKind
	Text  string // ReasoningDelta, ContentDelta: the text; ToolCallArgs: the fragment
	Index int    // tool-call events: the call's index (0, 1, ... in order of appearance)
	ID    string // ToolCallStart: the call id ("call_...")
	Name  string // ToolCallStart: the function name
}

// String renders the event compactly, for logs and test failures.
func (e Event) String() string {
	switch e.Kind {
	case ToolCallStart:
		return fmt.Sprintf("%s[%d %s %q]", e.Kind, e.Index, e.ID, e.Name)
	case ToolCallArgs:
		return fmt.Sprintf("%s[%d %q]", e.Kind, e.Index, e.Text)
	case ToolCallEnd:
		return fmt.Sprintf("%s[%d]", e.Kind, e.Index)
	}
	return fmt.Sprintf("%s[%q]", e.Kind, e.Text)
}

// FunctionCall is the function part of an OpenAI tool call.
type FunctionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"` // JSON text, as generated
}

// ToolCall is one OpenAI-shaped tool call.
type ToolCall struct {
	Index    int          `json:"index"`
	ID       string       `json:"id"`
	Type     string       `json:"type"` // always "function"
	Function FunctionCall `json:"function"`
}

// Result is a whole parsed output.
type Result struct {
	Reasoning string
	Content   string
	ToolCalls []ToolCall
	// Truncated reports that the output ended inside a tool call that the
	// model never closed (its arguments may be cut short).
	Truncated bool
}

// Accumulator folds a stream of events into a Result. The zero value is
// ready to use.
type Accumulator struct {
	reasoning, content strings.Builder
	calls              []ToolCall
	args               []strings.Builder
	ended              []bool
}

// Add folds events into the accumulated result. Events for a call index
// that was never started are ignored.
func (a *Accumulator) Add(events ...Event) {
	for _, e := range events {
		switch e.Kind {
		case ReasoningDelta:
			a.reasoning.WriteString(e.Text)
		case ContentDelta:
			a.content.WriteString(e.Text)
		case ToolCallStart:
			a.calls = append(a.calls, ToolCall{Index: e.Index, ID: e.ID, Type: "function",
				Function: FunctionCall{Name: e.Name}})
			a.args = append(a.args, strings.Builder{})
			a.ended = append(a.ended, false)
		case ToolCallArgs:
			if i := a.find(e.Index); i >= 0 {
				a.args[i].WriteString(e.Text)
			}
		case ToolCallEnd:
			if i := a.find(e.Index); i >= 0 {
				a.ended[i] = true
			}
		}
	}
}

func (a *Accumulator) find(index int) int {
	if index >= 0 && index < len(a.calls) && a.calls[index].Index == index {
		return index
	}
	for i := range a.calls {
		if a.calls[i].Index == index {
			return i
		}
	}
	return -1
}

// Result returns what has been accumulated so far.
func (a *Accumulator) Result() Result {
	r := Result{Reasoning: a.reasoning.String(), Content: a.content.String()}
	if len(a.calls) > 0 {
		r.ToolCalls = make([]ToolCall, len(a.calls))
		for i, c := range a.calls {
			c.Function.Arguments = a.args[i].String()
			r.ToolCalls[i] = c
			if !a.ended[i] {
				r.Truncated = true
			}
		}
	}
	return r
}
