// Command mkfp8 writes a random-weight DeepSeek checkpoint in DeepSeek's
// native FP8 format (F8_E4M3 weights with float32 128x128 block scales,
// BF16 embeddings, head, norms and router), as a Hugging Face folder of
// safetensors shards. Speed does not depend on weight values, so it gives
// real timings for `seekd bench` on shapes nobody publishes in FP8.
//
//	go run ./bench/mkfp8 -preset v2-lite-shape -out /tmp/models/v2-lite-shape-fp8
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/seekd/seekd/weights"
)

type preset struct {
	hidden, layers, dense, ff, heads    int
	kvLora, nope, rope, vHead           int
	experts, used, shared, moeFF, vocab int
}

var presets = map[string]preset{
	// DeepSeek-V2-Lite's dimensions with DeepSeek-V3's vocabulary, as
	// ../shared/bench/mkgguf.py's v2-lite-shape.
	"v2-lite-shape": {2048, 27, 1, 10944, 16, 512, 128, 64, 128, 64, 6, 2, 1408, 129280},
	"tiny-v2-shape": {256, 3, 1, 512, 4, 64, 32, 16, 32, 8, 2, 1, 128, 1024},
}

func main() {
	name := flag.String("preset", "v2-lite-shape", "v2-lite-shape or tiny-v2-shape")
	out := flag.String("out", "", "output folder")
	shardGB := flag.Float64("shard-gb", 4, "shard size in GB")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	p, ok := presets[*name]
	if !ok || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: mkfp8 -preset v2-lite-shape|tiny-v2-shape -out DIR")
		os.Exit(2)
	}
	if err := write(p, *out, int64(*shardGB*1e9), *seed); err != nil {
		fmt.Fprintln(os.Stderr, "mkfp8:", err)
		os.Exit(1)
	}
}

// gen fills tensors with random data.
type gen struct{ rng *rand.Rand }

