//go:build goexperiment.simd && amd64

package x86

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The float32 product against a float64 evaluation, for ragged shapes
// (row groups of 12, 4 and 1, partial column tiles), with and without
// accumulation, leaving every other element of y alone; and a row's bits
// do not depend on how many rows share the call.
func TestSgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, sh := range [][3]int{{1, 1, 1}, {3, 5, 7}, {12, 32, 16}, {17, 33, 40}, {29, 70, 3}, {5, 16, 0}} {
		m, n, k := sh[0], sh[1], sh[2]
		as, bs, ys := k+3, n+5, n+2
		a := make([]float32, m*as)
		b := make([]float32, max(k, 1)*bs)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for i := range b {
			b[i] = float32(rng.NormFloat64())
		}
		for _, add := range []bool{false, true} {
			y := make([]float32, m*ys)
			for i := range y {
				y[i] = float32(rng.NormFloat64())
			}
			y0 := append([]float32(nil), y...)
			sgemm512(y, ys, a, as, b, bs, m, n, k, add)
			for i := 0; i < m; i++ {
				for j := 0; j < ys; j++ {
					got := y[i*ys+j]
					if j >= n {
						if got != y0[i*ys+j] {
							t.Fatalf("%v add=%v: wrote y[%d][%d]", sh, add, i, j)
						}
						continue
					}
					var want, mag float64
					if add {
						want, mag = float64(y0[i*ys+j]), math.Abs(float64(y0[i*ys+j]))
					}
					for c := 0; c < k; c++ {
						v := float64(a[i*as+c]) * float64(b[c*bs+j])
						want += v
						mag += math.Abs(v)
					}
					if math.Abs(float64(got)-want) > float64(k+2)*0x1p-24*mag {
						t.Fatalf("%v add=%v: y[%d][%d] = %g, want %g", sh, add, i, j, got, want)
					}
				}
			}
			// Row i alone gives the same bits.
			for i := 0; i < m; i++ {
				one := append([]float32(nil), y0[i*ys:i*ys+n]...)
				sgemm512(one, ys, a[i*as:], as, b, bs, 1, n, k, add)
				for j := range one {
					if one[j] != y[i*ys+j] {
						t.Fatalf("%v add=%v: row %d alone gives %g, in the batch %g", sh, add, i, one[j], y[i*ys+j])
					}
				}
			}
		}
	}
}
