package parse

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// testID is a deterministic call id generator.
func testID(i int) string { return fmt.Sprintf("call_%d", i) }

// run feeds chunks through a fresh parser and returns the events and the
// trace of consumed input.
func run(tb testing.TB, format string, opts Options, chunks []string) ([]Event, []span) {
	tb.Helper()
	var spans []span
	opts.trace = func(c class, s string) { spans = append(spans, span{c, s}) }
	if opts.NewID == nil {
		opts.NewID = testID
	}
	p, err := New(format, opts)
	if err != nil {
		tb.Fatal(err)
	}
	var evs []Event
	for _, c := range chunks {
		evs = p.Feed(evs, c)
	}
	return p.Finish(evs), spans
}

// merge joins adjacent deltas of the same kind (and call), so that event
// streams from different chunkings of one text can be compared.
func merge(evs []Event) []Event {
	var out []Event
	var text strings.Builder // the text of out's last event, while it grows
	flush := func() {
		if n := len(out); n > 0 && text.Len() > 0 {
			out[n-1].Text = text.String()
		}
		text.Reset()
	}
	for _, e := range evs {
		delta := e.Kind == ReasoningDelta || e.Kind == ContentDelta || e.Kind == ToolCallArgs
		if n := len(out); n > 0 && delta && out[n-1].Kind == e.Kind && out[n-1].Index == e.Index {
			text.WriteString(e.Text)
			continue
		}
		flush()
		out = append(out, e)
		if delta {
			text.WriteString(e.Text)
		}
	}
	flush()
	return out
}

// chunkings returns the ways the tests split text: in one piece, in two at
// every byte position, and byte by byte. Long texts get a sample of split
// positions.
func chunkings(text string) [][]string {
	out := [][]string{{text}}
	step := 1
	if len(text) > 5000 {
		step = len(text)/2500 + 1
	}
	for i := 1; i < len(text); i += step {
		out = append(out, []string{text[:i], text[i:]})
	}
	bytes := make([]string, len(text))
	for i := 0; i < len(text); i++ {
		bytes[i] = text[i : i+1]
	}
	return append(out, bytes)
}

// markerStrings are all markers a trace may drop as clsMarker.
var markerStrings = []string{thinkOpen, thinkClose,
	tkCallsBegin, tkCallsEnd, tkCallBegin, tkCallEnd, tkSep,
	dsFuncs, dsFuncsEnd, dsTools, dsToolsEnd, dsInvokeEnd, dsParamEnd}

// check runs text through format under every chunking and verifies:
//   - the merged events do not depend on the chunking;
//   - the trace invariant: the consumed pieces concatenate to the input,
//     reasoning/content events are exactly the pieces classified as such,
//     names and verbatim arguments match their pieces, and what is dropped
//     is a marker, bounded syntax or trimmed whitespace;
//   - the event grammar: calls start in index order, arguments and ends
//     refer to the open call, DSML arguments are always a JSON object.
//
// It returns the merged events of the one-piece run.
func check(t *testing.T, format string, opts Options, text string) []Event {
	t.Helper()
	var want []Event
	for _, chunks := range chunkings(text) {
		evs, spans := run(t, format, opts, chunks)
		if err := checkTrace(format, text, evs, spans); err != nil {
			t.Fatalf("chunks %q: %v\nevents %v", chunks, err, evs)
		}
		got := merge(evs)
		if want == nil {
			want = got
			continue
		}
		if !slices.Equal(got, want) {
			t.Fatalf("chunks %q:\n got %v\nwant %v", chunks, got, want)
		}
	}
	return want
}

func checkTrace(format, text string, evs []Event, spans []span) error {
	var all, reasoning, content, args strings.Builder
	var names []string
	for _, sp := range spans {
		all.WriteString(sp.raw)
		switch sp.c {
		case clsReasoning:
			reasoning.WriteString(sp.raw)
		case clsContent:
			content.WriteString(sp.raw)
		case clsArgs:
			args.WriteString(sp.raw)
		case clsName:
			names = append(names, sp.raw)
		case clsMarker:
			if !slices.Contains(markerStrings, sp.raw) {
				return fmt.Errorf("dropped %q as a marker", sp.raw)
			}
		case clsTrim:
			if trimLeftSpace(sp.raw) != "" {
				return fmt.Errorf("trimmed non-space %q", sp.raw)
			}
		case clsSyntax:
			if len(sp.raw) > maxTag+16 {
				return fmt.Errorf("dropped %d bytes of syntax %q", len(sp.raw), sp.raw)
			}
		}
	}
	if all.String() != text {
		return fmt.Errorf("trace does not add up to the input:\n got %q\nwant %q", all.String(), text)
	}
	var evR, evC, evA strings.Builder
	var evNames []string
	open, next := -1, 0
	callArgs := map[int]*strings.Builder{}
	for _, e := range evs {
		switch e.Kind {
		case ReasoningDelta:
			evR.WriteString(e.Text)
		case ContentDelta:
			evC.WriteString(e.Text)
		case ToolCallStart:
			if e.Index != next || open >= 0 {
				return fmt.Errorf("call %d started (call %d open), want index %d", e.Index, open, next)
			}
			next++
			open = e.Index
			evNames = append(evNames, e.Name)
			callArgs[e.Index] = &strings.Builder{}
		case ToolCallArgs:
			if e.Index != open {
				return fmt.Errorf("arguments for call %d while call %d is open", e.Index, open)
			}
			evA.WriteString(e.Text)
			callArgs[e.Index].WriteString(e.Text)
		case ToolCallEnd:
			if e.Index != open {
				return fmt.Errorf("end of call %d while call %d is open", e.Index, open)
			}
			open = -1
		}
		if (e.Kind == ReasoningDelta || e.Kind == ContentDelta) && e.Text == "" {
			return fmt.Errorf("empty %v event", e.Kind)
		}
	}
	if evR.String() != reasoning.String() {
		return fmt.Errorf("reasoning events %q, traced %q", evR.String(), reasoning.String())
	}
	if evC.String() != content.String() {
		return fmt.Errorf("content events %q, traced %q", evC.String(), content.String())
	}
	if !slices.Equal(evNames, names) {
		return fmt.Errorf("call names %q, traced %q", evNames, names)
	}
	if format == FormatV32 {
		for i, b := range callArgs {
			var obj map[string]any
			if err := json.Unmarshal([]byte(b.String()), &obj); err != nil {
				return fmt.Errorf("call %d: arguments %q are not a JSON object: %v", i, b.String(), err)
			}
		}
	} else if evA.String() != args.String() {
		return fmt.Errorf("argument events %q, traced %q", evA.String(), args.String())
	}
	return nil
}

// result folds events into a Result.
func result(evs []Event) Result {
	var a Accumulator
	a.Add(evs...)
	return a.Result()
}
