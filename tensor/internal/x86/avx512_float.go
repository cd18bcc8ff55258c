//go:build goexperiment.simd && amd64

package x86

import (
	"math"
	"simd/archsimd"
	"unsafe"
)

// Products and decoders of the float formats (F32, F16, BF16, F8_E4M3),
// 16 columns per step. Each step widens the stored values exactly (the
// same float32 as the reference decoder) and multiplies with an FMA.

func bci16(v int32) archsimd.Int32x16 { return archsimd.BroadcastInt32x16(v) }

// bf16x16 widens the 16 bfloat16 values at p.
func bf16x16(p unsafe.Pointer) f32x16 {
	return archsimd.LoadUint16x16((*[16]uint16)(p)).ExtendToUint32().ShiftAllLeft(16).AsFloat32x16()
}

// f16x16 widens the 16 half-precision values at p exactly: sign, exponent
// and mantissa moved into float32's fields and scaled by 2^112, which also
// normalizes subnormals; infinities and NaNs get the all-ones exponent.
func f16x16(p unsafe.Pointer) f32x16 {
	h := archsimd.LoadInt16x16((*[16]int16)(p)).ExtendToInt32()
	v := h.ShiftAllLeft(13).And(bci16(-0x70002000)).AsFloat32x16().MulAdd(bc16(0x1p112), negZero16()) // mask 0x8fffe000
	special := h.And(bci16(0x7c00)).Equal(bci16(0x7c00))
	return v.AsInt32x16().Or(bci16(0x7f800000)).AsFloat32x16().Merge(v, special)
}

// negZero16 is -0 in every lane. The kernels multiply values that can be
// subnormal (the widened f16 and fp8 bits before their 2^112 or 2^120
// scaling) with an FMA adding -0, which rounds exactly as a multiply:
// VMULPS with subnormal inputs takes a slow microcode path on some CPUs,
// VFMADD does not.
func negZero16() f32x16 { return archsimd.BroadcastInt32x16(-1 << 31).AsFloat32x16() }

// fp8x16 returns the 16 e4m3fn values at p times 2^-120 (see fp8Raw).
func fp8x16(p unsafe.Pointer) f32x16 {
	b := archsimd.LoadInt8x16((*[16]int8)(p)).ExtendToInt32()
	return b.ShiftAllLeft(20).And(bci16(-0x78100000)).AsFloat32x16() // mask 0x87f00000
}

// Leaf loops: n steps of 16 columns over four rows rb bytes apart (or
// one row), accumulators in and out in registers. Keeping the hot loops in
// small functions keeps the compiler from spilling the callers' state
// inside them.

//go:noinline
func f32Run4(p unsafe.Pointer, rb uintptr, px unsafe.Pointer, n int, a0, a1, a2, a3 f32x16) (f32x16, f32x16, f32x16, f32x16) {
	for ; n > 0; n-- {
		xv := ld16(px)
		a0 = ld16(p).MulAdd(xv, a0)
		a1 = ld16(unsafe.Add(p, rb)).MulAdd(xv, a1)
		a2 = ld16(unsafe.Add(p, 2*rb)).MulAdd(xv, a2)
		a3 = ld16(unsafe.Add(p, 3*rb)).MulAdd(xv, a3)
		p, px = unsafe.Add(p, 64), unsafe.Add(px, 64)
	}
	return a0, a1, a2, a3
}

//go:noinline
func bf16Run4(p unsafe.Pointer, rb uintptr, px unsafe.Pointer, n int, a0, a1, a2, a3 f32x16) (f32x16, f32x16, f32x16, f32x16) {
	for ; n > 0; n-- {
		xv := ld16(px)
		a0 = bf16x16(p).MulAdd(xv, a0)
		a1 = bf16x16(unsafe.Add(p, rb)).MulAdd(xv, a1)
		a2 = bf16x16(unsafe.Add(p, 2*rb)).MulAdd(xv, a2)
		a3 = bf16x16(unsafe.Add(p, 3*rb)).MulAdd(xv, a3)
		p, px = unsafe.Add(p, 32), unsafe.Add(px, 64)
	}
	return a0, a1, a2, a3
}