// fp8 writes n random e4m3 codes with magnitudes in [0.5, 3.75] (exponent
// fields 6..8; never NaN).
func (g *gen) fp8(w io.Writer, n int64) error {
	buf := make([]byte, 1<<20)
	for n > 0 {
		k := min(int64(len(buf)), n)
		for i := range buf[:k] {
			r := g.rng.Uint32()
			buf[i] = byte(r&0x80) | byte(6+r>>8%3)<<3 | byte(r>>16&7)
		}
		if _, err := w.Write(buf[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// bf16 writes n normal draws with the given standard deviation.
func (g *gen) bf16(w io.Writer, n int64, std float64, ones bool) error {
	buf := make([]byte, 1<<20)
	for n > 0 {
		k := min(int64(len(buf)/2), n)
		for i := int64(0); i < k; i++ {
			v := float32(1)
			if !ones {
				v = float32(g.rng.NormFloat64() * std)
			}
			binary.LittleEndian.PutUint16(buf[2*i:], uint16(math.Float32bits(v)>>16))
		}
		if _, err := w.Write(buf[:2*k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

func f32s(w io.Writer, n int64, v float32) error {
	b := make([]byte, 4*n)
	for i := int64(0); i < n; i++ {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	_, err := w.Write(b)
	return err
}

func write(p preset, dir string, shardBytes int64, seed uint64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	g := &gen{rng: rand.New(rand.NewPCG(seed, 7))}
	var ts []weights.OutTensor
	bf := func(name string, shape []int, std float64, ones bool) {
		n := int64(shape[0])
		if len(shape) > 1 {
			n *= int64(shape[1])
		}
		ts = append(ts, weights.OutTensor{Name: name, DType: "BF16", Shape: shape, Write: func(w io.Writer) error { return g.bf16(w, n, std, ones) }})
	}
	fp8 := func(name string, rows, cols int) {
		ts = append(ts, weights.OutTensor{Name: name, DType: "F8_E4M3", Shape: []int{rows, cols}, Write: func(w io.Writer) error { return g.fp8(w, int64(rows)*int64(cols)) }})
		sr, sc := (rows+127)/128, (cols+127)/128
		scale := float32(1 / math.Sqrt(float64(cols)) / 1.5)
		ts = append(ts, weights.OutTensor{Name: name + "_scale_inv", DType: "F32", Shape: []int{sr, sc}, Write: func(w io.Writer) error { return f32s(w, int64(sr*sc), scale) }})
	}
	D, H := p.hidden, p.heads
	bf("model.embed_tokens.weight", []int{p.vocab, D}, 1, false)
	bf("model.norm.weight", []int{D}, 0, true)
	bf("lm_head.weight", []int{p.vocab, D}, 2/math.Sqrt(float64(D)), false)
	for l := 0; l < p.layers; l++ {
		pre := fmt.Sprintf("model.layers.%d.", l)
		bf(pre+"input_layernorm.weight", []int{D}, 0, true)
		bf(pre+"post_attention_layernorm.weight", []int{D}, 0, true)
		fp8(pre+"self_attn.q_proj.weight", H*(p.nope+p.rope), D)
		fp8(pre+"self_attn.kv_a_proj_with_mqa.weight", p.kvLora+p.rope, D)
		bf(pre+"self_attn.kv_a_layernorm.weight", []int{p.kvLora}, 0, true)
		fp8(pre+"self_attn.kv_b_proj.weight", H*(p.nope+p.vHead), p.kvLora)
		fp8(pre+"self_attn.o_proj.weight", D, H*p.vHead)
		mlp := func(prefix string, ff int) {
			fp8(prefix+".gate_proj.weight", ff, D)
			fp8(prefix+".up_proj.weight", ff, D)
			fp8(prefix+".down_proj.weight", D, ff)
		}
		if l < p.dense {
			mlp(pre+"mlp", p.ff)
			continue
		}
		bf(pre+"mlp.gate.weight", []int{p.experts, D}, 1/math.Sqrt(float64(D)), false)
		for e := 0; e < p.experts; e++ {
			mlp(fmt.Sprintf("%smlp.experts.%d", pre, e), p.moeFF)
		}
		mlp(pre+"mlp.shared_experts", p.shared*p.moeFF)
	}
	// Shards in tensor order, about shardBytes each.
	var shards [][]weights.OutTensor
	var cur []weights.OutTensor
	var size int64
	for _, t := range ts {
		n, _ := t.Bytes()
		if size+n > shardBytes && len(cur) > 0 {
			shards = append(shards, cur)
			cur, size = nil, 0
		}
		cur = append(cur, t)
		size += n
	}
	shards = append(shards, cur)
	weightMap := map[string]string{}
	var total int64
	for i, sh := range shards {
		file := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, len(shards))
		for _, t := range sh {
			weightMap[t.Name] = file
			n, _ := t.Bytes()
			total += n
		}
		fmt.Fprintf(os.Stderr, "writing %s (%d tensors)\n", file, len(sh))
		if err := weights.WriteFile(filepath.Join(dir, file), sh, map[string]string{"format": "pt"}); err != nil {
			return err
		}
	}
	idx, _ := json.MarshalIndent(map[string]any{"metadata": map[string]any{"total_size": total}, "weight_map": weightMap}, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, weights.IndexFile), idx, 0o644); err != nil {
		return err
	}
	cfg := map[string]any{
		"architectures": []string{"DeepseekV2ForCausalLM"}, "model_type": "deepseek_v2",
		"vocab_size": p.vocab, "hidden_size": D, "intermediate_size": p.ff, "moe_intermediate_size": p.moeFF,
		"num_hidden_layers": p.layers, "num_attention_heads": H, "num_key_value_heads": H,
		"q_lora_rank": nil, "kv_lora_rank": p.kvLora, "qk_nope_head_dim": p.nope, "qk_rope_head_dim": p.rope, "v_head_dim": p.vHead,
		"n_routed_experts": p.experts, "n_shared_experts": p.shared, "num_experts_per_tok": p.used,
		"n_group": 1, "topk_group": 1, "topk_method": "greedy", "scoring_func": "softmax", "norm_topk_prob": false,
		"routed_scaling_factor": 1.0, "first_k_dense_replace": p.dense, "moe_layer_freq": 1,
		"rms_norm_eps": 1e-6, "rope_theta": 10000, "max_position_embeddings": 163840,
		"rope_scaling": map[string]any{"type": "yarn", "factor": 40, "original_max_position_embeddings": 4096,
			"beta_fast": 32, "beta_slow": 1, "mscale": 0.707, "mscale_all_dim": 0.707},
		"bos_token_id": 0, "eos_token_id": 1, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
		"quantization_config": map[string]any{"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8", "weight_block_size": []int{128, 128}},
	}
	cj, _ := json.MarshalIndent(cfg, "", "  ")
	return os.WriteFile(filepath.Join(dir, "config.json"), cj, 0o644)
}
