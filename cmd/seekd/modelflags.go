package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/seekd/seekd/kvcache"
	"github.com/seekd/seekd/model"
	"github.com/seekd/seekd/tensor"
)

// openModel loads a model: a folder, a .gguf file, an alias or a repo in
// the Hugging Face cache. A model that cannot be found is a usage error.
func openModel(name string) (model.Model, error) {
	return loadModel(name, nil)
}

// loadModel is openModel with a given worker pool (nil: one per CPU).
func loadModel(name string, pool *tensor.Pool) (model.Model, error) {
	if name == "" {
		return nil, usagef("--model is required")
	}
	m, err := resolveModel(name)
	if err != nil {
		return nil, err
	}
	return model.Load(m.Path, model.Options{Pool: pool})
}

// parseTokens reads ids separated by commas and/or spaces and checks them
// against the vocabulary.
func parseTokens(s string, vocab int) ([]int, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
	if len(fields) == 0 {
		return nil, usagef("--tokens is empty")
	}
	ids := make([]int, len(fields))
	for i, f := range fields {
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, usagef("--tokens: %q is not a token id", f)
		}
		if v < 0 || v >= vocab {
			return nil, usagef("--tokens: token id %d is out of range [0, %d)", v, vocab)
		}
		ids[i] = v
	}
	return ids, nil
}

// newSeqCache returns a cache for one sequence of up to n positions.
func newSeqCache(c *model.Config, n int) (*kvcache.Seq, error) {
	p, err := kvcache.NewPool(kvcache.Layout{Layers: c.Layers, Width: c.KVWidth()}, 64, int64(c.Layers)*int64(c.KVWidth())*4*int64(n+64))
	if err != nil {
		return nil, err
	}
	s := p.NewSeq()
	if err := s.Reserve(n); err != nil {
		return nil, fmt.Errorf("kv cache for %d positions: %w", n, err)
	}
	return s, nil
}

// forward runs one step for a single sequence.
func forward(ctx context.Context, m model.Model, s *model.Seq, tr model.Tracer) error {
	return m.Forward(ctx, &model.Batch{Seqs: []*model.Seq{s}, Trace: tr})
}

// defaultActivations is what serving commands use unless told otherwise:
// 8-bit activations against quantized GGUF weights (the fast path, as
// llama.cpp computes), unless SEEKD_ACTIVATIONS says otherwise. Commands
// that reproduce reference logits (logits, generate) stay exact.
func defaultActivations() string {
	if v := os.Getenv(tensor.ActivationsEnv); v != "" {
		return v
	}
	return "q8"
}

// newComputePool returns a worker pool of threads threads (0: one per CPU)
// with the given activation mode ("exact" or "q8").
func newComputePool(threads int, activations string) (*tensor.Pool, error) {
	a, err := tensor.ParseActivations(activations)
	if err != nil {
		return nil, usagef("--activations %q: want exact or q8", activations)
	}
	return tensor.NewPool(threads, tensor.WithActivations(a)), nil
}
