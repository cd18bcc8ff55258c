package model

import (
	"github.com/seekd/seekd/tensor"
)

// Attention over a sequence's cache, shared by MLA and GQA. Queries are rows
// of a matrix; keys and values are windows of the cache rows (for MLA the
// whole 576-value latent row is the key and its first 512 values the
// value; for GQA a KV head's slice). Scores come from matrix products
// against the cache one block of positions at a time, so the kernels' tiles
// do the work and each block is read once for all query rows.

// blockedKV is a KV cache stored in blocks of consecutive positions, each
// layer's rows contiguous inside a block (kvcache.Seq).
type blockedKV interface {
	BlockTokens() int
	LayerBlock(layer, b int) []float32
}

// attnBlock is the number of positions whose keys are multiplied at once
// when the cache is not blocked.
const attnBlock = 64

// maxScores bounds the scores buffer (query rows × positions).
const maxScores = 4 << 20

// window is where keys or values sit in a cache row.
type window struct{ off, width int }

// attendRows computes, for query rows q ({n, kw.width}) whose row i sits at
// position pos[i] (attending to positions 0..pos[i]), out[i] = Σ_s
// softmax_s(scale·q_i·k_s)·v_s ({n, vw.width}), reading keys and values of
// layer l from kv. Its buffers come from ws (nil: the heap).
func attendRows(pool *tensor.Pool, kv KV, l int, q []float32, n int, pos []int, kw, vw window, scale float32, out []float32, ws *scratch) {
	if n == 0 {
		return
	}
	S := 0
	for _, p := range pos[:n] {
		S = max(S, p+1)
	}
	// Query rows in chunks that keep the scores buffer bounded.
	chunk := max(1, min(n, maxScores/S))
	scores := ws.floats(chunk * S)
	for r0 := 0; r0 < n; r0 += chunk {
		r1 := min(n, r0+chunk)
		attendChunk(pool, kv, l, q[r0*kw.width:r1*kw.width], r1-r0, pos[r0:r1], S, kw, vw, scale, out[r0*vw.width:r1*vw.width], scores, ws)
	}
}

func attendChunk(pool *tensor.Pool, kv KV, l int, q []float32, n int, pos []int, S int, kw, vw window, scale float32, out, scores []float32, ws *scratch) {
	bt := attnBlock
	bkv, blocked := kv.(blockedKV)
	if blocked {
		bt = bkv.BlockTokens()
	}
	width := len(kv.Row(l, 0))
	// inPlace returns the cache rows of positions [s0, s1), width values
	// apart, read in place: s1 ends s0's cache block (at most at hi), or is
	// s0+1 when the cache is not blocked.
	inPlace := func(s0, hi int) (int, []float32) {
		if blocked {
			return min(hi, (s0/bt+1)*bt), bkv.LayerBlock(l, s0/bt)[(s0%bt)*width:]
		}
		return s0 + 1, kv.Row(l, s0)
	}
	// block returns positions [s0, s1) as a {s1-s0, w.width} slice: a view of
	// the cache when the window is the whole row, else a copy into buf.
	block := func(s0, s1 int, w window, buf []float32) []float32 {
		if blocked && w.off == 0 && w.width == width && s0%bt == 0 {
			return bkv.LayerBlock(l, s0/bt)[:(s1-s0)*width]
		}
		buf = buf[:(s1-s0)*w.width]
		for s := s0; s < s1; s++ {
			copy(buf[(s-s0)*w.width:(s-s0+1)*w.width], kv.Row(l, s)[w.off:w.off+w.width])
		}
		return buf
	}

	if n <= smallAttend {
		// A few query rows (decode steps): the keys of a cache block, read
		// in place, meet each query row in dot products while they are in
		// cache; the threads share the positions.
		pool.For(S, 16, func(lo, hi int) {
			for s0 := lo; s0 < hi; {
				s1, rows := inPlace(s0, hi)
				for i := 0; i < n; i++ {
					if end := min(s1, pos[i]+1); end > s0 {
						tensor.DotRows(scores[i*S+s0:i*S+end], q[i*kw.width:(i+1)*kw.width], rows[kw.off:], width)
					}
				}
				s0 = s1
			}
		})
	} else {
		// Scores: one product per block of positions, for every query row.
		tmp := ws.floats(n * bt)
		kbuf := ws.floats(bt * kw.width)
		for s0 := 0; s0 < S; s0 += bt {
			s1 := min(S, s0+bt)
			k := block(s0, s1, kw, kbuf)
			pool.MatMul(tmp, f32Matrix("keys", s1-s0, kw.width, k), q, n)
			for i := 0; i < n; i++ {
				copy(scores[i*S+s0:i*S+s1], tmp[i*(s1-s0):(i+1)*(s1-s0)])
			}
		}
	}
	// Causal softmax per row.
	pool.For(n, 8, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row := scores[i*S : i*S+pos[i]+1]
			tensor.Scale(row, scale)
			tensor.Softmax(row)
		}
	})
	// Values: read in place block by block (so a block stays in cache for
	// every row), each thread owning a range of rows.
	pool.For(n, 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			clear(out[i*vw.width : (i+1)*vw.width])
		}
		for s0 := 0; s0 < S; {
			s1, rows := inPlace(s0, S)
			for i := lo; i < hi; i++ {
				if end := min(s1, pos[i]+1); end > s0 {
					tensor.AxpyRows(out[i*vw.width:(i+1)*vw.width], scores[i*S+s0:i*S+end], rows[vw.off:], width)
				}
			}
			s0 = s1
		}
	})
}

// attendJob is one attendRows call: query rows q ({n, kw.width}) of one
// sequence at positions pos against its cache kv, into out ({n, vw.width}).
type attendJob struct {
	kv     KV
	q      []float32
	n      int
	pos    []int
	kw, vw window
	out    []float32
}

// attendAll runs layer l's attention jobs. A batch of decode steps has
// many small jobs (one query row per head): they run side by side, one
// thread per job, which costs one dispatch per layer instead of several
// per job. Larger jobs (prefill) run one after another, each spread over
// the pool, their buffers from ws. Either way every output gets the same
// bits.
func attendAll(pool *tensor.Pool, l int, jobs []attendJob, scale float32, ws *scratch) {
	small := len(jobs) >= 2
	for _, j := range jobs {
		small = small && j.n <= smallAttend
	}
	if !small {
		for _, j := range jobs {
			attendRows(pool, j.kv, l, j.q, j.n, j.pos, j.kw, j.vw, scale, j.out, ws)
		}
		return
	}
	pool.For(len(jobs), 1, func(lo, hi int) {
		for _, j := range jobs[lo:hi] {
			attendRows(nil, j.kv, l, j.q, j.n, j.pos, j.kw, j.vw, scale, j.out, nil) // small: heap buffers
		}
	})
}

// smallAttend is the most query rows of a job that attendAll runs on one
// thread when there are several jobs.
const smallAttend = 64
