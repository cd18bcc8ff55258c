//go:build goexperiment.simd && amd64

package x86

import "simd/archsimd"

// AVX512 returns the AVX-512 kernels (F, CD, BW, DQ and VL), or nil when
// the CPU lacks them.
func AVX512() *Funcs {
	if !archsimd.X86.AVX512() || !archsimd.X86.FMA() {
		return nil
	}
	f := &Funcs{
		Name:       "avx512",
		Dot:        dot512,
		Axpy:       axpy512,
		AxpyRows:   axpyRows512,
		DotRows:    dotRows512,
		Add:        add512,
		Scale:      scale512,
		SumSquares: sumSquares512,
		MulScaled:  mulScaled512,
		Max:        max512,
		ExpSum:     expSum512,
		SiLUMul:    siluMul512,
		MatVecF8:   mvF8_512,
		MatMulF8:   mmF8_512,
		DecodeF8:   decF8_512,
		Gemm:       gemm512,
		Sgemm:      sgemm512,
		QuantizeQ8: quantQ8_512,
	}
	f.MatVec[F32], f.Decode[F32] = mvF32_512, decF32_512
	f.MatVec[F16], f.Decode[F16] = mvF16_512, decF16_512
	f.MatVec[BF16], f.Decode[BF16] = mvBF16_512, decBF16_512
	f.MatMulFloat[F32], f.MatMulFloat[F16], f.MatMulFloat[BF16] = mmF32_512, mmF16_512, mmBF16_512
	f.MatVec[Q8_0], f.Decode[Q8_0] = mvQ8_0_512, decQ8_0_512
	f.MatVec[Q4_0], f.Decode[Q4_0] = mvQ4_0_512, decQ4_0_512
	f.MatVec[Q5_0], f.Decode[Q5_0] = mvQ5_0_512, decQ5_0_512
	f.MatVec[Q4K], f.Decode[Q4K] = mvQ4K_512, decQ4K_512
	f.MatVec[Q6K], f.Decode[Q6K] = mvQ6K_512, decQ6K_512
	f.MatVecQ8[Q8_0] = mvQ8_0q8
	f.MatVecQ8[Q4_0] = mvQ4_0q8
	f.MatVecQ8[Q4K] = mvQ4Kq8
	f.MatVecQ8[Q6K] = mvQ6Kq8
	if archsimd.X86.AVX512VNNI() {
		f.PackQ8Tile[Q8_0], f.PackQ8Tile[Q4_0], f.PackQ8Tile[Q4K] = packQ8_0, packQ4_0, packQ4K
		f.PackQ8Acts, f.TileQ8 = packActs, tileQ8VNNI
		f.MatMulQ8[Q8_0], f.MatMulQ8[Q4_0] = mmQ8_0q8x16, mmQ4_0q8x16
	}
	return f
}

// AVX2 returns the AVX2 kernels (with FMA), or nil when the CPU lacks
// them. Block formats other than Q8_0 and Q4_0 with 8-bit activations are
// multiplied through their decoders and the float32 tile product.
func AVX2() *Funcs {
	if !archsimd.X86.AVX2() || !archsimd.X86.FMA() {
		return nil
	}
	f := &Funcs{
		Name:       "avx2",
		Dot:        dot2,
		Axpy:       axpy2,
		AxpyRows:   axpyRows2,
		DotRows:    dotRows2,
		Add:        add2,
		Scale:      scale2,
		SumSquares: sumSquares2,
		MulScaled:  mulScaled2,
		Max:        max2,
		ExpSum:     expSum2,
		SiLUMul:    siluMul2,
		MatVecF8:   mvF8_2,
		DecodeF8:   decF8_2,
		Gemm:       gemm2,
		QuantizeQ8: quantQ8_2,
	}
	f.MatVec[F32], f.Decode[F32] = mvF32_2, decF32_2
	f.MatVec[F16], f.Decode[F16] = mvF16_2, decF16_2
	f.MatVec[BF16], f.Decode[BF16] = mvBF16_2, decBF16_2
	f.Decode[Q8_0] = decQ8_0_2
	f.Decode[Q4_0] = decQ4_0_2
	f.Decode[Q5_0] = decQ5_0_2
	f.Decode[Q4K] = decQ4K_2
	f.Decode[Q6K] = decQ6K_2
	f.MatVecQ8[Q8_0] = mvQ8_0q8
	f.MatVecQ8[Q4_0] = mvQ4_0q8
	return f
}
