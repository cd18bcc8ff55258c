//go:build goexperiment.simd

#include "textflag.h"

// The package's assembly: what archsimd cannot express (VPDPBUSD,
// VCVTPH2PS, prefetches) or where the compiler spills the registers a
// kernel needs. Every function here has a Go declaration next to its Go
// wrapper, which checks the slices it is given.
//
// - this file: vnniTile, the 16-row kernels q4_0x16 and q8_0x16 and the
//   packs (vnni.go): 8-bit integer products on AVX512-VNNI.
// - floattile_amd64.s: fp8Rows8, fp8Tile4 (fp8.go), f32Tile4, bf16Tile4,
//   f16Tile4 (floattile.go): fused float products on AVX-512F.
// - sgemm_amd64.s: sgemm12, sgemm4 (sgemm.go): row-major float32 products.

// VNNI int8 tile product (see vnni.go for the layouts).
//
// func vnniTile(w, ws, x, xs unsafe.Pointer, nb int, y unsafe.Pointer, ys, ng, mask int)
//
// The sums start from zero; activation row g < ng's goes to y + g·ys
// (bytes), the weight rows whose bits are set in mask.
//
// Registers: Z0-Z7 int32 sums of the current block per activation row g,
// Z8-Z15 float32 results per g (16 weight rows per lane), Z16 weights of
// one group of 4 columns, Z17 block scales d, Z18 offset factors m, Z19
// scratch.
TEXT ·vnniTile(SB), NOSPLIT, $0-72
	MOVQ w+0(FP), SI
	MOVQ ws+8(FP), DX
	MOVQ x+16(FP), DI
	MOVQ xs+24(FP), R11
	MOVQ nb+32(FP), CX
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	TESTQ CX, CX
	JLE done

block:
#define GROUP(off) \
	VMOVDQU32 (off*64)(SI), Z16; \
	VPDPBUSD.BCST (off*32+0)(DI), Z16, Z0; \
	VPDPBUSD.BCST (off*32+4)(DI), Z16, Z1; \
	VPDPBUSD.BCST (off*32+8)(DI), Z16, Z2; \
	VPDPBUSD.BCST (off*32+12)(DI), Z16, Z3; \
	VPDPBUSD.BCST (off*32+16)(DI), Z16, Z4; \
	VPDPBUSD.BCST (off*32+20)(DI), Z16, Z5; \
	VPDPBUSD.BCST (off*32+24)(DI), Z16, Z6; \
	VPDPBUSD.BCST (off*32+28)(DI), Z16, Z7
	GROUP(0)
	GROUP(1)
	GROUP(2)
	GROUP(3)
	GROUP(4)
	GROUP(5)
	GROUP(6)
	GROUP(7)
#undef GROUP
	VMOVUPS 0(DX), Z17
	VMOVUPS 64(DX), Z18
#define FLUSH(g, sum, acc) \
	VCVTDQ2PS sum, sum; \
	VMULPS.BCST (g*4)(R11), Z17, Z19; \
	VFMADD231PS Z19, sum, acc; \
	VFMADD231PS.BCST (32+g*4)(R11), Z18, acc; \
	VPXORD sum, sum, sum
	FLUSH(0, Z0, Z8)
	FLUSH(1, Z1, Z9)
	FLUSH(2, Z2, Z10)
	FLUSH(3, Z3, Z11)
	FLUSH(4, Z4, Z12)
	FLUSH(5, Z5, Z13)
	FLUSH(6, Z6, Z14)
	FLUSH(7, Z7, Z15)
#undef FLUSH
	ADDQ $512, SI
	ADDQ $128, DX
	ADDQ $256, DI
	ADDQ $64, R11
	DECQ CX
	JNZ block

done:
	MOVQ y+40(FP), AX
	MOVQ ys+48(FP), BX
	MOVQ ng+56(FP), CX
	MOVQ mask+64(FP), DX
	KMOVW DX, K1
#define STORE(z) \
	VMOVUPS z, K1, (AX); \
	DECQ CX; \
	JLE stored; \
	ADDQ BX, AX
	STORE(Z8)
	STORE(Z9)
	STORE(Z10)
	STORE(Z11)
	STORE(Z12)
	STORE(Z13)
	STORE(Z14)
	STORE(Z15)
