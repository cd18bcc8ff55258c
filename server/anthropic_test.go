package server_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// sseEvent is one named server-sent event.
type sseEvent struct {
	Name string
	Data map[string]any
}

// postSSE posts body and reads Anthropic's named events.
func postSSE(t *testing.T, url, body string, header ...string) []sseEvent {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var out []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			cur.Name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &cur.Data); err != nil {
				t.Fatalf("event %q: %v", line, err)
			}
		case line == "":
			if cur.Name == "" {
				t.Fatalf("an unnamed event: %v (the Anthropic SDK skips those)", cur.Data)
			}
			if cur.Data["type"] != cur.Name {
				t.Errorf("event %q has type %v", cur.Name, cur.Data["type"])
			}
			out = append(out, cur)
			cur = sseEvent{}
		}
	}
	return out
}

// anthropicMessage is a non-streaming Messages response.
type anthropicMessage struct {
	ID           string  `json:"id"`
	Type         string  `json:"type"`
	Role         string  `json:"role"`
	Model        string  `json:"model"`
	StopReason   string  `json:"stop_reason"`
	StopSequence *string `json:"stop_sequence"`
	Content      []struct {
		Type      string          `json:"type"`
		Text      string          `json:"text"`
		Thinking  string          `json:"thinking"`
		Signature string          `json:"signature"`
		ID        string          `json:"id"`
		Name      string          `json:"name"`
		Input     json.RawMessage `json:"input"`
	} `json:"content"`
	Usage struct {
		InputTokens          int  `json:"input_tokens"`
		OutputTokens         int  `json:"output_tokens"`
		CacheReadInputTokens *int `json:"cache_read_input_tokens"`
	} `json:"usage"`
}

func postMessage(t *testing.T, url, body string, header ...string) anthropicMessage {
	t.Helper()
	status, resp := post(t, url, body, header...)
	if status != 200 {
		t.Fatalf("status %d: %s", status, resp)
	}
	var m anthropicMessage
	if err := json.Unmarshal([]byte(resp), &m); err != nil {
		t.Fatalf("%s: %v", resp, err)
	}
	return m
}

// blockTypes lists a message's content block types.
func (m anthropicMessage) blockTypes() string {
	var s []string
	for _, b := range m.Content {
		s = append(s, b.Type)
	}
	return strings.Join(s, ",")
}

// anthropicScript answers after a system prompt, and reasons in thinking mode.
func anthropicScript(prompt string) string {
	switch {
	case strings.HasSuffix(prompt, "<think>"):
		return "Two plus two makes four, a small sum.</think>The answer is 4."
	case strings.HasSuffix(prompt, "It is"):
		return " 4, surely."
	case strings.Contains(prompt, "Be a pirate"):
		return "Arr, 4."
	}
	return "It is 4. Done here, bye."
}

