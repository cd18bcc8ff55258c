package server_test

import (
	"bufio"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/seekd/seekd/hub"
	"github.com/seekd/seekd/hub/hubtest"
	"github.com/seekd/seekd/server"
	"github.com/seekd/seekd/server/servertest"
)

// ollamaChunk is one /api/chat or /api/generate object.
type ollamaChunk struct {
	Model     string `json:"model"`
	CreatedAt string `json:"created_at"`
	Message   *struct {
		Role      string `json:"role"`
		Content   string `json:"content"`
		Thinking  string `json:"thinking"`
		ToolCalls []struct {
			ID       string `json:"id"`
			Function struct {
				Index     int             `json:"index"`
				Name      string          `json:"name"`
				Arguments json.RawMessage `json:"arguments"`
			} `json:"function"`
		} `json:"tool_calls"`
	} `json:"message"`
	Response           *string `json:"response"`
	Thinking           string  `json:"thinking"`
	Done               bool    `json:"done"`
	DoneReason         string  `json:"done_reason"`
	TotalDuration      int64   `json:"total_duration"`
	PromptEvalCount    int     `json:"prompt_eval_count"`
	PromptEvalDuration int64   `json:"prompt_eval_duration"`
	EvalCount          int     `json:"eval_count"`
	EvalDuration       int64   `json:"eval_duration"`
	Error              string  `json:"error"`
}

// ollamaStream posts body and reads the NDJSON lines (or the one object).
func ollamaStream(t *testing.T, url, body string) (int, string, []ollamaChunk) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []ollamaChunk
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var c ollamaChunk
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		out = append(out, c)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), out
}

// collect joins a stream's thinking and content, checking thinking comes first.
func collect(t *testing.T, chunks []ollamaChunk) (thinking, content string, last ollamaChunk) {
	t.Helper()
	for i, c := range chunks {
		if c.Done != (i == len(chunks)-1) {
			t.Errorf("chunk %d of %d: done %v", i, len(chunks), c.Done)
		}
		th, ct := c.Thinking, ""
		if c.Message != nil {
			th, ct = c.Message.Thinking, c.Message.Content
			if c.Message.Role != "assistant" {
				t.Errorf("role %q", c.Message.Role)
			}
		} else if c.Response != nil {
			ct = *c.Response
		}
		if th != "" && content != "" {
			t.Error("thinking after content")
		}
		thinking += th
		content += ct
	}
	return thinking, content, chunks[len(chunks)-1]
}

func ollamaScript(prompt string) string {
	switch {
	case strings.Contains(prompt, "<｜fim▁end｜>"):
		return "    return a + b\n"
	case strings.HasSuffix(prompt, "RAW: no template"): // raw: no chat template around it
		return " raw continuation"
	case strings.HasSuffix(prompt, "<think>"):
		return "Two plus two is four.</think>The answer is 4."
	case strings.Contains(prompt, "JSON"):
		return `{"answer": 4}`
	case strings.Contains(prompt, "Be a pirate"):
		return "Arr, 4."
	}
	return "It is 4. Done."
}

