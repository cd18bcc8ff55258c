package tensor

import (
	"fmt"
	"os"
	"strings"

	"github.com/seekd/seekd/tensor/internal/x86"
)

// KernelSet names an implementation of the kernels: the vector units it
// uses. Every set computes the same products within float32 rounding.
type KernelSet uint8

// Kernel sets. The SIMD sets exist in builds with GOEXPERIMENT=simd on
// amd64 and run on CPUs with the features; Portable runs anywhere.
const (
	KernelsAuto     KernelSet = iota // the fastest set the CPU and build support
	KernelsPortable                  // pure Go
	KernelsAVX2                      // AVX2 + FMA, 8 lanes
	KernelsAVX512                    // AVX-512 F/CD/BW/DQ/VL + FMA, 16 lanes
)

var kernelSetNames = [...]string{"auto", "portable", "avx2", "avx512"}

// String returns the set's name as ParseKernelSet accepts it.
func (k KernelSet) String() string {
	if int(k) < len(kernelSetNames) {
		return kernelSetNames[k]
	}
	return fmt.Sprintf("KernelSet(%d)", uint8(k))
}

// ParseKernelSet maps "auto" (or ""), "portable", "avx2" and "avx512" to a
// KernelSet.
func ParseKernelSet(s string) (KernelSet, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return KernelsAuto, nil
	}
	for i, n := range kernelSetNames {
		if n == s {
			return KernelSet(i), nil
		}
	}
	return KernelsAuto, fmt.Errorf("tensor: unknown kernel set %q (want auto, portable, avx2 or avx512)", s)
}

// AvailableKernelSets lists the sets this build can run on this CPU,
// slowest first (Portable is always there).
func AvailableKernelSets() []KernelSet {
	var out []KernelSet
	for _, k := range builtKernels {
		out = append(out, k.set)
	}
	return out
}

// Activations selects how GGUF-quantized weights meet the activations.
type Activations uint8

const (
	// ExactActivations multiplies float32 activations with the exactly
	// dequantized weights: results match the dequantize-then-multiply
	// reference to float32 rounding.
	ExactActivations Activations = iota
	// Q8Activations quantizes activations to 8 bits per block of 32 for
	// the product with Q8_0, Q4_0, Q5_0, Q4_K and Q6_K weights, as
	// llama.cpp does, where the kernel set has integer kernels for it.
	// Other weights keep float32 activations.
	Q8Activations
)

// String returns "exact" or "q8".
func (a Activations) String() string {
	switch a {
	case ExactActivations:
		return "exact"
	case Q8Activations:
		return "q8"
	}
	return fmt.Sprintf("Activations(%d)", uint8(a))
}

// ParseActivations maps "exact" (or "") and "q8" to Activations.
func ParseActivations(s string) (Activations, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "exact":
		return ExactActivations, nil
	case "q8":
		return Q8Activations, nil
	}
	return ExactActivations, fmt.Errorf("tensor: unknown activations %q (want exact or q8)", s)
}

// kernels is one kernel set: the vector operations and, per weight type,
// a fused product (matVec) and a decoder feeding the float32 tile product.
type kernels struct {
	set        KernelSet
	dot        func(a, b []float32) float32
	axpy       func(y []float32, a float32, x []float32)
	axpyRows   func(y, p, v []float32, stride int)
	dotRows    func(dst, q, k []float32, stride int)
	add        func(y, x []float32)
	scale      func(x []float32, a float32)
	sumSquares func(x []float32) float64
	mulScaled  func(dst, x, w []float32, s float32)
	max        func(x []float32) float32
	expSum     func(x []float32, m float32) float32
	siluMul    func(dst, gate, up []float32)

	matVec   [numDTypes]func(y []float32, w []byte, rowBytes int, x []float32)
	matVecF8 func(y []float32, w []byte, rowBytes int, x []float32, scales []float32)
	matMulF8 func(y []float32, ys, rows int, w []byte, rowBytes int, x []float32, n int, scales, tmp []float32)
	// matMulFloat[T] multiplies float weights with any number of
	// activation rows, with matVec's bits (nil: float32 tiles).
	matMulFloat [numDTypes]func(y []float32, ys, rows int, w []byte, rowBytes int, x []float32, n int, tmp []float32)
	decode      [numDTypes]func(dst []float32, row []byte, k0 int)
	decodeF8    func(dst []float32, row []byte, k0 int, scales []float32)
	gemm        func(y []float32, ys int, w []float32, ws, rows int, x []float32, xs, n, k int)
	// sgemm is Gemm's kernel (nil: axpy per row).
	sgemm func(y []float32, ys int, a []float32, as int, b []float32, bs int, m, n, k int, add bool)

	// Products with 8-bit activations (Q8Activations): nil entries fall
	// back to the float32 kernels.
	quantizeQ8 func(dst *x86.Q8Row, x []float32)
	matVecQ8   [numDTypes]func(y []float32, w []byte, rowBytes int, x *x86.Q8Row)
	matMulQ8   [numDTypes]func(y []float32, ys, rows int, w []byte, rowBytes int, x []x86.Q8Row)
	// Integer tile products of many activation rows (VNNI).
	packQ8Tile [numDTypes]func(w []byte, ws []float32, data []byte, rowBytes, nr, b0, nb int)
	packQ8Acts func(x []byte, xs []float32, rows []x86.Q8Row, b0, nb int)
	tileQ8     func(w []byte, ws []float32, x []byte, xs []float32, nb int, y []float32, ys, ng, nr int)

	// directMax is the largest activation count for which products run
	// matVec once per activation row instead of decoding weight tiles for
	// gemm.
	directMax int
	// directMaxQ8 is directMax for products with 8-bit activations, and
	// directMaxTiles the same for formats with integer tiles.
	directMaxQ8, directMaxTiles int
}

