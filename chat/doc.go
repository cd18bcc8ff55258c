// Package chat renders a model's chat template into the prompt text the
// model was trained on, exactly as Hugging Face's apply_chat_template does.
//
// A Template is built from the Jinja source a model ships (the
// chat_template of tokenizer_config.json, a chat_template.jinja file, or
// later a GGUF's tokenizer.chat_template) plus its special tokens
// (bos_token, eos_token, ...), which templates read as variables. Render
// takes typed messages for the server; RenderJSON takes the raw JSON of an
// OpenAI-style request so that every field, and the key order of tool
// schemas, reaches the template unchanged.
//
// # Jinja engine
//
// Templates run on our own Jinja interpreter (chat/internal/jinja), not on
// an existing Go engine. Byte parity with Python's jinja2 needs Python's
// semantics, not just Jinja's syntax: None prints as "None", "x in None"
// raises, str.split honours maxsplit, floats print as Python's repr,
// json.dumps separators and key order, trim_blocks/lstrip_blocks exactly as
// jinja2's lexer applies them, and jinja2's scoping (a set inside a for
// loop does not leak; namespace() does). The best candidate,
// github.com/ardanlabs/jinja v1.8.0, rendered 214 of the 242 reference
// renderings: it prints None as "", does not raise on "'</think>' in None"
// (the reference errors), and ignores the maxsplit of split('</think>', 1)
// that DeepSeek-V3.1's template uses. gonja/v2 loses key order and spacing.
// The interpreter implements the subset chat templates use, in the
// environment Hugging Face builds: ImmutableSandboxedEnvironment with
// trim_blocks, lstrip_blocks and loop controls, HF's tojson (json.dumps with
// ensure_ascii off and its indent/separators/sort_keys arguments),
// raise_exception and strftime_now; it bounds output size, evaluation steps
// and recursion so that a hostile template cannot hang or exhaust memory.
//
// # Tools
//
// Many DeepSeek templates (V3, V3.1, R1) ignore the tools variable; their
// model cards put tool descriptions in the system prompt instead.
// Template.RendersTools tells the two kinds apart, and ToolPrompt /
// WithToolPrompt render the V3.1 model-card block for templates that do
// not render tools themselves.
package chat