func TestOllamaDiscovery(t *testing.T) {
	ts := servertest.Start(t, servertest.Config{Script: ollamaScript, Ollama: true})
	get := func(url string) (int, string) {
		r, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	// The Ollama listener's banner; the main listener's / is not Ollama's.
	if status, body := get(ts.OllamaURL + "/"); status != 200 || body != "Ollama is running" {
		t.Errorf("ollama /: %d %q", status, body)
	}
	if status, body := get(ts.URL + "/"); status != 404 || strings.Contains(body, "Ollama") {
		t.Errorf("main /: %d %q", status, body)
	}
	if status, body := get(ts.OllamaURL + "/nope"); status != 404 || !strings.Contains(body, `"error"`) {
		t.Errorf("ollama unknown route: %d %q", status, body)
	}
	// The OpenAI API answers on the Ollama port too (VS Code's Ollama provider uses it).
	if status, _ := post(t, ts.OllamaURL+"/v1/chat/completions", `{"model": "v3", "messages": [{"role": "user", "content": "Hi"}]}`); status != 200 {
		t.Errorf("/v1 on the Ollama port: %d", status)
	}

	for _, base := range []string{ts.URL, ts.OllamaURL} {
		_, body := get(base + "/api/version")
		var v struct{ Version string }
		if json.Unmarshal([]byte(body), &v); !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v.Version) {
			t.Errorf("version %q", body)
		}
	}
	_, body := get(ts.OllamaURL + "/api/tags")
	var tags struct {
		Models []struct {
			Name, Model, Digest string
			ModifiedAt          string `json:"modified_at"`
			Size                int64
			Details             struct {
				Format, Family string
				Families       []string
			}
		}
	}
	if err := json.Unmarshal([]byte(body), &tags); err != nil || len(tags.Models) != 1 {
		t.Fatalf("tags %s: %v", body, err)
	}
	if m := tags.Models[0]; m.Name != "v3" || m.Model != "v3" || len(m.Digest) != 64 || m.Size == 0 || m.Details.Family == "" || len(m.Details.Families) != 1 {
		t.Errorf("tag %+v", m)
	}
	if _, err := time.Parse(time.RFC3339Nano, tags.Models[0].ModifiedAt); err != nil {
		t.Errorf("modified_at: %v", err)
	}

	for _, req := range []string{`{"model": "v3"}`, `{"name": "v3:latest"}`, `{"model": "deepseek-reasoner"}`} {
		status, body := post(t, ts.OllamaURL+"/api/show", req)
		var show struct {
			Capabilities []string       `json:"capabilities"`
			ModelInfo    map[string]any `json:"model_info"`
			Template     string         `json:"template"`
			Details      map[string]any `json:"details"`
		}
		if err := json.Unmarshal([]byte(body), &show); err != nil || status != 200 {
			t.Fatalf("show %s: %d %s", req, status, body)
		}
		if strings.Join(show.Capabilities, ",") != "completion,tools,thinking,insert" {
			t.Errorf("capabilities %v", show.Capabilities)
		}
		arch, _ := show.ModelInfo["general.architecture"].(string)
		if arch == "" || show.ModelInfo[arch+".context_length"] != float64(4096) || show.Template == "" || show.Details["family"] != arch {
			t.Errorf("show %s: %s", req, body)
		}
	}
	if status, body := post(t, ts.OllamaURL+"/api/show", `{"model": "llama3"}`); status != 404 || !strings.Contains(body, `"error":"model \"llama3\" not found`) {
		t.Errorf("show unknown: %d %s", status, body)
	}

	_, body = get(ts.URL + "/api/ps")
	var ps struct {
		Models []struct {
			Name          string `json:"name"`
			ExpiresAt     string `json:"expires_at"`
			SizeVRAM      *int64 `json:"size_vram"`
			ContextLength int    `json:"context_length"`
		}
	}
	if json.Unmarshal([]byte(body), &ps); len(ps.Models) != 1 || ps.Models[0].ContextLength != 4096 || ps.Models[0].SizeVRAM == nil || ps.Models[0].ExpiresAt == "" {
		t.Errorf("ps %s", body)
	}
	for _, p := range []string{"/api/embed", "/api/create", "/api/copy"} {
		if status, body := post(t, ts.URL+p, `{}`); status != 501 || !strings.Contains(body, `"error"`) {
			t.Errorf("%s: %d %s", p, status, body)
		}
	}
}

