package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/seekd/seekd/history"
	"github.com/seekd/seekd/server"
	"github.com/seekd/seekd/web"
)

// serveFlags are the options of `seekd serve`.
type serveFlags struct {
	models          []string
	yes             bool
	cacheDir        string
	cacheDisk       string
	host            string
	port            int
	ctx             int
	kvCacheMem      string
	maxBatch        int
	maxQueue        int
	threads         int
	apiKey          string
	logPrompts      bool
	logLevel        string
	shutdownTimeout time.Duration
	dataDir         string
	noHistory       bool
	activations     string
	ollama          bool
	ollamaPort      int
	deepseekStrict  bool
}

// ollamaDefaultPort is where Ollama listens and its clients look.
const ollamaDefaultPort = 11434

func newServeCmd() *cobra.Command {
	f := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve [MODEL...] [--model [NAME=]MODEL ...]",
		Short: "Serve models over DeepSeek's, OpenAI's, Anthropic's and Ollama's HTTP APIs",
		Long: `Serve models over DeepSeek's and OpenAI's HTTP API: /v1/chat/completions,
/v1/completions (and DeepSeek's /beta routes for prefix and fill-in-the-middle
completion), /v1/models, /health and /metrics; over Anthropic's Messages API
(/anthropic/v1/messages, /v1/messages); and over Ollama's API (/api/chat,
/api/generate, /api/tags, /api/show, /api/ps, /api/pull, ...). With --ollama
(or --ollama-port) it also listens on Ollama's port, where / answers "Ollama
is running", so tools configured for Ollama work unchanged.

Each --model is a Hugging Face folder or a .gguf file, named NAME or after its
folder or file. The first model also answers to deepseek-chat (thinking off)
and deepseek-reasoner (thinking on).

The server binds 127.0.0.1 unless --host says otherwise; binding any other
address needs an API key (--api-key or SEEKD_API_KEY).`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.models = append(f.models, args...)
			return runServe(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.models, "model", nil, "model to serve as NAME=MODEL or MODEL (an alias, a Hugging Face repo, a folder or a .gguf file); repeatable, or give models as arguments")
	fl.BoolVar(&f.yes, "yes", false, "pull missing models without asking")
	fl.StringVar(&f.cacheDir, "cache-dir", defaultCacheDir(), "folder of the on-disk prefix cache (context caching)")
	fl.StringVar(&f.cacheDisk, "cache-disk-size", "20GB", "disk budget of the prefix cache (0: keep it in RAM only)")
	fl.StringVar(&f.host, "host", "127.0.0.1", "address to listen on")
	fl.IntVar(&f.port, "port", 8080, "port to listen on")
	fl.IntVar(&f.ctx, "ctx", 0, "context length in tokens (default: the model's, at most 32768)")
	fl.StringVar(&f.kvCacheMem, "kv-cache-mem", "1GiB", "KV cache memory budget per model (e.g. 512MiB, 4GiB)")
	fl.IntVar(&f.maxBatch, "max-batch", 32, "most sequences decoded together in one step")
	fl.IntVar(&f.maxQueue, "max-queue", 256, "most requests waiting for a batch slot before 429")
	fl.IntVar(&f.threads, "threads", 0, "compute threads (default: one per CPU)")
	fl.StringVar(&f.activations, "activations", defaultActivations(), "how quantized GGUF weights meet activations: q8 (fast, as llama.cpp) or exact")
	fl.StringVar(&f.apiKey, "api-key", "", "API key clients must send as a bearer token (default $SEEKD_API_KEY)")
	fl.BoolVar(&f.logPrompts, "log-prompts", false, "log prompts and outputs")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long shutdown waits for running requests before cutting them")
	fl.StringVar(&f.dataDir, "data-dir", "", "folder of the chat page's conversation history (default: the user's data folder, e.g. ~/.local/share/seekd)")
	fl.BoolVar(&f.noHistory, "no-history", false, "keep no conversation history for the chat page")
	fl.BoolVar(&f.ollama, "ollama", false, fmt.Sprintf("also listen on Ollama's port (%d on --host) for clients configured for Ollama", ollamaDefaultPort))
	fl.IntVar(&f.ollamaPort, "ollama-port", 0, "also listen on this port for Ollama clients (0: only with --ollama, on 11434)")
	fl.BoolVar(&f.deepseekStrict, "deepseek-strict", false, "refuse what DeepSeek's API refuses even where seekd can do more (response_format json_schema)")
	return cmd
}

