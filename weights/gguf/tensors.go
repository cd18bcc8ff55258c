package gguf

import (
	"fmt"

	"github.com/seekd/seekd/tensor"
)

// Tensors returns the tensor infos in file order.
func (f *File) Tensors() []TensorInfo {
	out := make([]TensorInfo, len(f.tensors))
	copy(out, f.tensors)
	return out
}

// NumTensors returns the number of tensors in the file.
func (f *File) NumTensors() int { return len(f.tensors) }

// TensorInfo returns the info of the named tensor.
func (f *File) TensorInfo(name string) (TensorInfo, bool) {
	i, ok := f.tIndex[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.tensors[i], true
}

// HasTensor reports whether the file holds the named tensor.
func (f *File) HasTensor(name string) bool {
	_, ok := f.tIndex[name]
	return ok
}

// Tensor returns the named tensor with its shape outermost first (the
// reverse of ggml's ne) and its data a view of the file mapping. Tensors of
// a ggml type seekd does not compute with (Q3_K, IQ2_XS, ...) are reported
// here, when they are asked for, not when the file is opened, so a file can
// still be inspected and any model that does not use them still loads.
func (f *File) Tensor(name string) (*tensor.Tensor, error) {
	i, ok := f.tIndex[name]
	if !ok {
		return nil, fmt.Errorf("gguf: %s: no tensor %q", f.path, name)
	}
	ti := f.tensors[i]
	dt, ok := ti.Type.DType()
	if !ok {
		return nil, fmt.Errorf("gguf: %s: unsupported tensor type %v in tensor %q", f.path, ti.Type, name)
	}
	if f.data == nil {
		return nil, fmt.Errorf("gguf: %s: tensor %q: file is closed", f.path, name)
	}
	start := f.dataStart + ti.Offset
	end := start + ti.Size
	return &tensor.Tensor{Name: name, DType: dt, Shape: ti.Shape(), Data: f.data[start:end:end]}, nil
}

// TensorData returns the raw bytes of the named tensor, whatever its type.
func (f *File) TensorData(name string) ([]byte, error) {
	i, ok := f.tIndex[name]
	if !ok {
		return nil, fmt.Errorf("gguf: %s: no tensor %q", f.path, name)
	}
	if f.data == nil {
		return nil, fmt.Errorf("gguf: %s: tensor %q: file is closed", f.path, name)
	}
	ti := f.tensors[i]
	start := f.dataStart + ti.Offset
	return f.data[start : start+ti.Size : start+ti.Size], nil
}