func TestOllamaChat(t *testing.T) {
	ts := servertest.Start(t, servertest.Config{Script: ollamaScript, Ollama: true})
	url := ts.OllamaURL + "/api/chat"
	status, ctype, chunks := ollamaStream(t, url, `{"model": "v3", "think": true, "messages": [{"role": "user", "content": "2+2?"}]}`)
	if status != 200 || ctype != "application/x-ndjson" || len(chunks) < 3 {
		t.Fatalf("%d %q, %d chunks", status, ctype, len(chunks))
	}
	thinking, content, last := collect(t, chunks)
	if thinking != "Two plus two is four." || content != "The answer is 4." {
		t.Errorf("thinking %q content %q", thinking, content)
	}
	if last.DoneReason != "stop" || last.EvalCount == 0 || last.PromptEvalCount == 0 || last.EvalDuration <= 0 || last.TotalDuration < last.EvalDuration || last.PromptEvalDuration <= 0 {
		t.Errorf("final chunk %+v", last)
	}
	if _, err := time.Parse(time.RFC3339Nano, last.CreatedAt); err != nil || last.Model != "v3" {
		t.Errorf("created_at %q model %q", last.CreatedAt, last.Model)
	}

	// "stream": false: one object. think levels; think false.
	for _, c := range []struct{ think, thinking, content string }{
		{`false`, "", "It is 4. Done."},
		{`"high"`, "Two plus two is four.", "The answer is 4."},
		{`null`, "", "It is 4. Done."}, // V3.1's template thinks only when asked
	} {
		_, ctype, chunks := ollamaStream(t, url, `{"model": "v3", "stream": false, "think": `+c.think+`, "messages": [{"role": "user", "content": "2+2?"}]}`)
		if len(chunks) != 1 || ctype != "application/json" || !chunks[0].Done {
			t.Fatalf("think %s: %d chunks, %q", c.think, len(chunks), ctype)
		}
		m := chunks[0].Message
		if m.Thinking != c.thinking || m.Content != c.content || chunks[0].DoneReason != "stop" || chunks[0].EvalCount == 0 {
			t.Errorf("think %s: %+v", c.think, chunks[0])
		}
	}
	one := func(body string) ollamaChunk {
		t.Helper()
		status, _, chunks := ollamaStream(t, url, body)
		if status != 200 || len(chunks) != 1 {
			t.Fatalf("%s: %d, %d chunks", body, status, len(chunks))
		}
		return chunks[0]
	}
	// A system message, a ":latest" tag, options.
	c := one(`{"model": "v3:latest", "stream": false, "keep_alive": "10m", "options": {"temperature": 0.1, "top_k": 3, "top_p": 0.5, "seed": 7, "num_ctx": 8192, "repeat_penalty": 1.1, "mirostat": 0}, "messages": [{"role": "system", "content": "Be a pirate."}, {"role": "user", "content": "2+2?"}]}`)
	if c.Message.Content != "Arr, 4." || c.Model != "v3:latest" {
		t.Errorf("system: %+v", c)
	}
	c = one(`{"model": "v3", "stream": false, "options": {"num_predict": 2}, "messages": [{"role": "user", "content": "2+2?"}]}`)
	if c.DoneReason != "length" || c.EvalCount != 2 {
		t.Errorf("num_predict: %q, %d tokens", c.DoneReason, c.EvalCount)
	}
	c = one(`{"model": "v3", "stream": false, "options": {"stop": ["Done"]}, "messages": [{"role": "user", "content": "2+2?"}]}`)
	if c.DoneReason != "stop" || c.Message.Content != "It is 4. " {
		t.Errorf("stop: %q %q", c.DoneReason, c.Message.Content)
	}
	// format: "json" and a schema, through constrained decoding.
	for _, format := range []string{`"json"`, `{"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"]}`} {
		c = one(`{"model": "v3", "stream": false, "format": ` + format + `, "messages": [{"role": "user", "content": "Answer in JSON."}]}`)
		var obj struct{ Answer int }
		if json.Unmarshal([]byte(c.Message.Content), &obj) != nil || obj.Answer != 4 {
			t.Errorf("format %s: %q", format, c.Message.Content)
		}
	}
	chatty := one(`{"model": "v3", "stream": false, "format": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}, "messages": [{"role": "user", "content": "2+2?"}]}`)
	var n struct{ N *int }
	if json.Unmarshal([]byte(chatty.Message.Content), &n) != nil || n.N == nil {
		t.Errorf("constrained output %q", chatty.Message.Content)
	}
	// Log-probabilities.
	var lp []struct {
		Token       string  `json:"token"`
		Logprob     float64 `json:"logprob"`
		TopLogprobs []any   `json:"top_logprobs"`
	}
	_, body := post(t, url, `{"model": "v3", "stream": false, "logprobs": true, "top_logprobs": 2, "messages": [{"role": "user", "content": "2+2?"}]}`)
	var withLP struct {
		Logprobs json.RawMessage `json:"logprobs"`
	}
	json.Unmarshal([]byte(body), &withLP)
	if json.Unmarshal(withLP.Logprobs, &lp) != nil || len(lp) == 0 || len(lp[0].TopLogprobs) != 2 || lp[0].Token != "It" {
		t.Errorf("logprobs %s", withLP.Logprobs)
	}
	// Nothing to generate: the model "loads" (or "unloads" with keep_alive 0).
	if c = one(`{"model": "v3", "messages": []}`); !c.Done || c.DoneReason != "load" {
		t.Errorf("load: %+v", c)
	}
	if c = one(`{"model": "v3", "keep_alive": 0}`); c.DoneReason != "unload" {
		t.Errorf("unload: %+v", c)
	}
}

