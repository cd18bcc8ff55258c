package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// shapes per weight type: ragged row counts (not multiples of the 4-row
// tiles or the 16-row direct steps), columns not multiples of 16, of the
// 1024-column tiles or of the 4096/8192-column mat-vec steps, FP8 columns
// ending in partial 128-blocks.
func testShapes(dt DType) [][2]int {
	switch dt {
	case F32, F16, BF16:
		return [][2]int{{1, 1}, {5, 17}, {7, 129}, {37, 1030}, {3, 4100}}
	case F8E4M3:
		return [][2]int{{3, 16}, {9, 200}, {130, 129}, {6, 1100}, {5, 4500}, {37, 384}}
	case Q4_K, Q6_K:
		return [][2]int{{1, 256}, {7, 512}, {18, 1280}, {3, 8448}}
	default:
		return [][2]int{{1, 32}, {7, 96}, {21, 1056}, {3, 8224}}
	}
}

var testNs = []int{1, 2, 3, 5, 8, 17}

// closeEnough reports whether got is within the float32 accumulation bound
// of want: kernels sum K products in float32, sequentially per accumulator
// lane (at most K/4 terms for the portable dot, K/16 for 16-lane SIMD) and
// then across lanes, so the rounding error is below (K/4+16)·2⁻²⁴·Σ|w·x|.
// Exactly widened weights make that the only difference from the
// reference.
func closeEnough(got float32, want, mag float64, k int) bool {
	tol := float64(k/4+16) * 0x1p-24 * mag
	return math.Abs(float64(got)-want) <= tol
}

func TestMatMulMatchesReference(t *testing.T) {
	forEachSet(t, func(t *testing.T, k *kernels) {
		pool := NewPool(2, WithKernels(k.set))
		defer pool.Close()
		rng := rand.New(rand.NewPCG(1, 2))
		for _, dt := range weightTypes {
			for _, sh := range testShapes(dt) {
				rows, cols := sh[0], sh[1]
				m := randomMatrix(t, rng, dt, rows, cols)
				for _, n := range testNs {
					x := randomVec(rng, n*cols)
					want, mag := refMatMul(t, m, x, n)
					y := make([]float32, n*rows+1)
					y[n*rows] = 42 // must stay untouched
					pool.MatMul(y[:n*rows], m, x, n)
					checkProduct(t, fmt.Sprintf("%v %dx%d n=%d", dt, rows, cols, n), y, want, mag, cols)
					if y[n*rows] != 42 {
						t.Fatalf("%v %dx%d n=%d: wrote past Y", dt, rows, cols, n)
					}
				}
			}
		}
	})
}

func checkProduct(t *testing.T, name string, y []float32, want, mag []float64, k int) {
	t.Helper()
	for i := range want {
		if !closeEnough(y[i], want[i], mag[i], k) {
			t.Fatalf("%s: y[%d] = %g, want %g (Σ|w·x| %g)", name, i, y[i], want[i], mag[i])
		}
	}
}

func TestDecodeIsExact(t *testing.T) {
	forEachSet(t, func(t *testing.T, k *kernels) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, dt := range weightTypes {
			for _, sh := range testShapes(dt) {
				m := randomMatrix(t, rng, dt, 2, sh[1])
				if dt == F16 {
					// Infinities, NaNs and subnormals decode exactly too.
					for i, h := range []uint16{0x7c00, 0xfc00, 0x7e01, 0x0001, 0x83ff} {
						if 2*i+2 <= len(m.Data) {
							m.Data[2*i], m.Data[2*i+1] = byte(h), byte(h>>8)
						}
					}
				}
				want := refRow(t, m, 1)
				bs := max(dt.BlockSize(), 1)
				for _, k0 := range []int{0, bs, sh[1] / 2 / bs * bs} {
					got := make([]float32, sh[1]-k0)
					if dt == F8E4M3 {
						k.decodeF8(got, m.RowData(1), k0, m.scaleRow(1))
					} else {
						k.decode[dt](got, m.RowData(1), k0)
					}
					for c, v := range got {
						if math.Float32bits(v) != math.Float32bits(want[k0+c]) {
							t.Fatalf("%v cols %d k0 %d: element %d = %g, want %g", dt, sh[1], k0, k0+c, v, want[k0+c])
						}
					}
				}
				got := make([]float32, sh[1])
				if dt == F16 {
					m.Row(1, got)
					if !slices.EqualFunc(got, want, func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) {
						t.Fatalf("Matrix.Row differs from the reference decoder")
					}
				}
			}
		}
	})
}

