// Package weights reads checkpoints as Hugging Face publishes them: folders
// of safetensors files (one file, or shards with model.safetensors.index.json),
// memory-mapped so that weights never enter the Go heap.
package weights

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/seekd/seekd/tensor"
)

// maxHeaderBytes caps the JSON header, as the safetensors format does (100 MB).
const maxHeaderBytes = 100 << 20

// stDTypes maps safetensors dtype names to element sizes; the second value
// is the seekd element type when seekd can compute with it.
var stDTypes = map[string]struct {
	size  int
	dtype tensor.DType
}{
	"BOOL": {1, tensor.Invalid}, "U8": {1, tensor.Invalid}, "I8": {1, tensor.Invalid},
	"F8_E5M2": {1, tensor.Invalid}, "F8_E4M3": {1, tensor.F8E4M3},
	"I16": {2, tensor.Invalid}, "U16": {2, tensor.Invalid}, "F16": {2, tensor.F16}, "BF16": {2, tensor.BF16},
	"I32": {4, tensor.I32}, "U32": {4, tensor.Invalid}, "F32": {4, tensor.F32},
	"I64": {8, tensor.I64}, "U64": {8, tensor.Invalid}, "F64": {8, tensor.Invalid},
}

// TensorInfo describes one tensor of a safetensors file.
type TensorInfo struct {
	Name  string
	DType string // as written in the file, e.g. "BF16"
	Shape []int
	Begin int // byte offsets into the data section
	End   int
}

// Header is the parsed header of a safetensors file.
type Header struct {
	Tensors    map[string]TensorInfo
	Metadata   map[string]string
	DataOffset int // where the data section starts in the file
}

type rawInfo struct {
	DType       *string         `json:"dtype"`
	Shape       *[]json.Number  `json:"shape"`
	DataOffsets *[2]json.Number `json:"data_offsets"`
}

// ParseHeader parses and validates the header of a safetensors file whose
// full contents are data: header length, JSON, dtypes, shapes and data
// offsets (in range, of the right size, not overlapping).
func ParseHeader(data []byte) (*Header, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("truncated file: %d bytes, the header length alone needs 8", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > maxHeaderBytes {
		return nil, fmt.Errorf("header length %d exceeds the %d-byte limit", n, maxHeaderBytes)
	}
	if n > uint64(len(data)-8) {
		return nil, fmt.Errorf("header length %d is larger than the file (%d bytes)", n, len(data))
	}
	dataOff := 8 + int(n)
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data[8:dataOff]))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("bad JSON header: %w", err)
	}
	if raw == nil {
		return nil, fmt.Errorf("bad JSON header: not an object")
	}
	h := &Header{Tensors: make(map[string]TensorInfo, len(raw)), DataOffset: dataOff}
	dataLen := len(data) - dataOff
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &h.Metadata); err != nil {
				return nil, fmt.Errorf("bad __metadata__: %w", err)
			}
			continue
		}
		ti, err := parseInfo(name, msg, dataLen)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		h.Tensors[name] = ti
	}
	// Tensors must not overlap.
	infos := make([]TensorInfo, 0, len(h.Tensors))
	for _, ti := range h.Tensors {
		infos = append(infos, ti)
	}
	sort.Slice(infos, func(i, j int) bool {
		if infos[i].Begin != infos[j].Begin {
			return infos[i].Begin < infos[j].Begin
		}
		return infos[i].Name < infos[j].Name
	})
	for i := 1; i < len(infos); i++ {
		a, b := infos[i-1], infos[i]
		if b.Begin < a.End {
			return nil, fmt.Errorf("tensors %q [%d,%d) and %q [%d,%d) overlap", a.Name, a.Begin, a.End, b.Name, b.Begin, b.End)
		}
	}
	return h, nil
}

func parseInfo(name string, msg json.RawMessage, dataLen int) (TensorInfo, error) {
	var r rawInfo
	dec := json.NewDecoder(bytes.NewReader(msg))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		return TensorInfo{}, fmt.Errorf("bad entry: %w", err)
	}
	if r.DType == nil || r.Shape == nil || r.DataOffsets == nil {
		return TensorInfo{}, fmt.Errorf("entry needs dtype, shape and data_offsets")
	}
	dt, ok := stDTypes[*r.DType]
	if !ok {
		return TensorInfo{}, fmt.Errorf("unknown dtype %q", *r.DType)
	}
	ti := TensorInfo{Name: name, DType: *r.DType, Shape: make([]int, len(*r.Shape))}
	numel := 1
	for i, d := range *r.Shape {
		v, err := smallInt(d)
		if err != nil {
			return TensorInfo{}, fmt.Errorf("shape %v: %w", *r.Shape, err)
		}
		ti.Shape[i] = v
		if v != 0 && numel > (1<<50)/v {
			return TensorInfo{}, fmt.Errorf("shape %v is too large", *r.Shape)
		}
		numel *= v
	}
	var err error
	if ti.Begin, err = smallInt(r.DataOffsets[0]); err != nil {
		return TensorInfo{}, fmt.Errorf("data_offsets: %w", err)
	}
	if ti.End, err = smallInt(r.DataOffsets[1]); err != nil {
		return TensorInfo{}, fmt.Errorf("data_offsets: %w", err)
	}
	if ti.Begin > ti.End || ti.End > dataLen {
		return TensorInfo{}, fmt.Errorf("data_offsets [%d,%d) out of range: the data section has %d bytes", ti.Begin, ti.End, dataLen)
	}
	if want := numel * dt.size; ti.End-ti.Begin != want {
		return TensorInfo{}, fmt.Errorf("shape %v of %s needs %d bytes, data_offsets [%d,%d) hold %d", ti.Shape, ti.DType, want, ti.Begin, ti.End, ti.End-ti.Begin)
	}
	return ti, nil
}

// smallInt converts a JSON number to a non-negative int that fits the file.
func smallInt(n json.Number) (int, error) {
	v, err := n.Int64()
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", n.String())
	}
	if v < 0 || v > 1<<50 {
		return 0, fmt.Errorf("%d is out of range", v)
	}
	return int(v), nil
}