func TestOllamaTools(t *testing.T) {
	ts := servertest.Start(t, servertest.Config{Script: toolScript})
	url := ts.URL + "/api/chat"
	tools := `"tools": [{"type": "function", "function": {"name": "get_weather", "description": "Get the weather", "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}}]`
	for _, stream := range []string{"true", "false"} {
		_, _, chunks := ollamaStream(t, url, `{"model": "v3", "stream": `+stream+`, `+tools+`, "messages": [{"role": "user", "content": "Weather in Tokyo?"}]}`)
		var calls int
		for _, c := range chunks {
			for _, tc := range c.Message.ToolCalls {
				calls++
				var args map[string]string
				if tc.Function.Name != "get_weather" || json.Unmarshal(tc.Function.Arguments, &args) != nil || args["location"] != "Tokyo" || tc.Function.Arguments[0] != '{' || !strings.HasPrefix(tc.ID, "call_") {
					t.Errorf("stream %s: tool call %+v (%s)", stream, tc, tc.Function.Arguments)
				}
			}
		}
		if last := chunks[len(chunks)-1]; calls != 1 || last.DoneReason != "stop" {
			t.Errorf("stream %s: %d calls, done %q", stream, calls, last.DoneReason)
		}
	}
	// The round trip: the call (arguments as an object) and the tool's answer.
	_, _, chunks := ollamaStream(t, url, `{"model": "v3", "stream": false, `+tools+`, "messages": [{"role": "user", "content": "Weather in Tokyo?"},
		{"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "get_weather", "arguments": {"location": "Tokyo"}}}]},
		{"role": "tool", "tool_name": "get_weather", "content": "sunny"}]}`)
	if chunks[0].Message.Content != "It is sunny in Tokyo." {
		t.Errorf("after the tool: %+v", chunks[0].Message)
	}
	// Thinking and tools: the reasoning comes back as message.thinking.
	_, _, chunks = ollamaStream(t, url, `{"model": "v3", "stream": false, "think": true, `+tools+`, "messages": [{"role": "user", "content": "Weather in Tokyo?"}]}`)
	if m := chunks[0].Message; m.Thinking != "I should check the weather." || len(m.ToolCalls) != 1 {
		t.Errorf("thinking tool call: %+v", m)
	}
}

