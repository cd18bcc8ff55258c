// Package webtest holds test helpers for the chat page: a fake
// OpenAI-compatible backend that streams like DeepSeek's API, and a runner for
// the headless-Chromium scenario in web/e2e.
package webtest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Models the fake backend lists; the first is the default.
const (
	FakeReasoner = "fake-reasoner"
	FakeChat     = "fake-chat"
)

// FakeBackend serves GET /v1/models and streaming POST /v1/chat/completions
// in the shape of DeepSeek's API (reasoning_content deltas, then content
// deltas, then usage; see shared/docs/api.md §1.4). What it answers depends
// on the last user message:
//
//   - containing "long": thinks briefly, then writes forever (until the client
//     disconnects, or 60 s pass), for testing the stop button;
//   - containing "fail": a 500 error in the API's error shape;
//   - containing "weather": a short preamble, then a get_weather tool call
//     streamed as tool_calls deltas, finish_reason "tool_calls";
//   - anything else: a short reasoning, then a Markdown answer with a code
//     block, math, and HTML that must not be rendered.
//
// Thinking follows the request's thinking field (default: on for
// FakeReasoner, off for FakeChat). It is safe for concurrent use.
type FakeBackend struct {
	// APIKey, when set, is required as "Authorization: Bearer APIKey".
	APIKey string
	// Delay is the pause between streamed chunks (default 8 ms).
	Delay time.Duration
	// ThinkPause is the pause between the last reasoning chunk and the first
	// answer chunk (default 300 ms), so a test can see the finished reasoning
	// before the answer starts.
	ThinkPause time.Duration

	mu          sync.Mutex
	requests    []ChatRequest
	disconnects int
	answers     int
}

// ChatRequest is what the fake backend saw in one chat completion request.
type ChatRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	Stream        bool `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Thinking *struct {
		Type string `json:"type"`
	} `json:"thinking"`
	Temperature *float64 `json:"temperature"`
	MaxTokens   *int     `json:"max_tokens"`
}

// Requests returns the chat requests received so far.
func (f *FakeBackend) Requests() []ChatRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ChatRequest(nil), f.requests...)
}

// Disconnects returns how many streams ended because the client went away.
func (f *FakeBackend) Disconnects() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.disconnects
}

// ServeHTTP implements http.Handler.
func (f *FakeBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.APIKey != "" {
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if subtle.ConstantTimeCompare([]byte(got), []byte(f.APIKey)) != 1 {
			apiError(w, http.StatusUnauthorized, "authentication_error", "Authentication Fails, Your api key is invalid")
			return
		}
	}
	switch {
	case r.Method == http.MethodGet && (r.URL.Path == "/v1/models" || r.URL.Path == "/models"):
		models := []map[string]any{}
		for _, id := range []string{FakeReasoner, FakeChat} {
			models = append(models, map[string]any{"id": id, "object": "model", "owned_by": "seekd", "created": 1700000000})
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": models}) //nolint:errcheck // test server
	case r.Method == http.MethodPost && (r.URL.Path == "/v1/chat/completions" || r.URL.Path == "/chat/completions"):
		f.chat(w, r)
	default:
		apiError(w, http.StatusNotFound, "not_found", "no route "+r.Method+" "+r.URL.Path)
	}
}

func (f *FakeBackend) chat(w http.ResponseWriter, r *http.Request) {
	var req ChatRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 8<<20)).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_request_error", "Failed to deserialize the JSON body: "+err.Error())
		return
	}
	if req.Model != FakeReasoner && req.Model != FakeChat {
		apiError(w, http.StatusBadRequest, "invalid_request_error", "Model Not Exist")
		return
	}
	if len(req.Messages) == 0 || !req.Stream {
		apiError(w, http.StatusBadRequest, "invalid_request_error", "the fake backend needs messages and stream: true")
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.answers++
	n := f.answers
	f.mu.Unlock()

	last := ""
	for _, m := range req.Messages {
		if m.Role == "user" {
			last = m.Content
		}
	}
	if strings.Contains(last, "fail") {
		apiError(w, http.StatusInternalServerError, "server_error", "the fake model failed on purpose")
		return
	}
	thinking := req.Model == FakeReasoner
	if req.Thinking != nil {
		thinking = req.Thinking.Type == "enabled"
	}
	s := &sseStream{w: w, rc: http.NewResponseController(w), id: uuid(), model: req.Model,
		created: time.Now().Unix(), usageAtEnd: req.StreamOptions != nil && req.StreamOptions.IncludeUsage}
	delay := f.Delay
	if delay <= 0 {
		delay = 8 * time.Millisecond
	}
	s.begin()
	s.comment("keep-alive")

	thinkPause := f.ThinkPause
	if thinkPause <= 0 {
		thinkPause = 300 * time.Millisecond
	}
	wait := func(d time.Duration) bool {
		select {
		case <-r.Context().Done():
			f.mu.Lock()
			f.disconnects++
			f.mu.Unlock()
			return false
		case <-time.After(d):
			return true
		}
	}
	pace := func() bool { return wait(delay) }
	reasoning, answer := script(last, n)
	var reasoningTokens, completion int
	s.delta(map[string]any{"role": "assistant", "content": nil, "reasoning_content": ""})
	if thinking {
		for _, piece := range reasoning {
			if !pace() {
				return
			}
			s.delta(map[string]any{"content": nil, "reasoning_content": piece})
			reasoningTokens++
		}
		if !wait(thinkPause) {
			return
		}
	}
	completion = reasoningTokens
	if strings.Contains(last, "weather") {
		f.toolCall(s, pace)
		return
	}
	long := strings.Contains(last, "long")
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; long || i < len(answer); i++ {
		if !pace() {
			return
		}
		piece := ""
		if long {
			piece = fmt.Sprintf("Paragraph %d of a story that never ends. ", i+1)
			if i%5 == 4 {
				piece += "\n\n"
			}
			if time.Now().After(deadline) {
				break
			}
		} else {
			piece = answer[i]
		}
		s.delta(map[string]any{"content": piece, "reasoning_content": nil})
		completion++
	}
	prompt := 0
	for _, m := range req.Messages {
		prompt += len(strings.Fields(m.Content)) + 4
	}
	hit := 0
	if len(req.Messages) > 1 {
		hit = prompt / 2 // pretend the earlier turns were in the prefix cache
	}
	usage := map[string]any{
		"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion,
		"prompt_tokens_details":     map[string]any{"cached_tokens": hit},
		"completion_tokens_details": map[string]any{"reasoning_tokens": reasoningTokens},
		"prompt_cache_hit_tokens":   hit, "prompt_cache_miss_tokens": prompt - hit,
	}
	s.finish("stop", usage)
}

// toolCall streams a preamble and one tool call in DeepSeek's delta shape:
// the first delta carries index, id, type, name and empty arguments, later
// ones only argument fragments.
func (f *FakeBackend) toolCall(s *sseStream, pace func() bool) {
	steps := []map[string]any{
		{"content": "I'll check.", "reasoning_content": nil},
		{"tool_calls": []any{map[string]any{"index": 0, "id": "call_00_fake", "type": "function",
			"function": map[string]any{"name": "get_weather", "arguments": ""}}}},
	}
	for _, frag := range []string{`{"loc`, `ation": "`, `Tokyo"}`} {
		steps = append(steps, map[string]any{"tool_calls": []any{map[string]any{"index": 0,
			"function": map[string]any{"arguments": frag}}}})
	}
	for _, d := range steps {
		if !pace() {
			return
		}
		s.delta(d)
	}
	s.finish("tool_calls", map[string]any{"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21,
		"prompt_tokens_details": map[string]any{"cached_tokens": 0}, "prompt_cache_hit_tokens": 0, "prompt_cache_miss_tokens": 12})
}

// script returns the reasoning and answer pieces for a normal reply.
func script(user string, n int) (reasoning, answer []string) {
	quoted := strings.Join(strings.Fields(user), " ")
	if r := []rune(quoted); len(r) > 60 {
		quoted = string(r[:60])
	}
	for _, w := range strings.Fields(fmt.Sprintf("The user wrote %q. I should greet them, show some Go code, "+
		"and write Euler's identity in LaTeX. Let me think step by step about answer %d.", quoted, n)) {
		reasoning = append(reasoning, w+" ")
	}
	text := fmt.Sprintf("## Answer %d\n\nHello! You said: **%s**.\n\n", n, quoted) +
		"Here is some Go:\n\n```go\nfunc add(a, b int) int {\n\treturn a + b // sum\n}\n```\n\n" +
		"Inline math $e^{i\\pi} + 1 = 0$ and a display formula:\n\n$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$\n\n" +
		"- one\n- two\n\n" +
		"Unsafe HTML stays text: <img src=x onerror=\"window.__xss=1\"><script>window.__xss=2</script> " +
		"and [a bad link](javascript:window.__xss=3).\n"
	// Stream in small pieces, splitting inside words and markup like a tokenizer would.
	runes := []rune(text)
	for len(runes) > 0 {
		k := min(16, len(runes))
		answer = append(answer, string(runes[:k]))
		runes = runes[k:]
	}
	return reasoning, answer
}

