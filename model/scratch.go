package model

import (
	"sync/atomic"
	"unsafe"

	"github.com/seekd/seekd/tensor"
)

// scratch hands out the float32 buffers of one stage of a forward step
// (a layer's attention, its feed-forward) from memory that is reused stage
// after stage and step after step, as llama.cpp sizes one compute buffer
// for its graph. Left to the garbage collector, a 512-token prefill of the
// V2-Lite shape dropped about 175 MB per layer and the heap peaked near
// twice that: on a model whose weights fill the machine, that decides
// whether seekd fits beside them.
//
// The memory lies outside the Go heap (tensor.OffHeap) in chunks. When a
// stage asks for more than the chunks hold, a new chunk is added; reset
// then replaces them with one chunk of the stage's total, freed at once,
// so after one step every stage fits in a single chunk. floats returns
// zeroed slices, like make. A scratch is not safe for concurrent use: one
// forward step owns it, and the workers of a parallel product never
// allocate from it. A nil *scratch allocates from the heap.
type scratch struct {
	chunks []chunk // the last is being filled
	off    int     // elements used in the last chunk
	used   int     // elements asked for since the last reset
}

// chunk is a scratch's memory: f views mem when it is off-heap.
type chunk struct {
	f   []float32
	mem []byte // nil for heap memory
}

// minChunk is the smallest chunk, in elements (4 MiB).
const minChunk = 1 << 20

func newChunk(n int) chunk {
	mem, err := tensor.OffHeap(n * 4)
	if err != nil || mem == nil {
		return chunk{f: make([]float32, n)}
	}
	return chunk{f: unsafe.Slice((*float32)(unsafe.Pointer(&mem[0])), len(mem)/4), mem: mem}
}

func (c chunk) free() {
	if c.mem != nil {
		_ = tensor.FreeOffHeap(c.mem) // munmap of our own mapping: fails only on a bad pointer
	}
}

// floats returns a zeroed slice of n elements that stays valid until the
// next reset.
func (s *scratch) floats(n int) []float32 {
	if s == nil {
		return make([]float32, n)
	}
	s.used += n
	if len(s.chunks) == 0 || s.off+n > len(s.chunks[len(s.chunks)-1].f) {
		s.chunks = append(s.chunks, newChunk(max(n, minChunk)))
		s.off = 0
	}
	b := s.chunks[len(s.chunks)-1].f[s.off : s.off+n : s.off+n]
	s.off += n
	clear(b)
	return b
}

// reset frees every slice handed out since the last reset; none of them may
// be used afterwards.
func (s *scratch) reset() {
	if len(s.chunks) > 1 {
		for _, c := range s.chunks {
			c.free()
		}
		s.chunks = append(s.chunks[:0], newChunk(max(s.used, minChunk)))
	}
	s.off, s.used = 0, 0
}

// free returns the scratch's memory; the scratch stays usable.
func (s *scratch) free() {
	for _, c := range s.chunks {
		c.free()
	}
	s.chunks, s.off, s.used = nil, 0, 0
}

// scratchCache keeps one scratch between steps: a step takes it (or a new
// one when another step holds it) and gives it back when done.
type scratchCache struct{ p atomic.Pointer[scratch] }

func (c *scratchCache) get() *scratch {
	if s := c.p.Swap(nil); s != nil {
		return s
	}
	return new(scratch)
}

// put keeps s for the next step, or frees it when another is kept.
func (c *scratchCache) put(s *scratch) {
	s.reset()
	if !c.p.CompareAndSwap(nil, s) {
		s.free()
	}
}

// close frees the kept scratch (a model's Close).
func (c *scratchCache) close() {
	if s := c.p.Swap(nil); s != nil {
		s.free()
	}
}
