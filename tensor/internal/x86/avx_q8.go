//go:build goexperiment.simd && amd64

package x86

import (
	"fmt"
	"simd/archsimd"
	"unsafe"
)

// Products of GGUF block formats with activations quantized to 8 bits
// (Q8Row), one 32-value block per 256-bit step: the integer quants meet
// the activation bytes in VPMADDUBSW/VPMADDWD (unsigned weight bytes times
// signed activation bytes, summed in int32), and each block's int32 sum
// is scaled by the weight and activation scales in float32. The offsets of
// Q4_0 (-8) and Q4_K (the mins) are applied once per block with the
// activation sums. These use AVX2 instructions only, so both the AVX2 and
// the AVX-512 sets run them.

type (
	f32x8 = archsimd.Float32x8
	u8x32 = archsimd.Uint8x32
	i8x32 = archsimd.Int8x32
)

func ld8(p unsafe.Pointer) f32x8 { return archsimd.LoadFloat32x8((*[8]float32)(p)) }

func bc8(f float32) f32x8 { return archsimd.BroadcastFloat32x8(f) }

func hsum8(v f32x8) float32 {
	a := v.GetLo().Add(v.GetHi())
	var buf [4]float32
	a.Store(&buf)
	return (buf[0] + buf[1]) + (buf[2] + buf[3])
}

func ldq(p unsafe.Pointer) i8x32 { return archsimd.LoadInt8x32((*[32]int8)(p)) }

// dotU8 returns the eight int32 sums of four products w·x as float32.
func dotU8(w u8x32, x i8x32, ones archsimd.Int16x16) f32x8 {
	return w.DotProductPairsSaturated(x).DotProductPairs(ones).ConvertToFloat32()
}

// nibbles32 returns the 32 quants of a Q4_0 block's 16 bytes at p: the
// low nibbles (values 0-15), then the high ones (16-31).
func nibbles32(p unsafe.Pointer, m15 u8x32) u8x32 {
	v := archsimd.LoadUint8x16((*[16]uint8)(p))
	return u8x32{}.SetLo(v).SetHi(v.AsUint16x8().ShiftAllRight(4).AsUint8x16()).And(m15)
}

// checkQ8 panics unless x holds k values.
func checkQ8(x *Q8Row, k int) {
	if len(x.Q) < k || len(x.D) < k/32 || len(x.S) < k/32 || len(x.Sum16) < k/16 {
		panic(fmt.Sprintf("x86: Q8 row of %d values for %d columns", len(x.Q), k))
	}
}

// Eight blocks at a time: each block's products become eight int32
// partial sums (VPMADDUBSW, VPMADDWD), a tree of horizontal adds turns the
// eight blocks' vectors into one vector of eight block sums, and the block
// scales multiply that vector at once. The scalar work per block is then
// only the collection of its f16 scale.

type i32x8 = archsimd.Int32x8

// reduce8 returns the lane sums of v0…v7, in order, as one vector.
func reduce8(v0, v1, v2, v3, v4, v5, v6, v7 i32x8) i32x8 {
	a := v0.AddPairsGrouped(v1).AddPairsGrouped(v2.AddPairsGrouped(v3))
	b := v4.AddPairsGrouped(v5).AddPairsGrouped(v6.AddPairsGrouped(v7))
	return a.Select128FromPair(0, 2, b).Add(a.Select128FromPair(1, 3, b))
}

// blockScales writes the f16 scales of n blocks stride bytes apart, as
// float32 bit patterns times 2^-112 (see f16Scale), to h. Collecting them
// in a pass before the products keeps those loads from waiting on
// just-issued stores.
func blockScales(h []int32, p unsafe.Pointer, stride uintptr) {
	for j := range h {
		h[j] = int32(*(*int16)(p)) << 13 & -0x70002000
		p = unsafe.Add(p, stride)
	}
}

// scaleChunk is how many blocks' scales one pass collects.
const scaleChunk = 64