func TestAnthropicMessages(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: anthropicScript})
	url := ts.URL + "/anthropic/v1/messages"
	m := postMessage(t, url, `{"model": "claude-sonnet-4-5", "max_tokens": 200, "messages": [{"role": "user", "content": "2+2?"}]}`)
	if !strings.HasPrefix(m.ID, "msg_") || m.Type != "message" || m.Role != "assistant" || m.Model != "claude-sonnet-4-5" {
		t.Errorf("envelope %+v", m)
	}
	if m.blockTypes() != "text" || m.Content[0].Text != "It is 4. Done here, bye." || m.StopReason != "end_turn" || m.StopSequence != nil {
		t.Errorf("message %+v", m)
	}
	if m.Usage.InputTokens == 0 || m.Usage.OutputTokens == 0 || m.Usage.CacheReadInputTokens == nil {
		t.Errorf("usage %+v", m.Usage)
	}

	// /v1/messages too; the system prompt as a string and as blocks.
	for _, system := range []string{`"Be a pirate."`, `[{"type": "text", "text": "Be a pirate.", "cache_control": {"type": "ephemeral"}}]`} {
		m = postMessage(t, ts.URL+"/v1/messages", `{"model": "deepseek-chat", "max_tokens": 50, "system": `+system+`, "messages": [{"role": "user", "content": [{"type": "text", "text": "2+2?"}]}]}`)
		if m.Content[0].Text != "Arr, 4." {
			t.Errorf("system %s: %+v", system, m.Content)
		}
	}

	// stop_sequences: which one stopped it.
	m = postMessage(t, url, `{"model": "v3", "max_tokens": 50, "stop_sequences": ["nothing", "Done"], "messages": [{"role": "user", "content": "2+2?"}]}`)
	if m.StopReason != "stop_sequence" || m.StopSequence == nil || *m.StopSequence != "Done" || m.Content[0].Text != "It is 4. " {
		t.Errorf("stop sequence: %q %v %q", m.StopReason, m.StopSequence, m.Content[0].Text)
	}
	// max_tokens.
	m = postMessage(t, url, `{"model": "v3", "max_tokens": 2, "messages": [{"role": "user", "content": "2+2?"}]}`)
	if m.StopReason != "max_tokens" || m.Usage.OutputTokens != 2 {
		t.Errorf("max_tokens: %q, %d tokens", m.StopReason, m.Usage.OutputTokens)
	}
	// Sampling fields are accepted; the key may come as x-api-key.
	m = postMessage(t, url, `{"model": "v3", "max_tokens": 50, "temperature": 0.2, "top_p": 0.9, "top_k": 5, "metadata": {"user_id": "u1"}, "messages": [{"role": "user", "content": "2+2?"}]}`, "x-api-key", "sk-x", "anthropic-version", "2023-06-01")
	if m.Content[0].Text != "It is 4. Done here, bye." {
		t.Errorf("sampling: %+v", m.Content)
	}
	// An assistant prefill is continued.
	m = postMessage(t, url, `{"model": "v3", "max_tokens": 50, "messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "It is"}]}`)
	if m.Content[0].Text != " 4, surely." {
		t.Errorf("prefill: %q", m.Content[0].Text)
	}

	// count_tokens renders and tokenizes without generating.
	status, body := post(t, ts.URL+"/v1/messages/count_tokens", `{"model": "v3", "messages": [{"role": "user", "content": "2+2?"}]}`)
	var ct struct {
		InputTokens int `json:"input_tokens"`
	}
	if json.Unmarshal([]byte(body), &ct); status != 200 || ct.InputTokens == 0 {
		t.Errorf("count_tokens: %d %s", status, body)
	}
	// Anthropic's model list.
	r, err := http.Get(ts.URL + "/anthropic/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Data []struct {
			Type, ID string
		} `json:"data"`
		HasMore bool `json:"has_more"`
	}
	json.NewDecoder(r.Body).Decode(&list)
	r.Body.Close()
	if len(list.Data) != 3 || list.Data[0].ID != "v3" || list.Data[0].Type != "model" {
		t.Errorf("models %+v", list)
	}
}

