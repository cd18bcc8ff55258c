package model

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"github.com/seekd/seekd/tensor"
	"github.com/seekd/seekd/weights"
)

// KV is one sequence's key/value cache as a forward pass sees it: a row of
// Config.KVWidth() values per layer and position. The caller reserves room
// for the positions a step writes before calling Forward.
type KV interface {
	Row(layer, pos int) []float32
}

// Seq is one sequence's share of a forward step.
type Seq struct {
	Tokens    []int     // new tokens, at positions Pos, Pos+1, ...
	Pos       int       // position of Tokens[0]; the cache holds [0, Pos)
	KV        KV        // the sequence's cache
	AllLogits bool      // fill logits for every new token, not just the last
	NoLogits  bool      // fill no logits (a prefill chunk that is not the last)
	Logits    []float32 // out: [len(Tokens), Vocab] or [Vocab]; reused if large enough
}

// Tracer receives named intermediates of a forward pass: data holds rows
// rows of len(data)/rows values (one per token of the step, in batch
// order). Layer is -1 outside the decoder layers. Data is only valid during
// the call.
type Tracer func(name string, layer, rows int, data []float32)

// put calls the tracer if there is one.
func (t Tracer) put(name string, layer, rows int, data []float32) {
	if t != nil {
		t(name, layer, rows, data)
	}
}

// Batch is the input of one forward step.
type Batch struct {
	Seqs  []*Seq
	Trace Tracer // optional: called with every named intermediate
}

// Model runs forward passes of one loaded checkpoint.
type Model interface {
	Config() *Config
	// Forward runs one step: every sequence's new tokens are appended to its
	// cache and its logits are filled.
	Forward(ctx context.Context, b *Batch) error
	// Close releases the weights.
	Close() error
}

// Options configure loading.
type Options struct {
	Pool *tensor.Pool // the kernels' worker pool (default: one per CPU)
}

// Load opens a model folder (Hugging Face config.json + safetensors) or a
// GGUF file.
func Load(path string, opt Options) (Model, error) {
	if opt.Pool == nil {
		opt.Pool = tensor.NewPool(0)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if !st.IsDir() {
		if strings.HasSuffix(strings.ToLower(path), ".gguf") {
			return loadGGUF(path, opt)
		}
		return nil, fmt.Errorf("model: %s is not a model folder", path)
	}
	cfg, err := ReadHFConfig(filepath.Join(path, "config.json"))
	if err != nil {
		return nil, err
	}
	ck, err := weights.Open(path)
	if err != nil {
		return nil, err
	}
	var m Model
	switch {
	case cfg.Arch.MLA():
		m, err = loadDeepSeekHF(cfg, ck, opt.Pool)
	default:
		m, err = loadDenseHF(cfg, ck, opt.Pool)
	}
	if err != nil {
		ck.Close()
		return nil, err
	}
	return m, nil
}

// floatsOf reads a small tensor (a norm, a bias) with a length check.
func floatsOf(t *tensor.Tensor, want int) ([]float32, error) {
	v, err := t.Floats()
	if err != nil {
		return nil, err
	}
	if len(v) != want {
		return nil, fmt.Errorf("tensor %q: %d values, want %d", t.Name, len(v), want)
	}
	return v, nil
}

// f32Matrix wraps float32 data (owned by the caller) as a weight matrix.
func f32Matrix(name string, rows, cols int, data []float32) *tensor.Matrix {
	b := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(data))), 4*len(data))
	m, err := tensor.NewMatrix(&tensor.Tensor{Name: name, DType: tensor.F32, Shape: []int{rows, cols}, Data: b})
	if err != nil {
		panic(err) // sizes are ours
	}
	return m
}

// checkShape fails unless m is [rows, cols].
func checkShape(m *tensor.Matrix, rows, cols int) error {
	if m.Rows != rows || m.Cols != cols {
		return fmt.Errorf("tensor %q: shape [%d %d], the config needs [%d %d]", m.Name, m.Rows, m.Cols, rows, cols)
	}
	return nil
}

// tokensIn counts the tokens of a batch and checks ids and positions.
func tokensIn(b *Batch, vocab int) (int, error) {
	n := 0
	for i, s := range b.Seqs {
		if len(s.Tokens) == 0 {
			return 0, fmt.Errorf("model: sequence %d has no tokens", i)
		}
		if s.Pos < 0 {
			return 0, fmt.Errorf("model: sequence %d: negative position", i)
		}
		for _, id := range s.Tokens {
			if id < 0 || id >= vocab {
				return 0, fmt.Errorf("model: token id %d is out of range [0, %d)", id, vocab)
			}
		}
		n += len(s.Tokens)
	}
	return n, nil
}
