package progressbar

import (
	"fmt"
	"io"
	"time"

	"github.com/seekd/seekd/hub"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// Bars draws a bar per file being downloaded and one for the whole pull,
// each with bytes, percentage, speed and ETA, redrawn in place on a terminal.
type Bars struct {
	p       *mpb.Progress
	w       io.Writer
	t       tally
	total   *mpb.Bar
	files   map[string]*fileBar
	lastAll time.Time
}

type fileBar struct {
	bar  *mpb.Bar
	last time.Time
}

// NewBars returns a Bars renderer drawing on w (a terminal).
func NewBars(w io.Writer) *Bars {
	return &Bars{
		p:     mpb.New(mpb.WithOutput(w), mpb.WithWidth(100), mpb.WithRefreshRate(150*time.Millisecond), mpb.WithAutoRefresh()),
		w:     w,
		files: map[string]*fileBar{},
	}
}

func (b *Bars) newBar(name string, total int64, priority int, remove bool) *mpb.Bar {
	opts := []mpb.BarOption{
		mpb.BarPriority(priority),
		mpb.PrependDecorators(
			decor.Name(shorten(name, 36), decor.WC{C: decor.DindentRight | decor.DextraSpace, W: 37}),
			decor.Counters(decor.SizeB1000(0), "% .1f / % .1f", decor.WC{W: 22, C: decor.DindentRight}),
		),
		mpb.AppendDecorators(
			decor.Percentage(decor.WC{W: 5}),
			decor.OnComplete(decor.EwmaSpeed(decor.SizeB1000(0), "% .1f", 30, decor.WC{W: 13}), ""),
			decor.OnComplete(decor.EwmaETA(decor.ET_STYLE_MMSS, 30, decor.WC{W: 7}), " done"),
		),
	}
	if remove {
		opts = append(opts, mpb.BarRemoveOnComplete())
	}
	return b.p.AddBar(total, opts...)
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
		fmt.Fprintf(b.p, "pulling %s@%s: %d files, %s\n", e.Repo, commit, e.Files, Bytes(e.Total))
		b.total = b.newBar("total", max(e.Total, 1), 1<<30, false)
		b.total.SetCurrent(e.Completed)
		if e.Total == 0 {
			b.total.SetCurrent(1)
		}
		b.lastAll = now
	case hub.EventFileStart:
		fb := b.files[e.File]
		if fb == nil || fb.bar.Completed() {
			fb = &fileBar{bar: b.newBar(e.File, max(e.Total, 1), len(b.files), true)}
			b.files[e.File] = fb
		}
		fb.bar.SetCurrent(e.Completed)
		fb.last = now
	case hub.EventFileProgress, hub.EventFileVerify:
		if fb := b.files[e.File]; fb != nil {
			fb.bar.EwmaSetCurrent(e.Completed, now.Sub(fb.last))
			fb.last = now
		}
		if b.total != nil {
			b.total.EwmaSetCurrent(b.t.done(), now.Sub(b.lastAll))
			b.lastAll = now
		}
	case hub.EventFileDone:
		if fb := b.files[e.File]; fb != nil && !e.Cached {
			fb.bar.SetCurrent(max(e.Total, 1))
		}
		if b.total != nil {
			b.total.SetCurrent(b.t.done())
		}
	case hub.EventFileRetry:
		fmt.Fprintf(b.p, "%s: retrying: %v\n", e.File, e.Err)
	case hub.EventWaiting:
		fmt.Fprintf(b.p, "%s: waiting for another download of it to finish\n", e.File)
	case hub.EventDone:
		if b.total != nil {
			b.total.SetCurrent(max(e.Total, 1))
		}
	}
}

// Close implements Renderer: bars of an unfinished pull are stopped where
// they are, then the last frame is drawn.
func (b *Bars) Close() {
	for _, fb := range b.files {
		if !fb.bar.Completed() {
			fb.bar.Abort(true)
		}
	}
	if b.total != nil && !b.total.Completed() {
		b.total.Abort(false)
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
