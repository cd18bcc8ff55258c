package model

import "math"

// rope rotates query/key lanes by position-dependent angles. DeepSeek
// checkpoints rotate adjacent pairs (2i, 2i+1); Qwen2 and Llama rotate the
// halves (i, i+d/2) ("NeoX" / rotate_half).
type rope struct {
	invFreq []float64 // per pair i: the angle per position
	neox    bool
}

// newRope builds the frequencies for a rotary width dim from the config's
// rope_theta and rope_scaling (YaRN as DeepSeek's model.py computes it, or
// Llama 3's per-frequency scaling).
func newRope(c *Config, dim int, neox bool) *rope {
	half := dim / 2
	inv := make([]float64, half)
	for i := range inv {
		inv[i] = math.Pow(c.RopeTheta, -float64(2*i)/float64(dim))
	}
	rs := c.Rope
	switch rs.Type {
	case "yarn":
		if c.yarnActive() {
			corr := func(rot float64) float64 {
				return float64(dim) * math.Log(float64(rs.OrigMaxPos)/(rot*2*math.Pi)) / (2 * math.Log(c.RopeTheta))
			}
			low := math.Max(math.Floor(corr(rs.BetaFast)), 0)
			high := math.Min(math.Ceil(corr(rs.BetaSlow)), float64(dim-1))
			if low == high {
				high += 0.001
			}
			for i := range inv {
				ramp := math.Min(math.Max((float64(i)-low)/(high-low), 0), 1)
				inv[i] = inv[i]/rs.Factor*ramp + inv[i]*(1-ramp)
			}
		}
	case "llama3":
		orig := float64(rs.OrigMaxPos)
		lowWave := orig / rs.LowFreqFactor
		highWave := orig / rs.HighFreqFac
		for i, f := range inv {
			wave := 2 * math.Pi / f
			switch {
			case wave < highWave:
			case wave > lowWave:
				inv[i] = f / rs.Factor
			default:
				s := (orig/wave - rs.LowFreqFactor) / (rs.HighFreqFac - rs.LowFreqFactor)
				inv[i] = (1-s)*f/rs.Factor + s*f
			}
		}
	}
	return &rope{invFreq: inv, neox: neox}
}

// newRopeFromDivisors builds frequencies θ^(-2i/d)/div[i], the form GGUF
// files store Llama 3 scaling in (the rope_freqs tensor).
func newRopeFromDivisors(theta float64, dim int, div []float32, neox bool) *rope {
	inv := make([]float64, dim/2)
	for i := range inv {
		inv[i] = math.Pow(theta, -float64(2*i)/float64(dim)) / float64(div[i])
	}
	return &rope{invFreq: inv, neox: neox}
}

// table returns cos and sin of every pair's angle at position pos,
// interleaved as [cos0, sin0, cos1, sin1, ...].
func (r *rope) table(pos int, dst []float32) []float32 {
	dst = dst[:0]
	for _, f := range r.invFreq {
		s, c := math.Sincos(float64(pos) * f)
		dst = append(dst, float32(c), float32(s))
	}
	return dst
}

// apply rotates x (one head's rotary lanes) with a table from r.table.
func (r *rope) apply(x, cs []float32) {
	half := len(r.invFreq)
	if r.neox {
		for i := 0; i < half; i++ {
			c, s := cs[2*i], cs[2*i+1]
			a, b := x[i], x[i+half]
			x[i] = a*c - b*s
			x[i+half] = a*s + b*c
		}
		return
	}
	for i := 0; i < half; i++ {
		c, s := cs[2*i], cs[2*i+1]
		a, b := x[2*i], x[2*i+1]
		x[2*i] = a*c - b*s
		x[2*i+1] = a*s + b*c
	}
}
