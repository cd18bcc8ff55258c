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

	"github.com/seekd/seekd/server/servertest"
)

// failScript fails the model for prompts that ask so.
func failScript(prompt string) string {
	switch {
	case strings.Contains(prompt, "fail"):
		return servertest.Fail
	case strings.Contains(prompt, "forever"):
		return servertest.Forever
	}
	return "Quick answer."
}

// TestFailureShapes: a generation that fails reaches each API's clients in
// that API's shape: before the response (a whole error with its status) or
// inside a started stream (OpenAI's data {"error"}, Anthropic's "error"
// event, Ollama's {"error"} line).
func TestFailureShapes(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: failScript})
	cases := []struct {
		name, path, body string
		status           int
		want             string // in the body
	}{
		{"openai", "/v1/chat/completions", `{"model": "v3", "messages": [{"role": "user", "content": "please fail"}]}`, 500, `{"error":{"message":"servertest: the script failed on purpose","type":"server_error"`},
		{"openai stream", "/v1/chat/completions", `{"model": "v3", "stream": true, "messages": [{"role": "user", "content": "please fail"}]}`, 200, "data: {\"error\":{\"message\":\"servertest: the script failed on purpose\""},
		{"anthropic", "/v1/messages", `{"model": "v3", "max_tokens": 5, "messages": [{"role": "user", "content": "please fail"}]}`, 500, `{"type":"error","error":{"type":"api_error","message":"servertest: the script failed on purpose"}}`},
		{"anthropic stream", "/v1/messages", `{"model": "v3", "max_tokens": 5, "stream": true, "messages": [{"role": "user", "content": "please fail"}]}`, 200, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\""},
		{"ollama", "/api/chat", `{"model": "v3", "stream": false, "messages": [{"role": "user", "content": "please fail"}]}`, 500, `{"error":"servertest: the script failed on purpose"}`},
		{"ollama stream", "/api/chat", `{"model": "v3", "messages": [{"role": "user", "content": "please fail"}]}`, 200, `{"error":"servertest: the script failed on purpose"}` + "\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := post(t, ts.URL+c.path, c.body)
			if status != c.status || !strings.Contains(body, c.want) {
				t.Errorf("got %d %q, want %d with %q", status, body, c.status, c.want)
			}
		})
	}
	// The engine goes on serving.
	if status, body := post(t, ts.URL+"/api/chat", `{"model": "v3", "stream": false, "messages": [{"role": "user", "content": "Hi"}]}`); status != 200 || !strings.Contains(body, "Quick answer.") {
		t.Errorf("after the failures: %d %s", status, body)
	}
}

// TestKeepAliveShapes: while a request waits for a batch slot, Anthropic
// streams get ping events (after message_start) and Ollama streams get
// nothing (NDJSON has no comments; ollama-js would warn on a blank line).
func TestKeepAliveShapes(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: failScript, delay: time.Millisecond, maxBatch: 1, keepAlive: 10 * time.Millisecond})
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
	read := func(path, body string) string {
		release := hold()
		go func() { time.Sleep(80 * time.Millisecond); release() }()
		resp, err := http.Post(ts.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		ts.WaitIdle(t)
		return string(b)
	}
	anth := read("/v1/messages", `{"model": "v3", "max_tokens": 20, "stream": true, "messages": [{"role": "user", "content": "Hi"}]}`)
	if n := strings.Count(anth, "event: ping\ndata: {\"type\":\"ping\"}\n\n"); n < 3 || !strings.HasPrefix(anth, "event: message_start\n") || !strings.Contains(anth, "Quick") || !strings.HasSuffix(anth, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n") {
		t.Errorf("anthropic stream (%d pings): %q", n, anth)
	}
	olla := read("/api/chat", `{"model": "v3", "messages": [{"role": "user", "content": "Hi"}]}`)
	sc := bufio.NewScanner(strings.NewReader(olla))
	lines := 0
	for sc.Scan() {
		lines++
		var v map[string]any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Errorf("ollama line %d %q: %v", lines, sc.Text(), err)
		}
	}
	if lines < 2 || !strings.Contains(olla, "Quick") {
		t.Errorf("ollama stream %q", olla)
	}
}
