package hub_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/seekd/seekd/hub"
	"github.com/seekd/seekd/hub/hubtest"
)

// BenchmarkPull measures a pull of one 64 MiB LFS file from the in-process
// fake Hub over loopback (server, hashing and disk share the CPU), in one
// stream and in parallel 8 MiB ranges.
func BenchmarkPull(b *testing.B) {
	data := make([]byte, 64<<20)
	rand.Read(data)
	srv := hubtest.NewServer()
	defer srv.Close()
	srv.AddRepo("bench/model", []hubtest.File{{Name: "model.safetensors", Data: data, LFS: true}}, hubtest.RepoOptions{})
	for _, bc := range []struct {
		name    string
		workers int
	}{{"one-stream", 1}, {"ranges-4x8MiB", 4}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				dir := b.TempDir()
				c := hub.NewClient(hub.Settings{CacheDir: filepath.Join(dir, "hub"), Endpoint: srv.URL})
				c.Logger = slog.New(slog.DiscardHandler)
				opts := hub.PullOptions{RangeWorkers: bc.workers, ChunkSize: 8 << 20, ParallelMin: 32 << 20, StallTimeout: 30 * time.Second}
				if _, err := c.Pull(context.Background(), "bench/model", opts); err != nil {
					b.Fatal(err)
				}
				os.RemoveAll(dir)
			}
		})
	}
}