// q4Sum is the eight partial sums of the products of the Q4_0 block at p
// with the 32 activation bytes at xq.
func q4Sum(p, xq unsafe.Pointer, m15 u8x32, ones archsimd.Int16x16) i32x8 {
	return nibbles32(unsafe.Add(p, 2), m15).DotProductPairsSaturated(ldq(xq)).DotProductPairs(ones)
}

// Q4_0 × Q8: Σ d·(q-8)·dx·qx = d·dx·Σ q·qx - 8·d·S.

//go:noinline
func q4_0q8Row(p, xq, xd, xs unsafe.Pointer, nb int) float32 {
	m15, ones := archsimd.BroadcastUint8x32(15), archsimd.BroadcastInt16x16(1)
	two112 := bc8(0x1p112)
	var acc, corr f32x8
	var h [scaleChunk]int32
	for nb >= 8 {
		n := min(nb, scaleChunk) &^ 7
		blockScales(h[:n], p, 18)
		for g := 0; g < n; g += 8 {
			d := archsimd.LoadInt32x8((*[8]int32)(h[g:])).AsFloat32x8().Mul(two112)
			s := reduce8(q4Sum(p, xq, m15, ones), q4Sum(unsafe.Add(p, 18), unsafe.Add(xq, 32), m15, ones),
				q4Sum(unsafe.Add(p, 36), unsafe.Add(xq, 64), m15, ones), q4Sum(unsafe.Add(p, 54), unsafe.Add(xq, 96), m15, ones),
				q4Sum(unsafe.Add(p, 72), unsafe.Add(xq, 128), m15, ones), q4Sum(unsafe.Add(p, 90), unsafe.Add(xq, 160), m15, ones),
				q4Sum(unsafe.Add(p, 108), unsafe.Add(xq, 192), m15, ones), q4Sum(unsafe.Add(p, 126), unsafe.Add(xq, 224), m15, ones))
			acc = s.ConvertToFloat32().MulAdd(d.Mul(ld8(xd)), acc)
			corr = d.MulAdd(ld8(xs), corr)
			p, xq, xd, xs = unsafe.Add(p, 144), unsafe.Add(xq, 256), unsafe.Add(xd, 32), unsafe.Add(xs, 32)
		}
		nb -= n
	}
	t := hsum8(acc) - 8*hsum8(corr)
	for ; nb > 0; nb-- {
		d := f16p(p)
		t += d * (*(*float32)(xd)*float32(isum8(q4Sum(p, xq, m15, ones))) - 8**(*float32)(xs))
		p, xq, xd, xs = unsafe.Add(p, 18), unsafe.Add(xq, 32), unsafe.Add(xd, 4), unsafe.Add(xs, 4)
	}
	return t
}

func isum8(v i32x8) int32 {
	var b [8]int32
	v.Store(&b)
	return ((b[0] + b[1]) + (b[2] + b[3])) + ((b[4] + b[5]) + (b[6] + b[7]))
}

func mvQ4_0q8(y []float32, w []byte, rowBytes int, x *Q8Row) {
	nb := len(x.Q) / 32
	checkQ8(x, nb*32)
	checkMat(len(y), len(w), rowBytes, nb*18)
	xq, xd, xs := unsafe.Pointer(&x.Q[0]), unsafe.Pointer(&x.D[0]), unsafe.Pointer(&x.S[0])
	for r := range y {
		y[r] = q4_0q8Row(unsafe.Pointer(&w[r*rowBytes]), xq, xd, xs, nb)
	}
}

// Q8_0 × Q8: signed times signed, as |w| times x with w's sign.

func q8Sum(p, xq unsafe.Pointer, ones archsimd.Int16x16) i32x8 {
	w := ldq(unsafe.Add(p, 2))
	return w.Abs().AsUint8x32().DotProductPairsSaturated(ldq(xq).CopySign(w)).DotProductPairs(ones)
}

