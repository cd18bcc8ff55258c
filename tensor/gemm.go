package tensor

import "fmt"

// Gemm computes Y = A·B, or Y += A·B when accumulate, for row-major
// float32 matrices: A is m×k with rows as apart, B is k×n with rows bs
// apart, Y is m×n with rows ys apart. It is the product attention needs
// for probabilities times values (B rows are cache rows, read in place),
// run in parallel over blocks of Y. Each output adds its k products in
// order, so a row's result does not depend on m.
func (p *Pool) Gemm(y []float32, ys int, a []float32, as int, b []float32, bs int, m, n, k int, accumulate bool) {
	if m < 0 || n < 0 || k < 0 || (m > 0 && n > 0 && (ys < n || len(y) < (m-1)*ys+n ||
		k > 0 && (as < k && m > 1 || len(a) < (m-1)*as+k || bs < n && k > 1 || len(b) < (k-1)*bs+n))) {
		panic(fmt.Sprintf("tensor: Gemm %dx%dx%d with y %d (stride %d), a %d (stride %d), b %d (stride %d)", m, n, k, len(y), ys, len(a), as, len(b), bs))
	}
	if m == 0 || n == 0 {
		return
	}
	kern := p.kernels()
	// Blocks of 12 rows (the kernel's tile) by column strips of whole
	// 32-column tiles, about four per thread.
	const rowTile, colTile = 12, 32
	rb := ceilDiv(m, rowTile)
	cb := ceilDiv(n, colTile)
	cw := cb // column tiles per block
	for rb*ceilDiv(cb, cw) < 4*p.Threads() && cw > 1 {
		cw = ceilDiv(cw, 2)
	}
	nc := ceilDiv(cb, cw)
	p.run(rb*nc, 1, func(_, lo, hi int) {
		for u := lo; u < hi; u++ {
			i0, j0 := u/nc*rowTile, u%nc*cw*colTile
			mi, nj := min(rowTile, m-i0), min(cw*colTile, n-j0)
			gemmBlock(kern, y[i0*ys+j0:], ys, a[i0*as:], as, b[j0:], bs, mi, nj, k, accumulate)
		}
	})
}

// gemmBlock runs one block of Gemm on the set's kernel, or row by row
// with axpy.
func gemmBlock(kern *kernels, y []float32, ys int, a []float32, as int, b []float32, bs int, m, n, k int, accumulate bool) {
	if kern.sgemm != nil {
		kern.sgemm(y, ys, a, as, b, bs, m, n, k, accumulate)
		return
	}
	for i := 0; i < m; i++ {
		yi := y[i*ys : i*ys+n]
		if !accumulate {
			clear(yi)
		}
		for c := 0; c < k; c++ {
			kern.axpy(yi, a[i*as+c], b[c*bs:c*bs+n])
		}
	}
}