func TestMatMulBatchAndMulti(t *testing.T) {
	forEachSet(t, func(t *testing.T, k *kernels) {
		pool := NewPool(3, WithKernels(k.set))
		defer pool.Close()
		rng := rand.New(rand.NewPCG(5, 6))
		const cols = 256
		var ws []*Matrix
		for i, dt := range weightTypes {
			ws = append(ws, randomMatrix(t, rng, dt, 5+7*i, cols))
		}
		for _, n := range []int{1, 6} {
			x := randomVec(rng, n*cols)
			ys := make([][]float32, len(ws))
			for i, w := range ws {
				ys[i] = make([]float32, n*w.Rows)
			}
			pool.MatMulMulti(ys, ws, x, n)
			for i, w := range ws {
				want, mag := refMatMul(t, w, x, n)
				checkProduct(t, fmt.Sprintf("multi %v n=%d", w.DType, n), ys[i], want, mag, cols)
			}
			// Different inputs and batch sizes in one dispatch.
			var ps []Product
			for i, w := range ws {
				m := 1 + (i+n)%4
				ps = append(ps, Product{Y: make([]float32, m*w.Rows), W: w, X: randomVec(rng, m*cols), N: m})
			}
			pool.MatMulBatch(ps)
			for _, pr := range ps {
				want, mag := refMatMul(t, pr.W, pr.X, pr.N)
				checkProduct(t, fmt.Sprintf("batch %v n=%d", pr.W.DType, pr.N), pr.Y, want, mag, cols)
			}
		}
	})
}

func TestMatMulFP8Slice(t *testing.T) {
	// Views that start inside a 128-row scale block keep their scale rows.
	rng := rand.New(rand.NewPCG(7, 8))
	m := randomMatrix(t, rng, F8E4M3, 300, 384)
	forEachSet(t, func(t *testing.T, k *kernels) {
		pool := NewPool(2, WithKernels(k.set))
		defer pool.Close()
		for _, r := range [][2]int{{100, 200}, {127, 129}, {250, 300}} {
			v := m.Slice(r[0], r[1])
			for _, n := range []int{1, 5} {
				x := randomVec(rng, n*v.Cols)
				want, mag := refMatMul(t, v, x, n)
				y := make([]float32, n*v.Rows)
				pool.MatMul(y, v, x, n)
				checkProduct(t, fmt.Sprintf("rows %v n=%d", r, n), y, want, mag, v.Cols)
			}
		}
	})
}

func TestMatMulEdgeCases(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	m := randomMatrix(t, rng, BF16, 6, 40)
	x := randomVec(rng, 3*40)
	want, mag := refMatMul(t, m, x, 3)
	for _, pool := range []*Pool{nil, NewPool(1), NewPool(4)} {
		y := make([]float32, 3*6)
		pool.MatMul(y, m, x, 3)
		checkProduct(t, fmt.Sprintf("pool %d threads", pool.Threads()), y, want, mag, 40)
		pool.MatMul(nil, m, nil, 0) // n = 0 does nothing
		pool.Close()
		pool.MatMul(y, m, x, 3) // after Close, serially
		checkProduct(t, "closed pool", y, want, mag, 40)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("MatMul with a short X did not panic")
		}
	}()
	NewPool(1).MatMul(make([]float32, 6), m, x[:39], 1)
}

func TestMatrixRowAllTypes(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, dt := range weightTypes {
		cols := testShapes(dt)[1][1]
		m := randomMatrix(t, rng, dt, 3, cols)
		got := make([]float32, cols)
		m.Row(2, got)
		want := refRow(t, m, 2)
		for c := range got {
			if got[c] != want[c] {
				t.Fatalf("%v: Row(2)[%d] = %g, want %g", dt, c, got[c], want[c])
			}
		}
	}
}

// q8Bound returns, per output, how far 8-bit activations can move a
// product: each activation moves by at most half its block's step
// (max|x|/127 over the 32 values of its block), times the weight.
func q8Bound(t *testing.T, m *Matrix, x []float32, n int) []float64 {
	out := make([]float64, n*m.Rows)
	for r := 0; r < m.Rows; r++ {
		row := refRow(t, m, r)
		for i := 0; i < n; i++ {
			xi := x[i*m.Cols : (i+1)*m.Cols]
			var s float64
			for b := 0; b < m.Cols; b += 32 {
				var amax, wsum float64
				for c := b; c < b+32; c++ {
					amax = math.Max(amax, math.Abs(float64(xi[c])))
					wsum += math.Abs(float64(row[c]))
				}
				s += 0.51 * amax / 127 * wsum
			}
			out[i*m.Rows+r] = s
		}
	}
	return out
}