//go:noinline
func q8_0q8Row(p, xq, xd unsafe.Pointer, nb int) float32 {
	ones := archsimd.BroadcastInt16x16(1)
	two112 := bc8(0x1p112)
	var acc f32x8
	var h [scaleChunk]int32
	for nb >= 8 {
		n := min(nb, scaleChunk) &^ 7
		blockScales(h[:n], p, 34)
		for g := 0; g < n; g += 8 {
			d := archsimd.LoadInt32x8((*[8]int32)(h[g:])).AsFloat32x8().Mul(two112)
			s := reduce8(q8Sum(p, xq, ones), q8Sum(unsafe.Add(p, 34), unsafe.Add(xq, 32), ones),
				q8Sum(unsafe.Add(p, 68), unsafe.Add(xq, 64), ones), q8Sum(unsafe.Add(p, 102), unsafe.Add(xq, 96), ones),
				q8Sum(unsafe.Add(p, 136), unsafe.Add(xq, 128), ones), q8Sum(unsafe.Add(p, 170), unsafe.Add(xq, 160), ones),
				q8Sum(unsafe.Add(p, 204), unsafe.Add(xq, 192), ones), q8Sum(unsafe.Add(p, 238), unsafe.Add(xq, 224), ones))
			acc = s.ConvertToFloat32().MulAdd(d.Mul(ld8(xd)), acc)
			p, xq, xd = unsafe.Add(p, 272), unsafe.Add(xq, 256), unsafe.Add(xd, 32)
		}
		nb -= n
	}
	t := hsum8(acc)
	for ; nb > 0; nb-- {
		t += f16p(p) * *(*float32)(xd) * float32(isum8(q8Sum(p, xq, ones)))
		p, xq, xd = unsafe.Add(p, 34), unsafe.Add(xq, 32), unsafe.Add(xd, 4)
	}
	return t
}

func mvQ8_0q8(y []float32, w []byte, rowBytes int, x *Q8Row) {
	nb := len(x.Q) / 32
	checkQ8(x, nb*32)
	checkMat(len(y), len(w), rowBytes, nb*34)
	xq, xd := unsafe.Pointer(&x.Q[0]), unsafe.Pointer(&x.D[0])
	for r := range y {
		y[r] = q8_0q8Row(unsafe.Pointer(&w[r*rowBytes]), xq, xd, nb)
	}
}

// Q4_K × Q8: sub-block j of a super-block is activation block j; its
// value is d·sc_j·dx_j·Σ q·qx - dmin·m_j·S_j. (AVX-512: the factors are
// widened in 16 lanes.)

//go:noinline
func q4kq8Row(p, xq, xd, xs unsafe.Pointer, nb int) float32 {
	m15, ones := archsimd.BroadcastUint8x32(15), archsimd.BroadcastInt16x16(1)
	var c q4kConsts
	c.init()
	var acc, corr f32x8
	for ; nb > 0; nb-- {
		f := q4kFactorVec(p, &c)
		q := unsafe.Add(p, 16)
		var v [8]i32x8
		for j := 0; j < 8; j += 2 {
			w := archsimd.LoadUint8x32((*[32]uint8)(q))
			v[j] = w.And(m15).DotProductPairsSaturated(ldq(xq)).DotProductPairs(ones)
			v[j+1] = w.AsUint16x16().ShiftAllRight(4).AsUint8x32().And(m15).DotProductPairsSaturated(ldq(unsafe.Add(xq, 32))).DotProductPairs(ones)
			q, xq = unsafe.Add(q, 32), unsafe.Add(xq, 64)
		}
		s := reduce8(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7])
		acc = s.ConvertToFloat32().MulAdd(f.GetLo().Mul(ld8(xd)), acc)
		corr = f.GetHi().MulAdd(ld8(xs), corr)
		p, xd, xs = unsafe.Add(p, 144), unsafe.Add(xd, 32), unsafe.Add(xs, 32)
	}
	return hsum8(acc) - hsum8(corr)
}

