package tensor

import (
	"fmt"

	"github.com/seekd/seekd/tensor/internal/x86"
)

// Tiling of the batched products: weight rows are widened to float32 in
// tiles of tileRows rows by tileCols columns (16 KiB, in L1), and every
// activation row is multiplied with the tile before the next is decoded,
// so each weight block is read and decoded once per product.
const (
	tileRows = 4
	tileCols = 1024 // a multiple of every block size and of FP8Block
	// tileBatch is how many activation rows meet a tile per pass: their
	// 1024 columns (512 KiB) stay in L2 across the tiles of a unit.
	tileBatch = 128
	// directRows is how many rows a fused mat-vec handles per activation
	// row before moving to the next, so that a few activation rows reuse
	// the weights from cache.
	directRows = 16
)

// Product is one Y = X·Wᵀ of a fused dispatch: X holds N activation rows
// of W.Cols values and Y receives N rows of W.Rows values, both row-major.
type Product struct {
	Y []float32
	W *Matrix
	X []float32
	N int
}

// MatVec computes y[r] = Σ_c W[r,c]·x[c] for every row r of w.
func (p *Pool) MatVec(y []float32, w *Matrix, x []float32) {
	p.MatMul(y, w, x, 1)
}

// MatMul computes Y[i,r] = Σ_c W[r,c]·X[i,c] for the n rows of X
// (X is [n, Cols] and Y is [n, Rows], both row-major). Each weight block is
// read once for all n inputs.
func (p *Pool) MatMul(y []float32, w *Matrix, x []float32, n int) {
	p.MatMulBatch([]Product{{Y: y, W: w, X: x, N: n}})
}

// MatMulMulti computes ys[j] = X·ws[j]ᵀ for matrices that read the same
// input (the q and kv projections, gate and up) in one parallel dispatch.
func (p *Pool) MatMulMulti(ys [][]float32, ws []*Matrix, x []float32, n int) {
	if len(ys) != len(ws) {
		panic(fmt.Sprintf("tensor: MatMulMulti with %d outputs for %d matrices", len(ys), len(ws)))
	}
	ps := make([]Product, len(ws))
	for j, w := range ws {
		ps[j] = Product{Y: ys[j], W: w, X: x, N: n}
	}
	p.MatMulBatch(ps)
}

// unit is a range of rows of one product, the smallest piece of work a
// thread claims.
type unit struct {
	prod   int
	lo, hi int
	kind   unitKind
}

type unitKind uint8

const (
	tiled    unitKind = iota // decode weight tiles, multiply in float32
	direct                   // fused mat-vec per activation row
	directQ8                 // fused mat-vec with 8-bit activations
)

// MatMulBatch runs independent products (several experts, or matrices
// with the same input) in one parallel dispatch. Products must not write
// to each other's inputs.
func (p *Pool) MatMulBatch(ps []Product) {
	k := p.kernels()
	var total float64
	for i := range ps {
		pr := &ps[i]
		w := pr.W
		if pr.N < 0 || len(pr.X) < pr.N*w.Cols || len(pr.Y) < pr.N*w.Rows {
			panic(fmt.Sprintf("tensor: MatMul %s [%d,%d] with x %d and y %d for n=%d", w.Name, w.Rows, w.Cols, len(pr.X), len(pr.Y), pr.N))
		}
		total += productCost(pr)
	}
	// The pool's scratch is used under its lock; without it (no pool, or a
	// product inside a loop of the same pool) the products run serially.
	locked := p != nil && p.mu.TryLock()
	if locked {
		defer p.mu.Unlock()
	}
	q8 := p.quantizeInputs(k, ps, locked)
	// About eight units per thread, but none much smaller than 32 KiB of
	// weights: a unit then costs far more than its claim.
	per := max(total/float64(8*p.Threads()), 32<<10)
	var units []unit
	for i := range ps {
		pr := &ps[i]
		w := pr.W
		if pr.N == 0 || w.Rows == 0 {
			continue
		}
		if w.Cols == 0 {
			clear(pr.Y[:pr.N*w.Rows])
			continue
		}
		kind := tiled
		switch {
		case q8[i] != nil:
			kind = directQ8
		case pr.N <= k.directMax && k.hasMatVec(w.DType):
			kind = direct
		}
		rows := int(per / (productCost(pr) / float64(w.Rows)))
		rows = min(max(tileRows, (rows+tileRows-1)/tileRows*tileRows), w.Rows)
		for lo := 0; lo < w.Rows; lo += rows {
			units = append(units, unit{prod: i, lo: lo, hi: min(lo+rows, w.Rows), kind: kind})
		}
	}
	exec := func(part, lo, hi int) {
		sc := p.scratchFor(part)
		for _, u := range units[lo:hi] {
			pr := &ps[u.prod]
			switch u.kind {
			case directQ8:
				matVecQ8Rows(k, pr, q8[u.prod], u.lo, u.hi)
			case direct:
				matVecRows(k, pr, u.lo, u.hi)
			default:
				tiledRows(k, sc, pr, u.lo, u.hi)
			}
		}
	}
	if locked {
		p.dispatch(len(units), 1, exec)
	} else {
		exec(-1, 0, len(units))
	}
}

