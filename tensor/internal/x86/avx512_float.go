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
	v := h.ShiftAllLeft(13).And(bci16(-0x70002000)).AsFloat32x16().Mul(bc16(0x1p112)) // mask 0x8fffe000
	special := h.And(bci16(0x7c00)).Equal(bci16(0x7c00))
	return v.AsInt32x16().Or(bci16(0x7f800000)).AsFloat32x16().Merge(v, special)
}

// fp8x16 returns the 16 e4m3fn values at p times 2^-120 (see fp8Raw).
func fp8x16(p unsafe.Pointer) f32x16 {
	b := archsimd.LoadInt8x16((*[16]int8)(p)).ExtendToInt32()
	return b.ShiftAllLeft(20).And(bci16(-0x78100000)).AsFloat32x16() // mask 0x87f00000
}

func mvF32_512(y []float32, w []byte, rowBytes int, x []float32) {
	cols := len(x)
	checkMat(len(y), len(w), rowBytes, 4*cols)
	c16 := cols &^ 15
	rb := uintptr(rowBytes)
	r := 0
	for ; r+4 <= len(y); r += 4 {
		p := unsafe.Pointer(&w[r*rowBytes])
		px := unsafe.Pointer(unsafe.SliceData(x))
		var a0, a1, a2, a3 f32x16
		for c := 0; c < c16; c += 16 {
			xv := ld16(px)
			a0 = ld16(p).MulAdd(xv, a0)
			a1 = ld16(unsafe.Add(p, rb)).MulAdd(xv, a1)
			a2 = ld16(unsafe.Add(p, 2*rb)).MulAdd(xv, a2)
			a3 = ld16(unsafe.Add(p, 3*rb)).MulAdd(xv, a3)
			p, px = unsafe.Add(p, 64), unsafe.Add(px, 64)
		}
		s := [4]float32{hsum16(a0), hsum16(a1), hsum16(a2), hsum16(a3)}
		for j := range s {
			row := w[(r+j)*rowBytes:]
			for c := c16; c < cols; c++ {
				s[j] += f32At(row, c) * x[c]
			}
		}
		y[r], y[r+1], y[r+2], y[r+3] = s[0], s[1], s[2], s[3]
	}
	for ; r < len(y); r++ {
		p := unsafe.Pointer(&w[r*rowBytes])
		px := unsafe.Pointer(unsafe.SliceData(x))
		var a0, a1 f32x16
		c := 0
		for ; c+32 <= c16; c += 32 {
			a0 = ld16(p).MulAdd(ld16(px), a0)
			a1 = ld16(unsafe.Add(p, 64)).MulAdd(ld16(unsafe.Add(px, 64)), a1)
			p, px = unsafe.Add(p, 128), unsafe.Add(px, 128)
		}
		if c < c16 {
			a0 = ld16(p).MulAdd(ld16(px), a0)
		}
		s := hsum16(a0.Add(a1))
		row := w[r*rowBytes:]
		for c := c16; c < cols; c++ {
			s += f32At(row, c) * x[c]
		}
		y[r] = s
	}
}

func mvBF16_512(y []float32, w []byte, rowBytes int, x []float32) {
	cols := len(x)
	checkMat(len(y), len(w), rowBytes, 2*cols)
	c16 := cols &^ 15
	rb := uintptr(rowBytes)
	r := 0
	for ; r+4 <= len(y); r += 4 {
		p := unsafe.Pointer(&w[r*rowBytes])
		px := unsafe.Pointer(unsafe.SliceData(x))
		var a0, a1, a2, a3 f32x16
		for c := 0; c < c16; c += 16 {
			xv := ld16(px)
			a0 = bf16x16(p).MulAdd(xv, a0)
			a1 = bf16x16(unsafe.Add(p, rb)).MulAdd(xv, a1)
			a2 = bf16x16(unsafe.Add(p, 2*rb)).MulAdd(xv, a2)
			a3 = bf16x16(unsafe.Add(p, 3*rb)).MulAdd(xv, a3)
			p, px = unsafe.Add(p, 32), unsafe.Add(px, 64)
		}
		s := [4]float32{hsum16(a0), hsum16(a1), hsum16(a2), hsum16(a3)}
		for j := range s {
			row := w[(r+j)*rowBytes:]
			for c := c16; c < cols; c++ {
				s[j] += bf16At(row, c) * x[c]
			}
		}
		y[r], y[r+1], y[r+2], y[r+3] = s[0], s[1], s[2], s[3]
	}
	for ; r < len(y); r++ {
		p := unsafe.Pointer(&w[r*rowBytes])
		px := unsafe.Pointer(unsafe.SliceData(x))
		var a0 f32x16
		for c := 0; c < c16; c += 16 {
			a0 = bf16x16(p).MulAdd(ld16(px), a0)
			p, px = unsafe.Add(p, 32), unsafe.Add(px, 64)
		}
		s := hsum16(a0)
		row := w[r*rowBytes:]
		for c := c16; c < cols; c++ {
			s += bf16At(row, c) * x[c]
		}
		y[r] = s
	}
}

