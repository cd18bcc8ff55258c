package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

func TestJSONOutput(t *testing.T) {
	// Properties come in the schema's order (the grammar follows it, as
	// OpenAI's strict mode writes them): the keys below are sorted.
	ts := newTestServer(t, serverConfig{script: func(prompt string) string {
		if strings.HasSuffix(prompt, "<think>") {
			return "Ann is thirty.</think>Sure! Here is Ann: name Ann, age 30."
		}
		if strings.Contains(prompt, "chatty") {
			return "Sure! Here is Ann: name Ann, age 30."
		}
		return `{"age": 30, "name": "Ann"}`
	}})
	ctx := context.Background()

	// DeepSeek's rule: json_object needs "json" in the prompt.
	p := userChat("deepseek-chat", "Describe Ann.")
	p.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &shared.ResponseFormatJSONObjectParam{}}
	_, err := ts.client.Chat.Completions.New(ctx, p)
	const deepseekJSON = "Prompt must contain the word 'json' in some form to use 'response_format' of type 'json_object'."
	wantAPIError(t, err, 400, deepseekJSON)
	if apiErr := (*openai.Error)(nil); errors.As(err, &apiErr) && apiErr.Message != deepseekJSON {
		t.Errorf("message %q, want DeepSeek's exactly", apiErr.Message)
	}

	p = userChat("deepseek-chat", "Describe Ann as JSON.")
	p.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &shared.ResponseFormatJSONObjectParam{}}
	resp, err := ts.client.Chat.Completions.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(resp.Choices[0].Message.Content), &obj); err != nil {
		t.Errorf("json_object content %q: %v", resp.Choices[0].Message.Content, err)
	}

	schema := map[string]any{
		"type":                 "object",
		"properties":           map[string]any{"name": map[string]any{"type": "string", "maxLength": 8}, "age": map[string]any{"type": "integer"}},
		"required":             []string{"name", "age"},
		"additionalProperties": false,
	}
	p = userChat("deepseek-chat", "Describe Ann.")
	p.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
		JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "person", Schema: schema, Strict: openai.Bool(true)},
	}}
	resp, err = ts.client.Chat.Completions.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	var person struct {
		Name string `json:"name"`
		Age  int    `json:"age"`
	}
	if err := json.Unmarshal([]byte(resp.Choices[0].Message.Content), &person); err != nil || person.Name != "Ann" || person.Age != 30 {
		t.Errorf("json_schema content %q: %v", resp.Choices[0].Message.Content, err)
	}

	// DeepSeek-strict mode refuses json_schema as DeepSeek does.
	strict := newTestServer(t, serverConfig{script: fixed("{}"), strict: true})
	_, err = strict.client.Chat.Completions.New(ctx, p)
	wantAPIError(t, err, 400, "This response_format type is unavailable now")

	// A model that would rather chat still writes JSON valid under the
	// schema: decoding is constrained.
	p.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Be chatty about Ann.")}
	p.MaxTokens = openai.Int(400)
	resp, err = ts.client.Chat.Completions.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	var loose struct {
		Name string          `json:"name"`
		Age  json.Number     `json:"age"`
		Rest json.RawMessage `json:"-"`
	}
	dec := json.NewDecoder(strings.NewReader(resp.Choices[0].Message.Content))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&loose); err != nil || resp.Choices[0].FinishReason != "stop" {
		t.Errorf("constrained output %q (finish %q) does not match the schema: %v", resp.Choices[0].Message.Content, resp.Choices[0].FinishReason, err)
	} else if strings.Trim(string(loose.Age), "-0123456789") != "" {
		t.Errorf("age %q is not an integer", loose.Age)
	}
	// The same for json_object in thinking mode: reasoning first, then JSON.
	p = userChat("deepseek-reasoner", "Be chatty about Ann, in JSON.")
	p.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &shared.ResponseFormatJSONObjectParam{}}
	p.MaxTokens = openai.Int(400)
	resp, err = ts.client.Chat.Completions.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := extraField(resp.Choices[0].Message.JSON.ExtraFields, "reasoning_content")
	if err := json.Unmarshal([]byte(resp.Choices[0].Message.Content), &obj); err != nil || rc != "Ann is thirty." {
		t.Errorf("thinking json_object: reasoning %q, content %q: %v", rc, resp.Choices[0].Message.Content, err)
	}
}

// fimScript completes a fill-in-the-middle prompt, or continues a code
// block for prefix completion.
func fimScript(prompt string) string {
	if strings.Contains(prompt, "<｜fim▁end｜>") {
		return "    if a < 2:\n        return a\n"
	}
	if strings.HasSuffix(prompt, "```python\n") {
		return "print(fib(10))\n```\nThat prints 55."
	}
	return "Sure."
}

