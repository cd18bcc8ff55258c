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
	speed    meter // of the bytes fetched, over the last 30 s
}

// NewLines returns a Lines renderer printing a progress line every interval.
func NewLines(w io.Writer, interval time.Duration) *Lines {
	return &Lines{w: w, interval: interval, speed: meter{window: 30 * time.Second}}
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
		l.speed.add(now, 0)
		commit := e.Commit
		if len(commit) > 12 {
			commit = commit[:12]
		}
		fmt.Fprintf(l.w, "pulling %s@%s: %s, %s", e.Repo, commit, plural(e.Files, "file"), Bytes(e.Total))
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
	l.speed.add(now, l.t.fetched)
	line := fmt.Sprintf("  %s / %s", Bytes(done), Bytes(l.t.total))
	if l.t.total > 0 {
		line += fmt.Sprintf(" (%d%%)", done*100/l.t.total)
	}
	if speed, eta := speedETA(l.speed.rate(), l.t.total-done); speed != "" {
		line += ", " + speed + ", ETA " + eta
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
