package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestGemm(t *testing.T) {
	forEachSet(t, func(t *testing.T, k *kernels) {
		pool := NewPool(2, WithKernels(k.set))
		defer pool.Close()
		rng := rand.New(rand.NewPCG(19, 20))
		for _, sh := range [][3]int{{1, 1, 1}, {5, 3, 9}, {13, 40, 17}, {30, 97, 64}, {4, 512, 33}, {7, 8, 0}} {
			m, n, kk := sh[0], sh[1], sh[2]
			as, bs, ys := kk+1, n+3, n+2
			a := randomVec(rng, m*as)
			b := randomVec(rng, max(kk, 1)*bs)
			for _, acc := range []bool{false, true} {
				name := fmt.Sprintf("%v accumulate=%v", sh, acc)
				y := randomVec(rng, m*ys)
				y0 := append([]float32(nil), y...)
				pool.Gemm(y, ys, a, as, b, bs, m, n, kk, acc)
				for i := 0; i < m; i++ {
					for j := 0; j < ys; j++ {
						got := y[i*ys+j]
						if j >= n {
							if got != y0[i*ys+j] {
								t.Fatalf("%s: wrote y[%d][%d]", name, i, j)
							}
							continue
						}
						var want, mag float64
						if acc {
							want, mag = float64(y0[i*ys+j]), math.Abs(float64(y0[i*ys+j]))
						}
						for c := 0; c < kk; c++ {
							v := float64(a[i*as+c]) * float64(b[c*bs+j])
							want, mag = want+v, mag+math.Abs(v)
						}
						if math.Abs(float64(got)-want) > float64(kk+2)*0x1p-24*mag {
							t.Fatalf("%s: y[%d][%d] = %g, want %g", name, i, j, got, want)
						}
					}
				}
				// A row alone gives the same bits.
				for i := 0; i < m; i++ {
					one := append([]float32(nil), y0[i*ys:i*ys+n]...)
					pool.Gemm(one, n, a[i*as:], as, b, bs, 1, n, kk, acc)
					for j := range one {
						if one[j] != y[i*ys+j] {
							t.Fatalf("%s: row %d alone gives y[%d] = %g, in the batch %g", name, i, j, one[j], y[i*ys+j])
						}
					}
				}
			}
		}
	})
}
