package model

import (
	"fmt"

	"github.com/seekd/seekd/tensor"
	"github.com/seekd/seekd/weights"
	"github.com/seekd/seekd/weights/gguf"
)

// source is where a loader finds named tensors: a safetensors checkpoint or
// a GGUF file.
type source interface {
	Tensor(name string) (*tensor.Tensor, error)
	Matrix(name string) (*tensor.Matrix, error)
	Where(name string) string // the file holding a tensor, for errors
}

// loader reads named tensors with shape checks, remembering the first error
// so that a model's loader reads as a list of names.
type loader struct {
	src    source
	arena  *tensor.Arena // where matrices move (nil: they stay mapped)
	mapped bool          // src's data lies in read-only file mappings
	err    error
}

func (l *loader) matrix(name string, rows, cols int) *tensor.Matrix {
	return l.load(name, rows, cols, true)
}

// embedding loads a token embedding table. Unless the output projection
// shares it (tied), only the rows of the tokens in use are ever read, so it
// stays in its file mapping instead of moving into the arena.
func (l *loader) embedding(name string, rows, cols int, tied bool) embedTable {
	return embedTable{Matrix: l.load(name, rows, cols, tied), release: !tied && l.mapped}
}

// embedTable is a token embedding table. One that stays in its file
// mapping releases the pages a step's lookups mapped: the kernel maps a
// file's large page-cache folios whole, so 512 random token ids mapped
// 210 MB of the V2-Lite shape's 223 MB Q8_0 table, all of it counted in
// the process's RSS for the rest of its life.
type embedTable struct {
	*tensor.Matrix // {V, D}
	release        bool
}

// lookup writes the embedding of each row's token into x ({T, D}).
func (e embedTable) lookup(x []float32, rows []tokenRow) {
	D := e.Cols
	for t, r := range rows {
		e.Row(r.id, x[t*D:(t+1)*D])
	}
	if e.release {
		tensor.ReleaseMapped(e.Data)
	}
}

func (l *loader) load(name string, rows, cols int, adopt bool) *tensor.Matrix {
	if l.err != nil {
		return nil
	}
	m, err := l.src.Matrix(name)
	if err == nil && adopt {
		m, err = l.arena.AdoptMapped(m)
	}
	if err == nil {
		err = checkShape(m, rows, cols)
		if err != nil {
			err = fmt.Errorf("%s: %w", l.src.Where(name), err)
		}
	}
	if err != nil {
		l.fail(fmt.Errorf("model: %w", err))
		return nil
	}
	return m
}

// fail records the loader's first error and frees the matrices it moved
// into its arena (the model being loaded is dropped).
func (l *loader) fail(err error) {
	if l.err == nil {
		l.err = err
		l.arena.Close()
	}
}

func (l *loader) floats(name string, n int) []float32 {
	if l.err != nil {
		return nil
	}
	t, err := l.src.Tensor(name)
	if err != nil {
		l.fail(fmt.Errorf("model: %w", err))
		return nil
	}
	v, err := floatsOf(t, n)
	if err != nil {
		l.fail(fmt.Errorf("model: %s: %w", l.src.Where(name), err))
	}
	return v
}

// mlp reads a SwiGLU MLP named prefix+gate+suffix etc.
func (l *loader) mlp(gate, up, down string, inter, hidden int) *mlp {
	return &mlp{
		gate: l.matrix(gate, inter, hidden),
		up:   l.matrix(up, inter, hidden),
		down: l.matrix(down, hidden, inter),
	}
}

// hfMLP reads Hugging Face's PREFIX.{gate,up,down}_proj.weight.
func (l *loader) hfMLP(prefix string, inter, hidden int) *mlp {
	return l.mlp(prefix+".gate_proj.weight", prefix+".up_proj.weight", prefix+".down_proj.weight", inter, hidden)
}

// ggufMLP reads llama.cpp's PREFIX_{gate,up,down}SUFFIX.weight.
func (l *loader) ggufMLP(prefix, suffix string, inter, hidden int) *mlp {
	return l.mlp(prefix+"_gate"+suffix+".weight", prefix+"_up"+suffix+".weight", prefix+"_down"+suffix+".weight", inter, hidden)
}

// hfSource reads a safetensors checkpoint (FP8 weights come with their
// block scales).
type hfSource struct{ ck *weights.Checkpoint }

func (s hfSource) Tensor(name string) (*tensor.Tensor, error) { return s.ck.Tensor(name) }
func (s hfSource) Matrix(name string) (*tensor.Matrix, error) { return s.ck.Matrix(name) }
func (s hfSource) Where(name string) string                   { return s.ck.FileOf(name) }

// ggufSource reads a GGUF file.
type ggufSource struct{ f *gguf.File }

func (s ggufSource) Tensor(name string) (*tensor.Tensor, error) { return s.f.Tensor(name) }
func (s ggufSource) Where(string) string                        { return s.f.Path() }
func (s ggufSource) Matrix(name string) (*tensor.Matrix, error) {
	t, err := s.f.Tensor(name)
	if err != nil {
		return nil, err
	}
	return tensor.NewMatrix(t)
}
