//go:build goexperiment.simd

#include "textflag.h"

// VNNI int8 tile product (see vnni.go for the layouts). archsimd has no
// VPDPBUSD, so this one loop is assembly.
//
// func vnniTile(w, ws, x, xs unsafe.Pointer, nb int, out *[8][16]float32)
//
// Registers: Z0-Z7 int32 sums of the current block per activation row g,
// Z8-Z15 float32 results per g (16 weight rows per lane), Z16 weights of
// one group of 4 columns, Z17 block scales d, Z18 offset factors m, Z19
// scratch.
TEXT ·vnniTile(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ ws+8(FP), DX
	MOVQ x+16(FP), DI
	MOVQ xs+24(FP), R11
	MOVQ nb+32(FP), CX
	MOVQ out+40(FP), AX
	VMOVUPS 0(AX), Z8
	VMOVUPS 64(AX), Z9
	VMOVUPS 128(AX), Z10
	VMOVUPS 192(AX), Z11
	VMOVUPS 256(AX), Z12
	VMOVUPS 320(AX), Z13
	VMOVUPS 384(AX), Z14
	VMOVUPS 448(AX), Z15
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
	VMOVUPS Z8, 0(AX)
	VMOVUPS Z9, 64(AX)
	VMOVUPS Z10, 128(AX)
	VMOVUPS Z11, 192(AX)
	VMOVUPS Z12, 256(AX)
	VMOVUPS Z13, 320(AX)
	VMOVUPS Z14, 384(AX)
	VMOVUPS Z15, 448(AX)
	VZEROUPPER
	RET