// sseStream writes chat.completion.chunk events.
type sseStream struct {
	w          http.ResponseWriter
	rc         *http.ResponseController
	id, model  string
	created    int64
	usageAtEnd bool // stream_options.include_usage: usage:null on chunks, then one choices:[] chunk
}

func (s *sseStream) begin() {
	h := s.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	s.w.WriteHeader(http.StatusOK)
}

func (s *sseStream) comment(text string) {
	fmt.Fprintf(s.w, ": %s\n\n", text)
	s.rc.Flush() //nolint:errcheck // a gone client shows up as a cancelled context
}

func (s *sseStream) chunk(choices []map[string]any, usage map[string]any, withUsage bool) {
	c := map[string]any{"id": s.id, "object": "chat.completion.chunk", "created": s.created, "model": s.model,
		"system_fingerprint": "fp_fake_webtest", "choices": choices}
	if withUsage {
		c["usage"] = usage // may be nil: "usage": null
	}
	b, _ := json.Marshal(c) // plain maps, strings and numbers
	fmt.Fprintf(s.w, "data: %s\n\n", b)
	s.rc.Flush() //nolint:errcheck // a gone client shows up as a cancelled context
}

func (s *sseStream) delta(d map[string]any) {
	s.chunk([]map[string]any{{"index": 0, "delta": d, "logprobs": nil, "finish_reason": nil}}, nil, s.usageAtEnd)
}

// finish sends the finish_reason chunk and exactly one usage-bearing chunk
// (api.md §1.4's recommendation), then [DONE].
func (s *sseStream) finish(reason string, usage map[string]any) {
	last := []map[string]any{{"index": 0, "delta": map[string]any{"content": "", "reasoning_content": nil},
		"logprobs": nil, "finish_reason": reason}}
	if s.usageAtEnd {
		s.chunk(last, nil, true)
		s.chunk([]map[string]any{}, usage, true)
	} else {
		s.chunk(last, usage, true)
	}
	fmt.Fprint(s.w, "data: [DONE]\n\n")
	s.rc.Flush() //nolint:errcheck // end of stream
}

func apiError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{ //nolint:errcheck // test server
		"message": msg, "type": typ, "param": nil, "code": typ}})
}

func uuid() string {
	var b [16]byte
	rand.Read(b[:]) //nolint:errcheck // never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
