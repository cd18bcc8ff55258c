// Package progressbar shows the progress of a hub pull: animated bars per
// file and overall (bytes, speed, ETA) on a terminal, plain periodic lines
// otherwise. It only consumes hub.Event values, so the downloader knows
// nothing about how progress is shown.
package progressbar

import (
	"fmt"
	"io"
	"time"

	"github.com/seekd/seekd/hub"
)

// Renderer shows a pull's progress. Close must be called once the pull
// returns (successfully or not); it draws the final state.
type Renderer interface {
	hub.Progress
	Close()
}

// New returns bars when terminal is set (w is a terminal), else plain lines
// every 10 seconds.
func New(w io.Writer, terminal bool) Renderer {
	if terminal {
		return NewBars(w)
	}
	return NewLines(w, 10*time.Second)
}

// Bytes formats a byte count with decimal units ("1.5 GB"), as the Hub shows sizes.
func Bytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, u := range []string{"kB", "MB", "GB", "TB"} {
		f /= unit
		if f < unit || u == "TB" {
			if f < 10 {
				return fmt.Sprintf("%.2f %s", f, u)
			}
			if f < 100 {
				return fmt.Sprintf("%.1f %s", f, u)
			}
			return fmt.Sprintf("%.0f %s", f, u)
		}
	}
	return ""
}

// Duration formats an ETA: "45s", "3m05s", "2h10m".
func Duration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// tally tracks the overall byte count of a pull from its events.
type tally struct {
	total, cached int64
	files         map[string]int64 // bytes completed per file being downloaded
	// fetched counts the bytes that arrived during this pull (not the ones
	// resumed from disk), for the speed.
	fetched int64
}

func (t *tally) update(e hub.Event) {
	if t.files == nil {
		t.files = map[string]int64{}
	}
	switch e.Kind {
	case hub.EventResolved:
		t.total, t.cached = e.Total, e.Completed
	case hub.EventFileStart:
		t.files[e.File] = e.Completed
	case hub.EventFileProgress, hub.EventFileVerify:
		t.fetched += max(0, e.Completed-t.files[e.File])
		t.files[e.File] = e.Completed
	case hub.EventFileDone:
		if !e.Cached {
			t.fetched += max(0, e.Total-t.files[e.File])
			t.files[e.File] = e.Total
		}
	}
}

func (t *tally) done() int64 {
	n := t.cached
	for _, c := range t.files {
		n += c
	}
	return min(n, t.total)
}

// meter estimates a transfer rate from (time, cumulative bytes) samples
// over a sliding window.
type meter struct {
	window  time.Duration
	samples []sample
}

type sample struct {
	at time.Time
	n  int64
}

// add records that n bytes in all had arrived at time at.
func (m *meter) add(at time.Time, n int64) {
	m.samples = append(m.samples, sample{at, n})
	for len(m.samples) > 2 && at.Sub(m.samples[1].at) >= m.window {
		m.samples = m.samples[1:]
	}
}

// rate returns bytes per second over the window, 0 if unknown.
func (m *meter) rate() float64 {
	if len(m.samples) < 2 {
		return 0
	}
	first, last := m.samples[0], m.samples[len(m.samples)-1]
	dt := last.at.Sub(first.at).Seconds()
	if dt <= 0 || last.n <= first.n {
		return 0
	}
	return float64(last.n-first.n) / dt
}

// speedETA formats "12.3 MB/s" and "ETA 1m05s" for remaining bytes ("" if unknown).
func speedETA(rate float64, remaining int64) (string, string) {
	if rate <= 0 {
		return "", ""
	}
	return Bytes(int64(rate)) + "/s", Duration(time.Duration(float64(remaining) / rate * float64(time.Second)))
}
