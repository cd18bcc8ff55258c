//go:build goexperiment.simd

#include "textflag.h"

// Fused float products on AVX-512F (see vnni_amd64.s for the package's
// assembly files; ·x16rows is defined there).

// FP8 (e4m3) decode mat-vec, 8 rows at a time (AVX-512F): each weight's
// sign, exponent and mantissa are moved into float32's fields (its value
// times 2^-120, exact) and multiplied with activations that carry the
// block scale and 2^120. The next 8 rows are prefetched in address order.
//
// func fp8Rows8(p unsafe.Pointer, rb int, xs unsafe.Pointer, n int, out *[8][16]float32)
//
// n is the number of 16-column steps; out gets the 8 rows' lane sums.
#define F8ROW(addr, z, acc) \
	VPMOVSXBD addr, z; \
	VPSLLD $20, z, z; \
	VPANDD Z31, z, z; \
	VFMADD231PS Z30, z, acc

TEXT ·fp8Rows8(SB), NOSPLIT, $0-40
	MOVQ p+0(FP), R8
	MOVQ rb+8(FP), R9
	MOVQ xs+16(FP), DI
	MOVQ n+24(FP), CX
	LEAQ (R9)(R9*2), R10
	LEAQ (R8)(R9*4), R11
	LEAQ (R11)(R9*4), R14
	MOVL $0x87f00000, AX
	VPBROADCASTD AX, Z31
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	TESTQ CX, CX
	JLE f8done

f8loop:
	PREFETCHT0 0(R14)
	PREFETCHT0 64(R14)
	ADDQ $128, R14
	VMOVUPS (DI), Z30
	F8ROW((R8), Z0, Z16)
	F8ROW((R8)(R9*1), Z1, Z17)
	F8ROW((R8)(R9*2), Z2, Z18)
	F8ROW((R8)(R10*1), Z3, Z19)
	F8ROW((R11), Z4, Z20)
	F8ROW((R11)(R9*1), Z5, Z21)
	F8ROW((R11)(R9*2), Z6, Z22)
	F8ROW((R11)(R10*1), Z7, Z23)
	ADDQ $16, R8
	ADDQ $16, R11
	ADDQ $64, DI
	DECQ CX
	JNZ f8loop

f8done:
	MOVQ out+32(FP), AX
	VMOVUPS Z16, 0(AX)
	VMOVUPS Z17, 64(AX)
	VMOVUPS Z18, 128(AX)
	VMOVUPS Z19, 192(AX)
	VMOVUPS Z20, 256(AX)
	VMOVUPS Z21, 320(AX)
	VMOVUPS Z22, 384(AX)
	VMOVUPS Z23, 448(AX)
	VZEROUPPER
	RET

// FP8 products of 4 rows with 4 prescaled activation rows (xstride bytes
// apart): per 16 columns each row's weights are widened once and meet the
// four activation rows; lane l of a pair's sum adds columns 16k+l in
// order, as fp8Rows8 does, and the lanes are added as hsum16 adds them.
//
// func fp8Tile4(p unsafe.Pointer, rb int, xs unsafe.Pointer, xstride, n int, out *[16]float32, y unsafe.Pointer, ys, na int)
//
// out[4r+a] gets the lane sum of row r with activation row a; or, when y
// is not nil, activation a < na's four sums go to y + a·ys (bytes).
#define F8W(addr) \
	VPMOVSXBD addr, Z4; \
	VPSLLD $20, Z4, Z4; \
	VPANDD Z8, Z4, Z4

#define F8T(addr, a0, a1, a2, a3) \
	F8W(addr); \
	VFMADD231PS Z0, Z4, a0; \
	VFMADD231PS Z1, Z4, a1; \
	VFMADD231PS Z2, Z4, a2; \
	VFMADD231PS Z3, Z4, a3

// HALF256 adds the 256-bit halves of a and b: d = [a.lo+a.hi | b.lo+b.hi]
// (Z9 and Z10 are scratch).
#define HALF256(a, b, d) \
	VSHUFF64X2 $0x44, b, a, Z9; \
	VSHUFF64X2 $0xEE, b, a, Z10; \
	VADDPS Z10, Z9, d

