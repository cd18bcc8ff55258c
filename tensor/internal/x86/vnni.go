//go:build goexperiment.simd && amd64

package x86

import (
	"fmt"
	"unsafe"
)

// Tile products of block-quantized weights with 8-bit activations on
// AVX512-VNNI: VPDPBUSD multiplies 64 unsigned weight bytes by 4 signed
// activation bytes broadcast to all lanes and adds the four products to
// 16 int32 lanes, one per weight row. For a block of 32 columns each
// activation row gets an int32 sum per weight row, which is scaled once
// per block in float32.
//
// Weight tile, per block of 32 columns (VNNITileBytes bytes, VNNITileScales
// floats): for column groups c = 0..7 of 4 columns, the 4 quants of weight
// rows 0..15 (byte 64c+4r+j is column 4c+j of row r), unsigned; then d[16]
// and m[16]. Row r's weight at column k of the block is d[r]·u + m[r].
//
// Activation panel, per group of 8 activation rows and block of 32 columns
// (VNNIActBytes bytes, VNNIActScales floats): byte 32c+4g+j is column 4c+j
// of row g; then the rows' block scales dx[8] and S[8] (Q8Row.D and .S).
//
// With those, Σ_k w·x over a block is d·dx·Σ u·q + m·S for each pair.

// vnniTile writes the products of the nb blocks of the tile (w, ws) with
// those of the panel (x, xs): activation row g < ng's to y + g·ys bytes,
// the weight rows set in mask. Assembly (vnni_amd64.s).
//
//go:noescape
func vnniTile(w, ws, x, xs unsafe.Pointer, nb int, y unsafe.Pointer, ys, ng, mask int)

// tileQ8VNNI checks the sizes and runs vnniTile.
func tileQ8VNNI(w []byte, ws []float32, x []byte, xs []float32, nb int, y []float32, ys, ng, nr int) {
	if ng <= 0 || nr <= 0 {
		return
	}
	if len(w) < nb*VNNITileBytes || len(ws) < nb*VNNITileScales || len(x) < nb*VNNIActBytes || len(xs) < nb*VNNIActScales ||
		ng > VNNIActs || nr > VNNIRows || len(y) < (ng-1)*ys+nr {
		panic(fmt.Sprintf("x86: VNNI tile of %d blocks with %d, %d, %d, %d into %d outputs (%dx%d, stride %d)", nb, len(w), len(ws), len(x), len(xs), len(y), ng, nr, ys))
	}
	var w0, ws0 unsafe.Pointer
	if nb > 0 {
		w0, ws0 = unsafe.Pointer(&w[0]), unsafe.Pointer(&ws[0])
	}
	var x0, xs0 unsafe.Pointer
	if nb > 0 {
		x0, xs0 = unsafe.Pointer(&x[0]), unsafe.Pointer(&xs[0])
	}
	vnniTile(w0, ws0, x0, xs0, nb, unsafe.Pointer(&y[0]), 4*ys, ng, 1<<nr-1)
}

// checkPack panics unless nr rows of blocks [b0, b0+nb) fit data and the
// tile fits w and ws.
func checkPack(w []byte, ws []float32, data []byte, rowBytes, nr, b0, nb, blockBytes int) {
	if nr < 0 || nr > VNNIRows || len(w) < nb*VNNITileBytes || len(ws) < nb*VNNITileScales ||
		(nr > 0 && (rowBytes < (b0+nb)*blockBytes || (nr-1)*rowBytes+(b0+nb)*blockBytes > len(data))) {
		panic(fmt.Sprintf("x86: packing %d rows of blocks [%d,%d) from %d bytes (stride %d)", nr, b0, b0+nb, len(data), rowBytes))
	}
}

