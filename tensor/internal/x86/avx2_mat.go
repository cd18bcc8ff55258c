//go:build goexperiment.simd && amd64

package x86

import (
	"simd/archsimd"
	"unsafe"
)

// The AVX2 set's matrix kernels, 8 float32 lanes: fused products for the
// float formats, decoders for all formats (the block formats are
// multiplied through the float32 tile product), the tile product itself
// and the activation quantizer.

type u32x8 = archsimd.Uint32x8

func bcu8(v uint32) u32x8 { return archsimd.BroadcastUint32x8(v) }

// bytes8 zero-extends the 8 bytes at p.
func bytes8(p unsafe.Pointer) u32x8 {
	return archsimd.Uint64x2{}.SetElem(0, *(*uint64)(p)).AsUint8x16().ExtendLo8ToUint32()
}

// sbytes8 sign-extends the 8 bytes at p.
func sbytes8(p unsafe.Pointer) i32x8 {
	return archsimd.Uint64x2{}.SetElem(0, *(*uint64)(p)).AsInt8x16().ExtendLo8ToInt32()
}

func u2f8(v u32x8) f32x8 { return v.AsInt32x8().ConvertToFloat32() }

func bf16x8(p unsafe.Pointer) f32x8 {
	return archsimd.LoadUint16x8((*[8]uint16)(p)).ExtendToUint32().ShiftAllLeft(16).AsFloat32x8()
}

// f16x8 is f16x16 in 8 lanes.
func f16x8(p unsafe.Pointer) f32x8 {
	h := archsimd.LoadInt16x8((*[8]int16)(p)).ExtendToInt32()
	v := h.ShiftAllLeft(13).And(bci8(-0x70002000)).AsFloat32x8().MulAdd(bc8(0x1p112), negZero8())
	special := h.And(bci8(0x7c00)).Equal(bci8(0x7c00))
	return v.AsInt32x8().Or(bci8(0x7f800000)).AsFloat32x8().Merge(v, special)
}

// negZero8 is negZero16 in 8 lanes.
func negZero8() f32x8 { return archsimd.BroadcastInt32x8(-1 << 31).AsFloat32x8() }

// fp8x8 is fp8x16 in 8 lanes, with the mask 0x87f00000 in m.
func fp8x8(p unsafe.Pointer, m i32x8) f32x8 {
	return sbytes8(p).ShiftAllLeft(20).And(m).AsFloat32x8()
}

//go:noinline
func f32Run4x8(p unsafe.Pointer, rb uintptr, px unsafe.Pointer, n int, a0, a1, a2, a3 f32x8) (f32x8, f32x8, f32x8, f32x8) {
	for ; n > 0; n-- {
		xv := ld8(px)
		a0 = ld8(p).MulAdd(xv, a0)
		a1 = ld8(unsafe.Add(p, rb)).MulAdd(xv, a1)
		a2 = ld8(unsafe.Add(p, 2*rb)).MulAdd(xv, a2)
		a3 = ld8(unsafe.Add(p, 3*rb)).MulAdd(xv, a3)
		p, px = unsafe.Add(p, 32), unsafe.Add(px, 32)
	}
	return a0, a1, a2, a3
}

//go:noinline
func bf16Run4x8(p unsafe.Pointer, rb uintptr, px unsafe.Pointer, n int, a0, a1, a2, a3 f32x8) (f32x8, f32x8, f32x8, f32x8) {
	for ; n > 0; n-- {
		xv := ld8(px)
		a0 = bf16x8(p).MulAdd(xv, a0)
		a1 = bf16x8(unsafe.Add(p, rb)).MulAdd(xv, a1)
		a2 = bf16x8(unsafe.Add(p, 2*rb)).MulAdd(xv, a2)
		a3 = bf16x8(unsafe.Add(p, 3*rb)).MulAdd(xv, a3)
		p, px = unsafe.Add(p, 16), unsafe.Add(px, 32)
	}
	return a0, a1, a2, a3
}