// HALF128 adds the 128-bit halves within each 256-bit half of a and b:
// d's 128-bit lanes are a's two sums, then b's.
#define HALF128(a, b, d) \
	VSHUFF64X2 $0x88, b, a, Z9; \
	VSHUFF64X2 $0xDD, b, a, Z10; \
	VADDPS Z10, Z9, d

// PAIRS adds adjacent elements within each 128-bit lane: d's lane holds
// a's two pair sums, then b's.
#define PAIRS(a, b, d) \
	VSHUFPS $0x88, b, a, Z9; \
	VSHUFPS $0xDD, b, a, Z10; \
	VADDPS Z10, Z9, d

TEXT ·fp8Tile4(SB), NOSPLIT, $0-72
	MOVQ p+0(FP), R8
	MOVQ rb+8(FP), R9
	MOVQ xs+16(FP), DI
	MOVQ xstride+24(FP), R12
	MOVQ n+32(FP), CX
	LEAQ (R9)(R9*2), R10
	LEAQ (R12)(R12*2), R13
	LEAQ (R8)(R9*4), R14
	MOVL $0x87f00000, AX
	VPBROADCASTD AX, Z8
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25
	VPXORD Z26, Z26, Z26
	VPXORD Z27, Z27, Z27
	VPXORD Z28, Z28, Z28
	VPXORD Z29, Z29, Z29
	VPXORD Z30, Z30, Z30
	VPXORD Z31, Z31, Z31
	TESTQ CX, CX
	JLE t4done

t4loop:
	PREFETCHT0 0(R14)
	ADDQ $64, R14
	VMOVUPS (DI), Z0
	VMOVUPS (DI)(R12*1), Z1
	VMOVUPS (DI)(R12*2), Z2
	VMOVUPS (DI)(R13*1), Z3
	F8T((R8), Z16, Z17, Z18, Z19)
	F8T((R8)(R9*1), Z20, Z21, Z22, Z23)
	F8T((R8)(R9*2), Z24, Z25, Z26, Z27)
	F8T((R8)(R10*1), Z28, Z29, Z30, Z31)
	ADDQ $16, R8
	ADDQ $64, DI
	DECQ CX
	JNZ t4loop

t4done:
	// The 16 lane sums, each in hsum16's order (halves of 256, then of
	// 128 bits, then (b0+b1)+(b2+b3)), as one vector in x16rows order.
	HALF256(Z16, Z17, Z0)
	HALF256(Z18, Z19, Z1)
	HALF256(Z20, Z21, Z2)
	HALF256(Z22, Z23, Z3)
	HALF256(Z24, Z25, Z4)
	HALF256(Z26, Z27, Z5)
	HALF256(Z28, Z29, Z6)
	HALF256(Z30, Z31, Z7)
	HALF128(Z0, Z1, Z16)
	HALF128(Z2, Z3, Z17)
	HALF128(Z4, Z5, Z18)
	HALF128(Z6, Z7, Z19)
	PAIRS(Z16, Z17, Z0)
	PAIRS(Z18, Z19, Z1)
	PAIRS(Z0, Z1, Z2)
	// Z2's lane 4a+r holds row r with activation a: with y, each
	// activation's four rows go straight to their outputs.
	MOVQ y+48(FP), AX
	TESTQ AX, AX
	JEQ t4out
	MOVQ ys+56(FP), BX
	MOVQ na+64(FP), CX
	VEXTRACTF32X4 $0, Z2, (AX)
	DECQ CX
	JLE t4ret
	ADDQ BX, AX
	VEXTRACTF32X4 $1, Z2, (AX)
	DECQ CX
	JLE t4ret
	ADDQ BX, AX
	VEXTRACTF32X4 $2, Z2, (AX)
	DECQ CX
	JLE t4ret
	ADDQ BX, AX
	VEXTRACTF32X4 $3, Z2, (AX)
	JMP t4ret

t4out:
	VMOVDQU32 ·x16rows(SB), Z3
	VPERMD Z2, Z3, Z2
	MOVQ out+40(FP), AX
	VMOVUPS Z2, 0(AX)