func TestAnthropicThinking(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: anthropicScript})
	url := ts.URL + "/anthropic/v1/messages"
	req := `{"model": "deepseek-chat", "max_tokens": 2048, "thinking": {"type": "enabled", "budget_tokens": 1024}, "messages": [{"role": "user", "content": "2+2?"}]`
	m := postMessage(t, url, req+`}`)
	if m.blockTypes() != "thinking,text" || m.Content[0].Thinking != "Two plus two makes four, a small sum." || m.Content[0].Signature == "" || m.Content[1].Text != "The answer is 4." {
		t.Errorf("blocks %+v", m.Content)
	}
	// deepseek-reasoner thinks without the field; thinking disabled does not.
	if m := postMessage(t, url, `{"model": "deepseek-reasoner", "max_tokens": 100, "messages": [{"role": "user", "content": "2+2?"}]}`); m.blockTypes() != "thinking,text" {
		t.Errorf("deepseek-reasoner: %s", m.blockTypes())
	}
	if m := postMessage(t, url, `{"model": "deepseek-reasoner", "max_tokens": 100, "thinking": {"type": "disabled"}, "messages": [{"role": "user", "content": "2+2?"}]}`); m.blockTypes() != "text" {
		t.Errorf("disabled: %s", m.blockTypes())
	}

	// Streaming: message_start, then the thinking block (deltas, signature),
	// the text block, message_delta and message_stop.
	evs := postSSE(t, url, req+`, "stream": true}`)
	var names []string
	var thinking, text strings.Builder
	for _, e := range evs {
		names = append(names, e.Name)
		if e.Name == "content_block_delta" {
			d := e.Data["delta"].(map[string]any)
			switch d["type"] {
			case "thinking_delta":
				thinking.WriteString(d["thinking"].(string))
			case "text_delta":
				if thinking.Len() == 0 {
					t.Error("text before thinking")
				}
				text.WriteString(d["text"].(string))
			}
		}
	}
	seq := strings.Join(names, " ")
	compact := strings.NewReplacer(" content_block_delta", "").Replace(seq)
	if compact != "message_start ping content_block_start content_block_stop content_block_start content_block_stop message_delta message_stop" {
		t.Errorf("event order: %s", seq)
	}
	if thinking.String() != "Two plus two makes four, a small sum." || text.String() != "The answer is 4." {
		t.Errorf("thinking %q, text %q", thinking.String(), text.String())
	}
	start := evs[0].Data["message"].(map[string]any)
	if start["role"] != "assistant" || start["usage"].(map[string]any)["input_tokens"].(float64) == 0 {
		t.Errorf("message_start %v", start)
	}
	first := evs[2].Data["content_block"].(map[string]any)
	if first["type"] != "thinking" {
		t.Errorf("first block %v", first)
	}
	md := evs[len(evs)-2].Data
	if md["delta"].(map[string]any)["stop_reason"] != "end_turn" || md["usage"].(map[string]any)["output_tokens"].(float64) == 0 {
		t.Errorf("message_delta %v", md)
	}
	var sig bool
	for _, e := range evs {
		if d, ok := e.Data["delta"].(map[string]any); ok && d["type"] == "signature_delta" && d["signature"] != "" {
			sig = true
		}
	}
	if !sig {
		t.Error("no signature_delta")
	}
}

func TestAnthropicThinkingBudget(t *testing.T) {
	long := strings.Repeat("Let me consider another angle. ", 40)
	ts := newTestServer(t, serverConfig{script: func(prompt string) string {
		if strings.HasSuffix(prompt, "<think>") {
			return long + "</think>Done: 4."
		}
		return "no thinking"
	}})
	url := ts.URL + "/v1/messages"
	for _, budget := range []int{1, 12} {
		m := postMessage(t, url, `{"model": "v3", "max_tokens": 1000, "thinking": {"type": "enabled", "budget_tokens": `+jsonNum(budget)+`}, "messages": [{"role": "user", "content": "2+2?"}]}`)
		if m.blockTypes() != "thinking,text" || m.StopReason != "end_turn" || m.Content[1].Text != "Done: 4." {
			t.Fatalf("budget %d: %s %q %+v", budget, m.blockTypes(), m.StopReason, m.Content)
		}
		th := m.Content[0].Thinking
		if !strings.HasPrefix(long, th) || len(th) == 0 || len(th) > 8*budget {
			t.Errorf("budget %d: thinking %q", budget, th)
		}
		// Reasoning tokens + the 3 forced ones of "</think>" + the answer and EOS.
		if m.Usage.OutputTokens > budget+3+8 {
			t.Errorf("budget %d: %d output tokens", budget, m.Usage.OutputTokens)
		}
	}
	// Without a budget the whole reasoning comes.
	m := postMessage(t, url, `{"model": "v3", "max_tokens": 1000, "thinking": {"type": "adaptive"}, "messages": [{"role": "user", "content": "2+2?"}]}`)
	if m.Content[0].Thinking != strings.TrimSpace(long) {
		t.Errorf("no budget: %q", m.Content[0].Thinking)
	}
}

