// Package webtest holds test helpers for the chat page: the script of the
// fixture model the browser test chats with (through the real server, see
// package server/servertest), a recorder of what the page sends, and a
// runner for the headless-Chromium scenario in web/e2e.
package webtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/seekd/seekd/server/servertest"
)

// FixtureModel is the name the fixture model is served under.
const FixtureModel = "fixture-v3.1"

// FixtureTemplate is the fixture model's chat template (testdata): V3.1's,
// whose thinking switch follows the request.
const FixtureTemplate = "deepseek-v3.1.jinja"

// The fixture model's special tokens (DeepSeek-V3.1's template).
const (
	userTag     = "<｜User｜>"
	assistTag   = "<｜Assistant｜>"
	weatherCall = "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"location\": \"Tokyo\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>"
)

// LastUser returns the last user message of a prompt rendered with
// FixtureTemplate.
func LastUser(prompt string) string {
	i := strings.LastIndex(prompt, userTag)
	if i < 0 {
		return ""
	}
	rest := prompt[i+len(userTag):]
	if j := strings.Index(rest, assistTag); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// Script is what the fixture model answers (a servertest.Script), by the
// last user message:
//
//   - containing "long": thinks briefly, then tells a story that never
//     ends (until the page's stop button closes the stream);
//   - containing "fail": the model fails, so the stream ends with an error;
//   - containing "weather": a short preamble and a get_weather tool call
//     (the request must carry tools for the server to parse it, see
//     Recorder);
//   - anything else: a short reasoning, then a Markdown answer with a Go
//     code block, math, a list, and HTML that must not be rendered.
//
// Reasoning comes only in thinking mode (the prompt opens "<think>").
func Script(prompt string) string {
	user := LastUser(prompt)
	quoted := strings.Join(strings.Fields(user), " ")
	if r := []rune(quoted); len(r) > 60 {
		quoted = string(r[:60])
	}
	think := ""
	if strings.HasSuffix(prompt, "<think>") {
		think = fmt.Sprintf("The user wrote %q. I should greet them, show some Go code, and write Euler's identity in LaTeX. Let me think step by step.</think>", quoted)
	}
	switch {
	case strings.Contains(user, "fail"):
		return servertest.Fail
	case strings.Contains(user, "weather"):
		if think != "" {
			think = "The user asks about the weather. I should call the tool.</think>"
		}
		return think + "I'll check." + weatherCall
	case strings.Contains(user, "long"):
		if think != "" {
			think = "A long story, then. Let me begin.</think>"
		}
		return servertest.Endless(think+"Once upon a time, there was a story that never ended.\n\n",
			"Another paragraph of the story that never ends, with more to come.\n\n")
	}
	return think + "## Answer\n\nHello! You said: **" + quoted + "**.\n\n" +
		"Here is some Go:\n\n```go\nfunc add(a, b int) int {\n\treturn a + b // sum\n}\n```\n\n" +
		"Inline math $e^{i\\pi} + 1 = 0$ and a display formula:\n\n$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$\n\n" +
		"- one\n- two\n\n" +
		"Unsafe HTML stays text: <img src=x onerror=\"window.__xss=1\"><script>window.__xss=2</script> " +
		"and [a bad link](javascript:window.__xss=3).\n"
}

// ChatRequest is what the page sent in one chat completion request.
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
	Temperature *float64        `json:"temperature"`
	MaxTokens   *int            `json:"max_tokens"`
	Tools       json.RawMessage `json:"tools"`
}

// weatherTool is the tool Recorder adds.
const weatherTool = `[{"type": "function", "function": {"name": "get_weather", "description": "Get the weather of a city", "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}]`

// Recorder wraps the server: it records the chat requests the page sends
// and the streams the page closed early. The page itself sends no tools,
// so for a last user message about the weather it adds a get_weather tool,
// as a client with tools would, and the server streams a real tool call to
// the page. It is safe for concurrent use.
type Recorder struct {
	// Next is the server.
	Next http.Handler

	mu          sync.Mutex
	requests    []ChatRequest
	disconnects int
}

// Requests returns the chat requests received so far.
func (rec *Recorder) Requests() []ChatRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]ChatRequest(nil), rec.requests...)
}

// Disconnects returns how many chat streams ended because the page went away.
func (rec *Recorder) Disconnects() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.disconnects
}

// ServeHTTP implements http.Handler.
func (rec *Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		rec.Next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 32<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req ChatRequest
	if json.Unmarshal(body, &req) == nil {
		rec.mu.Lock()
		rec.requests = append(rec.requests, req)
		rec.mu.Unlock()
		last := ""
		for _, m := range req.Messages {
			if m.Role == "user" {
				last = m.Content
			}
		}
		if strings.Contains(last, "weather") && len(req.Tools) == 0 {
			var obj map[string]json.RawMessage
			if json.Unmarshal(body, &obj) == nil {
				obj["tools"] = json.RawMessage(weatherTool)
				if b, err := json.Marshal(obj); err == nil {
					body = b
				}
			}
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	rec.Next.ServeHTTP(w, r)
	// The server cancels the context only after the handler returns: a
	// cancelled one here means the page closed the stream.
	if r.Context().Err() != nil {
		rec.mu.Lock()
		rec.disconnects++
		rec.mu.Unlock()
	}
}
