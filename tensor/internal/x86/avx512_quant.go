//go:build goexperiment.simd && amd64

package x86

import (
	"simd/archsimd"
	"unsafe"
)

// Products and decoders of the GGUF block formats with float32
// activations. Decoders give the reference's bits; products widen the
// integer quants to float32 and apply the block scale once per block.

type u32x16 = archsimd.Uint32x16

func bcu16(v uint32) u32x16 { return archsimd.BroadcastUint32x16(v) }

// bytes16 zero-extends the 16 bytes at p.
func bytes16(p unsafe.Pointer) u32x16 {
	return archsimd.LoadUint8x16((*[16]uint8)(p)).ExtendToUint32()
}

// sbytes16 sign-extends the 16 bytes at p and converts them to float32.
func sbytes16(p unsafe.Pointer) f32x16 {
	return archsimd.LoadInt8x16((*[16]int8)(p)).ExtendToInt32().ConvertToFloat32()
}

func u2f(v u32x16) f32x16 { return v.AsInt32x16().ConvertToFloat32() }

func f16p(p unsafe.Pointer) float32 {
	return f16Scale(unsafe.Slice((*byte)(p), 2))
}

// Q8_0: f16 d, int8 q[32].

func mvQ8_0_512(y []float32, w []byte, rowBytes int, x []float32) {
	nb := len(x) / 32
	checkMat(len(y), len(w), rowBytes, nb*34)
	rb := uintptr(rowBytes)
	r := 0
	for ; r+2 <= len(y); r += 2 {
		p := unsafe.Pointer(&w[r*rowBytes])
		px := unsafe.Pointer(unsafe.SliceData(x))
		var a0, a1 f32x16
		for b := nb; b > 0; b-- {
			x0, x1 := ld16(px), ld16(unsafe.Add(px, 64))
			t := sbytes16(unsafe.Add(p, 2)).Mul(x0)
			t = sbytes16(unsafe.Add(p, 18)).MulAdd(x1, t)
			a0 = t.MulAdd(bc16(f16p(p)), a0)
			q := unsafe.Add(p, rb)
			t = sbytes16(unsafe.Add(q, 2)).Mul(x0)
			t = sbytes16(unsafe.Add(q, 18)).MulAdd(x1, t)
			a1 = t.MulAdd(bc16(f16p(q)), a1)
			p, px = unsafe.Add(p, 34), unsafe.Add(px, 128)
		}
		y[r], y[r+1] = hsum16(a0), hsum16(a1)
	}
	if r < len(y) {
		p := unsafe.Pointer(&w[r*rowBytes])
		px := unsafe.Pointer(unsafe.SliceData(x))
		var a0 f32x16
		for b := nb; b > 0; b-- {
			t := sbytes16(unsafe.Add(p, 2)).Mul(ld16(px))
			t = sbytes16(unsafe.Add(p, 18)).MulAdd(ld16(unsafe.Add(px, 64)), t)
			a0 = t.MulAdd(bc16(f16p(p)), a0)
			p, px = unsafe.Add(p, 34), unsafe.Add(px, 128)
		}
		y[r] = hsum16(a0)
	}
}

func decQ8_0_512(dst []float32, row []byte, k0 int) {
	checkDecode(k0, len(dst), 32, 34, len(row))
	if len(dst) == 0 {
		return
	}
	p := unsafe.Pointer(&row[k0/32*34])
	pd := unsafe.Pointer(unsafe.SliceData(dst))
	for b := len(dst) / 32; b > 0; b-- {
		d := bc16(f16p(p))
		st16(pd, sbytes16(unsafe.Add(p, 2)).Mul(d))
		st16(unsafe.Add(pd, 64), sbytes16(unsafe.Add(p, 18)).Mul(d))
		p, pd = unsafe.Add(p, 34), unsafe.Add(pd, 128)
	}
}

// Q4_0: f16 d, qs[16]; element j is the low nibble of qs[j], element j+16
// the high nibble; w = d·(q-8). The products fold the -8 into the
// activations: Σ (q-8)·x = Σ q·x - 8·Σ x, with Σ x shared by the rows.

