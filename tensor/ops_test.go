package tensor

import (
	"math"
	"math/rand/v2"
	"testing"
)

var opLengths = []int{1, 2, 7, 15, 16, 17, 31, 33, 64, 100, 1000, 4099}

const u32 = 0x1p-24 // float32 unit roundoff

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

func TestVectorOpsMatchReference(t *testing.T) {
	forEachSet(t, func(t *testing.T, k *kernels) {
		rng := rand.New(rand.NewPCG(21, 22))
		for _, n := range opLengths {
			a, b := randomVec(rng, n), randomVec(rng, n)

			// Dot: float32 sums in another order, bounded as in closeEnough.
			var want, mag float64
			for i := range a {
				want += float64(a[i]) * float64(b[i])
				mag += math.Abs(float64(a[i]) * float64(b[i]))
			}
			if got := k.dot(a, b); !closeEnough(got, want, mag, n) {
				t.Fatalf("dot n=%d: %g, want %g", n, got, want)
			}

			// Axpy, Add, Scale: one or two roundings per element.
			y := append([]float32(nil), b...)
			k.axpy(y, 0.37, a)
			for i := range y {
				w := float64(b[i]) + 0.37*float64(a[i])
				if !near(float64(y[i]), w, 3*u32*(math.Abs(float64(b[i]))+math.Abs(0.37*float64(a[i])))) {
					t.Fatalf("axpy n=%d [%d]: %g, want %g", n, i, y[i], w)
				}
			}
			// DotRows: the same bits as Dot row by row.
			for _, m := range []int{1, 2, 3, 5} {
				stride := n + 5
				kr := randomVec(rng, (m-1)*stride+n)
				got := make([]float32, m)
				k.dotRows(got, a, kr, stride)
				for s := range m {
					if w := k.dot(a, kr[s*stride:s*stride+n]); got[s] != w {
						t.Fatalf("dotRows n=%d m=%d [%d]: %g, want %g", n, m, s, got[s], w)
					}
				}
			}
			// AxpyRows: the same bits as Axpy row by row.
			for _, m := range []int{1, 3, 5} {
				stride := n + 3
				v := randomVec(rng, (m-1)*stride+n)
				p := randomVec(rng, m)
				want := append([]float32(nil), b...)
				for s := range m {
					k.axpy(want, p[s], v[s*stride:s*stride+n])
				}
				got := append([]float32(nil), b...)
				k.axpyRows(got, p, v, stride)
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("axpyRows n=%d m=%d [%d]: %g, want %g", n, m, i, got[i], want[i])
					}
				}
			}
			y = append(y[:0], b...)
			k.add(y, a)
			for i := range y {
				if y[i] != b[i]+a[i] {
					t.Fatalf("add n=%d [%d]: %g, want %g", n, i, y[i], b[i]+a[i])
				}
			}
			k.scale(y, -1.5)
			for i := range y {
				if y[i] != (b[i]+a[i])*-1.5 {
					t.Fatalf("scale n=%d [%d]", n, i)
				}
			}

			// RMSNorm: the float64 sum of squares differs in order only.
			w := randomVec(rng, n)
			got := make([]float32, n)
			k.rmsNorm(got, a, w, 1e-6)
			var ss float64
			for _, v := range a {
				ss += float64(v) * float64(v)
			}
			inv := 1 / math.Sqrt(ss/float64(n)+1e-6)
			for i := range got {
				want := float64(w[i]) * float64(a[i]) * inv
				if !near(float64(got[i]), want, 4*u32*math.Abs(want)) {
					t.Fatalf("rmsnorm n=%d [%d]: %g, want %g", n, i, got[i], want)
				}
			}

			// Softmax and SiLU: exp is a polynomial in the SIMD sets
			// (about 2 ulp), the rest a few roundings.
			if n == 1 {
				continue
			}
			s := append([]float32(nil), a...)
			s[0] = float32(math.Inf(-1)) // masked score
			k.softmax(s)
			m := math.Inf(-1)
			for _, v := range a[1:] {
				m = math.Max(m, float64(v))
			}
			var z float64
			for _, v := range a[1:] {
				z += math.Exp(float64(v) - m)
			}
			if s[0] != 0 {
				t.Fatalf("softmax n=%d: exp(-inf) gave %g", n, s[0])
			}
			for i := 1; i < n; i++ {
				want := math.Exp(float64(a[i])-m) / z
				// The float32 sum of n positive terms errs by up to n·u.
				if !near(float64(s[i]), want, float64(n+16)*u32*want+1e-30) {
					t.Fatalf("softmax n=%d [%d]: %g, want %g", n, i, s[i], want)
				}
			}
			k.siluMul(got, a, b)
			for i := range got {
				g := float64(a[i])
				want := g / (1 + math.Exp(-g)) * float64(b[i])
				if !near(float64(got[i]), want, 16*u32*math.Abs(want)+1e-30) {
					t.Fatalf("silu n=%d [%d]: %g, want %g", n, i, got[i], want)
				}
			}
		}
	})
}

func TestSoftmaxAndSiLUExtremes(t *testing.T) {
	forEachSet(t, func(t *testing.T, k *kernels) {
		x := []float32{-1000, -100, -88, -87.5, -20, 0, 20, 80, 100, 1000, 3, 2, 1, 0, -1, -2, -3}
		s := append([]float32(nil), x...)
		k.softmax(s)
		var sum float32
		for i, v := range s {
			if math.IsNaN(float64(v)) || v < 0 {
				t.Fatalf("softmax[%d] = %g", i, v)
			}
			sum += v
		}
		if !near(float64(sum), 1, 1e-6) || s[9] != 1 {
			t.Fatalf("softmax of extremes: sum %g, max element %g", sum, s[9])
		}
		out := make([]float32, len(x))
		ones := make([]float32, len(x))
		for i := range ones {
			ones[i] = 1
		}
		k.siluMul(out, x, ones)
		for i, g := range x {
			want := float64(g) / (1 + math.Exp(-float64(g)))
			if !near(float64(out[i]), want, 1e-6*math.Abs(want)+1e-30) {
				t.Fatalf("silu(%g) = %g, want %g", g, out[i], want)
			}
		}
	})
}

func TestPackageOpsUseDefaultSet(t *testing.T) {
	a, b := []float32{1, 2, 3}, []float32{4, 5, 6}
	if Dot(a, b) != 32 {
		t.Fatal("Dot")
	}
	Axpy(b, 2, a)
	Add(b, a)
	Scale(b, 0.5)
	if b[0] != 3.5 || b[2] != 7.5 {
		t.Fatalf("Axpy/Add/Scale gave %v", b)
	}
	x := []float32{3, 4}
	RMSNorm(x, x, []float32{1, 1}, 0)
	if !near(float64(x[0]), 3/math.Sqrt(12.5), 1e-6) {
		t.Fatalf("RMSNorm gave %v", x)
	}
	s := []float32{0, float32(math.Log(3))}
	Softmax(s)
	if !near(float64(s[1]), 0.75, 1e-6) {
		t.Fatalf("Softmax gave %v", s)
	}
	SiLUMul(s, []float32{0, 0}, []float32{1, 1})
	if s[0] != 0 {
		t.Fatalf("SiLUMul gave %v", s)
	}
	Softmax(nil)
	RMSNorm(nil, nil, nil, 1)
}