//go:noinline
func f16Run2(p unsafe.Pointer, rb uintptr, px unsafe.Pointer, n int, a0, a1 f32x16) (f32x16, f32x16) {
	for ; n > 0; n-- {
		xv := ld16(px)
		a0 = f16x16(p).MulAdd(xv, a0)
		a1 = f16x16(unsafe.Add(p, rb)).MulAdd(xv, a1)
		p, px = unsafe.Add(p, 32), unsafe.Add(px, 64)
	}
	return a0, a1
}

// fp8Bits is fp8x16 with the mask in a register.
func fp8Bits(p unsafe.Pointer, m archsimd.Int32x16) f32x16 {
	return archsimd.LoadInt8x16((*[16]int8)(p)).ExtendToInt32().ShiftAllLeft(20).And(m).AsFloat32x16()
}

// floatRows runs a 4-row leaf loop over the rows of a float format (the
// rows after the last four one at a time, stride 0), adding the columns
// past the last whole vector with at.
func floatRows(y []float32, w []byte, rowBytes int, x []float32, esize int,
	run4 func(p unsafe.Pointer, rb uintptr, px unsafe.Pointer, n int, a0, a1, a2, a3 f32x16) (f32x16, f32x16, f32x16, f32x16),
	at func(b []byte, i int) float32) {
	cols := len(x)
	checkMat(len(y), len(w), rowBytes, esize*cols)
	n16, c16 := cols/16, cols&^15
	px := unsafe.Pointer(unsafe.SliceData(x))
	r := 0
	for ; r+4 <= len(y); r += 4 {
		var a0, a1, a2, a3 f32x16
		a0, a1, a2, a3 = run4(unsafe.Pointer(&w[r*rowBytes]), uintptr(rowBytes), px, n16, a0, a1, a2, a3)
		s := [4]float32{hsum16(a0), hsum16(a1), hsum16(a2), hsum16(a3)}
		for j := range s {
			row := w[(r+j)*rowBytes:]
			for c := c16; c < cols; c++ {
				s[j] += at(row, c) * x[c]
			}
		}
		y[r], y[r+1], y[r+2], y[r+3] = s[0], s[1], s[2], s[3]
	}
	for ; r < len(y); r++ { // the 4-row leaf on one row (stride 0), as the tiles run it
		var a0 f32x16
		a0, _, _, _ = run4(unsafe.Pointer(&w[r*rowBytes]), 0, px, n16, a0, a0, a0, a0)
		s := hsum16(a0)
		row := w[r*rowBytes:]
		for c := c16; c < cols; c++ {
			s += at(row, c) * x[c]
		}
		y[r] = s
	}
}

func mvF32_512(y []float32, w []byte, rowBytes int, x []float32) {
	floatRows(y, w, rowBytes, x, 4, f32Run4, f32At)
}

func mvBF16_512(y []float32, w []byte, rowBytes int, x []float32) {
	floatRows(y, w, rowBytes, x, 2, bf16Run4, bf16At)
}

func mvF16_512(y []float32, w []byte, rowBytes int, x []float32) {
	cols := len(x)
	checkMat(len(y), len(w), rowBytes, 2*cols)
	n16, c16 := cols/16, cols&^15
	px := unsafe.Pointer(unsafe.SliceData(x))
	for r := 0; r < len(y); r += 2 {
		var a0, a1 f32x16
		rb := uintptr(rowBytes)
		if r+1 == len(y) {
			rb = 0 // the last row twice
		}
		a0, a1 = f16Run2(unsafe.Pointer(&w[r*rowBytes]), rb, px, n16, a0, a1)
		s := [2]float32{hsum16(a0), hsum16(a1)}
		for j := 0; j < 2 && r+j < len(y); j++ {
			row := w[(r+j)*rowBytes:]
			for c := c16; c < cols; c++ {
				s[j] += f16At(row, c) * x[c]
			}
			y[r+j] = s[j]
		}
	}
}

// fp8Factor returns the scale with fp8Raw's 2^120 folded in, and whether
// that product is finite (true for every real checkpoint, whose scales are
// far below 2^7).
func fp8Factor(s float32) (float32, bool) {
	f := s * 0x1p120
	return f, f <= math.MaxFloat32 && f >= -math.MaxFloat32
}

