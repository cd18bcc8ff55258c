// Package hubtest runs a fake Hugging Face Hub for tests: an httptest server
// with the Hub's URL shapes (/api/models/{repo}/revision/{rev},
// /{repo}/resolve/{rev}/{file}), LFS files redirected to a "CDN" path on the
// same server, the Hub's ETag, X-Repo-Commit, X-Linked-Etag/-Size and Range
// behaviour, gated repos, and injectable faults (corrupt bytes, cut or held
// connections) with byte counters to check what was downloaded.
package hubtest

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// File is one file of a fake repo.
type File struct {
	// Name is the path inside the repo.
	Name string
	// Data is the contents.
	Data []byte
	// LFS marks files stored with git-lfs (served through the CDN redirect).
	LFS bool
}

// Fault changes how one file's bytes are served. Offsets are file offsets.
type Fault struct {
	// Corrupt serves wrong bytes (the listing keeps the true digests).
	Corrupt bool
	// CutAt aborts the connection when a response reaches this offset (if > 0),
	// for the first CutTimes responses that reach it (every time if 0).
	CutAt    int64
	CutTimes int
	// IgnoreRange serves the whole file, with status 200, to range requests.
	IgnoreRange bool
	// ExpireLinks makes the CDN refuse this many requests with 403, as it
	// does when a signed link has expired.
	ExpireLinks int
	// HoldAt makes responses that reach this offset (if > 0) send the bytes
	// before it, then wait until the client goes away or ReleaseHolds is
	// called, and cut the connection.
	HoldAt int64
}

// RepoOptions are a fake repo's settings.
type RepoOptions struct {
	// GatedToken makes the repo gated: files are served only with
	// "Authorization: Bearer <GatedToken>".
	GatedToken string
	// NoBlobs makes the listing omit sizes, blob ids and LFS info (as some
	// mirrors do), so clients must HEAD each file.
	NoBlobs bool
}

type repo struct {
	name   string
	commit string
	files  []*file
	opts   RepoOptions
}

// file is a File with its digests computed once.
type file struct {
	File
	sha256  string // of the contents
	gitSHA1 string // git blob id of the contents
	pointer []byte // the LFS pointer, for LFS files
}

// Server is a fake Hub. Its URL is the endpoint to use as HF_ENDPOINT.
type Server struct {
	*httptest.Server

	mu        sync.Mutex
	repos     map[string]*repo
	release   chan struct{}     // closed by ReleaseHolds
	faults    map[string]*Fault // "repo/file"
	cuts      map[string]int
	served    map[string]int64
	requests  []string
	authLeaks int
	active    int // requests in progress
	holding   int // responses waiting at a HoldAt
}

// NewServer starts a fake Hub; Close stops it.
func NewServer() *Server {
	s := &Server{
		release: make(chan struct{}),
		repos:   map[string]*repo{},
		faults:  map[string]*Fault{},
		cuts:    map[string]int{},
		served:  map[string]int64{},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close releases held responses and stops the server.
func (s *Server) Close() {
	s.ReleaseHolds()
	s.Server.CloseClientConnections()
	s.Server.Close()
}

// ReleaseHolds ends the responses waiting at a Fault's HoldAt: their
// connections are cut, as if the network failed there.
func (s *Server) ReleaseHolds() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.release)
	s.release = make(chan struct{})
}

// AddRepo adds (or replaces) a repo with the given files at a commit derived
// from their contents, and returns that commit.
func (s *Server) AddRepo(name string, files []File, opts RepoOptions) string {
	r := &repo{name: name, opts: opts}
	h := sha1.New()
	h.Write([]byte(name))
	for _, f := range files {
		ff := &file{File: f, sha256: SHA256(f.Data), gitSHA1: GitSHA1(f.Data)}
		if f.LFS {
			ff.pointer = lfsPointer(ff.sha256, len(f.Data))
		}
		r.files = append(r.files, ff)
		h.Write([]byte(f.Name))
		h.Write([]byte(ff.sha256))
	}
	slices.SortFunc(r.files, func(a, b *file) int { return strings.Compare(a.Name, b.Name) })
	r.commit = hex.EncodeToString(h.Sum(nil))
	s.mu.Lock()
	s.repos[name] = r
	s.mu.Unlock()
	return r.commit
}

// AddRepoDir adds a repo with the files of a folder (recursively). Weight
// files (.safetensors, .gguf, .bin) and files of 10 MiB or more are LFS.
func (s *Server) AddRepoDir(name, dir string, opts RepoOptions) (string, error) {
	var files []File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		files = append(files, File{Name: rel, Data: b, LFS: IsLFSName(rel) || len(b) >= 10<<20})
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hubtest: %w", err)
	}
	return s.AddRepo(name, files, opts), nil
}

// IsLFSName reports names that Hub repos store with git-lfs.
func IsLFSName(name string) bool {
	switch path.Ext(name) {
	case ".safetensors", ".gguf", ".bin", ".pt", ".pth":
		return true
	}
	return false
}

// SetFault sets (nil: clears) the fault of one file.
func (s *Server) SetFault(repoName, file string, f *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := repoName + "/" + file
	if f == nil {
		delete(s.faults, key)
	} else {
		c := *f
		s.faults[key] = &c
	}
	delete(s.cuts, key)
}

// Served returns the bytes of a file's contents sent so far, once no
// request is being answered (waiting up to 5s).
func (s *Server) Served(repoName, file string) int64 {
	s.WaitIdle(5 * time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.served[repoName+"/"+file]
}

// ResetCounters zeroes the byte counters and the request log.
func (s *Server) ResetCounters() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.served = map[string]int64{}
	s.requests = nil
}

// Requests returns the requests so far as "METHOD path [Range]".
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Holding returns the number of responses waiting at a Fault's HoldAt.
func (s *Server) Holding() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.holding
}

// WaitIdle waits (up to timeout) until no request is being answered,
// so that counters read afterwards include every byte of earlier requests.
func (s *Server) WaitIdle(timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		n := s.active
		s.mu.Unlock()
		if n == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
}

// AuthLeaks counts requests to the CDN that carried an Authorization header
// (the token must only go to the Hub).
func (s *Server) AuthLeaks() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authLeaks
}

// Commit returns a repo's commit.
func (s *Server) Commit(repoName string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.repos[repoName]; ok {
		return r.commit
	}
	return ""
}

// SHA256 returns the hex SHA-256 of data.
func SHA256(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// GitSHA1 returns the git blob id of data.
func GitSHA1(data []byte) string {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(data)) + "\x00"))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// lfsPointer is the git-lfs pointer file stored in git for an LFS file.
func lfsPointer(sha string, size int) []byte {
	return []byte(fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", sha, size))
}

// holdTimeout bounds how long a held response waits, so a broken test cannot hang.
const holdTimeout = 30 * time.Second
