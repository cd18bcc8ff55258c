//go:build goexperiment.simd && amd64

package x86

import (
	"fmt"
	"unsafe"
)

// fp8Rows8 multiplies 8 F8_E4M3 rows (rb bytes apart, from p) with n·16
// prescaled activations xs, leaving each row's 16 lane sums in out
// (floattile_amd64.s).
//
//go:noescape
func fp8Rows8(p unsafe.Pointer, rb int, xs unsafe.Pointer, n int, out *[8][16]float32)

// fp8Tile4 multiplies 4 F8_E4M3 rows (rb bytes apart, from p) with 4
// prescaled activation rows (xstride bytes apart) over n·16 columns,
// leaving the sum of row r with activation row a in out[4r+a], or with y
// in the 4 floats at y + a·ys bytes for a < na, its lanes added as hsum16
// adds them (floattile_amd64.s).
//
//go:noescape
func fp8Tile4(p unsafe.Pointer, rb int, xs unsafe.Pointer, xstride, n int, out *[16]float32, y unsafe.Pointer, ys, na int)

// mmF8_512 multiplies rows F8_E4M3 rows that share one row of block scales
// with n activation rows (x holds them back to back): y[i*ys+r] = Σ_c
// W[r,c]·x[i,c]. Activations are prescaled once per call (x·scale·2^120,
// as fp8Blocks4X scales them) into tmp (at least 4 rows); one activation
// row runs 8 weight rows at a time with the next rows prefetched, more run
// 4 by 4 with each weight widened once for 4 activation rows. Every
// output has mvF8_512's bits: its lanes sum the same columns in the same
// order, whatever n is.
func mmF8_512(y []float32, ys, rows int, w []byte, rowBytes int, x []float32, n int, scales, tmp []float32) {
	if n <= 0 || rows <= 0 {
		return
	}
	cols := len(x) / n
	if len(x) != n*cols || len(y) < (n-1)*ys+rows || len(tmp) < 4*cols {
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
	kw := 128 * full // columns of the prescaled activations
	// finish adds the columns past the whole blocks to a row's sum.
	finish := func(s float32, r int, xi []float32) float32 {
		row := w[r*rowBytes:]
		for c := kw; c < cols; c++ {
			s += fp8At(row, c) * scales[c/128] * xi[c]
		}
		return s
	}
	for a0 := 0; a0 < n; a0 += 4 {
		na := min(4, n-a0)
		if n == 1 && rows >= 8 {
			na = 1
		}
		var prescaled [4]bool
		some := false
		for a := 0; a < 4; a++ {
			xs := tmp[a*kw : (a+1)*kw]
			if a >= na || full == 0 || !fp8Prescaled(x[(a0+a)*cols:(a0+a+1)*cols], scales) {
				clear(xs)
				if a < na { // large activations: the unscaled leaf
					mvF8_512(y[(a0+a)*ys:(a0+a)*ys+rows], w, rowBytes, x[(a0+a)*cols:(a0+a+1)*cols], scales)
				}
				continue
			}
			xi := x[(a0+a)*cols:]
			for b := 0; b < full; b++ {
				f := bc16(scales[b] * 0x1p120)
				for c := 128 * b; c < 128*(b+1); c += 16 {
					st16(unsafe.Pointer(&xs[c]), ld16(unsafe.Pointer(&xi[c])).Mul(f))
				}
			}
			prescaled[a], some = true, true
		}
		if !some {
			continue
		}
		if na == 1 { // one activation row: 8 weight rows at a time
			xi, yi := x[a0*cols:(a0+1)*cols], y[a0*ys:a0*ys+rows]
			var out [8][16]float32
			r := 0
			for ; r+8 <= rows; r += 8 {
				fp8Rows8(unsafe.Pointer(&w[r*rowBytes]), rowBytes, unsafe.Pointer(&tmp[0]), 8*full, &out)
				for j := 0; j < 8; j++ {
					yi[r+j] = finish(hsum16(ld16(unsafe.Pointer(&out[j]))), r+j, xi)
				}
			}
			if r < rows {
				mvF8_512(yi[r:], w[r*rowBytes:], rowBytes, xi, scales)
			}
			continue
		}
		all := true
		for a := 0; a < na; a++ {
			all = all && prescaled[a]
		}
		var out [16]float32
		for r := 0; r < rows; r += 4 {
			nr := min(4, rows-r)
			if nr == 4 && kw == cols && all { // the tile writes y itself
				fp8Tile4(unsafe.Pointer(&w[r*rowBytes]), rowBytes, unsafe.Pointer(&tmp[0]), 4*kw, 8*full, &out, unsafe.Pointer(&y[a0*ys+r]), 4*ys, na)
				continue
			}
			for j := 0; j < nr; j++ {
				if nr == 4 && j > 0 {
					break
				}
				rb := rowBytes
				if nr < 4 { // one row at a time (stride 0)
					rb = 0
				}
				fp8Tile4(unsafe.Pointer(&w[(r+j)*rowBytes]), rb, unsafe.Pointer(&tmp[0]), 4*kw, 8*full, &out, nil, 0, 0)
				for jr := 0; jr < 4 && (nr == 4 || jr == 0); jr++ {
					row := r + j + jr
					for a := 0; a < na; a++ {
						if prescaled[a] {
							y[(a0+a)*ys+row] = finish(out[4*jr+a], row, x[(a0+a)*cols:])
						}
					}
				}
			}
		}
	}
}