func jsonNum(n int) string { b, _ := json.Marshal(n); return string(b) }

const anthropicWeatherTool = `{"name": "get_weather", "description": "Get the weather of a city", "input_schema": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}`

func TestAnthropicTools(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: toolScript})
	url := ts.URL + "/v1/messages"
	req := `{"model": "deepseek-chat", "max_tokens": 300, "tools": [` + anthropicWeatherTool + `], "messages": [{"role": "user", "content": "Weather in Tokyo?"}]`
	m := postMessage(t, url, req+`}`)
	if m.StopReason != "tool_use" || m.blockTypes() != "tool_use" {
		t.Fatalf("%q %s", m.StopReason, m.blockTypes())
	}
	call := m.Content[0]
	var input map[string]string
	if !strings.HasPrefix(call.ID, "toolu_") || call.Name != "get_weather" || json.Unmarshal(call.Input, &input) != nil || input["location"] != "Tokyo" {
		t.Errorf("tool_use %+v", call)
	}

	// Streaming: a tool_use block whose input comes as input_json_delta.
	evs := postSSE(t, url, req+`, "stream": true}`)
	var partial strings.Builder
	var sawStart bool
	for _, e := range evs {
		if e.Name == "content_block_start" {
			b := e.Data["content_block"].(map[string]any)
			sawStart = b["type"] == "tool_use" && b["name"] == "get_weather" && strings.HasPrefix(b["id"].(string), "toolu_")
		}
		if d, ok := e.Data["delta"].(map[string]any); ok && d["type"] == "input_json_delta" {
			partial.WriteString(d["partial_json"].(string))
		}
		if e.Name == "message_delta" && e.Data["delta"].(map[string]any)["stop_reason"] != "tool_use" {
			t.Errorf("stream stop reason %v", e.Data["delta"])
		}
	}
	if !sawStart || partial.String() != `{"location": "Tokyo"}` {
		t.Errorf("streamed tool_use: start %v, input %q", sawStart, partial.String())
	}

	// The round trip: tool_use back, tool_result in a user message.
	round := `{"model": "deepseek-chat", "max_tokens": 300, "tools": [` + anthropicWeatherTool + `], "messages": [
		{"role": "user", "content": "Weather in Tokyo?"},
		{"role": "assistant", "content": [{"type": "text", "text": "Checking."}, {"type": "tool_use", "id": "` + call.ID + `", "name": "get_weather", "input": {"location": "Tokyo"}}]},
		{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "` + call.ID + `", "content": [{"type": "text", "text": "sunny"}]}]}]}`
	m = postMessage(t, url, round)
	if m.StopReason != "end_turn" || m.Content[0].Text != "It is sunny in Tokyo." {
		t.Errorf("after the tool result: %q %+v", m.StopReason, m.Content)
	}

	// tool_choice none: the call is text.
	m = postMessage(t, url, strings.Replace(req, `"tools"`, `"tool_choice": {"type": "none"}, "tools"`, 1)+`}`)
	if m.StopReason != "end_turn" || m.blockTypes() != "text" {
		t.Errorf("tool_choice none: %q %s", m.StopReason, m.blockTypes())
	}

	// Thinking with tools: the tool loop needs the thinking block back.
	think := `{"model": "v3", "max_tokens": 300, "thinking": {"type": "enabled", "budget_tokens": 2000}, "tools": [` + anthropicWeatherTool + `], "messages": [{"role": "user", "content": "Weather in Tokyo?"}`
	m = postMessage(t, url, think+`]}`)
	if m.blockTypes() != "thinking,tool_use" || m.Content[0].Thinking != "I should check the weather." {
		t.Fatalf("thinking tool call: %+v", m.Content)
	}
	id := m.Content[1].ID
	bare := `, {"role": "assistant", "content": [{"type": "tool_use", "id": "` + id + `", "name": "get_weather", "input": {"location": "Tokyo"}}]}, {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "` + id + `", "content": "sunny"}]}]}`
	status, body := post(t, url, think+bare)
	if status != 400 || !strings.Contains(body, "thinking block") || !strings.Contains(body, `"invalid_request_error"`) {
		t.Errorf("missing thinking block: %d %s", status, body)
	}
	withThinking := strings.Replace(bare, `"content": [{"type": "tool_use"`, `"content": [{"type": "thinking", "thinking": "I should check the weather.", "signature": "x"}, {"type": "tool_use"`, 1)
	m = postMessage(t, url, think+withThinking)
	if m.Content[len(m.Content)-1].Text != "It is sunny in Tokyo." {
		t.Errorf("with the thinking block: %+v", m.Content)
	}

	// tool_choice any with a model that would rather talk: a valid call.
	chatty := newTestServer(t, serverConfig{script: fixed("I would rather not call anything.")})
	m = postMessage(t, chatty.URL+"/v1/messages", strings.Replace(req, `"tools"`, `"tool_choice": {"type": "any"}, "tools"`, 1)+`}`)
	var args map[string]string
	if m.StopReason != "tool_use" || m.blockTypes() != "tool_use" || json.Unmarshal(m.Content[0].Input, &args) != nil || args["location"] == "" {
		t.Errorf("tool_choice any: %q %+v", m.StopReason, m.Content)
	}
	m = postMessage(t, chatty.URL+"/v1/messages", strings.Replace(req, `"tools"`, `"tool_choice": {"type": "tool", "name": "get_weather"}, "tools"`, 1)+`}`)
	if m.StopReason != "tool_use" || m.Content[0].Name != "get_weather" {
		t.Errorf("tool_choice tool: %q %+v", m.StopReason, m.Content)
	}
}

