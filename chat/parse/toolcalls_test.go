package parse

import (
	"slices"
	"strings"
	"testing"
)

type call struct{ name, args string }

type toolCase struct {
	name      string
	format    string
	opts      Options
	text      string
	reasoning string
	content   string
	calls     []call
	truncated bool
}

// Real strings as the chat templates write tool calls (see
// testdata/chat-templates/templates), and variations on them.
const (
	v3Call1  = "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜>"
	v3Call2  = "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Oslo\", \"unit\": \"celsius\"}\n```<｜tool▁call▁end｜>"
	v31Call1 = "<｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\": \"Paris\"}<｜tool▁call▁end｜>"
	v31Call2 = "<｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\": \"Oslo\", \"unit\": \"celsius\"}<｜tool▁call▁end｜>"
	dsCall1  = "<｜DSML｜invoke name=\"get_weather\">\n<｜DSML｜parameter name=\"city\" string=\"true\">Paris</｜DSML｜parameter>\n</｜DSML｜invoke>"
	dsCall2  = "<｜DSML｜invoke name=\"get_weather\">\n<｜DSML｜parameter name=\"city\" string=\"true\">Oslo</｜DSML｜parameter>\n<｜DSML｜parameter name=\"unit\" string=\"true\">celsius</｜DSML｜parameter>\n</｜DSML｜invoke>"
)

var (
	paris = call{"get_weather", `{"city": "Paris"}`}
	oslo  = call{"get_weather", `{"city": "Oslo", "unit": "celsius"}`}
)

