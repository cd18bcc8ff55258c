package chat

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var weatherTools = json.RawMessage(`[
 {"type":"function","function":{"name":"get_weather","description":"Get the weather <today> & now",
  "parameters":{"type":"object","properties":{"city":{"type":"string","description":"e.g. 杭州"}},"required":["city"]}}},
 {"type":"function","function":{"name":"run","description":"Run code",
  "parameters":{"type":"object","properties":{"code":{"type":"string"}}}}}]`)

// The expected prompts below were rendered by Python jinja2 3.1 from the
// DeepSeek-V3.1 template extended with the tool block of vLLM's
// examples/tool_chat_template_deepseekv31.jinja (the model card format),
// given the same tools.
const v31ToolBlock = "## Tools\nYou have access to the following tools:\n\n### get_weather\nDescription: Get the weather <today> & now\n\nParameters: {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"description\": \"e.g. 杭州\"}}, \"required\": [\"city\"]}\n\n### run\nDescription: Run code\n\nParameters: {\"type\": \"object\", \"properties\": {\"code\": {\"type\": \"string\"}}}\n\nIMPORTANT: ALWAYS adhere to this exact format for tool use:\n<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>tool_call_name<｜tool▁sep｜>tool_call_arguments<｜tool▁call▁end｜>{{additional_tool_calls}}<｜tool▁calls▁end｜>\n\nWhere:\n\n- `tool_call_name` must be an exact match to one of the available tools\n- `tool_call_arguments` must be valid JSON that strictly follows the tool's Parameters Schema\n- For multiple tool calls, chain them directly without separators or spaces\n"

func TestWithToolPromptV31(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(fixtureDir, "templates", "deepseek-v3.1.jinja"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := New(string(src), SpecialTokens{"bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		msgs []Message
		want string
	}{
		{"system", []Message{{Role: "system", Content: Text("You are helpful.")}, {Role: "user", Content: Text("Weather in 杭州?")}},
			"<｜begin▁of▁sentence｜>You are helpful.\n\n" + v31ToolBlock + "<｜User｜>Weather in 杭州?<｜Assistant｜></think>"},
		{"no system", []Message{{Role: "user", Content: Text("hi")}},
			"<｜begin▁of▁sentence｜>\n\n" + v31ToolBlock + "<｜User｜>hi<｜Assistant｜></think>"},
	} {
		msgs, err := WithToolPrompt(tc.msgs, weatherTools)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tmpl.Render(context.Background(), Input{Messages: msgs, AddGenerationPrompt: true})
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
		if tc.msgs[0].Content != nil && strings.Contains(*tc.msgs[0].Content, "## Tools") {
			t.Errorf("%s: WithToolPrompt modified its input", tc.name)
		}
	}
}

func TestToolPrompt(t *testing.T) {
	for _, tc := range []struct {
		name, tools, want, err string
	}{
		{name: "empty", tools: `[]`},
		{name: "null", tools: `null`},
		{name: "bare function, no description or parameters", tools: `[{"name":"ping"}]`,
			want: "## Tools\nYou have access to the following tools:\n\n### ping\nDescription: \n\nParameters: {}\n" + toolPromptUsage},
		{name: "floats and escapes", tools: `[{"type":"function","function":{"name":"f","description":"d","parameters":{"x":1.0,"y":"a\"b\n","z":[1e20,0.5]}}}]`,
			want: "## Tools\nYou have access to the following tools:\n\n### f\nDescription: d\n\nParameters: {\"x\": 1.0, \"y\": \"a\\\"b\\n\", \"z\": [1e+20, 0.5]}\n" + toolPromptUsage},
		{name: "not an array", tools: `{"name":"f"}`, err: "not a JSON array"},
		{name: "no name", tools: `[{"type":"function","function":{"description":"x"}}]`, err: "no name"},
		{name: "not an object", tools: `[1]`, err: "not an object"},
		{name: "bad json", tools: `[`, err: "tools"},
	} {
		got, err := ToolPrompt(json.RawMessage(tc.tools))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v\nwant %q", tc.name, got, err, tc.want)
		}
	}
	msgs := []Message{{Role: "user", Content: Text("x")}}
	if out, err := WithToolPrompt(msgs, nil); err != nil || len(out) != 1 {
		t.Errorf("no tools: %v, %v", out, err)
	}
	if _, err := WithToolPrompt(msgs, json.RawMessage(`[1]`)); err == nil {
		t.Error("WithToolPrompt accepted bad tools")
	}
}