t4ret:
	VZEROUPPER
	RET

// The same 4x4 tiles for float weights: F32 as stored, BF16 shifted into
// float32's high half, F16 widened by VCVTPH2PS (exact, as f16x16).
//
// func f32Tile4(p unsafe.Pointer, rb int, xs unsafe.Pointer, xstride, n int, out *[16]float32, y unsafe.Pointer, ys, na int)
// func bf16Tile4(p unsafe.Pointer, rb int, xs unsafe.Pointer, xstride, n int, out *[16]float32, y unsafe.Pointer, ys, na int)
// func f16Tile4(p unsafe.Pointer, rb int, xs unsafe.Pointer, xstride, n int, out *[16]float32, y unsafe.Pointer, ys, na int)

#define F32T(addr, a0, a1, a2, a3) \
	VMOVUPS addr, Z4; \
	VFMADD231PS Z0, Z4, a0; \
	VFMADD231PS Z1, Z4, a1; \
	VFMADD231PS Z2, Z4, a2; \
	VFMADD231PS Z3, Z4, a3

TEXT ·f32Tile4(SB), NOSPLIT, $0-72
	MOVQ p+0(FP), R8
	MOVQ rb+8(FP), R9
	MOVQ xs+16(FP), DI
	MOVQ xstride+24(FP), R12
	MOVQ n+32(FP), CX
	LEAQ (R9)(R9*2), R10
	LEAQ (R12)(R12*2), R13
	LEAQ (R8)(R9*4), R14
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25
	VPXORD Z26, Z26, Z26
	VPXORD Z27, Z27, Z27
	VPXORD Z28, Z28, Z28
	VPXORD Z29, Z29, Z29
	VPXORD Z30, Z30, Z30
	VPXORD Z31, Z31, Z31
	TESTQ CX, CX
	JLE t4f32done

t4f32loop:
	PREFETCHT0 0(R14)
	PREFETCHT0 64(R14)
	PREFETCHT0 128(R14)
	PREFETCHT0 192(R14)
	ADDQ $256, R14
	VMOVUPS (DI), Z0
	VMOVUPS (DI)(R12*1), Z1
	VMOVUPS (DI)(R12*2), Z2
	VMOVUPS (DI)(R13*1), Z3
	F32T((R8), Z16, Z17, Z18, Z19)
	F32T((R8)(R9*1), Z20, Z21, Z22, Z23)
	F32T((R8)(R9*2), Z24, Z25, Z26, Z27)
	F32T((R8)(R10*1), Z28, Z29, Z30, Z31)
	ADDQ $64, R8
	ADDQ $64, DI
	DECQ CX
	JNZ t4f32loop

t4f32done:
	// The 16 lane sums, each in hsum16's order (halves of 256, then of
	// 128 bits, then (b0+b1)+(b2+b3)), as one vector in x16rows order.
	HALF256(Z16, Z17, Z0)
	HALF256(Z18, Z19, Z1)
	HALF256(Z20, Z21, Z2)
	HALF256(Z22, Z23, Z3)
	HALF256(Z24, Z25, Z4)
	HALF256(Z26, Z27, Z5)
	HALF256(Z28, Z29, Z6)
	HALF256(Z30, Z31, Z7)
	HALF128(Z0, Z1, Z16)
	HALF128(Z2, Z3, Z17)
	HALF128(Z4, Z5, Z18)
	HALF128(Z6, Z7, Z19)
	PAIRS(Z16, Z17, Z0)
	PAIRS(Z18, Z19, Z1)
	PAIRS(Z0, Z1, Z2)
	// Z2's lane 4a+r holds row r with activation a: with y, each
	// activation's four rows go straight to their outputs.
	MOVQ y+48(FP), AX
	TESTQ AX, AX
	JEQ t4f32out
	MOVQ ys+56(FP), BX
	MOVQ na+64(FP), CX
	VEXTRACTF32X4 $0, Z2, (AX)
	DECQ CX
	JLE t4f32ret
	ADDQ BX, AX
	VEXTRACTF32X4 $1, Z2, (AX)
	DECQ CX
	JLE t4f32ret
	ADDQ BX, AX
	VEXTRACTF32X4 $2, Z2, (AX)
	DECQ CX
	JLE t4f32ret
	ADDQ BX, AX
	VEXTRACTF32X4 $3, Z2, (AX)
	JMP t4f32ret

