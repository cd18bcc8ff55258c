package webtest

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/seekd/seekd/server/servertest"
)

func TestLastUser(t *testing.T) {
	for _, tc := range []struct{ prompt, want string }{
		{"<｜begin▁of▁sentence｜><｜User｜>Hello\nworld<｜Assistant｜><think>", "Hello\nworld"},
		{"<｜User｜>one<｜Assistant｜></think>Hi<｜end▁of▁sentence｜><｜User｜>two<｜Assistant｜></think>", "two"},
		{"no tags", ""},
	} {
		if got := LastUser(tc.prompt); got != tc.want {
			t.Errorf("LastUser(%q) = %q, want %q", tc.prompt, got, tc.want)
		}
	}
}

// events posts a chat request and returns the SSE data payloads.
func events(t *testing.T, url, body string) []map[string]any {
	t.Helper()
	res, err := http.Post(url+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	var out []map[string]any
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok && d != "[DONE]" {
			var c map[string]any
			if err := json.Unmarshal([]byte(d), &c); err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
		}
	}
	return out
}

// TestFixtureThroughServer runs the fixture model behind seekd's server and
// the recorder, as the browser test does, and checks what the page will see.
func TestFixtureThroughServer(t *testing.T) {
	rec := &Recorder{}
	ts := servertest.Start(t, servertest.Config{Name: FixtureModel, Template: FixtureTemplate, Script: Script})
	rec.Next = ts.API
	srv := httptest.NewServer(rec)
	defer srv.Close()

	text := func(evs []map[string]any) (reasoning, content string, tools int, errMsg string) {
		for _, c := range evs {
			if e, ok := c["error"].(map[string]any); ok {
				errMsg = e["message"].(string)
				continue
			}
			for _, ch := range c["choices"].([]any) {
				d := ch.(map[string]any)["delta"].(map[string]any)
				r, _ := d["reasoning_content"].(string)
				s, _ := d["content"].(string)
				reasoning += r
				content += s
				if tc, ok := d["tool_calls"].([]any); ok {
					tools += len(tc)
				}
			}
		}
		return
	}
	req := func(user string, thinking bool) string {
		typ := "disabled"
		if thinking {
			typ = "enabled"
		}
		return `{"model": "` + FixtureModel + `", "stream": true, "stream_options": {"include_usage": true}, "thinking": {"type": "` + typ + `"}, "messages": [{"role": "user", "content": ` + jsonString(user) + `}]}`
	}
	r, c, _, _ := text(events(t, srv.URL, req("Hello\nworld", true)))
	if !strings.HasPrefix(r, `The user wrote "Hello world".`) || !strings.Contains(c, "You said: **Hello world**") || !strings.Contains(c, "```go") {
		t.Errorf("reasoning %q content %q", r, c)
	}
	if r, c, _, _ = text(events(t, srv.URL, req("No thinking please", false))); r != "" || !strings.Contains(c, "**No thinking please**") {
		t.Errorf("thinking off: reasoning %q content %q", r, c)
	}
	if _, c, n, _ := text(events(t, srv.URL, req("What is the weather in Tokyo?", false))); n == 0 || c != "I'll check." {
		t.Errorf("weather: %d tool-call deltas, content %q", n, c)
	}
	if _, _, _, e := text(events(t, srv.URL, req("please fail", true))); !strings.Contains(e, "failed on purpose") {
		t.Errorf("fail: error %q", e)
	}

	// The endless story, closed by the client after a while.
	ctx, cancel := context.WithCancel(context.Background())
	hr, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/v1/chat/completions", strings.NewReader(req("Tell me a long story", true)))
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(res.Body)
	var story strings.Builder
	for sc.Scan() && story.Len() < 300 {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var ch struct {
				Choices []struct {
					Delta struct {
						Content *string `json:"content"`
					} `json:"delta"`
				} `json:"choices"`
			}
			json.Unmarshal([]byte(d), &ch)
			if len(ch.Choices) > 0 && ch.Choices[0].Delta.Content != nil {
				story.WriteString(*ch.Choices[0].Delta.Content)
			}
		}
	}
	cancel()
	res.Body.Close()
	if !strings.HasPrefix(story.String(), "Once upon a time") || !strings.Contains(story.String(), "Another paragraph of the story that never ends") {
		t.Errorf("story %q", story.String())
	}
	ts.WaitIdle(t)
	deadline := time.Now().Add(5 * time.Second)
	for rec.Disconnects() != 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}

	reqs := rec.Requests()
	if len(reqs) != 5 || rec.Disconnects() != 1 {
		t.Fatalf("recorded %d requests, %d disconnects; want 5 and 1", len(reqs), rec.Disconnects())
	}
	if reqs[0].Thinking == nil || reqs[0].Thinking.Type != "enabled" || reqs[0].StreamOptions == nil || !reqs[0].StreamOptions.IncludeUsage {
		t.Errorf("first request %+v", reqs[0])
	}
	if len(reqs[2].Tools) != 0 {
		t.Error("the recorder changed the recorded request")
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
