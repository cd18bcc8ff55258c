package tensor

import (
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seekd/seekd/tensor/internal/x86"
)

// DefaultSpin is how long an idle worker keeps polling for the next loop
// before it parks. Waking a parked goroutine costs 20-40 µs on the machines
// seekd targets, more than many decode products take, so workers poll
// through the short gaps inside a forward pass and park between passes.
const DefaultSpin = 2 * time.Millisecond

// Pool runs data-parallel loops on a fixed set of worker goroutines and
// holds the kernels (SIMD or portable) and scratch memory the matrix
// products use. Loops from different goroutines are serialized; a loop body
// must not start another loop on the same pool (it would run serially).
type Pool struct {
	threads int
	kern    *kernels
	act     Activations
	spin    time.Duration

	mu      sync.Mutex // held for the duration of one dispatch
	cur     atomic.Pointer[job]
	closed  atomic.Bool
	workers []*worker
	scratch []*scratch  // per participant: 0 is the calling goroutine
	q8      []x86.Q8Row // quantized activations of one MatMulBatch
	panelX  []byte      // and their VNNI panels
	panelS  []float32
}

// worker is one parked-or-spinning goroutine of a Pool.
type worker struct {
	id     int
	wake   chan struct{}
	parked atomic.Bool
}

// job is one parallel loop: chunks [0, nchunks) of an index space, claimed
// dynamically so that a slow or descheduled participant delays nobody.
type job struct {
	fn      func(part, lo, hi int)
	n       int
	chunk   int
	nchunks int64
	next    atomic.Int64
	pending atomic.Int64
	done    chan struct{} // closed when pending reaches 0
}

// PoolOption configures NewPool.
type PoolOption func(*poolConfig)

type poolConfig struct {
	kernels    KernelSet
	kernelsSet bool
	act        Activations
	actSet     bool
	spin       time.Duration
}

// WithKernels selects the kernel implementation instead of the
// SEEKD_KERNELS environment variable (see KernelSet).
func WithKernels(k KernelSet) PoolOption {
	return func(c *poolConfig) { c.kernels, c.kernelsSet = k, true }
}

// WithActivations selects how GGUF-quantized weights meet activations
// instead of the SEEKD_ACTIVATIONS environment variable.
func WithActivations(a Activations) PoolOption {
	return func(c *poolConfig) { c.act, c.actSet = a, true }
}

// WithSpin sets how long idle workers poll before parking (default
// DefaultSpin; 0 parks at once, for pools that are rarely used).
func WithSpin(d time.Duration) PoolOption {
	return func(c *poolConfig) { c.spin = max(d, 0) }
}

// KernelsEnv is the environment variable NewPool reads when no WithKernels
// option is given: "auto" (default), "avx512", "avx2" or "portable".
const KernelsEnv = "SEEKD_KERNELS"

// ActivationsEnv is the environment variable NewPool reads when no
// WithActivations option is given: "exact" (default) or "q8".
const ActivationsEnv = "SEEKD_ACTIVATIONS"

// NewPool returns a pool of n threads (n <= 0 means one per CPU, or
// GOMAXPROCS if that is lower): the calling goroutine and n-1 workers.
// Close it when done: its workers live until then.
func NewPool(n int, opts ...PoolOption) *Pool {
	cfg := poolConfig{spin: DefaultSpin}
	for _, o := range opts {
		o(&cfg)
	}
	if !cfg.kernelsSet {
		k, err := ParseKernelSet(os.Getenv(KernelsEnv))
		if err != nil {
			slog.Warn("tensor: ignoring "+KernelsEnv, "err", err)
		}
		cfg.kernels = k
	}
	if !cfg.actSet {
		a, err := ParseActivations(os.Getenv(ActivationsEnv))
		if err != nil {
			slog.Warn("tensor: ignoring "+ActivationsEnv, "err", err)
		}
		cfg.act = a
	}
	kern, ok := kernelsFor(cfg.kernels)
	if !ok {
		slog.Warn("tensor: kernels not available on this CPU or build, using the best available", "kernels", cfg.kernels.String(), "using", kern.set.String())
	}
	if n <= 0 {
		n = min(runtime.NumCPU(), runtime.GOMAXPROCS(0))
	}
	p := &Pool{threads: n, kern: kern, act: cfg.act, spin: cfg.spin}
	p.scratch = make([]*scratch, n)
	for i := range p.scratch {
		p.scratch[i] = new(scratch)
	}
	for i := 1; i < n; i++ {
		w := &worker{id: i, wake: make(chan struct{}, 1)}
		p.workers = append(p.workers, w)
		go p.work(w)
	}
	return p
}

