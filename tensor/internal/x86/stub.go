//go:build !goexperiment.simd || !amd64

package x86

// AVX512 returns nil: this build has no archsimd kernels.
func AVX512() *Funcs { return nil }

// AVX2 returns nil: this build has no archsimd kernels.
func AVX2() *Funcs { return nil }
