// Package web serves seekd's chat page and its conversation-history API.
//
// The page (static/, built from ui/ and committed, so `go build` needs no
// network or Node.js) talks to the server's OpenAI-compatible API at
// v1/chat/completions like any other client, and keeps conversations through
// the small JSON API under api/conversations that this package serves from a
// history store. The server mounts the handler from [New] at "/", next to its
// own /v1 routes:
//
//	mux.Handle("/", web.New(web.Options{Store: store, APIKeyRequired: key != "", Authorize: checkKey}))
package web

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/seekd/seekd/history"
)

//go:embed static
var staticFiles embed.FS

// Conversations is the history store the API serves; *history.Store
// implements it.
type Conversations interface {
	Create(ctx context.Context, title, model string) (history.Conversation, error)
	List(ctx context.Context, opt history.ListOptions) ([]history.Conversation, error)
	Get(ctx context.Context, id string) (history.Conversation, []history.Message, error)
	Rename(ctx context.Context, id, title string) (history.Conversation, error)
	Delete(ctx context.Context, id string) error
	Append(ctx context.Context, id string, msgs []history.Message) ([]history.Message, error)
	Replace(ctx context.Context, id string, from int, msgs []history.Message) ([]history.Message, error)
}

// Options configures the handler.
type Options struct {
	// Store keeps conversations. Nil turns history off: the page still chats
	// and says that history is off, and api/conversations answers 404.
	Store Conversations
	// APIKeyRequired tells the page to ask for an API key (kept in the
	// browser's localStorage and sent as "Authorization: Bearer ...").
	APIKeyRequired bool
	// Authorize decides whether a history API request may proceed, with the
	// same rule as the server's /v1 routes. Nil allows every request. The page
	// and its assets are public either way.
	Authorize func(*http.Request) bool
	// Logger receives errors from the history store; nil means slog.Default().
	Logger *slog.Logger
}

// New returns the handler for "/" (the page), "/assets/..." and
// "/api/config" and "/api/conversations...". Other paths get 404, so the
// server's own routes must be registered on more specific patterns.
func New(opt Options) http.Handler {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic("web: embedded static folder missing: " + err.Error()) // a build defect, not input
	}
	assets := newAssetServer(sub)
	a := &historyAPI{store: opt.Store, authorize: opt.Authorize, log: opt.Logger}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", assets.serveIndex)
	mux.HandleFunc("GET /index.html", assets.serveIndex)
	mux.Handle("GET /assets/", assets)
	mux.HandleFunc("GET /api/config", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]bool{
			"api_key_required": opt.APIKeyRequired,
			"history":          opt.Store != nil,
		})
	})
	a.register(mux)
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such page: "+r.URL.Path)
	})

	// Refuse state-changing requests from other origins (a page on another
	// site posting to a server on localhost), using Sec-Fetch-Site / Origin.
	return http.NewCrossOriginProtection().Handler(securityHeaders(mux))
}

// securityHeaders adds headers every response of this handler carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}
