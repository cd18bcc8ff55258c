package tensor

import "fmt"

// MatVec computes y[r] = Σ_c W[r,c]·x[c] for every row r of w.
func (p *Pool) MatVec(y []float32, w *Matrix, x []float32) {
	p.MatMul(y, w, x, 1)
}

// MatMul computes Y[i,r] = Σ_c W[r,c]·X[i,c] for the n rows of X
// (X is [n, Cols] and Y is [n, Rows], both row-major). Each weight row is
// decoded once for all n inputs.
func (p *Pool) MatMul(y []float32, w *Matrix, x []float32, n int) {
	if len(x) < n*w.Cols || len(y) < n*w.Rows {
		panic(fmt.Sprintf("tensor: MatMul %s [%d,%d] with x %d and y %d for n=%d", w.Name, w.Rows, w.Cols, len(x), len(y), n))
	}
	p.For(w.Rows, 16, func(lo, hi int) {
		row := make([]float32, w.Cols)
		for r := lo; r < hi; r++ {
			w.Row(r, row)
			for i := 0; i < n; i++ {
				y[i*w.Rows+r] = Dot(row, x[i*w.Cols:(i+1)*w.Cols])
			}
		}
	})
}

// Dot returns Σ a[i]·b[i] over len(a) elements.
func Dot(a, b []float32) float32 {
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
