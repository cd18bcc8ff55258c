package tensor

import (
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestPoolForCoversRange(t *testing.T) {
	for _, threads := range []int{1, 2, 5} {
		p := NewPool(threads)
		for _, tc := range []struct{ n, grain int }{{0, 1}, {1, 1}, {7, 1}, {100, 3}, {1000, 1}, {1000, 2000}} {
			seen := make([]atomic.Int32, tc.n)
			p.For(tc.n, tc.grain, func(lo, hi int) {
				if hi-lo < min(tc.grain, tc.n) && hi != tc.n {
					t.Errorf("chunk [%d,%d) smaller than grain %d", lo, hi, tc.grain)
				}
				for i := lo; i < hi; i++ {
					seen[i].Add(1)
				}
			})
			for i := range seen {
				if seen[i].Load() != 1 {
					t.Fatalf("%d threads, n=%d: index %d run %d times", threads, tc.n, i, seen[i].Load())
				}
			}
		}
		p.Close()
		p.Close() // idempotent
	}
}

func TestPoolConcurrentAndNested(t *testing.T) {
	p := NewPool(3)
	defer p.Close()
	var wg sync.WaitGroup
	var total atomic.Int64
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := 0; it < 50; it++ {
				p.For(64, 1, func(lo, hi int) {
					// A loop inside a loop runs serially instead of deadlocking.
					p.For(hi-lo, 1, func(a, b int) { total.Add(int64(b - a)) })
				})
			}
		}()
	}
	wg.Wait()
	if got := total.Load(); got != 4*50*64 {
		t.Fatalf("ran %d iterations, want %d", got, 4*50*64)
	}
}

func TestPoolWorkersParticipate(t *testing.T) {
	p := NewPool(2)
	defer p.Close()
	var onWorker atomic.Int32
	for it := 0; it < 200 && onWorker.Load() == 0; it++ {
		p.run(64, 1, func(part, lo, hi int) {
			if part > 0 {
				onWorker.Add(1)
			}
			time.Sleep(10 * time.Microsecond)
		})
	}
	if onWorker.Load() == 0 {
		t.Fatal("no chunk ran on a worker in 200 loops")
	}
}

func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Skip("getrusage:", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// A pool that is not running loops parks its workers: it costs no CPU.
func TestPoolIdleUsesNoCPU(t *testing.T) {
	p := NewPool(4, WithSpin(time.Millisecond))
	defer p.Close()
	for it := 0; it < 20; it++ {
		p.For(1000, 1, func(lo, hi int) {})
	}
	time.Sleep(50 * time.Millisecond) // past the spin time
	before := cpuTime(t)
	time.Sleep(300 * time.Millisecond)
	if used := cpuTime(t) - before; used > 30*time.Millisecond {
		t.Fatalf("an idle pool used %v of CPU in 300ms", used)
	}
	// And it still works after parking.
	var n atomic.Int32
	p.For(100, 1, func(lo, hi int) { n.Add(int32(hi - lo)) })
	if n.Load() != 100 {
		t.Fatalf("ran %d of 100 after parking", n.Load())
	}
}

func TestParseKernelSet(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want KernelSet
		ok   bool
	}{{"", KernelsAuto, true}, {"auto", KernelsAuto, true}, {"Portable", KernelsPortable, true}, {"avx2", KernelsAVX2, true}, {" avx512 ", KernelsAVX512, true}, {"sse", KernelsAuto, false}} {
		got, err := ParseKernelSet(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseKernelSet(%q) = %v, %v", tc.in, got, err)
		}
	}
	sets := AvailableKernelSets()
	if len(sets) == 0 || sets[0] != KernelsPortable {
		t.Fatalf("available sets %v do not start with portable", sets)
	}
	p := NewPool(1, WithKernels(KernelsPortable), WithActivations(Q8Activations))
	defer p.Close()
	if p.Kernels() != KernelsPortable || p.Activations() != Q8Activations {
		t.Fatalf("pool runs %v with %v activations, want portable and q8", p.Kernels(), p.Activations())
	}
	for _, tc := range []struct {
		in   string
		want Activations
		ok   bool
	}{{"", ExactActivations, true}, {"Exact", ExactActivations, true}, {"q8", Q8Activations, true}, {"q4", ExactActivations, false}} {
		got, err := ParseActivations(tc.in)
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("ParseActivations(%q) = %v, %v", tc.in, got, err)
		}
	}
}
