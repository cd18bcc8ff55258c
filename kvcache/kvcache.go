// Package kvcache stores sequences' key/value caches in fixed-size blocks
// drawn from a pool with a memory budget. A block holds BlockTokens
// consecutive positions of every layer, so a prefix of whole blocks can be
// shared between sequences, written to disk and read back as a unit.
package kvcache

import (
	"errors"
	"fmt"
	"sync"
)

// ErrFull is returned when the pool's budget cannot supply more blocks.
var ErrFull = errors.New("kvcache: out of cache blocks")

// Layout is the shape of a model's cache: Width float32 values per token and
// layer (576 for DeepSeek-V3's latent cache).
type Layout struct {
	Layers int
	Width  int
}

// Block is BlockTokens positions × Layers × Width values, laid out
// [layer][position][width]. A block is shared by reference count: by the
// sequences whose cache holds it and by the prefix cache. A full block held
// by the prefix cache is never written again.
type Block struct {
	Data []float32
	refs int
	node *node // the prefix-cache entry holding the block, if any
}

// Pool hands out blocks up to a budget. Blocks that only the prefix cache
// holds count against the budget too, and are evicted (least recently used
// first) when a sequence needs room.
type Pool struct {
	layout      Layout
	blockTokens int
	maxBlocks   int

	mu     sync.Mutex
	free   []*Block
	inUse  int
	prefix *prefixTree // nil without a prefix cache
}

// NewPool returns a pool of blocks of blockTokens positions, holding at most
// budgetBytes of cache (at least one block).
func NewPool(l Layout, blockTokens int, budgetBytes int64) (*Pool, error) {
	if l.Layers <= 0 || l.Width <= 0 || blockTokens <= 0 {
		return nil, fmt.Errorf("kvcache: bad layout %+v with %d tokens per block", l, blockTokens)
	}
	bb := int64(l.Layers) * int64(l.Width) * int64(blockTokens) * 4
	n := int(budgetBytes / bb)
	if n < 1 {
		n = 1
	}
	return &Pool{layout: l, blockTokens: blockTokens, maxBlocks: n}, nil
}

// Layout returns the pool's cache layout.
func (p *Pool) Layout() Layout { return p.layout }

// BlockTokens returns the number of positions per block.
func (p *Pool) BlockTokens() int { return p.blockTokens }

// BlockBytes returns the size of one block in bytes.
func (p *Pool) BlockBytes() int64 {
	return int64(p.layout.Layers) * int64(p.layout.Width) * int64(p.blockTokens) * 4
}

// Capacity returns the most blocks the pool hands out at once.
func (p *Pool) Capacity() int { return p.maxBlocks }

// InUse returns the number of blocks handed out.
func (p *Pool) InUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inUse
}

// Get returns a block with one reference, or ErrFull when the budget is
// spent and the prefix cache has nothing left to evict.
func (p *Pool) Get() (*Block, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.getLocked()
}

func (p *Pool) getLocked() (*Block, error) {
	for p.inUse >= p.maxBlocks {
		if p.prefix == nil || !p.prefix.evictLocked() {
			return nil, ErrFull
		}
	}
	p.inUse++
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free = p.free[:n-1]
		b.refs = 1
		return b, nil
	}
	return &Block{Data: make([]float32, p.layout.Layers*p.layout.Width*p.blockTokens), refs: 1}, nil
}

// ref adds a reference to b.
func (p *Pool) refLocked(b *Block) { b.refs++ }

// unrefLocked drops a reference; the last one returns b to the free list.
func (p *Pool) unrefLocked(b *Block) {
	b.refs--
	if b.refs > 0 {
		return
	}
	if b.refs < 0 {
		panic("kvcache: block released twice")
	}
	b.node = nil
	p.inUse--
	p.free = append(p.free, b)
}

// Put drops a reference to a block.
func (p *Pool) Put(b *Block) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.unrefLocked(b)
}

// Seq is one sequence's cache: a table of blocks covering positions
// [0, Cap()).
type Seq struct {
	pool   *Pool
	blocks []*Block
}

// NewSeq returns an empty sequence cache drawing from p.
func (p *Pool) NewSeq() *Seq { return &Seq{pool: p} }

// Cap returns the number of positions the sequence can hold without growing.
func (s *Seq) Cap() int { return len(s.blocks) * s.pool.blockTokens }

// Reserve grows the sequence to hold at least n positions.
func (s *Seq) Reserve(n int) error {
	for s.Cap() < n {
		b, err := s.pool.Get()
		if err != nil {
			return err
		}
		s.blocks = append(s.blocks, b)
	}
	return nil
}

// Row returns the cache row of layer l at position pos (Width values).
func (s *Seq) Row(l, pos int) []float32 {
	bt := s.pool.blockTokens
	w := s.pool.layout.Width
	b := s.blocks[pos/bt]
	off := (l*bt + pos%bt) * w
	return b.Data[off : off+w : off+w]
}

// BlockTokens returns the number of positions per block.
func (s *Seq) BlockTokens() int { return s.pool.blockTokens }

// LayerBlock returns layer l's rows of block b: BlockTokens rows of Width
// values, contiguous.
func (s *Seq) LayerBlock(l, b int) []float32 {
	n := s.pool.blockTokens * s.pool.layout.Width
	return s.blocks[b].Data[l*n : (l+1)*n : (l+1)*n]
}

// Release drops the sequence's references to its blocks.
func (s *Seq) Release() {
	s.pool.mu.Lock()
	defer s.pool.mu.Unlock()
	for _, b := range s.blocks {
		s.pool.unrefLocked(b)
	}
	s.blocks = nil
}