// quantizeInputs quantizes, once per distinct input, the activations of
// the products that run with 8-bit activations; it returns their rows per
// product (nil for the others). The rows live in the pool when locked.
func (p *Pool) quantizeInputs(k *kernels, ps []Product, locked bool) [][]x86.Q8Row {
	if p == nil || p.act != Q8Activations || k.quantizeQ8 == nil {
		return make([][]x86.Q8Row, len(ps))
	}
	out := make([][]x86.Q8Row, len(ps))
	need := 0
	for i := range ps {
		pr := &ps[i]
		if pr.N > 0 && pr.N <= k.directMaxQ8 && k.matVecQ8[pr.W.DType] != nil && pr.W.Cols > 0 {
			need += pr.N
		}
	}
	if need == 0 {
		return out
	}
	var pool []x86.Q8Row
	if locked {
		if len(p.q8) < need {
			p.q8 = append(p.q8, make([]x86.Q8Row, need-len(p.q8))...)
		}
		pool = p.q8
	} else {
		pool = make([]x86.Q8Row, need)
	}
	next := 0
	for i := range ps {
		pr := &ps[i]
		if pr.N == 0 || pr.N > k.directMaxQ8 || k.matVecQ8[pr.W.DType] == nil || pr.W.Cols == 0 {
			continue
		}
		x := pr.X[:pr.N*pr.W.Cols]
		for j := range ps[:i] { // products with the same input share its rows
			if out[j] != nil && len(out[j]) == pr.N && ps[j].W.Cols == pr.W.Cols && &ps[j].X[0] == &x[0] {
				out[i] = out[j]
				break
			}
		}
		if out[i] != nil {
			continue
		}
		rows := pool[next : next+pr.N]
		next += pr.N
		for r := range rows {
			sizeQ8(&rows[r], pr.W.Cols)
			k.quantizeQ8(&rows[r], x[r*pr.W.Cols:(r+1)*pr.W.Cols])
		}
		out[i] = rows
	}
	return out
}

// sizeQ8 gives q room for k values.
func sizeQ8(q *x86.Q8Row, k int) {
	if cap(q.Q) < k {
		q.Q = make([]int8, k)
		q.D = make([]float32, k/32)
		q.S = make([]float32, k/32)
		q.Sum16 = make([]int16, k/16)
	}
	q.Q, q.D, q.S, q.Sum16 = q.Q[:k], q.D[:k/32], q.S[:k/32], q.Sum16[:k/16]
}

