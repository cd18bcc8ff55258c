//go:build goexperiment.simd && amd64

package x86

import (
	"fmt"
	"unsafe"
)

// The float32 product kernels (sgemm_amd64.s): rows of A (as bytes apart)
// times 32 columns of B (bs bytes apart) over k, into rows of y (ys bytes
// apart), which they read first when add != 0. masks has a bit per valid
// column.
//
//go:noescape
func sgemm12(a unsafe.Pointer, as int, b unsafe.Pointer, bs, k int, y unsafe.Pointer, ys, masks, add int)

//go:noescape
func sgemm4(a unsafe.Pointer, as int, b unsafe.Pointer, bs, k int, y unsafe.Pointer, ys, masks, add int)

// sgemm512 computes y[i*ys+j] = Σ_c a[i*as+c]·b[c*bs+j] (plus y's value
// when add) for i < m, j < n, c < k, with every matrix row-major. Each
// output sums its k products in order, one FMA at a time, whatever the
// shapes: a row's result does not depend on m.
func sgemm512(y []float32, ys int, a []float32, as int, b []float32, bs int, m, n, k int, add bool) {
	if m <= 0 || n <= 0 {
		return
	}
	if len(y) < (m-1)*ys+n || (k > 0 && (len(a) < (m-1)*as+k || len(b) < (k-1)*bs+n)) || ys < n || (m > 1 && as < k) {
		panic(fmt.Sprintf("x86: float32 product %dx%dx%d with y %d (stride %d), a %d (stride %d), b %d (stride %d)", m, n, k, len(y), ys, len(a), as, len(b), bs))
	}
	ad := 0
	if add {
		ad = 1
	}
	var pa, pb unsafe.Pointer
	if k > 0 {
		pa, pb = unsafe.Pointer(&a[0]), unsafe.Pointer(&b[0])
	}
	for j0 := 0; j0 < n; j0 += 32 {
		masks := 1<<min(32, n-j0) - 1
		bj := unsafe.Add(pb, 4*j0)
		i := 0
		for ; i+12 <= m; i += 12 {
			sgemm12(unsafe.Add(pa, 4*i*as), 4*as, bj, 4*bs, k, unsafe.Pointer(&y[i*ys+j0]), 4*ys, masks, ad)
		}
		for ; i+4 <= m; i += 4 {
			sgemm4(unsafe.Add(pa, 4*i*as), 4*as, bj, 4*bs, k, unsafe.Pointer(&y[i*ys+j0]), 4*ys, masks, ad)
		}
		for ; i < m; i++ { // one row four times over (strides 0)
			sgemm4(unsafe.Add(pa, 4*i*as), 0, bj, 4*bs, k, unsafe.Pointer(&y[i*ys+j0]), 0, masks, ad)
		}
	}
}
