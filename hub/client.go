package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client talks to a Hugging Face Hub (or a mirror) and downloads into a Cache.
type Client struct {
	// Endpoint is the Hub's base URL, e.g. DefaultEndpoint.
	Endpoint string
	// Token is sent as a bearer token to the Hub (never to the CDN it redirects to).
	Token string
	// TokenSource says where Token came from, for error messages.
	TokenSource string
	// Offline refuses every network access (HF_HUB_OFFLINE).
	Offline bool
	// Cache is where models are stored.
	Cache Cache
	// HTTP is the HTTP client; nil means one sharing http.DefaultTransport.
	HTTP *http.Client
	// UserAgent is sent with every request; empty means "seekd".
	UserAgent string
	// Logger receives debug and warning logs; nil means slog.Default().
	Logger *slog.Logger
	// RetryWait is the first wait between retries (doubling each time); 0 means 500ms.
	RetryWait time.Duration
}

// NewClient returns a Client for the settings (see SettingsFromEnv).
func NewClient(s Settings) *Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = 60 * time.Second
	tr.MaxIdleConnsPerHost = 32
	return &Client{
		Endpoint:    s.Endpoint,
		Token:       s.Token,
		TokenSource: s.TokenSource,
		Offline:     s.Offline,
		Cache:       Cache{Dir: s.CacheDir},
		HTTP:        &http.Client{Transport: tr},
	}
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Transport: http.DefaultTransport}
}

func (c *Client) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

func (c *Client) endpoint() string {
	if c.Endpoint == "" {
		return DefaultEndpoint
	}
	return strings.TrimRight(c.Endpoint, "/")
}

// newRequest builds a request to the Hub; auth adds the bearer token.
func (c *Client) newRequest(ctx context.Context, method, u string, auth bool) (*http.Request, error) {
	if c.Offline {
		return nil, fmt.Errorf("hub: offline mode (HF_HUB_OFFLINE) forbids fetching %s", u)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	ua := c.UserAgent
	if ua == "" {
		ua = "seekd"
	}
	req.Header.Set("User-Agent", ua)
	if auth && c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	return req, nil
}

// RepoInfo is what the Hub says about a model repo at one revision.
type RepoInfo struct {
	// ID is the repo name ("org/name").
	ID string `json:"id"`
	// SHA is the commit the revision resolved to.
	SHA string `json:"sha"`
	// Gated is "", "auto" or "manual" (the Hub sends false or a string).
	Gated Gated `json:"gated"`
	// Private is set for private repos.
	Private bool `json:"private"`
	// LastModified is the time of the last commit.
	LastModified time.Time `json:"lastModified"`
	// Siblings lists the files of the revision.
	Siblings []Sibling `json:"siblings"`
}

// Gated is a repo's gating mode: "" for none, else "auto" or "manual".
type Gated string

// UnmarshalJSON accepts false, true or a string.
func (g *Gated) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*g = Gated(s)
		return nil
	}
	var v bool
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("gated: %s is neither a string nor a bool", b)
	}
	*g = ""
	if v {
		*g = "true"
	}
	return nil
}

// Sibling is one file of a repo, as listed with ?blobs=true.
type Sibling struct {
	// Name is the path inside the repo, with '/' separators.
	Name string `json:"rfilename"`
	// BlobID is the git blob sha1 (of the LFS pointer for LFS files).
	BlobID string `json:"blobId"`
	// Size is the file size in bytes.
	Size int64 `json:"size"`
	// LFS is set for files stored with git-lfs.
	LFS *LFSInfo `json:"lfs"`
}

// LFSInfo describes a file stored with git-lfs.
type LFSInfo struct {
	// SHA256 is the hex SHA-256 of the contents (the LFS oid).
	SHA256 string `json:"sha256"`
	// Size is the size of the contents.
	Size int64 `json:"size"`
	// PointerSize is the size of the pointer file stored in git.
	PointerSize int64 `json:"pointerSize"`
}

// FileSize returns the size of the file's contents.
func (s Sibling) FileSize() int64 {
	if s.LFS != nil && s.LFS.Size > 0 {
		return s.LFS.Size
	}
	return s.Size
}

