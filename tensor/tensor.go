package tensor

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Tensor is a named, typed, shaped view of bytes, usually memory-mapped from a
// checkpoint file. Shape is outermost first (PyTorch/numpy order); Data holds
// the elements row-major with no padding.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// NumElements returns the product of the shape (1 for a scalar).
func (t *Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// ByteSize returns the number of bytes the shape and dtype call for.
func ByteSize(dt DType, shape []int) (int, error) {
	if !dt.Valid() {
		return 0, fmt.Errorf("invalid dtype %v", dt)
	}
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", shape)
		}
		if d != 0 && n > math.MaxInt/2/d {
			return 0, fmt.Errorf("shape %v is too large", shape)
		}
		n *= d
	}
	if len(shape) > 0 && shape[len(shape)-1]%dt.BlockSize() != 0 {
		return 0, fmt.Errorf("innermost dimension %d of shape %v is not a multiple of the %v block size %d", shape[len(shape)-1], shape, dt, dt.BlockSize())
	}
	return n / dt.BlockSize() * dt.BlockBytes(), nil
}

// Floats returns all elements widened to float32 (a new slice). Use it for
// small tensors such as norms and biases; large matrices stay in their
// storage type and are read through Matrix.
func (t *Tensor) Floats() ([]float32, error) {
	n := t.NumElements()
	want, err := ByteSize(t.DType, t.Shape)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	if len(t.Data) != want {
		return nil, fmt.Errorf("tensor %q: %d bytes of data, shape %v of %v needs %d", t.Name, len(t.Data), t.Shape, t.DType, want)
	}
	out := make([]float32, n)
	if err := DequantizeRow(t.DType, t.Data, out); err != nil {
		return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	return out, nil
}

// DequantizeRow widens len(dst) consecutive elements stored in src as dt.
// It is the reference ("scalar") decoder every fast kernel is tested against.
func DequantizeRow(dt DType, src []byte, dst []float32) error {
	n := len(dst)
	need, err := dt.RowBytes(n)
	if err != nil {
		return err
	}
	if len(src) < need {
		return fmt.Errorf("tensor: %d bytes for %d %v elements, need %d", len(src), n, dt, need)
	}
	switch dt {
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case F16:
		for i := range dst {
			dst[i] = F16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
		}
	case BF16:
		for i := range dst {
			dst[i] = BF16ToF32(binary.LittleEndian.Uint16(src[2*i:]))
		}
	case F8E4M3:
		for i := range dst {
			dst[i] = fp8e4m3Table[src[i]]
		}
	case Q8_0:
		dequantQ8_0(src, dst)
	case Q4_0:
		dequantQ4_0(src, dst)
	case Q5_0:
		dequantQ5_0(src, dst)
	case Q4_K:
		dequantQ4K(src, dst)
	case Q6_K:
		dequantQ6K(src, dst)
	case I32:
		for i := range dst {
			dst[i] = float32(int32(binary.LittleEndian.Uint32(src[4*i:])))
		}
	case I64:
		for i := range dst {
			dst[i] = float32(int64(binary.LittleEndian.Uint64(src[8*i:])))
		}
	default:
		return fmt.Errorf("tensor: cannot decode %v", dt)
	}
	return nil
}