// fusedAll reports whether the set multiplies dt with any number of
// activation rows without float32 tiles (with the mat-vec's bits).
func (k *kernels) fusedAll(dt DType) bool {
	if dt == F8E4M3 {
		return k.matMulF8 != nil
	}
	return k.matMulFloat[dt] != nil
}

// hasMatVec reports whether the set has a fused product for dt.
func (k *kernels) hasMatVec(dt DType) bool {
	if dt == F8E4M3 {
		return k.matVecF8 != nil
	}
	return k.matVec[dt] != nil
}

var x86Formats = [x86.NumFormats]DType{
	x86.F32: F32, x86.F16: F16, x86.BF16: BF16, x86.Q8_0: Q8_0, x86.Q4_0: Q4_0,
	x86.Q5_0: Q5_0, x86.Q4K: Q4_K, x86.Q6K: Q6_K,
}

// withSIMD returns the portable set with f's kernels in place of the
// portable ones f has.
func withSIMD(set KernelSet, f *x86.Funcs) *kernels {
	k := *portableKernels()
	k.set = set
	if f.Dot != nil {
		k.dot = f.Dot
	}
	if f.Axpy != nil {
		k.axpy = f.Axpy
	}
	if f.AxpyRows != nil {
		k.axpyRows = f.AxpyRows
	}
	if f.DotRows != nil {
		k.dotRows = f.DotRows
	}
	if f.Add != nil {
		k.add = f.Add
	}
	if f.Scale != nil {
		k.scale = f.Scale
	}
	if f.SumSquares != nil {
		k.sumSquares = f.SumSquares
	}
	if f.MulScaled != nil {
		k.mulScaled = f.MulScaled
	}
	if f.Max != nil {
		k.max = f.Max
	}
	if f.ExpSum != nil {
		k.expSum = f.ExpSum
	}
	if f.SiLUMul != nil {
		k.siluMul = f.SiLUMul
	}
	if f.MatVecF8 != nil {
		k.matVecF8 = f.MatVecF8
	}
	k.matMulF8 = f.MatMulF8
	if f.DecodeF8 != nil {
		k.decodeF8 = f.DecodeF8
	}
	if f.Gemm != nil {
		k.gemm = f.Gemm
	}
	k.sgemm = f.Sgemm
	k.quantizeQ8 = f.QuantizeQ8
	if k.quantizeQ8 != nil {
		k.packQ8Acts, k.tileQ8 = f.PackQ8Acts, f.TileQ8
	}
	for i, dt := range x86Formats {
		if f.MatVec[i] != nil {
			k.matVec[dt] = f.MatVec[i]
		}
		if f.Decode[i] != nil {
			k.decode[dt] = f.Decode[i]
		}
		k.matMulFloat[dt] = f.MatMulFloat[i]
		if k.quantizeQ8 != nil {
			k.matVecQ8[dt] = f.MatVecQ8[i]
			k.matMulQ8[dt] = f.MatMulQ8[i]
			if f.TileQ8 != nil {
				k.packQ8Tile[dt] = f.PackQ8Tile[i]
			}
		}
	}
	k.directMax, k.directMaxQ8, k.directMaxTiles = 4, 8, 8
	return &k
}

// builtKernels holds the sets this build runs on this CPU, slowest first;
// it is fixed at init.
var builtKernels = func() []*kernels {
	out := []*kernels{portableKernels()}
	if f := x86.AVX2(); f != nil {
		out = append(out, withSIMD(KernelsAVX2, f))
	}
	if f := x86.AVX512(); f != nil {
		out = append(out, withSIMD(KernelsAVX512, f))
	}
	return out
}()

// kernelsFor returns the set k names, or the best available one and false
// when k cannot run here.
func kernelsFor(k KernelSet) (*kernels, bool) {
	best := builtKernels[len(builtKernels)-1]
	if k == KernelsAuto {
		return best, true
	}
	for _, ks := range builtKernels {
		if ks.set == k {
			return ks, true
		}
	}
	return best, false
}

// defaultKernels runs the package-level functions (Dot, RMSNorm, ...) and
// nil pools: the set SEEKD_KERNELS names at start-up, else the best.
var defaultKernels = func() *kernels {
	k, err := ParseKernelSet(os.Getenv(KernelsEnv))
	if err != nil {
		k = KernelsAuto
	}
	ks, _ := kernelsFor(k)
	return ks
}()