//go:noinline
func f16Run4x8(p unsafe.Pointer, rb uintptr, px unsafe.Pointer, n int, a0, a1, a2, a3 f32x8) (f32x8, f32x8, f32x8, f32x8) {
	for ; n > 0; n-- {
		xv := ld8(px)
		a0 = f16x8(p).MulAdd(xv, a0)
		a1 = f16x8(unsafe.Add(p, rb)).MulAdd(xv, a1)
		a2 = f16x8(unsafe.Add(p, 2*rb)).MulAdd(xv, a2)
		a3 = f16x8(unsafe.Add(p, 3*rb)).MulAdd(xv, a3)
		p, px = unsafe.Add(p, 16), unsafe.Add(px, 32)
	}
	return a0, a1, a2, a3
}

//go:noinline
func fp8Run4x8(p unsafe.Pointer, rb uintptr, px unsafe.Pointer, n int, f f32x8, a0, a1, a2, a3 f32x8) (f32x8, f32x8, f32x8, f32x8) {
	m, nz := bci8(-0x78100000), negZero8()
	for ; n > 0; n-- {
		xv := ld8(px)
		a0 = fp8x8(p, m).MulAdd(f, nz).MulAdd(xv, a0)
		a1 = fp8x8(unsafe.Add(p, rb), m).MulAdd(f, nz).MulAdd(xv, a1)
		a2 = fp8x8(unsafe.Add(p, 2*rb), m).MulAdd(f, nz).MulAdd(xv, a2)
		a3 = fp8x8(unsafe.Add(p, 3*rb), m).MulAdd(f, nz).MulAdd(xv, a3)
		p, px = unsafe.Add(p, 8), unsafe.Add(px, 32)
	}
	return a0, a1, a2, a3
}

// rows4x8 runs a four-row leaf loop over groups of four rows; the last
// rows of a ragged count repeat row 0 of their group (stride 0) and are
// not stored. Columns past the last whole vector are added with at.
func rows4x8(y []float32, w []byte, rowBytes int, x []float32, esize int,
	run4 func(p unsafe.Pointer, rb uintptr, px unsafe.Pointer, n int, a0, a1, a2, a3 f32x8) (f32x8, f32x8, f32x8, f32x8),
	at func(b []byte, i int) float32) {
	cols := len(x)
	checkMat(len(y), len(w), rowBytes, esize*cols)
	n8, c8 := cols/8, cols&^7
	px := unsafe.Pointer(unsafe.SliceData(x))
	for r := 0; r < len(y); r += 4 {
		nr := min(4, len(y)-r)
		rb := uintptr(rowBytes)
		base := unsafe.Pointer(&w[r*rowBytes])
		var a [4]f32x8
		if nr == 4 {
			a[0], a[1], a[2], a[3] = run4(base, rb, px, n8, a[0], a[1], a[2], a[3])
		} else {
			for j := 0; j < nr; j++ {
				a[j], _, _, _ = run4(unsafe.Add(base, uintptr(j*rowBytes)), 0, px, n8, a[j], a[j], a[j], a[j])
			}
		}
		for j := 0; j < nr; j++ {
			s := hsum8(a[j])
			row := w[(r+j)*rowBytes:]
			for c := c8; c < cols; c++ {
				s += at(row, c) * x[c]
			}
			y[r+j] = s
		}
	}
}

func mvF32_2(y []float32, w []byte, rowBytes int, x []float32) {
	rows4x8(y, w, rowBytes, x, 4, f32Run4x8, f32At)
}

func mvBF16_2(y []float32, w []byte, rowBytes int, x []float32) {
	rows4x8(y, w, rowBytes, x, 2, bf16Run4x8, bf16At)
}

func mvF16_2(y []float32, w []byte, rowBytes int, x []float32) {
	rows4x8(y, w, rowBytes, x, 2, f16Run4x8, f16At)
}

