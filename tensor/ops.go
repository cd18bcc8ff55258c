package tensor

import "math"

// Element-wise and reduction operations used by every forward pass. These
// are the portable definitions; faster versions keep the same results within
// float32 rounding.

// RMSNorm writes w[i]·x[i]/sqrt(mean(x²)+eps) into dst (dst may alias x).
// The mean is accumulated in float64 so the result does not depend on the
// summation order.
func RMSNorm(dst, x, w []float32, eps float32) {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	inv := float32(1 / math.Sqrt(ss/float64(len(x))+float64(eps)))
	for i, v := range x {
		dst[i] = w[i] * (v * inv)
	}
}

// Softmax replaces x by exp(x-max)/Σexp(x-max).
func Softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	m := x[0]
	for _, v := range x[1:] {
		if v > m {
			m = v
		}
	}
	var s float32
	for i, v := range x {
		e := float32(math.Exp(float64(v - m)))
		x[i] = e
		s += e
	}
	inv := 1 / s
	for i := range x {
		x[i] *= inv
	}
}

// SiLUMul writes silu(gate[i])·up[i] into dst (the SwiGLU activation).
func SiLUMul(dst, gate, up []float32) {
	for i, g := range gate {
		dst[i] = g / (1 + float32(math.Exp(float64(-g)))) * up[i]
	}
}

// Axpy adds a·x to y.
func Axpy(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * x[i]
	}
}

// Add adds x to y element-wise.
func Add(y, x []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += x[i]
	}
}

// Scale multiplies x by a.
func Scale(x []float32, a float32) {
	for i := range x {
		x[i] *= a
	}
}

// Sigmoid returns 1/(1+exp(-x)).
func Sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }
