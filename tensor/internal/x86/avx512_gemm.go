//go:build goexperiment.simd && amd64

package x86

import (
	"fmt"
	"unsafe"
)

// checkGemm panics unless the operands of Gemm fit their slices.
func checkGemm(y []float32, ys int, w []float32, ws, rows int, x []float32, xs, n, k int) {
	if rows <= 0 || n <= 0 || k <= 0 {
		return
	}
	if ws < k || xs < k || ys < rows || (rows-1)*ws+k > len(w) || (n-1)*xs+k > len(x) || (n-1)*ys+rows > len(y) {
		panic(fmt.Sprintf("x86: gemm of %dx%d by %dx%d (strides %d %d %d) in %d, %d, %d", rows, k, n, k, ws, xs, ys, len(w), len(x), len(y)))
	}
}

// gemm512 adds W·Xᵀ to Y in tiles of four weight rows by two activation
// rows: eight accumulators, each weight and activation vector loaded once
// per tile.
func gemm512(y []float32, ys int, w []float32, ws, rows int, x []float32, xs, n, k int) {
	checkGemm(y, ys, w, ws, rows, x, xs, n, k)
	k16 := k &^ 15
	pw := unsafe.Pointer(unsafe.SliceData(w))
	px := unsafe.Pointer(unsafe.SliceData(x))
	wst, xst := uintptr(ws)*4, uintptr(xs)*4
	for r := 0; r < rows; r += 4 {
		nr := min(4, rows-r)
		for i := 0; i < n; i += 2 {
			ni := min(2, n-i)
			var s [4][2]float32
			w0 := unsafe.Add(pw, uintptr(r)*wst)
			x0 := unsafe.Add(px, uintptr(i)*xst)
			switch {
			case nr == 4 && ni == 2:
				s = g4x2(w0, wst, x0, xst, k16)
			case ni == 2:
				for j := 0; j < nr; j++ {
					s[j][0], s[j][1] = g1x2(unsafe.Add(w0, uintptr(j)*wst), x0, xst, k16)
				}
			case nr == 4:
				s[0][0], s[1][0], s[2][0], s[3][0] = g4x1(w0, wst, x0, k16)
			default:
				for j := 0; j < nr; j++ {
					s[j][0], _ = g1x2(unsafe.Add(w0, uintptr(j)*wst), x0, 0, k16)
				}
			}
			for j := 0; j < nr; j++ {
				wr := w[(r+j)*ws:]
				for g := 0; g < ni; g++ {
					xr := x[(i+g)*xs:]
					t := s[j][g]
					for c := k16; c < k; c++ {
						t += wr[c] * xr[c]
					}
					y[(i+g)*ys+r+j] += t
				}
			}
		}
	}
}

func g4x2(w unsafe.Pointer, ws uintptr, x unsafe.Pointer, xs uintptr, k16 int) (s [4][2]float32) {
	var a00, a01, a10, a11, a20, a21, a30, a31 f32x16
	for c := 0; c < k16; c += 16 {
		w0, w1, w2, w3 := ld16(w), ld16(unsafe.Add(w, ws)), ld16(unsafe.Add(w, 2*ws)), ld16(unsafe.Add(w, 3*ws))
		a00 = ld16(x).MulAdd(w0, a00)
		a10 = ld16(x).MulAdd(w1, a10)
		a20 = ld16(x).MulAdd(w2, a20)
		a30 = ld16(x).MulAdd(w3, a30)
		x1 := unsafe.Add(x, xs)
		a01 = ld16(x1).MulAdd(w0, a01)
		a11 = ld16(x1).MulAdd(w1, a11)
		a21 = ld16(x1).MulAdd(w2, a21)
		a31 = ld16(x1).MulAdd(w3, a31)
		w, x = unsafe.Add(w, 64), unsafe.Add(x, 64)
	}
	s[0][0], s[0][1] = hsum16(a00), hsum16(a01)
	s[1][0], s[1][1] = hsum16(a10), hsum16(a11)
	s[2][0], s[2][1] = hsum16(a20), hsum16(a21)
	s[3][0], s[3][1] = hsum16(a30), hsum16(a31)
	return s
}

func g4x1(w unsafe.Pointer, ws uintptr, x unsafe.Pointer, k16 int) (s0, s1, s2, s3 float32) {
	var a0, a1, a2, a3 f32x16
	for c := 0; c < k16; c += 16 {
		xv := ld16(x)
		a0 = ld16(w).MulAdd(xv, a0)
		a1 = ld16(unsafe.Add(w, ws)).MulAdd(xv, a1)
		a2 = ld16(unsafe.Add(w, 2*ws)).MulAdd(xv, a2)
		a3 = ld16(unsafe.Add(w, 3*ws)).MulAdd(xv, a3)
		w, x = unsafe.Add(w, 64), unsafe.Add(x, 64)
	}
	return hsum16(a0), hsum16(a1), hsum16(a2), hsum16(a3)
}

// g1x2 returns one weight row's products with activation rows x and x+xs
// (xs = 0 computes one product twice).
func g1x2(w unsafe.Pointer, x unsafe.Pointer, xs uintptr, k16 int) (s0, s1 float32) {
	var a0, a1, b0, b1 f32x16
	c := 0
	for ; c+32 <= k16; c += 32 {
		w0, w1 := ld16(w), ld16(unsafe.Add(w, 64))
		a0 = ld16(x).MulAdd(w0, a0)
		b0 = ld16(unsafe.Add(x, 64)).MulAdd(w1, b0)
		a1 = ld16(unsafe.Add(x, xs)).MulAdd(w0, a1)
		b1 = ld16(unsafe.Add(x, xs+64)).MulAdd(w1, b1)
		w, x = unsafe.Add(w, 128), unsafe.Add(x, 128)
	}
	if c < k16 {
		w0 := ld16(w)
		a0 = ld16(x).MulAdd(w0, a0)
		a1 = ld16(unsafe.Add(x, xs)).MulAdd(w0, a1)
	}
	return hsum16(a0.Add(b0)), hsum16(a1.Add(b1))
}