t4f32out:
	VMOVDQU32 ·x16rows(SB), Z3
	VPERMD Z2, Z3, Z2
	MOVQ out+40(FP), AX
	VMOVUPS Z2, 0(AX)

t4f32ret:
	VZEROUPPER
	RET
#define BF16T(addr, a0, a1, a2, a3) \
	VPMOVZXWD addr, Z4; \
	VPSLLD $16, Z4, Z4; \
	VFMADD231PS Z0, Z4, a0; \
	VFMADD231PS Z1, Z4, a1; \
	VFMADD231PS Z2, Z4, a2; \
	VFMADD231PS Z3, Z4, a3

TEXT ·bf16Tile4(SB), NOSPLIT, $0-72
	MOVQ p+0(FP), R8
	MOVQ rb+8(FP), R9
	MOVQ xs+16(FP), DI
	MOVQ xstride+24(FP), R12
	MOVQ n+32(FP), CX
	LEAQ (R9)(R9*2), R10
	LEAQ (R12)(R12*2), R13
	LEAQ (R8)(R9*4), R14
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25
	VPXORD Z26, Z26, Z26
	VPXORD Z27, Z27, Z27
	VPXORD Z28, Z28, Z28
	VPXORD Z29, Z29, Z29
	VPXORD Z30, Z30, Z30
	VPXORD Z31, Z31, Z31
	TESTQ CX, CX
	JLE t4bf16done

t4bf16loop:
	PREFETCHT0 0(R14)
	PREFETCHT0 64(R14)
	ADDQ $128, R14
	VMOVUPS (DI), Z0
	VMOVUPS (DI)(R12*1), Z1
	VMOVUPS (DI)(R12*2), Z2
	VMOVUPS (DI)(R13*1), Z3
	BF16T((R8), Z16, Z17, Z18, Z19)
	BF16T((R8)(R9*1), Z20, Z21, Z22, Z23)
	BF16T((R8)(R9*2), Z24, Z25, Z26, Z27)
	BF16T((R8)(R10*1), Z28, Z29, Z30, Z31)
	ADDQ $32, R8
	ADDQ $64, DI
	DECQ CX
	JNZ t4bf16loop

t4bf16done:
	// The 16 lane sums, each in hsum16's order (halves of 256, then of
	// 128 bits, then (b0+b1)+(b2+b3)), as one vector in x16rows order.
	HALF256(Z16, Z17, Z0)
	HALF256(Z18, Z19, Z1)
	HALF256(Z20, Z21, Z2)
	HALF256(Z22, Z23, Z3)
	HALF256(Z24, Z25, Z4)
	HALF256(Z26, Z27, Z5)
	HALF256(Z28, Z29, Z6)
	HALF256(Z30, Z31, Z7)
	HALF128(Z0, Z1, Z16)
	HALF128(Z2, Z3, Z17)
	HALF128(Z4, Z5, Z18)
	HALF128(Z6, Z7, Z19)
	PAIRS(Z16, Z17, Z0)
	PAIRS(Z18, Z19, Z1)
	PAIRS(Z0, Z1, Z2)
	// Z2's lane 4a+r holds row r with activation a: with y, each
	// activation's four rows go straight to their outputs.
	MOVQ y+48(FP), AX
	TESTQ AX, AX
	JEQ t4bf16out
	MOVQ ys+56(FP), BX
	MOVQ na+64(FP), CX
	VEXTRACTF32X4 $0, Z2, (AX)
	DECQ CX
	JLE t4bf16ret
	ADDQ BX, AX
	VEXTRACTF32X4 $1, Z2, (AX)
	DECQ CX
	JLE t4bf16ret
	ADDQ BX, AX
	VEXTRACTF32X4 $2, Z2, (AX)
	DECQ CX
	JLE t4bf16ret
	ADDQ BX, AX
	VEXTRACTF32X4 $3, Z2, (AX)
	JMP t4bf16ret

