// Package x86 holds seekd's x86-64 vector kernels: every use of
// simd/archsimd (GOEXPERIMENT=simd, Go 1.26) is in this package, so that the
// next archsimd API change touches one place. Without the experiment, or on
// another architecture, AVX512 and AVX2 return nil and package tensor runs
// its portable kernels.
//
// The kernels work on plain slices and trust their callers (package tensor)
// for shapes: lengths are checked once on entry, then the loops use
// unchecked loads, because a bounds check in a vector loop halves its speed.
package x86

// Funcs is one implementation level's kernels. A nil field means the level
// has no faster kernel than the portable one.
//
// Matrix kernels see a weight as rows of rowBytes bytes in its storage type
// (the formats of package tensor: F32, F16, BF16, F8_E4M3 with float32
// block scales per 128 columns, GGUF Q8_0, Q4_0, Q5_0, Q4_K, Q6_K).
type Funcs struct {
	Name string

	// Dot returns Σ a[i]·b[i] over len(a) elements.
	Dot func(a, b []float32) float32
	// DotRows writes Dot(q, k[s·stride:][:len(q)]) into dst[s] for every
	// s < len(dst), with Dot's bits.
	DotRows func(dst, q, k []float32, stride int)
	// Axpy adds a·x to y.
	Axpy func(y []float32, a float32, x []float32)
	// AxpyRows adds p[s]·v[s·stride:][:len(y)] to y for s = 0, 1, ... in
	// that order, each element rounded as Axpy rounds it.
	AxpyRows func(y, p, v []float32, stride int)
	// Add adds x to y.
	Add func(y, x []float32)
	// Scale multiplies x by a.
	Scale func(x []float32, a float32)
	// SumSquares returns Σ x[i]² accumulated in float64.
	SumSquares func(x []float32) float64
	// MulScaled writes w[i]·(x[i]·s) into dst (dst may alias x).
	MulScaled func(dst, x, w []float32, s float32)
	// Max returns the largest element of a non-empty x.
	Max func(x []float32) float32
	// ExpSum replaces x[i] by exp(x[i]-m) and returns the sum.
	ExpSum func(x []float32, m float32) float32
	// SiLUMul writes silu(gate[i])·up[i] into dst.
	SiLUMul func(dst, gate, up []float32)

	// MatVec[T] computes y[r] = Σ_c W[r,c]·x[c] for r < len(y), where row r
	// starts at w[r*rowBytes] and has len(x) columns.
	MatVec [NumFormats]func(y []float32, w []byte, rowBytes int, x []float32)
	// MatVecF8 is MatVec for F8_E4M3 rows that share one row of block
	// scales (scales[c/128] multiplies column c).
	MatVecF8 func(y []float32, w []byte, rowBytes int, x []float32, scales []float32)
	// MatMulFloat[T] multiplies rows rows of a float format (F32, F16,
	// BF16) with the n activation rows of x (back to back), writing row i
	// of the product to y[i*ys:]; tmp holds at least four activation
	// rows. Every result is MatVec's, bit for bit.
	MatMulFloat [NumFormats]func(y []float32, ys, rows int, w []byte, rowBytes int, x []float32, n int, tmp []float32)
	// MatMulF8 is MatVecF8 for rows rows and the n activation rows of x
	// (row i of the product goes to y[i*ys:]); tmp holds at least four
	// activation rows. Every result is MatVecF8's, bit for bit.
	MatMulF8 func(y []float32, ys, rows int, w []byte, rowBytes int, x []float32, n int, scales, tmp []float32)
	// Decode[T] widens columns [k0, k0+len(dst)) of one row into dst; k0
	// and len(dst) are multiples of the format's block size (len(dst) may
	// end at the row's end for plain types).
	Decode [NumFormats]func(dst []float32, row []byte, k0 int)
	// DecodeF8 is Decode for an F8_E4M3 row with its scale row.
	DecodeF8 func(dst []float32, row []byte, k0 int, scales []float32)
	// QuantizeQ8 quantizes x (len a multiple of 32) into dst, whose slices
	// have the lengths Q8Row documents.
	QuantizeQ8 func(dst *Q8Row, x []float32)
	// MatVecQ8[T] is MatVec with activations quantized by QuantizeQ8 (nil
	// for the formats without an integer kernel).
	MatVecQ8 [NumFormats]func(y []float32, w []byte, rowBytes int, x *Q8Row)
	// MatMulQ8[T] multiplies rows weight rows (rowBytes apart) with every
	// activation row of x, writing row r of activation i to y[i*ys+r]; it
	// reads each weight block once for up to four activation rows, and a
	// row's result does not depend on the other rows (nil where MatVecQ8
	// is the only kernel).
	MatMulQ8 [NumFormats]func(y []float32, ys, rows int, w []byte, rowBytes int, x []Q8Row)
	// VNNI tile products (nil without AVX512-VNNI; see vnni.go for the
	// layouts): PackQ8Tile[T] packs up to VNNIRows weight rows of a
	// format, PackQ8Acts up to VNNIActs quantized activation rows, and
	// TileQ8 multiplies a tile with a panel and writes the product of
	// activation row g < ng and weight row r < nr to y[g*ys+r].
	PackQ8Tile [NumFormats]func(w []byte, ws []float32, data []byte, rowBytes, nr, b0, nb int)
	PackQ8Acts func(x []byte, xs []float32, rows []Q8Row, b0, nb int)
	TileQ8     func(w []byte, ws []float32, x []byte, xs []float32, nb int, y []float32, ys, ng, nr int)
	// Sgemm computes y[i*ys+j] = Σ_c a[i*as+c]·b[c*bs+j] (plus y when
	// add) for i < m, j < n, c < k, each output's products added in order.
	Sgemm func(y []float32, ys int, a []float32, as int, b []float32, bs int, m, n, k int, add bool)
	// Gemm adds Σ_c w[r*ws+c]·x[i*xs+c] over c < k to y[i*ys+r] for r <
	// rows and i < n.
	Gemm func(y []float32, ys int, w []float32, ws, rows int, x []float32, xs, n, k int)
}

// Format indexes the weight formats of Funcs.MatVec and Funcs.Decode.
type Format int

// Weight formats (F8_E4M3 has its own fields, since it carries scales).
const (
	F32 Format = iota
	F16
	BF16
	Q8_0
	Q4_0
	Q5_0
	Q4K
	Q6K
	NumFormats
)

// Q8Row is one activation row quantized to 8 bits per value in blocks of
// 32, as llama.cpp's Q8_0 (with a float32 scale): Q[i] = round(X[i]/D[b])
// for i in block b, D[b] = max|X| over the block / 127. S[b] is D[b]·Σ Q
// over block b and Sum16[g] the integer sum of Q over the 16 values of
// group g (the offsets of Q4_0, Q4_K and Q6_K need them).
type Q8Row struct {
	Q     []int8    // len K
	D     []float32 // len K/32
	S     []float32 // len K/32
	Sum16 []int16   // len K/16
}

// Sizes of one block of a VNNI weight tile and of an activation panel.
const (
	VNNITileBytes  = 512
	VNNITileScales = 32
	VNNIActBytes   = 256
	VNNIActScales  = 16
	VNNIRows       = 16 // weight rows per tile
	VNNIActs       = 8  // activation rows per panel
)
