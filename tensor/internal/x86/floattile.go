//go:build goexperiment.simd && amd64

package x86

import (
	"fmt"
	"unsafe"
)

// 4x4 tiles of float weights (floattile_amd64.s): 4 rows rb bytes apart times
// 4 activation rows xstride bytes apart over n steps of 16 columns; the
// sum of row r with activation a, its lanes added as hsum16 adds them,
// goes to out[4r+a], or with y to the 4 floats at y + a·ys bytes for a <
// na.
//
//go:noescape
func f32Tile4(p unsafe.Pointer, rb int, xs unsafe.Pointer, xstride, n int, out *[16]float32, y unsafe.Pointer, ys, na int)

//go:noescape
func bf16Tile4(p unsafe.Pointer, rb int, xs unsafe.Pointer, xstride, n int, out *[16]float32, y unsafe.Pointer, ys, na int)

//go:noescape
func f16Tile4(p unsafe.Pointer, rb int, xs unsafe.Pointer, xstride, n int, out *[16]float32, y unsafe.Pointer, ys, na int)

type tileFunc = func(p unsafe.Pointer, rb int, xs unsafe.Pointer, xstride, n int, out *[16]float32, y unsafe.Pointer, ys, na int)

// floatTiles multiplies rows rows of a float format (esize bytes per
// value) with the n activation rows of x (back to back), writing row r of
// activation i to y[i*ys+r]. One activation row runs the mat-vec mv; more
// run in groups of 4 through the tile, each weight widened once for 4
// activation rows (a short last group is copied into tmp, 4 rows, with
// zero rows after it). Every output gets mv's bits: lane l sums columns
// 16k+l in order, the lanes are added as hsum16 adds them, and the
// columns past the last whole vector are added after, in order.
func floatTiles(tile tileFunc, mv func(y []float32, w []byte, rowBytes int, x []float32), esize int, at func(b []byte, i int) float32,
	y []float32, ys, rows int, w []byte, rowBytes int, x []float32, n int, tmp []float32) {
	if n <= 0 || rows <= 0 {
		return
	}
	cols := len(x) / n
	if len(x) != n*cols || len(y) < (n-1)*ys+rows || len(tmp) < 4*cols {
		panic(fmt.Sprintf("x86: float product of %d rows, %d activations of %d with %d outputs (stride %d), scratch %d", rows, n, cols, len(y), ys, len(tmp)))
	}
	checkMat(rows, len(w), rowBytes, esize*cols)
	n16, c16 := cols/16, cols&^15
	var out [16]float32
	for a0 := 0; a0 < n; a0 += 4 {
		na := min(4, n-a0)
		if na == 1 || n16 == 0 {
			for a := a0; a < a0+na; a++ {
				mv(y[a*ys:a*ys+rows], w, rowBytes, x[a*cols:(a+1)*cols])
			}
			continue
		}
		xa := x[a0*cols:]
		if na < 4 {
			copy(tmp, xa[:na*cols])
			clear(tmp[na*cols : 4*cols])
			xa = tmp
		}
		px := unsafe.Pointer(&xa[0])
		for r := 0; r < rows; r += 4 {
			nr := min(4, rows-r)
			if nr == 4 && c16 == cols { // the tile writes y itself
				tile(unsafe.Pointer(&w[r*rowBytes]), rowBytes, px, 4*cols, n16, &out, unsafe.Pointer(&y[a0*ys+r]), 4*ys, na)
				continue
			}
			for j := 0; j < nr; j++ {
				rb := rowBytes
				if nr < 4 { // one row at a time (stride 0)
					rb = 0
				} else if j > 0 {
					break
				}
				tile(unsafe.Pointer(&w[(r+j)*rowBytes]), rb, px, 4*cols, n16, &out, nil, 0, 0)
				for jr := 0; jr < 4 && (nr == 4 || jr == 0); jr++ {
					row := w[(r+j+jr)*rowBytes:]
					for a := 0; a < na; a++ {
						s := out[4*jr+a]
						xi := x[(a0+a)*cols:]
						for c := c16; c < cols; c++ {
							s += at(row, c) * xi[c]
						}
						y[(a0+a)*ys+r+j+jr] = s
					}
				}
			}
		}
	}
}

func mmF32_512(y []float32, ys, rows int, w []byte, rowBytes int, x []float32, n int, tmp []float32) {
	floatTiles(f32Tile4, mvF32_512, 4, f32At, y, ys, rows, w, rowBytes, x, n, tmp)
}

func mmBF16_512(y []float32, ys, rows int, w []byte, rowBytes int, x []float32, n int, tmp []float32) {
	floatTiles(bf16Tile4, mvBF16_512, 2, bf16At, y, ys, rows, w, rowBytes, x, n, tmp)
}

func mmF16_512(y []float32, ys, rows int, w []byte, rowBytes int, x []float32, n int, tmp []float32) {
	floatTiles(f16Tile4, mvF16_512, 2, f16At, y, ys, rows, w, rowBytes, x, n, tmp)
}
