//go:build goexperiment.simd && amd64

package x86

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// The 4x4 float tiles give the mat-vecs' bits for every output, for
// ragged rows, activation counts and columns.
func TestMatMulFloat(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, f := range []struct {
		name  string
		esize int
		mm    func(y []float32, ys, rows int, w []byte, rowBytes int, x []float32, n int, tmp []float32)
		mv    func(y []float32, w []byte, rowBytes int, x []float32)
		put   func(b []byte, v float64)
	}{
		{"F32", 4, mmF32_512, mvF32_512, func(b []byte, v float64) { binary.LittleEndian.PutUint32(b, math.Float32bits(float32(v))) }},
		{"BF16", 2, mmBF16_512, mvBF16_512, func(b []byte, v float64) { binary.LittleEndian.PutUint16(b, uint16(math.Float32bits(float32(v))>>16)) }},
		{"F16", 2, mmF16_512, mvF16_512, func(b []byte, v float64) { binary.LittleEndian.PutUint16(b, f16FromFloat(v)) }},
	} {
		for _, sh := range [][2]int{{1, 16}, {7, 40}, {9, 5}, {13, 100}, {16, 64}} {
			rows, cols := sh[0], sh[1]
			rb := cols*f.esize + 4
			w := make([]byte, rows*rb)
			for r := 0; r < rows; r++ {
				for c := 0; c < cols; c++ {
					f.put(w[r*rb+c*f.esize:], rng.NormFloat64())
				}
			}
			for _, n := range []int{1, 2, 4, 7} {
				x := make([]float32, n*cols)
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				ys := rows + 1
				y := make([]float32, (n-1)*ys+rows)
				f.mm(y, ys, rows, w, rb, x, n, make([]float32, 4*cols))
				want := make([]float32, rows)
				for i := 0; i < n; i++ {
					f.mv(want, w, rb, x[i*cols:(i+1)*cols])
					for r := range want {
						if y[i*ys+r] != want[r] || math.IsNaN(float64(want[r])) {
							t.Fatalf("%s %dx%d n=%d: y[%d][%d] = %g, the mat-vec gives %g", f.name, rows, cols, n, i, r, y[i*ys+r], want[r])
						}
					}
				}
			}
		}
	}
}

// f16FromFloat rounds v to the nearest half (normal range only, enough
// for normal test values).
func f16FromFloat(v float64) uint16 {
	b := math.Float32bits(float32(v))
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23&0xff) - 127 + 15
	if exp <= 0 {
		return sign
	}
	return sign | uint16(exp)<<10 | uint16(b>>13&0x3ff)
}
