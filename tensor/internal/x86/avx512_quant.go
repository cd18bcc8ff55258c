//go:build goexperiment.simd && amd64

package x86

import (
	"math"
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

// f16p is f16Scale of the two bytes at p.
func f16p(p unsafe.Pointer) float32 {
	h := uint32(int32(*(*int16)(p))) << 13
	return math.Float32frombits(h&0x8fffe000) * 0x1p112
}

// Q8_0: f16 d, int8 q[32].

//go:noinline
func q8_0Run4(p unsafe.Pointer, rb uintptr, px unsafe.Pointer, nb int, a0, a1, a2, a3 f32x16) (f32x16, f32x16, f32x16, f32x16) {
	for ; nb > 0; nb-- {
		x0, x1 := ld16(px), ld16(unsafe.Add(px, 64))
		t := sbytes16(unsafe.Add(p, 2)).Mul(x0)
		t = sbytes16(unsafe.Add(p, 18)).MulAdd(x1, t)
		a0 = t.MulAdd(bc16(f16p(p)), a0)
		t = sbytes16(unsafe.Add(unsafe.Add(p, rb), 2)).Mul(x0)
		t = sbytes16(unsafe.Add(unsafe.Add(p, rb), 18)).MulAdd(x1, t)
		a1 = t.MulAdd(bc16(f16p(unsafe.Add(p, rb))), a1)
		t = sbytes16(unsafe.Add(unsafe.Add(p, 2*rb), 2)).Mul(x0)
		t = sbytes16(unsafe.Add(unsafe.Add(p, 2*rb), 18)).MulAdd(x1, t)
		a2 = t.MulAdd(bc16(f16p(unsafe.Add(p, 2*rb))), a2)
		t = sbytes16(unsafe.Add(unsafe.Add(p, 3*rb), 2)).Mul(x0)
		t = sbytes16(unsafe.Add(unsafe.Add(p, 3*rb), 18)).MulAdd(x1, t)
		a3 = t.MulAdd(bc16(f16p(unsafe.Add(p, 3*rb))), a3)
		p, px = unsafe.Add(p, 34), unsafe.Add(px, 128)
	}
	return a0, a1, a2, a3
}

func mvQ8_0_512(y []float32, w []byte, rowBytes int, x []float32) {
	nb := len(x) / 32
	checkMat(len(y), len(w), rowBytes, nb*34)
	quadRows(y, w, rowBytes, x, nb, q8_0Run4)
}

// quadRows runs a four-row leaf loop over the rows; a last group of fewer
// rows runs the leaf on each of them alone (stride 0). Four rows share
// each load of the activations, which as float32 are more bytes than the
// weights of one row.
func quadRows(y []float32, w []byte, rowBytes int, x []float32, nb int,
	run4 func(p unsafe.Pointer, rb uintptr, px unsafe.Pointer, nb int, a0, a1, a2, a3 f32x16) (f32x16, f32x16, f32x16, f32x16)) {
	px := unsafe.Pointer(unsafe.SliceData(x))
	for r := 0; r < len(y); r += 4 {
		var a [4]f32x16
		if r+4 <= len(y) {
			a[0], a[1], a[2], a[3] = run4(unsafe.Pointer(&w[r*rowBytes]), uintptr(rowBytes), px, nb, a[0], a[1], a[2], a[3])
			y[r], y[r+1], y[r+2], y[r+3] = hsum16(a[0]), hsum16(a[1]), hsum16(a[2]), hsum16(a[3])
			continue
		}
		for j := r; j < len(y); j++ {
			var z f32x16
			a[0], _, _, _ = run4(unsafe.Pointer(&w[j*rowBytes]), 0, px, nb, z, z, z, z)
			y[j] = hsum16(a[0])
		}
	}
}

// pairRows runs a two-row leaf loop over the rows (the last one twice when
// their number is odd).
func pairRows(y []float32, w []byte, rowBytes int, x []float32, nb int,
	run2 func(p unsafe.Pointer, rb uintptr, px unsafe.Pointer, nb int, a0, a1 f32x16) (f32x16, f32x16)) {
	px := unsafe.Pointer(unsafe.SliceData(x))
	for r := 0; r < len(y); r += 2 {
		rb := uintptr(rowBytes)
		if r+1 == len(y) {
			rb = 0
		}
		var a0, a1 f32x16
		a0, a1 = run2(unsafe.Pointer(&w[r*rowBytes]), rb, px, nb, a0, a1)
		y[r] = hsum16(a0)
		if rb != 0 {
			y[r+1] = hsum16(a1)
		}
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

//go:noinline
func q4_0Run4(p unsafe.Pointer, rb uintptr, px unsafe.Pointer, nb int, a0, a1, a2, a3 f32x16) (f32x16, f32x16, f32x16, f32x16) {
	m15, m8 := bcu16(15), bc16(-8)
	for ; nb > 0; nb-- {
		x0, x1 := ld16(px), ld16(unsafe.Add(px, 64))
		xs := x0.Add(x1).Mul(m8)
		v := bytes16(unsafe.Add(p, 2))
		t := u2f(v.And(m15)).MulAdd(x0, xs)
		t = u2f(v.ShiftAllRight(4)).MulAdd(x1, t)
		a0 = t.MulAdd(bc16(f16p(p)), a0)
		v = bytes16(unsafe.Add(unsafe.Add(p, rb), 2))
		t = u2f(v.And(m15)).MulAdd(x0, xs)
		t = u2f(v.ShiftAllRight(4)).MulAdd(x1, t)
		a1 = t.MulAdd(bc16(f16p(unsafe.Add(p, rb))), a1)
		v = bytes16(unsafe.Add(unsafe.Add(p, 2*rb), 2))
		t = u2f(v.And(m15)).MulAdd(x0, xs)
		t = u2f(v.ShiftAllRight(4)).MulAdd(x1, t)
		a2 = t.MulAdd(bc16(f16p(unsafe.Add(p, 2*rb))), a2)
		v = bytes16(unsafe.Add(unsafe.Add(p, 3*rb), 2))
		t = u2f(v.And(m15)).MulAdd(x0, xs)
		t = u2f(v.ShiftAllRight(4)).MulAdd(x1, t)
		a3 = t.MulAdd(bc16(f16p(unsafe.Add(p, 3*rb))), a3)
		p, px = unsafe.Add(p, 18), unsafe.Add(px, 128)
	}
	return a0, a1, a2, a3
}

func mvQ4_0_512(y []float32, w []byte, rowBytes int, x []float32) {
	nb := len(x) / 32
	checkMat(len(y), len(w), rowBytes, nb*18)
	quadRows(y, w, rowBytes, x, nb, q4_0Run4)
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

//go:noinline
func q5_0Run2(p unsafe.Pointer, rb uintptr, px unsafe.Pointer, nb int, a0, a1 f32x16) (f32x16, f32x16) {
	idx := archsimd.LoadUint32x16(&laneIndex)
	m16 := bc16(-16)
	for ; nb > 0; nb-- {
		x0, x1 := ld16(px), ld16(unsafe.Add(px, 64))
		q := unsafe.Add(p, rb)
		xs := x0.Add(x1).Mul(m16)
		lo, hi := q5Lanes(p, idx)
		t := u2f(lo).MulAdd(x0, xs)
		t = u2f(hi).MulAdd(x1, t)
		a0 = t.MulAdd(bc16(f16p(p)), a0)
		lo, hi = q5Lanes(q, idx)
		t = u2f(lo).MulAdd(x0, xs)
		t = u2f(hi).MulAdd(x1, t)
		a1 = t.MulAdd(bc16(f16p(q)), a1)
		p, px = unsafe.Add(p, 22), unsafe.Add(px, 128)
	}
	return a0, a1
}

func mvQ5_0_512(y []float32, w []byte, rowBytes int, x []float32) {
	nb := len(x) / 32
	checkMat(len(y), len(w), rowBytes, nb*22)
	pairRows(y, w, rowBytes, x, nb, q5_0Run2)
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

// q4kConsts holds the shuffles and masks that unpack Q4_K's 6-bit scales
// and mins in a vector (see q4kFactorVec).
type q4kConsts struct {
	idxA, idxB        archsimd.Int8x16
	mLow, mHigh, mTop archsimd.Uint8x16
}

func (c *q4kConsts) init() {
	// Bytes 4-15 of a super-block are s[0..11]; the outputs are sc 0-7
	// then m 0-7, where for j < 4 sc = s[j]&63 and m = s[j+4]&63, and for
	// j >= 4 sc = s[j+4]&15 | s[j-4]>>6<<4 and m = s[j+4]>>4 | s[j]>>6<<4.
	c.idxA = archsimd.LoadInt8x16(&[16]int8{4, 5, 6, 7, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15})
	c.idxB = archsimd.LoadInt8x16(&[16]int8{-1, -1, -1, -1, 4, 5, 6, 7, -1, -1, -1, -1, 8, 9, 10, 11})
	c.mLow = archsimd.LoadUint8x16(&[16]uint8{63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 0, 0, 0, 0})
	c.mHigh = archsimd.LoadUint8x16(&[16]uint8{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 15, 15, 15, 15})
	c.mTop = archsimd.LoadUint8x16(&[16]uint8{0, 0, 0, 0, 48, 48, 48, 48, 0, 0, 0, 0, 48, 48, 48, 48})
}

// q4kFactorVec returns the sub-block factors of the super-block at p:
// d·sc for sub-blocks 0-7, then dmin·m for 0-7, unpacked in registers.
func q4kFactorVec(p unsafe.Pointer, c *q4kConsts) f32x16 {
	v := archsimd.LoadUint8x16((*[16]uint8)(p))
	a := v.PermuteOrZero(c.idxA)
	b := v.PermuteOrZero(c.idxB)
	q := a.And(c.mLow).
		Or(a.AsUint16x8().ShiftAllRight(4).AsUint8x16().And(c.mHigh)).
		Or(b.AsUint16x8().ShiftAllRight(2).AsUint8x16().And(c.mTop))
	ds := bc16(f16p(p)).SetHi(archsimd.BroadcastFloat32x8(f16p(unsafe.Add(p, 2))))
	return u2f(q.ExtendToUint32()).Mul(ds)
}

//go:noinline
func q4kRow(p, px unsafe.Pointer, nb int) f32x16 {
	m15 := bcu16(15)
	var c q4kConsts
	c.init()
	var a0, a1 f32x16
	for ; nb > 0; nb-- {
		var f [16]float32
		q4kFactorVec(p, &c).Store(&f)
		q := unsafe.Add(p, 16)
		for j := 0; j < 8; j += 2 {
			qa, qb := bytes16(q), bytes16(unsafe.Add(q, 16))
			d, m := bc16(f[j]), bc16(f[8+j])
			a0 = u2f(qa.And(m15)).Mul(d).Sub(m).MulAdd(ld16(px), a0)
			a1 = u2f(qb.And(m15)).Mul(d).Sub(m).MulAdd(ld16(unsafe.Add(px, 64)), a1)
			d, m = bc16(f[j+1]), bc16(f[9+j])
			a0 = u2f(qa.ShiftAllRight(4)).Mul(d).Sub(m).MulAdd(ld16(unsafe.Add(px, 128)), a0)
			a1 = u2f(qb.ShiftAllRight(4)).Mul(d).Sub(m).MulAdd(ld16(unsafe.Add(px, 192)), a1)
			q, px = unsafe.Add(q, 32), unsafe.Add(px, 256)
		}
		p = unsafe.Add(p, 144)
	}
	return a0.Add(a1)
}

func mvQ4K_512(y []float32, w []byte, rowBytes int, x []float32) {
	nb := len(x) / 256
	checkMat(len(y), len(w), rowBytes, nb*144)
	px := unsafe.Pointer(unsafe.SliceData(x))
	for r := range y {
		y[r] = hsum16(q4kRow(unsafe.Pointer(&w[r*rowBytes]), px, nb))
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
	var c q4kConsts
	c.init()
	for b := len(dst) / 256; b > 0; b-- {
		var f [16]float32
		q4kFactorVec(p, &c).Store(&f)
		q := unsafe.Add(p, 16)
		for c := 0; c < 4; c++ {
			qa, qb := bytes16(q), bytes16(unsafe.Add(q, 16))
			d, m := bc16(f[2*c]), bc16(f[8+2*c])
			st16(pd, u2f(qa.And(m15)).Mul(d).Sub(m))
			st16(unsafe.Add(pd, 64), u2f(qb.And(m15)).Mul(d).Sub(m))
			d, m = bc16(f[2*c+1]), bc16(f[9+2*c])
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

// q6kFactors returns d·sc for the 16 sub-blocks of the super-block at p.
func q6kFactors(p unsafe.Pointer) (f [16]float32) {
	b := unsafe.Slice((*byte)(p), 210)
	sc := archsimd.LoadInt8x16((*[16]int8)(unsafe.Pointer(&b[192]))).ExtendToInt32().ConvertToFloat32()
	sc.Mul(bc16(f16Scale(b[208:]))).Store(&f)
	return f
}

//go:noinline
func q6kRow(p, px unsafe.Pointer, nb int) f32x16 {
	var a0, a1 f32x16
	for ; nb > 0; nb-- {
		f := q6kFactors(p)
		ql, qh := p, unsafe.Add(p, 128)
		for s := 0; s < 16; s += 8 { // halves of 128 values
			for k := 0; k < 2; k++ {
				q1, q2, q3, q4 := q6kLanes(ql, qh)
				a0 = q1.ConvertToFloat32().Mul(bc16(f[s+k])).MulAdd(ld16(px), a0)
				a1 = q2.ConvertToFloat32().Mul(bc16(f[s+k+2])).MulAdd(ld16(unsafe.Add(px, 128)), a1)
				a0 = q3.ConvertToFloat32().Mul(bc16(f[s+k+4])).MulAdd(ld16(unsafe.Add(px, 256)), a0)
				a1 = q4.ConvertToFloat32().Mul(bc16(f[s+k+6])).MulAdd(ld16(unsafe.Add(px, 384)), a1)
				ql, qh, px = unsafe.Add(ql, 16), unsafe.Add(qh, 16), unsafe.Add(px, 64)
			}
			// The next half's ql is 64 bytes on, its values 128 on.
			ql, px = unsafe.Add(ql, 32), unsafe.Add(px, 384)
		}
		p = unsafe.Add(p, 210)
	}
	return a0.Add(a1)
}

func mvQ6K_512(y []float32, w []byte, rowBytes int, x []float32) {
	nb := len(x) / 256
	checkMat(len(y), len(w), rowBytes, nb*210)
	px := unsafe.Pointer(unsafe.SliceData(x))
	for r := range y {
		y[r] = hsum16(q6kRow(unsafe.Pointer(&w[r*rowBytes]), px, nb))
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
