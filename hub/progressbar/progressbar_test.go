package progressbar

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/seekd/seekd/hub"
)

// script is a pull of two files, one cached, one resumed, with one retry.
func script() []hub.Event {
	const repo, commit = "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", "0123456789abcdef0123456789abcdef01234567"
	ev := func(e hub.Event) hub.Event { e.Repo, e.Commit = repo, commit; return e }
	return []hub.Event{
		ev(hub.Event{Kind: hub.EventResolved, Files: 2, Total: 3_000_001_000, Completed: 1000}),
		ev(hub.Event{Kind: hub.EventFileDone, File: "config.json", Total: 1000, Completed: 1000, Cached: true}),
		ev(hub.Event{Kind: hub.EventFileStart, File: "model.safetensors", Total: 3e9, Completed: 1e9}),
		ev(hub.Event{Kind: hub.EventFileProgress, File: "model.safetensors", Total: 3e9, Completed: 1.5e9}),
		ev(hub.Event{Kind: hub.EventFileRetry, File: "model.safetensors", Total: 3e9, Completed: 1.5e9, Err: errors.New("connection reset")}),
		ev(hub.Event{Kind: hub.EventFileProgress, File: "model.safetensors", Total: 3e9, Completed: 2e9}),
		ev(hub.Event{Kind: hub.EventFileProgress, File: "model.safetensors", Total: 3e9, Completed: 2.5e9}),
		ev(hub.Event{Kind: hub.EventFileVerify, File: "model.safetensors", Total: 3e9, Completed: 3e9}),
		ev(hub.Event{Kind: hub.EventFileDone, File: "model.safetensors", Digest: "sha256:ab", Total: 3e9, Completed: 3e9}),
		ev(hub.Event{Kind: hub.EventDone, Total: 3_000_001_000, Completed: 3_000_001_000}),
	}
}

func TestLines(t *testing.T) {
	var buf bytes.Buffer
	l := NewLines(&buf, 10*time.Second)
	clock := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	l.Now = func() time.Time { return clock }
	for _, e := range script() {
		l.Update(e)
		clock = clock.Add(10 * time.Second)
	}
	l.Close()
	want := `pulling deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B@0123456789ab: 2 files, 3.00 GB (1.00 kB already here)
  model.safetensors: 3.00 GB, resuming at 1.00 GB
  1.50 GB / 3.00 GB (50%), 16.7 MB/s, ETA 1m30s
  model.safetensors: retrying: connection reset
  2.00 GB / 3.00 GB (66%), 20.0 MB/s, ETA 50s
  2.50 GB / 3.00 GB (83%), 33.3 MB/s, ETA 15s
  model.safetensors: done (sha256 verified)
pulled deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B: 3.00 GB in 1m30s (2.00 GB downloaded, 22.2 MB/s)
`
	if got := buf.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestBars(t *testing.T) {
	var buf bytes.Buffer
	b := NewBars(&buf)
	for _, e := range script() {
		b.Update(e)
	}
	done := make(chan struct{})
	go func() { b.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs")
	}
	out := buf.String()
	for _, want := range []string{"pulling deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B@0123456789ab", "total", "3.0 GB", "retrying: connection reset"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestBarsAbort: a failed pull's Close returns.
func TestBarsAbort(t *testing.T) {
	var buf bytes.Buffer
	b := NewBars(&buf)
	for _, e := range script()[:4] {
		b.Update(e)
	}
	done := make(chan struct{})
	go func() { b.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs after a failed pull")
	}
}

func TestBytesAndDuration(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.00 kB", 15_300_000: "15.3 MB", 688_000_000_000: "688 GB", 3_500_000_000_000: "3.50 TB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
	for d, want := range map[time.Duration]string{45 * time.Second: "45s", 185 * time.Second: "3m05s", 130 * time.Minute: "2h10m"} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}
