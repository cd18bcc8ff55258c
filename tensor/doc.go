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
// activation rows. Up to a few rows, fused mat-vec kernels widen each weight
// block in registers and multiply it at once; with more rows, weight tiles
// are widened to float32 once and multiplied with all the rows, so each
// weight block is read from memory once per product. MatMulMulti and
// MatMulBatch run several products in one parallel dispatch.
//
// With Q8Activations (WithActivations, or SEEKD_ACTIVATIONS=q8), products
// of GGUF Q8_0, Q4_0, Q4_K and Q6_K weights quantize the activations to 8
// bits per block of 32 and multiply in integers, as llama.cpp does: fused
// mat-vecs for up to 8 activation rows (two to three times fewer bytes
// and instructions per weight), and for more rows of Q8_0, Q4_0 and Q4_K
// weights, tiles repacked for AVX512-VNNI (four to five times the float32
// tiles; the one assembly loop in the package, as archsimd lacks VPDPBUSD).
// The cost in accuracy is llama.cpp's. The default, ExactActivations,
// gives the dequantize-then-multiply results within float32 rounding.
//
// # Threads
//
// A Pool owns one worker goroutine per extra thread. After a loop, workers
// poll for the next one for DefaultSpin (waking a parked goroutine costs
// tens of microseconds, more than a decode product) and then park, so an
// idle pool uses no CPU.
package tensor
