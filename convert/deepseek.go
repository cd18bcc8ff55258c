package convert

import (
	"fmt"
	"strings"

	"github.com/seekd/seekd/weights"
)

// deepseek plans a deepseek2 file (DeepSeek V2, V2-Lite, V3, R1) as
// conversion/deepseek.py's DeepseekV2Model writes it.
func (p *plan) deepseek(m *metaSet) error {
	c := p.cfg
	nh, L, H := c.NumAttentionHeads, c.NumHiddenLayers, c.HiddenSize
	kvl := intOr(c.KVLoraRank, 512)
	nope, rope, vd := c.QKNopeHeadDim, c.QKRopeHeadDim, c.VHeadDim
	if nope <= 0 || rope <= 0 || vd <= 0 {
		return fmt.Errorf("convert: %s: qk_nope_head_dim, qk_rope_head_dim and v_head_dim must be positive", p.src)
	}
	if c.RMSNormEps == nil {
		eps := 1e-6
		c.RMSNormEps = &eps
	}
	// MLA is stored as MQA over the latent: one KV head (legacy: n_heads).
	nKV := 1
	if p.opt.LegacyMLA {
		nKV = nh
	}
	p.baseParams(m, nKV)

	moe := c.NRoutedExperts != nil && *c.NRoutedExperts > 0
	firstDense := intOr(c.FirstKDenseReplace, 0)
	if c.FirstKDenseReplace == nil && !moe {
		firstDense = L
	}
	m.setArch("leading_dense_block_count", uint32(firstDense))
	m.setArch("vocab_size", uint32(c.VocabSize))
	// convert_hf_to_gguf.py omits q_lora_rank when it is null (V2-Lite), and
	// llama.cpp then refuses most such files; like the published fixtures,
	// write 0, which llama.cpp and seekd read as "no q compression".
	qr := intOr(c.QLoraRank, 0)
	m.setArch("attention.q_lora_rank", uint32(qr))
	m.setArch("attention.kv_lora_rank", uint32(kvl))
	if p.opt.LegacyMLA {
		m.setArch("attention.key_length", uint32(nope+rope))
		m.setArch("attention.value_length", uint32(vd))
	} else {
		m.setArch("attention.key_length", uint32(kvl+rope))
		m.setArch("attention.value_length", uint32(kvl))
		m.setArch("attention.key_length_mla", uint32(nope+rope))
		m.setArch("attention.value_length_mla", uint32(vd))
	}
	moeFF := c.MoeIntermediateSize
	if moeFF == nil {
		moeFF = c.IntermediateSize
	}
	if moeFF == nil {
		return fmt.Errorf("convert: %s: config.json has neither moe_intermediate_size nor intermediate_size", p.src)
	}
	m.setArch("expert_feed_forward_length", uint32(*moeFF))
	if c.NRoutedExperts != nil {
		m.setArch("expert_count", uint32(*c.NRoutedExperts))
	}
	nShared := intOr(c.NSharedExperts, 0)
	m.setArch("expert_shared_count", uint32(nShared))
	if c.RoutedScalingFactor != nil {
		m.setArch("expert_weights_scale", float32(*c.RoutedScalingFactor))
	}
	if c.NormTopkProb != nil && *c.NormTopkProb {
		m.setArch("expert_weights_norm", true)
	}
	m.setArch("rope.dimension_count", uint32(rope))
	if rs := c.RopeScaling; rs != nil && rs.MscaleAllDim != nil {
		// llama.cpp's deepseek2 loader divides this by 0.1 again.
		m.setArch("rope.scaling.yarn_log_multiplier", float32(0.1**rs.MscaleAllDim))
	}
	if m.err != nil {
		return m.err
	}

	used := map[string]bool{}
	add := func(name string, shape []int, rows rowsFunc) {
		p.tensors = append(p.tensors, outTensor{name: name, shape: shape, rows: rows})
	}
	// direct maps an HF tensor as is, checking its shape.
	direct := func(hf, out string, want ...int) error {
		shape, err := p.shapeOf(hf, want...)
		if err != nil {
			return err
		}
		used[hf] = true
		if len(shape) == 1 {
			add(out, shape, p.vectorOf(hf))
		} else {
			add(out, shape, p.rowsOf(hf, nil))
		}
		return nil
	}
	V := c.VocabSize
	if err := direct("model.embed_tokens.weight", "token_embd.weight", V, H); err != nil {
		return err
	}
	if err := direct("model.norm.weight", "output_norm.weight", H); err != nil {
		return err
	}
	if p.ckpt.Has("lm_head.weight") || !c.TieWordEmbeddings {
		if err := direct("lm_head.weight", "output.weight", V, H); err != nil {
			return err
		}
	}
	for l := 0; l < L; l++ {
		hf := fmt.Sprintf("model.layers.%d.", l)
		out := fmt.Sprintf("blk.%d.", l)
		maps := []hfMap{
			{"input_layernorm.weight", "attn_norm.weight", []int{H}},
			{"post_attention_layernorm.weight", "ffn_norm.weight", []int{H}},
			{"self_attn.kv_a_proj_with_mqa.weight", "attn_kv_a_mqa.weight", []int{kvl + rope, H}},
			{"self_attn.kv_a_layernorm.weight", "attn_kv_a_norm.weight", []int{kvl}},
			{"self_attn.o_proj.weight", "attn_output.weight", []int{H, nh * vd}},
		}
		if qr > 0 {
			maps = append(maps,
				hfMap{"self_attn.q_a_proj.weight", "attn_q_a.weight", []int{qr, H}},
				hfMap{"self_attn.q_a_layernorm.weight", "attn_q_a_norm.weight", []int{qr}},
				hfMap{"self_attn.q_b_proj.weight", "attn_q_b.weight", []int{nh * (nope + rope), qr}})
		} else {
			maps = append(maps, hfMap{"self_attn.q_proj.weight", "attn_q.weight", []int{nh * (nope + rope), H}})
		}
		for _, mp := range maps {
			if err := direct(hf+mp.hf, out+mp.out, mp.want...); err != nil {
				return err
			}
		}
		if err := p.splitKVB(hf+"self_attn.kv_b_proj.weight", out, nh, nope, vd, kvl, used); err != nil {
			return err
		}
		isMoE := moe && l >= firstDense
		if !isMoE {
			ff := intOr(c.IntermediateSize, 0)
			for _, mp := range []hfMap{
				{"mlp.gate_proj.weight", "ffn_gate.weight", []int{ff, H}},
				{"mlp.up_proj.weight", "ffn_up.weight", []int{ff, H}},
				{"mlp.down_proj.weight", "ffn_down.weight", []int{H, ff}},
			} {
				if err := direct(hf+mp.hf, out+mp.out, mp.want...); err != nil {
					return err
				}
			}
			continue
		}
		E, mff := *c.NRoutedExperts, *moeFF
		if err := direct(hf+"mlp.gate.weight", out+"ffn_gate_inp.weight", E, H); err != nil {
			return err
		}
		if bias := hf + "mlp.gate.e_score_correction_bias"; p.ckpt.Has(bias) {
			if err := direct(bias, out+"exp_probs_b.bias", E); err != nil {
				return err
			}
		}
		for _, w := range []struct {
			proj, out  string
			rows, cols int
		}{{"gate_proj", "ffn_gate_exps.weight", mff, H}, {"up_proj", "ffn_up_exps.weight", mff, H}, {"down_proj", "ffn_down_exps.weight", H, mff}} {
			parts := make([]rowsFunc, E)
			for e := 0; e < E; e++ {
				name := fmt.Sprintf("%smlp.experts.%d.%s.weight", hf, e, w.proj)
				if _, err := p.shapeOf(name, w.rows, w.cols); err != nil {
					return err
				}
				used[name] = true
				parts[e] = p.rowsOf(name, nil)
			}
			add(out+w.out, []int{E, w.rows, w.cols}, concatRows(parts))
		}
		if nShared > 0 {
			sff := mff * nShared
			for _, mp := range []hfMap{
				{"mlp.shared_experts.gate_proj.weight", "ffn_gate_shexp.weight", []int{sff, H}},
				{"mlp.shared_experts.up_proj.weight", "ffn_up_shexp.weight", []int{sff, H}},
				{"mlp.shared_experts.down_proj.weight", "ffn_down_shexp.weight", []int{H, sff}},
			} {
				if err := direct(hf+mp.hf, out+mp.out, mp.want...); err != nil {
					return err
				}
			}
		}
	}
	return p.checkAllUsed(used, L)
}