func mvQ4Kq8(y []float32, w []byte, rowBytes int, x *Q8Row) {
	nb := len(x.Q) / 256
	checkQ8(x, nb*256)
	checkMat(len(y), len(w), rowBytes, nb*144)
	xq, xd, xs := unsafe.Pointer(&x.Q[0]), unsafe.Pointer(&x.D[0]), unsafe.Pointer(&x.S[0])
	for r := range y {
		y[r] = q4kq8Row(unsafe.Pointer(&w[r*rowBytes]), xq, xd, xs, nb)
	}
}

// Q6_K × Q8: the quants of activation block 4h+t (t < 4) of half h come
// from ql[64h+32(t&1):+32] (low nibbles for t < 2, high ones after) and
// bits 2t, 2t+1 of qh[32h:+32]; the block's two groups of 16 have the
// scales sc[8h+2t] and sc[8h+2t+1]. A block's partial sums are per group
// (lanes 0-3 and 4-7), so the reduction yields [group 0 of blocks 0-3 |
// group 1 of blocks 0-3] and the same for blocks 4-7. The -32 offset is
// applied with the activation sums of the groups.

// q6Order lists the scales in the order of the reduced sums.
var q6Order = [16]uint32{0, 2, 4, 6, 1, 3, 5, 7, 8, 10, 12, 14, 9, 11, 13, 15}

// q6Quants returns the quants of the four activation blocks of a half.
func q6Quants(ql, qh unsafe.Pointer, m15, m48 u8x32) (q0, q1, q2, q3 u8x32) {
	l0 := archsimd.LoadUint8x32((*[32]uint8)(ql))
	l1 := archsimd.LoadUint8x32((*[32]uint8)(unsafe.Add(ql, 32)))
	hb := archsimd.LoadUint8x32((*[32]uint8)(qh)).AsUint16x16()
	q0 = l0.And(m15).Or(hb.ShiftAllLeft(4).AsUint8x32().And(m48))
	q1 = l1.And(m15).Or(hb.ShiftAllLeft(2).AsUint8x32().And(m48))
	q2 = l0.AsUint16x16().ShiftAllRight(4).AsUint8x32().And(m15).Or(hb.AsUint8x32().And(m48))
	q3 = l1.AsUint16x16().ShiftAllRight(4).AsUint8x32().And(m15).Or(hb.ShiftAllRight(2).AsUint8x32().And(m48))
	return
}

//go:noinline
func q6kq8Row(p, xq, xd unsafe.Pointer, sum16 *int16, nb int) float32 {
	m15, m48, ones := archsimd.BroadcastUint8x32(15), archsimd.BroadcastUint8x32(48), archsimd.BroadcastInt16x16(1)
	order := archsimd.LoadUint32x16(&q6Order)
	gs := unsafe.Pointer(sum16)
	var acc, corr f32x16
	for ; nb > 0; nb-- {
		b := (*[210]byte)(p)
		// Per group: d·sc·dx of its block, in the order of the sums.
		sc := archsimd.LoadInt8x16((*[16]int8)(unsafe.Pointer(&b[192]))).ExtendToInt32().ConvertToFloat32()
		dx := ld8(xd)
		dx16 := f32x16{}.SetLo(dx).SetHi(dx).Permute(archsimd.LoadUint32x16(&dxOrder))
		f := sc.Permute(order).Mul(dx16).Mul(bc16(f16Scale(b[208:])))
		var v [8]i32x8
		for h := 0; h < 2; h++ {
			q0, q1, q2, q3 := q6Quants(unsafe.Add(p, 64*h), unsafe.Add(p, 128+32*h), m15, m48)
			v[4*h] = q0.DotProductPairsSaturated(ldq(xq)).DotProductPairs(ones)
			v[4*h+1] = q1.DotProductPairsSaturated(ldq(unsafe.Add(xq, 32))).DotProductPairs(ones)
			v[4*h+2] = q2.DotProductPairsSaturated(ldq(unsafe.Add(xq, 64))).DotProductPairs(ones)
			v[4*h+3] = q3.DotProductPairsSaturated(ldq(unsafe.Add(xq, 96))).DotProductPairs(ones)
			xq = unsafe.Add(xq, 128)
		}
		lo := v[0].AddPairsGrouped(v[1]).AddPairsGrouped(v[2].AddPairsGrouped(v[3]))
		hi := v[4].AddPairsGrouped(v[5]).AddPairsGrouped(v[6].AddPairsGrouped(v[7]))
		s := archsimd.Int32x16{}.SetLo(lo).SetHi(hi).ConvertToFloat32()
		acc = s.MulAdd(f, acc)
		g := archsimd.LoadInt16x16((*[16]int16)(gs)).ExtendToInt32().ConvertToFloat32().Permute(order)
		corr = g.MulAdd(f, corr)
		p, xd, gs = unsafe.Add(p, 210), unsafe.Add(xd, 32), unsafe.Add(gs, 32)
	}
	return hsum16(acc) - 32*hsum16(corr)
}

