package tensor

import "math"

// The portable kernel set: plain Go, the fallback for every kernel a SIMD
// set lacks and the only set in builds without GOEXPERIMENT=simd.

// portableKernels returns a new portable set (callers may overlay it).
func portableKernels() *kernels {
	k := &kernels{
		set:        KernelsPortable,
		dot:        dotPortable,
		axpy:       axpyPortable,
		axpyRows:   axpyRowsPortable,
		dotRows:    dotRowsPortable,
		add:        addPortable,
		scale:      scalePortable,
		sumSquares: sumSquaresPortable,
		mulScaled:  mulScaledPortable,
		max:        maxPortable,
		expSum:     expSumPortable,
		siluMul:    siluMulPortable,
		decodeF8:   decodeF8Portable,
		gemm:       gemmPortable,
	}
	for dt := F32; dt < numDTypes; dt++ {
		if dt.Float() && dt != F8E4M3 {
			k.decode[dt] = decodePortable(dt)
		}
	}
	return k
}

func dotPortable(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func axpyPortable(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * x[i]
	}
}

func dotRowsPortable(dst, q, k []float32, stride int) {
	for s := range dst {
		dst[s] = dotPortable(q, k[s*stride:s*stride+len(q)])
	}
}

func axpyRowsPortable(y, p, v []float32, stride int) {
	for s, a := range p {
		axpyPortable(y, a, v[s*stride:s*stride+len(y)])
	}
}

func addPortable(y, x []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += x[i]
	}
}

func scalePortable(x []float32, a float32) {
	for i := range x {
		x[i] *= a
	}
}

func sumSquaresPortable(x []float32) float64 {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	return ss
}

func mulScaledPortable(dst, x, w []float32, s float32) {
	dst, w = dst[:len(x)], w[:len(x)]
	for i, v := range x {
		dst[i] = w[i] * (v * s)
	}
}

func maxPortable(x []float32) float32 {
	m := x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
	}
	return m
}

func expSumPortable(x []float32, m float32) float32 {
	var s float32
	for i, v := range x {
		e := float32(math.Exp(float64(v - m)))
		x[i] = e
		s += e
	}
	return s
}

func siluMulPortable(dst, gate, up []float32) {
	dst, up = dst[:len(gate)], up[:len(gate)]
	for i, g := range gate {
		dst[i] = g / (1 + float32(math.Exp(float64(-g)))) * up[i]
	}
}

// decodePortable widens columns [k0, k0+len(dst)) of a row with the
// reference decoder.
func decodePortable(dt DType) func(dst []float32, row []byte, k0 int) {
	bs, bb := dt.BlockSize(), dt.BlockBytes()
	return func(dst []float32, row []byte, k0 int) {
		if err := DequantizeRow(dt, row[k0/bs*bb:], dst); err != nil {
			panic(err) // the callers pass whole blocks inside the row
		}
	}
}

func decodeF8Portable(dst []float32, row []byte, k0 int, scales []float32) {
	row = row[k0 : k0+len(dst)]
	for i, b := range row {
		dst[i] = fp8e4m3Table[b] * scales[(k0+i)/FP8Block]
	}
}

// gemmPortable adds Σ_c w[r*ws+c]·x[i*xs+c] to y[i*ys+r].
func gemmPortable(y []float32, ys int, w []float32, ws, rows int, x []float32, xs, n, k int) {
	for r := 0; r < rows; r++ {
		wr := w[r*ws : r*ws+k]
		for i := 0; i < n; i++ {
			y[i*ys+r] += dotPortable(wr, x[i*xs:i*xs+k])
		}
	}
}