func TestMatMulQ8Activations(t *testing.T) {
	forEachSet(t, func(t *testing.T, k *kernels) {
		pool := NewPool(2, WithKernels(k.set), WithActivations(Q8Activations))
		defer pool.Close()
		rng := rand.New(rand.NewPCG(13, 14))
		for _, dt := range weightTypes {
			for _, sh := range testShapes(dt) {
				rows, cols := sh[0], sh[1]
				if cols%32 != 0 {
					continue
				}
				m := randomMatrix(t, rng, dt, rows, cols)
				for _, n := range testNs {
					x := randomVec(rng, n*cols)
					want, mag := refMatMul(t, m, x, n)
					bound := q8Bound(t, m, x, n)
					y := make([]float32, n*rows)
					pool.MatMul(y, m, x, n)
					for i := range want {
						tol := bound[i] + 2*float64(cols/4+16)*0x1p-24*mag[i]
						if math.Abs(float64(y[i])-want[i]) > tol {
							t.Fatalf("%v %dx%d n=%d: y[%d] = %g, want %g ± %g", dt, rows, cols, n, i, y[i], want[i], tol)
						}
					}
				}
			}
		}
	})
}

func TestMatMulLargeBatch(t *testing.T) {
	// More activation rows than one pass over a tile takes (tileBatch,
	// and actGroupsQ8 groups with 8-bit activations).
	rng := rand.New(rand.NewPCG(15, 16))
	forEachSet(t, func(t *testing.T, k *kernels) {
		for _, act := range []Activations{ExactActivations, Q8Activations} {
			pool := NewPool(2, WithKernels(k.set), WithActivations(act))
			for _, dt := range []DType{BF16, Q4_0, Q8_0} {
				m := randomMatrix(t, rng, dt, 19, 64)
				n := max(2*tileBatch, 8*actGroupsQ8) + 3
				x := randomVec(rng, n*64)
				want, mag := refMatMul(t, m, x, n)
				bound := q8Bound(t, m, x, n)
				y := make([]float32, n*19)
				pool.MatMul(y, m, x, n)
				for i := range want {
					tol := 2 * float64(64/4+16) * 0x1p-24 * mag[i]
					if act == Q8Activations {
						tol += bound[i]
					}
					if math.Abs(float64(y[i])-want[i]) > tol {
						t.Fatalf("%v %v n=%d: y[%d] = %g, want %g ± %g", act, dt, n, i, y[i], want[i], tol)
					}
				}
			}
			pool.Close()
		}
	})
}

// With 8-bit activations, an activation row's products do not depend on
// how many rows share the product (fused mat-vecs for a few, integer
// tiles for many), where the set has both kinds of integer kernels.
func TestQ8BatchInvariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	forEachSet(t, func(t *testing.T, k *kernels) {
		pool := NewPool(2, WithKernels(k.set), WithActivations(Q8Activations))
		defer pool.Close()
		for _, dt := range []DType{Q4_0, Q8_0} {
			if k.matMulQ8[dt] == nil || k.packQ8Tile[dt] == nil {
				continue
			}
			for _, sh := range [][2]int{{7, 64}, {53, 320}} {
				rows, cols := sh[0], sh[1]
				m := randomMatrix(t, rng, dt, rows, cols)
				x := randomVec(rng, 20*cols)
				one := make([]float32, rows)
				for _, n := range []int{2, 3, 8, 20} {
					y := make([]float32, n*rows)
					pool.MatMul(y, m, x, n)
					for i := 0; i < n; i++ {
						pool.MatMul(one, m, x[i*cols:(i+1)*cols], 1)
						for r := range one {
							if y[i*rows+r] != one[r] {
								t.Fatalf("%v %dx%d: row %d of a batch of %d gives %g, alone %g", dt, rows, cols, i, n, y[i*rows+r], one[r])
							}
						}
					}
				}
			}
		}
	})
}

// Products large enough to split into several units (ragged at the end)
// match the reference for every kind of unit.
func TestMatMulSplitUnits(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	forEachSet(t, func(t *testing.T, k *kernels) {
		for _, act := range []Activations{ExactActivations, Q8Activations} {
			pool := NewPool(2, WithKernels(k.set), WithActivations(act))
			for _, dt := range []DType{Q4_0, F8E4M3, BF16} {
				m := randomMatrix(t, rng, dt, 1003, 1024)
				for _, n := range []int{1, 6} {
					x := randomVec(rng, n*m.Cols)
					want, mag := refMatMul(t, m, x, n)
					bound := q8Bound(t, m, x, n)
					y := make([]float32, n*m.Rows)
					pool.MatMul(y, m, x, n)
					for i := range want {
						tol := 2 * float64(m.Cols/4+16) * 0x1p-24 * mag[i]
						if act == Q8Activations {
							tol += bound[i]
						}
						if math.Abs(float64(y[i])-want[i]) > tol {
							t.Fatalf("%v %v n=%d: y[%d] = %g, want %g ± %g", act, dt, n, i, y[i], want[i], tol)
						}
					}
				}
			}
			pool.Close()
		}
	})
}
