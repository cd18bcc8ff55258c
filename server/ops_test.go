package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/seekd/seekd/server/servertest"
)

// post sends a raw JSON body and returns the status and body.
func post(t *testing.T, url, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestErrors(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: thinkingScript})
	chatURL := ts.URL + "/v1/chat/completions"
	msgs := `"messages": [{"role": "user", "content": "Hi"}]`
	toolCallMsgs := `"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]}, {"role": "tool", "tool_call_id": "call_1", "content": "ok"}]`
	tools := `"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]`
	cases := []struct {
		name, url, body string
		status          int
		want            string // in the message
	}{
		{"malformed JSON", chatURL, `{"model": "v3", `, 400, "not valid JSON"},
		{"empty body", chatURL, ``, 400, "empty"},
		{"wrong type", chatURL, `{"model": "v3", ` + msgs + `, "temperature": "hot"}`, 400, "temperature"},
		{"missing messages", chatURL, `{"model": "v3"}`, 400, "messages"},
		{"missing model", chatURL, `{` + msgs + `}`, 400, "model"},
		{"unknown model", chatURL, `{"model": "gpt-5", ` + msgs + `}`, 404, "Model Not Exist"},
		{"bad role", chatURL, `{"model": "v3", "messages": [{"role": "wizard", "content": "x"}]}`, 400, "role"},
		{"image part", chatURL, `{"model": "v3", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}`, 400, "image_url"},
		{"tool without id", chatURL, `{"model": "v3", "messages": [{"role": "tool", "content": "x"}]}`, 400, "tool_call_id"},
		{"temperature range", chatURL, `{"model": "v3", ` + msgs + `, "temperature": 3}`, 422, "temperature"},
		{"top_p range", chatURL, `{"model": "v3", ` + msgs + `, "top_p": 1.5}`, 422, "top_p"},
		{"penalty range", chatURL, `{"model": "v3", ` + msgs + `, "presence_penalty": -3}`, 422, "presence_penalty"},
		{"top_logprobs range", chatURL, `{"model": "v3", ` + msgs + `, "logprobs": true, "top_logprobs": 25}`, 422, "top_logprobs"},
		{"top_logprobs without logprobs", chatURL, `{"model": "v3", ` + msgs + `, "top_logprobs": 2}`, 400, "logprobs"},
		{"n zero", chatURL, `{"model": "v3", ` + msgs + `, "n": 0}`, 422, "n must"},
		{"max_tokens zero", chatURL, `{"model": "v3", ` + msgs + `, "max_tokens": 0}`, 422, "max_tokens"},
		{"too many stops", chatURL, `{"model": "v3", ` + msgs + `, "stop": ["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"]}`, 422, "stop"},
		{"stop type", chatURL, `{"model": "v3", ` + msgs + `, "stop": 5}`, 400, "stop"},
		{"bad thinking", chatURL, `{"model": "v3", ` + msgs + `, "thinking": {"type": "maybe"}}`, 422, "thinking"},
		{"bad tool name", chatURL, `{"model": "v3", ` + msgs + `, "tools": [{"type": "function", "function": {"name": "bad name"}}]}`, 400, "name"},
		{"unknown named tool", chatURL, `{"model": "v3", ` + msgs + `, ` + tools + `, "tool_choice": {"type": "function", "function": {"name": "g"}}}`, 400, "not among the tools"},
		{"required without tools", chatURL, `{"model": "v3", ` + msgs + `, "tool_choice": "required"}`, 400, "needs tools"},
		{"bad response_format", chatURL, `{"model": "v3", ` + msgs + `, "response_format": {"type": "xml"}}`, 422, "response_format"},
		{"json_object without json", chatURL, `{"model": "v3", ` + msgs + `, "response_format": {"type": "json_object"}}`, 400, "Prompt must contain the word 'json'"},
		{"json_schema without schema", chatURL, `{"model": "v3", ` + msgs + `, "response_format": {"type": "json_schema"}}`, 400, "schema"},
		{"stream_options without stream", chatURL, `{"model": "v3", ` + msgs + `, "stream_options": {"include_usage": true}}`, 400, "stream_options"},
		{"prefix not beta", chatURL, `{"model": "v3", "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "x", "prefix": true}]}`, 400, "beta"},
		{"prefix not last", ts.URL + "/beta/chat/completions", `{"model": "v3", "messages": [{"role": "assistant", "content": "x", "prefix": true}, {"role": "user", "content": "Hi"}]}`, 400, "last message"},
		{"logprobs thinking", chatURL, `{"model": "deepseek-reasoner", ` + msgs + `, "logprobs": true}`, 400, "thinking"},
		{"thinking tools without reasoning_content", chatURL, `{"model": "deepseek-reasoner", ` + toolCallMsgs + `, ` + tools + `}`, 400, "Missing reasoning_content field in the assistant message at message index 1"},
		{"prompt too long", chatURL, `{"model": "v3", ` + msgs + `, "max_tokens": 5000}`, 400, "maximum context length is 4096"},
		{"suffix not beta", ts.URL + "/v1/completions", `{"model": "v3", "prompt": "a", "suffix": "b"}`, 400, "beta"},
		{"completions no prompt", ts.URL + "/v1/completions", `{"model": "v3"}`, 400, "prompt"},
		{"completions bad ids", ts.URL + "/v1/completions", `{"model": "v3", "prompt": [1, 999999]}`, 422, "999999"},
		{"completions logprobs range", ts.URL + "/v1/completions", `{"model": "v3", "prompt": "a", "logprobs": 30}`, 422, "logprobs"},
		{"unknown route", ts.URL + "/v1/embeddings", `{}`, 404, "no route"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := post(t, c.url, c.body)
			var e errorBody
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Message == "" || e.Error.Type == "" {
				t.Fatalf("status %d, body %q is not an error object", status, body)
			}
			if status != c.status || !strings.Contains(e.Error.Message, c.want) {
				t.Errorf("got %d %q, want %d mentioning %q", status, e.Error.Message, c.status, c.want)
			}
		})
	}
	// The server survives all of that.
	if resp, err := ts.client.Chat.Completions.New(context.Background(), userChat("v3", "Hi")); err != nil || resp.Choices[0].Message.Content != "4" {
		t.Errorf("after the errors: %v", err)
	}
}