// packQ4_0 packs blocks [b0, b0+nb) of nr Q4_0 rows (rows past nr are
// zero): u is the nibble, d the block scale, m = -8d.
func packQ4_0(w []byte, ws []float32, data []byte, rowBytes, nr, b0, nb int) {
	checkPack(w, ws, data, rowBytes, nr, b0, nb, 18)
	if nr == VNNIRows && nb > 0 {
		packQ4_0x16(unsafe.Pointer(&w[0]), unsafe.Pointer(&ws[0]), unsafe.Pointer(&data[b0*18]), rowBytes, nb)
		return
	}
	if nr < VNNIRows {
		clear(w[:nb*VNNITileBytes])
		clear(ws[:nb*VNNITileScales])
	}
	for r := 0; r < nr; r++ {
		src := unsafe.Pointer(&data[r*rowBytes+b0*18])
		dst := unsafe.Pointer(&w[4*r])
		for b := 0; b < nb; b++ {
			d := f16p(src)
			ws[b*VNNITileScales+r], ws[b*VNNITileScales+16+r] = d, -8*d
			for c := uintptr(0); c < 4; c++ {
				q := *(*uint32)(unsafe.Add(src, 2+4*c))
				*(*uint32)(unsafe.Add(dst, 64*c)) = q & 0x0f0f0f0f
				*(*uint32)(unsafe.Add(dst, 64*(c+4))) = q >> 4 & 0x0f0f0f0f
			}
			src, dst = unsafe.Add(src, 18), unsafe.Add(dst, VNNITileBytes)
		}
	}
}

// packQ4_0x16 and packQ8_0x16 pack nb blocks of 16 rows (rb bytes apart,
// from the block at p) into a tile (vnni_amd64.s).
//
//go:noescape
func packQ4_0x16(w, ws, p unsafe.Pointer, rb, nb int)

//go:noescape
func packQ8_0x16(w, ws, p unsafe.Pointer, rb, nb int)

// packQ8_0 packs Q8_0 rows: u = q+128 (the sign bit flipped), m = -128d.
func packQ8_0(w []byte, ws []float32, data []byte, rowBytes, nr, b0, nb int) {
	checkPack(w, ws, data, rowBytes, nr, b0, nb, 34)
	if nr == VNNIRows && nb > 0 {
		packQ8_0x16(unsafe.Pointer(&w[0]), unsafe.Pointer(&ws[0]), unsafe.Pointer(&data[b0*34]), rowBytes, nb)
		return
	}
	if nr < VNNIRows {
		clear(w[:nb*VNNITileBytes])
		clear(ws[:nb*VNNITileScales])
	}
	for r := 0; r < nr; r++ {
		src := unsafe.Pointer(&data[r*rowBytes+b0*34])
		dst := unsafe.Pointer(&w[4*r])
		for b := 0; b < nb; b++ {
			d := f16p(src)
			ws[b*VNNITileScales+r], ws[b*VNNITileScales+16+r] = d, -128*d
			for c := uintptr(0); c < 8; c++ {
				*(*uint32)(unsafe.Add(dst, 64*c)) = *(*uint32)(unsafe.Add(src, 2+4*c)) ^ 0x80808080
			}
			src, dst = unsafe.Add(src, 34), unsafe.Add(dst, VNNITileBytes)
		}
	}
}

// packQ4K packs Q4_K rows; b0 and nb are whole super-blocks (multiples
// of 8 blocks). Sub-block j of a super-block is block j: u is the nibble,
// d = d·sc_j and m = -dmin·m_j.
func packQ4K(w []byte, ws []float32, data []byte, rowBytes, nr, b0, nb int) {
	if b0%8 != 0 || nb%8 != 0 {
		panic(fmt.Sprintf("x86: Q4_K tile of blocks [%d,%d) is not whole super-blocks", b0, b0+nb))
	}
	checkPack(w, ws, data, rowBytes, nr, b0/8, nb/8, 144)
	if nr < VNNIRows {
		clear(w[:nb*VNNITileBytes])
		clear(ws[:nb*VNNITileScales])
	}
	for r := 0; r < nr; r++ {
		off := r*rowBytes + b0/8*144
		dst := unsafe.Pointer(&w[4*r])
		for sb := 0; sb < nb/8; sb++ {
			f := q4kFactorsScalar(data[off : off+144])
			qs := unsafe.Pointer(&data[off+16])
			for j := 0; j < 8; j++ {
				b := 8*sb + j
				ws[b*VNNITileScales+r], ws[b*VNNITileScales+16+r] = f[j], -f[8+j]
				src := unsafe.Add(qs, 32*(j/2))
				shift := uint(4 * (j % 2))
				for c := uintptr(0); c < 8; c++ {
					*(*uint32)(unsafe.Add(dst, 64*c)) = *(*uint32)(unsafe.Add(src, 4*c)) >> shift & 0x0f0f0f0f
				}
				dst = unsafe.Add(dst, VNNITileBytes)
			}
			off += 144
		}
	}
}