func TestFIMAndPrefix(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: fimScript})
	ctx := context.Background()
	beta := option.WithBaseURL(ts.URL + "/beta/")
	fim := openai.CompletionNewParams{
		Model:     "deepseek-chat",
		Prompt:    openai.CompletionNewParamsPromptUnion{OfString: openai.String("def fib(a):\n")},
		Suffix:    openai.String("    return fib(a-1) + fib(a-2)"),
		MaxTokens: openai.Int(128),
	}
	resp, err := ts.client.Completions.New(ctx, fim, beta)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Object != "text_completion" || resp.Choices[0].Text != "    if a < 2:\n        return a\n" || resp.Choices[0].FinishReason != "stop" || strings.Contains(resp.Choices[0].Text, "return fib(a-1)") {
		t.Errorf("FIM: %+v", resp.Choices)
	}
	var u map[string]any
	json.Unmarshal([]byte(resp.Usage.RawJSON()), &u)
	if _, ok := u["prompt_cache_hit_tokens"]; !ok {
		t.Errorf("FIM usage %s lacks prompt_cache_hit_tokens", resp.Usage.RawJSON())
	}
	// Streaming FIM.
	st := ts.client.Completions.NewStreaming(ctx, fim, beta)
	var text strings.Builder
	for st.Next() {
		if c := st.Current(); len(c.Choices) > 0 {
			text.WriteString(c.Choices[0].Text)
		}
	}
	if st.Err() != nil || text.String() != "    if a < 2:\n        return a\n" {
		t.Errorf("streamed FIM %q, %v", text.String(), st.Err())
	}
	// The non-beta path refuses FIM.
	_, err = ts.client.Completions.New(ctx, fim)
	wantAPIError(t, err, 400, "beta")

	// Chat prefix completion with a stop string returns only the code.
	prefix := openai.ChatCompletionNewParams{
		Model: "deepseek-chat",
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.UserMessage("Print fib(10) in Python."),
			openai.AssistantMessage("```python\n"),
		},
		Stop: openai.ChatCompletionNewParamsStopUnion{OfStringArray: []string{"```"}},
	}
	setPrefix := option.WithJSONSet("messages.1.prefix", true)
	cr, err := ts.client.Chat.Completions.New(ctx, prefix, beta, setPrefix)
	if err != nil {
		t.Fatal(err)
	}
	if cr.Choices[0].Message.Content != "print(fib(10))\n" || cr.Choices[0].FinishReason != "stop" {
		t.Errorf("prefix completion %q %q", cr.Choices[0].Message.Content, cr.Choices[0].FinishReason)
	}
	_, err = ts.client.Chat.Completions.New(ctx, prefix, setPrefix)
	wantAPIError(t, err, 400, "beta")

	// Plain completions with echo.
	plain := openai.CompletionNewParams{Model: "v3", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Hello")}, Echo: openai.Bool(true)}
	pr, err := ts.client.Completions.New(ctx, plain)
	if err != nil || pr.Choices[0].Text != "HelloSure." {
		t.Errorf("echo: %v %+v", err, pr)
	}
}

func TestLogprobs(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: fixed("Hello there, friend.")})
	p := userChat("deepseek-chat", "Hi")
	p.Logprobs = openai.Bool(true)
	p.TopLogprobs = openai.Int(3)
	resp, err := ts.client.Chat.Completions.New(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	lp := resp.Choices[0].Logprobs.Content
	if int64(len(lp)) != resp.Usage.CompletionTokens-1 { // the EOS token is not part of the text
		t.Errorf("%d logprobs for %d completion tokens", len(lp), resp.Usage.CompletionTokens)
	}
	var text strings.Builder
	for _, e := range lp {
		text.WriteString(e.Token)
		if len(e.TopLogprobs) != 3 || e.TopLogprobs[0].Token != e.Token || e.Logprob > 0 || e.Logprob < -0.01 {
			t.Errorf("entry %+v", e)
		}
		if string(byteSlice(e.Bytes)) != e.Token {
			t.Errorf("bytes %v for %q", e.Bytes, e.Token)
		}
	}
	if text.String() != "Hello there, friend." {
		t.Errorf("tokens spell %q", text.String())
	}

	// Streaming: the logprobs ride on the content chunks.
	chunks, _ := streamChat(t, ts, p)
	n := 0
	for _, c := range chunks {
		if len(c.Choices) > 0 {
			n += len(c.Choices[0].Logprobs.Content)
		}
	}
	if n != len(lp) {
		t.Errorf("stream carried %d logprobs, want %d", n, len(lp))
	}

	// Legacy completions: logprobs as an integer.
	cp := openai.CompletionNewParams{Model: "v3", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Hi")}, Logprobs: openai.Int(2)}
	cr, err := ts.client.Completions.New(context.Background(), cp)
	if err != nil {
		t.Fatal(err)
	}
	if l := cr.Choices[0].Logprobs; len(l.Tokens) == 0 || len(l.Tokens) != len(l.TokenLogprobs) || len(l.TopLogprobs[0]) != 2 {
		t.Errorf("legacy logprobs %+v", l)
	}
}

func byteSlice(v []int64) []byte {
	b := make([]byte, len(v))
	for i, x := range v {
		b[i] = byte(x)
	}
	return b
}

func TestStopStringsAndN(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: fixed("Hello world. STOP here, please.")})
	p := userChat("deepseek-chat", "Hi")
	p.Stop = openai.ChatCompletionNewParamsStopUnion{OfStringArray: []string{"STOP", "never"}}
	chunks, whole := streamChat(t, ts, p)
	for _, c := range chunks {
		if len(c.Choices) > 0 && strings.Contains(c.Choices[0].Delta.Content, "ST") {
			t.Errorf("a partial stop string leaked: %q", c.Choices[0].Delta.Content)
		}
	}
	if got := whole.Choices[0].Message.Content; got != "Hello world. " {
		t.Errorf("content %q", got)
	}

	p = userChat("deepseek-chat", "Hi")
	p.N = openai.Int(3)
	p.Seed = openai.Int(7)
	resp, err := ts.client.Chat.Completions.New(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Choices) != 3 {
		t.Fatalf("%d choices", len(resp.Choices))
	}
	for i, c := range resp.Choices {
		if c.Index != int64(i) || c.Message.Content != "Hello world. STOP here, please." {
			t.Errorf("choice %d: %+v", i, c)
		}
	}
	chunks, whole = streamChat(t, ts, p)
	if len(whole.Choices) != 3 {
		t.Errorf("streamed %d choices", len(whole.Choices))
	}
	usage := 0
	for _, c := range chunks {
		if c.JSON.Usage.Valid() {
			usage++
		}
	}
	if usage != 1 {
		t.Errorf("%d usage chunks with n=3", usage)
	}
}
