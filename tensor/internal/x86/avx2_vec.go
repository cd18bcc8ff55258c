//go:build goexperiment.simd && amd64

package x86

import (
	"simd/archsimd"
	"unsafe"
)

// The AVX2 set's element-wise and reduction kernels, 8 float32 lanes.

func st8(p unsafe.Pointer, v f32x8) { v.Store((*[8]float32)(p)) }

func bci8(v int32) i32x8 { return archsimd.BroadcastInt32x8(v) }

func dot2(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	pa, pb := unsafe.Pointer(unsafe.SliceData(a)), unsafe.Pointer(unsafe.SliceData(b))
	var s0, s1, s2, s3 f32x8
	i := 0
	for ; i+32 <= n; i += 32 {
		s0 = ld8(pa).MulAdd(ld8(pb), s0)
		s1 = ld8(unsafe.Add(pa, 32)).MulAdd(ld8(unsafe.Add(pb, 32)), s1)
		s2 = ld8(unsafe.Add(pa, 64)).MulAdd(ld8(unsafe.Add(pb, 64)), s2)
		s3 = ld8(unsafe.Add(pa, 96)).MulAdd(ld8(unsafe.Add(pb, 96)), s3)
		pa, pb = unsafe.Add(pa, 128), unsafe.Add(pb, 128)
	}
	for ; i+8 <= n; i += 8 {
		s0 = ld8(pa).MulAdd(ld8(pb), s0)
		pa, pb = unsafe.Add(pa, 32), unsafe.Add(pb, 32)
	}
	s := hsum8(s0.Add(s1).Add(s2.Add(s3)))
	for ; i < n; i++ {
		s += a[i] * b[i]
	}
	return s
}

// dotRows2 writes dot2(q, k[s·stride:]) into dst[s].
func dotRows2(dst, q, k []float32, stride int) {
	for s := range dst {
		dst[s] = dot2(q, k[s*stride:s*stride+len(q)])
	}
}

func axpy2(y []float32, a float32, x []float32) {
	n := len(y)
	x = x[:n]
	py, px := unsafe.Pointer(unsafe.SliceData(y)), unsafe.Pointer(unsafe.SliceData(x))
	va := bc8(a)
	i := 0
	for ; i+8 <= n; i += 8 {
		st8(py, ld8(px).MulAdd(va, ld8(py)))
		py, px = unsafe.Add(py, 32), unsafe.Add(px, 32)
	}
	for ; i < n; i++ {
		y[i] += a * x[i]
	}
}

func axpyRows2(y, p, v []float32, stride int) {
	n, m := len(y), len(p)
	if n == 0 || m == 0 {
		return
	}
	v = v[:(m-1)*stride+n]
	py, pv := unsafe.Pointer(unsafe.SliceData(y)), unsafe.Pointer(unsafe.SliceData(v))
	pp := unsafe.Pointer(unsafe.SliceData(p))
	rs := uintptr(4 * stride)
	i := 0
	for ; i+32 <= n; i += 32 {
		a0, a1, a2, a3 := ld8(py), ld8(unsafe.Add(py, 32)), ld8(unsafe.Add(py, 64)), ld8(unsafe.Add(py, 96))
		r := pv
		for s := 0; s < m; s++ {
			c := bc8(*(*float32)(unsafe.Add(pp, 4*s)))
			a0 = ld8(r).MulAdd(c, a0)
			a1 = ld8(unsafe.Add(r, 32)).MulAdd(c, a1)
			a2 = ld8(unsafe.Add(r, 64)).MulAdd(c, a2)
			a3 = ld8(unsafe.Add(r, 96)).MulAdd(c, a3)
			r = unsafe.Add(r, rs)
		}
		st8(py, a0)
		st8(unsafe.Add(py, 32), a1)
		st8(unsafe.Add(py, 64), a2)
		st8(unsafe.Add(py, 96), a3)
		py, pv = unsafe.Add(py, 128), unsafe.Add(pv, 128)
	}
	for ; i+8 <= n; i += 8 {
		a0 := ld8(py)
		r := pv
		for s := 0; s < m; s++ {
			a0 = ld8(r).MulAdd(bc8(*(*float32)(unsafe.Add(pp, 4*s))), a0)
			r = unsafe.Add(r, rs)
		}
		st8(py, a0)
		py, pv = unsafe.Add(py, 32), unsafe.Add(pv, 32)
	}
	for ; i < n; i++ {
		for s := 0; s < m; s++ {
			y[i] += p[s] * v[s*stride+i]
		}
	}
}

func add2(y, x []float32) {
	n := len(y)
	x = x[:n]
	py, px := unsafe.Pointer(unsafe.SliceData(y)), unsafe.Pointer(unsafe.SliceData(x))
	i := 0
	for ; i+8 <= n; i += 8 {
		st8(py, ld8(py).Add(ld8(px)))
		py, px = unsafe.Add(py, 32), unsafe.Add(px, 32)
	}
	for ; i < n; i++ {
		y[i] += x[i]
	}
}

