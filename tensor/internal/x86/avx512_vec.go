//go:build goexperiment.simd && amd64

package x86

import (
	"simd/archsimd"
	"unsafe"
)

// Element-wise and reduction kernels, 16 float32 lanes.

type f32x16 = archsimd.Float32x16

func ld16(p unsafe.Pointer) f32x16 { return archsimd.LoadFloat32x16((*[16]float32)(p)) }

func st16(p unsafe.Pointer, v f32x16) { v.Store((*[16]float32)(p)) }

func bc16(f float32) f32x16 { return archsimd.BroadcastFloat32x16(f) }

// hsum16 adds the 16 lanes of v.
func hsum16(v f32x16) float32 {
	a := v.GetLo().Add(v.GetHi())
	b := a.GetLo().Add(a.GetHi())
	var buf [4]float32
	b.Store(&buf)
	return (buf[0] + buf[1]) + (buf[2] + buf[3])
}

func dot512(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	pa, pb := unsafe.Pointer(unsafe.SliceData(a)), unsafe.Pointer(unsafe.SliceData(b))
	var s0, s1, s2, s3 f32x16
	i := 0
	for ; i+64 <= n; i += 64 {
		s0 = ld16(pa).MulAdd(ld16(pb), s0)
		s1 = ld16(unsafe.Add(pa, 64)).MulAdd(ld16(unsafe.Add(pb, 64)), s1)
		s2 = ld16(unsafe.Add(pa, 128)).MulAdd(ld16(unsafe.Add(pb, 128)), s2)
		s3 = ld16(unsafe.Add(pa, 192)).MulAdd(ld16(unsafe.Add(pb, 192)), s3)
		pa, pb = unsafe.Add(pa, 256), unsafe.Add(pb, 256)
	}
	for ; i+16 <= n; i += 16 {
		s0 = ld16(pa).MulAdd(ld16(pb), s0)
		pa, pb = unsafe.Add(pa, 64), unsafe.Add(pb, 64)
	}
	s := hsum16(s0.Add(s1).Add(s2.Add(s3)))
	for ; i < n; i++ {
		s += a[i] * b[i]
	}
	return s
}

// dotRows512 writes dot512(q, k[s·stride:]) into dst[s], two rows at a
// time: q is loaded once for both, and their sums and reductions overlap.
// Each row's arithmetic is dot512's, so the results are its bits.
func dotRows512(dst, q, k []float32, stride int) {
	n, m := len(q), len(dst)
	if m == 0 {
		return
	}
	k = k[:(m-1)*stride+n]
	pq, pk := unsafe.Pointer(unsafe.SliceData(q)), unsafe.Pointer(unsafe.SliceData(k))
	rs := uintptr(4 * stride)
	s := 0
	for ; s+2 <= m; s += 2 {
		pa := unsafe.Add(pk, uintptr(s)*rs)
		pb := unsafe.Add(pa, rs)
		p := pq
		var a0, a1, a2, a3, b0, b1, b2, b3 f32x16
		i := 0
		for ; i+64 <= n; i += 64 {
			x0, x1 := ld16(p), ld16(unsafe.Add(p, 64))
			a0 = x0.MulAdd(ld16(pa), a0)
			b0 = x0.MulAdd(ld16(pb), b0)
			a1 = x1.MulAdd(ld16(unsafe.Add(pa, 64)), a1)
			b1 = x1.MulAdd(ld16(unsafe.Add(pb, 64)), b1)
			x2, x3 := ld16(unsafe.Add(p, 128)), ld16(unsafe.Add(p, 192))
			a2 = x2.MulAdd(ld16(unsafe.Add(pa, 128)), a2)
			b2 = x2.MulAdd(ld16(unsafe.Add(pb, 128)), b2)
			a3 = x3.MulAdd(ld16(unsafe.Add(pa, 192)), a3)
			b3 = x3.MulAdd(ld16(unsafe.Add(pb, 192)), b3)
			p, pa, pb = unsafe.Add(p, 256), unsafe.Add(pa, 256), unsafe.Add(pb, 256)
		}
		for ; i+16 <= n; i += 16 {
			x0 := ld16(p)
			a0 = x0.MulAdd(ld16(pa), a0)
			b0 = x0.MulAdd(ld16(pb), b0)
			p, pa, pb = unsafe.Add(p, 64), unsafe.Add(pa, 64), unsafe.Add(pb, 64)
		}
		sa := hsum16(a0.Add(a1).Add(a2.Add(a3)))
		sb := hsum16(b0.Add(b1).Add(b2.Add(b3)))
		ka, kb := k[s*stride:], k[(s+1)*stride:]
		for ; i < n; i++ {
			sa += q[i] * ka[i]
			sb += q[i] * kb[i]
		}
		dst[s], dst[s+1] = sa, sb
	}
	if s < m {
		dst[s] = dot512(q, k[s*stride:s*stride+n])
	}
}

