package web

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/seekd/seekd/history"
)

func newServer(t *testing.T, opt Options) *httptest.Server {
	t.Helper()
	if opt.Store == nil {
		s, err := history.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		opt.Store = s
	}
	srv := httptest.NewServer(New(opt))
	t.Cleanup(srv.Close)
	return srv
}

// do sends a request and returns the status and body.
func do(t *testing.T, srv *httptest.Server, method, path, body string, hdr ...string) (int, http.Header, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, res.Header, string(b)
}

func TestPageAndAssets(t *testing.T) {
	srv := newServer(t, Options{})
	code, h, body := do(t, srv, "GET", "/", "")
	if code != 200 || !strings.Contains(body, `<script type="module" src="assets/app.js">`) {
		t.Fatalf("GET / = %d %.200q", code, body)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP = %q", csp)
	}
	for _, tt := range []struct {
		path, ctype string
		code        int
	}{
		{"/assets/app.js", "text/javascript", 200},
		{"/assets/app.css", "text/css", 200},
		{"/assets/math.js", "text/javascript", 200},
		{"/assets/katex/katex.min.css", "text/css", 200},
		{"/assets/katex/fonts/KaTeX_Main-Regular.woff2", "font/woff2", 200},
		{"/assets/icon.svg", "image/svg+xml", 200},
		{"/assets/licenses.txt", "text/plain", 200},
		{"/assets/nope.js", "application/json", 404},
		{"/assets/../web.go", "application/json", 404},
		{"/v1/models", "application/json", 404}, // the server's routes, not ours
		{"/index.html", "text/html", 200},
	} {
		code, h, _ := do(t, srv, "GET", tt.path, "")
		if code != tt.code || !strings.HasPrefix(h.Get("Content-Type"), tt.ctype) {
			t.Errorf("GET %s = %d %s, want %d %s", tt.path, code, h.Get("Content-Type"), tt.code, tt.ctype)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff header", tt.path)
		}
	}
}

func TestAssetCachingAndGzip(t *testing.T) {
	srv := newServer(t, Options{})
	tr := &http.Transport{DisableCompression: true}
	client := &http.Client{Transport: tr}
	get := func(hdr map[string]string) *http.Response {
		req, _ := http.NewRequest("GET", srv.URL+"/assets/app.js", nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Body.Close() })
		return res
	}
	plain := get(nil)
	raw, _ := io.ReadAll(plain.Body)
	etag := plain.Header.Get("ETag")
	if plain.Header.Get("Content-Encoding") != "" || etag == "" || plain.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("plain: encoding %q etag %q cache %q", plain.Header.Get("Content-Encoding"), etag, plain.Header.Get("Cache-Control"))
	}
	if res := get(map[string]string{"If-None-Match": etag}); res.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", res.StatusCode)
	}
	gz := get(map[string]string{"Accept-Encoding": "br, gzip;q=0.8"})
	if gz.Header.Get("Content-Encoding") != "gzip" || gz.Header.Get("ETag") == etag {
		t.Fatalf("gzip: encoding %q etag %q", gz.Header.Get("Content-Encoding"), gz.Header.Get("ETag"))
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	unz, _ := io.ReadAll(zr)
	if string(unz) != string(raw) {
		t.Error("gzipped body differs from the plain one")
	}
	if res := get(map[string]string{"Accept-Encoding": "gzip;q=0"}); res.Header.Get("Content-Encoding") != "" {
		t.Error("gzip;q=0 still got gzip")
	}
}

func TestConfig(t *testing.T) {
	for _, tt := range []struct {
		opt  Options
		want string
	}{
		{Options{}, `{"api_key_required":false,"history":true}`},
		{Options{APIKeyRequired: true, Authorize: func(*http.Request) bool { return false }}, `{"api_key_required":true,"history":true}`},
	} {
		srv := newServer(t, tt.opt)
		// The config is public: the page needs it to know it must ask for a key.
		code, _, body := do(t, srv, "GET", "/api/config", "")
		if code != 200 || strings.TrimSpace(body) != tt.want {
			t.Errorf("config = %d %s, want %s", code, body, tt.want)
		}
	}
	srv := httptest.NewServer(New(Options{}))
	defer srv.Close()
	if code, _, body := do(t, srv, "GET", "/api/config", ""); !strings.Contains(body, `"history":false`) {
		t.Errorf("without a store: %d %s", code, body)
	}
	if code, _, _ := do(t, srv, "GET", "/api/conversations", ""); code != 404 {
		t.Errorf("history API without a store: %d, want 404", code)
	}
}

