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
	tiledQ8                  // integer tiles with 8-bit activations (VNNI)
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
	// About eight units per thread, but none much smaller than 256 KiB of
	// weights: each unit starts on cold rows (the kernels prefetch the rows
	// after those they read), so small units read memory slower (a
	// 1536x1536 Q4_0 mat-vec: 17 GB/s in 16 units, 22.5 GB/s in 5), and
	// tiny products run on the calling thread alone.
	per := max(total/float64(8*p.Threads()), 256<<10)
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
		case q8[i].panel != nil:
			kind = tiledQ8
		case q8[i].rows != nil:
			kind = directQ8
		case pr.N <= k.directMax && k.hasMatVec(w.DType), k.fusedAll(w.DType):
			kind = direct
		}
		grain := tileRows // rows per weight tile
		if kind == tiledQ8 || kind == directQ8 && k.matMulQ8[w.DType] != nil {
			grain = x86.VNNIRows
		}
		// Units of about per, of equal size in whole grains (no sliver
		// at the end).
		parts := max(1, int(productCost(pr)/per+0.5))
		rows := ceilDiv(ceilDiv(w.Rows, parts), grain) * grain
		for lo := 0; lo < w.Rows; lo += rows {
			units = append(units, unit{prod: i, lo: lo, hi: min(lo+rows, w.Rows), kind: kind})
		}
	}
	exec := func(part, lo, hi int) {
		sc := p.scratchFor(part)
		for _, u := range units[lo:hi] {
			pr := &ps[u.prod]
			switch u.kind {
			case tiledQ8:
				tiledQ8Rows(k, sc, pr, q8[u.prod].panel, u.lo, u.hi)
			case directQ8:
				matVecQ8Rows(k, pr, q8[u.prod].rows, u.lo, u.hi)
			case direct:
				matVecRows(k, sc, pr, u.lo, u.hi)
			default:
				tiledRows(k, sc, pr, u.lo, u.hi)
			}
		}
	}
	if locked {
		p.dispatch(len(units), 1, exec) // units are claimed one at a time
	} else {
		exec(-1, 0, len(units))
	}
}

// q8Input is a product's activations quantized to 8 bits: rows for the
// fused mat-vecs, or a panel for the integer tiles.
type q8Input struct {
	rows  []x86.Q8Row
	panel *q8Panel
}

// q8Panel holds activation rows quantized and packed for the VNNI tiles,
// per group of x86.VNNIActs rows: nb blocks of x86.VNNIActBytes bytes and
// x86.VNNIActScales floats.
type q8Panel struct {
	x      []byte
	xs     []float32
	nb     int
	groups int
}

// useQ8 reports how a product meets 8-bit activations: fused mat-vecs,
// integer tiles, or not at all.
func (p *Pool) useQ8(k *kernels, pr *Product) (rows, panel bool) {
	if p == nil || p.act != Q8Activations || k.quantizeQ8 == nil || pr.N == 0 || pr.W.Cols == 0 || pr.W.Cols%32 != 0 {
		return false, false
	}
	dt := pr.W.DType
	if k.tileQ8 != nil && k.packQ8Tile[dt] != nil && pr.N > k.directMaxTiles {
		return false, true
	}
	return pr.N <= k.directMaxQ8 && (k.matVecQ8[dt] != nil || k.matMulQ8[dt] != nil), false
}