func mvF8_2(y []float32, w []byte, rowBytes int, x []float32, scales []float32) {
	cols := len(x)
	checkMat(len(y), len(w), rowBytes, cols)
	nblk := (cols + 127) / 128
	scales = scales[:nblk]
	px := unsafe.Pointer(unsafe.SliceData(x))
	for r := 0; r < len(y); r += 4 {
		nr := min(4, len(y)-r)
		var a [4]f32x8
		var t [4]float32
		for b := 0; b < nblk; b++ {
			c0, c1 := b*128, min(b*128+128, cols)
			f, ok := fp8Factor(scales[b])
			c := c0
			if ok {
				n := (c1 - c0) / 8
				for j := 0; j < nr; j += 4 {
					base := unsafe.Pointer(&w[(r+j)*rowBytes+c0])
					if nr == 4 {
						a[0], a[1], a[2], a[3] = fp8Run4x8(base, uintptr(rowBytes), unsafe.Add(px, 4*c0), n, bc8(f), a[0], a[1], a[2], a[3])
						continue
					}
					for i := 0; i < nr; i++ {
						a[i], _, _, _ = fp8Run4x8(unsafe.Add(base, uintptr(i*rowBytes)), 0, unsafe.Add(px, 4*c0), n, bc8(f), a[i], a[i], a[i], a[i])
					}
				}
				c += 8 * n
			}
			for j := 0; j < nr; j++ {
				row := w[(r+j)*rowBytes:]
				for cc := c; cc < c1; cc++ {
					t[j] += fp8At(row, cc) * scales[b] * x[cc]
				}
			}
		}
		for j := 0; j < nr; j++ {
			y[r+j] = hsum8(a[j]) + t[j]
		}
	}
}

func decF32_2(dst []float32, row []byte, k0 int) {
	checkDecode(k0, len(dst), 1, 4, len(row))
	copyFloats(dst, row[4*k0:], 4, func(p unsafe.Pointer) f32x8 { return ld8(p) }, f32At)
}

func decBF16_2(dst []float32, row []byte, k0 int) {
	checkDecode(k0, len(dst), 1, 2, len(row))
	copyFloats(dst, row[2*k0:], 2, bf16x8, bf16At)
}

func decF16_2(dst []float32, row []byte, k0 int) {
	checkDecode(k0, len(dst), 1, 2, len(row))
	copyFloats(dst, row[2*k0:], 2, f16x8, f16At)
}

// copyFloats widens len(dst) values of esize bytes from src.
func copyFloats(dst []float32, src []byte, esize int, wide func(unsafe.Pointer) f32x8, at func([]byte, int) float32) {
	n := len(dst)
	if n == 0 {
		return
	}
	ps, pd := unsafe.Pointer(&src[0]), unsafe.Pointer(&dst[0])
	i := 0
	for ; i+8 <= n; i += 8 {
		st8(pd, wide(ps))
		ps, pd = unsafe.Add(ps, 8*esize), unsafe.Add(pd, 32)
	}
	for ; i < n; i++ {
		dst[i] = at(src, i)
	}
}

func decF8_2(dst []float32, row []byte, k0 int, scales []float32) {
	checkDecode(k0, len(dst), 1, 1, len(row))
	m := bci8(-0x78100000)
	n := len(dst)
	for i := 0; i < n; {
		c := k0 + i
		b := c / 128
		end := min(n, (b+1)*128-k0)
		s := scales[b]
		if f, ok := fp8Factor(s); ok {
			vf, nz := bc8(f), negZero8()
			for ; i+8 <= end; i += 8 {
				st8(unsafe.Pointer(&dst[i]), fp8x8(unsafe.Pointer(&row[k0+i]), m).MulAdd(vf, nz))
			}
		}
		for ; i < end; i++ {
			dst[i] = fp8At(row, k0+i) * s
		}
	}
}

