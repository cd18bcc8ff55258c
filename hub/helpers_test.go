package hub_test

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/seekd/seekd/hub"
	"github.com/seekd/seekd/hub/hubtest"
)

// newHub starts a fake Hub and a client whose cache is a fresh temporary folder.
func newHub(t *testing.T) (*hubtest.Server, *hub.Client) {
	t.Helper()
	srv := hubtest.NewServer()
	t.Cleanup(srv.Close)
	c := hub.NewClient(hub.Settings{CacheDir: filepath.Join(t.TempDir(), "hub"), Endpoint: srv.URL})
	c.RetryWait = time.Millisecond
	c.Logger = slog.New(slog.DiscardHandler)
	return srv, c
}

// fastOpts are pull options scaled down for tests: small chunks so a file of
// a few MB is fetched in parallel ranges, short timeouts.
func fastOpts() hub.PullOptions {
	return hub.PullOptions{
		RangeWorkers:     4,
		ChunkSize:        256 << 10,
		ParallelMin:      1 << 20,
		StallTimeout:     5 * time.Second,
		ProgressInterval: 5 * time.Millisecond,
	}
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		t.Fatal(err)
	}
	return b
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// events records progress events.
type events struct {
	mu  sync.Mutex
	evs []hub.Event
}

func (e *events) Update(ev hub.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.evs = append(e.evs, ev)
}

func (e *events) count(kind hub.EventKind) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, ev := range e.evs {
		if ev.Kind == kind {
			n++
		}
	}
	return n
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return info.Size()
}