func TestConversationAPI(t *testing.T) {
	srv := newServer(t, Options{})
	var conv history.Conversation
	code, _, body := do(t, srv, "POST", "/api/conversations", `{"title":"Go question","model":"deepseek-r1"}`)
	if code != 201 || json.Unmarshal([]byte(body), &conv) != nil || conv.ID == "" || conv.Title != "Go question" {
		t.Fatalf("create = %d %s", code, body)
	}
	base := "/api/conversations/" + conv.ID

	msgs := `{"messages":[{"role":"user","content":"What is a goroutine?"},` +
		`{"role":"assistant","content":"A **lightweight** thread.","reasoning":"Explain briefly.","model":"deepseek-r1",` +
		`"usage":{"prompt_tokens":9,"completion_tokens":20,"prompt_cache_hit_tokens":0},"finish_reason":"stop","generation_ms":400}]}`
	code, _, body = do(t, srv, "POST", base+"/messages", msgs)
	if code != 200 || !strings.Contains(body, `"seq":1`) {
		t.Fatalf("append = %d %s", code, body)
	}
	// Regenerate: replace the answer.
	code, _, body = do(t, srv, "POST", base+"/messages", `{"replace_from":1,"messages":[{"role":"assistant","content":"Take two."}]}`)
	if code != 200 || !strings.Contains(body, `"seq":1`) {
		t.Fatalf("replace = %d %s", code, body)
	}

	var got struct {
		history.Conversation
		Messages []history.Message `json:"messages"`
	}
	code, _, body = do(t, srv, "GET", base, "")
	if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
		t.Fatalf("get = %d %s", code, body)
	}
	if got.ID != conv.ID || len(got.Messages) != 2 || got.Messages[1].Content != "Take two." || got.Messages[0].Role != "user" {
		t.Errorf("get = %+v", got)
	}

	code, _, body = do(t, srv, "PATCH", base, `{"title":"Goroutines"}`)
	if code != 200 || !strings.Contains(body, `"title":"Goroutines"`) {
		t.Errorf("rename = %d %s", code, body)
	}
	code, _, body = do(t, srv, "GET", "/api/conversations?q=lightweight", "")
	if code != 200 || strings.Contains(body, conv.ID) {
		t.Errorf("search for replaced text found it: %d %s", code, body)
	}
	code, _, body = do(t, srv, "GET", "/api/conversations?q=take+two", "")
	if code != 200 || !strings.Contains(body, conv.ID) || !strings.Contains(body, `"object":"list"`) {
		t.Errorf("search = %d %s", code, body)
	}
	if code, _, _ := do(t, srv, "DELETE", base, ""); code != 204 {
		t.Errorf("delete = %d", code)
	}
	if code, _, _ := do(t, srv, "GET", base, ""); code != 404 {
		t.Errorf("get after delete = %d", code)
	}
	code, _, body = do(t, srv, "GET", "/api/conversations", "")
	if code != 200 || strings.TrimSpace(body) != `{"data":[],"object":"list"}` {
		t.Errorf("list after delete = %d %s", code, body)
	}
}

