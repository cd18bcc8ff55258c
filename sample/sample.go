// Package sample turns logits into the next token: greedy, or random with
// temperature, top-k, top-p and min-p, reproducibly from a seed.
package sample

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Params are the sampling settings of one request.
type Params struct {
	Temperature float32 // 0 means greedy
	TopK        int     // 0 means all tokens
	TopP        float32 // 0 or 1 means no nucleus cut
	MinP        float32 // 0 means no cut
}

// Sampler draws tokens for one sequence.
type Sampler struct {
	p   Params
	rng *rand.Rand
	idx []int
}

// New returns a sampler whose random draws depend only on seed.
func New(p Params, seed uint64) *Sampler {
	return &Sampler{p: p, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Argmax returns the index of the largest logit (the first on ties).
func Argmax(logits []float32) int {
	best := 0
	for i, x := range logits {
		if x > logits[best] {
			best = i
		}
	}
	return best
}

// Next picks the next token from logits (which it may modify).
func (s *Sampler) Next(logits []float32) int {
	p := s.p
	if p.Temperature <= 0 {
		return Argmax(logits)
	}
	if cap(s.idx) < len(logits) {
		s.idx = make([]int, len(logits))
	}
	idx := s.idx[:len(logits)]
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return logits[idx[a]] > logits[idx[b]] })
	n := len(idx)
	if p.TopK > 0 && p.TopK < n {
		n = p.TopK
	}
	// Softmax over the kept candidates at the given temperature.
	probs := make([]float64, n)
	maxL := float64(logits[idx[0]])
	var sum float64
	for i := 0; i < n; i++ {
		probs[i] = math.Exp((float64(logits[idx[i]]) - maxL) / float64(p.Temperature))
		sum += probs[i]
	}
	for i := range probs {
		probs[i] /= sum
	}
	if p.MinP > 0 {
		cut := float64(p.MinP) * probs[0]
		for n > 1 && probs[n-1] < cut {
			n--
		}
	}
	if p.TopP > 0 && p.TopP < 1 {
		var c float64
		for i := 0; i < n; i++ {
			c += probs[i]
			if c >= float64(p.TopP) {
				n = i + 1
				break
			}
		}
	}
	var total float64
	for i := 0; i < n; i++ {
		total += probs[i]
	}
	r := s.rng.Float64() * total
	for i := 0; i < n; i++ {
		r -= probs[i]
		if r < 0 {
			return idx[i]
		}
	}
	return idx[n-1]
}