func toolCases() []toolCase {
	r1 := Options{StartInReasoning: true}
	allowRun := Options{AllowTool: AllowNames("run_python")}
	var cases []toolCase
	for _, f := range []string{FormatDeepSeekR1, FormatDeepSeekV3} {
		cases = append(cases, []toolCase{
			{name: "one call", format: f,
				text:  tkCallsBegin + v3Call1 + tkCallsEnd,
				calls: []call{paris}},
			{name: "two calls", format: f,
				text:  tkCallsBegin + v3Call1 + "\n" + v3Call2 + tkCallsEnd,
				calls: []call{paris, oslo}},
			{name: "content first", format: f,
				text:    "Let me check.\n\n" + tkCallsBegin + v3Call1 + tkCallsEnd,
				content: "Let me check.\n\n", calls: []call{paris}},
			{name: "after reasoning", format: f, opts: r1,
				text:      "The user wants weather.\n</think>\n\n" + tkCallsBegin + v3Call1 + tkCallsEnd,
				reasoning: "The user wants weather.\n", content: "\n\n", calls: []call{paris}},
			{name: "after reasoning trimmed", format: f, opts: Options{StartInReasoning: true, TrimSpace: true},
				text:      "The user wants weather.\n</think>\n\n" + tkCallsBegin + v3Call1 + tkCallsEnd,
				reasoning: "The user wants weather.", calls: []call{paris}},
			{name: "cjk arguments", format: f,
				text:  tkCallsBegin + "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"杭州\"}\n```<｜tool▁call▁end｜>" + tkCallsEnd,
				calls: []call{{"get_weather", `{"city": "杭州"}`}}},
			{name: "multi-line arguments", format: f,
				text:  tkCallsBegin + "<｜tool▁call▁begin｜>function<｜tool▁sep｜>run_python\n```json\n{\n  \"code\": \"print(\\\"```\\\")\"\n}\n```<｜tool▁call▁end｜>" + tkCallsEnd,
				calls: []call{{"run_python", "{\n  \"code\": \"print(\\\"```\\\")\"\n}"}}},
			{name: "text after the block", format: f,
				text:    "A" + tkCallsBegin + v3Call1 + tkCallsEnd + "B",
				content: "AB", calls: []call{paris}},
			{name: "second tool turn (template quirk)", format: f,
				text:    "\n" + v3Call1 + tkCallsEnd,
				content: "\n", calls: []call{paris}},
			{name: "no fence", format: f,
				text:  tkCallsBegin + "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n{\"city\": \"Paris\"}<｜tool▁call▁end｜>" + tkCallsEnd,
				calls: []call{paris}},
			{name: "missing call end", format: f,
				text:  tkCallsBegin + "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\"}\n```" + tkCallsEnd,
				calls: []call{paris}},
			{name: "truncated in arguments", format: f,
				text:  tkCallsBegin + "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Pa",
				calls: []call{{"get_weather", `{"city": "Pa`}}, truncated: true},
			{name: "truncated in closing fence", format: f,
				text:  tkCallsBegin + "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\"}\n``",
				calls: []call{{"get_weather", "{\"city\": \"Paris\"}\n``"}}, truncated: true},
			{name: "truncated in name", format: f,
				text:    "Hi" + tkCallsBegin + "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_wea",
				content: "Hi" + tkCallsBegin + "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_wea"},
			{name: "truncated in marker", format: f,
				text:    "Hi<｜tool▁calls▁be",
				content: "Hi<｜tool▁calls▁be"},
			{name: "invalid JSON passes through", format: f,
				text:  tkCallsBegin + "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{city: Paris\n```<｜tool▁call▁end｜>" + tkCallsEnd,
				calls: []call{{"get_weather", "{city: Paris"}}},
			{name: "garbage in block", format: f,
				text:    tkCallsBegin + "hello" + v3Call1,
				content: tkCallsBegin + "hello", calls: []call{paris}},
			{name: "name not allowed", format: f, opts: allowRun,
				text:    tkCallsBegin + v3Call1 + tkCallsEnd,
				content: tkCallsBegin + v3Call1 + tkCallsEnd},
			{name: "invalid name", format: f,
				text:    tkCallsBegin + "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get weather\n{}<｜tool▁call▁end｜>",
				content: tkCallsBegin + "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get weather\n{}<｜tool▁call▁end｜>"},
			{name: "v3.1 layout accepted", format: f,
				text:  tkCallsBegin + v31Call1 + tkCallsEnd,
				calls: []call{paris}},
			{name: "lookalike markers", format: f,
				text:    "a <｜tool▁call x <｜tool▁calls▁begin| y ```json",
				content: "a <｜tool▁call x <｜tool▁calls▁begin| y ```json"},
		}...)
	}
	v31 := FormatV31
	cases = append(cases, []toolCase{
		{name: "one call", format: v31,
			text:  tkCallsBegin + v31Call1 + tkCallsEnd,
			calls: []call{paris}},
		{name: "two calls", format: v31,
			text:  tkCallsBegin + v31Call1 + v31Call2 + tkCallsEnd,
			calls: []call{paris, oslo}},
		{name: "content first", format: v31,
			text:    "Let me check." + tkCallsBegin + v31Call1 + tkCallsEnd,
			content: "Let me check.", calls: []call{paris}},
		{name: "thinking mode", format: v31, opts: Options{StartInReasoning: true},
			text:      "Need weather.</think>" + tkCallsBegin + v31Call1 + tkCallsEnd,
			reasoning: "Need weather.", calls: []call{paris}},
		{name: "chat mode stray close", format: v31,
			text:    "a</think>b",
			content: "a</think>b"},
		{name: "empty arguments", format: v31,
			text:  tkCallsBegin + "<｜tool▁call▁begin｜>now<｜tool▁sep｜><｜tool▁call▁end｜>" + tkCallsEnd,
			calls: []call{{"now", ""}}},
		{name: "space before arguments", format: v31,
			text:  tkCallsBegin + "<｜tool▁call▁begin｜> get_weather <｜tool▁sep｜> {\"city\": \"Paris\"}<｜tool▁call▁end｜>" + tkCallsEnd,
			calls: []call{{"get_weather", ` {"city": "Paris"}`}}},
		{name: "missing calls end", format: v31,
			text:  tkCallsBegin + v31Call1,
			calls: []call{paris}},
		{name: "call begin ends arguments", format: v31,
			text:  tkCallsBegin + "<｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\": \"Paris\"}" + v31Call2 + tkCallsEnd,
			calls: []call{paris, oslo}},
		{name: "newline in name", format: v31,
			text:    tkCallsBegin + "<｜tool▁call▁begin｜>get\nweather<｜tool▁sep｜>{}",
			content: tkCallsBegin + "<｜tool▁call▁begin｜>get\nweather<｜tool▁sep｜>{}"},
		{name: "allowed name", format: v31, opts: allowRun,
			text:  tkCallsBegin + "<｜tool▁call▁begin｜>run_python<｜tool▁sep｜>{\"code\": \"1\"}<｜tool▁call▁end｜>" + tkCallsEnd,
			calls: []call{{"run_python", `{"code": "1"}`}}},
		{name: "one allowed one not", format: v31, opts: allowRun,
			text:    tkCallsBegin + "<｜tool▁call▁begin｜>run_python<｜tool▁sep｜>{}<｜tool▁call▁end｜>" + v31Call1 + tkCallsEnd,
			content: v31Call1 + tkCallsEnd, calls: []call{{"run_python", `{}`}}},
		{name: "long gap after tool-sep", format: v31,
			text:    tkCallsBegin + tkCallBegin + "f" + tkSep + strings.Repeat(" ", maxGap+1) + "{}" + tkCallEnd,
			content: tkCallsBegin + tkCallBegin + "f" + tkSep + strings.Repeat(" ", maxGap+1) + "{}" + tkCallEnd},
		{name: "gap at the cap", format: v31,
			text:  tkCallsBegin + strings.Repeat("\n", maxGap) + tkCallBegin + "f" + tkSep + strings.Repeat(" ", maxGap) + "{}" + tkCallEnd + strings.Repeat("\n", maxGap) + tkCallsEnd,
			calls: []call{{"f", strings.Repeat(" ", maxGap) + "{}"}}},
		{name: "long gap between calls", format: v31,
			text:    tkCallsBegin + v31Call1 + strings.Repeat("\n", maxGap+1) + v31Call2,
			content: strings.Repeat("\n", maxGap+1), calls: []call{paris, oslo}}, // a bare call-begin opens a block
		{name: "over-long head", format: v31,
			text:    tkCallsBegin + tkCallBegin + strings.Repeat("x", 400) + tkSep + "{}",
			content: tkCallsBegin + tkCallBegin + strings.Repeat("x", 400) + tkSep + "{}"},
	}...)
	v32 := FormatV32
	block := func(invokes ...string) string {
		return "\n\n" + dsFuncs + "\n" + strings.Join(invokes, "\n") + "\n" + dsFuncsEnd
	}
	cases = append(cases, []toolCase{
		{name: "one call", format: v32,
			text:  block(dsCall1),
			calls: []call{paris}},
		{name: "two calls", format: v32,
			text:  block(dsCall1, dsCall2),
			calls: []call{paris, oslo}},
		{name: "content first", format: v32,
			text:    "Let me check." + block(dsCall1),
			content: "Let me check.", calls: []call{paris}},
		{name: "thinking mode", format: v32, opts: Options{StartInReasoning: true},
			text:      "Need weather.</think>Checking." + block(dsCall1),
			reasoning: "Need weather.", content: "Checking.", calls: []call{paris}},
		{name: "documented example", format: v32,
			text: block(`<｜DSML｜invoke name="get_weather">
<｜DSML｜parameter name="location" string="true">Hangzhou</｜DSML｜parameter>
<｜DSML｜parameter name="date" string="true">2024-01-16</｜DSML｜parameter>
</｜DSML｜invoke>`),
			calls: []call{{"get_weather", `{"location": "Hangzhou", "date": "2024-01-16"}`}}},
		{name: "typed values", format: v32,
			text: block(`<｜DSML｜invoke name="f">
<｜DSML｜parameter name="n" string="false">90</｜DSML｜parameter>
<｜DSML｜parameter name="ok" string="false">true</｜DSML｜parameter>
<｜DSML｜parameter name="xs" string="false">[1, "二", {"a": null}]</｜DSML｜parameter>
<｜DSML｜parameter name="bad" string="false">not json</｜DSML｜parameter>
<｜DSML｜parameter name="auto">42</｜DSML｜parameter>
<｜DSML｜parameter name="path">a.txt</｜DSML｜parameter>
</｜DSML｜invoke>`),
			calls: []call{{"f", `{"n": 90, "ok": true, "xs": [1, "二", {"a": null}], "bad": "not json", "auto": 42, "path": "a.txt"}`}}},
		{name: "string escaping", format: v32,
			text:  block("<｜DSML｜invoke name=\"write\">\n<｜DSML｜parameter name=\"content\" string=\"true\">#!/bin/sh\necho \"hi\\there\"\t</x>\x01</｜DSML｜parameter>\n</｜DSML｜invoke>"),
			calls: []call{{"write", `{"content": "#!/bin/sh\necho \"hi\\there\"\t</x>\u0001"}`}}},
		{name: "no parameters", format: v32,
			text:  block(`<｜DSML｜invoke name="now">` + "\n" + dsInvokeEnd),
			calls: []call{{"now", `{}`}}},
		{name: "v4 tool_calls block", format: v32,
			text:  "\n\n" + dsTools + "\n" + dsCall1 + "\n" + dsToolsEnd,
			calls: []call{paris}},
		{name: "compact layout", format: v32,
			text:  dsFuncs + `<｜DSML｜invoke name="get_weather"><｜DSML｜parameter name="city" string="true">Paris</｜DSML｜parameter></｜DSML｜invoke>` + dsFuncsEnd,
			calls: []call{paris}},
		{name: "text after the block", format: v32,
			text:    "A" + block(dsCall1) + "B",
			content: "AB", calls: []call{paris}},
		{name: "truncated in value", format: v32,
			text:  block(dsCall1, `<｜DSML｜invoke name="get_weather">`+"\n"+`<｜DSML｜parameter name="city" string="true">Os`)[:len(block(dsCall1, `<｜DSML｜invoke name="get_weather">`+"\n"+`<｜DSML｜parameter name="city" string="true">Os`))-len("\n"+dsFuncsEnd)],
			calls: []call{paris, {"get_weather", `{"city": "Os"}`}}, truncated: true},
		{name: "truncated in typed value", format: v32,
			text:  dsFuncs + `<｜DSML｜invoke name="f"><｜DSML｜parameter name="n" string="false">[1, 2`,
			calls: []call{{"f", `{"n": "[1, 2"}`}}, truncated: true},
		{name: "truncated in invoke tag", format: v32,
			text:    "Hi\n\n" + dsFuncs + "\n<｜DSML｜invoke name=\"get_wea",
			content: "Hi\n\n" + dsFuncs + "\n<｜DSML｜invoke name=\"get_wea"},
		{name: "truncated in opener", format: v32,
			text:    "Hi\n\n<｜DSML｜function_ca",
			content: "Hi\n\n<｜DSML｜function_ca"},
		{name: "truncated after parameter", format: v32,
			text:  dsFuncs + "\n" + dsCall1[:len(dsCall1)-len(dsInvokeEnd)] + "</｜DSML｜inv",
			calls: []call{paris}, content: "\n</｜DSML｜inv", truncated: true},
		{name: "invoke left open", format: v32,
			text:  dsFuncs + "\n" + dsCall1[:len(dsCall1)-len(dsInvokeEnd)] + dsCall2 + "\n" + dsFuncsEnd,
			calls: []call{paris, oslo}},
		{name: "garbage in block", format: v32,
			text:    "\n\n" + dsFuncs + "\nhello",
			content: "\n\n" + dsFuncs + "\nhello"},
		{name: "garbage in invoke", format: v32,
			text:  dsFuncs + `<｜DSML｜invoke name="f">oops</｜DSML｜invoke>`,
			calls: []call{{"f", `{}`}}, content: "oops</｜DSML｜invoke>"},
		{name: "name not allowed", format: v32, opts: allowRun,
			text:    block(dsCall1),
			content: block(dsCall1)},
		{name: "bad attribute", format: v32,
			text:    dsFuncs + `<｜DSML｜invoke name=get_weather>`,
			content: dsFuncs + `<｜DSML｜invoke name=get_weather>`},
		{name: "long gap in block", format: v32,
			text:    dsFuncs + strings.Repeat(" ", maxGap+1) + dsCall1,
			content: dsFuncs + strings.Repeat(" ", maxGap+1) + dsCall1},
		{name: "long gap in invoke", format: v32,
			text:  dsFuncs + `<｜DSML｜invoke name="f">` + strings.Repeat(" ", maxGap+1) + dsInvokeEnd,
			calls: []call{{"f", "{}"}}, content: strings.Repeat(" ", maxGap+1) + dsInvokeEnd},
		{name: "over-long tag", format: v32,
			text:    dsFuncs + `<｜DSML｜invoke name="f"` + strings.Repeat(" ", maxTag) + `>`,
			content: dsFuncs + `<｜DSML｜invoke name="f"` + strings.Repeat(" ", maxTag) + `>`},
		{name: "blank lines in content", format: v32,
			text:    "a\n\nb\n\n\n<c>",
			content: "a\n\nb\n\n\n<c>"},
	}...)
	for _, f := range Formats() {
		cases = append(cases, toolCase{name: "plain text", format: f,
			text: "Plain answer with <b>tags</b>, ``` fences and 中文.", content: "Plain answer with <b>tags</b>, ``` fences and 中文."})
	}
	cases = append(cases, toolCase{name: "tool tokens are text", format: FormatNone,
		text: tkCallsBegin + v3Call1 + tkCallsEnd, content: tkCallsBegin + v3Call1 + tkCallsEnd})
	return cases
}

