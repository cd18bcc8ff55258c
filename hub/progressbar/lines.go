package progressbar

import (
	"fmt"
	"io"
	"time"

	"github.com/seekd/seekd/hub"
)

// Lines writes plain progress lines, for logs and pipes: what is pulled,
// each file as it starts and ends, retries, and every interval one line with
// bytes done, percentage, speed and ETA.
type Lines struct {
	w        io.Writer
	interval time.Duration
	// Now is the clock (time.Now when nil); tests set it.
	Now func() time.Time

	t        tally
	start    time.Time
	lastLine time.Time
	samples  []sample // recent (time, bytes fetched) for the speed
}

type sample struct {
	at time.Time
	n  int64
}

// NewLines returns a Lines renderer printing a progress line every interval.
func NewLines(w io.Writer, interval time.Duration) *Lines {
	return &Lines{w: w, interval: interval}
}

func (l *Lines) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Update implements hub.Progress.
func (l *Lines) Update(e hub.Event) {
	now := l.now()
	l.t.update(e)
	switch e.Kind {
	case hub.EventResolved:
		l.start, l.lastLine = now, now
		l.samples = []sample{{now, 0}}
		commit := e.Commit
		if len(commit) > 12 {
			commit = commit[:12]
		}
		fmt.Fprintf(l.w, "pulling %s@%s: %d files, %s", e.Repo, commit, e.Files, Bytes(e.Total))
		if e.Completed > 0 {
			fmt.Fprintf(l.w, " (%s already here)", Bytes(e.Completed))
		}
		fmt.Fprintln(l.w)
	case hub.EventFileStart:
		if e.Completed > 0 {
			fmt.Fprintf(l.w, "  %s: %s, resuming at %s\n", e.File, Bytes(e.Total), Bytes(e.Completed))
		} else {
			fmt.Fprintf(l.w, "  %s: %s\n", e.File, Bytes(e.Total))
		}
	case hub.EventFileDone:
		if !e.Cached {
			fmt.Fprintf(l.w, "  %s: done (%s verified)\n", e.File, digestKind(e.Digest))
		}
	case hub.EventFileRetry:
		fmt.Fprintf(l.w, "  %s: retrying: %v\n", e.File, e.Err)
	case hub.EventWaiting:
		fmt.Fprintf(l.w, "  %s: waiting for another download of it to finish\n", e.File)
	case hub.EventFileProgress:
		if now.Sub(l.lastLine) >= l.interval {
			l.progressLine(now)
		}
	case hub.EventDone:
		took := now.Sub(l.start)
		fmt.Fprintf(l.w, "pulled %s: %s in %s", e.Repo, Bytes(e.Total), Duration(took))
		if l.t.fetched > 0 && took > 0 {
			fmt.Fprintf(l.w, " (%s downloaded, %s/s)", Bytes(l.t.fetched), Bytes(int64(float64(l.t.fetched)/took.Seconds())))
		}
		fmt.Fprintln(l.w)
	}
}

// progressLine prints "  1.20 GB / 3.60 GB (33%), 45.0 MB/s, ETA 53s".
func (l *Lines) progressLine(now time.Time) {
	l.lastLine = now
	done := l.t.done()
	l.samples = append(l.samples, sample{now, l.t.fetched})
	// Speed over the last 30 seconds.
	for len(l.samples) > 2 && now.Sub(l.samples[0].at) > 30*time.Second {
		l.samples = l.samples[1:]
	}
	line := fmt.Sprintf("  %s / %s", Bytes(done), Bytes(l.t.total))
	if l.t.total > 0 {
		line += fmt.Sprintf(" (%d%%)", done*100/l.t.total)
	}
	first := l.samples[0]
	if dt := now.Sub(first.at).Seconds(); dt > 0 && l.t.fetched > first.n {
		speed := float64(l.t.fetched-first.n) / dt
		line += fmt.Sprintf(", %s/s, ETA %s", Bytes(int64(speed)), Duration(time.Duration(float64(l.t.total-done)/speed*float64(time.Second))))
	}
	fmt.Fprintln(l.w, line)
}

// Close implements Renderer.
func (l *Lines) Close() {}

func digestKind(d string) string {
	for i := range d {
		if d[i] == ':' {
			return d[:i]
		}
	}
	return "size"
}