func axpy512(y []float32, a float32, x []float32) {
	n := len(y)
	x = x[:n]
	py, px := unsafe.Pointer(unsafe.SliceData(y)), unsafe.Pointer(unsafe.SliceData(x))
	va := bc16(a)
	i := 0
	for ; i+32 <= n; i += 32 {
		st16(py, ld16(px).MulAdd(va, ld16(py)))
		st16(unsafe.Add(py, 64), ld16(unsafe.Add(px, 64)).MulAdd(va, ld16(unsafe.Add(py, 64))))
		py, px = unsafe.Add(py, 128), unsafe.Add(px, 128)
	}
	for ; i+16 <= n; i += 16 {
		st16(py, ld16(px).MulAdd(va, ld16(py)))
		py, px = unsafe.Add(py, 64), unsafe.Add(px, 64)
	}
	for ; i < n; i++ {
		y[i] += a * x[i]
	}
}

func axpyRows512(y, p, v []float32, stride int) {
	n, m := len(y), len(p)
	if n == 0 || m == 0 {
		return
	}
	v = v[:(m-1)*stride+n]
	py, pv := unsafe.Pointer(unsafe.SliceData(y)), unsafe.Pointer(unsafe.SliceData(v))
	pp := unsafe.Pointer(unsafe.SliceData(p))
	rs := uintptr(4 * stride)
	i := 0
	// Four (then one) registers of y stay loaded while every row passes.
	for ; i+64 <= n; i += 64 {
		a0, a1, a2, a3 := ld16(py), ld16(unsafe.Add(py, 64)), ld16(unsafe.Add(py, 128)), ld16(unsafe.Add(py, 192))
		r := pv
		for s := 0; s < m; s++ {
			c := bc16(*(*float32)(unsafe.Add(pp, 4*s)))
			a0 = ld16(r).MulAdd(c, a0)
			a1 = ld16(unsafe.Add(r, 64)).MulAdd(c, a1)
			a2 = ld16(unsafe.Add(r, 128)).MulAdd(c, a2)
			a3 = ld16(unsafe.Add(r, 192)).MulAdd(c, a3)
			r = unsafe.Add(r, rs)
		}
		st16(py, a0)
		st16(unsafe.Add(py, 64), a1)
		st16(unsafe.Add(py, 128), a2)
		st16(unsafe.Add(py, 192), a3)
		py, pv = unsafe.Add(py, 256), unsafe.Add(pv, 256)
	}
	for ; i+16 <= n; i += 16 {
		a0 := ld16(py)
		r := pv
		for s := 0; s < m; s++ {
			a0 = ld16(r).MulAdd(bc16(*(*float32)(unsafe.Add(pp, 4*s))), a0)
			r = unsafe.Add(r, rs)
		}
		st16(py, a0)
		py, pv = unsafe.Add(py, 64), unsafe.Add(pv, 64)
	}
	for ; i < n; i++ {
		for s := 0; s < m; s++ {
			y[i] += p[s] * v[s*stride+i]
		}
	}
}

func add512(y, x []float32) {
	n := len(y)
	x = x[:n]
	py, px := unsafe.Pointer(unsafe.SliceData(y)), unsafe.Pointer(unsafe.SliceData(x))
	i := 0
	for ; i+16 <= n; i += 16 {
		st16(py, ld16(py).Add(ld16(px)))
		py, px = unsafe.Add(py, 64), unsafe.Add(px, 64)
	}
	for ; i < n; i++ {
		y[i] += x[i]
	}
}

func scale512(x []float32, a float32) {
	n := len(x)
	px := unsafe.Pointer(unsafe.SliceData(x))
	va := bc16(a)
	i := 0
	for ; i+16 <= n; i += 16 {
		st16(px, ld16(px).Mul(va))
		px = unsafe.Add(px, 64)
	}
	for ; i < n; i++ {
		x[i] *= a
	}
}

func sumSquares512(x []float32) float64 {
	n := len(x)
	px := unsafe.Pointer(unsafe.SliceData(x))
	var s0, s1 archsimd.Float64x8
	i := 0
	for ; i+16 <= n; i += 16 {
		v := ld16(px)
		lo, hi := v.GetLo().ConvertToFloat64(), v.GetHi().ConvertToFloat64()
		s0 = lo.MulAdd(lo, s0)
		s1 = hi.MulAdd(hi, s1)
		px = unsafe.Add(px, 64)
	}
	var buf [8]float64
	s0.Add(s1).Store(&buf)
	s := ((buf[0] + buf[1]) + (buf[2] + buf[3])) + ((buf[4] + buf[5]) + (buf[6] + buf[7]))
	for ; i < n; i++ {
		s += float64(x[i]) * float64(x[i])
	}
	return s
}

