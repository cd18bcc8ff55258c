package tensor

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Benchmarks of the products at the shapes of the models seekd runs
// (qwen2-1.5B's MLP 1536x8960 and 8960x1536, DeepSeek-V2-Lite's experts
// 1408x2048 and 2048x1408, V3's 7168-row projections), for one activation
// row (decode) and batches of 8 and 64 (several sequences, prefill), on
// every kernel set, with float32 and (-q8) 8-bit activations. MB/s is
// weight bytes read per second: the weights
// rotate through enough copies (≥ 128 MiB) that they come from memory,
// as in a real forward pass, not from cache.
//
//	GOEXPERIMENT=simd go test -run NONE -bench 'MatMul/Q4_0' ./tensor

var benchShapes = [][2]int{{1536, 8960}, {8960, 1536}, {1408, 2048}, {2048, 1408}, {7168, 2048}}

func BenchmarkMatMul(b *testing.B) {
	for _, dt := range weightTypes {
		b.Run(dt.String(), func(b *testing.B) {
			for _, sh := range benchShapes {
				b.Run(fmt.Sprintf("%dx%d", sh[0], sh[1]), func(b *testing.B) {
					benchMatMul(b, dt, sh[0], sh[1])
				})
			}
		})
	}
}

func benchMatMul(b *testing.B, dt DType, rows, cols int) {
	if cols%dt.BlockSize() != 0 {
		b.Skipf("%d columns are not whole %v blocks", cols, dt)
	}
	rng := rand.New(rand.NewPCG(1, uint64(dt)))
	m := randomMatrix(b, rng, dt, rows, cols)
	size := len(m.Data)
	ws := []*Matrix{m}
	for total := size; total < 128<<20; total += size {
		c := *m
		c.Data = append([]byte(nil), m.Data...)
		ws = append(ws, &c)
	}
	for _, n := range []int{1, 8, 64} {
		x := randomVec(rng, n*cols)
		y := make([]float32, n*rows)
		for _, k := range builtKernels {
			acts := []Activations{ExactActivations}
			if k.matVecQ8[dt] != nil || k.packQ8Tile[dt] != nil {
				acts = append(acts, Q8Activations)
			}
			for _, act := range acts {
				name := fmt.Sprintf("n=%d/%v", n, k.set)
				if act == Q8Activations {
					name += "-q8"
				}
				b.Run(name, func(b *testing.B) {
					pool := NewPool(0, WithKernels(k.set), WithActivations(act))
					defer pool.Close()
					b.SetBytes(int64(size))
					i := 0
					for b.Loop() {
						pool.MatMul(y, ws[i%len(ws)], x, n)
						i++
					}
					b.ReportMetric(2*float64(rows*cols*n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// BenchmarkMatMulMulti is a decode step's fused gate and up projections.
func BenchmarkMatMulMulti(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	gate, up := randomMatrix(b, rng, Q4_0, 8960, 1536), randomMatrix(b, rng, Q4_0, 8960, 1536)
	x := randomVec(rng, 1536)
	ys := [][]float32{make([]float32, 8960), make([]float32, 8960)}
	for _, k := range builtKernels {
		b.Run(k.set.String(), func(b *testing.B) {
			pool := NewPool(0, WithKernels(k.set))
			defer pool.Close()
			b.SetBytes(int64(len(gate.Data) + len(up.Data)))
			for b.Loop() {
				pool.MatMulMulti(ys, []*Matrix{gate, up}, x, 1)
			}
		})
	}
}

func BenchmarkOps(b *testing.B) {
	const n = 8192
	rng := rand.New(rand.NewPCG(5, 6))
	x, y, w := randomVec(rng, n), randomVec(rng, n), randomVec(rng, n)
	dst := make([]float32, n)
	for _, k := range builtKernels {
		ops := []struct {
			name string
			f    func()
		}{
			{"Dot", func() { k.dot(x, y) }},
			{"Axpy", func() { k.axpy(dst, 0.5, x) }},
			{"RMSNorm", func() { k.rmsNorm(dst, x, w, 1e-6) }},
			{"Softmax", func() { copy(dst, x); k.softmax(dst) }},
			{"SiLUMul", func() { k.siluMul(dst, x, y) }},
		}
		for _, op := range ops {
			b.Run(op.name+"/"+k.set.String(), func(b *testing.B) {
				b.SetBytes(4 * n)
				for b.Loop() {
					op.f()
				}
			})
		}
	}
}

// BenchmarkPoolDispatch measures a parallel loop with almost no work: the
// cost of handing a loop to the (spinning) workers and waiting for them.
func BenchmarkPoolDispatch(b *testing.B) {
	pool := NewPool(0)
	defer pool.Close()
	var sink [64]float32
	for b.Loop() {
		pool.For(64, 1, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				sink[i]++
			}
		})
	}
}

// BenchmarkGemm is attention's probabilities times values: 16 heads' rows
// of a decode step and 512 prefill rows against 256 cache rows of MLA's
// 512-value latent (read in place, 576 apart).
func BenchmarkGemm(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	const k, n, bs = 256, 512, 576
	v := randomVec(rng, k*bs)
	for _, m := range []int{16, 512} {
		p := randomVec(rng, m*k)
		y := make([]float32, m*n)
		for _, ks := range builtKernels {
			b.Run(fmt.Sprintf("m=%d/%v", m, ks.set), func(b *testing.B) {
				pool := NewPool(0, WithKernels(ks.set))
				defer pool.Close()
				for b.Loop() {
					pool.Gemm(y, n, p, k, v, bs, m, n, k, false)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
