package servertest

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seekd/seekd/bundle"
	"github.com/seekd/seekd/engine"
	"github.com/seekd/seekd/server"
	"github.com/seekd/seekd/tokenizer"
)

// DefaultTemplate is the chat template a test model gets unless its Config
// names another: DeepSeek-V3.1's (thinking switch, tools, FIM tokens).
const DefaultTemplate = "deepseek-v3.1.jinja"

// Testdata returns the repository's testdata folder, found by walking up
// from the working directory (a test runs in its package's folder).
func Testdata(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "testdata", "tokenizers", "deepseek_v3", "tokenizer.json")); err == nil {
			return filepath.Join(dir, "testdata")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("servertest: no testdata/tokenizers/deepseek_v3 above the working directory")
		}
		dir = parent
	}
}

// texts caches the text side per template within a test binary: loading
// the 129K-token tokenizer is the slow part of starting a test server.
var texts sync.Map // template path -> *textOnce

type textOnce struct {
	once sync.Once
	text *bundle.Text
	err  error
}

// Text returns a bundle.Text made of the real DeepSeek-V3 tokenizer and the
// chat template file of testdata/chat-templates/templates (e.g.
// "deepseek-r1.jinja"), as bundle.OpenText reads a model folder. Each call
// returns a fresh copy; the tokenizer is shared (it is read-only).
func Text(t testing.TB, template string) *bundle.Text {
	t.Helper()
	if template == "" {
		template = DefaultTemplate
	}
	td := Testdata(t)
	key := filepath.Join(td, template)
	v, _ := texts.LoadOrStore(key, &textOnce{})
	to := v.(*textOnce)
	to.once.Do(func() { to.text, to.err = openText(td, template) })
	if to.err != nil {
		t.Fatal(to.err)
	}
	cp := *to.text
	return &cp
}

// openText writes a model folder (tokenizer.json and a tokenizer_config.json
// carrying the template) into a fresh temporary folder and opens it. The
// folder outlives the test that made it: the cached Text refers to it.
func openText(td, template string) (*bundle.Text, error) {
	src, err := os.ReadFile(filepath.Join(td, "chat-templates", "templates", template))
	if err != nil {
		return nil, fmt.Errorf("servertest: %w", err)
	}
	tj, err := os.ReadFile(filepath.Join(td, "tokenizers", "deepseek_v3", "tokenizer.json"))
	if err != nil {
		return nil, fmt.Errorf("servertest: %w", err)
	}
	dir, err := os.MkdirTemp("", "seekd-servertest-")
	if err != nil {
		return nil, fmt.Errorf("servertest: %w", err)
	}
	cfg := `{"add_bos_token": true, "add_eos_token": false, "bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>", "model_max_length": 131072, "chat_template": ` + jsonString(string(src)) + `}`
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), tj, 0o644); err != nil {
		return nil, fmt.Errorf("servertest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(cfg), 0o644); err != nil {
		return nil, fmt.Errorf("servertest: %w", err)
	}
	text, err := bundle.OpenText(dir)
	if err != nil {
		return nil, fmt.Errorf("servertest: template %s: %w", template, err)
	}
	return text, nil
}

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Config describes a scripted test model and the server around it.
type Config struct {
	// Name is the served model's name (default "v3").
	Name string
	// Template is a chat template file of testdata/chat-templates/templates
	// (default DefaultTemplate).
	Template string
	// Script says what the model answers (default: "OK.").
	Script Script
	// Delay is slept at every forward step.
	Delay time.Duration
	// MaxBatch, MaxQueue and Context configure the engine (defaults: the
	// engine's, and a 4,096-token context).
	MaxBatch, MaxQueue, Context int
	// Prefix turns prefix caching on (16-token blocks).
	Prefix bool

	// KeepAlive is the server's keep-alive interval (default the server's).
	KeepAlive time.Duration
	// Keys are the API keys the server requires (none by default).
	Keys []string
	// Web, if set, builds the handler served at / (the chat page); it gets
	// the server's Authorize.
	Web func(authorize func(*http.Request) bool) http.Handler
	// Ollama also starts the Ollama listener (Server.OllamaURL).
	Ollama bool
	// Options, if set, adjusts the server's options before it is made.
	Options func(*server.Options)
	// Logger receives the server's and engine's logs (default: discarded).
	Logger *slog.Logger
}

// Model returns a server.Model over a scripted model and its engine (closed
// when the test ends), with the real DeepSeek-V3 tokenizer and the chat
// template cfg names. Only the model fields of cfg are used.
func Model(t testing.TB, cfg Config) (server.Model, *Scripted) {
	t.Helper()
	text := Text(t, cfg.Template)
	script := cfg.Script
	if script == nil {
		script = Fixed("OK.")
	}
	fm := NewScripted(text.Tokenizer, script)
	fm.Delay = cfg.Delay
	ctx := cfg.Context
	if ctx <= 0 {
		ctx = 4096
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	eng, err := engine.New(fm, engine.Options{MaxBatch: cfg.MaxBatch, MaxQueue: cfg.MaxQueue, Context: ctx,
		CacheBytes: 1 << 20, BlockTokens: 16, PrefixCache: cfg.Prefix, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	name := cfg.Name
	if name == "" {
		name = "v3"
	}
	return server.Model{Name: name, Bundle: &bundle.Bundle{Text: text, Model: fm}, Engine: eng}, fm
}

// Server is a running seekd server over a scripted model, listening on a
// loopback port.
type Server struct {
	// URL is the server's base URL (http://127.0.0.1:PORT).
	URL string
	// OllamaURL is the Ollama listener's base URL (with Config.Ollama).
	OllamaURL string
	// HTTP is the listener's test server.
	HTTP *httptest.Server
	// API is seekd's handler.
	API *server.Server
	// Engine runs the model.
	Engine *engine.Engine
	// Model is the scripted model.
	Model *Scripted
}

// Start serves a scripted model on a loopback listener until the test ends.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	m, fm := Model(t, cfg)
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opt := server.Options{Models: []server.Model{m}, APIKeys: cfg.Keys, Logger: log, KeepAlive: cfg.KeepAlive}
	var srv *server.Server
	if cfg.Web != nil {
		opt.Web = cfg.Web(func(r *http.Request) bool { return srv.Authorize(r) })
	}
	if cfg.Options != nil {
		cfg.Options(&opt)
	}
	srv, err := server.New(opt)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	out := &Server{URL: ts.URL, HTTP: ts, API: srv, Engine: m.Engine, Model: fm}
	if cfg.Ollama {
		ol := httptest.NewServer(srv.OllamaHandler())
		t.Cleanup(ol.Close)
		out.OllamaURL = ol.URL
	}
	return out
}

// Serve serves h on a loopback listener until the test ends and returns
// its base URL (e.g. a wrapper around Server.API).
func Serve(t testing.TB, h http.Handler) string {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}

// WaitIdle waits (up to 5 s) until the engine runs nothing and holds no
// cache blocks but those the prefix cache keeps, and fails the test
// otherwise.
func (s *Server) WaitIdle(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := s.Engine.Stats()
		if st.Running == 0 && st.Waiting == 0 && st.CacheBlocksUsed == st.Prefix.RAMBlocks {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("engine not idle: %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// LoadTokenizer loads the DeepSeek-V3 tokenizer of testdata.
func LoadTokenizer(t testing.TB) *tokenizer.Tokenizer {
	t.Helper()
	return Text(t, "").Tokenizer
}
