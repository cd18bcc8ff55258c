package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

func userChat(model, text string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{Model: model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text)}}
}

func TestChatNonStream(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: fixed("Hello there!")})
	ctx := context.Background()
	resp, err := ts.client.Chat.Completions.New(ctx, userChat("deepseek-chat", "Hi"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Object != "chat.completion" || len(resp.Choices) != 1 {
		t.Fatalf("object %q, %d choices", resp.Object, len(resp.Choices))
	}
	ch := resp.Choices[0]
	if ch.Message.Content != "Hello there!" || ch.FinishReason != "stop" || ch.Message.Role != "assistant" {
		t.Errorf("message %+v, finish %q", ch.Message.Content, ch.FinishReason)
	}
	var u map[string]any
	if err := json.Unmarshal([]byte(resp.Usage.RawJSON()), &u); err != nil {
		t.Fatal(err)
	}
	hit, miss := u["prompt_cache_hit_tokens"].(float64), u["prompt_cache_miss_tokens"].(float64)
	if int64(hit+miss) != resp.Usage.PromptTokens || resp.Usage.PromptTokens == 0 {
		t.Errorf("usage %s: hit+miss != prompt_tokens", resp.Usage.RawJSON())
	}
	if resp.Usage.CompletionTokens == 0 || resp.Usage.TotalTokens != resp.Usage.PromptTokens+resp.Usage.CompletionTokens {
		t.Errorf("usage %s", resp.Usage.RawJSON())
	}
	if resp.Usage.PromptTokensDetails.CachedTokens != int64(hit) {
		t.Errorf("cached_tokens %d, hit %v", resp.Usage.PromptTokensDetails.CachedTokens, hit)
	}
	if _, ok := resp.Choices[0].Message.JSON.ExtraFields["reasoning_content"]; ok {
		t.Error("non-thinking response has reasoning_content")
	}

	// Content as an array of text parts is flattened (OpenAI clients send it).
	parts := openai.ChatCompletionNewParams{Model: "v3", Messages: []openai.ChatCompletionMessageParamUnion{
		openai.SystemMessage("Be brief."),
		openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{openai.TextContentPart("Hi "), openai.TextContentPart("there")}),
	}}
	resp, err = ts.client.Chat.Completions.New(ctx, parts)
	if err != nil || resp.Choices[0].Message.Content != "Hello there!" {
		t.Fatalf("text parts: %v %+v", err, resp)
	}
	if resp.Model != "v3" {
		t.Errorf("model %q", resp.Model)
	}
}

// streamChat collects a streamed chat completion and its raw chunks.
func streamChat(t *testing.T, ts *testServer, p openai.ChatCompletionNewParams, opts ...option.RequestOption) ([]openai.ChatCompletionChunk, openai.ChatCompletion) {
	t.Helper()
	st := ts.client.Chat.Completions.NewStreaming(context.Background(), p, opts...)
	var chunks []openai.ChatCompletionChunk
	acc := openai.ChatCompletionAccumulator{}
	for st.Next() {
		c := st.Current()
		if strings.Contains(c.RawJSON(), `"error"`) {
			t.Errorf("chunk has an error key: %s", c.RawJSON())
		}
		chunks = append(chunks, c)
		acc.AddChunk(c)
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	return chunks, acc.ChatCompletion
}

func TestChatStreamUsage(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: fixed("One, two, three.")})
	for _, include := range []bool{false, true} {
		p := userChat("deepseek-chat", "Count")
		if include {
			p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		}
		chunks, whole := streamChat(t, ts, p)
		if whole.Choices[0].Message.Content != "One, two, three." {
			t.Errorf("include=%v: content %q", include, whole.Choices[0].Message.Content)
		}
		usageChunks := 0
		for i, c := range chunks {
			if c.Object != "chat.completion.chunk" || c.ID != chunks[0].ID || c.Created != chunks[0].Created {
				t.Errorf("chunk %d: object %q id %q", i, c.Object, c.ID)
			}
			if c.JSON.Usage.Valid() {
				usageChunks++
				if include && (i != len(chunks)-1 || len(c.Choices) != 0) {
					t.Errorf("include_usage: usage on chunk %d of %d with %d choices", i, len(chunks), len(c.Choices))
				}
				if !include && (len(c.Choices) != 1 || c.Choices[0].FinishReason != "stop") {
					t.Errorf("usage on chunk %d, not on the finish chunk", i)
				}
				if c.Usage.CompletionTokens == 0 {
					t.Error("usage without completion tokens")
				}
			}
		}
		if usageChunks != 1 {
			t.Errorf("include=%v: %d chunks carry usage, want exactly 1", include, usageChunks)
		}
	}
}

