//go:build goexperiment.simd && amd64

package x86

import (
	"fmt"
	"unsafe"
)

// fp8Rows8 multiplies 8 F8_E4M3 rows (rb bytes apart, from p) with n·16
// prescaled activations xs, leaving each row's 16 lane sums in out
// (vnni_amd64.s).
//
//go:noescape
func fp8Rows8(p unsafe.Pointer, rb int, xs unsafe.Pointer, n int, out *[8][16]float32)

// mmF8_512 multiplies rows F8_E4M3 rows that share one row of block scales
// with n activation rows (x[i*len/n...]): y[i*ys+r] = Σ_c W[r,c]·x[i,c].
// Activations are prescaled once per call (x·scale·2^120, as fp8Blocks4X
// scales them) into tmp, and the rows run 8 at a time with the next rows
// prefetched; a row gets the same bits as from mvF8_512.
func mmF8_512(y []float32, ys, rows int, w []byte, rowBytes int, x []float32, n int, scales, tmp []float32) {
	if n <= 0 || rows <= 0 {
		return
	}
	cols := len(x) / n
	if len(x) != n*cols || len(y) < (n-1)*ys+rows || len(tmp) < cols {
		panic(fmt.Sprintf("x86: FP8 product of %d rows, %d activations of %d with %d outputs (stride %d), scratch %d", rows, n, cols, len(y), ys, len(tmp)))
	}
	checkMat(rows, len(w), rowBytes, cols)
	full := cols / 128
	scales = scales[:(cols+127)/128]
	for _, s := range scales[:full] {
		if _, ok := fp8Factor(s); !ok {
			full = 0
			break
		}
	}
	for i := 0; i < n; i++ {
		xi := x[i*cols : (i+1)*cols]
		yi := y[i*ys : i*ys+rows]
		if full == 0 || rows < 8 || !fp8Prescaled(xi, scales) {
			mvF8_512(yi, w, rowBytes, xi, scales)
			continue
		}
		xs := tmp[:128*full]
		for b := 0; b < full; b++ {
			f := bc16(scales[b] * 0x1p120)
			for c := 128 * b; c < 128*(b+1); c += 16 {
				st16(unsafe.Pointer(&xs[c]), ld16(unsafe.Pointer(&xi[c])).Mul(f))
			}
		}
		var out [8][16]float32
		r := 0
		for ; r+8 <= rows; r += 8 {
			fp8Rows8(unsafe.Pointer(&w[r*rowBytes]), rowBytes, unsafe.Pointer(&xs[0]), 8*full, &out)
			for j := 0; j < 8; j++ {
				s := hsum16(ld16(unsafe.Pointer(&out[j])))
				row := w[(r+j)*rowBytes:]
				for c := 128 * full; c < cols; c++ {
					s += fp8At(row, c) * scales[c/128] * xi[c]
				}
				yi[r+j] = s
			}
		}
		if r < rows {
			mvF8_512(yi[r:], w[r*rowBytes:], rowBytes, xi, scales)
		}
	}
}