#undef STORE

stored:
	VZEROUPPER
	RET

// Decode mat-vecs on AVX512-VNNI, 16 weight rows by up to 8 activation
// rows, reading the weights in GGUF's own layout: per block of 32 columns
// the 16 rows' quant bytes are loaded, four rows per register (one per
// 128-bit lane), and transposed so that each register holds one 4-byte
// column group of all 16 rows; VPDPBUSD then multiplies each group with
// the activation bytes broadcast to the lanes. The rows' f16 block scales
// are gathered and widened with VCVTPH2PS (exact). Lane 4L+j holds row
// 4j+L until the final permute. While a call reads its 16 rows, it
// prefetches the next 16 in address order (the hardware prefetchers lose
// track of 16 interleaved streams).
//
// Per block the float32 steps are those of vnniTile: t = d·dx, acc +=
// float(isum)·t, acc += m·S with m = -8d (Q4_0) or -128d (Q8_0), so a row
// gets the same bits from either kernel.
//
// Registers: R8, R11, R12, R13 rows 0, 4, 8, 12 of the current block; R9
// the row stride, R10 three strides; R14 the prefetch pointer; DI the
// number of activation rows, SI the blocks left; DX the activation
// pointer table; BX four times the block index; CX scratch. Z31 the quant
// mask, Z30 the gather offsets, Z29 the lane rows, Z26 the offset factor,
// Z16-Z23 the sums per activation row, Z8 d, Z9 m, Z0-Z7 the quants.

// x16rows is the row of each lane: 4·(i%4) + i/4 (the permutation is its
// own inverse, so it also restores row order at the end).
DATA ·x16rows+0(SB)/4, $0
DATA ·x16rows+4(SB)/4, $4
DATA ·x16rows+8(SB)/4, $8
DATA ·x16rows+12(SB)/4, $12
DATA ·x16rows+16(SB)/4, $1
DATA ·x16rows+20(SB)/4, $5
DATA ·x16rows+24(SB)/4, $9
DATA ·x16rows+28(SB)/4, $13
DATA ·x16rows+32(SB)/4, $2
DATA ·x16rows+36(SB)/4, $6
DATA ·x16rows+40(SB)/4, $10
DATA ·x16rows+44(SB)/4, $14
DATA ·x16rows+48(SB)/4, $3
DATA ·x16rows+52(SB)/4, $7
DATA ·x16rows+56(SB)/4, $11
DATA ·x16rows+60(SB)/4, $15
GLOBL ·x16rows(SB), RODATA|NOPTR, $64

// LOADT loads 16 bytes at off of the 16 rows and transposes them: d0-d3
// (whose low quarters are x0-x3) get column groups 0-3 (bytes 0-3, 4-7,
// ...) of every row. t0-t3 are clobbered.
#define LOADT(off, x0, x1, x2, x3, d0, d1, d2, d3, t0, t1, t2, t3) \
	VMOVDQU off(R8), x0; \
	VINSERTI32X4 $1, off(R8)(R9*1), d0, d0; \
	VINSERTI32X4 $2, off(R8)(R9*2), d0, d0; \
	VINSERTI32X4 $3, off(R8)(R10*1), d0, d0; \
	VMOVDQU off(R11), x1; \
	VINSERTI32X4 $1, off(R11)(R9*1), d1, d1; \
	VINSERTI32X4 $2, off(R11)(R9*2), d1, d1; \
	VINSERTI32X4 $3, off(R11)(R10*1), d1, d1; \
	VMOVDQU off(R12), x2; \
	VINSERTI32X4 $1, off(R12)(R9*1), d2, d2; \
	VINSERTI32X4 $2, off(R12)(R9*2), d2, d2; \
	VINSERTI32X4 $3, off(R12)(R10*1), d2, d2; \
	VMOVDQU off(R13), x3; \
	VINSERTI32X4 $1, off(R13)(R9*1), d3, d3; \
	VINSERTI32X4 $2, off(R13)(R9*2), d3, d3; \
	VINSERTI32X4 $3, off(R13)(R10*1), d3, d3; \
	VPUNPCKLDQ d1, d0, t0; \
	VPUNPCKHDQ d1, d0, t1; \
	VPUNPCKLDQ d3, d2, t2; \
	VPUNPCKHDQ d3, d2, t3; \
	VPUNPCKLQDQ t2, t0, d0; \
	VPUNPCKHQDQ t2, t0, d1; \
	VPUNPCKLQDQ t3, t1, d2; \
	VPUNPCKHQDQ t3, t1, d3