func TestToolCalls(t *testing.T) {
	for _, c := range toolCases() {
		t.Run(c.format+"/"+c.name, func(t *testing.T) {
			evs := check(t, c.format, c.opts, c.text)
			got := result(evs)
			if got.Reasoning != c.reasoning || got.Content != c.content {
				t.Errorf("got reasoning %q content %q\nwant reasoning %q content %q", got.Reasoning, got.Content, c.reasoning, c.content)
			}
			var calls []call
			for i, tc := range got.ToolCalls {
				calls = append(calls, call{tc.Function.Name, tc.Function.Arguments})
				if tc.Index != i || tc.ID != testID(i) || tc.Type != "function" {
					t.Errorf("call %d: index %d id %q type %q", i, tc.Index, tc.ID, tc.Type)
				}
			}
			if !slices.Equal(calls, c.calls) {
				t.Errorf("calls\n got %q\nwant %q", calls, c.calls)
			}
			if got.Truncated != c.truncated {
				t.Errorf("truncated = %v, want %v", got.Truncated, c.truncated)
			}
			// The non-streaming helper agrees with the stream.
			whole, err := Parse(c.format, c.text, Options{StartInReasoning: c.opts.StartInReasoning,
				TrimSpace: c.opts.TrimSpace, AllowTool: c.opts.AllowTool, NewID: testID})
			if err != nil {
				t.Fatal(err)
			}
			if whole.Content != got.Content || len(whole.ToolCalls) != len(got.ToolCalls) {
				t.Errorf("Parse disagrees: %+v", whole)
			}
		})
	}
}