// quantizeInputs quantizes, once per distinct input, the activations of
// the products that run with 8-bit activations. The rows live in the pool
// when it is locked (and the panels are then packed in parallel).
func (p *Pool) quantizeInputs(k *kernels, ps []Product, locked bool) []q8Input {
	out := make([]q8Input, len(ps))
	needRows, needPanel := 0, 0
	for i := range ps {
		rows, panel := p.useQ8(k, &ps[i])
		switch {
		case rows:
			needRows += ps[i].N
		case panel:
			needPanel += ceilDiv(ps[i].N, x86.VNNIActs) * ps[i].W.Cols / 32
		}
	}
	if needRows+needPanel == 0 {
		return out
	}
	var rowBuf []x86.Q8Row
	var panX []byte
	var panS []float32
	if locked {
		if len(p.q8) < needRows {
			p.q8 = append(p.q8, make([]x86.Q8Row, needRows-len(p.q8))...)
		}
		if len(p.panelX) < needPanel*x86.VNNIActBytes {
			p.panelX = make([]byte, needPanel*x86.VNNIActBytes)
			p.panelS = make([]float32, needPanel*x86.VNNIActScales)
		}
		rowBuf, panX, panS = p.q8, p.panelX, p.panelS
	} else {
		rowBuf = make([]x86.Q8Row, needRows)
		panX, panS = make([]byte, needPanel*x86.VNNIActBytes), make([]float32, needPanel*x86.VNNIActScales)
	}
	for i := range ps {
		pr := &ps[i]
		rows, panel := p.useQ8(k, pr)
		if !rows && !panel {
			continue
		}
		x := pr.X[:pr.N*pr.W.Cols]
		shared := false
		for j := range ps[:i] { // products with the same input share it
			if (out[j].rows != nil || out[j].panel != nil) && ps[j].N == pr.N && ps[j].W.Cols == pr.W.Cols && &ps[j].X[0] == &x[0] {
				if r2, p2 := p.useQ8(k, &ps[j]); r2 == rows && p2 == panel {
					out[i], shared = out[j], true
					break
				}
			}
		}
		if shared {
			continue
		}
		cols := pr.W.Cols
		if rows {
			rs := rowBuf[:pr.N]
			rowBuf = rowBuf[pr.N:]
			for r := range rs {
				sizeQ8(&rs[r], cols)
				k.quantizeQ8(&rs[r], x[r*cols:(r+1)*cols])
			}
			out[i].rows = rs
			continue
		}
		pan := &q8Panel{nb: cols / 32, groups: ceilDiv(pr.N, x86.VNNIActs)}
		size := pan.groups * pan.nb
		pan.x, pan.xs = panX[:size*x86.VNNIActBytes], panS[:size*x86.VNNIActScales]
		panX, panS = panX[size*x86.VNNIActBytes:], panS[size*x86.VNNIActScales:]
		pack := func(part, lo, hi int) {
			sc := p.scratchFor(part)
			for g := lo; g < hi; g++ {
				rs := sc.q8Rows[:min(x86.VNNIActs, pr.N-g*x86.VNNIActs)]
				for r := range rs {
					i := g*x86.VNNIActs + r
					sizeQ8(&rs[r], cols)
					k.quantizeQ8(&rs[r], x[i*cols:(i+1)*cols])
				}
				k.packQ8Acts(pan.x[g*pan.nb*x86.VNNIActBytes:], pan.xs[g*pan.nb*x86.VNNIActScales:], rs, 0, pan.nb)
			}
		}
		if locked {
			p.dispatch(pan.groups, 1, pack)
		} else {
			pack(-1, 0, pan.groups)
		}
		out[i].panel = pan
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
	if f := k.matMulQ8[w.DType]; f != nil {
		f(pr.Y[lo:], w.Rows, hi-lo, w.Data[lo*rb:hi*rb], rb, xs)
		return
	}
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
	tile   []float32
	f8     []float32 // four activation rows (prescaled for FP8)
	q8Rows [x86.VNNIActs]x86.Q8Row
	q8W    []byte
	q8S    []float32
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
func matVecRows(k *kernels, sc *scratch, pr *Product, lo, hi int) {
	w, n := pr.W, pr.N
	rb := w.rowBytes
	if k.fusedAll(w.DType) {
		// All activation rows per call (FP8: rows of one scale row at a
		// time).
		if cap(sc.f8) < 4*w.Cols {
			sc.f8 = make([]float32, 4*w.Cols)
		}
		tmp := sc.f8[:4*w.Cols]
		if w.DType != F8E4M3 {
			k.matMulFloat[w.DType](pr.Y[lo:], w.Rows, hi-lo, w.Data[lo*rb:hi*rb], rb, pr.X[:n*w.Cols], n, tmp)
			return
		}
		for r0 := lo; r0 < hi; {
			r1 := min(hi, r0+FP8Block-(w.scaleRow0+r0)%FP8Block)
			k.matMulF8(pr.Y[r0:], w.Rows, r1-r0, w.Data[r0*rb:r1*rb], rb, pr.X[:n*w.Cols], n, w.scaleRow(r0), tmp)
			r0 = r1
		}
		return
	}
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

// Tiling of the integer tile products: a weight tile is x86.VNNIRows rows
// by all the columns (packed once, streaming the rows from memory in
// order), and it meets the activation panel in chunks of at most
// actGroupsQ8 groups of rows and about panelBudgetQ8 bytes, which stay in
// L2 while the unit's tiles pass.
const (
	actGroupsQ8   = 32
	panelBudgetQ8 = 512 << 10
)

// tiledQ8Rows computes rows [lo, hi) of a product from its activation
// panel. Each output is one pass over all the column blocks, starting
// from zero, so its value does not depend on the tiling.
func tiledQ8Rows(k *kernels, sc *scratch, pr *Product, pan *q8Panel, lo, hi int) {
	w := pr.W
	nb := pan.nb
	if len(sc.q8W) < nb*x86.VNNITileBytes {
		sc.q8W = make([]byte, nb*x86.VNNITileBytes)
		sc.q8S = make([]float32, nb*x86.VNNITileScales)
	}
	pack := k.packQ8Tile[w.DType]
	rb := w.rowBytes
	chunk := min(actGroupsQ8, max(1, panelBudgetQ8/(nb*(x86.VNNIActBytes+4*x86.VNNIActScales))))
	for a0 := 0; a0 < pan.groups; a0 += chunk {
		a1 := min(pan.groups, a0+chunk)
		for r0 := lo; r0 < hi; r0 += x86.VNNIRows {
			nr := min(x86.VNNIRows, hi-r0)
			pack(sc.q8W, sc.q8S, w.Data[r0*rb:hi*rb], rb, nr, 0, nb)
			for g := a0; g < a1; g++ {
				off := g * nb
				i0 := g * x86.VNNIActs
				k.tileQ8(sc.q8W, sc.q8S, pan.x[off*x86.VNNIActBytes:], pan.xs[off*x86.VNNIActScales:], nb,
					pr.Y[i0*w.Rows+r0:], w.Rows, min(x86.VNNIActs, pr.N-i0), nr)
			}
		}
	}
}
