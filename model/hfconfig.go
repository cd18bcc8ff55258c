package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// jsonFields reads typed values out of a JSON object and remembers the first
// error, so a config parser reads as a list of keys.
type jsonFields struct {
	src string
	m   map[string]json.RawMessage
	err error
}

func (f *jsonFields) fail(key, want string, raw json.RawMessage) {
	if f.err == nil {
		f.err = fmt.Errorf("%s: key %q: want %s, got %s", f.src, key, want, truncate(string(raw), 40))
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

func (f *jsonFields) raw(key string) (json.RawMessage, bool) {
	r, ok := f.m[key]
	r = bytes.TrimSpace(r)
	if !ok || len(r) == 0 || bytes.Equal(r, []byte("null")) {
		return nil, false
	}
	return r, true
}

// Int returns an integer key (def when absent or null). Integral floats
// such as 4.0 are accepted.
func (f *jsonFields) Int(key string, def int) int {
	r, ok := f.raw(key)
	if !ok {
		return def
	}
	var n json.Number
	if r[0] == '"' || json.Unmarshal(r, &n) != nil {
		f.fail(key, "an integer", r)
		return def
	}
	if v, err := n.Int64(); err == nil {
		return int(v)
	}
	if v, err := n.Float64(); err == nil && v == float64(int64(v)) {
		return int(v)
	}
	f.fail(key, "an integer", r)
	return def
}

// Float returns a number key.
func (f *jsonFields) Float(key string, def float64) float64 {
	r, ok := f.raw(key)
	if !ok {
		return def
	}
	var v float64
	if err := json.Unmarshal(r, &v); err != nil {
		f.fail(key, "a number", r)
		return def
	}
	return v
}

// Bool returns a boolean key.
func (f *jsonFields) Bool(key string, def bool) bool {
	r, ok := f.raw(key)
	if !ok {
		return def
	}
	var v bool
	if err := json.Unmarshal(r, &v); err != nil {
		f.fail(key, "true or false", r)
		return def
	}
	return v
}

// String returns a string key.
func (f *jsonFields) String(key, def string) string {
	r, ok := f.raw(key)
	if !ok {
		return def
	}
	var v string
	if err := json.Unmarshal(r, &v); err != nil {
		f.fail(key, "a string", r)
		return def
	}
	return v
}

// Ints returns a key that holds an integer or a list of integers.
func (f *jsonFields) Ints(key string) []int {
	r, ok := f.raw(key)
	if !ok {
		return nil
	}
	var one int
	if err := json.Unmarshal(r, &one); err == nil {
		return []int{one}
	}
	var many []int
	if err := json.Unmarshal(r, &many); err != nil {
		f.fail(key, "an integer or a list of integers", r)
		return nil
	}
	return many
}

// Object returns a nested object key (nil when absent or null).
func (f *jsonFields) Object(key string) *jsonFields {
	r, ok := f.raw(key)
	if !ok {
		return nil
	}
	sub := &jsonFields{src: f.src + ": " + key}
	if err := json.Unmarshal(r, &sub.m); err != nil {
		f.fail(key, "an object", r)
		return nil
	}
	return sub
}

// ReadHFConfig reads and validates a Hugging Face config.json.
func ReadHFConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	return ParseHFConfig(data, filepath.Base(path))
}

// ParseHFConfig parses a Hugging Face config.json (src names it in errors).
func ParseHFConfig(data []byte, src string) (*Config, error) {
	f := &jsonFields{src: src}
	if err := json.Unmarshal(data, &f.m); err != nil {
		return nil, fmt.Errorf("model: %s: bad JSON: %w", src, err)
	}
	if f.m == nil {
		return nil, fmt.Errorf("model: %s: not a JSON object", src)
	}
	mt := f.String("model_type", "")
	if f.err != nil {
		return nil, fmt.Errorf("model: %w", f.err)
	}
	c := &Config{Arch: Arch(mt)}
	switch c.Arch {
	case DeepSeekV2, DeepSeekV3, Qwen2, Llama:
	case "":
		return nil, fmt.Errorf("model: %s: no model_type", src)
	default:
		return nil, fmt.Errorf("model: %s: unsupported model_type %q (seekd runs deepseek_v2, deepseek_v3, qwen2 and llama)", src, mt)
	}
	c.Vocab = f.Int("vocab_size", 0)
	c.Hidden = f.Int("hidden_size", 0)
	c.Intermediate = f.Int("intermediate_size", 0)
	c.Layers = f.Int("num_hidden_layers", 0)
	c.Heads = f.Int("num_attention_heads", 0)
	c.KVHeads = f.Int("num_key_value_heads", c.Heads)
	c.RMSEps = float32(f.Float("rms_norm_eps", 1e-6))
	c.RopeTheta = f.Float("rope_theta", 10000)
	c.MaxPos = f.Int("max_position_embeddings", 4096)
	c.TieEmbed = f.Bool("tie_word_embeddings", false)
	c.BOS = f.Int("bos_token_id", -1)
	c.EOS = f.Ints("eos_token_id")
	if c.Heads > 0 {
		c.HeadDim = f.Int("head_dim", c.Hidden/c.Heads)
	}
	if rs := f.Object("rope_scaling"); rs != nil {
		c.Rope = RopeScaling{
			Type:          rs.String("type", rs.String("rope_type", "")),
			Factor:        rs.Float("factor", 1),
			OrigMaxPos:    rs.Int("original_max_position_embeddings", 0),
			BetaFast:      rs.Float("beta_fast", 32),
			BetaSlow:      rs.Float("beta_slow", 1),
			MScale:        rs.Float("mscale", 1),
			MScaleAllDim:  rs.Float("mscale_all_dim", 0),
			LowFreqFactor: rs.Float("low_freq_factor", 1),
			HighFreqFac:   rs.Float("high_freq_factor", 4),
		}
		if rs.err != nil && f.err == nil {
			f.err = rs.err
		}
		switch c.Rope.Type {
		case "yarn", "llama3", "default", "":
		default:
			return nil, fmt.Errorf("model: %s: unsupported rope_scaling type %q", src, c.Rope.Type)
		}
		if c.Rope.Type == "default" {
			c.Rope.Type = ""
		}
	}
	switch c.Arch {
	case DeepSeekV2, DeepSeekV3:
		c.QLoraRank = f.Int("q_lora_rank", 0)
		c.KVLoraRank = f.Int("kv_lora_rank", 0)
		c.QKNope = f.Int("qk_nope_head_dim", 0)
		c.QKRope = f.Int("qk_rope_head_dim", 0)
		c.VHead = f.Int("v_head_dim", 0)
		c.Experts = f.Int("n_routed_experts", 0)
		c.ExpertsPerTok = f.Int("num_experts_per_tok", 0)
		c.SharedExperts = f.Int("n_shared_experts", 0)
		c.MoEIntermediate = f.Int("moe_intermediate_size", 0)
		c.FirstDense = f.Int("first_k_dense_replace", 0)
		c.MoELayerFreq = f.Int("moe_layer_freq", 1)
		c.Groups = f.Int("n_group", 1)
		c.TopKGroups = f.Int("topk_group", 1)
		c.Scoring = f.String("scoring_func", "softmax")
		c.TopKMethod = f.String("topk_method", "greedy")
		c.NormTopK = f.Bool("norm_topk_prob", false)
		c.RoutedScale = float32(f.Float("routed_scaling_factor", 1))
		c.NextN = f.Int("num_nextn_predict_layers", 0)
		c.ScoreBias = c.TopKMethod == "noaux_tc"
		switch c.TopKMethod {
		case "greedy", "group_limited_greedy", "noaux_tc":
		default:
			if f.err == nil {
				return nil, fmt.Errorf("model: %s: unsupported topk_method %q", src, c.TopKMethod)
			}
		}
	case Qwen2:
		c.QKVBias = true
	case Llama:
		c.QKVBias = f.Bool("attention_bias", false)
		if f.Bool("mlp_bias", false) {
			return nil, fmt.Errorf("model: %s: mlp_bias is not supported", src)
		}
	}
	if f.err != nil {
		return nil, fmt.Errorf("model: %w", f.err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("model: %s: %w", src, err)
	}
	return c, nil
}