// thinkingScript answers with reasoning when the prompt opens it.
func thinkingScript(prompt string) string {
	if strings.HasSuffix(prompt, "<think>") {
		return "Two plus two is four.</think>The answer is 4."
	}
	return "4"
}

func TestReasoning(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: thinkingScript})
	ctx := context.Background()
	cases := []struct {
		name string
		p    openai.ChatCompletionNewParams
		opts []option.RequestOption
	}{
		{"deepseek-reasoner", userChat("deepseek-reasoner", "2+2?"), nil},
		{"thinking field", userChat("v3", "2+2?"), []option.RequestOption{option.WithJSONSet("thinking", map[string]string{"type": "enabled"})}},
		{"chat_template_kwargs", userChat("v3", "2+2?"), []option.RequestOption{option.WithJSONSet("chat_template_kwargs", map[string]bool{"thinking": true})}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.p.Temperature = openai.Float(0.3) // accepted, ignored in thinking mode
			resp, err := ts.client.Chat.Completions.New(ctx, c.p, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			m := resp.Choices[0].Message
			rc, _ := extraField(m.JSON.ExtraFields, "reasoning_content")
			r, _ := extraField(m.JSON.ExtraFields, "reasoning")
			if m.Content != "The answer is 4." || rc != "Two plus two is four." || r != rc {
				t.Errorf("content %q reasoning_content %q reasoning %q", m.Content, rc, r)
			}
			var u struct {
				D struct {
					R int `json:"reasoning_tokens"`
				} `json:"completion_tokens_details"`
			}
			json.Unmarshal([]byte(resp.Usage.RawJSON()), &u)
			if u.D.R == 0 || int64(u.D.R) >= resp.Usage.CompletionTokens {
				t.Errorf("reasoning_tokens %d of %d", u.D.R, resp.Usage.CompletionTokens)
			}

			// Streaming: reasoning deltas first, then content.
			chunks, _ := streamChat(t, ts, c.p, c.opts...)
			var reasoning, content strings.Builder
			for _, ch := range chunks {
				if len(ch.Choices) == 0 {
					continue
				}
				d := ch.Choices[0].Delta
				if s, _ := extraField(d.JSON.ExtraFields, "reasoning_content"); s != "" {
					if content.Len() > 0 {
						t.Error("reasoning after content")
					}
					reasoning.WriteString(s)
				}
				content.WriteString(d.Content)
			}
			if reasoning.String() != "Two plus two is four." || content.String() != "The answer is 4." {
				t.Errorf("stream: reasoning %q content %q", reasoning.String(), content.String())
			}
			// The usage chunk counts the reasoning tokens.
			last := chunks[len(chunks)-1]
			var su struct {
				D struct {
					R int `json:"reasoning_tokens"`
				} `json:"completion_tokens_details"`
			}
			if json.Unmarshal([]byte(last.Usage.RawJSON()), &su); !last.JSON.Usage.Valid() || su.D.R == 0 {
				t.Errorf("stream usage %s: no reasoning_tokens", last.Usage.RawJSON())
			}
		})
	}

	// Thinking off: no reasoning.
	resp, err := ts.client.Chat.Completions.New(ctx, userChat("deepseek-chat", "2+2?"))
	if err != nil || resp.Choices[0].Message.Content != "4" {
		t.Fatalf("thinking off: %v %+v", err, resp)
	}

	// logprobs in thinking mode is an error.
	p := userChat("deepseek-reasoner", "2+2?")
	p.Logprobs = openai.Bool(true)
	_, err = ts.client.Chat.Completions.New(ctx, p)
	wantAPIError(t, err, 400, "logprobs")
}

func extraField[F interface{ Raw() string }](fields map[string]F, key string) (string, bool) {
	f, ok := fields[key]
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal([]byte(f.Raw()), &s) != nil {
		return "", false
	}
	return s, true
}

// wantAPIError checks that err is an API error with the status and a
// message mentioning want.
func wantAPIError(t *testing.T, err error, status int, want string) {
	t.Helper()
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("got %v, want an API error %d", err, status)
	}
	if apiErr.StatusCode != status || !strings.Contains(apiErr.Message, want) {
		t.Errorf("got %d %q, want %d mentioning %q", apiErr.StatusCode, apiErr.Message, status, want)
	}
}

const weatherCall = "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"location\": \"Tokyo\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>"

// toolScript calls get_weather, then answers from the tool's output.
func toolScript(prompt string) string {
	if strings.Contains(prompt, "Thanks!") {
		if strings.Contains(prompt, "I should check the weather.") {
			return "the old reasoning leaked"
		}
		if strings.HasSuffix(prompt, "<think>") {
			return "They thanked me.</think>You're welcome."
		}
		return "You're welcome."
	}
	if strings.Contains(prompt, "<｜tool▁output▁end｜>") {
		return "It is sunny in Tokyo."
	}
	if strings.HasSuffix(prompt, "<think>") {
		return "I should check the weather.</think>" + weatherCall
	}
	return weatherCall
}

