// Package tensor provides the numeric core of seekd: element types (plain
// floats, DeepSeek's FP8 with block scales, GGUF block quantizations), the
// Matrix weight type, the matrix kernels and the worker pool that runs them.
//
// # Kernels
//
// Every kernel exists in a portable pure-Go form and, in builds with
// GOEXPERIMENT=simd on amd64, in AVX2 and AVX-512 forms (package
// internal/x86 holds every use of simd/archsimd). A Pool runs the set its
// options or the SEEKD_KERNELS environment variable name ("auto",
// "avx512", "avx2", "portable"), read when the pool is made; the
// package-level functions (Dot, Axpy, RMSNorm, Softmax, SiLUMul, Add,
// Scale) run the set SEEKD_KERNELS named at start-up. All sets compute the
// same products within float32 rounding; DequantizeRow is the reference
// every fast kernel is tested against.
//
// # Products
//
// Pool.MatMul multiplies a Matrix in its storage type with float32
// activation rows; MatMulMulti and MatMulBatch run several products in
// one parallel dispatch, split into units of whole row tiles that threads
// claim one at a time. Each weight block is read from memory once per
// product:
//
//   - F32, F16, BF16 and FP8 weights meet any number of activation rows in
//     fused kernels: one row through mat-vecs (8 rows at a time for FP8,
//     prefetching the next rows), more through 4x4 register tiles that
//     widen each weight once for four activation rows (assembly, 150-250
//     GFLOP/s per core). Every output has the mat-vec's bits.
//   - GGUF block formats with ExactActivations use fused mat-vecs for a
//     few rows and, for more, weight tiles widened to float32 once and
//     multiplied with all the rows.
//
// Pool.Gemm is a row-major float32 Y (+)= A·B (attention's probabilities
// times cached values, read in place).
//
// With Q8Activations (WithActivations, or SEEKD_ACTIVATIONS=q8), products
// of GGUF Q8_0, Q4_0, Q4_K and Q6_K weights quantize the activations to 8
// bits per block of 32 and multiply in integers, as llama.cpp does. On
// AVX512-VNNI, Q8_0 and Q4_0 mat-vecs read 16 weight rows at a time in
// GGUF's own layout, transposed in registers (VPDPBUSD, up to four
// activation rows per weight read, the next 16 rows prefetched), and
// batches of more rows use integer tiles packed from the same transposes
// (Q4_K too); both compute a row the same way, bit for bit. Without VNNI,
// fused AVX2 mat-vecs serve up to 8 rows. The cost in accuracy is
// llama.cpp's. The default, ExactActivations, gives the
// dequantize-then-multiply results within float32 rounding. The integer
// kernels, and the float kernels above, are in assembly (internal/x86/*_amd64.s):
// archsimd lacks VPDPBUSD, VCVTPH2PS and prefetches.
//
// # Batch invariance
//
// A row's result does not depend on how many rows share its product (so
// seeded sampling reproduces across batch sizes) for float and FP8 weights
// everywhere, and for Q8_0 and Q4_0 with 8-bit activations on AVX512-VNNI.
// Exact products of GGUF block formats (and the AVX2 set's 8-bit ones)
// switch kernels above a few rows, which changes float32 rounding.
//
// # Threads
//
// A Pool owns one worker goroutine per extra thread. After a loop, workers
// poll for the next one for DefaultSpin (waking a parked goroutine costs
// tens of microseconds, more than a decode product) and then park, so an
// idle pool uses no CPU.
package tensor