// Threads returns the number of threads the pool runs loops on.
func (p *Pool) Threads() int {
	if p == nil {
		return 1
	}
	return p.threads
}

// Kernels returns the kernel implementation the pool runs.
func (p *Pool) Kernels() KernelSet { return p.kernels().set }

// Activations returns how the pool multiplies quantized weights.
func (p *Pool) Activations() Activations {
	if p == nil {
		return ExactActivations
	}
	return p.act
}

func (p *Pool) kernels() *kernels {
	if p == nil {
		return defaultKernels
	}
	return p.kern
}

// Close stops the workers. Loops run afterwards run on the caller alone.
func (p *Pool) Close() {
	if p == nil || p.closed.Swap(true) {
		return
	}
	for _, w := range p.workers {
		if w.parked.CompareAndSwap(true, false) {
			w.wake <- struct{}{}
		}
	}
}

// For splits [0, n) into contiguous chunks of at least grain items and runs
// fn on them in parallel, the calling goroutine included.
func (p *Pool) For(n, grain int, fn func(lo, hi int)) {
	p.run(n, grain, func(_, lo, hi int) { fn(lo, hi) })
}

// run is For with the participant index (0 for the caller, which owns
// scratch[0]; -1 when the loop runs serially outside the pool's scratch).
func (p *Pool) run(n, grain int, fn func(part, lo, hi int)) {
	if n <= 0 {
		return
	}
	if p == nil || !p.mu.TryLock() {
		// No pool, or a loop inside a loop: run serially without scratch
		// that another participant may be using.
		fn(-1, 0, n)
		return
	}
	defer p.mu.Unlock()
	// About four chunks per thread balance the load when other processes
	// share the cores, at one atomic claim per chunk.
	p.dispatch(n, max(grain, (n+4*p.threads-1)/(4*p.threads)), fn)
}

// dispatch runs a loop on the pool in chunks of chunk items, claimed one
// by one; p.mu is held.
func (p *Pool) dispatch(n, chunk int, fn func(part, lo, hi int)) {
	chunk = max(chunk, 1)
	if p.threads <= 1 || n <= chunk || p.closed.Load() {
		fn(0, 0, n)
		return
	}
	j := &job{fn: fn, n: n, chunk: chunk, nchunks: int64((n + chunk - 1) / chunk), done: make(chan struct{})}
	j.pending.Store(j.nchunks)
	p.cur.Store(j)
	for _, w := range p.workers {
		if w.parked.Load() && w.parked.CompareAndSwap(true, false) {
			w.wake <- struct{}{}
		}
	}
	j.runChunks(0)
	// Wait for the chunks other threads took: poll briefly, then block, so
	// that a worker the OS has descheduled (other processes on the cores)
	// can run on this thread's core.
	deadline := time.Now().Add(waitSpin)
	for spins := 0; j.pending.Load() != 0; spins++ {
		if spins&63 == 63 {
			if time.Now().After(deadline) {
				<-j.done
				return
			}
			osYield()
		}
	}
}

// waitSpin is how long a dispatching goroutine polls for the other
// threads' chunks before it blocks.
const waitSpin = 50 * time.Microsecond

// runChunks claims and runs chunks until none are left.
func (j *job) runChunks(part int) {
	for {
		c := j.next.Add(1) - 1
		if c >= j.nchunks {
			return
		}
		lo := int(c) * j.chunk
		j.fn(part, lo, min(lo+j.chunk, j.n))
		if j.pending.Add(-1) == 0 {
			close(j.done)
		}
	}
}

// work is a worker's loop: poll for jobs for p.spin after the last one,
// then park until a dispatch wakes it.
func (p *Pool) work(w *worker) {
	var last *job
	for {
		deadline := time.Now().Add(p.spin)
		for spins := 0; ; spins++ {
			if p.closed.Load() {
				return
			}
			if j := p.cur.Load(); j != last {
				last = j
				j.runChunks(w.id)
				deadline = time.Now().Add(p.spin)
				continue
			}
			if spins&255 == 255 {
				if time.Now().After(deadline) {
					break
				}
				osYield()
			}
		}
		w.parked.Store(true)
		if j := p.cur.Load(); j != last || p.closed.Load() {
			// A job arrived while parking: take it unless a dispatcher
			// already claimed the wake-up, whose token must be consumed.
			if !w.parked.CompareAndSwap(true, false) {
				<-w.wake
			}
			continue
		}
		<-w.wake
	}
}
