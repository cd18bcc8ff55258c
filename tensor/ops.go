package tensor

import "math"

// Element-wise and reduction operations used by every forward pass. They
// run the kernel set chosen at start-up (SEEKD_KERNELS, else the fastest);
// every set gives the portable results within float32 rounding.

// RMSNorm writes w[i]·x[i]/sqrt(mean(x²)+eps) into dst (dst may alias x).
// The mean is accumulated in float64 so the result barely depends on the
// summation order.
func RMSNorm(dst, x, w []float32, eps float32) {
	defaultKernels.rmsNorm(dst, x, w, eps)
}

func (k *kernels) rmsNorm(dst, x, w []float32, eps float32) {
	if len(x) == 0 {
		return
	}
	ss := k.sumSquares(x)
	inv := float32(1 / math.Sqrt(ss/float64(len(x))+float64(eps)))
	k.mulScaled(dst[:len(x)], x, w[:len(x)], inv)
}

// Softmax replaces x by exp(x-max)/Σexp(x-max).
func Softmax(x []float32) { defaultKernels.softmax(x) }

func (k *kernels) softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	s := k.expSum(x, k.max(x))
	k.scale(x, 1/s)
}

// SiLUMul writes silu(gate[i])·up[i] into dst (the SwiGLU activation).
func SiLUMul(dst, gate, up []float32) {
	defaultKernels.siluMul(dst[:len(gate)], gate, up[:len(gate)])
}

// Dot returns Σ a[i]·b[i] over len(a) elements.
func Dot(a, b []float32) float32 { return defaultKernels.dot(a, b[:len(a)]) }

// DotRows writes Dot(q, k[s·stride : s·stride+len(q)]) into dst[s] for
// every s < len(dst): one query against rows of keys, with Dot's bits.
func DotRows(dst, q, k []float32, stride int) {
	if len(dst) == 0 {
		return
	}
	defaultKernels.dotRows(dst, q, k[:(len(dst)-1)*stride+len(q)], stride)
}

// Axpy adds a·x to y.
func Axpy(y []float32, a float32, x []float32) { defaultKernels.axpy(y, a, x[:len(y)]) }

// AxpyRows adds p[s]·v[s·stride : s·stride+len(y)] to y for every s <
// len(p), in order: the sum of Axpy calls, with the same bits, but y stays
// in registers while the rows pass.
func AxpyRows(y, p, v []float32, stride int) {
	if len(p) == 0 {
		return
	}
	defaultKernels.axpyRows(y, p, v[:(len(p)-1)*stride+len(y)], stride)
}

// Add adds x to y element-wise.
func Add(y, x []float32) { defaultKernels.add(y, x[:len(y)]) }

// Scale multiplies x by a.
func Scale(x []float32, a float32) { defaultKernels.scale(x, a) }

// Sigmoid returns 1/(1+exp(-x)).
func Sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }
