package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// fileURL returns {endpoint}/{repo}/resolve/{revision}/{file}.
func (c *Client) fileURL(repo, revision, file string) string {
	segs := strings.Split(file, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return fmt.Sprintf("%s/%s/resolve/%s/%s", c.endpoint(), repo, url.PathEscape(revision), strings.Join(segs, "/"))
}

// fileMeta is what a HEAD on /resolve/ says about one file.
type fileMeta struct {
	// location is where to GET the bytes: the resolve URL itself, or the CDN
	// URL an LFS file redirects to.
	location string
	// auth is set when location is on the Hub (the token is never sent to the CDN).
	auth bool
	// etag is X-Linked-Etag (LFS sha256) or ETag (git sha1), unquoted.
	etag string
	// size is X-Linked-Size or Content-Length; -1 if unknown.
	size int64
	// commit is X-Repo-Commit.
	commit string
}

// normalizeEtag strips the quotes (and a weak marker) of an ETag header.
func normalizeEtag(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "W/")
	return strings.Trim(s, `"`)
}

// headFile asks the Hub where and what a file is, like huggingface_hub's
// get_hf_file_metadata: HEAD without following redirects, except relative
// ones (a renamed repo), keeping the headers of the last Hub answer.
func (c *Client) headFile(ctx context.Context, repo, revision, file string) (*fileMeta, error) {
	u := c.fileURL(repo, revision, file)
	noRedirect := *c.httpClient()
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	var meta *fileMeta
	err := c.retry(ctx, 4, func() error {
		cur := u
		for hops := 0; ; hops++ {
			req, err := c.newRequest(ctx, http.MethodHead, cur, true)
			if err != nil {
				return permanent(err)
			}
			resp, err := noRedirect.Do(req)
			if err != nil {
				return fmt.Errorf("hub: %s: %s: %w", repo, file, err)
			}
			resp.Body.Close()
			if resp.StatusCode >= 300 && resp.StatusCode < 400 {
				loc, err := resp.Location()
				if err != nil {
					return permanent(fmt.Errorf("hub: %s: %s: redirect without a valid Location: %w", repo, file, err))
				}
				if strings.HasPrefix(resp.Header.Get("Location"), "/") && hops < 5 {
					cur = loc.String() // renamed repo: follow, keeping the token
					continue
				}
				meta = metaFrom(resp)
				meta.location, meta.auth = loc.String(), false
				return nil
			}
			if resp.StatusCode >= 400 {
				return c.statusError(resp, repo, revision, file)
			}
			meta = metaFrom(resp)
			meta.location, meta.auth = cur, true
			return nil
		}
	})
	if err != nil {
		return nil, err
	}
	return meta, nil
}

func metaFrom(resp *http.Response) *fileMeta {
	m := &fileMeta{size: -1, commit: resp.Header.Get("X-Repo-Commit")}
	m.etag = normalizeEtag(firstNonEmpty(resp.Header.Get("X-Linked-Etag"), resp.Header.Get("ETag")))
	if n, err := strconv.ParseInt(firstNonEmpty(resp.Header.Get("X-Linked-Size"), resp.Header.Get("Content-Length")), 10, 64); err == nil {
		m.size = n
	}
	return m
}

// source is where one blob's bytes come from, shared by the range workers.
// Signed CDN links expire; refresh asks the Hub for a new one.
type source struct {
	c                  *Client
	repo, commit, file string
	mu                 sync.Mutex
	meta               *fileMeta
	refreshed          time.Time
	stall              time.Duration
	bytesFromNetwork   *int64Counter
	onRetry            func(error)
}

func (s *source) get() *fileMeta {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.meta
}

// refresh re-resolves the file's location (at most once every few seconds).
func (s *source) refresh(ctx context.Context) error {
	s.mu.Lock()
	recent := time.Since(s.refreshed) < 5*time.Second
	s.mu.Unlock()
	if recent {
		return nil
	}
	m, err := s.c.headFile(ctx, s.repo, s.commit, s.file)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.meta, s.refreshed = m, time.Now()
	s.mu.Unlock()
	return nil
}