var weatherTool = openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
	Name:        "get_weather",
	Description: openai.String("Get the weather of a city"),
	Parameters: shared.FunctionParameters{
		"type":       "object",
		"properties": map[string]any{"location": map[string]any{"type": "string"}},
		"required":   []string{"location"},
	},
})

func TestToolsRoundTrip(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: toolScript})
	ctx := context.Background()
	p := userChat("deepseek-chat", "Weather in Tokyo?")
	p.Tools = []openai.ChatCompletionToolUnionParam{weatherTool}
	resp, err := ts.client.Chat.Completions.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	ch := resp.Choices[0]
	if ch.FinishReason != "tool_calls" || len(ch.Message.ToolCalls) != 1 {
		t.Fatalf("finish %q, %d tool calls, content %q", ch.FinishReason, len(ch.Message.ToolCalls), ch.Message.Content)
	}
	call := ch.Message.ToolCalls[0]
	var args map[string]string
	if !strings.HasPrefix(call.ID, "call_") || call.Type != "function" || call.Function.Name != "get_weather" ||
		json.Unmarshal([]byte(call.Function.Arguments), &args) != nil || args["location"] != "Tokyo" {
		t.Fatalf("tool call %+v", call)
	}

	// Streaming: accumulate by index.
	chunks, whole := streamChat(t, ts, p)
	if got := whole.Choices[0].Message.ToolCalls; len(got) != 1 || got[0].Function.Arguments != `{"location": "Tokyo"}` || !strings.HasPrefix(got[0].ID, "call_") {
		t.Fatalf("streamed tool calls %+v", got)
	}
	if last := chunks[len(chunks)-1]; last.Choices[0].FinishReason != "tool_calls" {
		t.Errorf("stream finish %q", last.Choices[0].FinishReason)
	}

	// The tool result goes back; the model answers.
	p.Messages = append(p.Messages, ch.Message.ToParam(), openai.ToolMessage(`{"sky": "sunny"}`, call.ID))
	resp, err = ts.client.Chat.Completions.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != "It is sunny in Tokyo." || resp.Choices[0].FinishReason != "stop" {
		t.Errorf("answer %q finish %q", resp.Choices[0].Message.Content, resp.Choices[0].FinishReason)
	}

	// tool_choice none: the call is plain text, not parsed.
	p2 := userChat("deepseek-chat", "Weather in Tokyo?")
	p2.Tools = p.Tools
	p2.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("none")}
	resp, err = ts.client.Chat.Completions.New(ctx, p2)
	if err != nil || len(resp.Choices[0].Message.ToolCalls) != 0 || resp.Choices[0].FinishReason != "stop" {
		t.Errorf("tool_choice none: %v %+v", err, resp)
	}
}

func TestThinkingToolsNeedReasoning(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: toolScript})
	ctx := context.Background()
	p := userChat("deepseek-reasoner", "Weather in Tokyo?")
	p.Tools = []openai.ChatCompletionToolUnionParam{weatherTool}
	resp, err := ts.client.Chat.Completions.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	m := resp.Choices[0].Message
	rc, _ := extraField(m.JSON.ExtraFields, "reasoning_content")
	if len(m.ToolCalls) != 1 || rc != "I should check the weather." {
		t.Fatalf("tool calls %d, reasoning %q", len(m.ToolCalls), rc)
	}
	call := m.ToolCalls[0]

	// Without reasoning_content: 400 naming the field and the index.
	bare := m.ToAssistantMessageParam()
	p.Messages = append(p.Messages, openai.ChatCompletionMessageParamUnion{OfAssistant: &bare}, openai.ToolMessage(`{"sky": "sunny"}`, call.ID))
	_, err = ts.client.Chat.Completions.New(ctx, p)
	wantAPIError(t, err, 400, "Missing reasoning_content field in the assistant message at message index 1")
	var apiErr *openai.Error
	if errors.As(err, &apiErr) && apiErr.Type != "invalid_request_error" {
		t.Errorf("error type %q", apiErr.Type)
	}

	// With it: 200.
	withRC := m.ToAssistantMessageParam()
	withRC.SetExtraFields(map[string]any{"reasoning_content": rc})
	p.Messages[1] = openai.ChatCompletionMessageParamUnion{OfAssistant: &withRC}
	resp, err = ts.client.Chat.Completions.New(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != "It is sunny in Tokyo." {
		t.Errorf("answer %q", resp.Choices[0].Message.Content)
	}

	// Next user turn: the old tool loop's reasoning may be left out, and
	// when it is sent it is accepted and ignored (not in the prompt).
	next := p
	next.Messages = append(slices.Clone(p.Messages), openai.AssistantMessage("It is sunny in Tokyo."), openai.UserMessage("Thanks!"))
	for _, old := range []openai.ChatCompletionAssistantMessageParam{bare, withRC} {
		next.Messages[1] = openai.ChatCompletionMessageParamUnion{OfAssistant: &old}
		resp, err := ts.client.Chat.Completions.New(ctx, next)
		if err != nil {
			t.Fatalf("next user turn: %v", err)
		}
		if resp.Choices[0].Message.Content != "You're welcome." {
			t.Errorf("next user turn: %q (the old reasoning reached the prompt?)", resp.Choices[0].Message.Content)
		}
	}
}

