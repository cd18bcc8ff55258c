package webtest

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// events posts a chat request and returns the SSE data payloads.
func events(t *testing.T, srv *httptest.Server, body string) []string {
	t.Helper()
	res, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, content type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var out []string
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, d)
		}
	}
	return out
}

// TestFakeStreamShape checks the fake against api.md §1.4: reasoning deltas
// with content null, then content deltas with reasoning_content null, exactly
// one usage-bearing chunk, [DONE] last, and never an "error" key.
func TestFakeStreamShape(t *testing.T) {
	srv := httptest.NewServer(&FakeBackend{Delay: time.Millisecond, ThinkPause: time.Millisecond})
	defer srv.Close()
	tests := []struct {
		name         string
		body         string
		wantThinking bool
		includeUsage bool
	}{
		{"reasoner, usage on finish chunk", `{"model":"fake-reasoner","stream":true,"messages":[{"role":"user","content":"hi"}]}`, true, false},
		{"include_usage", `{"model":"fake-reasoner","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`, true, true},
		{"thinking disabled", `{"model":"fake-reasoner","stream":true,"thinking":{"type":"disabled"},"messages":[{"role":"user","content":"hi"}]}`, false, false},
		{"chat model", `{"model":"fake-chat","stream":true,"messages":[{"role":"user","content":"hi"}]}`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := events(t, srv, tt.body)
			if len(ev) < 3 || ev[len(ev)-1] != "[DONE]" {
				t.Fatalf("%d events, last %q", len(ev), ev[len(ev)-1])
			}
			var reasoning, content strings.Builder
			usageChunks, phase := 0, 0 // phase 0: reasoning, 1: content
			for i, e := range ev[:len(ev)-1] {
				var c map[string]any
				if err := json.Unmarshal([]byte(e), &c); err != nil {
					t.Fatalf("event %d: %v", i, err)
				}
				if _, ok := c["error"]; ok {
					t.Fatalf("event %d has an error key", i)
				}
				if c["object"] != "chat.completion.chunk" {
					t.Errorf("event %d: object %v", i, c["object"])
				}
				u, hasUsage := c["usage"]
				if hasUsage != tt.includeUsage && u == nil {
					t.Errorf("event %d: usage key present %v, want %v (usage:null only with include_usage)", i, hasUsage, tt.includeUsage)
				}
				if u != nil {
					usageChunks++
					um := u.(map[string]any)
					if um["prompt_cache_hit_tokens"] == nil || um["completion_tokens"] == nil {
						t.Errorf("usage %v lacks DeepSeek fields", um)
					}
				}
				choices := c["choices"].([]any)
				if len(choices) == 0 {
					if !tt.includeUsage || u == nil {
						t.Errorf("event %d: empty choices without usage", i)
					}
					continue
				}
				d := choices[0].(map[string]any)["delta"].(map[string]any)
				if r, _ := d["reasoning_content"].(string); r != "" {
					if phase != 0 || d["content"] != nil {
						t.Errorf("event %d: reasoning after content or with content %v", i, d["content"])
					}
					reasoning.WriteString(r)
				}
				if s, _ := d["content"].(string); s != "" {
					phase = 1
					if d["reasoning_content"] != nil {
						t.Errorf("event %d: content chunk with reasoning_content %v", i, d["reasoning_content"])
					}
					content.WriteString(s)
				}
			}
			if usageChunks != 1 {
				t.Errorf("%d usage-bearing chunks, want 1", usageChunks)
			}
			if (reasoning.Len() > 0) != tt.wantThinking {
				t.Errorf("reasoning %q, want some: %v", reasoning.String(), tt.wantThinking)
			}
			if !strings.Contains(content.String(), "```go") {
				t.Errorf("content %q", content.String())
			}
		})
	}
}

func TestFakeErrorsAndModels(t *testing.T) {
	f := &FakeBackend{APIKey: "sk-k"}
	srv := httptest.NewServer(f)
	defer srv.Close()
	do := func(method, path, auth, body string) int {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, tt := range []struct {
		method, path, auth, body string
		code                     int
	}{
		{"GET", "/v1/models", "", "", 401},
		{"GET", "/v1/models", "sk-k", "", 200},
		{"POST", "/v1/chat/completions", "sk-k", `{`, 400},
		{"POST", "/v1/chat/completions", "sk-k", `{"model":"gpt-9","stream":true,"messages":[{"role":"user","content":"x"}]}`, 400},
		{"POST", "/v1/chat/completions", "sk-k", `{"model":"fake-chat","stream":true,"messages":[{"role":"user","content":"please fail"}]}`, 500},
		{"GET", "/v1/nope", "sk-k", "", 404},
	} {
		if code := do(tt.method, tt.path, tt.auth, tt.body); code != tt.code {
			t.Errorf("%s %s (%q): %d, want %d", tt.method, tt.path, tt.body, code, tt.code)
		}
	}
}
