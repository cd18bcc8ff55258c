package model

import (
	"fmt"

	"github.com/seekd/seekd/tensor"
	"github.com/seekd/seekd/weights"
)

// loadDeepSeekHF maps a Hugging Face DeepSeek V2/V3 checkpoint onto the
// model. The MTP layers (model.layers.{num_hidden_layers}...) are not read.
func loadDeepSeekHF(c *Config, ck *weights.Checkpoint, pool *tensor.Pool) (*DeepSeek, error) {
	D, H := c.Hidden, c.Heads
	dn, dr, dv, C := c.QKNope, c.QKRope, c.VHead, c.KVLoraRank
	dq := dn + dr
	h, closer := weightsLoader(hfSource{ck}, fileBytes(ck.Dir()), ck)
	m := &DeepSeek{
		cfg:    c,
		pool:   pool,
		closer: closer,
		embed:  h.embedding("model.embed_tokens.weight", c.Vocab, D, c.TieEmbed),
		norm:   h.floats("model.norm.weight", D),
		rope:   newRope(c, dr, false),
		scale:  c.SoftmaxScale(),
	}
	if c.TieEmbed {
		m.output = m.embed.Matrix
	} else {
		m.output = h.matrix("lm_head.weight", c.Vocab, D)
	}
	m.layers = make([]mlaLayer, c.Layers)
	for l := range m.layers {
		p := fmt.Sprintf("model.layers.%d.", l)
		L := &m.layers[l]
		L.attnNorm = h.floats(p+"input_layernorm.weight", D)
		if c.QLoraRank > 0 {
			L.qA = h.matrix(p+"self_attn.q_a_proj.weight", c.QLoraRank, D)
			L.qANorm = h.floats(p+"self_attn.q_a_layernorm.weight", c.QLoraRank)
			L.qB = h.matrix(p+"self_attn.q_b_proj.weight", H*dq, c.QLoraRank)
		} else {
			L.qB = h.matrix(p+"self_attn.q_proj.weight", H*dq, D)
		}
		L.kvA = h.matrix(p+"self_attn.kv_a_proj_with_mqa.weight", C+dr, D)
		L.kvANorm = h.floats(p+"self_attn.kv_a_layernorm.weight", C)
		kvB := h.matrix(p+"self_attn.kv_b_proj.weight", H*(dn+dv), C)
		L.o = h.matrix(p+"self_attn.o_proj.weight", D, H*dv)
		L.ffnNorm = h.floats(p+"post_attention_layernorm.weight", D)
		if kvB != nil {
			L.kB, L.vB = splitKVB(kvB, H, dn, dv, C)
		}
		if c.IsMoELayer(l) {
			f := &moe{router: h.matrix(p+"mlp.gate.weight", c.Experts, D)}
			if c.ScoreBias {
				f.bias = h.floats(p+"mlp.gate.e_score_correction_bias", c.Experts)
			}
			f.experts = make([]mlp, c.Experts)
			for e := range f.experts {
				f.experts[e] = *h.hfMLP(fmt.Sprintf("%smlp.experts.%d", p, e), c.MoEIntermediate, D)
			}
			if c.SharedExperts > 0 {
				f.shared = h.hfMLP(p+"mlp.shared_experts", c.SharedExperts*c.MoEIntermediate, D)
			}
			L.moe = f
		} else {
			L.mlp = h.hfMLP(p+"mlp", c.Intermediate, D)
		}
		if h.err != nil {
			return nil, h.err
		}
	}
	if h.err != nil {
		return nil, h.err
	}
	return m, nil
}

// splitKVB splits kv_b_proj {H·(dn+dv), C} into the per-head absorbed key
// matrices W_UK_hᵀ {C, dn} (a transposed float32 copy: dn·C values per head)
// and views of the value matrices W_UV_h {dv, C}.
func splitKVB(kvB *tensor.Matrix, H, dn, dv, C int) (kB, vB []*tensor.Matrix) {
	kB = make([]*tensor.Matrix, H)
	vB = make([]*tensor.Matrix, H)
	row := make([]float32, C)
	for h := 0; h < H; h++ {
		base := h * (dn + dv)
		kt := make([]float32, C*dn) // {C, dn}
		for d := 0; d < dn; d++ {
			kvB.Row(base+d, row)
			for c := 0; c < C; c++ {
				kt[c*dn+d] = row[c]
			}
		}
		kB[h] = f32Matrix(fmt.Sprintf("%s[k_b %d]", kvB.Name, h), C, dn, kt)
		vB[h] = kvB.Slice(base+dn, base+dn+dv)
	}
	return kB, vB
}
