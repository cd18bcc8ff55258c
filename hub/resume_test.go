package hub_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seekd/seekd/hub"
	"github.com/seekd/seekd/hub/hubtest"
)

// TestResumeAfterCancel interrupts a pull mid-file (the client is cancelled
// while the server holds the connection), then pulls again and checks with
// the server's byte counter that the bytes already on disk were not fetched
// again. It runs with one stream and with parallel ranges.
func TestResumeAfterCancel(t *testing.T) {
	const (
		size  = 3 << 20
		chunk = 256 << 10
		hold  = 6*chunk + 100<<10 // inside the 7th chunk
	)
	for _, tc := range []struct {
		name    string
		workers int
		// received is what the client gets before it stalls: with parallel
		// ranges, the chunks before the hold, the start of the held chunk and
		// the 5 chunks after it that the window of 6 buffers lets it fetch.
		received int64
		// prefix is what the interrupted pull leaves in the .incomplete file:
		// everything before the hold with one stream, the whole chunks before
		// it with parallel ranges (the chunks in memory are dropped).
		prefix int64
	}{
		{"one-stream", 1, hold, hold},
		{"parallel", 4, hold + 5*chunk, 6 * chunk},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := newHub(t)
			data := randomBytes(t, size)
			repo := "test/resume"
			commit := srv.AddRepo(repo, []hubtest.File{
				{Name: "config.json", Data: []byte(`{}`)},
				{Name: "model.safetensors", Data: data, LFS: true},
			}, hubtest.RepoOptions{})
			srv.SetFault(repo, "model.safetensors", &hubtest.Fault{HoldAt: hold})
			incomplete := filepath.Join(c.Cache.RepoDir(repo), "blobs", hubtest.SHA256(data)+".incomplete")

			ctx, cancel := context.WithCancel(testCtx(t))
			reached := make(chan struct{})
			var once sync.Once
			opts := fastOpts()
			opts.RangeWorkers = tc.workers
			opts.Progress = hub.ProgressFunc(func(e hub.Event) {
				if e.File == "model.safetensors" && e.Kind == hub.EventFileProgress && e.Completed >= tc.received {
					once.Do(func() { close(reached) })
				}
			})
			errc := make(chan error, 1)
			go func() {
				_, err := c.Pull(ctx, repo, opts)
				errc <- err
			}()
			select {
			case <-reached:
			case err := <-errc:
				t.Fatalf("pull ended before the hold: %v", err)
			}
			// Everything the client asked for has come, but the held bytes.
			waitFor(t, func() bool { return fileSize(incomplete) >= tc.prefix && srv.Holding() == 1 })
			cancel()
			if err := <-errc; !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted pull: err = %v, want context.Canceled", err)
			}
			if got := fileSize(incomplete); got != tc.prefix {
				t.Fatalf(".incomplete holds %d bytes, want %d", got, tc.prefix)
			}
			if _, err := c.Cache.Resolve(repo); err == nil {
				t.Fatal("an interrupted pull resolves")
			}

			srv.SetFault(repo, "model.safetensors", nil)
			if !srv.WaitIdle(5 * time.Second) {
				t.Fatal("the server is still sending")
			}
			srv.ResetCounters()
			res, err := c.Pull(testCtx(t), repo, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := srv.Served(repo, "model.safetensors"), int64(size)-tc.prefix; got != want {
				t.Errorf("resumed pull fetched %d bytes, want %d (the %d on disk must not be fetched again)\n%s", got, want, tc.prefix, strings.Join(srv.Requests(), "\n"))
			}
			if got := readFile(t, filepath.Join(res.Dir, "model.safetensors")); !bytes.Equal(got, data) {
				t.Fatal("resumed file differs")
			}
			if res.Commit != commit || fileSize(incomplete) != -1 {
				t.Errorf("commit %s, .incomplete size %d", res.Commit, fileSize(incomplete))
			}
		})
	}
}

