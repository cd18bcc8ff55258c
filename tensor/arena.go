package tensor

import (
	"fmt"
	"os"
	"strings"
)

// Arena holds weights in anonymous memory backed by transparent huge
// pages. Products read weights faster from there than from a memory-mapped
// file: a file's page-cache pages are mapped 4 KiB at a time, and a model
// whose working set is gigabytes of experts spends its time in TLB misses
// (measured on the V2-Lite shape: experts read at 17 GB/s from the file
// mapping, 27 GB/s from huge pages). AdoptMapped copies one matrix at a
// time and releases the source pages it read, so the process holds one
// copy of the weights. Matrices share chunks of at least arenaChunk
// bytes, so that many small ones (a checkpoint's per-expert tensors) do
// not each round up to whole huge pages. An Arena is not safe for
// concurrent use.
type Arena struct {
	maps   [][]byte
	free   []byte // the unused tail of the newest chunk
	closed bool
	// evict drops the file pages AdoptMapped has copied from the page
	// cache too, when the file and its copy do not both fit in memory.
	evict bool
}

// arenaChunk is the smallest mapping an Arena makes; a larger matrix gets
// a mapping of its own size.
const arenaChunk = 64 << 20

// releaseStep is how much of a mapped matrix AdoptMapped copies before it
// releases the source pages.
const releaseStep = 8 << 20

// NewArena returns an empty arena.
func NewArena() *Arena { return &Arena{} }

// WeightsEnv is the environment variable NewArenaFor reads: "mapped"
// keeps weights in their file mapping, "resident" moves them into huge
// pages whatever their size; unset or "auto" decides by size.
const WeightsEnv = "SEEKD_WEIGHTS"

// NewArenaFor returns an arena for weights of the given total size when
// holding them in huge pages is worthwhile and safe, else nil (a nil
// Arena adopts nothing). By default that is on Linux when residentFits
// says the weights leave enough of the available memory free: anonymous
// memory cannot be reclaimed like page cache, so a model that barely fits
// stays mapped.
func NewArenaFor(weightBytes int64) *Arena {
	switch strings.ToLower(strings.TrimSpace(os.Getenv(WeightsEnv))) {
	case "mapped":
		return nil
	case "resident":
		return NewArena()
	}
	if avail := memAvailable(); residentFits(weightBytes, avail) && hugePagesWork() {
		return &Arena{evict: 2*weightBytes > avail}
	}
	return nil
}

// residentFits reports whether weights of the given size may move into
// anonymous memory when avail bytes are available (MemAvailable: free
// memory plus reclaimable page cache, the model file's own pages
// included). What stays free is the larger of a quarter of avail and
// 2 GiB, for the KV cache, activations and the rest of the machine. A
// DeepSeek-V2-Lite-shaped Q8_0 model (15.7 GiB) fits on a 24 GiB machine;
// llama.cpp's --no-mmap reads weights into anonymous memory likewise, but
// whatever their size.
func residentFits(weightBytes, avail int64) bool {
	if avail <= 0 || weightBytes <= 0 {
		return false
	}
	return weightBytes <= avail-max(avail/4, 2<<30)
}

// Adopt returns a matrix with m's shape, type and scales whose data is a
// copy of m's in the arena (m itself is not changed). Where the platform
// has no huge-page memory, or m is smaller than a huge page, Adopt returns
// m.
func (a *Arena) Adopt(m *Matrix) (*Matrix, error) { return a.adopt(m, false) }

// A nil *Arena adopts nothing: Adopt and AdoptMapped return m.

// AdoptMapped is Adopt for a matrix whose data lies in a read-only
// memory-mapped file: after the copy, the pages of m's data are released
// from the process (they stay in the page cache, and are read back from
// it if m is used again), so that loading a model into an arena never
// holds two copies of its weights. When the weights take more than half
// of the available memory (NewArenaFor), the copied pages leave the page
// cache as well: the file's pages would be evicted anyway to make room
// for the copy, and evicting them under memory pressure is what made
// the kernel back part of the arena with 4 KiB pages (the V2-Lite FP8
// checkpoint, read into the page cache just before, then got 12-13 of
// its 15 GB in huge pages and decoded at 4-8 tokens/s instead of 9-10). m's data must not be anonymous or heap
// memory, whose released pages would read as zeros.
func (a *Arena) AdoptMapped(m *Matrix) (*Matrix, error) { return a.adopt(m, true) }

func (a *Arena) adopt(m *Matrix, mapped bool) (*Matrix, error) {
	if a == nil {
		return m, nil
	}
	if a.closed {
		return nil, fmt.Errorf("tensor: adopting %s into a closed arena", m.Name)
	}
	if len(m.Data) < hugePageSize {
		return m, nil // not worth a mapping of its own
	}
	n := len(m.Data)
	need := (n + 63) &^ 63 // each matrix starts on a cache line
	if len(a.free) < need {
		buf, err := hugeAlloc(max(need, arenaChunk))
		if err != nil {
			return nil, fmt.Errorf("tensor: adopting %s (%d bytes): %w", m.Name, n, err)
		}
		if buf == nil {
			return m, nil
		}
		a.maps = append(a.maps, buf)
		a.free = buf
	}
	buf := a.free[:n:n]
	a.free = a.free[need:]
	if !mapped {
		copy(buf, m.Data)
	} else {
		// Slice by slice, so that a matrix of hundreds of megabytes (a GGUF
		// layer's stacked experts) never has all its file pages mapped at
		// once beside its copy; then once whole, for the pages that
		// straddle two slices.
		for off := 0; off < n; off += releaseStep {
			end := min(n, off+releaseStep)
			copy(buf[off:end], m.Data[off:end])
			release(m.Data[off:end], a.evict)
		}
		release(m.Data, a.evict)
	}
	c := *m
	c.Data = buf
	return &c, nil
}

// Bytes returns the memory the arena holds.
func (a *Arena) Bytes() int64 {
	if a == nil {
		return 0
	}
	var n int64
	for _, b := range a.maps {
		n += int64(len(b))
	}
	return n
}

// Close frees the arena's memory; matrices adopted into it must not be
// used afterwards.
func (a *Arena) Close() error {
	if a == nil || a.closed {
		return nil
	}
	a.closed = true
	a.free = nil
	var first error
	for _, b := range a.maps {
		if err := hugeFree(b); err != nil && first == nil {
			first = fmt.Errorf("tensor: freeing arena memory: %w", err)
		}
	}
	a.maps = nil
	return first
}

// ReleaseMapped drops the pages wholly inside b from the process; they stay
// in the page cache and are mapped again when read. b must lie in a
// read-only file mapping: released anonymous memory reads as zeros.
func ReleaseMapped(b []byte) { release(b, false) }

// OffHeap returns n bytes of zeroed anonymous memory outside the Go heap
// (rounded up to whole huge pages and backed by them where the kernel
// allows), or nil where the platform has none; the caller then allocates
// on the heap. Long-lived, reused buffers belong there: the garbage
// collector lets garbage grow in proportion to the live heap, so a
// 100 MB buffer on the heap lets about as much garbage pile up beside it,
// and memory freed by the collector goes back to the system only
// gradually. Release it with FreeOffHeap.
func OffHeap(n int) ([]byte, error) { return hugeAlloc(n) }

// FreeOffHeap returns memory from OffHeap to the system; b must not be
// used afterwards.
func FreeOffHeap(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	return hugeFree(b)
}