t4bf16out:
	VMOVDQU32 ·x16rows(SB), Z3
	VPERMD Z2, Z3, Z2
	MOVQ out+40(FP), AX
	VMOVUPS Z2, 0(AX)

t4bf16ret:
	VZEROUPPER
	RET
#define F16T(addr, a0, a1, a2, a3) \
	VCVTPH2PS addr, Z4; \
	VFMADD231PS Z0, Z4, a0; \
	VFMADD231PS Z1, Z4, a1; \
	VFMADD231PS Z2, Z4, a2; \
	VFMADD231PS Z3, Z4, a3

TEXT ·f16Tile4(SB), NOSPLIT, $0-72
	MOVQ p+0(FP), R8
	MOVQ rb+8(FP), R9
	MOVQ xs+16(FP), DI
	MOVQ xstride+24(FP), R12
	MOVQ n+32(FP), CX
	LEAQ (R9)(R9*2), R10
	LEAQ (R12)(R12*2), R13
	LEAQ (R8)(R9*4), R14
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25
	VPXORD Z26, Z26, Z26
	VPXORD Z27, Z27, Z27
	VPXORD Z28, Z28, Z28
	VPXORD Z29, Z29, Z29
	VPXORD Z30, Z30, Z30
	VPXORD Z31, Z31, Z31
	TESTQ CX, CX
	JLE t4f16done

t4f16loop:
	PREFETCHT0 0(R14)
	PREFETCHT0 64(R14)
	ADDQ $128, R14
	VMOVUPS (DI), Z0
	VMOVUPS (DI)(R12*1), Z1
	VMOVUPS (DI)(R12*2), Z2
	VMOVUPS (DI)(R13*1), Z3
	F16T((R8), Z16, Z17, Z18, Z19)
	F16T((R8)(R9*1), Z20, Z21, Z22, Z23)
	F16T((R8)(R9*2), Z24, Z25, Z26, Z27)
	F16T((R8)(R10*1), Z28, Z29, Z30, Z31)
	ADDQ $32, R8
	ADDQ $64, DI
	DECQ CX
	JNZ t4f16loop

t4f16done:
	// The 16 lane sums, each in hsum16's order (halves of 256, then of
	// 128 bits, then (b0+b1)+(b2+b3)), as one vector in x16rows order.
	HALF256(Z16, Z17, Z0)
	HALF256(Z18, Z19, Z1)
	HALF256(Z20, Z21, Z2)
	HALF256(Z22, Z23, Z3)
	HALF256(Z24, Z25, Z4)
	HALF256(Z26, Z27, Z5)
	HALF256(Z28, Z29, Z6)
	HALF256(Z30, Z31, Z7)
	HALF128(Z0, Z1, Z16)
	HALF128(Z2, Z3, Z17)
	HALF128(Z4, Z5, Z18)
	HALF128(Z6, Z7, Z19)
	PAIRS(Z16, Z17, Z0)
	PAIRS(Z18, Z19, Z1)
	PAIRS(Z0, Z1, Z2)
	// Z2's lane 4a+r holds row r with activation a: with y, each
	// activation's four rows go straight to their outputs.
	MOVQ y+48(FP), AX
	TESTQ AX, AX
	JEQ t4f16out
	MOVQ ys+56(FP), BX
	MOVQ na+64(FP), CX
	VEXTRACTF32X4 $0, Z2, (AX)
	DECQ CX
	JLE t4f16ret
	ADDQ BX, AX
	VEXTRACTF32X4 $1, Z2, (AX)
	DECQ CX
	JLE t4f16ret
	ADDQ BX, AX
	VEXTRACTF32X4 $2, Z2, (AX)
	DECQ CX
	JLE t4f16ret
	ADDQ BX, AX
	VEXTRACTF32X4 $3, Z2, (AX)
	JMP t4f16ret

t4f16out:
	VMOVDQU32 ·x16rows(SB), Z3
	VPERMD Z2, Z3, Z2
	MOVQ out+40(FP), AX
	VMOVUPS Z2, 0(AX)

t4f16ret:
	VZEROUPPER
	RET
