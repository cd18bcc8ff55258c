package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/seekd/seekd/chat/internal/jinja"
)

// toolPromptUsage is the instruction text that ends DeepSeek-V3.1's tool
// block (model card "ToolCall" section; vLLM's
// examples/tool_chat_template_deepseekv31.jinja renders the same bytes).
const toolPromptUsage = "\nIMPORTANT: ALWAYS adhere to this exact format for tool use:\n" +
	"<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>tool_call_name<｜tool▁sep｜>tool_call_arguments<｜tool▁call▁end｜>{{additional_tool_calls}}<｜tool▁calls▁end｜>\n" +
	"\nWhere:\n\n" +
	"- `tool_call_name` must be an exact match to one of the available tools\n" +
	"- `tool_call_arguments` must be valid JSON that strictly follows the tool's Parameters Schema\n" +
	"- For multiple tool calls, chain them directly without separators or spaces\n"

// ToolPrompt renders tool definitions (a JSON array in the OpenAI format,
// {"type": "function", "function": {"name", "description", "parameters"}},
// or bare function objects) as the "## Tools" block DeepSeek-V3.1's model
// card puts in the system prompt:
//
//	## Tools
//	You have access to the following tools:
//
//	### NAME
//	Description: DESCRIPTION
//
//	Parameters: PARAMETERS_JSON
//	...
//	IMPORTANT: ALWAYS adhere to this exact format for tool use: ...
//
// Parameters are written as Python's json.dumps writes them (", " and ": "
// separators, key order kept, no ASCII escaping). A missing description is
// empty and missing parameters are {}. No tools (empty, null or []) give "".
func ToolPrompt(tools json.RawMessage) (string, error) {
	if len(bytes.TrimSpace(tools)) == 0 {
		return "", nil
	}
	v, err := jinja.FromJSON(tools)
	if err != nil {
		return "", fmt.Errorf("chat: tools: %w", err)
	}
	if v == nil {
		return "", nil
	}
	list, ok := v.(*jinja.List)
	if !ok {
		return "", fmt.Errorf("chat: tools: not a JSON array")
	}
	if len(list.Items) == 0 {
		return "", nil
	}
	var b strings.Builder
	b.WriteString("## Tools\nYou have access to the following tools:\n")
	for i, it := range list.Items {
		tool, ok := it.(*jinja.Dict)
		if !ok {
			return "", fmt.Errorf("chat: tools[%d]: not an object", i)
		}
		fn := tool
		if f, ok, _ := tool.Get("function"); ok {
			if fd, ok := f.(*jinja.Dict); ok {
				fn = fd
			}
		}
		name, _, _ := fn.Get("name")
		nameStr, ok := name.(string)
		if !ok || nameStr == "" {
			return "", fmt.Errorf("chat: tools[%d]: function has no name", i)
		}
		desc, _, _ := fn.Get("description")
		descStr, _ := desc.(string)
		params, ok, _ := fn.Get("parameters")
		if !ok || params == nil {
			params = jinja.NewDict()
		}
		pj, err := jinja.DumpJSON(params)
		if err != nil {
			return "", fmt.Errorf("chat: tools[%d]: parameters: %w", i, err)
		}
		fmt.Fprintf(&b, "\n### %s\nDescription: %s\n\nParameters: %s\n", nameStr, descStr, pj)
	}
	b.WriteString(toolPromptUsage)
	return b.String(), nil
}

// WithToolPrompt returns a copy of messages that carries the ToolPrompt
// block in its system prompt, for templates that do not render tools
// (see Template.RendersTools): "\n\n" and the block are appended to the
// last system message, or a system message holding them is put first.
// Templates that join all system messages (V3, V3.1) and those that keep
// only the last one (R1) then render the model card's
// "{system}\n\n## Tools..." layout. Without tools, messages come back
// unchanged.
func WithToolPrompt(messages []Message, tools json.RawMessage) ([]Message, error) {
	block, err := ToolPrompt(tools)
	if err != nil || block == "" {
		return messages, err
	}
	out := slices.Clone(messages)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i].Role == "system" {
			content := ""
			if out[i].Content != nil {
				content = *out[i].Content
			}
			out[i].Content = Text(content + "\n\n" + block)
			return out, nil
		}
	}
	return append([]Message{{Role: "system", Content: Text("\n\n" + block)}}, out...), nil
}