// TestStreamingEvents checks the shape of the event stream an SSE writer
// sees: the start (index, id, name) comes before any argument, and
// arguments arrive in pieces while they are generated.
func TestStreamingEvents(t *testing.T) {
	p, err := New(FormatV31, Options{NewID: testID})
	if err != nil {
		t.Fatal(err)
	}
	chunks := []string{"Checking.", "<｜tool▁calls▁begin｜>", "<｜tool▁call▁begin｜>", "get_", "weather", "<｜tool▁sep｜>",
		"{\"", "city", "\": \"", "Paris", "\"}", "<｜tool▁call▁end｜>", "<｜tool▁calls▁end｜>"}
	var log []string
	for _, c := range chunks {
		for _, e := range p.Feed(nil, c) {
			log = append(log, e.String())
		}
	}
	for _, e := range p.Finish(nil) {
		log = append(log, e.String())
	}
	want := []string{`content["Checking."]`, `tool-start[0 call_0 "get_weather"]`,
		`tool-args[0 "{\""]`, `tool-args[0 "city"]`, `tool-args[0 "\": \""]`, `tool-args[0 "Paris"]`, `tool-args[0 "\"}"]`,
		`tool-end[0]`}
	if !slices.Equal(log, want) {
		t.Errorf("events\n got %q\nwant %q", log, want)
	}
}