// X16SETUP loads the arguments and constants of the 16-row kernels; the
// offset factor (a float32) is in CX.
#define X16SETUP \
	LANEMASKS; \
	VPBROADCASTD CX, Z26; \
	MOVQ p+0(FP), R8; \
	MOVQ rb+8(FP), R9; \
	MOVQ xs+16(FP), DX; \
	LEAQ (R9)(R9*2), R10; \
	LEAQ (R8)(R9*4), R11; \
	LEAQ (R11)(R9*4), R12; \
	LEAQ (R12)(R9*4), R13; \
	LEAQ (R13)(R9*4), R14; \
	MOVQ na+24(FP), DI; \
	MOVQ nb+32(FP), SI; \
	XORQ BX, BX; \
	VMOVDQU32 ·x16rows(SB), Z29; \
	VPBROADCASTD R9, Z30; \
	VPMULLD Z29, Z30, Z30; \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19; \
	VPXORD Z20, Z20, Z20; \
	VPXORD Z21, Z21, Z21; \
	VPXORD Z22, Z22, Z22; \
	VPXORD Z23, Z23, Z23

// SCALES collects the 16 rows' f16 block scales (offset 0) into Z8 as
// float32, and m = d times the offset factor into Z9: each lane's dword
// is broadcast into its place under a one-lane mask (K1-K7 hold lanes
// 1-7; lanes 8-15 are built the same way in Y9), which costs far less
// than VPGATHERDD. Lane i holds row 4·(i%4) + i/4.
#define SCALES \
	VPBROADCASTD (R8), Y8; \
	VPBROADCASTD (R11), K1, Y8; \
	VPBROADCASTD (R12), K2, Y8; \
	VPBROADCASTD (R13), K3, Y8; \
	VPBROADCASTD (R8)(R9*1), K4, Y8; \
	VPBROADCASTD (R11)(R9*1), K5, Y8; \
	VPBROADCASTD (R12)(R9*1), K6, Y8; \
	VPBROADCASTD (R13)(R9*1), K7, Y8; \
	VPBROADCASTD (R8)(R9*2), Y9; \
	VPBROADCASTD (R11)(R9*2), K1, Y9; \
	VPBROADCASTD (R12)(R9*2), K2, Y9; \
	VPBROADCASTD (R13)(R9*2), K3, Y9; \
	VPBROADCASTD (R8)(R10*1), K4, Y9; \
	VPBROADCASTD (R11)(R10*1), K5, Y9; \
	VPBROADCASTD (R12)(R10*1), K6, Y9; \
	VPBROADCASTD (R13)(R10*1), K7, Y9; \
	VINSERTI64X4 $1, Y9, Z8, Z8; \
	VPMOVDW Z8, Y8; \
	VCVTPH2PS Y8, Z8; \
	VMULPS Z26, Z8, Z9

// LANEMASKS sets K1-K7 to lanes 1-7 for SCALES (AX is clobbered).
#define LANEMASKS \
	MOVL $2, AX; \
	KMOVW AX, K1; \
	MOVL $4, AX; \
	KMOVW AX, K2; \
	MOVL $8, AX; \
	KMOVW AX, K3; \
	MOVL $16, AX; \
	KMOVW AX, K4; \
	MOVL $32, AX; \
	KMOVW AX, K5; \
	MOVL $64, AX; \
	KMOVW AX, K6; \
	MOVL $128, AX; \
	KMOVW AX, K7