// TestResumeAfterCut: the server cuts the connection mid-file; the same pull
// resumes with a Range request and no byte is fetched twice.
func TestResumeAfterCut(t *testing.T) {
	for _, tc := range []struct {
		name    string
		workers int
	}{{"one-stream", 1}, {"parallel", 4}} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := newHub(t)
			data := randomBytes(t, 2<<20)
			small := []byte(strings.Repeat("tokenizer ", 5000))
			srv.AddRepo("test/cut", []hubtest.File{
				{Name: "model.safetensors", Data: data, LFS: true},
				{Name: "tokenizer.json", Data: small},
			}, hubtest.RepoOptions{})
			srv.SetFault("test/cut", "model.safetensors", &hubtest.Fault{CutAt: 1<<20 + 777})
			srv.SetFault("test/cut", "tokenizer.json", &hubtest.Fault{CutAt: 20000, CutTimes: 1})
			var ev events
			opts := fastOpts()
			opts.RangeWorkers = tc.workers
			opts.Progress = &ev
			res, err := c.Pull(testCtx(t), "test/cut", opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := srv.Served("test/cut", "model.safetensors"); got != int64(len(data)) {
				t.Errorf("served %d bytes of the model, want %d", got, len(data))
			}
			if got := srv.Served("test/cut", "tokenizer.json"); got != int64(len(small)) {
				t.Errorf("served %d bytes of the tokenizer, want %d", got, len(small))
			}
			if n := ev.count(hub.EventFileRetry); n != 2 {
				t.Errorf("%d retry events, want 2", n)
			}
			if got := readFile(t, filepath.Join(res.Dir, "model.safetensors")); !bytes.Equal(got, data) {
				t.Fatal("contents differ")
			}
			resumed := false
			for _, r := range srv.Requests() {
				if strings.Contains(r, "/resolve/") && strings.Contains(r, "tokenizer.json bytes=20000-") {
					resumed = true
				}
			}
			if !resumed {
				t.Errorf("no Range request resumed the small file: %v", srv.Requests())
			}
		})
	}
}

// TestConcurrentPulls: two pulls of the same repo into one cache at once;
// the second waits for the blob lock and nothing is downloaded twice.
func TestConcurrentPulls(t *testing.T) {
	srv, c := newHub(t)
	data := randomBytes(t, 2<<20)
	srv.AddRepo("test/two", []hubtest.File{{Name: "model.safetensors", Data: data, LFS: true}}, hubtest.RepoOptions{})
	srv.SetFault("test/two", "model.safetensors", &hubtest.Fault{HoldAt: 1<<20 + 1000})

	started := make(chan struct{})
	var once sync.Once
	optsA := fastOpts()
	optsA.Progress = hub.ProgressFunc(func(e hub.Event) {
		if e.Kind == hub.EventFileProgress {
			once.Do(func() { close(started) })
		}
	})
	var evB events
	optsB := fastOpts()
	optsB.Progress = &evB
	errs := make(chan error, 2)
	go func() { _, err := c.Pull(testCtx(t), "test/two", optsA); errs <- err }()
	select {
	case <-started:
	case err := <-errs:
		t.Fatalf("pull A ended before the hold: %v", err)
	}
	go func() { _, err := c.Pull(testCtx(t), "test/two", optsB); errs <- err }()
	waitFor(t, func() bool { return evB.count(hub.EventWaiting) > 0 })
	srv.SetFault("test/two", "model.safetensors", nil)
	srv.ReleaseHolds() // pull A's connection is cut; it resumes and finishes
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := srv.Served("test/two", "model.safetensors"); got != int64(len(data)) {
		t.Errorf("served %d bytes, want %d: the blob was downloaded twice", got, len(data))
	}
	if evB.count(hub.EventFileStart) != 0 {
		t.Error("the second pull downloaded the file")
	}
	m, err := c.Cache.Resolve("test/two")
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(m.Path, "model.safetensors")); !bytes.Equal(got, data) {
		t.Fatal("contents differ")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestExpiredCDNLink: the CDN refuses a signed link that has expired; the
// client asks the Hub for a fresh one and goes on.
func TestExpiredCDNLink(t *testing.T) {
	srv, c := newHub(t)
	data := randomBytes(t, 3<<20)
	srv.AddRepo("test/expire", []hubtest.File{{Name: "model.safetensors", Data: data, LFS: true}}, hubtest.RepoOptions{})
	srv.SetFault("test/expire", "model.safetensors", &hubtest.Fault{ExpireLinks: 1})
	res, err := c.Pull(testCtx(t), "test/expire", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(res.Dir, "model.safetensors")); !bytes.Equal(got, data) {
		t.Fatal("contents differ")
	}
	heads := 0
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r, "HEAD ") {
			heads++
		}
	}
	if heads != 2 {
		t.Errorf("%d HEAD requests, want 2 (the second refreshes the link)", heads)
	}
}

// TestServerIgnoresRanges: a server answering range requests with the whole
// file makes the client fall back to one plain stream.
func TestServerIgnoresRanges(t *testing.T) {
	srv, c := newHub(t)
	data := randomBytes(t, 2<<20)
	srv.AddRepo("test/norange", []hubtest.File{{Name: "model.safetensors", Data: data, LFS: true}}, hubtest.RepoOptions{})
	srv.SetFault("test/norange", "model.safetensors", &hubtest.Fault{IgnoreRange: true})
	res, err := c.Pull(testCtx(t), "test/norange", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(res.Dir, "model.safetensors")); !bytes.Equal(got, data) {
		t.Fatal("contents differ")
	}
	plain := false
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r, "GET /cdn/") && !strings.Contains(r, "bytes=") {
			plain = true
		}
	}
	if !plain {
		t.Errorf("no plain GET after the ranges were ignored: %v", srv.Requests())
	}
}
