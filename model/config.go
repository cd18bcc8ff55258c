// Package model holds the architectures seekd runs (DeepSeek V2/V3 with MLA
// and MoE, and the Qwen2 and Llama decoders of the R1-Distill models): their
// configurations and their forward passes, written top to bottom over the
// kernels of package tensor.
package model

import (
	"fmt"
	"math"
)

// Arch names a supported architecture, as Hugging Face's model_type does.
type Arch string

// Supported architectures.
const (
	DeepSeekV2 Arch = "deepseek_v2"
	DeepSeekV3 Arch = "deepseek_v3"
	Qwen2      Arch = "qwen2"
	Llama      Arch = "llama"
)

// MLA reports whether the architecture uses Multi-head Latent Attention.
func (a Arch) MLA() bool { return a == DeepSeekV2 || a == DeepSeekV3 }

// Config is an architecture's hyper-parameters, read from a Hugging Face
// config.json or from GGUF metadata. Field comments give the HF key.
type Config struct {
	Arch         Arch
	Vocab        int     // vocab_size
	Hidden       int     // hidden_size (D)
	Intermediate int     // intermediate_size (dense MLP)
	Layers       int     // num_hidden_layers
	Heads        int     // num_attention_heads (H)
	KVHeads      int     // num_key_value_heads
	HeadDim      int     // head_dim (Qwen2/Llama; hidden/heads by default)
	RMSEps       float32 // rms_norm_eps
	RopeTheta    float64 // rope_theta
	Rope         RopeScaling
	MaxPos       int  // max_position_embeddings
	TieEmbed     bool // tie_word_embeddings
	QKVBias      bool // q/k/v projections carry biases (Qwen2)
	BOS          int  // bos_token_id (-1 if none)
	EOS          []int

	// MLA (DeepSeek).
	QLoraRank  int // q_lora_rank (0: direct q_proj)
	KVLoraRank int // kv_lora_rank (C)
	QKNope     int // qk_nope_head_dim (dn)
	QKRope     int // qk_rope_head_dim (dr)
	VHead      int // v_head_dim (dv)

	// MoE (DeepSeek).
	Experts         int     // n_routed_experts (0: dense model)
	ExpertsPerTok   int     // num_experts_per_tok
	SharedExperts   int     // n_shared_experts
	MoEIntermediate int     // moe_intermediate_size
	FirstDense      int     // first_k_dense_replace
	MoELayerFreq    int     // moe_layer_freq
	Groups          int     // n_group
	TopKGroups      int     // topk_group
	Scoring         string  // scoring_func: "softmax" or "sigmoid"
	TopKMethod      string  // topk_method: "greedy", "group_limited_greedy", "noaux_tc"
	NormTopK        bool    // norm_topk_prob
	RoutedScale     float32 // routed_scaling_factor
	ScoreBias       bool    // the router has e_score_correction_bias (V3)
	NextN           int     // num_nextn_predict_layers (MTP layers after the decoder)
}

// RopeScaling is the rope_scaling object of a config.
type RopeScaling struct {
	Type          string  // "", "yarn", "llama3", "linear"
	Factor        float64 // factor
	OrigMaxPos    int     // original_max_position_embeddings
	BetaFast      float64 // beta_fast (YaRN)
	BetaSlow      float64 // beta_slow (YaRN)
	MScale        float64 // mscale (YaRN)
	MScaleAllDim  float64 // mscale_all_dim (YaRN)
	LowFreqFactor float64 // low_freq_factor (llama3)
	HighFreqFac   float64 // high_freq_factor (llama3)
}

// IsMoELayer reports whether decoder layer l uses the MoE feed-forward.
func (c *Config) IsMoELayer(l int) bool {
	if c.Experts == 0 || l < c.FirstDense {
		return false
	}
	freq := c.MoELayerFreq
	if freq <= 0 {
		freq = 1
	}
	return l%freq == 0
}

// QHeadDim returns the per-head query/key width: nope+rope for MLA, else HeadDim.
func (c *Config) QHeadDim() int {
	if c.Arch.MLA() {
		return c.QKNope + c.QKRope
	}
	return c.HeadDim
}

// yarnMScale is DeepSeek's get_mscale: 0.1·m·ln(s)+1 for s > 1.
func yarnMScale(s, m float64) float64 {
	if s <= 1 {
		return 1
	}
	return 0.1*m*math.Log(s) + 1
}