func TestAuth(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: fixed("ok"), keys: []string{"sk-secret-key-1234"}})
	body := `{"model": "v3", "messages": [{"role": "user", "content": "Hi"}]}`
	status, resp := post(t, ts.URL+"/v1/chat/completions", body, "Authorization", "Bearer sk-wrong-key-9876")
	if status != 401 || !strings.Contains(resp, "authentication_error") || !strings.Contains(resp, "****9876") || strings.Contains(resp, "sk-wrong") {
		t.Errorf("bad key: %d %s", status, resp)
	}
	if status, _ := post(t, ts.URL+"/v1/chat/completions", body); status != 401 {
		t.Errorf("no key: %d", status)
	}
	if status, _ := post(t, ts.URL+"/v1/chat/completions", body, "x-api-key", "sk-secret-key-1234"); status != 200 {
		t.Errorf("x-api-key: %d", status)
	}
	if _, err := ts.client.Chat.Completions.New(context.Background(), userChat("v3", "Hi")); err != nil {
		t.Errorf("bearer key: %v", err)
	}
	r, err := http.Get(ts.URL + "/health")
	if err != nil || r.StatusCode != 200 {
		t.Errorf("health is public: %v %v", err, r.StatusCode)
	}
	r.Body.Close()
	r, _ = http.Get(ts.URL + "/v1/models")
	if r.StatusCode != 401 {
		t.Errorf("models without a key: %d", r.StatusCode)
	}
	r.Body.Close()
}

// foreverScript generates forever for prompts that ask so.
func foreverScript(prompt string) string {
	if strings.Contains(prompt, "forever") {
		return servertest.Forever
	}
	return "Quick answer."
}