// hfMap maps one HF tensor to one GGUF tensor of the expected shape.
type hfMap struct {
	hf, out string
	want    []int
}

// splitKVB maps kv_b_proj, viewed as [nh, nope+v, kv_lora]: split into
// attn_k_b (the first nope rows of each head, transposed per head: ne
// {nope, kv_lora, nh}) and attn_v_b (the last v rows: ne {kv_lora, v, nh}),
// or kept whole as the legacy attn_kv_b.
func (p *plan) splitKVB(name, out string, nh, nope, vd, kvl int, used map[string]bool) error {
	if _, err := p.shapeOf(name, nh*(nope+vd), kvl); err != nil {
		return err
	}
	used[name] = true
	if p.opt.LegacyMLA {
		p.tensors = append(p.tensors, outTensor{name: out + "attn_kv_b.weight", shape: []int{nh * (nope + vd), kvl}, rows: p.rowsOf(name, nil)})
		return nil
	}
	kParts := make([]rowsFunc, nh)
	vParts := make([]rowsFunc, nh)
	for h := 0; h < nh; h++ {
		r0 := h * (nope + vd)
		kParts[h] = p.blockRows(name, r0, nope, true)
		vParts[h] = p.blockRows(name, r0+nope, vd, false)
	}
	p.tensors = append(p.tensors,
		outTensor{name: out + "attn_k_b.weight", shape: []int{nh, kvl, nope}, rows: concatRows(kParts)},
		outTensor{name: out + "attn_v_b.weight", shape: []int{nh, vd, kvl}, rows: concatRows(vParts)})
	return nil
}

// checkAllUsed fails on checkpoint tensors the conversion would silently
// drop. FP8 scales, rotary caches and, for deepseek2, the MTP layers (index
// >= layers, which llama.cpp does not convert) are expected leftovers.
func (p *plan) checkAllUsed(used map[string]bool, layers int) error {
	for _, name := range p.ckpt.Names() {
		if used[name] || strings.HasSuffix(name, weights.ScaleSuffix) || strings.HasSuffix(name, "rotary_emb.inv_freq") {
			continue
		}
		var l int
		if _, err := fmt.Sscanf(name, "model.layers.%d.", &l); err == nil && l >= layers && p.arch == "deepseek2" {
			continue
		}
		return fmt.Errorf("convert: %s: tensor %q has no place in a %s GGUF file", p.src, name, p.arch)
	}
	return nil
}