// fp8Blocks4 multiplies four F8_E4M3 rows (rb bytes apart) by x over nb
// whole 128-column blocks, with block b's scale at scales[b]. Each weight
// is widened to exactly the reference's fp8(w)·scale before its FMA.
//
//go:noinline
func fp8Blocks4(p unsafe.Pointer, rb uintptr, px unsafe.Pointer, scales unsafe.Pointer, nb int, a0, a1, a2, a3 f32x16) (f32x16, f32x16, f32x16, f32x16) {
	m := bci16(-0x78100000)
	nz := negZero16()
	for ; nb > 0; nb-- {
		f := bc16(*(*float32)(scales) * 0x1p120)
		for j := 0; j < 8; j++ {
			xv := ld16(px)
			a0 = fp8Bits(p, m).MulAdd(f, nz).MulAdd(xv, a0)
			a1 = fp8Bits(unsafe.Add(p, rb), m).MulAdd(f, nz).MulAdd(xv, a1)
			a2 = fp8Bits(unsafe.Add(p, 2*rb), m).MulAdd(f, nz).MulAdd(xv, a2)
			a3 = fp8Bits(unsafe.Add(p, 3*rb), m).MulAdd(f, nz).MulAdd(xv, a3)
			p, px = unsafe.Add(p, 16), unsafe.Add(px, 64)
		}
		scales = unsafe.Add(scales, 4)
	}
	return a0, a1, a2, a3
}

// fp8Blocks4X is fp8Blocks4 with the scale applied to the activations
// instead (one multiply per 16 columns rather than four): the caller
// checks that x·scale·2^120 stays finite. Each product then rounds
// fp8(w)·(x·scale) instead of (fp8(w)·scale)·x.
//
//go:noinline
func fp8Blocks4X(p unsafe.Pointer, rb uintptr, px unsafe.Pointer, scales unsafe.Pointer, nb int, a0, a1, a2, a3 f32x16) (f32x16, f32x16, f32x16, f32x16) {
	m := bci16(-0x78100000)
	for ; nb > 0; nb-- {
		f := bc16(*(*float32)(scales) * 0x1p120)
		for j := 0; j < 8; j++ {
			xv := ld16(px).Mul(f)
			a0 = fp8Bits(p, m).MulAdd(xv, a0)
			a1 = fp8Bits(unsafe.Add(p, rb), m).MulAdd(xv, a1)
			a2 = fp8Bits(unsafe.Add(p, 2*rb), m).MulAdd(xv, a2)
			a3 = fp8Bits(unsafe.Add(p, 3*rb), m).MulAdd(xv, a3)
			p, px = unsafe.Add(p, 16), unsafe.Add(px, 64)
		}
		scales = unsafe.Add(scales, 4)
	}
	return a0, a1, a2, a3
}

// fp8Leaf picks fp8Blocks4X when every activation times every scale of
// the row, times 2^120, is far from float32's range (|x·s| < 2^6; the
// fp8 weights add at most 2^9 more), else fp8Blocks4.
func fp8Leaf(x, scales []float32) func(p unsafe.Pointer, rb uintptr, px unsafe.Pointer, scales unsafe.Pointer, nb int, a0, a1, a2, a3 f32x16) (f32x16, f32x16, f32x16, f32x16) {
	if fp8Prescaled(x, scales) {
		return fp8Blocks4X
	}
	return fp8Blocks4
}

// fp8Prescaled reports whether products with x may scale the activations
// (fp8Blocks4X): |x·s| < 2^6 for every activation and scale.
func fp8Prescaled(x, scales []float32) bool {
	var ms float32
	for _, s := range scales {
		ms = max(ms, abs32(s))
	}
	return ms*absMax512(x) < 0x1p6
}

func abs32(f float32) float32 { return math.Float32frombits(math.Float32bits(f) &^ (1 << 31)) }

// absMax512 returns max |x[i]| (NaN-free inputs).
func absMax512(x []float32) float32 {
	n := len(x)
	px := unsafe.Pointer(unsafe.SliceData(x))
	abs := bci16(0x7fffffff)
	var m f32x16
	i := 0
	for ; i+16 <= n; i += 16 {
		m = m.Max(ld16(px).AsInt32x16().And(abs).AsFloat32x16())
		px = unsafe.Add(px, 64)
	}
	r := hmax16(m)
	for ; i < n; i++ {
		r = max(r, abs32(x[i]))
	}
	return r
}