func decQ8_0_2(dst []float32, row []byte, k0 int) {
	checkDecode(k0, len(dst), 32, 34, len(row))
	if len(dst) == 0 {
		return
	}
	p, pd := unsafe.Pointer(&row[k0/32*34]), unsafe.Pointer(&dst[0])
	for b := len(dst) / 32; b > 0; b-- {
		d := bc8(f16p(p))
		for j := uintptr(0); j < 4; j++ {
			st8(unsafe.Add(pd, 32*j), sbytes8(unsafe.Add(p, 2+8*j)).ConvertToFloat32().Mul(d))
		}
		p, pd = unsafe.Add(p, 34), unsafe.Add(pd, 128)
	}
}

func decQ4_0_2(dst []float32, row []byte, k0 int) {
	checkDecode(k0, len(dst), 32, 18, len(row))
	if len(dst) == 0 {
		return
	}
	p, pd := unsafe.Pointer(&row[k0/32*18]), unsafe.Pointer(&dst[0])
	m15, c8 := bcu8(15), bci8(8)
	for b := len(dst) / 32; b > 0; b-- {
		d := bc8(f16p(p))
		for j := uintptr(0); j < 2; j++ {
			v := bytes8(unsafe.Add(p, 2+8*j))
			st8(unsafe.Add(pd, 32*j), v.And(m15).AsInt32x8().Sub(c8).ConvertToFloat32().Mul(d))
			st8(unsafe.Add(pd, 64+32*j), v.ShiftAllRight(4).AsInt32x8().Sub(c8).ConvertToFloat32().Mul(d))
		}
		p, pd = unsafe.Add(p, 18), unsafe.Add(pd, 128)
	}
}

func decQ5_0_2(dst []float32, row []byte, k0 int) {
	checkDecode(k0, len(dst), 32, 22, len(row))
	if len(dst) == 0 {
		return
	}
	p, pd := unsafe.Pointer(&row[k0/32*22]), unsafe.Pointer(&dst[0])
	m15, one, c16 := bcu8(15), bcu8(1), bci8(16)
	idx := archsimd.LoadUint32x8((*[8]uint32)(laneIndex[:8]))
	for b := len(dst) / 32; b > 0; b-- {
		d := bc8(f16p(p))
		qh := bcu8(*(*uint32)(unsafe.Add(p, 2)))
		for j := uintptr(0); j < 2; j++ {
			v := bytes8(unsafe.Add(p, 6+8*j))
			lo := v.And(m15).Or(qh.ShiftAllRight(uint64(8 * j)).ShiftRight(idx).And(one).ShiftAllLeft(4))
			hi := v.ShiftAllRight(4).Or(qh.ShiftAllRight(uint64(16 + 8*j)).ShiftRight(idx).And(one).ShiftAllLeft(4))
			st8(unsafe.Add(pd, 32*j), lo.AsInt32x8().Sub(c16).ConvertToFloat32().Mul(d))
			st8(unsafe.Add(pd, 64+32*j), hi.AsInt32x8().Sub(c16).ConvertToFloat32().Mul(d))
		}
		p, pd = unsafe.Add(p, 22), unsafe.Add(pd, 128)
	}
}

// q4kFactorsScalar returns d·sc_j (j < 8) and dmin·m_j (at 8+j) of the
// Q4_K super-block b.
func q4kFactorsScalar(b []byte) (f [16]float32) {
	d, dmin := f16Scale(b[0:]), f16Scale(b[2:])
	s := b[4:16]
	for j := 0; j < 8; j++ {
		var sc, m uint8
		if j < 4 {
			sc, m = s[j]&63, s[j+4]&63
		} else {
			sc = s[j+4]&15 | (s[j-4]>>6)<<4
			m = s[j+4]>>4 | (s[j]>>6)<<4
		}
		f[j], f[8+j] = d*float32(sc), dmin*float32(m)
	}
	return f
}

