package hubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	logLine := r.Method + " " + r.URL.Path
	if rg := r.Header.Get("Range"); rg != "" {
		logLine += " " + rg
	}
	s.mu.Lock()
	s.requests = append(s.requests, logLine)
	s.active++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.active--
		s.mu.Unlock()
	}()

	p := r.URL.EscapedPath()
	switch {
	case strings.HasPrefix(p, "/api/models/"):
		s.serveInfo(w, r, strings.TrimPrefix(p, "/api/models/"))
	case strings.HasPrefix(p, "/cdn/"):
		s.serveCDN(w, r, strings.TrimPrefix(p, "/cdn/"))
	default:
		s.serveResolve(w, r, strings.TrimPrefix(p, "/"))
	}
}

func hubError(w http.ResponseWriter, status int, code, msg string) {
	if code != "" {
		w.Header().Set("X-Error-Code", code)
	}
	w.Header().Set("X-Error-Message", msg)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (s *Server) lookup(org, name string) *repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.repos[org+"/"+name]
}

// resolveRev maps a revision to the repo's commit: "main" or the commit itself.
func resolveRev(rp *repo, rev string) bool { return rev == "main" || rev == rp.commit }

// serveInfo answers /api/models/{org}/{name}/revision/{rev}.
func (s *Server) serveInfo(w http.ResponseWriter, r *http.Request, rest string) {
	parts := strings.SplitN(rest, "/", 4)
	if len(parts) != 4 || parts[2] != "revision" {
		hubError(w, http.StatusNotFound, "", "Not found")
		return
	}
	rp := s.lookup(parts[0], parts[1])
	if rp == nil {
		hubError(w, http.StatusUnauthorized, "RepoNotFound", "Repository not found")
		return
	}
	rev, _ := url.PathUnescape(parts[3])
	if !resolveRev(rp, rev) {
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rev)
		return
	}
	blobs := r.URL.Query().Get("blobs") == "true" && !rp.opts.NoBlobs
	type lfs struct {
		SHA256      string `json:"sha256"`
		Size        int    `json:"size"`
		PointerSize int    `json:"pointerSize"`
	}
	type sib struct {
		Name   string `json:"rfilename"`
		BlobID string `json:"blobId,omitempty"`
		Size   int    `json:"size,omitempty"`
		LFS    *lfs   `json:"lfs,omitempty"`
	}
	info := map[string]any{
		"_id": "fake", "id": rp.name, "modelId": rp.name, "author": strings.Split(rp.name, "/")[0],
		"sha": rp.commit, "private": false, "disabled": false, "downloads": 0, "likes": 0,
		"lastModified": time.Date(2025, 5, 28, 0, 0, 0, 0, time.UTC).Format(time.RFC3339),
		"gated":        false,
	}
	if rp.opts.GatedToken != "" {
		info["gated"] = "manual"
	}
	var sibs []sib
	for _, f := range rp.files {
		sb := sib{Name: f.Name}
		if blobs {
			if f.LFS {
				sb.BlobID, sb.Size = GitSHA1(f.pointer), len(f.Data)
				sb.LFS = &lfs{SHA256: f.sha256, Size: len(f.Data), PointerSize: len(f.pointer)}
			} else {
				sb.BlobID, sb.Size = f.gitSHA1, len(f.Data)
			}
		}
		sibs = append(sibs, sb)
	}
	info["siblings"] = sibs
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(info)
}

// serveResolve answers /{org}/{name}/resolve/{rev}/{file...}.
func (s *Server) serveResolve(w http.ResponseWriter, r *http.Request, rest string) {
	parts := strings.SplitN(rest, "/", 5)
	if len(parts) != 5 || parts[2] != "resolve" {
		hubError(w, http.StatusNotFound, "", "Not found")
		return
	}
	rp := s.lookup(parts[0], parts[1])
	if rp == nil {
		hubError(w, http.StatusUnauthorized, "RepoNotFound", "Repository not found")
		return
	}
	if tok := rp.opts.GatedToken; tok != "" {
		switch auth := r.Header.Get("Authorization"); {
		case auth == "":
			hubError(w, http.StatusUnauthorized, "GatedRepo", fmt.Sprintf("Access to model %s is restricted. You must have access to it and be authenticated to access it. Please log in.", rp.name))
			return
		case auth != "Bearer "+tok:
			hubError(w, http.StatusForbidden, "GatedRepo", fmt.Sprintf("Access to model %s is restricted and you are not in the authorized list. Visit https://huggingface.co/%s to ask for access.", rp.name, rp.name))
			return
		}
	}
	rev, _ := url.PathUnescape(parts[3])
	if !resolveRev(rp, rev) {
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rev)
		return
	}
	name, _ := url.PathUnescape(parts[4])
	var f *file
	for _, ff := range rp.files {
		if ff.Name == name {
			f = ff
		}
	}
	w.Header().Set("X-Repo-Commit", rp.commit)
	if f == nil {
		hubError(w, http.StatusNotFound, "EntryNotFound", fmt.Sprintf("%s does not exist on %q", name, rev))
		return
	}
	if f.LFS {
		w.Header().Set("ETag", `"`+GitSHA1(f.pointer)+`"`)
		w.Header().Set("X-Linked-Etag", `"`+f.sha256+`"`)
		w.Header().Set("X-Linked-Size", strconv.Itoa(len(f.Data)))
		loc := fmt.Sprintf("%s/cdn/%s?repo=%s&file=%s&X-Amz-Signature=fake", s.URL, f.sha256, url.QueryEscape(rp.name), url.QueryEscape(f.Name))
		w.Header().Set("Location", loc)
		w.WriteHeader(http.StatusFound)
		return
	}
	w.Header().Set("ETag", `"`+f.gitSHA1+`"`)
	s.serveBytes(w, r, rp.name, f)
}