func mvQ4_0_512(y []float32, w []byte, rowBytes int, x []float32) {
	nb := len(x) / 32
	checkMat(len(y), len(w), rowBytes, nb*18)
	rb := uintptr(rowBytes)
	m15, m8 := bcu16(15), bc16(-8)
	r := 0
	for ; r+2 <= len(y); r += 2 {
		p := unsafe.Pointer(&w[r*rowBytes])
		px := unsafe.Pointer(unsafe.SliceData(x))
		var a0, a1 f32x16
		for b := nb; b > 0; b-- {
			x0, x1 := ld16(px), ld16(unsafe.Add(px, 64))
			xs := x0.Add(x1).Mul(m8)
			q := bytes16(unsafe.Add(p, 2))
			t := u2f(q.And(m15)).MulAdd(x0, xs)
			t = u2f(q.ShiftAllRight(4)).MulAdd(x1, t)
			a0 = t.MulAdd(bc16(f16p(p)), a0)
			p1 := unsafe.Add(p, rb)
			q = bytes16(unsafe.Add(p1, 2))
			t = u2f(q.And(m15)).MulAdd(x0, xs)
			t = u2f(q.ShiftAllRight(4)).MulAdd(x1, t)
			a1 = t.MulAdd(bc16(f16p(p1)), a1)
			p, px = unsafe.Add(p, 18), unsafe.Add(px, 128)
		}
		y[r], y[r+1] = hsum16(a0), hsum16(a1)
	}
	if r < len(y) {
		p := unsafe.Pointer(&w[r*rowBytes])
		px := unsafe.Pointer(unsafe.SliceData(x))
		var a0 f32x16
		for b := nb; b > 0; b-- {
			x0, x1 := ld16(px), ld16(unsafe.Add(px, 64))
			q := bytes16(unsafe.Add(p, 2))
			t := u2f(q.And(m15)).MulAdd(x0, x0.Add(x1).Mul(m8))
			t = u2f(q.ShiftAllRight(4)).MulAdd(x1, t)
			a0 = t.MulAdd(bc16(f16p(p)), a0)
			p, px = unsafe.Add(p, 18), unsafe.Add(px, 128)
		}
		y[r] = hsum16(a0)
	}
}

func decQ4_0_512(dst []float32, row []byte, k0 int) {
	checkDecode(k0, len(dst), 32, 18, len(row))
	if len(dst) == 0 {
		return
	}
	p := unsafe.Pointer(&row[k0/32*18])
	pd := unsafe.Pointer(unsafe.SliceData(dst))
	m15, c8 := bcu16(15), archsimd.BroadcastInt32x16(8)
	for b := len(dst) / 32; b > 0; b-- {
		d := bc16(f16p(p))
		q := bytes16(unsafe.Add(p, 2))
		st16(pd, q.And(m15).AsInt32x16().Sub(c8).ConvertToFloat32().Mul(d))
		st16(unsafe.Add(pd, 64), q.ShiftAllRight(4).AsInt32x16().Sub(c8).ConvertToFloat32().Mul(d))
		p, pd = unsafe.Add(p, 18), unsafe.Add(pd, 128)
	}
}

// Q5_0: f16 d, u32 qh, qs[16]; bit 4 of element j is bit j of qh;
// w = d·(q-16).

var laneIndex = [16]uint32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}

// q5Lanes returns the 5-bit quants of elements 0-15 and 16-31 of the
// block at p.
func q5Lanes(p unsafe.Pointer, idx u32x16) (lo, hi u32x16) {
	m15, one := bcu16(15), bcu16(1)
	qh := bcu16(*(*uint32)(unsafe.Add(p, 2)))
	q := bytes16(unsafe.Add(p, 6))
	lo = q.And(m15).Or(qh.ShiftRight(idx).And(one).ShiftAllLeft(4))
	hi = q.ShiftAllRight(4).Or(qh.ShiftAllRight(16).ShiftRight(idx).And(one).ShiftAllLeft(4))
	return lo, hi
}

func mvQ5_0_512(y []float32, w []byte, rowBytes int, x []float32) {
	nb := len(x) / 32
	checkMat(len(y), len(w), rowBytes, nb*22)
	idx := archsimd.LoadUint32x16(&laneIndex)
	m16 := bc16(-16)
	for r := range y {
		p := unsafe.Pointer(&w[r*rowBytes])
		px := unsafe.Pointer(unsafe.SliceData(x))
		var a0 f32x16
		for b := nb; b > 0; b-- {
			x0, x1 := ld16(px), ld16(unsafe.Add(px, 64))
			lo, hi := q5Lanes(p, idx)
			t := u2f(lo).MulAdd(x0, x0.Add(x1).Mul(m16))
			t = u2f(hi).MulAdd(x1, t)
			a0 = t.MulAdd(bc16(f16p(p)), a0)
			p, px = unsafe.Add(p, 22), unsafe.Add(px, 128)
		}
		y[r] = hsum16(a0)
	}
}