// dxOrder repeats each block's scale for its two groups, in the order of
// the sums.
var dxOrder = [16]uint32{0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7}

func mvQ6Kq8(y []float32, w []byte, rowBytes int, x *Q8Row) {
	nb := len(x.Q) / 256
	checkQ8(x, nb*256)
	checkMat(len(y), len(w), rowBytes, nb*210)
	xq, xd := unsafe.Pointer(&x.Q[0]), unsafe.Pointer(&x.D[0])
	for r := range y {
		y[r] = q6kq8Row(unsafe.Pointer(&w[r*rowBytes]), xq, xd, &x.Sum16[0], nb)
	}
}

// quantQ8_512 quantizes x into dst, 16 lanes at a time.
func quantQ8_512(dst *Q8Row, x []float32) {
	k := len(x) / 32 * 32
	checkQ8(dst, k)
	if k == 0 {
		return
	}
	abs := bci16(0x7fffffff)
	px, pq := unsafe.Pointer(&x[0]), unsafe.Pointer(&dst.Q[0])
	for b := 0; b < k/32; b++ {
		v0, v1 := ld16(px), ld16(unsafe.Add(px, 64))
		amax := hmax16(v0.AsInt32x16().And(abs).AsFloat32x16().Max(v1.AsInt32x16().And(abs).AsFloat32x16()))
		d, id := amax/127, float32(0)
		if amax != 0 {
			id = 127 / amax
		}
		vid := bc16(id)
		q0 := v0.Mul(vid).RoundToEvenScaled(0).ConvertToInt32()
		q1 := v1.Mul(vid).RoundToEvenScaled(0).ConvertToInt32()
		q0.SaturateToInt8().Store((*[16]int8)(pq))
		q1.SaturateToInt8().Store((*[16]int8)(unsafe.Add(pq, 16)))
		s0, s1 := hsumi16(q0), hsumi16(q1)
		dst.D[b], dst.S[b] = d, d*float32(s0+s1)
		dst.Sum16[2*b], dst.Sum16[2*b+1] = int16(s0), int16(s1)
		px, pq = unsafe.Add(px, 128), unsafe.Add(pq, 32)
	}
}

// hmax16 returns the largest lane of v.
func hmax16(v f32x16) float32 {
	a := v.GetLo().Max(v.GetHi())
	b := a.GetLo().Max(a.GetHi())
	return max(max(b.GetElem(0), b.GetElem(1)), max(b.GetElem(2), b.GetElem(3)))
}

// hsumi16 returns the sum of the lanes of v.
func hsumi16(v archsimd.Int32x16) int32 {
	a := v.GetLo().Add(v.GetHi())
	b := a.GetLo().Add(a.GetHi())
	b = b.AddPairs(b)
	return b.GetElem(0) + b.GetElem(1)
}
