package hub

import (
	"fmt"
	"sync"
)

// EventKind says what a progress Event reports.
type EventKind int

// The events of a pull, in the order they happen for one file:
// EventResolved once, then per file EventFileStart, EventFileProgress...,
// EventFileVerify, EventFileDone (or EventFileDone with Cached for files
// already there), with EventFileRetry and EventWaiting as they happen, and
// EventDone at the end of a successful pull.
const (
	// EventResolved: the file list is known. Files, Total (bytes of all
	// selected files) and Completed (bytes already complete in the cache).
	EventResolved EventKind = iota + 1
	// EventFileStart: a file starts downloading. Total is its size, Completed
	// the bytes resumed from an earlier interrupted download.
	EventFileStart
	// EventFileProgress: bytes arrived; Completed of Total.
	EventFileProgress
	// EventFileVerify: the file is downloaded and its digest is being checked.
	EventFileVerify
	// EventFileDone: the file is in the snapshot. Cached is set when it was
	// already in the cache and nothing was downloaded.
	EventFileDone
	// EventFileRetry: a transient network failure or a digest mismatch; Err
	// says which. The download goes on.
	EventFileRetry
	// EventWaiting: another process holds the blob's lock; waiting for it.
	EventWaiting
	// EventDone: the whole pull succeeded; Total bytes are in the cache.
	EventDone
)

var eventNames = map[EventKind]string{
	EventResolved: "resolved", EventFileStart: "start", EventFileProgress: "progress",
	EventFileVerify: "verify", EventFileDone: "done", EventFileRetry: "retry",
	EventWaiting: "waiting", EventDone: "success",
}

func (k EventKind) String() string {
	if s, ok := eventNames[k]; ok {
		return s
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one progress report of a pull.
type Event struct {
	Kind EventKind
	// Repo and Commit say what is pulled.
	Repo, Commit string
	// File is the path inside the repo (empty for whole-pull events).
	File string
	// Digest names the blob: "sha256:<hex>" for LFS files, "gitsha1:<hex>" otherwise.
	Digest string
	// Completed and Total are byte counts (see each kind).
	Completed, Total int64
	// Files is the number of files (EventResolved).
	Files int
	// Cached is set on EventFileDone for files that were already complete.
	Cached bool
	// Err is the cause of an EventFileRetry.
	Err error
}

// Status returns a one-line description in the style of Ollama's /api/pull
// stream ("pulling <file>", "verifying sha256 digest", "success").
func (e Event) Status() string {
	switch e.Kind {
	case EventResolved:
		return "pulling manifest"
	case EventFileStart, EventFileProgress:
		return "pulling " + e.File
	case EventFileVerify:
		return "verifying " + e.File
	case EventFileDone:
		return "pulled " + e.File
	case EventFileRetry:
		return fmt.Sprintf("retrying %s: %v", e.File, e.Err)
	case EventWaiting:
		return "waiting for another download of " + e.File
	case EventDone:
		return "success"
	}
	return e.Kind.String()
}

// Progress receives the events of a pull. Pull calls Update from one goroutine
// at a time (never concurrently), so implementations need no locking; Update
// must return quickly.
type Progress interface {
	Update(Event)
}

// ProgressFunc adapts a function to Progress.
type ProgressFunc func(Event)

// Update calls f(e).
func (f ProgressFunc) Update(e Event) { f(e) }

// emitter serializes events to a Progress (which may be nil).
type emitter struct {
	mu           sync.Mutex
	p            Progress
	repo, commit string
}

func (em *emitter) emit(e Event) {
	if em == nil || em.p == nil {
		return
	}
	e.Repo, e.Commit = em.repo, em.commit
	em.mu.Lock()
	defer em.mu.Unlock()
	em.p.Update(e)
}