func decQ5_0_512(dst []float32, row []byte, k0 int) {
	checkDecode(k0, len(dst), 32, 22, len(row))
	if len(dst) == 0 {
		return
	}
	p := unsafe.Pointer(&row[k0/32*22])
	pd := unsafe.Pointer(unsafe.SliceData(dst))
	idx := archsimd.LoadUint32x16(&laneIndex)
	c16 := archsimd.BroadcastInt32x16(16)
	for b := len(dst) / 32; b > 0; b-- {
		d := bc16(f16p(p))
		lo, hi := q5Lanes(p, idx)
		st16(pd, lo.AsInt32x16().Sub(c16).ConvertToFloat32().Mul(d))
		st16(unsafe.Add(pd, 64), hi.AsInt32x16().Sub(c16).ConvertToFloat32().Mul(d))
		p, pd = unsafe.Add(p, 22), unsafe.Add(pd, 128)
	}
}

// Q4_K: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, qs[128] per
// 256 values; qs[32c+l] holds element 64c+l (low nibble) and 64c+32+l
// (high nibble); w = d·sc·q - dmin·m, in that order of roundings.

// q4kScales returns the eight sub-block factors d·sc and dmin·m of the
// super-block at p.
func q4kScales(p unsafe.Pointer) (ds, ms [8]float32) {
	b := unsafe.Slice((*byte)(p), 16)
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
		ds[j], ms[j] = d*float32(sc), dmin*float32(m)
	}
	return ds, ms
}

func mvQ4K_512(y []float32, w []byte, rowBytes int, x []float32) {
	nb := len(x) / 256
	checkMat(len(y), len(w), rowBytes, nb*144)
	m15 := bcu16(15)
	for r := range y {
		p := unsafe.Pointer(&w[r*rowBytes])
		px := unsafe.Pointer(unsafe.SliceData(x))
		var a0, a1 f32x16
		for b := nb; b > 0; b-- {
			ds, ms := q4kScales(p)
			q := unsafe.Add(p, 16)
			for c := 0; c < 4; c++ {
				qa, qb := bytes16(q), bytes16(unsafe.Add(q, 16))
				d, m := bc16(ds[2*c]), bc16(ms[2*c])
				a0 = u2f(qa.And(m15)).Mul(d).Sub(m).MulAdd(ld16(px), a0)
				a1 = u2f(qb.And(m15)).Mul(d).Sub(m).MulAdd(ld16(unsafe.Add(px, 64)), a1)
				d, m = bc16(ds[2*c+1]), bc16(ms[2*c+1])
				a0 = u2f(qa.ShiftAllRight(4)).Mul(d).Sub(m).MulAdd(ld16(unsafe.Add(px, 128)), a0)
				a1 = u2f(qb.ShiftAllRight(4)).Mul(d).Sub(m).MulAdd(ld16(unsafe.Add(px, 192)), a1)
				q, px = unsafe.Add(q, 32), unsafe.Add(px, 256)
			}
			p = unsafe.Add(p, 144)
		}
		y[r] = hsum16(a0.Add(a1))
	}
}

func decQ4K_512(dst []float32, row []byte, k0 int) {
	checkDecode(k0, len(dst), 256, 144, len(row))
	if len(dst) == 0 {
		return
	}
	p := unsafe.Pointer(&row[k0/256*144])
	pd := unsafe.Pointer(unsafe.SliceData(dst))
	m15 := bcu16(15)
	for b := len(dst) / 256; b > 0; b-- {
		ds, ms := q4kScales(p)
		q := unsafe.Add(p, 16)
		for c := 0; c < 4; c++ {
			qa, qb := bytes16(q), bytes16(unsafe.Add(q, 16))
			d, m := bc16(ds[2*c]), bc16(ms[2*c])
			st16(pd, u2f(qa.And(m15)).Mul(d).Sub(m))
			st16(unsafe.Add(pd, 64), u2f(qb.And(m15)).Mul(d).Sub(m))
			d, m = bc16(ds[2*c+1]), bc16(ms[2*c+1])
			st16(unsafe.Add(pd, 128), u2f(qa.ShiftAllRight(4)).Mul(d).Sub(m))
			st16(unsafe.Add(pd, 192), u2f(qb.ShiftAllRight(4)).Mul(d).Sub(m))
			q, pd = unsafe.Add(q, 32), unsafe.Add(pd, 256)
		}
		p = unsafe.Add(p, 144)
	}
}