// yarnActive reports whether YaRN changes the frequencies and the softmax
// scale. DeepSeek's model.py applies it only when the context is longer
// than the original one (every released config is).
func (c *Config) yarnActive() bool {
	return c.Rope.Type == "yarn" && c.Rope.Factor > 1 && c.MaxPos > c.Rope.OrigMaxPos
}

// SoftmaxScale returns the attention score scale: dq^-0.5, times mscale² of
// mscale_all_dim under YaRN (DeepSeek).
func (c *Config) SoftmaxScale() float32 {
	s := 1 / math.Sqrt(float64(c.QHeadDim()))
	if c.yarnActive() {
		m := yarnMScale(c.Rope.Factor, c.Rope.MScaleAllDim)
		s *= m * m
	}
	return float32(s)
}

// KVWidth returns the number of float32 values cached per token and layer:
// the latent plus the rotated key for MLA, K and V of every KV head otherwise.
func (c *Config) KVWidth() int {
	if c.Arch.MLA() {
		return c.KVLoraRank + c.QKRope
	}
	return 2 * c.KVHeads * c.HeadDim
}

// Validate checks that the hyper-parameters are consistent and usable.
func (c *Config) Validate() error {
	pos := func(name string, v int) error {
		if v <= 0 {
			return fmt.Errorf("%s must be positive, got %d", name, v)
		}
		return nil
	}
	for _, f := range []struct {
		n string
		v int
	}{{"vocab_size", c.Vocab}, {"hidden_size", c.Hidden}, {"num_hidden_layers", c.Layers}, {"num_attention_heads", c.Heads}} {
		if err := pos(f.n, f.v); err != nil {
			return err
		}
	}
	if c.Arch.MLA() {
		for _, f := range []struct {
			n string
			v int
		}{{"kv_lora_rank", c.KVLoraRank}, {"qk_nope_head_dim", c.QKNope}, {"qk_rope_head_dim", c.QKRope}, {"v_head_dim", c.VHead}} {
			if err := pos(f.n, f.v); err != nil {
				return err
			}
		}
		if c.QKRope%2 != 0 {
			return fmt.Errorf("qk_rope_head_dim must be even, got %d", c.QKRope)
		}
		if c.Experts > 0 {
			if c.ExpertsPerTok <= 0 || c.ExpertsPerTok > c.Experts {
				return fmt.Errorf("num_experts_per_tok %d must be in 1..n_routed_experts (%d)", c.ExpertsPerTok, c.Experts)
			}
			if c.Groups <= 0 || c.Experts%c.Groups != 0 {
				return fmt.Errorf("n_routed_experts %d must be a multiple of n_group %d", c.Experts, c.Groups)
			}
			if c.TopKGroups <= 0 || c.TopKGroups > c.Groups {
				return fmt.Errorf("topk_group %d must be in 1..n_group (%d)", c.TopKGroups, c.Groups)
			}
			if c.TopKGroups*(c.Experts/c.Groups) < c.ExpertsPerTok {
				return fmt.Errorf("topk_group %d groups of %d experts cannot supply %d experts", c.TopKGroups, c.Experts/c.Groups, c.ExpertsPerTok)
			}
			if c.Scoring != "softmax" && c.Scoring != "sigmoid" {
				return fmt.Errorf("unsupported scoring_func %q", c.Scoring)
			}
			if err := pos("moe_intermediate_size", c.MoEIntermediate); err != nil {
				return err
			}
		}
	} else {
		if err := pos("num_key_value_heads", c.KVHeads); err != nil {
			return err
		}
		if c.Heads%c.KVHeads != 0 {
			return fmt.Errorf("num_attention_heads %d is not a multiple of num_key_value_heads %d", c.Heads, c.KVHeads)
		}
		if c.HeadDim <= 0 || c.HeadDim%2 != 0 {
			return fmt.Errorf("head_dim must be positive and even, got %d", c.HeadDim)
		}
	}
	if c.Rope.Type == "yarn" || c.Rope.Type == "llama3" {
		if c.Rope.Factor <= 0 || c.Rope.OrigMaxPos <= 0 {
			return fmt.Errorf("rope_scaling %s needs a positive factor and original_max_position_embeddings", c.Rope.Type)
		}
	}
	if c.RopeTheta <= 0 {
		return fmt.Errorf("rope_theta must be positive, got %v", c.RopeTheta)
	}
	return nil
}

func sqrt64(x float64) float64 { return math.Sqrt(x) }
