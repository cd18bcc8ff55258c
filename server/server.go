// Package server serves models over DeepSeek's (and OpenAI's) HTTP API:
// chat completions with streamed reasoning, tool calls and JSON output,
// legacy and fill-in-the-middle completions, the model list, health and
// Prometheus metrics; and over Anthropic's Messages API (/v1/messages,
// /anthropic/v1/messages) and Ollama's API (/api/chat, /api/generate,
// /api/tags, /api/show, ..., also on a listener of its own: OllamaHandler).
//
// Every API shares one generation path. A handler decodes its JSON into the
// internal genRequest; prepare renders the chat template and tokenizes; run
// submits one engine request per choice and turns the tokens into parsed
// events (detokenizer, stop strings, reasoning and tool-call parser); an
// API-specific encoder writes those events, framed by the API's front end
// (frontend.go: error shape, server-sent events or NDJSON). The Anthropic
// and Ollama APIs are a decoder, an encoder and a front end each, nothing
// else.
package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seekd/seekd/bundle"
	"github.com/seekd/seekd/engine"
	"github.com/seekd/seekd/grammar"
	"github.com/seekd/seekd/hub"
)

// Model is one served model: its bundle and the engine that runs it.
type Model struct {
	// Name is the id clients use in "model".
	Name string
	// Bundle is the loaded model with its tokenizer and template.
	Bundle *bundle.Bundle
	// Engine schedules the model's requests.
	Engine *engine.Engine
}

// Options configure a Server.
type Options struct {
	// Models are served in this order; the first is what the aliases
	// deepseek-chat and deepseek-reasoner mean.
	Models []Model
	// APIKeys, if any, are required as "Authorization: Bearer KEY" (or
	// x-api-key) on every API route.
	APIKeys []string
	// Logger receives structured logs (default slog.Default()).
	Logger *slog.Logger
	// LogPrompts logs prompts and outputs (off by default).
	LogPrompts bool
	// KeepAlive is the interval of keep-alive comments (streams) or blank
	// lines (non-streaming responses) while a request waits (default 5s).
	KeepAlive time.Duration
	// Web, if set, serves the chat page at / (and its own routes).
	Web http.Handler
	// Registry receives the metrics (default: a new registry).
	Registry *prometheus.Registry
	// DeepSeekStrict refuses what DeepSeek's API refuses where seekd could
	// do more: response_format json_schema gives DeepSeek's 400 "This
	// response_format type is unavailable now" instead of schema-constrained
	// output.
	DeepSeekStrict bool
	// Hub, if set, backs Ollama's /api/pull (downloads into its cache) and
	// /api/delete (removes from it); without it they answer 501.
	Hub *hub.Client
}

// Server is the HTTP API. Create it with New; it is an http.Handler.
type Server struct {
	opt    Options
	log    *slog.Logger
	models []*servedModel
	byName map[string]*servedModel
	keys   [][sha256.Size]byte
	mux    *http.ServeMux
	// ollamaMux serves the Ollama listener.
	ollamaMux *http.ServeMux
	metrics   *metrics
	started   time.Time
	// The front ends: DeepSeek/OpenAI, Anthropic, Ollama.
	openai, anthropic, ollama *frontEnd

	// cut is cancelled when shutdown stops waiting for running requests:
	// their streams end cleanly (finish_reason "length", [DONE]).
	cut       context.Context
	cutCancel context.CancelFunc

	mu       sync.Mutex
	closing  bool
	inflight sync.WaitGroup
}

// servedModel is a Model with what the server derives from it.
type servedModel struct {
	Model
	// vocab is the vocabulary prepared for constrained decoding, built on
	// first use (it walks every token once).
	vocab       func() (*grammar.Vocab, error)
	fingerprint string
	created     int64
	// facts are what the Ollama endpoints report, read on first use.
	facts func() *modelFacts
}

