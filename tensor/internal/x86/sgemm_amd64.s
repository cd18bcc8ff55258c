//go:build goexperiment.simd

#include "textflag.h"

// float32 matrix products Y (+)= A·B on AVX-512F, all row-major: a tile
// of 12 (or 4) rows of A by 32 columns of B accumulates in 24 (or 8)
// registers; per k, two vectors of B's row k meet A[i][k] broadcast. B's
// columns past n are masked off (K1 lanes 0-15, K2 lanes 16-31).
//
// func sgemm12(a unsafe.Pointer, as int, b unsafe.Pointer, bs, k int, y unsafe.Pointer, ys, masks, add int)
// func sgemm4(a unsafe.Pointer, as int, b unsafe.Pointer, bs, k int, y unsafe.Pointer, ys, masks, add int)
//
// Strides are in bytes; y's 12 (4) rows are read first when add != 0.

// SGROW loads (add) or zeroes one output row's two accumulators, then
// steps AX to the next row.
#define SGLOAD(lo, hi) \
	VMOVUPS.Z (AX), K1, lo; \
	VMOVUPS.Z 64(AX), K2, hi; \
	ADDQ BX, AX

#define SGZERO(lo, hi) \
	VPXORD lo, lo, lo; \
	VPXORD hi, hi, hi

#define SGSTORE(lo, hi) \
	VMOVUPS lo, K1, (AX); \
	VMOVUPS hi, K2, 64(AX); \
	ADDQ BX, AX

// SGFMA multiplies B's k-row (Z0, Z1) by A[row][k] at addr.
#define SGFMA(addr, t, lo, hi) \
	VBROADCASTSS addr, t; \
	VFMADD231PS t, Z0, lo; \
	VFMADD231PS t, Z1, hi

TEXT ·sgemm12(SB), NOSPLIT, $0-72
	MOVQ a+0(FP), R8
	MOVQ as+8(FP), R9
	MOVQ b+16(FP), DI
	MOVQ bs+24(FP), SI
	MOVQ k+32(FP), CX
	MOVQ y+40(FP), AX
	MOVQ ys+48(FP), BX
	MOVQ masks+56(FP), DX
	KMOVW DX, K1
	SHRQ $16, DX
	KMOVW DX, K2
	LEAQ (R9)(R9*2), R10
	LEAQ (R8)(R9*4), R11
	LEAQ (R11)(R9*4), R12
	CMPQ add+64(FP), $0
	JEQ sg12zero
	SGLOAD(Z8, Z9)
	SGLOAD(Z10, Z11)
	SGLOAD(Z12, Z13)
	SGLOAD(Z14, Z15)
	SGLOAD(Z16, Z17)
	SGLOAD(Z18, Z19)
	SGLOAD(Z20, Z21)
	SGLOAD(Z22, Z23)
	SGLOAD(Z24, Z25)
	SGLOAD(Z26, Z27)
	SGLOAD(Z28, Z29)
	SGLOAD(Z30, Z31)
	JMP sg12start

sg12zero:
	SGZERO(Z8, Z9)
	SGZERO(Z10, Z11)
	SGZERO(Z12, Z13)
	SGZERO(Z14, Z15)
	SGZERO(Z16, Z17)
	SGZERO(Z18, Z19)
	SGZERO(Z20, Z21)
	SGZERO(Z22, Z23)
	SGZERO(Z24, Z25)
	SGZERO(Z26, Z27)
	SGZERO(Z28, Z29)
	SGZERO(Z30, Z31)

sg12start:
	TESTQ CX, CX
	JLE sg12done

sg12loop:
	VMOVUPS.Z (DI), K1, Z0
	VMOVUPS.Z 64(DI), K2, Z1
	SGFMA((R8), Z2, Z8, Z9)
	SGFMA((R8)(R9*1), Z3, Z10, Z11)
	SGFMA((R8)(R9*2), Z4, Z12, Z13)
	SGFMA((R8)(R10*1), Z5, Z14, Z15)
	SGFMA((R11), Z2, Z16, Z17)
	SGFMA((R11)(R9*1), Z3, Z18, Z19)
	SGFMA((R11)(R9*2), Z4, Z20, Z21)
	SGFMA((R11)(R10*1), Z5, Z22, Z23)
	SGFMA((R12), Z2, Z24, Z25)
	SGFMA((R12)(R9*1), Z3, Z26, Z27)
	SGFMA((R12)(R9*2), Z4, Z28, Z29)
	SGFMA((R12)(R10*1), Z5, Z30, Z31)
	ADDQ $4, R8
	ADDQ $4, R11
	ADDQ $4, R12
	ADDQ SI, DI
	DECQ CX
	JNZ sg12loop

sg12done:
	MOVQ y+40(FP), AX
	SGSTORE(Z8, Z9)
	SGSTORE(Z10, Z11)
	SGSTORE(Z12, Z13)
	SGSTORE(Z14, Z15)
	SGSTORE(Z16, Z17)
	SGSTORE(Z18, Z19)
	SGSTORE(Z20, Z21)
	SGSTORE(Z22, Z23)
	SGSTORE(Z24, Z25)
	SGSTORE(Z26, Z27)
	SGSTORE(Z28, Z29)
	SGSTORE(Z30, Z31)
	VZEROUPPER
	RET

TEXT ·sgemm4(SB), NOSPLIT, $0-72
	MOVQ a+0(FP), R8
	MOVQ as+8(FP), R9
	MOVQ b+16(FP), DI
	MOVQ bs+24(FP), SI
	MOVQ k+32(FP), CX
	MOVQ y+40(FP), AX
	MOVQ ys+48(FP), BX
	MOVQ masks+56(FP), DX
	KMOVW DX, K1
	SHRQ $16, DX
	KMOVW DX, K2
	LEAQ (R9)(R9*2), R10
	CMPQ add+64(FP), $0
	JEQ sg4zero
	SGLOAD(Z8, Z9)
	SGLOAD(Z10, Z11)
	SGLOAD(Z12, Z13)
	SGLOAD(Z14, Z15)
	JMP sg4start

sg4zero:
	SGZERO(Z8, Z9)
	SGZERO(Z10, Z11)
	SGZERO(Z12, Z13)
	SGZERO(Z14, Z15)

sg4start:
	TESTQ CX, CX
	JLE sg4done

sg4loop:
	VMOVUPS.Z (DI), K1, Z0
	VMOVUPS.Z 64(DI), K2, Z1
	SGFMA((R8), Z2, Z8, Z9)
	SGFMA((R8)(R9*1), Z3, Z10, Z11)
	SGFMA((R8)(R9*2), Z4, Z12, Z13)
	SGFMA((R8)(R10*1), Z5, Z14, Z15)
	ADDQ $4, R8
	ADDQ SI, DI
	DECQ CX
	JNZ sg4loop

sg4done:
	MOVQ y+40(FP), AX
	SGSTORE(Z8, Z9)
	SGSTORE(Z10, Z11)
	SGSTORE(Z12, Z13)
	SGSTORE(Z14, Z15)
	VZEROUPPER
	RET
