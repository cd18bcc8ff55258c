package hub

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// HugeDownload is the size from which a pull asks for confirmation even
// without an alias marking the model as huge (200 GB).
const HugeDownload = 200_000_000_000

// PullOptions tune a pull. The zero value pulls the default selection with
// sensible defaults.
type PullOptions struct {
	// Include and Exclude are fnmatch patterns ('*' also matches '/') over
	// the repo's file paths, as huggingface-cli's --include/--exclude.
	Include, Exclude []string
	// Progress receives events (see Event); nil for none.
	Progress Progress
	// Confirm, when set, is called with the plan before anything is
	// downloaded (only when there is something to download); an error
	// aborts the pull and is returned.
	Confirm func(context.Context, *Plan) error
	// Concurrency is the number of files downloaded at once (default 4).
	Concurrency int
	// RangeWorkers is the number of connections for one large file (default 4).
	RangeWorkers int
	// ChunkSize is the size of one range request of a large file (default 8 MiB).
	ChunkSize int64
	// ParallelMin is the size from which a file is fetched in parallel
	// ranges (default 64 MiB).
	ParallelMin int64
	// Attempts bounds the downloads of one blob whose digest does not match
	// (default 3).
	Attempts int
	// NetRetries bounds consecutive transient failures without progress on
	// one stream (default 5).
	NetRetries int
	// StallTimeout aborts (and retries) a request that receives nothing for
	// this long (default 60s).
	StallTimeout time.Duration
	// ProgressInterval is the period of EventFileProgress events (default 200ms).
	ProgressInterval time.Duration
}

func (o PullOptions) withDefaults() PullOptions {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.RangeWorkers <= 0 {
		o.RangeWorkers = 4
	}
	if o.ChunkSize <= 0 {
		o.ChunkSize = 8 << 20
	}
	if o.ParallelMin <= 0 {
		o.ParallelMin = 64 << 20
	}
	if o.Attempts <= 0 {
		o.Attempts = 3
	}
	if o.NetRetries <= 0 {
		o.NetRetries = 5
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = 60 * time.Second
	}
	if o.ProgressInterval <= 0 {
		o.ProgressInterval = 200 * time.Millisecond
	}
	return o
}

// Plan is what a pull is about to do, shown before downloading.
type Plan struct {
	// Ref is what was asked for.
	Ref ModelRef
	// Repo, Revision and Commit say what is pulled.
	Repo, Revision, Commit string
	// Files are the selected files.
	Files []PlanFile
	// TotalBytes is the size of the selected files.
	TotalBytes int64
	// CachedBytes are already complete in the cache.
	CachedBytes int64
	// PartialBytes are in interrupted downloads that will be resumed.
	PartialBytes int64
	// FreeDisk is the space available in the cache folder; -1 if unknown.
	FreeDisk int64
	// TotalRAM is the machine's memory; -1 if unknown.
	TotalRAM int64
}

// PlanFile is one file of a Plan.
type PlanFile struct {
	// Name is the path inside the repo.
	Name string
	// Size is its size in bytes.
	Size int64
	// Digest is "sha256:<hex>" or "gitsha1:<hex>" (empty if the Hub gave none).
	Digest string
	// Cached is set when the blob is already complete in the cache.
	Cached bool
	etag   string
	d      digest
}

// DownloadBytes is what remains to fetch from the network.
func (p *Plan) DownloadBytes() int64 { return p.TotalBytes - p.CachedBytes - p.PartialBytes }

// FitsDisk reports whether the download fits the free space (true if unknown).
func (p *Plan) FitsDisk() bool { return p.FreeDisk < 0 || p.DownloadBytes() <= p.FreeDisk }

// FitsRAM reports whether the model's files fit in memory (true if unknown).
// A model that does not fit still runs, memory-mapped, but slowly.
func (p *Plan) FitsRAM() bool { return p.TotalRAM < 0 || p.TotalBytes <= p.TotalRAM }

