// The ten compatibility checks of api.md §6 and the tests that run them
// (the Python clients cannot be installed here, so openai-go and the npm
// SDKs of server/compat stand in for openai-python, anthropic and
// ollama-python):
//
//  1. non-stream shape, hit+miss = prompt, text-part content: TestChatNonStream
//  2. stream usage with and without include_usage: TestChatStreamUsage
//  3. thinking stream, reasoning_tokens, temperature ignored, logprobs 4xx: TestReasoning
//  4. keep-alive while queued, no "error" key, blank lines before JSON: TestKeepAliveWhileQueued
//  5. tool-call streaming and the tool round trip: TestToolsRoundTrip
//  6. thinking + tools needs reasoning_content back (400), old turns ignored: TestThinkingToolsNeedReasoning
//  7. json_object needs "json" (DeepSeek's message), JSON output, json_schema refused in strict mode: TestJSONOutput
//  8. FIM and prefix completion on /beta, 4xx off it: TestFIMAndPrefix
//  9. prefix-cache accounting: TestPromptCacheAccounting
//  10. Anthropic SDK stream with thinking, ollama chat/list/show: server/compat TestClientLibraries
//     (and without npm: TestAnthropicThinking, TestOllamaChat, TestOllamaDiscovery)
package server_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/seekd/seekd/server"
	"github.com/seekd/seekd/server/servertest"
)

// testServer is a running server over a scripted model, with an openai-go
// client pointed at it.
type testServer struct {
	*servertest.Server
	client openai.Client
}

// serverConfig is the part of servertest.Config these tests vary.
type serverConfig struct {
	template  string // chat template file (default deepseek-v3.1.jinja)
	script    servertest.Script
	delay     time.Duration
	maxBatch  int
	maxQueue  int
	keepAlive time.Duration
	keys      []string
	prefix    bool // prefix caching on
	strict    bool // Options.DeepSeekStrict
}

func newTestServer(t testing.TB, c serverConfig) *testServer {
	t.Helper()
	ts := servertest.Start(t, servertest.Config{
		Template: c.template, Script: c.script, Delay: c.delay, MaxBatch: c.maxBatch, MaxQueue: c.maxQueue,
		Prefix: c.prefix, KeepAlive: c.keepAlive, Keys: c.keys,
		Options: func(o *server.Options) { o.DeepSeekStrict = c.strict },
	})
	key := "sk-test"
	if len(c.keys) > 0 {
		key = c.keys[0]
	}
	client := openai.NewClient(option.WithBaseURL(ts.URL+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
	return &testServer{Server: ts, client: client}
}

// fixed is a script that always answers text.
func fixed(text string) servertest.Script { return servertest.Fixed(text) }

// errorBody is the OpenAI/DeepSeek error shape.
type errorBody struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