// ACT multiplies the quants Z0-Z7 (column groups 0-3 and 4-7 of... see
// the kernels) with activation row a (its quants, block scales and
// scaled sums are entry a of the pointer table) and adds the block to
// acc.
#define ACT(a, acc) \
	MOVQ (a*24)(DX), CX; \
	VPXORD Z10, Z10, Z10; \
	VPDPBUSD.BCST 0(CX)(BX*8), Z0, Z10; \
	VPDPBUSD.BCST 16(CX)(BX*8), Z4, Z10; \
	VPDPBUSD.BCST 4(CX)(BX*8), Z1, Z10; \
	VPDPBUSD.BCST 20(CX)(BX*8), Z5, Z10; \
	VPDPBUSD.BCST 8(CX)(BX*8), Z2, Z10; \
	VPDPBUSD.BCST 24(CX)(BX*8), Z6, Z10; \
	VPDPBUSD.BCST 12(CX)(BX*8), Z3, Z10; \
	VPDPBUSD.BCST 28(CX)(BX*8), Z7, Z10; \
	VCVTDQ2PS Z10, Z10; \
	MOVQ (a*24+8)(DX), CX; \
	VMULPS.BCST (CX)(BX*1), Z8, Z12; \
	VFMADD231PS Z12, Z10, acc; \
	MOVQ (a*24+16)(DX), CX; \
	VFMADD231PS.BCST (CX)(BX*1), Z9, acc

// ACTS runs ACT for the na (1-8) activation rows (na is in DI), then
// advances to the next block (bb bytes per row) and loops to label loop
// while blocks remain.
#define ACTS(bb, loop, done) \
	ACT(0, Z16); \
	CMPQ DI, $2; \
	JLT done; \
	ACT(1, Z17); \
	CMPQ DI, $3; \
	JLT done; \
	ACT(2, Z18); \
	CMPQ DI, $4; \
	JLT done; \
	ACT(3, Z19); \
	CMPQ DI, $5; \
	JLT done; \
	ACT(4, Z20); \
	CMPQ DI, $6; \
	JLT done; \
	ACT(5, Z21); \
	CMPQ DI, $7; \
	JLT done; \
	ACT(6, Z22); \
	CMPQ DI, $8; \
	JLT done; \
	ACT(7, Z23); \
done: \
	ADDQ $bb, R8; \
	ADDQ $bb, R11; \
	ADDQ $bb, R12; \
	ADDQ $bb, R13; \
	ADDQ $4, BX; \
	DECQ SI; \
	JNZ loop

// X16DONE writes the sums of the activation rows in row order to out.
#define X16DONE \
	MOVQ out+40(FP), AX; \
	VPERMD Z16, Z29, Z16; \
	VPERMD Z17, Z29, Z17; \
	VPERMD Z18, Z29, Z18; \
	VPERMD Z19, Z29, Z19; \
	VPERMD Z20, Z29, Z20; \
	VPERMD Z21, Z29, Z21; \
	VPERMD Z22, Z29, Z22; \
	VPERMD Z23, Z29, Z23; \
	VMOVUPS Z16, 0(AX); \
	VMOVUPS Z17, 64(AX); \
	VMOVUPS Z18, 128(AX); \
	VMOVUPS Z19, 192(AX); \
	VMOVUPS Z20, 256(AX); \
	VMOVUPS Z21, 320(AX); \
	VMOVUPS Z22, 384(AX); \
	VMOVUPS Z23, 448(AX); \
	VZEROUPPER; \
	RET

// PACKSETUP sets up the row pointers, prefetch pointer and gather offsets
// of a pack.
#define PACKSETUP \
	LANEMASKS; \
	MOVQ p+16(FP), R8; \
	MOVQ rb+24(FP), R9; \
	LEAQ (R9)(R9*2), R10; \
	LEAQ (R8)(R9*4), R11; \
	LEAQ (R11)(R9*4), R12; \
	LEAQ (R12)(R9*4), R13; \
	LEAQ (R13)(R9*4), R14; \
	VMOVDQU32 ·x16rows(SB), Z29; \
	VPBROADCASTD R9, Z30; \
	VPMULLD Z29, Z30, Z30

