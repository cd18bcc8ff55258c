package convert

import (
	"fmt"
	"slices"
)

// chunkElems bounds the float32 values held per chunk while a tensor is
// written (4 MiB), so converting a large model never materializes a whole
// stacked expert tensor.
const chunkElems = 1 << 20

type rowsFunc = func(yield func([]float32) error) error

// shapeOf returns the shape of an HF tensor, checking it is as expected
// (want entries < 0 are not checked).
func (p *plan) shapeOf(name string, want ...int) ([]int, error) {
	info, _, ok := p.ckpt.Info(name)
	if !ok {
		return nil, fmt.Errorf("convert: %s: missing tensor %q", p.src, name)
	}
	if want != nil {
		bad := len(info.Shape) != len(want)
		for i := 0; !bad && i < len(want); i++ {
			bad = want[i] >= 0 && info.Shape[i] != want[i]
		}
		if bad {
			return nil, fmt.Errorf("convert: %s: tensor %q has shape %v, config.json implies %v", p.src, name, info.Shape, want)
		}
	}
	return slices.Clone(info.Shape), nil
}

// rowsOf streams an HF matrix (FP8 weights dequantized with their scales)
// in chunks of whole rows; order, if not nil, lists the source row of each
// output row.
func (p *plan) rowsOf(name string, order []int) rowsFunc {
	return func(yield func([]float32) error) error {
		m, err := p.ckpt.Matrix(name)
		if err != nil {
			return fmt.Errorf("convert: %w", err)
		}
		per := min(m.Rows, max(1, chunkElems/max(1, m.Cols)))
		buf := make([]float32, per*m.Cols)
		for r0 := 0; r0 < m.Rows; r0 += per {
			n := min(per, m.Rows-r0)
			for i := 0; i < n; i++ {
				src := r0 + i
				if order != nil {
					src = order[src]
				}
				m.Row(src, buf[i*m.Cols:(i+1)*m.Cols])
			}
			if err := yield(buf[:n*m.Cols]); err != nil {
				return err
			}
		}
		return nil
	}
}

// vectorOf streams a whole (small) HF tensor.
func (p *plan) vectorOf(name string) rowsFunc {
	return func(yield func([]float32) error) error {
		t, err := p.ckpt.Tensor(name)
		if err != nil {
			return fmt.Errorf("convert: %w", err)
		}
		v, err := t.Floats()
		if err != nil {
			return fmt.Errorf("convert: %w", err)
		}
		return yield(v)
	}
}

// concatRows streams several sources one after the other (stacked experts).
func concatRows(parts []rowsFunc) rowsFunc {
	return func(yield func([]float32) error) error {
		for _, part := range parts {
			if err := part(yield); err != nil {
				return err
			}
		}
		return nil
	}
}

// blockRows streams rows [r0, r0+n) of an HF matrix, transposed when
// transpose is set (the per-head split of kv_b_proj).
func (p *plan) blockRows(name string, r0, n int, transpose bool) rowsFunc {
	return func(yield func([]float32) error) error {
		m, err := p.ckpt.Matrix(name)
		if err != nil {
			return fmt.Errorf("convert: %w", err)
		}
		if r0+n > m.Rows {
			return fmt.Errorf("convert: tensor %q: rows [%d, %d) of %d", name, r0, r0+n, m.Rows)
		}
		blk := make([]float32, n*m.Cols)
		for i := 0; i < n; i++ {
			m.Row(r0+i, blk[i*m.Cols:(i+1)*m.Cols])
		}
		if !transpose {
			return yield(blk)
		}
		t := make([]float32, len(blk))
		for i := 0; i < n; i++ {
			for j := 0; j < m.Cols; j++ {
				t[j*n+i] = blk[i*m.Cols+j]
			}
		}
		return yield(t)
	}
}

// permuteQK returns the source row of each output row for llama.cpp's
// q/k permutation: W' = W.reshape(n, 2, d/2, in).swapaxes(1, 2), so row
// 2i+j of each head is HF row j*d/2+i.
func permuteQK(rows, nHead int) ([]int, error) {
	if nHead <= 0 || rows%nHead != 0 || (rows/nHead)%2 != 0 {
		return nil, fmt.Errorf("%d rows cannot be split into %d heads of even size", rows, nHead)
	}
	d := rows / nHead
	order := make([]int, rows)
	for h := 0; h < nHead; h++ {
		for i := 0; i < d/2; i++ {
			for j := 0; j < 2; j++ {
				order[h*d+2*i+j] = h*d + j*d/2 + i
			}
		}
	}
	return order, nil
}
