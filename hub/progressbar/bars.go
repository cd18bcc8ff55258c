package progressbar

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/seekd/seekd/hub"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// Bars draws a bar per file being downloaded and one for the whole pull,
// each with bytes, percentage, speed and ETA, redrawn in place on a terminal.
type Bars struct {
	p     *mpb.Progress
	t     tally
	total *bar
	files map[string]*bar

	mu sync.Mutex // guards the meters, read by mpb's render goroutine
}

// bar is one progress bar and the meter of its speed.
type bar struct {
	b     *mpb.Bar
	speed meter
	total int64
	done  int64
}

// NewBars returns a Bars renderer drawing on w (a terminal).
func NewBars(w io.Writer) *Bars {
	return &Bars{
		p:     mpb.New(mpb.WithOutput(w), mpb.WithWidth(100), mpb.WithRefreshRate(150*time.Millisecond), mpb.WithAutoRefresh()),
		files: map[string]*bar{},
	}
}

func (b *Bars) newBar(name string, total int64, priority int, remove bool) *bar {
	br := &bar{speed: meter{window: 10 * time.Second}, total: total}
	speed := func(decor.Statistics) string {
		b.mu.Lock()
		defer b.mu.Unlock()
		s, eta := speedETA(br.speed.rate(), br.total-br.done)
		if s == "" {
			return ""
		}
		return fmt.Sprintf("%10s  ETA %s", s, eta)
	}
	opts := []mpb.BarOption{
		mpb.BarPriority(priority),
		mpb.PrependDecorators(
			decor.Name(shorten(name, 36), decor.WC{C: decor.DindentRight | decor.DextraSpace, W: 37}),
			decor.Counters(decor.SizeB1000(0), "% .1f / % .1f", decor.WC{W: 22, C: decor.DindentRight}),
		),
		mpb.AppendDecorators(
			decor.Percentage(decor.WC{W: 5}),
			decor.OnComplete(decor.Any(speed, decor.WC{W: 24}), "  done"),
		),
	}
	if remove {
		opts = append(opts, mpb.BarRemoveOnComplete())
	}
	br.b = b.p.AddBar(max(total, 1), opts...)
	return br
}

// set moves a bar to done bytes; fetched is what its meter measures.
func (b *Bars) set(br *bar, done, fetched int64, now time.Time) {
	b.mu.Lock()
	br.done = done
	br.speed.add(now, fetched)
	b.mu.Unlock()
	br.b.SetCurrent(done)
}

// Update implements hub.Progress.
func (b *Bars) Update(e hub.Event) {
	now := time.Now()
	b.t.update(e)
	switch e.Kind {
	case hub.EventResolved:
		commit := e.Commit
		if len(commit) > 12 {
			commit = commit[:12]
		}
		fmt.Fprintf(b.p, "pulling %s@%s: %s, %s\n", e.Repo, commit, plural(e.Files, "file"), Bytes(e.Total))
		b.total = b.newBar("total", e.Total, 1<<30, false)
		b.set(b.total, e.Completed, 0, now)
		if e.Total == 0 {
			b.total.b.SetCurrent(1)
		}
	case hub.EventFileStart:
		fb := b.files[e.File]
		if fb == nil || fb.b.Completed() {
			fb = b.newBar(e.File, e.Total, len(b.files), true)
			b.files[e.File] = fb
		}
		b.mu.Lock()
		fb.speed.samples = nil
		b.mu.Unlock()
		b.set(fb, e.Completed, e.Completed, now)
	case hub.EventFileProgress, hub.EventFileVerify:
		if fb := b.files[e.File]; fb != nil {
			b.set(fb, e.Completed, e.Completed, now)
		}
		if b.total != nil {
			b.set(b.total, b.t.done(), b.t.fetched, now)
		}
	case hub.EventFileDone:
		if fb := b.files[e.File]; fb != nil && !e.Cached {
			b.set(fb, max(e.Total, 1), e.Total, now)
		}
		if b.total != nil {
			b.set(b.total, b.t.done(), b.t.fetched, now)
		}
	case hub.EventFileRetry:
		fmt.Fprintf(b.p, "%s: retrying: %v\n", e.File, e.Err)
	case hub.EventWaiting:
		fmt.Fprintf(b.p, "%s: waiting for another download of it to finish\n", e.File)
	case hub.EventDone:
		if b.total != nil {
			b.total.b.SetCurrent(max(e.Total, 1))
		}
	}
}

// Close implements Renderer: bars of an unfinished pull are stopped where
// they are, then the last frame is drawn.
func (b *Bars) Close() {
	for _, fb := range b.files {
		if !fb.b.Completed() {
			fb.b.Abort(true)
		}
	}
	if b.total != nil && !b.total.b.Completed() {
		b.total.b.Abort(false)
	}
	b.p.Wait()
}

// shorten keeps the end of long names ("…00001-of-000163.safetensors").
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return "…" + string(r[len(r)-n+1:])
}

// plural formats "1 file", "5 files".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
