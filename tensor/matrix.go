package tensor

import (
	"fmt"
)

// FP8Block is the side of DeepSeek's square FP8 scale blocks.
const FP8Block = 128

// Matrix is a 2-D weight [Rows, Cols] in its storage type: row r holds the
// weights of output r, so y = W·x has Rows outputs and Cols inputs (PyTorch's
// Linear layout, and GGUF's {ne0 = Cols, ne1 = Rows}).
//
// For F8E4M3, Scales holds DeepSeek's weight_scale_inv grid
// [ceil(Rows/128), ceil(Cols/128)] and W[r,c] = fp8(Data[r*Cols+c]) *
// Scales[(r/128)*ScaleCols + c/128]. Other types carry no scales.
type Matrix struct {
	Name      string
	DType     DType
	Rows      int
	Cols      int
	Data      []byte
	rowBytes  int
	Scales    []float32
	ScaleCols int
	// scaleRow0 is the row offset of Data's first row inside the scale grid
	// (non-zero for views made by Rows).
	scaleRow0 int
}

// NewMatrix makes a Matrix from a 2-D tensor (or a higher-rank one whose
// leading dimensions are folded into rows).
func NewMatrix(t *Tensor) (*Matrix, error) {
	if len(t.Shape) < 1 {
		return nil, fmt.Errorf("tensor %q: a matrix needs at least 1 dimension, shape %v", t.Name, t.Shape)
	}
	cols := t.Shape[len(t.Shape)-1]
	rows := 1
	for _, d := range t.Shape[:len(t.Shape)-1] {
		rows *= d
	}
	rb, err := t.DType.RowBytes(cols)
	if err != nil {
		return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
	}
	if !t.DType.Float() {
		return nil, fmt.Errorf("tensor %q: %v is not a weight type", t.Name, t.DType)
	}
	if len(t.Data) != rows*rb {
		return nil, fmt.Errorf("tensor %q: %d bytes of data, shape %v of %v needs %d", t.Name, len(t.Data), t.Shape, t.DType, rows*rb)
	}
	return &Matrix{Name: t.Name, DType: t.DType, Rows: rows, Cols: cols, Data: t.Data, rowBytes: rb}, nil
}

// NewFP8Matrix pairs an F8_E4M3 weight with its float32 weight_scale_inv grid.
func NewFP8Matrix(w, scale *Tensor) (*Matrix, error) {
	if w.DType != F8E4M3 {
		return nil, fmt.Errorf("tensor %q: FP8 weight has dtype %v", w.Name, w.DType)
	}
	if len(w.Shape) != 2 {
		return nil, fmt.Errorf("tensor %q: FP8 weight must be 2-D, shape %v", w.Name, w.Shape)
	}
	m, err := NewMatrix(w)
	if err != nil {
		return nil, err
	}
	sr, sc := ceilDiv(m.Rows, FP8Block), ceilDiv(m.Cols, FP8Block)
	if len(scale.Shape) != 2 || scale.Shape[0] != sr || scale.Shape[1] != sc {
		return nil, fmt.Errorf("tensor %q: scale shape %v, weight %v needs [%d %d]", scale.Name, scale.Shape, w.Shape, sr, sc)
	}
	if scale.DType != F32 && scale.DType != BF16 && scale.DType != F16 {
		return nil, fmt.Errorf("tensor %q: scale dtype %v, want F32", scale.Name, scale.DType)
	}
	s, err := scale.Floats()
	if err != nil {
		return nil, err
	}
	m.Scales, m.ScaleCols = s, sc
	return m, nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// RowBytes returns the byte length of one row.
func (m *Matrix) RowBytes() int { return m.rowBytes }

// RowData returns the stored bytes of row r.
func (m *Matrix) RowData(r int) []byte { return m.Data[r*m.rowBytes : (r+1)*m.rowBytes] }

// Row dequantizes row r into dst (len(dst) >= Cols), with the same values
// as DequantizeRow (times the block scales for FP8).
func (m *Matrix) Row(r int, dst []float32) {
	k := defaultKernels
	dst = dst[:m.Cols]
	if m.DType == F8E4M3 {
		k.decodeF8(dst, m.RowData(r), 0, m.scaleRow(r))
		return
	}
	k.decode[m.DType](dst, m.RowData(r), 0)
}

// Slice returns the view of rows [r0, r1) (an expert of a stacked tensor, a
// head of a projection). FP8 views remember their offset in the scale grid.
func (m *Matrix) Slice(r0, r1 int) *Matrix {
	if r0 < 0 || r1 > m.Rows || r0 > r1 {
		panic(fmt.Sprintf("tensor: row slice [%d,%d) of %d rows", r0, r1, m.Rows))
	}
	v := *m
	v.Rows = r1 - r0
	v.Data = m.Data[r0*m.rowBytes : r1*m.rowBytes]
	v.scaleRow0 = m.scaleRow0 + r0
	return &v
}

// Dense returns the whole matrix widened to float32, row-major.
func (m *Matrix) Dense() []float32 {
	out := make([]float32, m.Rows*m.Cols)
	for r := 0; r < m.Rows; r++ {
		m.Row(r, out[r*m.Cols:(r+1)*m.Cols])
	}
	return out
}
