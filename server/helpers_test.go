package server_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

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
}

func newTestServer(t testing.TB, c serverConfig) *testServer {
	t.Helper()
	ts := servertest.Start(t, servertest.Config{
		Template: c.template, Script: c.script, Delay: c.delay, MaxBatch: c.maxBatch, MaxQueue: c.maxQueue,
		Prefix: c.prefix, KeepAlive: c.keepAlive, Keys: c.keys,
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