// New builds a server for the given models.
func New(opt Options) (*Server, error) {
	if len(opt.Models) == 0 {
		return nil, fmt.Errorf("server: no models to serve")
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.KeepAlive <= 0 {
		opt.KeepAlive = 5 * time.Second
	}
	if opt.Registry == nil {
		opt.Registry = prometheus.NewRegistry()
	}
	s := &Server{opt: opt, log: opt.Logger, byName: map[string]*servedModel{}, started: time.Now(),
		openai: openAIFront(), anthropic: anthropicFront(), ollama: ollamaFront()}
	s.cut, s.cutCancel = context.WithCancel(context.Background())
	for _, k := range opt.APIKeys {
		if k == "" {
			return nil, fmt.Errorf("server: empty API key")
		}
		s.keys = append(s.keys, sha256.Sum256([]byte(k)))
	}
	for i, m := range opt.Models {
		if m.Name == "" || m.Bundle == nil || m.Engine == nil {
			return nil, fmt.Errorf("server: model %d: name, bundle and engine are required", i)
		}
		if _, dup := s.byName[m.Name]; dup {
			return nil, fmt.Errorf("server: two models are named %q", m.Name)
		}
		sum := sha256.Sum256([]byte(m.Name + "\x00" + m.Bundle.Path))
		tok := m.Bundle.Tokenizer
		sm := &servedModel{Model: m, fingerprint: "fp_" + hex.EncodeToString(sum[:5]) + "_seekd", created: s.started.Unix(),
			vocab: sync.OnceValues(func() (*grammar.Vocab, error) { return grammar.FromTokenizer(tok) }),
			facts: sync.OnceValue(func() *modelFacts { return readFacts(m) })}
		s.models = append(s.models, sm)
		s.byName[m.Name] = sm
	}
	s.metrics = newMetrics(opt.Registry, s.models)
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.apiRoutes(s.mux)
	if s.opt.Web != nil {
		s.mux.Handle("/", s.opt.Web)
	} else {
		s.mux.Handle("/", s.wrap("other", s.openai, false, http.HandlerFunc(s.noRoute)))
	}
	// The Ollama listener: the same API, Ollama's banner at / and no chat page.
	s.ollamaMux = http.NewServeMux()
	s.apiRoutes(s.ollamaMux)
	s.ollamaMux.Handle("/", s.wrap("other", s.ollama, false, http.HandlerFunc(s.ollamaRoot)))
}

// apiRoutes registers every API route (DeepSeek/OpenAI, Anthropic, Ollama).
func (s *Server) apiRoutes(mux *http.ServeMux) {
	api := func(pattern, endpoint string, h func(http.ResponseWriter, *http.Request)) {
		mux.Handle(pattern, s.wrap(endpoint, s.openai, true, http.HandlerFunc(h)))
	}
	api("POST /v1/chat/completions", "chat", s.handleChat(false))
	api("POST /chat/completions", "chat", s.handleChat(false))
	api("POST /beta/chat/completions", "chat", s.handleChat(true))
	api("POST /beta/v1/chat/completions", "chat", s.handleChat(true))
	api("POST /v1/completions", "completions", s.handleCompletions(false))
	api("POST /completions", "completions", s.handleCompletions(false))
	api("POST /beta/completions", "completions", s.handleCompletions(true))
	api("POST /beta/v1/completions", "completions", s.handleCompletions(true))
	api("GET /v1/models", "models", s.handleModels)
	api("GET /models", "models", s.handleModels)
	api("GET /v1/models/{id}", "models", s.handleModel)
	api("GET /models/{id}", "models", s.handleModel)
	mux.Handle("GET /health", s.wrap("health", s.openai, false, http.HandlerFunc(s.handleHealth)))
	mux.Handle("GET /metrics", s.wrap("metrics", s.openai, true, s.metrics.handler()))
	s.anthropicRoutes(mux)
	s.ollamaRoutes(mux)
}

// noRoute answers requests no route matches.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	writeError(w, &apiError{Status: http.StatusNotFound, Message: fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path), Type: typeNotFound, Code: "not_found"})
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// OllamaHandler returns the handler for a listener on Ollama's port
// (11434): every route of the API, but "Ollama is running" at / where the
// main listener serves the chat page, so clients configured for Ollama
// work unchanged.
func (s *Server) OllamaHandler() http.Handler { return s.ollamaMux }

// Authorize reports whether r carries a valid API key (always true when no
// keys are configured). The web page's history API uses the same rule.
func (s *Server) Authorize(r *http.Request) bool {
	_, ok := s.authorize(r)
	return ok
}

// wrap adds recovery, authentication, request accounting and the access
// log; errors take the front end's shape.
func (s *Server) wrap(endpoint string, fe *frontEnd, auth bool, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic serving request", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				if !rw.wrote {
					fe.writeError(rw, serverError("internal error"))
				}
			}
			s.metrics.requests.WithLabelValues(endpoint, fmt.Sprint(rw.code())).Inc()
			s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", rw.code(), "ms", float64(time.Since(start).Microseconds())/1000, "remote", r.RemoteAddr)
		}()
		if auth {
			if key, ok := s.authorize(r); !ok {
				fe.writeError(rw, authError(key))
				return
			}
		}
		h.ServeHTTP(rw, r)
	})
}

// begin registers a generation; it fails with 503 once shutdown started.
func (s *Server) begin() *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return &apiError{Status: http.StatusServiceUnavailable, Message: "the server is shutting down", Type: typeOverloaded, Code: "server_shutting_down"}
	}
	s.inflight.Add(1)
	return nil
}

// Shutdown stops accepting generations, waits for running ones until ctx
// ends, then cuts the rest short (their streams end cleanly with
// finish_reason "length") and waits for them to finish writing.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.cutCancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		return fmt.Errorf("server: requests still running after being cut")
	}
	return ctx.Err()
}

// lookupModel resolves a model id: a served name, or the DeepSeek aliases
// of the first model (deepseek-chat: thinking off, deepseek-reasoner: on),
// with or without Ollama's ":latest" tag.
func (s *Server) lookupModel(id string) (*servedModel, string, *bool, *apiError) {
	if id == "" {
		return nil, "", nil, badRequest("model", "Failed to deserialize the JSON body into the target type: missing field `model`")
	}
	if m, ok := s.byName[id]; ok {
		return m, id, nil, nil
	}
	// Ollama-style clients add the default tag.
	if base, ok := strings.CutSuffix(id, ":latest"); ok {
		if m, ok := s.byName[base]; ok {
			return m, id, nil, nil
		}
		id = base
	}
	switch id {
	case "deepseek-chat":
		return s.models[0], id, boolPtr(false), nil
	case "deepseek-reasoner":
		return s.models[0], id, boolPtr(true), nil
	}
	return nil, "", nil, notFound("model", "Model Not Exist: the model %q does not exist (GET /v1/models lists them)", id)
}

// statusWriter records the status code and whether anything was written.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		if !w.wrote {
			w.status, w.wrote = http.StatusOK, true
		}
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if !w.wrote {
		return http.StatusOK
	}
	return w.status
}