// PACKSCALES stores the block's d and m in row order.
#define PACKSCALES \
	VPERMD Z8, Z29, Z8; \
	VPERMD Z9, Z29, Z9; \
	VMOVUPS Z8, 0(SI); \
	VMOVUPS Z9, 64(SI)

// PACKSTORE stores the column groups Z0-Z7 in row order, advances to the
// next block (bb bytes per row) and counts it down in CX.
#define PACKSTORE(bb) \
	VPERMD Z0, Z29, Z0; \
	VPERMD Z1, Z29, Z1; \
	VPERMD Z2, Z29, Z2; \
	VPERMD Z3, Z29, Z3; \
	VPERMD Z4, Z29, Z4; \
	VPERMD Z5, Z29, Z5; \
	VPERMD Z6, Z29, Z6; \
	VPERMD Z7, Z29, Z7; \
	VMOVDQU32 Z0, 0(DI); \
	VMOVDQU32 Z1, 64(DI); \
	VMOVDQU32 Z2, 128(DI); \
	VMOVDQU32 Z3, 192(DI); \
	VMOVDQU32 Z4, 256(DI); \
	VMOVDQU32 Z5, 320(DI); \
	VMOVDQU32 Z6, 384(DI); \
	VMOVDQU32 Z7, 448(DI); \
	ADDQ $bb, R8; \
	ADDQ $bb, R11; \
	ADDQ $bb, R12; \
	ADDQ $bb, R13; \
	ADDQ $512, DI; \
	ADDQ $128, SI; \
	DECQ CX

// func q4_0x16(p unsafe.Pointer, rb int, xs *[8]q8Ptrs, na, nb int, out *[8][16]float32)
//
// Q4_0 (d, 16 bytes of nibbles): the low nibbles are columns 0-15, the
// high ones 16-31; m = -8d.
TEXT ·q4_0x16(SB), NOSPLIT, $0-48
	MOVL $0xc1000000, CX // -8
	X16SETUP
	MOVL $0x0f0f0f0f, CX
	VPBROADCASTD CX, Z31
	CMPQ nb+32(FP), $0
	JLE q4done