func TestAnthropicCacheRead(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: fixed("ok"), prefix: true})
	system := strings.Repeat("You are a careful assistant who answers briefly. ", 20)
	ask := func(q string) anthropicMessage {
		return postMessage(t, ts.URL+"/v1/messages", `{"model": "v3", "max_tokens": 20, "system": `+jsonString(system)+`, "messages": [{"role": "user", "content": `+jsonString(q)+`}]}`)
	}
	first, second := ask("Question A?"), ask("Question B?")
	if *first.Usage.CacheReadInputTokens != 0 || *second.Usage.CacheReadInputTokens == 0 {
		t.Errorf("cache reads %d then %d", *first.Usage.CacheReadInputTokens, *second.Usage.CacheReadInputTokens)
	}
	if a, b := first.Usage.InputTokens, second.Usage.InputTokens+*second.Usage.CacheReadInputTokens; a != b {
		t.Errorf("input_tokens + cache_read_input_tokens: %d, want %d (same prompt length)", b, a)
	}
}

func TestAnthropicErrors(t *testing.T) {
	ts := newTestServer(t, serverConfig{script: anthropicScript})
	url := ts.URL + "/v1/messages"
	msgs := `"messages": [{"role": "user", "content": "Hi"}]`
	cases := []struct {
		name, body string
		status     int
		typ, want  string
	}{
		{"malformed JSON", `{"model": `, 400, "invalid_request_error", "not valid JSON"},
		{"missing model", `{"max_tokens": 5, ` + msgs + `}`, 400, "invalid_request_error", "model: Field required"},
		{"missing max_tokens", `{"model": "v3", ` + msgs + `}`, 400, "invalid_request_error", "max_tokens: Field required"},
		{"max_tokens zero", `{"model": "v3", "max_tokens": 0, ` + msgs + `}`, 400, "invalid_request_error", "max_tokens"},
		{"no messages", `{"model": "v3", "max_tokens": 5, "messages": []}`, 400, "invalid_request_error", "at least one message"},
		{"bad role", `{"model": "v3", "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]}`, 400, "invalid_request_error", "messages.0.role"},
		{"image block", `{"model": "v3", "max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "image", "source": {}}]}]}`, 400, "invalid_request_error", "image"},
		{"content type", `{"model": "v3", "max_tokens": 5, "messages": [{"role": "user", "content": 5}]}`, 400, "invalid_request_error", "messages.0.content"},
		{"tool_result without id", `{"model": "v3", "max_tokens": 5, "messages": [{"role": "user", "content": [{"type": "tool_result", "content": "x"}]}]}`, 400, "invalid_request_error", "tool_use_id"},
		{"temperature range", `{"model": "v3", "max_tokens": 5, "temperature": 5, ` + msgs + `}`, 400, "invalid_request_error", "temperature"},
		{"bad thinking", `{"model": "v3", "max_tokens": 5, "thinking": {"type": "on"}, ` + msgs + `}`, 400, "invalid_request_error", "thinking.type"},
		{"budget zero", `{"model": "v3", "max_tokens": 5, "thinking": {"type": "enabled", "budget_tokens": 0}, ` + msgs + `}`, 400, "invalid_request_error", "budget_tokens"},
		{"tool without schema", `{"model": "v3", "max_tokens": 5, "tools": [{"name": "f"}], ` + msgs + `}`, 400, "invalid_request_error", "input_schema"},
		{"server tool", `{"model": "v3", "max_tokens": 5, "tools": [{"type": "web_search_20250305", "name": "web_search"}], ` + msgs + `}`, 400, "invalid_request_error", "not supported"},
		{"bad tool name", `{"model": "v3", "max_tokens": 5, "tools": [{"name": "bad name", "input_schema": {"type": "object"}}], ` + msgs + `}`, 400, "invalid_request_error", "tools.0.name"},
		{"bad tool_choice", `{"model": "v3", "max_tokens": 5, "tool_choice": {"type": "sometimes"}, ` + msgs + `}`, 400, "invalid_request_error", "tool_choice"},
		{"unknown tool", `{"model": "v3", "max_tokens": 5, "tools": [` + anthropicWeatherTool + `], "tool_choice": {"type": "tool", "name": "g"}, ` + msgs + `}`, 400, "invalid_request_error", "not among the tools"},
		{"any without tools", `{"model": "v3", "max_tokens": 5, "tool_choice": {"type": "any"}, ` + msgs + `}`, 400, "invalid_request_error", "needs tools"},
		{"too long", `{"model": "v3", "max_tokens": 5000, ` + msgs + `}`, 400, "invalid_request_error", "maximum context length"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := post(t, url, c.body)
			var e struct {
				Type  string `json:"type"`
				Error struct {
					Type    string `json:"type"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil || e.Type != "error" {
				t.Fatalf("status %d, body %q is not an Anthropic error", status, body)
			}
			if status != c.status || e.Error.Type != c.typ || !strings.Contains(e.Error.Message, c.want) {
				t.Errorf("got %d %s %q, want %d %s mentioning %q", status, e.Error.Type, e.Error.Message, c.status, c.typ, c.want)
			}
		})
	}

	// Authentication: x-api-key or a bearer token; failures in Anthropic's shape.
	keyed := newTestServer(t, serverConfig{script: fixed("ok"), keys: []string{"sk-ant-secret-1234"}})
	body := `{"model": "v3", "max_tokens": 5, ` + msgs + `}`
	for _, h := range [][]string{{"x-api-key", "sk-ant-secret-1234"}, {"Authorization", "Bearer sk-ant-secret-1234"}} {
		if status, resp := post(t, keyed.URL+"/anthropic/v1/messages", body, h...); status != 200 {
			t.Errorf("%s: %d %s", h[0], status, resp)
		}
	}
	status, resp := post(t, keyed.URL+"/anthropic/v1/messages", body, "x-api-key", "sk-ant-wrong-9999")
	if status != 401 || !strings.Contains(resp, `"type":"error"`) || !strings.Contains(resp, `"authentication_error"`) {
		t.Errorf("bad key: %d %s", status, resp)
	}
}
