package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// contentSecurityPolicy lets the page load only its own scripts, styles and
// fonts and talk only to its own origin; images from elsewhere are blocked, so
// model output cannot make the browser fetch a tracking URL. KaTeX sets inline
// style attributes, hence 'unsafe-inline' for styles (not scripts).
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; " +
	"frame-ancestors 'none'"

// asset is one embedded file with its validator and, for text types, a
// gzipped copy made on first request.
type asset struct {
	name    string
	body    []byte
	etag    string
	ctype   string
	gzOnce  sync.Once
	gzipped []byte // nil when compression does not pay
}

// assetServer serves the embedded files with strong ETags; browsers
// revalidate (Cache-Control: no-cache), so an upgraded binary is picked up at
// once and an unchanged file costs a 304.
type assetServer struct {
	files map[string]*asset // by path relative to static/, e.g. "assets/app.js"
}

func newAssetServer(fsys fs.FS) *assetServer {
	s := &assetServer{files: map[string]*asset{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		s.files[p] = &asset{name: p, body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, ctype: ctype}
		return nil
	})
	if err != nil {
		panic("web: reading embedded files: " + err.Error()) // a build defect, not input
	}
	return s
}

func (s *assetServer) serveIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
	w.Header().Set("X-Frame-Options", "DENY")
	s.serve(w, r, "index.html")
}

// ServeHTTP serves /assets/...
func (s *assetServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
	if !strings.HasPrefix(name, "assets/") {
		writeError(w, http.StatusNotFound, "not_found", "no such file: "+r.URL.Path)
		return
	}
	s.serve(w, r, name)
}

func (s *assetServer) serve(w http.ResponseWriter, r *http.Request, name string) {
	a, ok := s.files[name]
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no such file: "+r.URL.Path)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", "no-cache")
	h.Add("Vary", "Accept-Encoding")
	body, etag := a.body, a.etag
	if gz := a.gz(); gz != nil && acceptsGzip(r) {
		body, etag = gz, strings.TrimSuffix(a.etag, `"`)+`-gz"`
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// gz returns the gzipped body of a text asset, or nil.
func (a *asset) gz() []byte {
	if !compressible(a.ctype) {
		return nil
	}
	a.gzOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // the level is valid
		zw.Write(a.body)                                         //nolint:errcheck // writes to memory
		zw.Close()                                               //nolint:errcheck // writes to memory
		if buf.Len() < len(a.body)*9/10 {
			a.gzipped = buf.Bytes()
		}
	})
	return a.gzipped
}

func compressible(ctype string) bool {
	for _, p := range []string{"text/", "application/javascript", "application/json", "image/svg+xml"} {
		if strings.HasPrefix(ctype, p) {
			return true
		}
	}
	return false
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			return strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0"
		}
	}
	return false
}