// Q6_K: ql[128], qh[64], int8 scales[16], f16 d per 256 values. For half
// h and k < 32, ql[64h+k], ql[64h+32+k] and qh[32h+k] hold elements
// 128h+k, +32, +64 and +96; w = d·sc·(q-32), in that order of roundings.

// q6kLanes returns the four 16-lane groups of 6-bit quants (minus 32) at
// ql, ql+32 and qh: elements +0, +32, +64 and +96 of the half.
func q6kLanes(ql, qh unsafe.Pointer) (q1, q2, q3, q4 archsimd.Int32x16) {
	m15, m48 := bcu16(15), bcu16(48)
	l0, l1, h := bytes16(ql), bytes16(unsafe.Add(ql, 32)), bytes16(qh)
	c32 := archsimd.BroadcastInt32x16(32)
	q1 = l0.And(m15).Or(h.ShiftAllLeft(4).And(m48)).AsInt32x16().Sub(c32)
	q2 = l1.And(m15).Or(h.ShiftAllLeft(2).And(m48)).AsInt32x16().Sub(c32)
	q3 = l0.ShiftAllRight(4).Or(h.And(m48)).AsInt32x16().Sub(c32)
	q4 = l1.ShiftAllRight(4).Or(h.ShiftAllRight(2).And(m48)).AsInt32x16().Sub(c32)
	return
}

func q6kFactors(p unsafe.Pointer) (f [16]float32) {
	b := unsafe.Slice((*byte)(p), 210)
	d := f16Scale(b[208:])
	for i := range f {
		f[i] = d * float32(int8(b[192+i]))
	}
	return f
}

func mvQ6K_512(y []float32, w []byte, rowBytes int, x []float32) {
	nb := len(x) / 256
	checkMat(len(y), len(w), rowBytes, nb*210)
	for r := range y {
		p := unsafe.Pointer(&w[r*rowBytes])
		px := unsafe.Pointer(unsafe.SliceData(x))
		var a0, a1 f32x16
		for b := nb; b > 0; b-- {
			f := q6kFactors(p)
			for h := 0; h < 2; h++ {
				for k := 0; k < 2; k++ {
					off := uintptr(64*h + 16*k)
					q1, q2, q3, q4 := q6kLanes(unsafe.Add(p, off), unsafe.Add(p, 128+uintptr(32*h+16*k)))
					s := 8*h + k
					xp := unsafe.Add(px, 4*(128*h+16*k))
					a0 = q1.ConvertToFloat32().Mul(bc16(f[s])).MulAdd(ld16(xp), a0)
					a1 = q2.ConvertToFloat32().Mul(bc16(f[s+2])).MulAdd(ld16(unsafe.Add(xp, 128)), a1)
					a0 = q3.ConvertToFloat32().Mul(bc16(f[s+4])).MulAdd(ld16(unsafe.Add(xp, 256)), a0)
					a1 = q4.ConvertToFloat32().Mul(bc16(f[s+6])).MulAdd(ld16(unsafe.Add(xp, 384)), a1)
				}
			}
			p, px = unsafe.Add(p, 210), unsafe.Add(px, 1024)
		}
		y[r] = hsum16(a0.Add(a1))
	}
}

func decQ6K_512(dst []float32, row []byte, k0 int) {
	checkDecode(k0, len(dst), 256, 210, len(row))
	if len(dst) == 0 {
		return
	}
	p := unsafe.Pointer(&row[k0/256*210])
	pd := unsafe.Pointer(unsafe.SliceData(dst))
	for b := len(dst) / 256; b > 0; b-- {
		f := q6kFactors(p)
		for h := 0; h < 2; h++ {
			for k := 0; k < 2; k++ {
				q1, q2, q3, q4 := q6kLanes(unsafe.Add(p, uintptr(64*h+16*k)), unsafe.Add(p, 128+uintptr(32*h+16*k)))
				s := 8*h + k
				o := unsafe.Add(pd, 4*(128*h+16*k))
				st16(o, q1.ConvertToFloat32().Mul(bc16(f[s])))
				st16(unsafe.Add(o, 128), q2.ConvertToFloat32().Mul(bc16(f[s+2])))
				st16(unsafe.Add(o, 256), q3.ConvertToFloat32().Mul(bc16(f[s+4])))
				st16(unsafe.Add(o, 384), q4.ConvertToFloat32().Mul(bc16(f[s+6])))
			}
		}
		p, pd = unsafe.Add(p, 210), unsafe.Add(pd, 1024)
	}
}