// packActs packs blocks [b0, b0+nb) of up to 8 quantized activation rows
// into a panel (rows past len(rows) are zero).
func packActs(x []byte, xs []float32, rows []Q8Row, b0, nb int) {
	if len(rows) > VNNIActs || len(x) < nb*VNNIActBytes || len(xs) < nb*VNNIActScales {
		panic(fmt.Sprintf("x86: packing %d activation rows of %d blocks into %d, %d", len(rows), nb, len(x), len(xs)))
	}
	if nb <= 0 {
		return
	}
	if len(rows) < VNNIActs {
		clear(x[:nb*VNNIActBytes])
		clear(xs[:nb*VNNIActScales])
	}
	for g := range rows {
		q := &rows[g]
		checkQ8(q, (b0+nb)*32)
		src := unsafe.Pointer(&q.Q[b0*32])
		dst := unsafe.Pointer(&x[4*g])
		for b := 0; b < nb; b++ {
			for c := uintptr(0); c < 8; c++ {
				*(*uint32)(unsafe.Add(dst, 32*c)) = *(*uint32)(unsafe.Add(src, 4*c))
			}
			src, dst = unsafe.Add(src, 32), unsafe.Add(dst, VNNIActBytes)
		}
		for b := 0; b < nb; b++ {
			xs[b*VNNIActScales+g], xs[b*VNNIActScales+8+g] = q.D[b0+b], q.S[b0+b]
		}
	}
}

// q8Ptrs points at the quants, scales and scaled sums of a Q8Row.
type q8Ptrs struct{ q, d, s unsafe.Pointer }

// The 16-row decode kernels (vnni_amd64.s): out[a][r] gets the product of
// weight row r (rows rb bytes apart from p) with activation row a < na,
// over nb blocks (na is 1 to 8).
//
//go:noescape
func q4_0x16(p unsafe.Pointer, rb int, xs *[8]q8Ptrs, na, nb int, out *[8][16]float32)

//go:noescape
func q8_0x16(p unsafe.Pointer, rb int, xs *[8]q8Ptrs, na, nb int, out *[8][16]float32)

// x16Rows runs a 16-row kernel over rows rows of w for every activation
// row of x, writing row r of activation i to y[i*ys+r]. The last group
// of 16 overlaps the one before when rows is not a multiple of 16 (each
// row's result does not depend on its group), and fewer than 16 rows are
// padded in a copy.
func x16Rows(kern func(unsafe.Pointer, int, *[8]q8Ptrs, int, int, *[8][16]float32),
	y []float32, ys, rows int, w []byte, rowBytes, blockBytes int, x []Q8Row) {
	if rows <= 0 || len(x) == 0 {
		return
	}
	nb := len(x[0].Q) / 32
	for i := range x {
		checkQ8(&x[i], nb*32)
	}
	if len(y) < (len(x)-1)*ys+rows {
		panic(fmt.Sprintf("x86: %d outputs for %d activation rows of %d (stride %d)", len(y), len(x), rows, ys))
	}
	checkMat(rows, len(w), rowBytes, nb*blockBytes)
	if rows < 16 {
		pad := make([]byte, 16*rowBytes)
		copy(pad, w[:rows*rowBytes])
		w = pad
	}
	var out [8][16]float32
	var xs [8]q8Ptrs
	for r := 0; r < rows; r += 16 {
		r0 := min(r, max(rows-16, 0))
		p := unsafe.Pointer(&w[r0*rowBytes])
		for a0 := 0; a0 < len(x); a0 += 8 {
			na := min(8, len(x)-a0)
			for a := range xs {
				q := &x[a0+min(a, na-1)]
				xs[a] = q8Ptrs{unsafe.Pointer(&q.Q[0]), unsafe.Pointer(&q.D[0]), unsafe.Pointer(&q.S[0])}
			}
			kern(p, rowBytes, &xs, na, nb, &out)
			for a := 0; a < na; a++ {
				dst := y[(a0+a)*ys:]
				if r == r0 && r0+16 <= rows {
					copy(dst[r0:r0+16], out[a][:])
					continue
				}
				for j := r - r0; j < 16 && r0+j < rows; j++ {
					dst[r0+j] = out[a][j]
				}
			}
		}
	}
}

func mmQ4_0q8x16(y []float32, ys, rows int, w []byte, rowBytes int, x []Q8Row) {
	x16Rows(q4_0x16, y, ys, rows, w, rowBytes, 18, x)
}

func mmQ8_0q8x16(y []float32, ys, rows int, w []byte, rowBytes int, x []Q8Row) {
	x16Rows(q8_0x16, y, ys, rows, w, rowBytes, 34, x)
}
