//go:build goexperiment.simd && amd64

package x86

import (
	"math/rand/v2"
	"testing"
)

// The 8-row FP8 product gives mvF8_512's bits for every row (8-row groups,
// the rows after them, columns past the last whole block, large scales that
// forbid prescaled activations).
func TestMatMulF8(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, sh := range []struct {
		rows, cols int
		scale      float32
	}{{13, 424, 0.001}, {8, 128, 0.01}, {5, 256, 0.001}, {16, 300, 40}, {22, 512, 0.002}} {
		w := make([]byte, sh.rows*sh.cols)
		for i := range w {
			w[i] = byte(rng.Uint32())
			if w[i]&0x7f == 0x7f {
				w[i]--
			}
		}
		scales := make([]float32, (sh.cols+127)/128)
		for i := range scales {
			scales[i] = sh.scale * float32(1+rng.Float64())
		}
		for _, n := range []int{1, 3, 6} {
			x := make([]float32, n*sh.cols)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			ys := sh.rows + 2
			y := make([]float32, (n-1)*ys+sh.rows)
			mmF8_512(y, ys, sh.rows, w, sh.cols, x, n, scales, make([]float32, 4*sh.cols))
			want := make([]float32, sh.rows)
			for i := 0; i < n; i++ {
				mvF8_512(want, w, sh.cols, x[i*sh.cols:(i+1)*sh.cols], scales)
				for r := range want {
					if y[i*ys+r] != want[r] {
						t.Fatalf("%dx%d scale %g n=%d: y[%d][%d] = %g, mvF8_512 gives %g", sh.rows, sh.cols, sh.scale, n, i, r, y[i*ys+r], want[r])
					}
				}
			}
		}
	}
}