func scale2(x []float32, a float32) {
	n := len(x)
	px := unsafe.Pointer(unsafe.SliceData(x))
	va := bc8(a)
	i := 0
	for ; i+8 <= n; i += 8 {
		st8(px, ld8(px).Mul(va))
		px = unsafe.Add(px, 32)
	}
	for ; i < n; i++ {
		x[i] *= a
	}
}

func sumSquares2(x []float32) float64 {
	n := len(x)
	px := unsafe.Pointer(unsafe.SliceData(x))
	var s0, s1 archsimd.Float64x4
	i := 0
	for ; i+8 <= n; i += 8 {
		v := ld8(px)
		lo, hi := v.GetLo().ConvertToFloat64(), v.GetHi().ConvertToFloat64()
		s0 = lo.MulAdd(lo, s0)
		s1 = hi.MulAdd(hi, s1)
		px = unsafe.Add(px, 32)
	}
	var buf [4]float64
	s0.Add(s1).Store(&buf)
	s := (buf[0] + buf[1]) + (buf[2] + buf[3])
	for ; i < n; i++ {
		s += float64(x[i]) * float64(x[i])
	}
	return s
}

func mulScaled2(dst, x, w []float32, s float32) {
	n := len(x)
	dst, w = dst[:n], w[:n]
	pd, px, pw := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(unsafe.SliceData(x)), unsafe.Pointer(unsafe.SliceData(w))
	vs := bc8(s)
	i := 0
	for ; i+8 <= n; i += 8 {
		st8(pd, ld8(pw).Mul(ld8(px).Mul(vs)))
		pd, px, pw = unsafe.Add(pd, 32), unsafe.Add(px, 32), unsafe.Add(pw, 32)
	}
	for ; i < n; i++ {
		dst[i] = w[i] * (x[i] * s)
	}
}

func max2(x []float32) float32 {
	n := len(x)
	m := x[0]
	i := 0
	if n >= 8 {
		px := unsafe.Pointer(unsafe.SliceData(x))
		vm := ld8(px)
		for i = 8; i+8 <= n; i += 8 {
			px = unsafe.Add(px, 32)
			vm = vm.Max(ld8(px))
		}
		var buf [8]float32
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

// exp8 is exp16 in 8 lanes.
func exp8(x f32x8) f32x8 {
	inRange := x.GreaterEqual(bc8(expLo))
	x = x.Min(bc8(expHi)).Max(bc8(expLo))
	n := x.Mul(bc8(log2e)).RoundToEven()
	r := n.MulAdd(bc8(-ln2Hi), x)
	r = n.MulAdd(bc8(-ln2Lo), r)
	p := bc8(expP0).MulAdd(r, bc8(expP1))
	p = p.MulAdd(r, bc8(expP2))
	p = p.MulAdd(r, bc8(expP3))
	p = p.MulAdd(r, bc8(expP4))
	p = p.MulAdd(r, bc8(expP5))
	p = p.MulAdd(r.Mul(r), r.Add(bc8(1)))
	e := n.ConvertToInt32().Add(bci8(expBias)).ShiftAllLeft(23).AsFloat32x8()
	return p.Mul(e).Masked(inRange)
}

func expSum2(x []float32, m float32) float32 {
	n := len(x)
	px := unsafe.Pointer(unsafe.SliceData(x))
	vm := bc8(m)
	var acc f32x8
	i := 0
	for ; i+8 <= n; i += 8 {
		e := exp8(ld8(px).Sub(vm))
		st8(px, e)
		acc = acc.Add(e)
		px = unsafe.Add(px, 32)
	}
	s := hsum8(acc)
	if i < n {
		var buf [8]float32
		copy(buf[:], x[i:])
		e := exp8(ld8(unsafe.Pointer(&buf)).Sub(vm))
		e.Store(&buf)
		for j := range x[i:] {
			x[i+j] = buf[j]
			s += buf[j]
		}
	}
	return s
}

func siluMul2(dst, gate, up []float32) {
	n := len(gate)
	dst, up = dst[:n], up[:n]
	pd, pg, pu := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(unsafe.SliceData(gate)), unsafe.Pointer(unsafe.SliceData(up))
	one := bc8(1)
	i := 0
	for ; i+8 <= n; i += 8 {
		g := ld8(pg)
		e := exp8(bc8(0).Sub(g))
		st8(pd, g.Div(one.Add(e)).Mul(ld8(pu)))
		pd, pg, pu = unsafe.Add(pd, 32), unsafe.Add(pg, 32), unsafe.Add(pu, 32)
	}
	if i < n {
		var g, u [8]float32
		copy(g[:], gate[i:])
		copy(u[:], up[i:])
		vg := ld8(unsafe.Pointer(&g))
		e := exp8(bc8(0).Sub(vg))
		vg.Div(one.Add(e)).Mul(ld8(unsafe.Pointer(&u))).Store(&g)
		copy(dst[i:], g[:n-i])
	}
}