// mvF8_512 multiplies F8_E4M3 rows sharing one scale row. Each weight is
// widened to exactly the reference's fp8(w)·scale before its FMA.
func mvF8_512(y []float32, w []byte, rowBytes int, x []float32, scales []float32) {
	cols := len(x)
	checkMat(len(y), len(w), rowBytes, cols)
	nblk := (cols + 127) / 128
	scales = scales[:nblk]
	full := cols / 128 // whole blocks, run by the leaf loop
	for _, s := range scales[:full] {
		if _, ok := fp8Factor(s); !ok {
			full = 0 // an enormous scale: the slow path for every block
			break
		}
	}
	px := unsafe.Pointer(unsafe.SliceData(x))
	leaf := fp8Leaf(x, scales)
	for r := 0; r < len(y); r += 4 {
		nr := min(4, len(y)-r)
		var a [4]f32x16
		if full > 0 && nr == 4 {
			a[0], a[1], a[2], a[3] = leaf(unsafe.Pointer(&w[r*rowBytes]), uintptr(rowBytes), px, unsafe.Pointer(&scales[0]), full, a[0], a[1], a[2], a[3])
		}
		for j := 0; j < nr; j++ {
			if full > 0 && nr < 4 { // the leaf on one row (stride 0)
				var z f32x16
				a[j], _, _, _ = leaf(unsafe.Pointer(&w[(r+j)*rowBytes]), 0, px, unsafe.Pointer(&scales[0]), full, z, z, z, z)
			}
			s := hsum16(a[j])
			row := w[(r+j)*rowBytes:]
			for c := 128 * full; c < cols; c++ {
				s += fp8At(row, c) * scales[c/128] * x[c]
			}
			y[r+j] = s
		}
	}
}

func decF32_512(dst []float32, row []byte, k0 int) {
	checkDecode(k0, len(dst), 1, 4, len(row))
	if len(dst) == 0 {
		return
	}
	n := len(dst)
	ps, pd := unsafe.Pointer(&row[4*k0]), unsafe.Pointer(unsafe.SliceData(dst))
	i := 0
	for ; i+16 <= n; i += 16 {
		st16(pd, ld16(ps))
		ps, pd = unsafe.Add(ps, 64), unsafe.Add(pd, 64)
	}
	for ; i < n; i++ {
		dst[i] = f32At(row, k0+i)
	}
}

func decBF16_512(dst []float32, row []byte, k0 int) {
	checkDecode(k0, len(dst), 1, 2, len(row))
	if len(dst) == 0 {
		return
	}
	n := len(dst)
	ps, pd := unsafe.Pointer(&row[2*k0]), unsafe.Pointer(unsafe.SliceData(dst))
	i := 0
	for ; i+16 <= n; i += 16 {
		st16(pd, bf16x16(ps))
		ps, pd = unsafe.Add(ps, 32), unsafe.Add(pd, 64)
	}
	for ; i < n; i++ {
		dst[i] = bf16At(row, k0+i)
	}
}

func decF16_512(dst []float32, row []byte, k0 int) {
	checkDecode(k0, len(dst), 1, 2, len(row))
	if len(dst) == 0 {
		return
	}
	n := len(dst)
	ps, pd := unsafe.Pointer(&row[2*k0]), unsafe.Pointer(unsafe.SliceData(dst))
	i := 0
	for ; i+16 <= n; i += 16 {
		st16(pd, f16x16(ps))
		ps, pd = unsafe.Add(ps, 32), unsafe.Add(pd, 64)
	}
	for ; i < n; i++ {
		dst[i] = f16At(row, k0+i)
	}
}

func decF8_512(dst []float32, row []byte, k0 int, scales []float32) {
	checkDecode(k0, len(dst), 1, 1, len(row))
	if len(dst) == 0 {
		return
	}
	n := len(dst)
	for i := 0; i < n; {
		c := k0 + i
		b := c / 128
		end := min(n, (b+1)*128-k0)
		s := scales[b]
		f, ok := fp8Factor(s)
		if ok {
			vf, nz := bc16(f), negZero16()
			ps, pd := unsafe.Pointer(&row[c]), unsafe.Pointer(&dst[i])
			for ; i+16 <= end; i += 16 {
				st16(pd, fp8x16(ps).MulAdd(vf, nz))
				ps, pd = unsafe.Add(ps, 16), unsafe.Add(pd, 64)
			}
		}
		for ; i < end; i++ {
			dst[i] = fp8At(row, k0+i) * s
		}
	}
}