func TestConversationAPIErrors(t *testing.T) {
	srv := newServer(t, Options{})
	_, _, body := do(t, srv, "POST", "/api/conversations", `{"title":"x"}`)
	var conv history.Conversation
	json.Unmarshal([]byte(body), &conv) //nolint:errcheck // checked below through the status codes
	base := "/api/conversations/" + conv.ID
	tests := []struct {
		name, method, path, body string
		hdr                      []string
		code                     int
		msg                      string
	}{
		{"malformed JSON", "POST", "/api/conversations", `{"title":`, nil, 400, "malformed JSON"},
		{"unknown field", "POST", "/api/conversations", `{"titel":"x"}`, nil, 400, "unknown field"},
		{"trailing data", "POST", "/api/conversations", `{"title":"x"} {}`, nil, 400, "after the JSON"},
		{"wrong content type", "POST", "/api/conversations", `{"title":"x"}`, []string{"Content-Type", "text/plain"}, 415, "application/json"},
		{"bad role", "POST", base + "/messages", `{"messages":[{"role":"robot","content":"x"}]}`, nil, 422, "role"},
		{"replace past end", "POST", base + "/messages", `{"replace_from":5,"messages":[]}`, nil, 422, "past the"},
		{"append to missing", "POST", "/api/conversations/nope/messages", `{"messages":[]}`, nil, 404, "not found"},
		{"rename missing", "PATCH", "/api/conversations/nope", `{"title":"x"}`, nil, 404, "not found"},
		{"rename without title", "PATCH", base, `{}`, nil, 400, "title"},
		{"delete missing", "DELETE", "/api/conversations/nope", "", nil, 404, "not found"},
		{"bad limit", "GET", "/api/conversations?limit=-1", "", nil, 400, "limit"},
		{"wrong method", "PUT", base, `{}`, nil, 405, ""},
		{"cross-origin post", "POST", "/api/conversations", `{"title":"x"}`, []string{"Sec-Fetch-Site", "cross-site"}, 403, ""},
		{"cross-origin delete", "DELETE", base, "", []string{"Origin", "https://evil.example"}, 403, ""},
	}
	for _, tt := range tests {
		code, _, body := do(t, srv, tt.method, tt.path, tt.body, tt.hdr...)
		if code != tt.code || !strings.Contains(body, tt.msg) {
			t.Errorf("%s: %d %s, want %d containing %q", tt.name, code, body, tt.code, tt.msg)
		}
		if tt.msg != "" {
			var e struct {
				Error struct{ Message, Type, Code string } `json:"error"`
			}
			if json.Unmarshal([]byte(body), &e) != nil || e.Error.Message == "" || e.Error.Type == "" {
				t.Errorf("%s: error body %s not in the API's shape", tt.name, body)
			}
		}
	}
	// The conversation is untouched by the rejected calls.
	if code, _, body := do(t, srv, "GET", base, ""); code != 200 || !strings.Contains(body, `"messages":[]`) {
		t.Errorf("after errors: %d %s", code, body)
	}
	// Oversized body.
	big := `{"messages":[{"role":"user","content":"` + strings.Repeat("x", maxBodyBytes) + `"}]}`
	if code, _, _ := do(t, srv, "POST", base+"/messages", big); code != 413 {
		t.Errorf("oversized body: %d, want 413", code)
	}
}

func TestAuthorize(t *testing.T) {
	srv := newServer(t, Options{APIKeyRequired: true, Authorize: func(r *http.Request) bool {
		return r.Header.Get("Authorization") == "Bearer sk-good"
	}})
	for _, tt := range []struct {
		path, auth string
		code       int
	}{
		{"/api/conversations", "", 401},
		{"/api/conversations", "Bearer sk-bad", 401},
		{"/api/conversations", "Bearer sk-good", 200},
		{"/", "", 200},              // the page itself is public
		{"/assets/app.js", "", 200}, // and so are its assets
		{"/api/config", "", 200},
	} {
		var hdr []string
		if tt.auth != "" {
			hdr = []string{"Authorization", tt.auth}
		}
		code, h, body := do(t, srv, "GET", tt.path, "", hdr...)
		if code != tt.code {
			t.Errorf("GET %s with %q: %d, want %d", tt.path, tt.auth, code, tt.code)
		}
		if code == 401 && (!strings.Contains(body, "authentication_error") || h.Get("WWW-Authenticate") == "") {
			t.Errorf("401 body %s, WWW-Authenticate %q", body, h.Get("WWW-Authenticate"))
		}
	}
}
