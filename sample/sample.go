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

	// Penalties on tokens already generated (OpenAI semantics: subtract
	// FrequencyPenalty·count + PresencePenalty·[count > 0] from the logit),
	// and the multiplicative repetition penalty over prompt and output
	// (divide positive logits, multiply negative ones; 0 or 1 means off).
	FrequencyPenalty  float32
	PresencePenalty   float32
	RepetitionPenalty float32
}

// Sampler draws tokens for one sequence.
type Sampler struct {
	p      Params
	rng    *rand.Rand
	idx    []int
	counts map[int]int  // generated tokens
	seen   map[int]bool // prompt and generated tokens (repetition penalty)
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

// Observe records prompt tokens for the repetition penalty.
func (s *Sampler) Observe(tokens []int) {
	if s.p.RepetitionPenalty == 0 || s.p.RepetitionPenalty == 1 {
		return
	}
	if s.seen == nil {
		s.seen = map[int]bool{}
	}
	for _, t := range tokens {
		s.seen[t] = true
	}
}

// Accept records a generated token for the penalties.
func (s *Sampler) Accept(tok int) {
	if s.counts == nil {
		s.counts = map[int]int{}
	}
	s.counts[tok]++
	if s.seen != nil {
		s.seen[tok] = true
	}
}

// Penalize applies the frequency, presence and repetition penalties to logits.
func (s *Sampler) Penalize(logits []float32) {
	p := s.p
	if p.FrequencyPenalty != 0 || p.PresencePenalty != 0 {
		for tok, n := range s.counts {
			logits[tok] -= p.FrequencyPenalty*float32(n) + p.PresencePenalty
		}
	}
	if rp := p.RepetitionPenalty; rp > 0 && rp != 1 {
		for tok := range s.seen {
			if logits[tok] > 0 {
				logits[tok] /= rp
			} else {
				logits[tok] *= rp
			}
		}
	}
}

// Next applies the penalties and picks the next token from logits (which it
// modifies). It does not record the token: call Accept.
func (s *Sampler) Next(logits []float32) int {
	s.Penalize(logits)
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
	for n > 1 && math.IsInf(float64(logits[idx[n-1]]), -1) {
		n-- // masked tokens are never drawn
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

// LogSoftmax writes log-probabilities of logits into dst.
func LogSoftmax(dst, logits []float32) {
	m := logits[0]
	for _, x := range logits {
		if x > m {
			m = x
		}
	}
	var sum float64
	for _, x := range logits {
		sum += math.Exp(float64(x - m))
	}
	lse := m + float32(math.Log(sum))
	for i, x := range logits {
		dst[i] = x - lse
	}
}

// TopN returns the indices of the n largest values, largest first (ties by
// lower index).
func TopN(v []float32, n int) []int {
	if n > len(v) {
		n = len(v)
	}
	out := make([]int, 0, n+1)
	for i, x := range v {
		if len(out) == n && (n == 0 || x <= v[out[n-1]]) {
			continue
		}
		j := len(out)
		out = append(out, i)
		for j > 0 && v[out[j-1]] < x {
			out[j] = out[j-1]
			j--
		}
		out[j] = i
		if len(out) > n {
			out = out[:n]
		}
	}
	return out
}