func TestForcedToolChoice(t *testing.T) {
	// The script only knows the arguments: the markers and the name must
	// come from the forced tool_choice.
	ts := newTestServer(t, serverConfig{script: fixed(`{"location": "Paris"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>`)})
	p := userChat("deepseek-chat", "Weather?")
	p.Tools = []openai.ChatCompletionToolUnionParam{weatherTool}
	p.ToolChoice = openai.ToolChoiceOptionFunctionToolChoice(openai.ChatCompletionNamedToolChoiceFunctionParam{Name: "get_weather"})
	resp, err := ts.client.Chat.Completions.New(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	tc := resp.Choices[0].Message.ToolCalls
	if len(tc) != 1 || tc[0].Function.Name != "get_weather" || tc[0].Function.Arguments != `{"location": "Paris"}` || resp.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("forced call: %+v, content %q", tc, resp.Choices[0].Message.Content)
	}

	// tool_choice required with a model that would rather talk: it still
	// calls one of the tools with arguments valid under its schema.
	chatty := newTestServer(t, serverConfig{script: fixed("I would rather not call anything.")})
	p.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")}
	timeTool := openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{Name: "get_time", Parameters: shared.FunctionParameters{
		"type": "object", "properties": map[string]any{"zone": map[string]any{"type": "string", "maxLength": 5}}, "required": []string{"zone"}}})
	p.Tools = append(p.Tools, timeTool)
	for _, stream := range []bool{false, true} {
		var m openai.ChatCompletionMessage
		var finish string
		if stream {
			_, whole := streamChat(t, chatty, p)
			m, finish = whole.Choices[0].Message, whole.Choices[0].FinishReason
		} else {
			resp, err = chatty.client.Chat.Completions.New(context.Background(), p)
			if err != nil {
				t.Fatal(err)
			}
			m, finish = resp.Choices[0].Message, resp.Choices[0].FinishReason
		}
		if len(m.ToolCalls) != 1 || finish != "tool_calls" {
			t.Fatalf("required (stream %v): calls %+v, content %q, finish %q", stream, m.ToolCalls, m.Content, finish)
		}
		var args map[string]string
		c := m.ToolCalls[0].Function
		if json.Unmarshal([]byte(c.Arguments), &args) != nil || (c.Name == "get_time") == (args["zone"] == "") {
			t.Errorf("required (stream %v): call %s(%s)", stream, c.Name, c.Arguments)
		}
	}
}

func TestForcedThinkingTemplate(t *testing.T) {
	// R1's template always opens <think>; deepseek-chat closes it at once.
	ts := newTestServer(t, serverConfig{template: "deepseek-r1.jinja", script: func(prompt string) string {
		if strings.HasSuffix(prompt, "<think>\n") {
			return "Hmm.\n</think>\n\nThe answer is 4."
		}
		if strings.HasSuffix(prompt, "</think>\n\n") {
			return "4"
		}
		return "unexpected prompt"
	}})
	ctx := context.Background()
	resp, err := ts.client.Chat.Completions.New(ctx, userChat("deepseek-reasoner", "2+2?"))
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := extraField(resp.Choices[0].Message.JSON.ExtraFields, "reasoning_content")
	if rc != "Hmm." || resp.Choices[0].Message.Content != "The answer is 4." {
		t.Errorf("reasoner: reasoning %q content %q", rc, resp.Choices[0].Message.Content)
	}
	for _, model := range []string{"deepseek-chat"} {
		resp, err = ts.client.Chat.Completions.New(ctx, userChat(model, "2+2?"))
		if err != nil || resp.Choices[0].Message.Content != "4" {
			t.Errorf("%s: %v %q", model, err, resp.Choices[0].Message.Content)
		}
	}
	// The model's own name keeps the template's default (thinking).
	resp, err = ts.client.Chat.Completions.New(ctx, userChat("v3", "2+2?"))
	if err != nil || resp.Choices[0].Message.Content != "The answer is 4." {
		t.Errorf("default: %v %+v", err, resp)
	}
}