func TestOllamaGenerate(t *testing.T) {
	ts := servertest.Start(t, servertest.Config{Script: ollamaScript})
	url := ts.URL + "/api/generate"
	_, _, chunks := ollamaStream(t, url, `{"model": "v3", "prompt": "2+2?", "think": true}`)
	thinking, content, last := collect(t, chunks)
	if thinking != "Two plus two is four." || content != "The answer is 4." || last.DoneReason != "stop" || last.EvalCount == 0 {
		t.Errorf("generate: thinking %q content %q last %+v", thinking, content, last)
	}
	for _, c := range []struct{ body, want string }{
		{`{"model": "v3", "prompt": "2+2?", "system": "Be a pirate.", "stream": false}`, "Arr, 4."},
		{`{"model": "v3", "prompt": "RAW: no template", "raw": true, "stream": false}`, " raw continuation"},
		{`{"model": "v3", "prompt": "def add(a, b):\n", "suffix": "\nprint(add(1, 2))", "stream": false}`, "    return a + b\n"},
	} {
		_, _, chunks := ollamaStream(t, url, c.body)
		if len(chunks) != 1 || chunks[0].Response == nil || *chunks[0].Response != c.want || chunks[0].DoneReason != "stop" {
			t.Errorf("%s: %+v", c.body, chunks)
		}
	}
	// Streaming FIM.
	_, _, chunks = ollamaStream(t, url, `{"model": "v3", "prompt": "def add(a, b):\n", "suffix": "\nprint(add(1, 2))"}`)
	if _, content, _ := collect(t, chunks); content != "    return a + b\n" {
		t.Errorf("streamed FIM %q", content)
	}
	// An empty prompt loads the model.
	_, _, chunks = ollamaStream(t, url, `{"model": "v3"}`)
	if len(chunks) != 1 || chunks[0].DoneReason != "load" || chunks[0].Response == nil {
		t.Errorf("load: %+v", chunks)
	}
}

func TestOllamaErrors(t *testing.T) {
	ts := servertest.Start(t, servertest.Config{Script: ollamaScript, Template: "deepseek-v3.jinja"})
	cases := []struct {
		name, path, body string
		status           int
		want             string
	}{
		{"malformed", "/api/chat", `{"model": `, 400, "not valid JSON"},
		{"unknown model", "/api/chat", `{"model": "llama3", "messages": [{"role": "user", "content": "x"}]}`, 404, `model "llama3" not found`},
		{"no model", "/api/generate", `{"prompt": "x"}`, 400, "model is required"},
		{"bad think", "/api/chat", `{"model": "v3", "think": "very", "messages": [{"role": "user", "content": "x"}]}`, 400, "think"},
		{"thinking unsupported", "/api/chat", `{"model": "v3", "think": true, "messages": [{"role": "user", "content": "x"}]}`, 400, "does not support thinking"},
		{"bad format", "/api/chat", `{"model": "v3", "format": "xml", "messages": [{"role": "user", "content": "x"}]}`, 400, "format"},
		{"bad role", "/api/chat", `{"model": "v3", "messages": [{"role": "wizard", "content": "x"}]}`, 400, "role"},
		{"images", "/api/chat", `{"model": "v3", "messages": [{"role": "user", "content": "x", "images": ["aGk="]}]}`, 400, "images"},
		{"temperature", "/api/chat", `{"model": "v3", "options": {"temperature": 9}, "messages": [{"role": "user", "content": "x"}]}`, 400, "temperature"},
		{"options type", "/api/chat", `{"model": "v3", "options": {"temperature": "hot"}, "messages": [{"role": "user", "content": "x"}]}`, 400, "options"},
		{"bad tools", "/api/chat", `{"model": "v3", "tools": [{"type": "function"}], "messages": [{"role": "user", "content": "x"}]}`, 400, "function"},
		{"template override", "/api/generate", `{"model": "v3", "prompt": "x", "template": "{{ .Prompt }}"}`, 400, "template"},
		{"raw with system", "/api/generate", `{"model": "v3", "prompt": "x", "raw": true, "system": "s"}`, 400, "system"},
		{"too long", "/api/chat", `{"model": "v3", "options": {"num_predict": 5000}, "messages": [{"role": "user", "content": "x"}]}`, 400, "maximum context length"},
		{"pull without a hub", "/api/pull", `{"model": "deepseek-r1:1.5b"}`, 501, "no model cache"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := post(t, ts.URL+c.path, c.body)
			var e struct{ Error string }
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
				t.Fatalf("status %d, body %q is not an Ollama error", status, body)
			}
			if status != c.status || !strings.Contains(e.Error, c.want) {
				t.Errorf("got %d %q, want %d mentioning %q", status, e.Error, c.status, c.want)
			}
		})
	}
	keyed := servertest.Start(t, servertest.Config{Keys: []string{"sk-ollama-secret"}})
	status, body := post(t, keyed.URL+"/api/chat", `{"model": "v3", "messages": [{"role": "user", "content": "x"}]}`)
	if status != 401 || !strings.HasPrefix(body, `{"error":"Authentication Fails`) {
		t.Errorf("no key: %d %s", status, body)
	}
	if status, _ := post(t, keyed.URL+"/api/chat", `{"model": "v3", "stream": false, "messages": [{"role": "user", "content": "x"}]}`, "Authorization", "Bearer sk-ollama-secret"); status != 200 {
		t.Errorf("with the key: %d", status)
	}
	if r, err := http.Get(keyed.URL + "/api/version"); err != nil || r.StatusCode != 200 {
		t.Errorf("version is public: %v", err)
	}
}