// modelSpec is one --model value.
type modelSpec struct{ name, path string }

// parseModelSpecs reads NAME=PATH or PATH values.
func parseModelSpecs(values []string) ([]modelSpec, error) {
	if len(values) == 0 {
		return nil, usagef("serve: --model is required")
	}
	var out []modelSpec
	seen := map[string]bool{}
	for _, v := range values {
		name, path, ok := strings.Cut(v, "=")
		if !ok {
			path = v
			name = v // an alias or repo names itself
			if _, err := os.Stat(path); err == nil {
				name = filepath.Base(filepath.Clean(path))
				if strings.EqualFold(filepath.Ext(name), ".gguf") {
					name = strings.TrimSuffix(name, filepath.Ext(name))
				}
			}
		}
		if name == "" || path == "" {
			return nil, usagef("serve: --model %q: want NAME=PATH or PATH", v)
		}
		if seen[name] {
			return nil, usagef("serve: two models are named %q", name)
		}
		seen[name] = true
		out = append(out, modelSpec{name, path})
	}
	return out, nil
}

// isLoopback reports whether host only accepts local connections.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func runServe(cmd *cobra.Command, f *serveFlags) error {
	specs, err := parseModelSpecs(f.models)
	if err != nil {
		return err
	}
	// Aliases and Hugging Face repos resolve to the cache (pulled on first
	// use); folders and .gguf files are used as they are.
	for i := range specs {
		m, err := resolveOrPull(cmd.Context(), specs[i].path, f.yes, cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		specs[i].path = m.Path
	}
	if f.apiKey == "" {
		f.apiKey = os.Getenv("SEEKD_API_KEY")
	}
	if !isLoopback(f.host) && f.apiKey == "" {
		return usagef("serve: binding %s (not loopback) needs an API key: pass --api-key or set SEEKD_API_KEY", f.host)
	}
	if f.port < 0 || f.port > 65535 {
		return usagef("serve: --port %d is out of range", f.port)
	}
	if f.ollama && f.ollamaPort == 0 {
		f.ollamaPort = ollamaDefaultPort
	}
	if f.ollamaPort < 0 || f.ollamaPort > 65535 {
		return usagef("serve: --ollama-port %d is out of range", f.ollamaPort)
	}
	if f.ollamaPort != 0 && f.ollamaPort == f.port {
		return usagef("serve: --ollama-port and --port are both %d", f.port)
	}
	if f.ctx < 0 || f.maxBatch < 1 || f.maxQueue < 1 || f.threads < 0 {
		return usagef("serve: --ctx, --max-batch, --max-queue and --threads must be positive")
	}
	cacheBytes, err := humanize.ParseBytes(f.kvCacheMem)
	if err != nil || cacheBytes == 0 {
		return usagef("serve: --kv-cache-mem %q is not a size (e.g. 2GiB)", f.kvCacheMem)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return usagef("serve: --log-level %q: want debug, info, warn or error", f.logLevel)
	}
	log := slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))

	pool, err := newComputePool(f.threads, f.activations)
	if err != nil {
		return err
	}
	defer pool.Close()
	var models []server.Model
	defer func() {
		for _, m := range models {
			m.Engine.Close()
			m.Bundle.Close()
		}
	}()
	es := engineSettings{ctx: f.ctx, cacheBytes: int64(cacheBytes), maxBatch: f.maxBatch, maxQueue: f.maxQueue}
	if f.cacheDisk != "0" && f.cacheDisk != "" {
		size, err := humanize.ParseBytes(f.cacheDisk)
		if err != nil {
			return usagef("serve: --cache-disk-size %q is not a size (e.g. 20GB, or 0 for none)", f.cacheDisk)
		}
		if f.cacheDir == "" {
			return usagef("serve: no --cache-dir and no data folder for the prefix cache (or pass --cache-disk-size 0)")
		}
		es.diskDir, es.diskBytes = f.cacheDir, int64(size)
	}
	for _, sp := range specs {
		start := time.Now()
		m, err := loadServed(sp.name, sp.path, pool, es, log)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		models = append(models, m)
		b := m.Bundle
		log.Info("model loaded", "model", sp.name, "path", sp.path, "format", b.Format, "thinking", b.Caps.Thinking,
			"tools", b.Caps.Tools, "fim", b.Caps.FIM, "context", m.Engine.Context(), "load_seconds", time.Since(start).Seconds())
	}
	var keys []string
	if f.apiKey != "" {
		keys = []string{f.apiKey}
	}
	// The chat page at /, with its history store; it authorizes history
	// requests with the API's own rule.
	var store web.Conversations
	if !f.noHistory {
		dir := f.dataDir
		if dir == "" {
			if dir, err = history.DefaultDir(); err != nil {
				return fmt.Errorf("serve: %w (pass --data-dir or --no-history)", err)
			}
		}
		hist, err := history.Open(context.Background(), dir)
		if err != nil {
			return fmt.Errorf("serve: conversation history: %w (pass --data-dir or --no-history)", err)
		}
		defer hist.Close()
		store = hist
	}
	var srv *server.Server
	page := web.New(web.Options{Store: store, APIKeyRequired: len(keys) > 0, Logger: log,
		Authorize: func(r *http.Request) bool { return srv.Authorize(r) }})
	// Ollama's /api/pull and /api/delete work on the Hugging Face cache.
	hubClient, err := newClient()
	if err != nil {
		log.Warn("no model cache for /api/pull and /api/delete", "err", err)
		hubClient = nil
	}
	srv, err = server.New(server.Options{Models: models, APIKeys: keys, Logger: log, LogPrompts: f.logPrompts, Web: page,
		Hub: hubClient, DeepSeekStrict: f.deepseekStrict})
	if err != nil {
		return err
	}
	listeners := []struct {
		port    int
		handler http.Handler
		what    string
	}{{f.port, srv, "serving"}}
	if f.ollamaPort != 0 {
		listeners = append(listeners, struct {
			port    int
			handler http.Handler
			what    string
		}{f.ollamaPort, srv.OllamaHandler(), "serving Ollama's API"})
	}
	var servers []*http.Server
	errc := make(chan error, len(listeners))
	for _, l := range listeners {
		ln, err := net.Listen("tcp", net.JoinHostPort(f.host, strconv.Itoa(l.port)))
		if err != nil {
			for _, hs := range servers {
				hs.Close()
			}
			return fmt.Errorf("serve: %w", err)
		}
		hs := &http.Server{Handler: l.handler, ReadHeaderTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		servers = append(servers, hs)
		go func() { errc <- hs.Serve(ln) }()
		log.Info(l.what, "addr", "http://"+ln.Addr().String(), "models", len(models), "auth", len(keys) > 0)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	stop()
	log.Info("shutting down", "timeout", f.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	cut := make(chan error, 1)
	go func() { cut <- srv.Shutdown(sctx) }()
	hctx, hcancel := context.WithTimeout(context.Background(), f.shutdownTimeout+15*time.Second)
	defer hcancel()
	for _, hs := range servers {
		if err := hs.Shutdown(hctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("closing connections", "err", err)
			hs.Close()
		}
	}
	if err := <-cut; err != nil && !errors.Is(err, context.DeadlineExceeded) {
		log.Warn("shutdown", "err", err)
	}
	log.Info("stopped")
	return nil
}
