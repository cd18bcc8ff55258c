package x86

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Scalar decoders for the few elements past the last whole vector. They
// give the same bits as package tensor's reference decoders.

func f32At(b []byte, i int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])) }

func bf16At(b []byte, i int) float32 {
	return math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
}

// f16Bits widens a half-precision bit pattern exactly: the bits shifted
// into float32's fields and scaled by 2^112 (subnormals included), with
// infinities and NaNs given float32's all-ones exponent.
func f16Bits(h uint16) float32 {
	v := math.Float32frombits(uint32(h&0x7fff)<<13) * 0x1p112
	if h&0x7c00 == 0x7c00 {
		v = math.Float32frombits(math.Float32bits(v) | 0x7f800000)
	}
	if h&0x8000 != 0 {
		v = -v
	}
	return v
}

func f16At(b []byte, i int) float32 { return f16Bits(binary.LittleEndian.Uint16(b[2*i:])) }

// f16Scale widens a block scale, which is finite in every real file: the
// vector kernels skip the infinity and NaN fix-up for scales.
func f16Scale(b []byte) float32 {
	h := uint32(int32(int16(binary.LittleEndian.Uint16(b)))) << 13
	return math.Float32frombits(h&0x8fffe000) * 0x1p112
}

// fp8Raw returns an e4m3fn byte's value times 2^-120: its exponent and
// mantissa moved into float32's fields. The NaN codes 0x7f and 0xff come
// out as ±480·2^-120 (checkpoints hold no NaN weights).
func fp8Raw(b byte) float32 {
	return math.Float32frombits(uint32(b&0x80)<<24 | uint32(b&0x7f)<<20)
}

func fp8At(b []byte, i int) float32 { return fp8Raw(b[i]) * 0x1p120 }

// checkMat panics unless rows rows of need bytes each, rowBytes apart, fit
// in n bytes: the kernels read rows through unchecked pointers.
func checkMat(rows, n, rowBytes, need int) {
	if rows > 0 && (rowBytes < need || (rows-1)*rowBytes+need > n) {
		panic(fmt.Sprintf("x86: %d rows of %d bytes (stride %d) in %d bytes", rows, need, rowBytes, n))
	}
}

// checkDecode panics unless columns [k0, k0+n) of a row need at most the
// row's bytes.
func checkDecode(k0, n, blockSize, blockBytes, rowLen int) {
	if k0 < 0 || k0%blockSize != 0 || (k0+n+blockSize-1)/blockSize*blockBytes > rowLen {
		panic(fmt.Sprintf("x86: decode of columns [%d,%d) from a row of %d bytes", k0, k0+n, rowLen))
	}
}