// RepoInfo fetches the file list of repo at revision (GET
// /api/models/{repo}/revision/{revision}?blobs=true).
func (c *Client) RepoInfo(ctx context.Context, repo, revision string) (*RepoInfo, error) {
	if err := checkRepo(repo); err != nil {
		return nil, err
	}
	if revision == "" {
		revision = DefaultRevision
	}
	u := fmt.Sprintf("%s/api/models/%s/revision/%s?blobs=true", c.endpoint(), repo, url.PathEscape(revision))
	var info RepoInfo
	err := c.retry(ctx, 4, func() error {
		req, err := c.newRequest(ctx, http.MethodGet, u, true)
		if err != nil {
			return permanent(err)
		}
		resp, err := c.httpClient().Do(req)
		if err != nil {
			return fmt.Errorf("hub: %s: %w", repo, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return c.statusError(resp, repo, revision, "")
		}
		dec := json.NewDecoder(io.LimitReader(resp.Body, 64<<20))
		if err := dec.Decode(&info); err != nil {
			return fmt.Errorf("hub: %s: reading the file list: %w", repo, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !commitRE.MatchString(info.SHA) {
		return nil, fmt.Errorf("hub: %s@%s: the Hub answered no commit hash (sha %q)", repo, revision, info.SHA)
	}
	for _, s := range info.Siblings {
		if err := checkRepoFile(s.Name); err != nil {
			return nil, fmt.Errorf("hub: %s@%s: %w", repo, revision, err)
		}
	}
	return &info, nil
}

// Sentinel errors that HubError wraps, for errors.Is.
var (
	// ErrGated: the repo needs its conditions accepted and a token.
	ErrGated = errors.New("gated repo")
	// ErrRepoNotFound: no such repo (or private without a valid token).
	ErrRepoNotFound = errors.New("repo not found")
	// ErrRevisionNotFound: no such branch, tag or commit.
	ErrRevisionNotFound = errors.New("revision not found")
	// ErrFileNotFound: no such file at that revision.
	ErrFileNotFound = errors.New("file not found")
	// ErrUnauthorized: the token is missing or invalid.
	ErrUnauthorized = errors.New("unauthorized")
)

// HubError is an HTTP error answered by the Hub, with a message saying what to do.
type HubError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Code is the Hub's X-Error-Code header (GatedRepo, RepoNotFound, ...).
	Code string
	// ServerMessage is the Hub's X-Error-Message or JSON "error".
	ServerMessage string
	// Repo, Revision and File say what was asked.
	Repo, Revision, File string
	kind                 error
	hint                 string
}

func (e *HubError) Error() string {
	what := e.Repo
	if e.File != "" {
		what += ": " + e.File
	}
	msg := fmt.Sprintf("hub: %s: ", what)
	if e.kind != nil {
		msg += e.kind.Error() + ": "
	}
	if e.hint != "" {
		msg += e.hint + " "
	}
	msg += fmt.Sprintf("(HTTP %d", e.StatusCode)
	if e.ServerMessage != "" {
		msg += ": " + e.ServerMessage
	}
	return msg + ")"
}

// Unwrap returns the sentinel error classifying e (ErrGated, ...), if any.
func (e *HubError) Unwrap() error { return e.kind }

// retryable reports a server-side status worth retrying.
func (e *HubError) retryable() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// statusError turns a non-success response into a *HubError with a useful hint.
func (c *Client) statusError(resp *http.Response, repo, revision, file string) error {
	e := &HubError{StatusCode: resp.StatusCode, Code: resp.Header.Get("X-Error-Code"), Repo: repo, Revision: revision, File: file}
	e.ServerMessage = resp.Header.Get("X-Error-Message")
	if e.ServerMessage == "" {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		var j struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &j) == nil && j.Error != "" {
			e.ServerMessage = j.Error
		} else if s := strings.TrimSpace(string(body)); s != "" && len(s) < 300 && !strings.Contains(s, "<") {
			e.ServerMessage = s
		}
	}
	page := c.endpoint() + "/" + repo
	tokenHint := "set HF_TOKEN (or run `huggingface-cli login`) with a token from " + c.endpoint() + "/settings/tokens"
	if c.Token != "" {
		tokenHint = "the token from " + c.TokenSource + " was sent; check that it is valid and has read access"
	}
	switch {
	case e.Code == "GatedRepo":
		e.kind = ErrGated
		if c.Token == "" {
			e.hint = "accept the model's conditions at " + page + " and " + tokenHint
		} else {
			e.hint = "your token has no access yet: accept the model's conditions at " + page + " (" + tokenHint + ")"
		}
	case e.Code == "RevisionNotFound":
		e.kind = ErrRevisionNotFound
		e.hint = fmt.Sprintf("no branch, tag or commit %q in %s", revision, page)
	case e.Code == "EntryNotFound":
		e.kind = ErrFileNotFound
	case e.Code == "RepoNotFound" || resp.StatusCode == http.StatusNotFound && file == "":
		e.kind = ErrRepoNotFound
		e.hint = "check the name at " + c.endpoint() + "/models; if the repo is private, " + tokenHint
	case resp.StatusCode == http.StatusUnauthorized:
		e.kind = ErrUnauthorized
		e.hint = "the Hub wants a valid token: " + tokenHint
	case resp.StatusCode == http.StatusForbidden:
		e.kind = ErrUnauthorized
		e.hint = "access denied: " + tokenHint
	case resp.StatusCode == http.StatusNotFound:
		e.kind = ErrFileNotFound
	case resp.StatusCode == http.StatusTooManyRequests:
		e.hint = "rate limited by the Hub; wait and retry, or use a token"
	}
	return e
}
