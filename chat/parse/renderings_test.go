package parse

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// rendering is one line of testdata/chat-templates/renderings.jsonl: a
// conversation rendered by a real chat template with Python's jinja2.
type rendering struct {
	Template string `json:"template"`
	Case     string `json:"case"`
	Messages []struct {
		Role      string  `json:"role"`
		Content   *string `json:"content"`
		ToolCalls []struct {
			Function struct {
				Name      string `json:"name"`
				Arguments string `json:"arguments"`
			} `json:"function"`
		} `json:"tool_calls"`
	} `json:"messages"`
	Rendered *string `json:"rendered"`
}

func loadRenderings(t *testing.T) []rendering {
	t.Helper()
	f, err := os.Open("../../testdata/chat-templates/renderings.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []rendering
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var r rendering
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("renderings.jsonl:%d: %v", n, err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// templateFormats maps the DeepSeek templates of the fixture to formats.
var templateFormats = map[string]string{
	"deepseek-v3":         FormatDeepSeekV3,
	"deepseek-r1":         FormatDeepSeekR1,
	"deepseek-r1-distill": FormatDeepSeekR1,
	"deepseek-v3.1":       FormatV31,
}

// segmentCuts are the tokens that end a model turn in a rendered prompt,
// or start the turn's own text.
var segmentCuts = []string{"<｜User｜>", "<｜Assistant｜>", "<｜end▁of▁sentence｜>",
	"<｜tool▁outputs▁begin｜>", "<｜tool▁output▁begin｜>", "<｜tool▁outputs▁end｜>", "</think>"}

// TestRenderedToolCalls parses the tool calls that the real templates wrote
// into the fixture's prompts (the layout the models were trained to emit)
// and compares them with the conversation's tool_calls.
func TestRenderedToolCalls(t *testing.T) {
	total := 0
	for _, r := range loadRenderings(t) {
		format, ok := templateFormats[r.Template]
		if !ok || r.Rendered == nil {
			continue
		}
		text := *r.Rendered
		// Split the prompt into turns; the ones holding calls are what a
		// model would generate.
		segs := []string{text}
		for _, cut := range segmentCuts {
			var next []string
			for _, s := range segs {
				next = append(next, strings.Split(s, cut)...)
			}
			segs = next
		}
		var got []call
		var content []string
		for _, s := range segs {
			if !strings.Contains(s, tkCallBegin) {
				continue
			}
			res := result(check(t, format, Options{}, s))
			if res.Truncated && strings.Contains(s, tkCallEnd) {
				t.Errorf("%s/%s: segment %q parsed as truncated", r.Template, r.Case, s)
			}
			for _, c := range res.ToolCalls {
				got = append(got, call{c.Function.Name, c.Function.Arguments})
			}
			content = append(content, res.Content)
		}
		// The calls the template chose to render (V3 and R1 drop the calls
		// of a message that also has content).
		var want []call
		var wantContent []string
		for _, m := range r.Messages {
			rendered := false
			for _, tc := range m.ToolCalls {
				name, args := tc.Function.Name, tc.Function.Arguments
				layout := "function" + tkSep + name + "\n```json\n" + args + "\n```" + tkCallEnd
				if format == FormatV31 {
					layout = name + tkSep + args + tkCallEnd
				}
				if strings.Contains(text, layout) {
					want = append(want, call{name, args})
					rendered = true
				}
			}
			if rendered && format == FormatV31 {
				c := ""
				if m.Content != nil {
					c = *m.Content
				}
				wantContent = append(wantContent, c)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s/%s: calls\n got %q\nwant %q", r.Template, r.Case, got, want)
		}
		if format == FormatV31 && !slices.Equal(content, wantContent) {
			t.Errorf("%s/%s: content %q, want %q", r.Template, r.Case, content, wantContent)
		}
		total += len(got)
	}
	if total < 40 {
		t.Errorf("only %d tool calls found in the renderings", total)
	}
}

// encodeDSML writes an assistant turn the way DeepSeek-V3.2's
// encoding_dsv32.py does: content, then "\n\n<｜DSML｜function_calls>\n",
// the invokes joined by "\n", and "\n</｜DSML｜function_calls>". String
// arguments are written raw with string="true", others as JSON.
func encodeDSML(content string, calls []call) (string, error) {
	var invokes []string
	for _, c := range calls {
		dec := json.NewDecoder(strings.NewReader(c.args))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return "", fmt.Errorf("arguments %q: not an object", c.args)
		}
		var params []string
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return "", err
			}
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return "", err
			}
			var str string
			value, isString := string(raw), "false"
			if json.Unmarshal(raw, &str) == nil {
				value, isString = str, "true"
			}
			params = append(params, fmt.Sprintf("<｜DSML｜parameter name=%q string=%q>%s</｜DSML｜parameter>", key, isString, value))
		}
		invokes = append(invokes, fmt.Sprintf("<｜DSML｜invoke name=%q>\n%s\n</｜DSML｜invoke>", c.name, strings.Join(params, "\n")))
	}
	return content + "\n\n<｜DSML｜function_calls>\n" + strings.Join(invokes, "\n") + "\n</｜DSML｜function_calls>", nil
}

// TestDSMLRoundTrip encodes the fixture's tool calls as V3.2 writes them
// and checks that parsing gives back the same arguments, byte for byte
// (the fixture's arguments use Python's json.dumps layout, as does the
// parser).
func TestDSMLRoundTrip(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range loadRenderings(t) {
		for _, m := range r.Messages {
			if len(m.ToolCalls) == 0 {
				continue
			}
			var calls []call
			for _, tc := range m.ToolCalls {
				calls = append(calls, call{tc.Function.Name, tc.Function.Arguments})
			}
			content := ""
			if m.Content != nil {
				content = *m.Content
			}
			text, err := encodeDSML(content, calls)
			if err != nil {
				t.Fatal(err)
			}
			if seen[text] {
				continue
			}
			seen[text] = true
			for _, thinking := range []bool{false, true} {
				in, opts := text, Options{}
				if thinking {
					in, opts = "Need tools.</think>"+text, Options{StartInReasoning: true}
				}
				res := result(check(t, FormatV32, opts, in))
				var got []call
				for _, c := range res.ToolCalls {
					got = append(got, call{c.Function.Name, c.Function.Arguments})
				}
				if !slices.Equal(got, calls) || res.Content != content || res.Truncated {
					t.Errorf("%q:\n got %q content %q\nwant %q content %q", in, got, res.Content, calls, content)
				}
			}
		}
	}
	if len(seen) == 0 {
		t.Fatal("no tool calls in the renderings")
	}
}
