package model

import (
	"errors"
	"fmt"

	"github.com/seekd/seekd/tensor"
	"github.com/seekd/seekd/weights/gguf"
)

// ggufMeta reads architecture metadata with sticky errors.
type ggufMeta struct {
	f   *gguf.File
	err error
}

func (g *ggufMeta) uint(key string, def int, required bool) int {
	if g.err != nil {
		return def
	}
	v, err := g.f.Uint(key)
	if errors.Is(err, gguf.ErrKeyNotFound) && !required {
		return def
	}
	if err != nil {
		g.err = err
		return def
	}
	return int(v)
}

func (g *ggufMeta) float(key string, def float64) float64 {
	if g.err != nil {
		return def
	}
	v, err := g.f.FloatOr(key, def)
	if err != nil {
		g.err = err
	}
	return v
}

func (g *ggufMeta) str(key, def string) string {
	if g.err != nil {
		return def
	}
	v, err := g.f.StringOr(key, def)
	if err != nil {
		g.err = err
	}
	return v
}

// configFromGGUF maps llama.cpp's metadata (deepseek2, qwen2, llama) onto a
// Config.
func configFromGGUF(f *gguf.File) (*Config, error) {
	arch := f.Arch()
	g := &ggufMeta{f: f}
	k := func(s string) string { return arch + "." + s }
	c := &Config{}
	switch arch {
	case "deepseek2":
		c.Arch = DeepSeekV3 // the forward pass is the same for V2 and V3; routing follows the metadata
	case "qwen2":
		c.Arch = Qwen2
		c.QKVBias = true
	case "llama":
		c.Arch = Llama
	case "":
		return nil, fmt.Errorf("model: %s: no general.architecture", f.Path())
	default:
		return nil, fmt.Errorf("model: %s: unsupported architecture %q (seekd runs deepseek2, qwen2 and llama)", f.Path(), arch)
	}
	c.Layers = g.uint(k("block_count"), 0, true)
	c.Hidden = g.uint(k("embedding_length"), 0, true)
	c.Intermediate = g.uint(k("feed_forward_length"), 0, false)
	c.Heads = g.uint(k("attention.head_count"), 0, true)
	c.KVHeads = g.uint(k("attention.head_count_kv"), c.Heads, false)
	c.MaxPos = g.uint(k("context_length"), 4096, false)
	c.RMSEps = float32(g.float(k("attention.layer_norm_rms_epsilon"), 1e-6))
	c.RopeTheta = g.float(k("rope.freq_base"), 10000)
	c.BOS = g.uint("tokenizer.ggml.bos_token_id", -1, false)
	if eos := g.uint("tokenizer.ggml.eos_token_id", -1, false); eos >= 0 {
		c.EOS = []int{eos}
	}
	if ti, ok := f.TensorInfo("token_embd.weight"); ok && len(ti.Dims) == 2 {
		c.Vocab = int(ti.Dims[1])
	}
	c.Vocab = g.uint(k("vocab_size"), c.Vocab, false)
	if c.Heads > 0 {
		c.HeadDim = g.uint(k("attention.key_length"), c.Hidden/c.Heads, false)
	}
	if arch == "deepseek2" {
		c.QLoraRank = g.uint(k("attention.q_lora_rank"), 0, false)
		c.KVLoraRank = g.uint(k("attention.kv_lora_rank"), 0, true)
		c.QKRope = g.uint(k("rope.dimension_count"), 0, true)
		if f.Has(k("attention.key_length_mla")) {
			c.QKNope = g.uint(k("attention.key_length_mla"), 0, true) - c.QKRope
			c.VHead = g.uint(k("attention.value_length_mla"), 0, true)
		} else {
			c.QKNope = g.uint(k("attention.key_length"), 0, true) - c.QKRope
			c.VHead = g.uint(k("attention.value_length"), 0, true)
		}
		c.FirstDense = g.uint(k("leading_dense_block_count"), 0, false)
		c.Experts = g.uint(k("expert_count"), 0, false)
		c.ExpertsPerTok = g.uint(k("expert_used_count"), 0, false)
		c.SharedExperts = g.uint(k("expert_shared_count"), 0, false)
		c.MoEIntermediate = g.uint(k("expert_feed_forward_length"), 0, false)
		c.Groups = g.uint(k("expert_group_count"), 1, false)
		c.TopKGroups = g.uint(k("expert_group_used_count"), 1, false)
		c.MoELayerFreq = 1
		c.RoutedScale = float32(g.float(k("expert_weights_scale"), 1))
		if f.Has(k("expert_weights_norm")) {
			nb, err := f.Bool(k("expert_weights_norm"))
			if err != nil && g.err == nil {
				g.err = err
			}
			c.NormTopK = nb
		}
		switch gf := g.uint(k("expert_gating_func"), 1, false); gf {
		case 1:
			c.Scoring = "softmax"
		case 2:
			c.Scoring = "sigmoid"
		default:
			return nil, fmt.Errorf("model: %s: unsupported %s %d", f.Path(), k("expert_gating_func"), gf)
		}
		c.ScoreBias = f.HasTensor(fmt.Sprintf("blk.%d.exp_probs_b.bias", c.FirstDense))
		c.TopKMethod = "greedy"
		if c.ScoreBias {
			c.TopKMethod = "noaux_tc"
		}
		if st := g.str(k("rope.scaling.type"), ""); st == "yarn" {
			c.Rope = RopeScaling{
				Type:         "yarn",
				Factor:       g.float(k("rope.scaling.factor"), 1),
				OrigMaxPos:   g.uint(k("rope.scaling.original_context_length"), 0, false),
				BetaFast:     g.float(k("rope.scaling.yarn_beta_fast"), 32),
				BetaSlow:     g.float(k("rope.scaling.yarn_beta_slow"), 1),
				MScaleAllDim: g.float(k("rope.scaling.yarn_log_multiplier"), 0) / 0.1,
			}
			c.Rope.MScale = c.Rope.MScaleAllDim
		} else if st != "" && st != "none" {
			return nil, fmt.Errorf("model: %s: unsupported rope scaling %q", f.Path(), st)
		}
	} else if arch == "llama" {
		if d := g.uint(k("rope.dimension_count"), c.HeadDim, false); d != c.HeadDim {
			return nil, fmt.Errorf("model: %s: partial rotary dimension %d of head %d is not supported", f.Path(), d, c.HeadDim)
		}
	}
	if g.err != nil {
		return nil, fmt.Errorf("model: %w", g.err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("model: %s: %w", f.Path(), err)
	}
	return c, nil
}

// loadGGUF opens a GGUF model file.
func loadGGUF(path string, opt Options) (Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	c, err := configFromGGUF(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	var m Model
	if c.Arch.MLA() {
		m, err = loadDeepSeekGGUF(c, f, opt.Pool)
	} else {
		m, err = loadDenseGGUF(c, f, opt.Pool)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return m, nil
}

// loadDeepSeekGGUF maps llama.cpp's deepseek2 tensors onto the model: MLA
// with split attn_k_b {H, C, dn} / attn_v_b {H, dv, C} (or the legacy
// unsplit attn_kv_b), experts stacked per layer.
func loadDeepSeekGGUF(c *Config, f *gguf.File, pool *tensor.Pool) (*DeepSeek, error) {
	D, H := c.Hidden, c.Heads
	dn, dr, dv, C := c.QKNope, c.QKRope, c.VHead, c.KVLoraRank
	dq := dn + dr
	g, closer := weightsLoader(ggufSource{f}, fileBytes(f.Path()), f)
	m := &DeepSeek{
		cfg:    c,
		pool:   pool,
		closer: closer,
		embed:  g.embedding("token_embd.weight", c.Vocab, D, !f.HasTensor("output.weight")),
		norm:   g.floats("output_norm.weight", D),
		rope:   newRope(c, dr, false),
		scale:  c.SoftmaxScale(),
	}
	if f.HasTensor("output.weight") {
		m.output = g.matrix("output.weight", c.Vocab, D)
	} else {
		m.output = m.embed.Matrix
	}
	m.layers = make([]mlaLayer, c.Layers)
	for l := range m.layers {
		p := fmt.Sprintf("blk.%d.", l)
		L := &m.layers[l]
		L.attnNorm = g.floats(p+"attn_norm.weight", D)
		if c.QLoraRank > 0 {
			L.qA = g.matrix(p+"attn_q_a.weight", c.QLoraRank, D)
			L.qANorm = g.floats(p+"attn_q_a_norm.weight", c.QLoraRank)
			L.qB = g.matrix(p+"attn_q_b.weight", H*dq, c.QLoraRank)
		} else {
			L.qB = g.matrix(p+"attn_q.weight", H*dq, D)
		}
		L.kvA = g.matrix(p+"attn_kv_a_mqa.weight", C+dr, D)
		L.kvANorm = g.floats(p+"attn_kv_a_norm.weight", C)
		if f.HasTensor(p + "attn_kv_b.weight") {
			if kvB := g.matrix(p+"attn_kv_b.weight", H*(dn+dv), C); kvB != nil {
				L.kB, L.vB = splitKVB(kvB, H, dn, dv, C)
			}
		} else {
			kb := g.matrix(p+"attn_k_b.weight", H*C, dn)
			vb := g.matrix(p+"attn_v_b.weight", H*dv, C)
			if kb != nil && vb != nil {
				L.kB, L.vB = make([]*tensor.Matrix, H), make([]*tensor.Matrix, H)
				for h := 0; h < H; h++ {
					L.kB[h] = kb.Slice(h*C, (h+1)*C)
					L.vB[h] = vb.Slice(h*dv, (h+1)*dv)
				}
			}
		}
		L.o = g.matrix(p+"attn_output.weight", D, H*dv)
		L.ffnNorm = g.floats(p+"ffn_norm.weight", D)
		if c.IsMoELayer(l) {
			I := c.MoEIntermediate
			fm := &moe{router: g.matrix(p+"ffn_gate_inp.weight", c.Experts, D)}
			if c.ScoreBias {
				fm.bias = g.floats(p+"exp_probs_b.bias", c.Experts)
			}
			gate := g.matrix(p+"ffn_gate_exps.weight", c.Experts*I, D)
			up := g.matrix(p+"ffn_up_exps.weight", c.Experts*I, D)
			down := g.matrix(p+"ffn_down_exps.weight", c.Experts*D, I)
			if g.err == nil {
				fm.experts = make([]mlp, c.Experts)
				for e := range fm.experts {
					fm.experts[e] = mlp{
						gate: gate.Slice(e*I, (e+1)*I),
						up:   up.Slice(e*I, (e+1)*I),
						down: down.Slice(e*D, (e+1)*D),
					}
				}
			}
			if c.SharedExperts > 0 {
				fm.shared = g.ggufMLP(p+"ffn", "_shexp", c.SharedExperts*I, D)
			}
			L.moe = fm
		} else {
			L.mlp = g.ggufMLP(p+"ffn", "", c.Intermediate, D)
		}
		if g.err != nil {
			return nil, g.err
		}
	}
	return m, g.err
}

// loadDenseGGUF maps llama.cpp's qwen2 / llama tensors onto the model.
// llama.cpp stores Llama's q/k rows permuted for adjacent-pair RoPE and
// Llama 3.1's scaling as the rope_freqs divisors; both are used as stored.
func loadDenseGGUF(c *Config, f *gguf.File, pool *tensor.Pool) (*Dense, error) {
	D, H, G, hd := c.Hidden, c.Heads, c.KVHeads, c.HeadDim
	g, closer := weightsLoader(ggufSource{f}, fileBytes(f.Path()), f)
	m := &Dense{
		cfg:    c,
		pool:   pool,
		closer: closer,
		embed:  g.embedding("token_embd.weight", c.Vocab, D, !f.HasTensor("output.weight")),
		norm:   g.floats("output_norm.weight", D),
	}
	neox := c.Arch == Qwen2
	if f.HasTensor("rope_freqs.weight") {
		div := g.floats("rope_freqs.weight", hd/2)
		if div != nil {
			m.rope = newRopeFromDivisors(c.RopeTheta, hd, div, neox)
		}
	} else {
		m.rope = newRope(c, hd, neox)
	}
	if f.HasTensor("output.weight") {
		m.output = g.matrix("output.weight", c.Vocab, D)
	} else {
		m.output = m.embed.Matrix
	}
	m.layers = make([]denseLayer, c.Layers)
	for l := range m.layers {
		p := fmt.Sprintf("blk.%d.", l)
		L := &m.layers[l]
		L.attnNorm = g.floats(p+"attn_norm.weight", D)
		L.q = g.matrix(p+"attn_q.weight", H*hd, D)
		L.k = g.matrix(p+"attn_k.weight", G*hd, D)
		L.v = g.matrix(p+"attn_v.weight", G*hd, D)
		if f.HasTensor(p + "attn_q.bias") {
			L.qb = g.floats(p+"attn_q.bias", H*hd)
			L.kb = g.floats(p+"attn_k.bias", G*hd)
			L.vb = g.floats(p+"attn_v.bias", G*hd)
		}
		L.o = g.matrix(p+"attn_output.weight", D, H*hd)
		L.ffnNorm = g.floats(p+"ffn_norm.weight", D)
		if mm := g.ggufMLP(p+"ffn", "", c.Intermediate, D); g.err == nil {
			L.mlp = *mm
		}
		if g.err != nil {
			return nil, g.err
		}
	}
	return m, g.err
}