func decQ4K_2(dst []float32, row []byte, k0 int) {
	checkDecode(k0, len(dst), 256, 144, len(row))
	if len(dst) == 0 {
		return
	}
	off := k0 / 256 * 144
	pd := unsafe.Pointer(&dst[0])
	m15 := bcu8(15)
	for b := len(dst) / 256; b > 0; b-- {
		f := q4kFactorsScalar(row[off : off+144])
		q := unsafe.Pointer(&row[off+16])
		for j := 0; j < 8; j += 2 {
			d0, m0 := bc8(f[j]), bc8(f[8+j])
			d1, m1 := bc8(f[j+1]), bc8(f[9+j])
			for k := uintptr(0); k < 4; k++ {
				v := bytes8(unsafe.Add(q, 8*k))
				st8(unsafe.Add(pd, 32*k), u2f8(v.And(m15)).Mul(d0).Sub(m0))
				st8(unsafe.Add(pd, 128+32*k), u2f8(v.ShiftAllRight(4)).Mul(d1).Sub(m1))
			}
			q, pd = unsafe.Add(q, 32), unsafe.Add(pd, 256)
		}
		off += 144
	}
}

func decQ6K_2(dst []float32, row []byte, k0 int) {
	checkDecode(k0, len(dst), 256, 210, len(row))
	if len(dst) == 0 {
		return
	}
	off := k0 / 256 * 210
	pd := unsafe.Pointer(&dst[0])
	m15, m48, c32 := bcu8(15), bcu8(48), bci8(32)
	for b := len(dst) / 256; b > 0; b-- {
		blk := row[off : off+210]
		d := f16Scale(blk[208:])
		for h := 0; h < 2; h++ {
			for k := 0; k < 32; k += 8 {
				l0 := bytes8(unsafe.Pointer(&blk[64*h+k]))
				l1 := bytes8(unsafe.Pointer(&blk[64*h+32+k]))
				hb := bytes8(unsafe.Pointer(&blk[128+32*h+k]))
				s := 8*h + k/16
				o := unsafe.Add(pd, 4*(128*h+k))
				st8(o, l0.And(m15).Or(hb.ShiftAllLeft(4).And(m48)).AsInt32x8().Sub(c32).ConvertToFloat32().Mul(bc8(d*float32(int8(blk[192+s])))))
				st8(unsafe.Add(o, 128), l1.And(m15).Or(hb.ShiftAllLeft(2).And(m48)).AsInt32x8().Sub(c32).ConvertToFloat32().Mul(bc8(d*float32(int8(blk[194+s])))))
				st8(unsafe.Add(o, 256), l0.ShiftAllRight(4).Or(hb.And(m48)).AsInt32x8().Sub(c32).ConvertToFloat32().Mul(bc8(d*float32(int8(blk[196+s])))))
				st8(unsafe.Add(o, 384), l1.ShiftAllRight(4).Or(hb.ShiftAllRight(2).And(m48)).AsInt32x8().Sub(c32).ConvertToFloat32().Mul(bc8(d*float32(int8(blk[198+s])))))
			}
		}
		off += 210
		pd = unsafe.Add(pd, 1024)
	}
}

