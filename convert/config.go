package convert

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// hfConfig holds the config.json keys the converter reads. Optional keys are
// pointers so that "absent" and "zero" stay distinct, as they do for
// convert_hf_to_gguf.py.
type hfConfig struct {
	Architectures         []string     `json:"architectures"`
	ModelType             string       `json:"model_type"`
	VocabSize             int          `json:"vocab_size"`
	HiddenSize            int          `json:"hidden_size"`
	IntermediateSize      *int         `json:"intermediate_size"`
	NumHiddenLayers       int          `json:"num_hidden_layers"`
	NumAttentionHeads     int          `json:"num_attention_heads"`
	NumKeyValueHeads      *int         `json:"num_key_value_heads"`
	HeadDim               *int         `json:"head_dim"`
	MaxPositionEmbeddings *int         `json:"max_position_embeddings"`
	RMSNormEps            *float64     `json:"rms_norm_eps"`
	RopeTheta             *float64     `json:"rope_theta"`
	RopeScaling           *ropeScaling `json:"rope_scaling"`
	TieWordEmbeddings     bool         `json:"tie_word_embeddings"`

	// DeepSeek V2/V3.
	QLoraRank           *int     `json:"q_lora_rank"`
	KVLoraRank          *int     `json:"kv_lora_rank"`
	QKNopeHeadDim       int      `json:"qk_nope_head_dim"`
	QKRopeHeadDim       int      `json:"qk_rope_head_dim"`
	VHeadDim            int      `json:"v_head_dim"`
	MoeIntermediateSize *int     `json:"moe_intermediate_size"`
	NRoutedExperts      *int     `json:"n_routed_experts"`
	NSharedExperts      *int     `json:"n_shared_experts"`
	NumExpertsPerTok    *int     `json:"num_experts_per_tok"`
	NGroup              *int     `json:"n_group"`
	TopkGroup           *int     `json:"topk_group"`
	ScoringFunc         *string  `json:"scoring_func"`
	RoutedScalingFactor *float64 `json:"routed_scaling_factor"`
	NormTopkProb        *bool    `json:"norm_topk_prob"`
	FirstKDenseReplace  *int     `json:"first_k_dense_replace"`

	// Special token ids (an int, or for some models a list; only ints are used).
	BosTokenID json.RawMessage `json:"bos_token_id"`
	EosTokenID json.RawMessage `json:"eos_token_id"`
	PadTokenID json.RawMessage `json:"pad_token_id"`
	UnkTokenID json.RawMessage `json:"unk_token_id"`
	SepTokenID json.RawMessage `json:"sep_token_id"`
}

// ropeScaling is config.json's rope_scaling (YaRN for DeepSeek, llama3 for
// Llama 3.1).
type ropeScaling struct {
	Type                          string   `json:"type"`
	RopeType                      string   `json:"rope_type"`
	Factor                        *float64 `json:"factor"`
	OriginalMaxPositionEmbeddings *int     `json:"original_max_position_embeddings"`
	BetaFast                      *float64 `json:"beta_fast"`
	BetaSlow                      *float64 `json:"beta_slow"`
	Mscale                        *float64 `json:"mscale"`
	MscaleAllDim                  *float64 `json:"mscale_all_dim"`
	ExtrapolationFactor           *float64 `json:"extrapolation_factor"`
	AttentionFactor               *float64 `json:"attention_factor"`
	LowFreqFactor                 *float64 `json:"low_freq_factor"`
	HighFreqFactor                *float64 `json:"high_freq_factor"`
}

// kind returns rope_type, falling back to the older "type" key.
func (r *ropeScaling) kind() string {
	if r == nil {
		return ""
	}
	if r.RopeType != "" {
		return r.RopeType
	}
	return r.Type
}

func readConfig(dir string) (*hfConfig, error) {
	path := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	var c hfConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("convert: %s: %w", path, err)
	}
	if len(c.Architectures) == 0 {
		return nil, fmt.Errorf("convert: %s: no architectures", path)
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"vocab_size", c.VocabSize}, {"hidden_size", c.HiddenSize},
		{"num_hidden_layers", c.NumHiddenLayers}, {"num_attention_heads", c.NumAttentionHeads},
	} {
		if f.v <= 0 {
			return nil, fmt.Errorf("convert: %s: %s must be positive, got %d", path, f.name, f.v)
		}
	}
	return &c, nil
}

// tokenID returns an integer token id from config.json, if there is one.
func tokenID(raw json.RawMessage) (uint32, bool) {
	var id int64
	if len(raw) == 0 || json.Unmarshal(raw, &id) != nil || id < 0 || id > 1<<32-1 {
		return 0, false
	}
	return uint32(id), true
}

func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func headCountKV(c *hfConfig) int { return intOr(c.NumKeyValueHeads, c.NumAttentionHeads) }
