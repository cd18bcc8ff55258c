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
// [layer][position][width].
type Block struct {
	Data []float32
}

// Pool hands out blocks up to a budget.
type Pool struct {
	layout      Layout
	blockTokens int
	maxBlocks   int

	mu    sync.Mutex
	free  []*Block
	inUse int
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

// Get returns a block, or ErrFull when the budget is spent.
func (p *Pool) Get() (*Block, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inUse >= p.maxBlocks {
		return nil, ErrFull
	}
	p.inUse++
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free = p.free[:n-1]
		return b, nil
	}
	return &Block{Data: make([]float32, p.layout.Layers*p.layout.Width*p.blockTokens)}, nil
}

// Put returns a block to the pool.
func (p *Pool) Put(b *Block) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inUse--
	p.free = append(p.free, b)
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

// Release returns every block to the pool.
func (s *Seq) Release() {
	for _, b := range s.blocks {
		s.pool.Put(b)
	}
	s.blocks = nil
}