func TestOllamaPullDelete(t *testing.T) {
	fake := hubtest.NewServer()
	t.Cleanup(fake.Close)
	repo := "org/Tiny-GGUF"
	fake.AddRepo(repo, []hubtest.File{
		{Name: "README.md", Data: []byte("# tiny")},
		{Name: "tiny-Q8_0.gguf", Data: []byte(strings.Repeat("GGUF weights ", 20000)), LFS: true},
	}, hubtest.RepoOptions{})
	client := hub.NewClient(hub.Settings{CacheDir: filepath.Join(t.TempDir(), "hub"), Endpoint: fake.URL})
	client.RetryWait = time.Millisecond
	client.Logger = slog.New(slog.DiscardHandler)
	ts := servertest.Start(t, servertest.Config{Options: func(o *server.Options) { o.Hub = client }})

	// Streaming progress in Ollama's shape, ending with "success".
	resp, err := http.Post(ts.URL+"/api/pull", "application/json", strings.NewReader(`{"model": "`+repo+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var statuses []map[string]any
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		statuses = append(statuses, m)
	}
	resp.Body.Close()
	if len(statuses) < 3 || statuses[0]["status"] != "pulling manifest" || statuses[len(statuses)-1]["status"] != "success" {
		t.Fatalf("pull statuses %v", statuses)
	}
	var sawBytes bool
	for _, s := range statuses {
		if s["total"] != nil && s["digest"] != nil && strings.HasPrefix(s["status"].(string), "pulling ") {
			sawBytes = true
		}
	}
	if !sawBytes {
		t.Errorf("no byte progress in %v", statuses)
	}
	if _, err := client.Cache.Resolve(repo); err != nil {
		t.Fatalf("not in the cache after the pull: %v", err)
	}
	// Again, not streamed: one object.
	status, body := post(t, ts.URL+"/api/pull", `{"model": "`+repo+`", "stream": false}`)
	if status != 200 || strings.TrimSpace(body) != `{"status":"success"}` {
		t.Errorf("pull, stream false: %d %s", status, body)
	}
	// Errors: an unknown repo, a path.
	if status, body := post(t, ts.URL+"/api/pull", `{"model": "org/missing"}`); status != 404 || !strings.Contains(body, `"error"`) {
		t.Errorf("unknown repo: %d %s", status, body)
	}
	if status, body := post(t, ts.URL+"/api/pull", `{"model": "/etc"}`); status != 400 || !strings.Contains(body, "not a path") {
		t.Errorf("path: %d %s", status, body)
	}

	del := func(name string) (int, string) {
		req, _ := http.NewRequest("DELETE", ts.URL+"/api/delete", strings.NewReader(`{"model": "`+name+`"}`))
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	if status, body := del(repo); status != 200 {
		t.Fatalf("delete: %d %s", status, body)
	}
	if _, err := client.Cache.Resolve(repo); err == nil {
		t.Error("still in the cache after delete")
	}
	if status, body := del(repo); status != 404 || !strings.Contains(body, "not found") {
		t.Errorf("delete again: %d %s", status, body)
	}
}
