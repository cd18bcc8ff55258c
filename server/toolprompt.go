package server

import (
	"encoding/json"
	"strings"

	"github.com/seekd/seekd/chat/parse"
)

// toolPrompt renders tool definitions into the system-prompt block DeepSeek's
// model cards give for templates that do not render tools themselves (V3,
// V3.1, R1): each function's name, description and JSON schema, and the
// exact call layout of the model's format.
func toolPrompt(format string, tools []toolSpec) string {
	var b strings.Builder
	b.WriteString("## Tools\nYou have access to the following tools:\n")
	for _, t := range tools {
		b.WriteString("\n### ")
		b.WriteString(t.Name)
		b.WriteString("\nDescription: ")
		b.WriteString(t.Description)
		b.WriteString("\n\nParameters: ")
		params := t.Parameters
		if len(params) == 0 {
			params = json.RawMessage(`{"type": "object", "properties": {}}`)
		}
		b.Write(params)
		b.WriteString("\n")
	}
	b.WriteString("\nIMPORTANT: ALWAYS adhere to this exact format for tool use:\n")
	switch format {
	case parse.FormatDeepSeekR1, parse.FormatDeepSeekV3:
		b.WriteString("<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>tool_call_name\n```json\ntool_call_arguments\n```<｜tool▁call▁end｜>{{additional_tool_calls}}<｜tool▁calls▁end｜>\n")
	case parse.FormatV32:
		b.WriteString("<｜DSML｜function_calls>\n<｜DSML｜invoke name=\"tool_call_name\">\n<｜DSML｜parameter name=\"argument_name\" string=\"true|false\">value</｜DSML｜parameter>\n</｜DSML｜invoke>\n</｜DSML｜function_calls>\n")
	default:
		b.WriteString("<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>tool_call_name<｜tool▁sep｜>tool_call_arguments<｜tool▁call▁end｜>{{additional_tool_calls}}<｜tool▁calls▁end｜>\n")
	}
	b.WriteString("\nWhere:\n\n- `tool_call_name` must be an exact match to one of the available tools\n- `tool_call_arguments` must be valid JSON that strictly follows the tool's Parameters Schema\n- For multiple tool calls, chain them directly without separators or spaces\n")
	return b.String()
}
