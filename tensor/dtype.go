package tensor

import "fmt"

// DType is the storage type of a tensor's elements.
type DType uint8

// Element types. Block types store BlockSize elements in BlockBytes bytes.
const (
	Invalid DType = iota
	F32
	F16
	BF16
	F8E4M3 // OCP FP8 e4m3fn (torch.float8_e4m3fn); DeepSeek pairs it with 128x128 float32 block scales
	Q8_0   // GGUF: 32 values, f16 scale + 32 int8
	Q4_0   // GGUF: 32 values, f16 scale + 16 bytes of nibbles
	Q5_0   // GGUF: 32 values, f16 scale + u32 high bits + 16 bytes of nibbles
	Q4_K   // GGUF: 256 values, super-block with 6-bit sub-block scales and mins
	Q6_K   // GGUF: 256 values, 6-bit quants with int8 sub-block scales
	I32
	I64
	numDTypes
)

type dtypeInfo struct {
	name       string
	blockSize  int // elements per block
	blockBytes int // bytes per block
}

var dtypeInfos = [numDTypes]dtypeInfo{
	Invalid: {"invalid", 0, 0},
	F32:     {"F32", 1, 4},
	F16:     {"F16", 1, 2},
	BF16:    {"BF16", 1, 2},
	F8E4M3:  {"F8_E4M3", 1, 1},
	Q8_0:    {"Q8_0", 32, 34},
	Q4_0:    {"Q4_0", 32, 18},
	Q5_0:    {"Q5_0", 32, 22},
	Q4_K:    {"Q4_K", 256, 144},
	Q6_K:    {"Q6_K", 256, 210},
	I32:     {"I32", 1, 4},
	I64:     {"I64", 1, 8},
}

// String returns the type's conventional name ("BF16", "F8_E4M3", "Q4_K", ...).
func (d DType) String() string {
	if d < numDTypes {
		return dtypeInfos[d].name
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Valid reports whether d is a known element type.
func (d DType) Valid() bool { return d > Invalid && d < numDTypes }

// BlockSize returns the number of elements in one storage block (1 for plain types).
func (d DType) BlockSize() int {
	if !d.Valid() {
		return 0
	}
	return dtypeInfos[d].blockSize
}

// BlockBytes returns the size in bytes of one storage block.
func (d DType) BlockBytes() int {
	if !d.Valid() {
		return 0
	}
	return dtypeInfos[d].blockBytes
}

// Quantized reports whether d is a GGUF block quantization.
func (d DType) Quantized() bool { return d.BlockSize() > 1 }

// Float reports whether d holds float weights that kernels can multiply
// (every type but the integer ones).
func (d DType) Float() bool { return d.Valid() && d != I32 && d != I64 }

// RowBytes returns the number of bytes that n consecutive elements occupy.
// It fails when n is not a whole number of blocks.
func (d DType) RowBytes(n int) (int, error) {
	if !d.Valid() {
		return 0, fmt.Errorf("tensor: invalid dtype %v", d)
	}
	bs := d.BlockSize()
	if n < 0 || n%bs != 0 {
		return 0, fmt.Errorf("tensor: %d elements is not a whole number of %v blocks (%d)", n, d, bs)
	}
	return n / bs * d.BlockBytes(), nil
}

// ParseDType maps a name as written by safetensors ("BF16", "F8_E4M3") or by
// GGUF tools ("Q4_K") to a DType.
func ParseDType(name string) (DType, bool) {
	for d := F32; d < numDTypes; d++ {
		if dtypeInfos[d].name == name {
			return d, true
		}
	}
	return Invalid, false
}
