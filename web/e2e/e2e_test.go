package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/seekd/seekd/history"
	"github.com/seekd/seekd/server/servertest"
	"github.com/seekd/seekd/web"
	"github.com/seekd/seekd/web/webtest"
)

func openStore(t *testing.T) *history.Store {
	t.Helper()
	s, err := history.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// stack starts what `seekd serve` runs: seekd's server over the fixture
// model (prefix cache on) with the chat page mounted at / and its history
// in a temporary folder, behind a recorder of the page's chat requests.
func stack(t *testing.T, store *history.Store, keys ...string) (*servertest.Server, *webtest.Recorder, string) {
	t.Helper()
	ts := servertest.Start(t, servertest.Config{
		Name: webtest.FixtureModel, Template: webtest.FixtureTemplate, Script: webtest.Script,
		Delay: 4 * time.Millisecond, Prefix: true, Keys: keys,
		Web: func(authorize func(*http.Request) bool) http.Handler {
			return web.New(web.Options{Store: store, APIKeyRequired: len(keys) > 0, Authorize: authorize})
		},
	})
	rec := &webtest.Recorder{Next: ts.API}
	front := servertest.Serve(t, rec)
	return ts, rec, front
}

func TestBrowser(t *testing.T) {
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	sc := webtest.Scenario{Dir: dir, Artifacts: filepath.Join(dir, "artifacts")}
	if os.Getenv("SEEKD_UPDATE_SCREENSHOTS") == "1" {
		sc.DocsDir = filepath.Join(dir, "..", "..", "docs")
	}
	// A running `seekd serve` (any model): only the page's behaviour is checked.
	if url := os.Getenv("SEEKD_E2E_URL"); url != "" {
		sc.URL = url
		webtest.Run(t, sc)
		return
	}

	store := openStore(t)
	ts, rec, url := stack(t, store)
	const key = "sk-e2e-secret"
	keyTS, keyRec, keyURL := stack(t, openStore(t), key)
	sc.URL, sc.KeyURL, sc.Key, sc.Fixture = url, keyURL, key, true
	webtest.Run(t, sc)

	// What the page sent, seen at the server.
	reqs := rec.Requests()
	if len(reqs) < 7 {
		t.Fatalf("the server saw %d chat requests, want at least 7", len(reqs))
	}
	first := reqs[0]
	if first.Model != webtest.FixtureModel || first.Thinking == nil || first.Thinking.Type != "enabled" || first.StreamOptions == nil || !first.StreamOptions.IncludeUsage {
		t.Errorf("first request: model %q, thinking %+v, stream_options %+v; want %s, enabled and include_usage", first.Model, first.Thinking, first.StreamOptions, webtest.FixtureModel)
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
	if rec.Disconnects() < 1 {
		t.Error("the stop button did not close the stream at the server")
	}
	if keyRec.Disconnects() != 0 || len(keyRec.Requests()) != 1 {
		t.Errorf("key server: %d requests, %d disconnects; want 1 and 0", len(keyRec.Requests()), keyRec.Disconnects())
	}
	// Stopped generations freed the engine.
	ts.WaitIdle(t)
	keyTS.WaitIdle(t)
	// Left by the phone step: one conversation, user + assistant.
	list, err := store.List(context.Background(), history.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Title != "Hello from a phone" || list[0].MessageCount != 2 {
		t.Errorf("conversations left = %+v, want only the phone one with 2 messages", list)
	}
}
