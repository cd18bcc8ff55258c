package convert

import (
	"fmt"
	"math"
)

// dense plans a qwen2 or llama file (the R1-Distill architectures) as
// conversion/qwen.py and conversion/llama.py write them.
func (p *plan) dense(m *metaSet) error {
	c := p.cfg
	nh, nKV, L, H := c.NumAttentionHeads, headCountKV(c), c.NumHiddenLayers, c.HiddenSize
	headDim := H / nh
	if c.HeadDim != nil {
		headDim = *c.HeadDim
	}
	p.baseParams(m, nKV)
	llama := p.arch == "llama"
	if llama {
		m.setArch("vocab_size", uint32(c.VocabSize))
		m.setArch("rope.dimension_count", uint32(headDim))
		if c.RopeScaling.kind() == "llama3" {
			freqs, err := llama3RopeFactors(c, headDim)
			if err != nil {
				return err
			}
			p.tensors = append(p.tensors, outTensor{name: "rope_freqs.weight", shape: []int{len(freqs)},
				rows: func(yield func([]float32) error) error { return yield(freqs) }})
		}
	}
	if m.err != nil {
		return m.err
	}

	used := map[string]bool{}
	// direct maps an HF tensor, checking its shape; nPermute > 0 applies
	// llama.cpp's per-head q/k row permutation with that many heads.
	direct := func(hf, out string, nPermute int, want ...int) error {
		shape, err := p.shapeOf(hf, want...)
		if err != nil {
			return err
		}
		used[hf] = true
		var order []int
		if nPermute > 0 {
			if order, err = permuteQK(shape[0], nPermute); err != nil {
				return fmt.Errorf("convert: tensor %q: %w", hf, err)
			}
		}
		rows := p.rowsOf(hf, order)
		if len(shape) == 1 {
			rows = p.vectorOf(hf)
			if order != nil {
				rows = permuted(rows, order)
			}
		}
		p.tensors = append(p.tensors, outTensor{name: out, shape: shape, rows: rows})
		return nil
	}
	V := c.VocabSize
	if err := direct("model.embed_tokens.weight", "token_embd.weight", 0, V, H); err != nil {
		return err
	}
	if err := direct("model.norm.weight", "output_norm.weight", 0, H); err != nil {
		return err
	}
	if p.ckpt.Has("lm_head.weight") || !c.TieWordEmbeddings {
		if err := direct("lm_head.weight", "output.weight", 0, V, H); err != nil {
			return err
		}
	}
	ff := intOr(c.IntermediateSize, 0)
	qPerm, kPerm := 0, 0
	if llama {
		qPerm, kPerm = nh, nKV
	}
	for l := 0; l < L; l++ {
		hf := fmt.Sprintf("model.layers.%d.", l)
		out := fmt.Sprintf("blk.%d.", l)
		for _, mp := range []struct {
			hfMap
			perm int
		}{
			{hfMap{"input_layernorm.weight", "attn_norm.weight", []int{H}}, 0},
			{hfMap{"self_attn.q_proj.weight", "attn_q.weight", []int{nh * headDim, H}}, qPerm},
			{hfMap{"self_attn.k_proj.weight", "attn_k.weight", []int{nKV * headDim, H}}, kPerm},
			{hfMap{"self_attn.v_proj.weight", "attn_v.weight", []int{nKV * headDim, H}}, 0},
			{hfMap{"self_attn.o_proj.weight", "attn_output.weight", []int{H, nh * headDim}}, 0},
			{hfMap{"post_attention_layernorm.weight", "ffn_norm.weight", []int{H}}, 0},
			{hfMap{"mlp.gate_proj.weight", "ffn_gate.weight", []int{ff, H}}, 0},
			{hfMap{"mlp.up_proj.weight", "ffn_up.weight", []int{ff, H}}, 0},
			{hfMap{"mlp.down_proj.weight", "ffn_down.weight", []int{H, ff}}, 0},
		} {
			if err := direct(hf+mp.hf, out+mp.out, mp.perm, mp.want...); err != nil {
				return err
			}
		}
		// Qwen2 always has q/k/v biases; Llama only with attention_bias.
		for _, b := range []struct {
			proj string
			n    int
			perm int
		}{{"q_proj", nh * headDim, qPerm}, {"k_proj", nKV * headDim, kPerm}, {"v_proj", nKV * headDim, 0}} {
			name := hf + "self_attn." + b.proj + ".bias"
			if !p.ckpt.Has(name) {
				if p.arch == "qwen2" {
					return fmt.Errorf("convert: %s: qwen2 checkpoint lacks %q", p.src, name)
				}
				continue
			}
			outName := out + map[string]string{"q_proj": "attn_q", "k_proj": "attn_k", "v_proj": "attn_v"}[b.proj] + ".bias"
			if err := direct(name, outName, b.perm, b.n); err != nil {
				return err
			}
		}
	}
	return p.checkAllUsed(used, L)
}

// permuted reorders a vector (a permuted bias).
func permuted(src rowsFunc, order []int) rowsFunc {
	return func(yield func([]float32) error) error {
		return src(func(v []float32) error {
			if len(v) != len(order) {
				return fmt.Errorf("convert: bias of %d values, permutation of %d", len(v), len(order))
			}
			out := make([]float32, len(v))
			for i, s := range order {
				out[i] = v[s]
			}
			return yield(out)
		})
	}
}

// llama3RopeFactors computes the rope_freqs tensor llama.cpp's converter
// writes for Llama 3.1 RoPE scaling: per frequency pair, the divisor 1,
// factor, or 1/((1-s)/factor + s). It is computed in float64 and rounded to
// float32 once, which reproduces the published fixture bit for bit
// (convert_hf_to_gguf.py's float32 torch arithmetic can land one ulp away).
func llama3RopeFactors(c *hfConfig, dim int) ([]float32, error) {
	rs := c.RopeScaling
	get := func(p *float64, def float64) float64 {
		if p == nil {
			return def
		}
		return *p
	}
	base := get(c.RopeTheta, 500000)
	factor := get(rs.Factor, 8)
	low := get(rs.LowFreqFactor, 1)
	high := get(rs.HighFreqFactor, 4)
	orig := float64(intOr(rs.OriginalMaxPositionEmbeddings, 8192))
	if high == low {
		return nil, fmt.Errorf("convert: llama3 rope scaling with low_freq_factor == high_freq_factor")
	}
	lowWavelen, highWavelen := orig/low, orig/high
	out := make([]float32, dim/2)
	for i := range out {
		freq := 1 / math.Pow(base, float64(2*i)/float64(dim))
		wavelen := 2 * math.Pi / freq
		switch {
		case wavelen < highWavelen:
			out[i] = 1
		case wavelen > lowWavelen:
			out[i] = float32(factor)
		default:
			smooth := (orig/wavelen - low) / (high - low)
			out[i] = float32(1 / ((1-smooth)/factor + smooth))
		}
	}
	return out, nil
}
