package tensor

import (
	"runtime"
	"sync"
)

// Pool runs data-parallel loops on a fixed set of worker goroutines. A Pool
// is safe for use by one forward pass at a time; make one per engine.
type Pool struct {
	n    int
	work chan poolTask
	once sync.Once
}

type poolTask struct {
	fn     func(lo, hi int)
	lo, hi int
	wg     *sync.WaitGroup
}

// NewPool returns a pool of n workers (n <= 0 means one per CPU).
func NewPool(n int) *Pool {
	if n <= 0 {
		n = runtime.NumCPU()
	}
	p := &Pool{n: n, work: make(chan poolTask, n)}
	for i := 1; i < n; i++ {
		go p.worker()
	}
	return p
}

// Threads returns the number of threads the pool runs loops on.
func (p *Pool) Threads() int { return p.n }

func (p *Pool) worker() {
	for t := range p.work {
		t.fn(t.lo, t.hi)
		t.wg.Done()
	}
}

// Close stops the workers. The pool must not be used afterwards.
func (p *Pool) Close() { p.once.Do(func() { close(p.work) }) }

// For splits [0, n) into contiguous chunks of at least grain items and runs
// fn on them in parallel, the caller's goroutine taking the first chunk.
func (p *Pool) For(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	if p == nil || p.n <= 1 || n <= grain {
		fn(0, n)
		return
	}
	parts := p.n
	if maxParts := (n + grain - 1) / grain; parts > maxParts {
		parts = maxParts
	}
	var wg sync.WaitGroup
	wg.Add(parts - 1)
	chunk := (n + parts - 1) / parts
	for i := 1; i < parts; i++ {
		lo, hi := i*chunk, min((i+1)*chunk, n)
		if lo >= hi {
			wg.Done()
			continue
		}
		p.work <- poolTask{fn: fn, lo: lo, hi: hi, wg: &wg}
	}
	fn(0, min(chunk, n))
	wg.Wait()
}