// serveCDN answers /cdn/{sha256}?repo=..&file=.. without any auth.
func (s *Server) serveCDN(w http.ResponseWriter, r *http.Request, sha string) {
	q := r.URL.Query()
	s.mu.Lock()
	if r.Header.Get("Authorization") != "" {
		s.authLeaks++
	}
	rp := s.repos[q.Get("repo")]
	s.mu.Unlock()
	if rp == nil {
		http.Error(w, "AccessDenied", http.StatusForbidden)
		return
	}
	for _, f := range rp.files {
		if f.Name == q.Get("file") && f.sha256 == sha {
			s.mu.Lock()
			ft := s.faults[rp.name+"/"+f.Name]
			expired := ft != nil && ft.ExpireLinks > 0
			if expired {
				ft.ExpireLinks--
			}
			s.mu.Unlock()
			if expired {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>")
				return
			}
			w.Header().Set("ETag", `"`+sha+`"`)
			w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename*=UTF-8''%s; filename=\"%s\";", url.PathEscape(f.Name), f.Name))
			s.serveBytes(w, r, rp.name, f)
			return
		}
	}
	http.Error(w, "NoSuchKey", http.StatusNotFound)
}

// serveBytes serves a file with single-range support and the file's fault.
func (s *Server) serveBytes(w http.ResponseWriter, r *http.Request, repoName string, f *file) {
	size := int64(len(f.Data))
	start, end := int64(0), size-1
	status := http.StatusOK
	key := repoName + "/" + f.Name
	s.mu.Lock()
	ignoreRange := s.faults[key] != nil && s.faults[key].IgnoreRange
	s.mu.Unlock()
	if rg := r.Header.Get("Range"); rg != "" && !ignoreRange {
		a, b, ok := parseRange(rg, size)
		if !ok {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", size))
			http.Error(w, "range not satisfiable", http.StatusRequestedRangeNotSatisfiable)
			return
		}
		start, end, status = a, b, http.StatusPartialContent
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", a, b, size))
	}
	w.Header().Set("Accept-Ranges", "bytes")
	w.Header().Set("Content-Length", strconv.FormatInt(end-start+1, 10))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}

	s.mu.Lock()
	var fault Fault
	if ft := s.faults[key]; ft != nil {
		fault = *ft
	}
	release := s.release
	cut := fault.CutAt > start && fault.CutAt <= end && (fault.CutTimes == 0 || s.cuts[key] < fault.CutTimes)
	if cut {
		s.cuts[key]++
	}
	s.mu.Unlock()
	hold := fault.HoldAt > start && fault.HoldAt <= end

	stop := end + 1
	if cut {
		stop = fault.CutAt
	}
	if hold && fault.HoldAt < stop {
		stop, cut = fault.HoldAt, false
	}
	flusher, _ := w.(http.Flusher)
	const piece = 32 << 10
	for off := start; off < stop; {
		n := min(int64(piece), stop-off)
		chunk := f.Data[off : off+n]
		if fault.Corrupt {
			chunk = append([]byte(nil), chunk...)
			for i := range chunk {
				chunk[i] ^= 0x5a
			}
		}
		m, err := w.Write(chunk)
		s.mu.Lock()
		s.served[key] += int64(m)
		s.mu.Unlock()
		if err != nil {
			return
		}
		off += n
	}
	if flusher != nil {
		flusher.Flush()
	}
	switch {
	case cut:
		panic(http.ErrAbortHandler)
	case hold:
		s.mu.Lock()
		s.holding++
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.holding--
			s.mu.Unlock()
		}()
		select {
		case <-r.Context().Done():
		case <-release:
		case <-time.After(holdTimeout):
		}
		panic(http.ErrAbortHandler)
	}
}

// parseRange parses a single "bytes=a-b", "bytes=a-" or "bytes=-n" range.
func parseRange(h string, size int64) (int64, int64, bool) {
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, 0, false
	}
	as, bs, ok := strings.Cut(spec, "-")
	if !ok {
		return 0, 0, false
	}
	if as == "" {
		n, err := strconv.ParseInt(bs, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false
		}
		return max(0, size-n), size - 1, true
	}
	a, err := strconv.ParseInt(as, 10, 64)
	if err != nil || a < 0 || a >= size {
		return 0, 0, false
	}
	b := size - 1
	if bs != "" {
		if b, err = strconv.ParseInt(bs, 10, 64); err != nil || b < a {
			return 0, 0, false
		}
		b = min(b, size-1)
	}
	return a, b, true
}