// matVecQ8Rows is matVecRows with quantized activations.
func matVecQ8Rows(k *kernels, pr *Product, xs []x86.Q8Row, lo, hi int) {
	w := pr.W
	rb := w.rowBytes
	f := k.matVecQ8[w.DType]
	for r0 := lo; r0 < hi; r0 += directRows {
		r1 := min(hi, r0+directRows)
		data := w.Data[r0*rb : r1*rb]
		for i := range xs {
			f(pr.Y[i*w.Rows+r0:i*w.Rows+r1], data, rb, &xs[i])
		}
	}
}

// productCost estimates a product's work in weight bytes read (decoding
// dominates up to a few activation rows, the multiply-adds after).
func productCost(pr *Product) float64 {
	return float64(pr.W.Rows) * float64(pr.W.rowBytes+4) * float64(1+pr.N/4)
}

// scratch is one participant's working memory.
type scratch struct {
	tile []float32
}

func (p *Pool) scratchFor(part int) *scratch {
	if part < 0 {
		return new(scratch)
	}
	return p.scratch[part]
}

func (s *scratch) tileBuf() []float32 {
	if s.tile == nil {
		s.tile = make([]float32, tileRows*tileCols)
	}
	return s.tile
}

// scaleRow returns the FP8 block scales of row r (ones for an F8_E4M3
// matrix made without scales).
func (m *Matrix) scaleRow(r int) []float32 {
	sc := ceilDiv(m.Cols, FP8Block)
	if m.Scales == nil {
		ones := make([]float32, sc)
		for i := range ones {
			ones[i] = 1
		}
		return ones
	}
	i := (m.scaleRow0 + r) / FP8Block * m.ScaleCols
	return m.Scales[i : i+sc]
}

// matVecRows runs the fused mat-vec kernel on rows [lo, hi) for every
// activation row, directRows rows at a time so that the weights stay in
// cache across the activation rows.
func matVecRows(k *kernels, pr *Product, lo, hi int) {
	w, n := pr.W, pr.N
	rb := w.rowBytes
	for r0 := lo; r0 < hi; {
		r1 := min(hi, r0+directRows)
		var scales []float32
		if w.DType == F8E4M3 {
			// Rows of one call share a scale row.
			r1 = min(r1, r0+FP8Block-(w.scaleRow0+r0)%FP8Block)
			scales = w.scaleRow(r0)
		}
		data := w.Data[r0*rb : r1*rb]
		for i := 0; i < n; i++ {
			y := pr.Y[i*w.Rows+r0 : i*w.Rows+r1]
			x := pr.X[i*w.Cols : (i+1)*w.Cols]
			if scales != nil {
				k.matVecF8(y, data, rb, x, scales)
			} else {
				k.matVec[w.DType](y, data, rb, x)
			}
		}
		r0 = r1
	}
}

// tiledRows computes rows [lo, hi) of a product by decoding weight tiles
// to float32 and multiplying each with the activation rows, tileBatch of
// them at a time so that their columns of a tile stay in L2.
func tiledRows(k *kernels, sc *scratch, pr *Product, lo, hi int) {
	w := pr.W
	for i := 0; i < pr.N; i++ {
		clear(pr.Y[i*w.Rows+lo : i*w.Rows+hi])
	}
	tile := sc.tileBuf()
	for i0 := 0; i0 < pr.N; i0 += tileBatch {
		n := min(tileBatch, pr.N-i0)
		y, x := pr.Y[i0*w.Rows:], pr.X[i0*w.Cols:]
		for k0 := 0; k0 < w.Cols; k0 += tileCols {
			kw := min(tileCols, w.Cols-k0)
			for r0 := lo; r0 < hi; r0 += tileRows {
				nr := min(tileRows, hi-r0)
				for j := 0; j < nr; j++ {
					dst := tile[j*tileCols : j*tileCols+kw]
					if w.DType == F8E4M3 {
						k.decodeF8(dst, w.RowData(r0+j), k0, w.scaleRow(r0+j))
					} else {
						k.decode[w.DType](dst, w.RowData(r0+j), k0)
					}
				}
				k.gemm(y[r0:], w.Rows, tile, tileCols, nr, x[k0:], w.Cols, n, kw)
			}
		}
	}
}