q4loop:
	PREFETCHT0 0(R14)
	PREFETCHT0 64(R14)
	PREFETCHT0 128(R14)
	PREFETCHT0 192(R14)
	PREFETCHT0 256(R14)
	ADDQ $288, R14
	SCALES
	LOADT(2, X0, X1, X2, X3, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	VPSRLD $4, Z0, Z4
	VPSRLD $4, Z1, Z5
	VPSRLD $4, Z2, Z6
	VPSRLD $4, Z3, Z7
	VPANDD Z31, Z0, Z0
	VPANDD Z31, Z1, Z1
	VPANDD Z31, Z2, Z2
	VPANDD Z31, Z3, Z3
	VPANDD Z31, Z4, Z4
	VPANDD Z31, Z5, Z5
	VPANDD Z31, Z6, Z6
	VPANDD Z31, Z7, Z7
	ACTS(18, q4loop, q4next)

q4done:
	X16DONE

// func q8_0x16(p unsafe.Pointer, rb int, xs *[8]q8Ptrs, na, nb int, out *[8][16]float32)
//
// Q8_0 (d, 32 signed bytes): the bytes with their sign bit flipped are
// q+128; m = -128d.
TEXT ·q8_0x16(SB), NOSPLIT, $0-48
	MOVL $0xc3000000, CX // -128
	X16SETUP
	MOVL $0x80808080, CX
	VPBROADCASTD CX, Z31
	CMPQ nb+32(FP), $0
	JLE q8done

q8loop:
	PREFETCHT0 0(R14)
	PREFETCHT0 64(R14)
	PREFETCHT0 128(R14)
	PREFETCHT0 192(R14)
	PREFETCHT0 256(R14)
	PREFETCHT0 320(R14)
	PREFETCHT0 384(R14)
	PREFETCHT0 448(R14)
	PREFETCHT0 512(R14)
	ADDQ $544, R14
	SCALES
	LOADT(2, X0, X1, X2, X3, Z0, Z1, Z2, Z3, Z12, Z13, Z14, Z15)
	LOADT(18, X4, X5, X6, X7, Z4, Z5, Z6, Z7, Z12, Z13, Z14, Z15)
	VPXORD Z31, Z0, Z0
	VPXORD Z31, Z1, Z1
	VPXORD Z31, Z2, Z2
	VPXORD Z31, Z3, Z3
	VPXORD Z31, Z4, Z4
	VPXORD Z31, Z5, Z5
	VPXORD Z31, Z6, Z6
	VPXORD Z31, Z7, Z7
	ACTS(34, q8loop, q8next)

q8done:
	X16DONE

// Packing of VNNI weight tiles (layout in vnni.go) from 16 rows, with the
// same loads and transposes: per block the 8 column-group vectors and the
// scales d and m, each permuted back to row order. Packs of whole rows
// prefetch the next 16 rows as the 16-row kernels do.
//
// func packQ4_0x16(w, ws, p unsafe.Pointer, rb, nb int)
TEXT ·packQ4_0x16(SB), NOSPLIT, $0-40
	MOVL $0xc1000000, CX // -8
	VPBROADCASTD CX, Z26
	MOVL $0x0f0f0f0f, CX
	VPBROADCASTD CX, Z31
	MOVQ w+0(FP), DI
	MOVQ ws+8(FP), SI
	MOVQ nb+32(FP), CX
	PACKSETUP
	TESTQ CX, CX
	JLE pq4done

pq4loop:
	PREFETCHT0 0(R14)
	PREFETCHT0 64(R14)
	PREFETCHT0 128(R14)
	PREFETCHT0 192(R14)
	PREFETCHT0 256(R14)
	ADDQ $288, R14
	SCALES
	PACKSCALES
	LOADT(2, X0, X1, X2, X3, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	VPSRLD $4, Z0, Z4
	VPSRLD $4, Z1, Z5
	VPSRLD $4, Z2, Z6
	VPSRLD $4, Z3, Z7
	VPANDD Z31, Z0, Z0
	VPANDD Z31, Z1, Z1
	VPANDD Z31, Z2, Z2
	VPANDD Z31, Z3, Z3
	VPANDD Z31, Z4, Z4
	VPANDD Z31, Z5, Z5
	VPANDD Z31, Z6, Z6
	VPANDD Z31, Z7, Z7
	PACKSTORE(18)
	JNZ pq4loop

pq4done:
	VZEROUPPER
	RET

// func packQ8_0x16(w, ws, p unsafe.Pointer, rb, nb int)
TEXT ·packQ8_0x16(SB), NOSPLIT, $0-40
	MOVL $0xc3000000, CX // -128
	VPBROADCASTD CX, Z26
	MOVL $0x80808080, CX
	VPBROADCASTD CX, Z31
	MOVQ w+0(FP), DI
	MOVQ ws+8(FP), SI
	MOVQ nb+32(FP), CX
	PACKSETUP
	TESTQ CX, CX
	JLE pq8done

pq8loop:
	PREFETCHT0 0(R14)
	PREFETCHT0 64(R14)
	PREFETCHT0 128(R14)
	PREFETCHT0 192(R14)
	PREFETCHT0 256(R14)
	PREFETCHT0 320(R14)
	PREFETCHT0 384(R14)
	PREFETCHT0 448(R14)
	PREFETCHT0 512(R14)
	ADDQ $544, R14
	SCALES
	PACKSCALES
	LOADT(2, X0, X1, X2, X3, Z0, Z1, Z2, Z3, Z12, Z13, Z14, Z15)
	LOADT(18, X4, X5, X6, X7, Z4, Z5, Z6, Z7, Z12, Z13, Z14, Z15)
	VPXORD Z31, Z0, Z0
	VPXORD Z31, Z1, Z1
	VPXORD Z31, Z2, Z2
	VPXORD Z31, Z3, Z3
	VPXORD Z31, Z4, Z4
	VPXORD Z31, Z5, Z5
	VPXORD Z31, Z6, Z6
	VPXORD Z31, Z7, Z7
	PACKSTORE(34)
	JNZ pq8loop

pq8done:
	VZEROUPPER
	RET