// NeedsConfirmation reports whether a person should agree before the
// download starts: a huge model (an alias marked huge, or HugeDownload bytes
// or more) or a download larger than the free disk space.
func (p *Plan) NeedsConfirmation() bool {
	if p.DownloadBytes() <= 0 {
		return false
	}
	return p.Ref.Huge || p.DownloadBytes() >= HugeDownload || !p.FitsDisk()
}

// PullResult says what a pull stored.
type PullResult struct {
	// Repo, Revision and Commit say what was pulled.
	Repo, Revision, Commit string
	// Dir is the snapshot folder holding the files.
	Dir string
	// Files are the paths inside the repo that were pulled.
	Files []string
	// Downloaded is the number of bytes fetched from the network.
	Downloaded int64
}

// Pull downloads a model (an alias, or "org/name[:QUANT][@REVISION]") into
// the cache; see PullRef.
func (c *Client) Pull(ctx context.Context, ref string, opts PullOptions) (*PullResult, error) {
	mr, err := ParseModelRef(ref)
	if err != nil {
		return nil, err
	}
	return c.PullRef(ctx, mr, opts)
}

// PullRef downloads the selected files of a repo revision into the cache.
// Each blob is downloaded once (under a lock shared with huggingface_hub),
// resumed from an earlier interrupted download, verified against the Hub's
// SHA-256 (LFS) or git blob id, and only then renamed into blobs/ and linked
// from the snapshot. refs/<revision> is written once all files are there.
func (c *Client) PullRef(ctx context.Context, ref ModelRef, opts PullOptions) (*PullResult, error) {
	opts = opts.withDefaults()
	rev := ref.Rev()
	info, err := c.RepoInfo(ctx, ref.Repo, rev)
	if err != nil {
		return nil, err
	}
	files, err := selectFiles(ref.Repo, info.Siblings, ref.Quant, opts.Include, opts.Exclude)
	if err != nil {
		return nil, err
	}
	if info.Gated != "" {
		// Gated repos list their files to anyone but serve them only with a
		// token that has access: ask once now, so a missing or unaccepted
		// token fails with the Hub's own answer before anything starts.
		if _, err := c.headFile(ctx, ref.Repo, info.SHA, files[0].Name); err != nil {
			return nil, err
		}
	}
	plan, err := c.makePlan(ctx, ref, rev, info.SHA, files)
	if err != nil {
		return nil, err
	}
	if opts.Confirm != nil && plan.DownloadBytes() > 0 {
		if err := opts.Confirm(ctx, plan); err != nil {
			return nil, err
		}
	}
	em := &emitter{p: opts.Progress, repo: ref.Repo, commit: info.SHA}
	em.emit(Event{Kind: EventResolved, Files: len(plan.Files), Total: plan.TotalBytes, Completed: plan.CachedBytes})

	run := &pullRun{c: c, opts: opts, plan: plan, em: em}
	if err := run.do(ctx); err != nil {
		return nil, err
	}
	if err := c.Cache.WriteRef(ref.Repo, rev, info.SHA); err != nil {
		return nil, err
	}
	em.emit(Event{Kind: EventDone, Total: plan.TotalBytes, Completed: plan.TotalBytes})
	res := &PullResult{Repo: ref.Repo, Revision: rev, Commit: info.SHA, Dir: c.Cache.SnapshotDir(ref.Repo, info.SHA), Downloaded: run.downloaded.Load()}
	for _, f := range plan.Files {
		res.Files = append(res.Files, f.Name)
	}
	return res, nil
}