// gemm2 is gemm512 in 8 lanes.
func gemm2(y []float32, ys int, w []float32, ws, rows int, x []float32, xs, n, k int) {
	checkGemm(y, ys, w, ws, rows, x, xs, n, k)
	k8 := k &^ 7
	pw := unsafe.Pointer(unsafe.SliceData(w))
	px := unsafe.Pointer(unsafe.SliceData(x))
	wst, xst := uintptr(ws)*4, uintptr(xs)*4
	for r := 0; r < rows; r += 4 {
		nr := min(4, rows-r)
		for i := 0; i < n; i += 2 {
			ni := min(2, n-i)
			w0 := unsafe.Add(pw, uintptr(r)*wst)
			x0 := unsafe.Add(px, uintptr(i)*xst)
			// Missing rows and activations repeat the first (stride 0)
			// and are not stored.
			rs, is := wst, xst
			if nr < 4 {
				rs = 0
			}
			if ni < 2 {
				is = 0
			}
			var s [4][2]float32
			if nr == 4 || nr == 1 {
				s = g4x2x8(w0, rs, x0, is, k8)
			} else {
				for j := 0; j < nr; j++ {
					t := g4x2x8(unsafe.Add(w0, uintptr(j)*wst), 0, x0, is, k8)
					s[j] = t[0]
				}
			}
			for j := 0; j < nr; j++ {
				wr := w[(r+j)*ws:]
				for g := 0; g < ni; g++ {
					xr := x[(i+g)*xs:]
					t := s[j][g]
					for c := k8; c < k; c++ {
						t += wr[c] * xr[c]
					}
					y[(i+g)*ys+r+j] += t
				}
			}
		}
	}
}

//go:noinline
func g4x2x8(w unsafe.Pointer, ws uintptr, x unsafe.Pointer, xs uintptr, k8 int) (s [4][2]float32) {
	var a00, a01, a10, a11, a20, a21, a30, a31 f32x8
	for c := 0; c < k8; c += 8 {
		w0, w1, w2, w3 := ld8(w), ld8(unsafe.Add(w, ws)), ld8(unsafe.Add(w, 2*ws)), ld8(unsafe.Add(w, 3*ws))
		a00 = ld8(x).MulAdd(w0, a00)
		a10 = ld8(x).MulAdd(w1, a10)
		a20 = ld8(x).MulAdd(w2, a20)
		a30 = ld8(x).MulAdd(w3, a30)
		x1 := unsafe.Add(x, xs)
		a01 = ld8(x1).MulAdd(w0, a01)
		a11 = ld8(x1).MulAdd(w1, a11)
		a21 = ld8(x1).MulAdd(w2, a21)
		a31 = ld8(x1).MulAdd(w3, a31)
		w, x = unsafe.Add(w, 32), unsafe.Add(x, 32)
	}
	s[0][0], s[0][1] = hsum8(a00), hsum8(a01)
	s[1][0], s[1][1] = hsum8(a10), hsum8(a11)
	s[2][0], s[2][1] = hsum8(a20), hsum8(a21)
	s[3][0], s[3][1] = hsum8(a30), hsum8(a31)
	return s
}

// quantQ8_2 is quantQ8_512 in 8 lanes, narrowing to bytes in scalar code.
func quantQ8_2(dst *Q8Row, x []float32) {
	k := len(x) / 32 * 32
	checkQ8(dst, k)
	abs := bci8(0x7fffffff)
	var q [32]int32
	for b := 0; b < k/32; b++ {
		p := unsafe.Pointer(&x[32*b])
		var v [4]f32x8
		m := bc8(0)
		for j := range v {
			v[j] = ld8(unsafe.Add(p, 32*j))
			m = m.Max(v[j].AsInt32x8().And(abs).AsFloat32x8())
		}
		var mb [8]float32
		m.Store(&mb)
		amax := mb[0]
		for _, f := range mb[1:] {
			amax = max(amax, f)
		}
		d, id := amax/127, float32(0)
		if amax != 0 {
			id = 127 / amax
		}
		vid := bc8(id)
		for j := range v {
			v[j].Mul(vid).RoundToEven().ConvertToInt32().Store((*[8]int32)(q[8*j:]))
		}
		var s0, s1 int32
		for i, c := range q[:16] {
			dst.Q[32*b+i] = int8(c)
			s0 += c
		}
		for i, c := range q[16:] {
			dst.Q[32*b+16+i] = int8(c)
			s1 += c
		}
		dst.D[b], dst.S[b] = d, d*float32(s0+s1)
		dst.Sum16[2*b], dst.Sum16[2*b+1] = int16(s0), int16(s1)
	}
}