func mvF16_512(y []float32, w []byte, rowBytes int, x []float32) {
	cols := len(x)
	checkMat(len(y), len(w), rowBytes, 2*cols)
	c16 := cols &^ 15
	rb := uintptr(rowBytes)
	r := 0
	for ; r+2 <= len(y); r += 2 {
		p := unsafe.Pointer(&w[r*rowBytes])
		px := unsafe.Pointer(unsafe.SliceData(x))
		var a0, a1 f32x16
		for c := 0; c < c16; c += 16 {
			xv := ld16(px)
			a0 = f16x16(p).MulAdd(xv, a0)
			a1 = f16x16(unsafe.Add(p, rb)).MulAdd(xv, a1)
			p, px = unsafe.Add(p, 32), unsafe.Add(px, 64)
		}
		s := [2]float32{hsum16(a0), hsum16(a1)}
		for j := range s {
			row := w[(r+j)*rowBytes:]
			for c := c16; c < cols; c++ {
				s[j] += f16At(row, c) * x[c]
			}
		}
		y[r], y[r+1] = s[0], s[1]
	}
	for ; r < len(y); r++ {
		p := unsafe.Pointer(&w[r*rowBytes])
		px := unsafe.Pointer(unsafe.SliceData(x))
		var a0 f32x16
		for c := 0; c < c16; c += 16 {
			a0 = f16x16(p).MulAdd(ld16(px), a0)
			p, px = unsafe.Add(p, 32), unsafe.Add(px, 64)
		}
		s := hsum16(a0)
		row := w[r*rowBytes:]
		for c := c16; c < cols; c++ {
			s += f16At(row, c) * x[c]
		}
		y[r] = s
	}
}

// fp8Factor returns the scale with fp8Raw's 2^120 folded in, and whether
// that product is finite (true for every real checkpoint, whose scales are
// far below 2^7).
func fp8Factor(s float32) (float32, bool) {
	f := s * 0x1p120
	return f, f <= math.MaxFloat32 && f >= -math.MaxFloat32
}

// mvF8_512 multiplies F8_E4M3 rows sharing one scale row. Each weight is
// widened to exactly the reference's fp8(w)·scale before its FMA.
func mvF8_512(y []float32, w []byte, rowBytes int, x []float32, scales []float32) {
	cols := len(x)
	checkMat(len(y), len(w), rowBytes, cols)
	nblk := (cols + 127) / 128
	scales = scales[:nblk]
	rb := uintptr(rowBytes)
	r := 0
	for ; r+4 <= len(y); r += 4 {
		var a0, a1, a2, a3 f32x16
		var t [4]float32 // columns past the last whole vector
		base := unsafe.Pointer(&w[r*rowBytes])
		for b := 0; b < nblk; b++ {
			c0, c1 := b*128, min(b*128+128, cols)
			f, ok := fp8Factor(scales[b])
			if !ok {
				for j := range t {
					row := w[(r+j)*rowBytes:]
					for c := c0; c < c1; c++ {
						t[j] += fp8At(row, c) * scales[b] * x[c]
					}
				}
				continue
			}
			vf := bc16(f)
			p := unsafe.Add(base, c0)
			px := unsafe.Pointer(&x[c0])
			c := c0
			for ; c+16 <= c1; c += 16 {
				xv := ld16(px)
				a0 = fp8x16(p).Mul(vf).MulAdd(xv, a0)
				a1 = fp8x16(unsafe.Add(p, rb)).Mul(vf).MulAdd(xv, a1)
				a2 = fp8x16(unsafe.Add(p, 2*rb)).Mul(vf).MulAdd(xv, a2)
				a3 = fp8x16(unsafe.Add(p, 3*rb)).Mul(vf).MulAdd(xv, a3)
				p, px = unsafe.Add(p, 16), unsafe.Add(px, 64)
			}
			for j := range t {
				row := w[(r+j)*rowBytes:]
				for cc := c; cc < c1; cc++ {
					t[j] += fp8Raw(row[cc]) * f * x[cc]
				}
			}
		}
		y[r], y[r+1], y[r+2], y[r+3] = hsum16(a0)+t[0], hsum16(a1)+t[1], hsum16(a2)+t[2], hsum16(a3)+t[3]
	}
	for ; r < len(y); r++ {
		var a0 f32x16
		var t float32
		row := w[r*rowBytes:]
		for b := 0; b < nblk; b++ {
			c0, c1 := b*128, min(b*128+128, cols)
			f, ok := fp8Factor(scales[b])
			if !ok {
				for c := c0; c < c1; c++ {
					t += fp8At(row, c) * scales[b] * x[c]
				}
				continue
			}
			vf := bc16(f)
			p := unsafe.Pointer(&row[c0])
			px := unsafe.Pointer(&x[c0])
			c := c0
			for ; c+16 <= c1; c += 16 {
				a0 = fp8x16(p).Mul(vf).MulAdd(ld16(px), a0)
				p, px = unsafe.Add(p, 16), unsafe.Add(px, 64)
			}
			for ; c < c1; c++ {
				t += fp8Raw(row[c]) * f * x[c]
			}
		}
		y[r] = hsum16(a0) + t
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
			vf := bc16(f)
			ps, pd := unsafe.Pointer(&row[c]), unsafe.Pointer(&dst[i])
			for ; i+16 <= end; i += 16 {
				st16(pd, fp8x16(ps).Mul(vf))
				ps, pd = unsafe.Add(ps, 16), unsafe.Add(pd, 64)
			}
		}
		for ; i < end; i++ {
			dst[i] = fp8At(row, k0+i) * s
		}
	}
}