// makePlan works out blob names, digests and what the cache already has.
// Files the listing gives no blob id for (some mirrors) are asked with HEAD.
func (c *Client) makePlan(ctx context.Context, ref ModelRef, rev, commit string, files []Sibling) (*Plan, error) {
	p := &Plan{Ref: ref, Repo: ref.Repo, Revision: rev, Commit: commit, FreeDisk: freeDisk(c.Cache.Dir), TotalRAM: totalRAM()}
	for _, s := range files {
		f := PlanFile{Name: s.Name, Size: s.FileSize()}
		lfsSHA := ""
		if s.LFS != nil {
			lfsSHA = s.LFS.SHA256
		}
		switch {
		case lfsSHA != "":
			f.etag = lfsSHA
		case s.BlobID != "":
			f.etag = s.BlobID
		default:
			m, err := c.headFile(ctx, ref.Repo, commit, s.Name)
			if err != nil {
				return nil, err
			}
			f.etag = m.etag
			if f.Size <= 0 && m.size >= 0 {
				f.Size = m.size
			}
		}
		if err := checkEtag(f.etag); err != nil {
			return nil, fmt.Errorf("hub: %s: %s: %w", ref.Repo, s.Name, err)
		}
		f.d = digestFor(lfsSHA, s.BlobID, f.etag)
		f.Digest = f.d.String()
		p.TotalBytes += f.Size
		blob := c.Cache.blobPath(ref.Repo, f.etag)
		if info, err := os.Stat(blob); err == nil && info.Size() == f.Size {
			f.Cached = true
			p.CachedBytes += f.Size
		} else if info, err := os.Stat(blob + ".incomplete"); err == nil && info.Size() <= f.Size {
			p.PartialBytes += info.Size()
		}
		p.Files = append(p.Files, f)
	}
	return p, nil
}

// pullRun is one pull in progress.
type pullRun struct {
	c          *Client
	opts       PullOptions
	plan       *Plan
	em         *emitter
	downloaded atomic.Int64

	mu     sync.Mutex
	active map[*fileState]struct{}
}

// fileState is the progress of one blob being downloaded.
type fileState struct {
	name     string
	total    int64
	received atomic.Int64
	lastSent int64
}

// blobTask is one blob to fetch and the snapshot files that point to it.
type blobTask struct {
	etag  string
	size  int64
	d     digest
	files []string
}

