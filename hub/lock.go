package hub

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// lockPoll is how often a held lock is tried again.
const lockPoll = 200 * time.Millisecond

// lockFile takes an exclusive lock on path (creating it), waiting while
// another process or goroutine holds it; onWait is called once if it has to
// wait. It returns the function releasing the lock. The lock is flock(2) on
// Unix, the same lock Python's filelock takes, so a pull by huggingface_hub
// and one by seekd never write the same blob at once.
func lockFile(ctx context.Context, path string, onWait func()) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("hub: lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("hub: lock %s: %w", path, err)
	}
	waited := false
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("hub: lock %s: %w", path, err)
		}
		if ok {
			return func() { unlock(f); f.Close() }, nil
		}
		if !waited && onWait != nil {
			onWait()
		}
		waited = true
		if err := sleepCtx(ctx, lockPoll); err != nil {
			f.Close()
			return nil, err
		}
	}
}
