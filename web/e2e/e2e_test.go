package e2e

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seekd/seekd/history"
	"github.com/seekd/seekd/web"
	"github.com/seekd/seekd/web/webtest"
)

// stack serves the page and history API from the web handler and /v1 from backend,
// as `seekd serve` will.
func stack(page, backend http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/", backend)
	mux.Handle("/", page)
	return mux
}

func bearer(key string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		return ok && subtle.ConstantTimeCompare([]byte(got), []byte(key)) == 1
	}
}

func openStore(t *testing.T) *history.Store {
	t.Helper()
	s, err := history.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestBrowser(t *testing.T) {
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	store := openStore(t)
	fake := &webtest.FakeBackend{}
	var backend http.Handler = fake
	real := os.Getenv("SEEKD_E2E_BACKEND")
	if real != "" {
		u, err := url.Parse(real)
		if err != nil {
			t.Fatalf("SEEKD_E2E_BACKEND: %v", err)
		}
		backend = httputil.NewSingleHostReverseProxy(u)
	}
	srv := httptest.NewServer(stack(web.New(web.Options{Store: store}), backend))
	defer srv.Close()

	const key = "sk-e2e-secret"
	keyed := &webtest.FakeBackend{APIKey: key}
	keySrv := httptest.NewServer(stack(web.New(web.Options{Store: openStore(t), APIKeyRequired: true, Authorize: bearer(key)}), keyed))
	defer keySrv.Close()

	sc := webtest.Scenario{
		Dir: dir, URL: srv.URL, KeyURL: keySrv.URL, Key: key, Fake: real == "",
		Artifacts: filepath.Join(dir, "artifacts"),
	}
	if os.Getenv("SEEKD_UPDATE_SCREENSHOTS") == "1" {
		sc.DocsDir = filepath.Join(dir, "..", "..", "docs")
	}
	webtest.Run(t, sc)

	if real != "" {
		return
	}
	// What the page sent, seen from the backend.
	reqs := fake.Requests()
	if len(reqs) < 6 {
		t.Fatalf("backend saw %d chat requests, want at least 6", len(reqs))
	}
	first := reqs[0]
	if first.Thinking == nil || first.Thinking.Type != "enabled" || first.StreamOptions == nil || !first.StreamOptions.IncludeUsage {
		t.Errorf("first request: thinking %+v, stream_options %+v; want enabled and include_usage", first.Thinking, first.StreamOptions)
	}
	var sawSettings bool
	for _, r := range reqs {
		if r.Thinking != nil && r.Thinking.Type == "disabled" {
			sawSettings = r.Temperature != nil && *r.Temperature == 0.3 && r.MaxTokens != nil && *r.MaxTokens == 512
		}
	}
	if !sawSettings {
		t.Error("no request had thinking disabled with temperature 0.3 and max_tokens 512")
	}
	if fake.Disconnects() < 1 {
		t.Error("the stop button did not close the stream at the backend")
	}
	if keyed.Disconnects() != 0 || len(keyed.Requests()) != 1 {
		t.Errorf("key server: %d requests, %d disconnects; want 1 and 0", len(keyed.Requests()), keyed.Disconnects())
	}
	// Left by the phone step: one conversation, user + assistant.
	list, err := store.List(context.Background(), history.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Title != "Hello from a phone" || list[0].MessageCount != 2 {
		t.Errorf("conversations left = %+v, want only the phone one with 2 messages", list)
	}
}