func (r *pullRun) do(ctx context.Context) error {
	var tasks []*blobTask
	byEtag := map[string]*blobTask{}
	for _, f := range r.plan.Files {
		if t, ok := byEtag[f.etag]; ok {
			t.files = append(t.files, f.Name)
			continue
		}
		t := &blobTask{etag: f.etag, size: f.Size, d: f.d, files: []string{f.Name}}
		byEtag[f.etag] = t
		tasks = append(tasks, t)
	}
	if err := os.MkdirAll(filepath.Join(r.c.Cache.RepoDir(r.plan.Repo), "blobs"), 0o755); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	r.active = map[*fileState]struct{}{}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	tickDone := make(chan struct{})
	tickStopped := make(chan struct{})
	go r.ticker(tickDone, tickStopped)

	queue := make(chan *blobTask)
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	for range min(r.opts.Concurrency, len(tasks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range queue {
				if err := r.pullBlob(ctx, t); err != nil {
					errOnce.Do(func() { firstErr = err })
					cancel(err)
				}
			}
		}()
	}
feed:
	for _, t := range tasks {
		select {
		case queue <- t:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	close(tickDone)
	<-tickStopped
	if firstErr != nil {
		return firstErr
	}
	return context.Cause(ctx)
}

// ticker emits EventFileProgress for the active downloads every interval.
func (r *pullRun) ticker(done <-chan struct{}, stopped chan<- struct{}) {
	defer close(stopped)
	t := time.NewTicker(r.opts.ProgressInterval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			r.sendProgress()
		}
	}
}

func (r *pullRun) sendProgress() {
	r.mu.Lock()
	var evs []Event
	for fs := range r.active {
		if n := fs.received.Load(); n != fs.lastSent {
			fs.lastSent = n
			evs = append(evs, Event{Kind: EventFileProgress, File: fs.name, Completed: n, Total: fs.total})
		}
	}
	r.mu.Unlock()
	for _, e := range evs {
		r.em.emit(e)
	}
}

func (r *pullRun) setActive(fs *fileState, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if on {
		r.active[fs] = struct{}{}
	} else {
		delete(r.active, fs)
	}
}

// pullBlob gets one blob into the cache and links the snapshot files to it.
func (r *pullRun) pullBlob(ctx context.Context, t *blobTask) error {
	c, repo, commit := r.c, r.plan.Repo, r.plan.Commit
	name := t.files[0]
	blob := c.Cache.blobPath(repo, t.etag)
	done := func(cached bool) error {
		for _, f := range t.files {
			if err := c.Cache.linkSnapshotFile(repo, commit, f, t.etag); err != nil {
				return err
			}
			r.em.emit(Event{Kind: EventFileDone, File: f, Digest: t.d.String(), Completed: t.size, Total: t.size, Cached: cached})
		}
		return nil
	}
	if blobComplete(blob, t.size) {
		return done(true)
	}
	unlock, err := lockFile(ctx, c.Cache.lockPath(repo, t.etag), func() {
		r.em.emit(Event{Kind: EventWaiting, File: name, Digest: t.d.String(), Total: t.size})
	})
	if err != nil {
		return err
	}
	defer unlock()
	if blobComplete(blob, t.size) {
		return done(true) // another process finished it while we waited
	}

	fs := &fileState{name: name, total: t.size}
	src := &source{c: c, repo: repo, commit: commit, file: name, stall: r.opts.StallTimeout,
		bytesFromNetwork: &int64Counter{},
		onRetry: func(err error) {
			r.em.emit(Event{Kind: EventFileRetry, File: name, Digest: t.d.String(), Completed: fs.received.Load(), Total: t.size, Err: err})
		}}
	defer func() { r.downloaded.Add(src.bytesFromNetwork.load()) }()
	tune := transferTuning{rangeWorkers: r.opts.RangeWorkers, chunkSize: r.opts.ChunkSize, parallelMin: r.opts.ParallelMin, netRetries: r.opts.NetRetries}
	incomplete := blob + ".incomplete"
	for attempt := 1; ; attempt++ {
		a, err := openAppender(incomplete, t.d, t.size)
		if err != nil {
			return err
		}
		fs.received.Store(a.n)
		fs.lastSent = a.n
		r.em.emit(Event{Kind: EventFileStart, File: name, Digest: t.d.String(), Completed: a.n, Total: t.size})
		if a.n < t.size && src.meta == nil {
			m, err := c.headFile(ctx, repo, commit, name)
			if err != nil {
				a.f.Close()
				return err
			}
			if m.size >= 0 && m.size != t.size {
				a.f.Close()
				return fmt.Errorf("hub: %s: %s: the listing says %d bytes, the file is %d", repo, name, t.size, m.size)
			}
			src.meta = m
		}
		r.setActive(fs, true)
		err = c.transfer(ctx, src, a, tune, &fs.received)
		r.setActive(fs, false)
		if err != nil {
			a.f.Close()
			err = unwrapPermanent(err)
			var he *HubError
			if errors.As(err, &he) {
				return err // says repo and file already
			}
			return fmt.Errorf("hub: %s: %s: %w", repo, name, err)
		}
		r.em.emit(Event{Kind: EventFileVerify, File: name, Digest: t.d.String(), Completed: a.n, Total: t.size})
		verr := a.verify()
		if verr == nil {
			if err := finishBlob(a.f, incomplete, blob); err != nil {
				return err
			}
			break
		}
		a.f.Close()
		if err := os.Remove(incomplete); err != nil {
			return fmt.Errorf("hub: removing a corrupt download: %w", err)
		}
		if attempt >= r.opts.Attempts {
			return fmt.Errorf("hub: %s: %s: %w (%d downloads failed verification; the file was deleted)", repo, name, verr, attempt)
		}
		c.logger().Warn("hub: download failed verification; downloading again", "file", name, "err", verr)
		r.em.emit(Event{Kind: EventFileRetry, File: name, Digest: t.d.String(), Total: t.size, Err: verr})
	}
	return done(false)
}

// finishBlob makes a verified download visible: flush, close, and rename the
// .incomplete file to its blob name.
func finishBlob(f *os.File, incomplete, blob string) error {
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("hub: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	if err := os.Chmod(incomplete, 0o644); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	if err := os.Rename(incomplete, blob); err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	return nil
}

func blobComplete(path string, size int64) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular() && info.Size() == size
}

func unwrapPermanent(err error) error {
	var pe permanentError
	if errors.As(err, &pe) {
		return pe.err
	}
	return err
}