// errNoRanges: the server answered a range request with the whole file.
var errNoRanges = errors.New("server ignores HTTP Range requests")

// openRange GETs bytes [from, to] of the file (to < 0: to the end). The
// returned body stops with errStalled if no data arrives for the stall time.
// A 200 answer to a range request returns errNoRanges (body closed); with
// from == 0 and to < 0 no range is asked and 200 is the normal answer.
func (s *source) openRange(ctx context.Context, from, to int64) (io.ReadCloser, error) {
	m := s.get()
	rctx, cancel := context.WithCancelCause(ctx)
	stall := s.stall
	if stall <= 0 {
		stall = 60 * time.Second
	}
	timer := time.AfterFunc(stall, func() { cancel(errStalled) })
	fail := func(err error) (io.ReadCloser, error) {
		timer.Stop()
		cancel(nil)
		return nil, err
	}
	req, err := s.c.newRequest(rctx, http.MethodGet, m.location, m.auth)
	if err != nil {
		return fail(permanent(err))
	}
	if from > 0 || to >= 0 {
		r := fmt.Sprintf("bytes=%d-", from)
		if to >= 0 {
			r += strconv.FormatInt(to, 10)
		}
		req.Header.Set("Range", r)
	}
	resp, err := s.c.httpClient().Do(req)
	if err != nil {
		if cause := context.Cause(rctx); errors.Is(cause, errStalled) && ctx.Err() == nil {
			err = fmt.Errorf("%w: %w", errStalled, err)
		}
		return fail(err)
	}
	switch {
	case resp.StatusCode == http.StatusPartialContent:
		start, err := contentRangeStart(resp.Header.Get("Content-Range"))
		if err != nil || start != from {
			resp.Body.Close()
			return fail(fmt.Errorf("asked for bytes from %d, got Content-Range %q", from, resp.Header.Get("Content-Range")))
		}
	case resp.StatusCode == http.StatusOK:
		if req.Header.Get("Range") != "" {
			resp.Body.Close()
			return fail(errNoRanges)
		}
	default:
		err := s.c.statusError(resp, s.repo, s.commit, s.file)
		resp.Body.Close()
		if !m.auth && (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusGone || resp.StatusCode == http.StatusNotFound) {
			// A signed CDN link may have expired: get a fresh one, then retry.
			if rerr := s.refresh(ctx); rerr != nil {
				return fail(rerr)
			}
			return fail(fmt.Errorf("the CDN answered HTTP %d (expired link?); got a new link: %w", resp.StatusCode, errRetry))
		}
		return fail(err)
	}
	return &stallBody{rc: resp.Body, timer: timer, stall: stall, cancel: cancel, ctx: ctx, rctx: rctx, counter: s.bytesFromNetwork}, nil
}

// errRetry marks a failure that a plain retry fixes.
var errRetry = errors.New("retry")

func contentRangeStart(h string) (int64, error) {
	rest, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return 0, fmt.Errorf("bad Content-Range %q", h)
	}
	a, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, fmt.Errorf("bad Content-Range %q", h)
	}
	return strconv.ParseInt(a, 10, 64)
}

// stallBody is a response body whose reads fail with errStalled when no data
// arrives for the stall time.
type stallBody struct {
	rc        io.ReadCloser
	timer     *time.Timer
	stall     time.Duration
	cancel    context.CancelCauseFunc
	ctx, rctx context.Context
	counter   *int64Counter
}

func (b *stallBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.timer.Reset(b.stall)
		b.counter.add(int64(n))
	}
	if err != nil && err != io.EOF {
		if cause := context.Cause(b.rctx); errors.Is(cause, errStalled) && b.ctx.Err() == nil {
			err = fmt.Errorf("%w: %w", errStalled, err)
		}
	}
	return n, err
}

func (b *stallBody) Close() error {
	b.timer.Stop()
	err := b.rc.Close()
	b.cancel(nil)
	return err
}

// retried reports a transient failure to the progress stream.
func (s *source) retried(err error) {
	if s.onRetry != nil {
		s.onRetry(err)
	}
}