func TestNewRejectsUnknownFormat(t *testing.T) {
	if _, err := New("deepseek-v9", Options{}); err == nil || !strings.Contains(err.Error(), "deepseek-v9") {
		t.Errorf("New(unknown) error = %v", err)
	}
	if _, err := Parse("", "x", Options{}); err == nil {
		t.Error("Parse with an empty format: no error")
	}
}

func TestNewCallID(t *testing.T) {
	seen := map[string]bool{}
	for i := range 100 {
		id := NewCallID(i % 12)
		if len(id) != len("call_00_")+24 || !strings.HasPrefix(id, "call_") || seen[id] {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
	if id := NewCallID(3); !strings.HasPrefix(id, "call_03_") {
		t.Errorf("NewCallID(3) = %q", id)
	}
}

// TestMarkerSetsUnambiguous checks the markerSet assumption: no marker
// occurs inside a proper prefix of another marker of its set.
func TestMarkerSetsUnambiguous(t *testing.T) {
	for _, set := range []*markerSet{tkOpeners, tkArgsPlain, tkArgsFenced, dsOpeners} {
		for _, a := range set.list {
			for _, b := range set.list {
				for n := 1; n < len(b); n++ {
					if strings.Contains(b[:n], a) {
						t.Errorf("%q occurs inside %q", a, b[:n])
					}
				}
			}
		}
	}
}

// TestToolHoldsOnlyWhatItMust checks that the tool-call stages release
// text as soon as it cannot be part of a marker, and never emit a piece of
// a marker.
func TestToolHoldsOnlyWhatItMust(t *testing.T) {
	type step struct{ in, out string } // out: the concatenated event texts
	cases := []struct {
		format string
		steps  []step
	}{
		{FormatV31, []step{
			{"Hi <｜tool", "Hi "},                               // may become calls-begin or call-begin
			{"▁calls▁x", "<｜tool▁calls▁x"},                     // no longer
			{"<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get", ""}, // a call, name not complete
			{"_weather<｜tool▁sep｜>", ""},                       // layout not known until the next byte
			{"{\"a\": 1", "get_weather{\"a\": 1"},              // start (its name shown here) and arguments
			{"}<｜tool▁call▁e", "}"},                            // the rest may end the call
			{"nd｜>", ""},
		}},
		{FormatDeepSeekR1, []step{
			{tkCallsBegin + tkCallBegin + "function" + tkSep + "f\n```json\n{}\n", "f{}"}, // "\n" may close the fence
			{"`", ""},
			{"`x", "\n``x"}, // it did not
		}},
		{FormatV32, []step{
			{"Done.\n", "Done."},    // "\n" may start "\n\n<｜DSML｜function_calls>"
			{"\nNext", "\n\nNext"},  // it did not
			{"\n\n<｜DSML｜func", ""}, // it may
			{"tion_calls>\n<｜DSML｜invoke name=\"f\">", "f"},
			{"<｜DSML｜parameter name=\"s\" string=\"true\">a</｜DSML｜par", "{\"s\": \"a"},
			{"ameter>", "\""},
		}},
	}
	for _, c := range cases {
		p, err := New(c.format, Options{NewID: testID})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range c.steps {
			var got strings.Builder
			for _, e := range p.Feed(nil, s.in) {
				got.WriteString(e.Text + e.Name)
			}
			if got.String() != s.out {
				t.Fatalf("%s: feed %q: emitted %q, want %q", c.format, s.in, got.String(), s.out)
			}
		}
	}
}