func mulScaled512(dst, x, w []float32, s float32) {
	n := len(x)
	dst, w = dst[:n], w[:n]
	pd, px, pw := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(unsafe.SliceData(x)), unsafe.Pointer(unsafe.SliceData(w))
	vs := bc16(s)
	i := 0
	for ; i+16 <= n; i += 16 {
		st16(pd, ld16(pw).Mul(ld16(px).Mul(vs)))
		pd, px, pw = unsafe.Add(pd, 64), unsafe.Add(px, 64), unsafe.Add(pw, 64)
	}
	for ; i < n; i++ {
		dst[i] = w[i] * (x[i] * s)
	}
}

func max512(x []float32) float32 {
	n := len(x)
	m := x[0]
	i := 0
	if n >= 16 {
		px := unsafe.Pointer(unsafe.SliceData(x))
		vm := ld16(px)
		for i = 16; i+16 <= n; i += 16 {
			px = unsafe.Add(px, 64)
			vm = vm.Max(ld16(px))
		}
		var buf [16]float32
		vm.Store(&buf)
		m = buf[0]
		for _, v := range buf[1:] {
			if v > m {
				m = v
			}
		}
	}
	for ; i < n; i++ {
		if x[i] > m {
			m = x[i]
		}
	}
	return m
}

// Constants of the exp approximation (Cephes expf: range reduction by
// ln 2 in two parts, a degree-6 polynomial; about 1 ulp).
const (
	expHi   = 88.0
	expLo   = -87.0
	log2e   = 1.44269504088896341
	ln2Hi   = 0.693359375
	ln2Lo   = -2.12194440e-4
	expP0   = 1.9875691500e-4
	expP1   = 1.3981999507e-3
	expP2   = 8.3334519073e-3
	expP3   = 4.1665795894e-2
	expP4   = 1.6666665459e-1
	expP5   = 5.0000001201e-1
	expBias = 127
)

// exp16 returns e^x per lane: 0 below -87 (where e^x < 1.7e-38), e^88
// above 88.
func exp16(x f32x16) f32x16 {
	inRange := x.GreaterEqual(bc16(expLo))
	x = x.Min(bc16(expHi)).Max(bc16(expLo))
	n := x.Mul(bc16(log2e)).RoundToEvenScaled(0)
	r := n.MulAdd(bc16(-ln2Hi), x)
	r = n.MulAdd(bc16(-ln2Lo), r)
	p := bc16(expP0).MulAdd(r, bc16(expP1))
	p = p.MulAdd(r, bc16(expP2))
	p = p.MulAdd(r, bc16(expP3))
	p = p.MulAdd(r, bc16(expP4))
	p = p.MulAdd(r, bc16(expP5))
	p = p.MulAdd(r.Mul(r), r.Add(bc16(1)))
	e := n.ConvertToInt32().Add(archsimd.BroadcastInt32x16(expBias)).ShiftAllLeft(23).AsFloat32x16()
	return p.Mul(e).Masked(inRange)
}

func expSum512(x []float32, m float32) float32 {
	n := len(x)
	px := unsafe.Pointer(unsafe.SliceData(x))
	vm := bc16(m)
	var acc f32x16
	i := 0
	for ; i+16 <= n; i += 16 {
		e := exp16(ld16(px).Sub(vm))
		st16(px, e)
		acc = acc.Add(e)
		px = unsafe.Add(px, 64)
	}
	s := hsum16(acc)
	if i < n {
		var buf [16]float32
		copy(buf[:], x[i:])
		e := exp16(ld16(unsafe.Pointer(&buf)).Sub(vm))
		e.Store(&buf)
		for j := range x[i:] {
			x[i+j] = buf[j]
			s += buf[j]
		}
	}
	return s
}

func siluMul512(dst, gate, up []float32) {
	n := len(gate)
	dst, up = dst[:n], up[:n]
	pd, pg, pu := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(unsafe.SliceData(gate)), unsafe.Pointer(unsafe.SliceData(up))
	one := bc16(1)
	i := 0
	for ; i+16 <= n; i += 16 {
		g := ld16(pg)
		e := exp16(bc16(0).Sub(g))
		st16(pd, g.Div(one.Add(e)).Mul(ld16(pu)))
		pd, pg, pu = unsafe.Add(pd, 64), unsafe.Add(pg, 64), unsafe.Add(pu, 64)
	}
	if i < n {
		var g, u [16]float32
		copy(g[:], gate[i:])
		copy(u[:], up[i:])
		vg := ld16(unsafe.Pointer(&g))
		e := exp16(bc16(0).Sub(vg))
		vg.Div(one.Add(e)).Mul(ld16(unsafe.Pointer(&u))).Store(&g)
		copy(dst[i:], g[:n-i])
	}
}