func TestClientDisconnect(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: foreverScript, delay: 2 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := ts.client.Chat.Completions.NewStreaming(ctx, userChat("v3", "Talk forever"))
	n := 0
	for st.Next() {
		if n++; n == 20 {
			if used := ts.Engine.Stats().CacheBlocksUsed; used == 0 {
				t.Error("no cache in use mid-stream")
			}
			cancel()
		}
	}
	st.Close()
	ts.WaitIdle(t)
	steps := ts.Engine.Stats().Steps
	time.Sleep(20 * time.Millisecond)
	if ts.Engine.Stats().Steps != steps {
		t.Error("the engine still steps after the client left")
	}
}

func TestKeepAliveWhileQueued(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: foreverScript, delay: time.Millisecond, maxBatch: 1, keepAlive: 10 * time.Millisecond})
	// A holds the only batch slot.
	hold := func() context.CancelFunc {
		ctx, cancel := context.WithCancel(context.Background())
		st := ts.client.Chat.Completions.NewStreaming(ctx, userChat("v3", "Talk forever"))
		if !st.Next() {
			t.Fatal("the holding stream did not start")
		}
		go func() {
			for st.Next() {
			}
		}()
		return cancel
	}
	cancelA := hold()
	req, _ := http.NewRequest("POST", ts.URL+"/v1/chat/completions", strings.NewReader(`{"model": "v3", "stream": true, "messages": [{"role": "user", "content": "Hi"}]}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	line, err := rd.ReadString('\n')
	if err != nil || line != ": keep-alive\n" {
		t.Fatalf("first line %q, %v; want a keep-alive comment while queued", line, err)
	}
	cancelA()
	rest, _ := io.ReadAll(rd)
	if !strings.Contains(string(rest), `"content":"Quick answer."`) && !strings.Contains(string(rest), "Quick") {
		t.Errorf("queued stream: %s", rest)
	}
	if !strings.HasSuffix(string(rest), "data: [DONE]\n\n") || strings.Contains(string(rest), `"error"`) {
		t.Errorf("stream end: %q", rest[max(0, len(rest)-80):])
	}
	ts.WaitIdle(t)

	// The official client skips the comments and sees every chunk.
	cancelA = hold()
	go func() { time.Sleep(50 * time.Millisecond); cancelA() }()
	_, whole := streamChat(t, ts, userChat("v3", "Hi"))
	if whole.Choices[0].Message.Content != "Quick answer." {
		t.Errorf("openai-go after keep-alives: %q", whole.Choices[0].Message.Content)
	}
	// A non-streaming response after blank keep-alive lines still parses.
	cancelA = hold()
	go func() { time.Sleep(50 * time.Millisecond); cancelA() }()
	r, err := ts.client.Chat.Completions.New(context.Background(), userChat("v3", "Hi"))
	if err != nil || r.Choices[0].Message.Content != "Quick answer." {
		t.Errorf("non-stream after keep-alives: %v", err)
	}
	ts.WaitIdle(t)
}

func TestQueueFull(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: foreverScript, delay: time.Millisecond, maxBatch: 1, maxQueue: 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var streams []interface{ Next() bool }
	for range 2 { // one running, one queued
		st := ts.client.Chat.Completions.NewStreaming(ctx, userChat("v3", "Talk forever"))
		streams = append(streams, st)
		go func() {
			for st.Next() {
			}
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for ts.Engine.Stats().Waiting < 1 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	_, err := ts.client.Chat.Completions.New(context.Background(), userChat("v3", "Hi"))
	wantAPIError(t, err, 429, "Rate Limit")
	cancel()
	ts.WaitIdle(t)
}

func TestMetricsModelsHealth(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: fixed("ok")})
	if _, err := ts.client.Chat.Completions.New(context.Background(), userChat("v3", "Hi")); err != nil {
		t.Fatal(err)
	}
	r, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	for _, m := range []string{"seekd_requests_total", "seekd_prompt_tokens_total", "seekd_completion_tokens_total", "seekd_time_to_first_token_seconds_bucket",
		"seekd_inter_token_latency_seconds_bucket", "seekd_queue_depth", "seekd_kv_cache_usage_ratio", "seekd_prompt_cache_hit_tokens_total"} {
		if !strings.Contains(string(b), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	list, err := ts.client.Models.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range list.Data {
		ids = append(ids, m.ID)
	}
	if strings.Join(ids, ",") != "v3,deepseek-chat,deepseek-reasoner" {
		t.Errorf("models %v", ids)
	}
	if m, err := ts.client.Models.Get(context.Background(), "deepseek-reasoner"); err != nil || m.ID != "deepseek-reasoner" {
		t.Errorf("model get: %v", err)
	}
	r, _ = http.Get(ts.URL + "/models")
	if r.StatusCode != 200 {
		t.Errorf("/models: %d", r.StatusCode)
	}
	r.Body.Close()
}

func TestShutdownCutsStreams(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: foreverScript, delay: time.Millisecond})
	st := ts.client.Chat.Completions.NewStreaming(context.Background(), userChat("v3", "Talk forever"))
	if !st.Next() {
		t.Fatal(st.Err())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- ts.API.Shutdown(ctx) }()
	var last openai.ChatCompletionChunk
	for st.Next() {
		last = st.Current()
	}
	if err := st.Err(); err != nil {
		t.Fatalf("the cut stream failed: %v", err)
	}
	if len(last.Choices) != 1 || last.Choices[0].FinishReason != "length" {
		t.Errorf("last chunk %s", last.RawJSON())
	}
	<-errc
	status, _ := post(t, ts.URL+"/v1/chat/completions", `{"model": "v3", "messages": [{"role": "user", "content": "Hi"}]}`)
	if status != 503 {
		t.Errorf("after shutdown: %d", status)
	}
	ts.WaitIdle(t)
}

// TestPromptCacheAccounting is api.md §6 check 9: hits on a shared
// prefix, in whole blocks, equal to cached_tokens; none after a changed
// first token; A+B, A+C, A+D hits on A; isolated per user and user_id.
func TestPromptCacheAccounting(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: fixed("ok"), prefix: true})
	system := strings.Repeat("You are a careful assistant who answers briefly. ", 20)
	ask := func(system, question, user, userID string) map[string]float64 {
		p := openai.ChatCompletionNewParams{Model: "v3", Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage(system), openai.UserMessage(question)}}
		var opts []option.RequestOption
		if user != "" {
			p.User = openai.String(user)
		}
		if userID != "" {
			opts = append(opts, option.WithJSONSet("user_id", userID))
		}
		resp, err := ts.client.Chat.Completions.New(context.Background(), p, opts...)
		if err != nil {
			t.Fatal(err)
		}
		var u map[string]any
		json.Unmarshal([]byte(resp.Usage.RawJSON()), &u)
		out := map[string]float64{"prompt": float64(resp.Usage.PromptTokens), "cached": float64(resp.Usage.PromptTokensDetails.CachedTokens)}
		out["hit"], _ = u["prompt_cache_hit_tokens"].(float64)
		out["miss"], _ = u["prompt_cache_miss_tokens"].(float64)
		return out
	}
	first := ask(system, "Question A?", "alice", "")
	second := ask(system, "Question B?", "alice", "")
	if first["hit"] != 0 || second["hit"] == 0 || second["hit"] != second["cached"] || second["hit"]+second["miss"] != second["prompt"] {
		t.Errorf("first %v, second %v: want a cache hit on the shared system prompt", first, second)
	}
	if int(second["hit"])%16 != 0 { // the test engine's block size
		t.Errorf("hit %v is not a whole number of 16-token blocks", second["hit"])
	}
	if lead := ask(" "+system, "Question B?", "alice", ""); lead["hit"] != 0 {
		t.Errorf("a leading space still hit: %v", lead)
	}
	if other := ask(system, "Question C?", "bob", ""); other["hit"] != 0 {
		t.Errorf("another user hit alice's cache: %v", other)
	}
	// A+B, A+C, then A+D hits on A (here already A+C does).
	doc := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 30)
	ask(doc, "B?", "", "carol")
	ask(doc, "C?", "", "carol")
	if d := ask(doc, "D?", "", "carol"); d["hit"] == 0 {
		t.Errorf("A+D after A+B and A+C: %v", d)
	}
	if d := ask(doc, "D?", "", "dave"); d["hit"] != 0 {
		t.Errorf("another user_id hit carol's cache: %v", d)
	}
}
