package convert

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/seekd/seekd/tensor"
	"github.com/seekd/seekd/weights"
	"github.com/seekd/seekd/weights/gguf"
)

// convertTo converts src into a temporary file and opens it.
func convertTo(t *testing.T, src string, opt Options) *gguf.File {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.gguf")
	if err := ToGGUF(context.Background(), src, out, opt); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func openHF(t *testing.T, dir string) *weights.Checkpoint {
	t.Helper()
	c, err := weights.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func floatsOf(t *testing.T, get func(string) (*tensor.Tensor, error), name string) ([]float32, []int) {
	t.Helper()
	tt, err := get(name)
	if err != nil {
		t.Fatal(err)
	}
	v, err := tt.Floats()
	if err != nil {
		t.Fatal(err)
	}
	return v, tt.Shape
}

// TestDeepSeekMetadata checks the deepseek2 keys against the table in
// testdata/gguf/README.md and the source configs.
func TestDeepSeekMetadata(t *testing.T) {
	type kv = map[string]any
	for _, tc := range []struct {
		name    string
		src     string
		opt     Options
		want    kv
		missing []string
	}{
		{"v3 split", tinyV3, Options{Type: tensor.Q8_0, TokenizerDir: ggufTok}, kv{
			"general.architecture": "deepseek2", "general.type": "model", "general.file_type": uint32(7),
			"general.quantization_version": uint32(2),
			"deepseek2.block_count":        uint32(3), "deepseek2.context_length": uint32(256),
			"deepseek2.embedding_length": uint32(64), "deepseek2.feed_forward_length": uint32(160),
			"deepseek2.vocab_size": uint32(512), "deepseek2.attention.head_count": uint32(4),
			"deepseek2.attention.head_count_kv": uint32(1), "deepseek2.attention.q_lora_rank": uint32(48),
			"deepseek2.attention.kv_lora_rank": uint32(32), "deepseek2.attention.key_length": uint32(48),
			"deepseek2.attention.value_length": uint32(32), "deepseek2.attention.key_length_mla": uint32(32),
			"deepseek2.attention.value_length_mla": uint32(16), "deepseek2.rope.dimension_count": uint32(16),
			"deepseek2.rope.freq_base": float32(10000), "deepseek2.rope.scaling.type": "yarn",
			"deepseek2.rope.scaling.factor": float32(4), "deepseek2.rope.scaling.original_context_length": uint32(64),
			"deepseek2.rope.scaling.yarn_beta_fast": float32(32), "deepseek2.rope.scaling.yarn_beta_slow": float32(1),
			"deepseek2.rope.scaling.yarn_log_multiplier": float32(0.1),
			"deepseek2.leading_dense_block_count":        uint32(1), "deepseek2.expert_count": uint32(8),
			"deepseek2.expert_used_count": uint32(3), "deepseek2.expert_shared_count": uint32(1),
			"deepseek2.expert_feed_forward_length": uint32(32), "deepseek2.expert_gating_func": uint32(2),
			"deepseek2.expert_group_count": uint32(4), "deepseek2.expert_group_used_count": uint32(2),
			"deepseek2.expert_weights_scale": float32(2.5), "deepseek2.expert_weights_norm": true,
			"deepseek2.attention.layer_norm_rms_epsilon": float32(1e-6),
		}, []string{"general.name"}},
		{"v3 legacy", tinyV3, Options{Type: tensor.F32, LegacyMLA: true, TokenizerDir: ggufTok, Name: "legacy"}, kv{
			"general.name": "legacy", "general.file_type": uint32(0),
			"deepseek2.attention.head_count_kv": uint32(4), "deepseek2.attention.key_length": uint32(32),
			"deepseek2.attention.value_length": uint32(16),
		}, []string{"deepseek2.attention.key_length_mla", "deepseek2.attention.value_length_mla"}},
		{"v2", tinyV2, Options{Type: tensor.F16, TokenizerDir: ggufTok}, kv{
			"general.file_type": uint32(1), "deepseek2.attention.q_lora_rank": uint32(0),
			"deepseek2.expert_gating_func": uint32(1), "deepseek2.expert_group_count": uint32(1),
			"deepseek2.expert_weights_scale":             float32(1),
			"deepseek2.rope.scaling.yarn_log_multiplier": float32(0.1 * 0.707),
			"deepseek2.expert_shared_count":              uint32(2), "deepseek2.feed_forward_length": uint32(144),
		}, []string{"deepseek2.expert_weights_norm"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := convertTo(t, tc.src, tc.opt)
			for k, want := range tc.want {
				got, err := f.Value(k)
				if err != nil {
					t.Errorf("%s: %v", k, err)
				} else if got != want {
					t.Errorf("%s = %#v, want %#v", k, got, want)
				}
			}
			for _, k := range tc.missing {
				if f.Has(k) {
					t.Errorf("%s present", k)
				}
			}
			if _, ok := f.TensorInfo("blk.1.attn_kv_b.weight"); ok != tc.opt.LegacyMLA {
				t.Errorf("attn_kv_b present = %v, legacy = %v", ok, tc.opt.LegacyMLA)
			}
		})
	}
}

// TestDeepSeekTensorLayout checks the split, legacy and stacked tensors
// value by value against the checkpoint, following the README's numpy
// definitions (k_b[h] = kv_b[h, :nope, :].T, v_b[h] = kv_b[h, nope:, :]).
func TestDeepSeekTensorLayout(t *testing.T) {
	hf := openHF(t, tinyV3)
	split := convertTo(t, tinyV3, Options{TokenizerDir: ggufTok})
	legacy := convertTo(t, tinyV3, Options{LegacyMLA: true, TokenizerDir: ggufTok})
	const nh, nope, vd, kvl = 4, 16, 16, 32
	kv, _ := floatsOf(t, hf.Tensor, "model.layers.1.self_attn.kv_b_proj.weight")
	kb, kbShape := floatsOf(t, split.Tensor, "blk.1.attn_k_b.weight")
	vb, vbShape := floatsOf(t, split.Tensor, "blk.1.attn_v_b.weight")
	if !reflect.DeepEqual(kbShape, []int{nh, kvl, nope}) || !reflect.DeepEqual(vbShape, []int{nh, vd, kvl}) {
		t.Fatalf("k_b shape %v, v_b shape %v", kbShape, vbShape)
	}
	at := func(h, r, c int) float32 { return kv[(h*(nope+vd)+r)*kvl+c] }
	for h := 0; h < nh; h++ {
		for c := 0; c < kvl; c++ {
			for r := 0; r < nope; r++ {
				if got := kb[(h*kvl+c)*nope+r]; got != at(h, r, c) {
					t.Fatalf("k_b[%d][%d][%d] = %g, want kv_b[%d, %d, %d] = %g", h, c, r, got, h, r, c, at(h, r, c))
				}
			}
			for r := 0; r < vd; r++ {
				if got := vb[(h*vd+r)*kvl+c]; got != at(h, nope+r, c) {
					t.Fatalf("v_b[%d][%d][%d] = %g, want %g", h, r, c, got, at(h, nope+r, c))
				}
			}
		}
	}
	whole, shape := floatsOf(t, legacy.Tensor, "blk.1.attn_kv_b.weight")
	if !reflect.DeepEqual(shape, []int{nh * (nope + vd), kvl}) || !reflect.DeepEqual(whole, kv) {
		t.Errorf("legacy attn_kv_b differs from kv_b_proj (shape %v)", shape)
	}
	exps, shape := floatsOf(t, split.Tensor, "blk.2.ffn_down_exps.weight")
	if !reflect.DeepEqual(shape, []int{8, 64, 32}) {
		t.Fatalf("ffn_down_exps shape %v", shape)
	}
	for e := 0; e < 8; e++ {
		want, _ := floatsOf(t, hf.Tensor, "model.layers.2.mlp.experts."+string(rune('0'+e))+".down_proj.weight")
		if !reflect.DeepEqual(exps[e*64*32:(e+1)*64*32], want) {
			t.Errorf("expert %d of ffn_down_exps differs", e)
		}
	}
	bias, _ := floatsOf(t, split.Tensor, "blk.1.exp_probs_b.bias")
	want, _ := floatsOf(t, hf.Tensor, "model.layers.1.mlp.gate.e_score_correction_bias")
	if !reflect.DeepEqual(bias, want) {
		t.Error("exp_probs_b differs from e_score_correction_bias")
	}
}

// TestLlamaPermutation checks the q/k row permutation of the llama file:
// row 2i+j of each head is HF row j*d/2+i (README), and qwen2 rows are kept.
func TestLlamaPermutation(t *testing.T) {
	for _, tc := range []struct {
		dir        string
		permute    bool
		nq, nk, hd int
	}{
		{distillL + "/hf", true, 4, 2, 32},
		{distillQ + "/hf", false, 4, 2, 24},
	} {
		hf := openHF(t, tc.dir)
		f := convertTo(t, tc.dir, Options{})
		for _, p := range []struct {
			proj, out string
			heads     int
		}{{"q_proj", "attn_q", tc.nq}, {"k_proj", "attn_k", tc.nk}} {
			src, shape := floatsOf(t, hf.Tensor, "model.layers.0.self_attn."+p.proj+".weight")
			got, _ := floatsOf(t, f.Tensor, "blk.0."+p.out+".weight")
			cols := shape[1]
			d := tc.hd
			for h := 0; h < p.heads; h++ {
				for i := 0; i < d/2; i++ {
					for j := 0; j < 2; j++ {
						dst, from := h*d+2*i+j, h*d+2*i+j
						if tc.permute {
							from = h*d + j*d/2 + i
						}
						if !reflect.DeepEqual(got[dst*cols:(dst+1)*cols], src[from*cols:(from+1)*cols]) {
							t.Fatalf("%s %s: row %d is not HF row %d", tc.dir, p.out, dst, from)
						}
					}
				}
			}
		}
		if _, ok := f.TensorInfo("blk.2.attn_q.bias"); ok == tc.permute {
			t.Errorf("%s: attn_q.bias present = %v", tc.dir, ok)
		}
	}
}

// TestTokenizerMetadata checks tokenizer.ggml.* against the tokenizer files.
func TestTokenizerMetadata(t *testing.T) {
	for _, tc := range []struct {
		src, tokDir, pre, arch string
	}{
		{tinyV3, ggufTok, "deepseek-v3", "deepseek2"},
		{distillQ + "/hf", distillQ + "/hf", "deepseek-r1-qwen", "qwen2"},
		{distillL + "/hf", distillL + "/hf", "llama-bpe", "llama"},
	} {
		f := convertTo(t, tc.src, Options{TokenizerDir: tc.tokDir})
		var tj struct {
			Model struct {
				Vocab  map[string]int `json:"vocab"`
				Merges []string       `json:"merges"`
			} `json:"model"`
		}
		var tcfg struct {
			ChatTemplate string `json:"chat_template"`
		}
		readJSON(t, filepath.Join(tc.tokDir, "tokenizer.json"), &tj)
		readJSON(t, filepath.Join(tc.tokDir, "tokenizer_config.json"), &tcfg)
		if f.Arch() != tc.arch {
			t.Errorf("arch %q", f.Arch())
		}
		for k, want := range map[string]any{
			"tokenizer.ggml.model": "gpt2", "tokenizer.ggml.pre": tc.pre,
			"tokenizer.ggml.bos_token_id": uint32(0), "tokenizer.ggml.eos_token_id": uint32(1),
			"tokenizer.ggml.padding_token_id": uint32(1), "tokenizer.ggml.add_bos_token": true,
			"tokenizer.ggml.add_eos_token": false, "tokenizer.chat_template": tcfg.ChatTemplate,
		} {
			if got, err := f.Value(k); err != nil || got != want {
				t.Errorf("%s: %s = %#v (%v), want %#v", tc.src, k, got, err, want)
			}
		}
		tokens, err := f.Strings("tokenizer.ggml.tokens")
		if err != nil || len(tokens) != 512 {
			t.Fatalf("tokens: %d, %v", len(tokens), err)
		}
		for s, id := range tj.Model.Vocab {
			if tokens[id] != s {
				t.Errorf("token %d = %q, want %q", id, tokens[id], s)
			}
		}
		types, _ := f.Ints("tokenizer.ggml.token_type")
		// <｜begin▁of▁sentence｜>, <｜end▁of▁sentence｜>, <｜▁pad▁｜> are
		// special; <｜User｜>, <｜Assistant｜> look special to llama.cpp's
		// converter; <think> and </think> are user-defined.
		wantTypes := []int64{3, 3, 3, 3, 3, 4, 4, 1}
		if !reflect.DeepEqual(types[:8], wantTypes) || types[511] != 1 {
			t.Errorf("token types %v ... %d", types[:8], types[511])
		}
		merges, _ := f.Strings("tokenizer.ggml.merges")
		if !reflect.DeepEqual(merges, tj.Model.Merges) {
			t.Errorf("merges differ (%d vs %d)", len(merges), len(tj.Model.Merges))
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestChooseType(t *testing.T) {
	for _, tc := range []struct {
		name   string
		shape  []int
		target tensor.DType
		want   tensor.DType
	}{
		{"blk.0.attn_norm.weight", []int{64}, tensor.Q4_0, tensor.F32},
		{"blk.0.ffn_gate_inp.weight", []int{8, 64}, tensor.Q8_0, tensor.F32},
		{"blk.0.ffn_gate_inp.weight", []int{8, 64}, tensor.BF16, tensor.F32},
		{"blk.0.exp_probs_b.bias", []int{8}, tensor.Q8_0, tensor.F32},
		{"blk.0.attn_q.bias", []int{96}, tensor.F16, tensor.F32},
		{"token_embd.weight", []int{512, 64}, tensor.Q4_0, tensor.Q4_0},
		{"output.weight", []int{512, 64}, tensor.Q8_0, tensor.Q8_0},
		{"blk.0.attn_k_b.weight", []int{4, 32, 16}, tensor.Q8_0, tensor.F16},
		{"blk.0.attn_q_b.weight", []int{192, 48}, tensor.Q4_0, tensor.F16},
		{"blk.0.attn_k_b.weight", []int{4, 256, 64}, tensor.Q4_K, tensor.Q5_0},
		{"blk.0.attn_k_b.weight", []int{4, 256, 64}, tensor.Q6_K, tensor.Q8_0},
		{"blk.0.attn_k_b.weight", []int{4, 256, 48}, tensor.Q4_K, tensor.F16},
		{"blk.0.ffn_up.weight", []int{512, 256}, tensor.Q4_K, tensor.Q4_K},
		{"blk.0.ffn_up.weight", []int{512, 256}, tensor.F32, tensor.F32},
		{"blk.0.ffn_up.weight", []int{512, 24}, tensor.BF16, tensor.BF16},
		{"rope_freqs.weight", []int{16}, tensor.Q8_0, tensor.F32},
	} {
		if got := chooseType(tc.name, tc.shape, tc.target); got != tc.want {
			t.Errorf("%s %v -> %v: got %v, want %v", tc.name, tc.shape, tc.target, got, tc.want)
		}
	}
}

func TestPermuteQK(t *testing.T) {
	order, err := permuteQK(8, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 2, 1, 3, 4, 6, 5, 7}; !reflect.DeepEqual(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	if _, err := permuteQK(6, 4); err == nil {
		t.Error("6 rows in 4 heads accepted")
	}
}

// copyModel copies a checkpoint folder so a test can alter it.
func copyModel(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func editConfig(t *testing.T, dir string, edit func(map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, "config.json")
	var cfg map[string]any
	readJSON(t, path, &cfg)
	edit(cfg)
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestErrors(t *testing.T) {
	unknownArch := copyModel(t, tinyV3)
	editConfig(t, unknownArch, func(c map[string]any) { c["architectures"] = []string{"MistralForCausalLM"} })
	moreLayers := copyModel(t, tinyV3)
	editConfig(t, moreLayers, func(c map[string]any) { c["num_hidden_layers"] = 5.0 })
	fewerLayers := copyModel(t, distillQ+"/hf")
	editConfig(t, fewerLayers, func(c map[string]any) { c["num_hidden_layers"] = 2.0 })
	wrongShape := copyModel(t, tinyV3)
	editConfig(t, wrongShape, func(c map[string]any) { c["kv_lora_rank"] = 64.0 })
	badTok := copyModel(t, distillQ+"/hf")
	if err := os.WriteFile(filepath.Join(badTok, "tokenizer.json"), []byte(`{"model":{"type":"BPE","vocab":{"a":0}},"pre_tokenizer":{"type":"Split","pattern":{"Regex":"x"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		src  string
		opt  Options
		msg  string
	}{
		{"target", tinyV3, Options{Type: tensor.F8E4M3}, "unsupported target type F8_E4M3"},
		{"no folder", filepath.Join(t.TempDir(), "none"), Options{}, "config.json"},
		{"architecture", unknownArch, Options{}, `architecture "MistralForCausalLM" is not supported`},
		// tiny-v3 has an MTP layer 3, so the first missing one is layer 4.
		{"missing tensor", moreLayers, Options{}, `missing tensor "model.layers.4.input_layernorm.weight"`},
		{"unused tensor", fewerLayers, Options{}, `tensor "model.layers.2.input_layernorm.weight" has no place in a qwen2 GGUF file`},
		{"shape", wrongShape, Options{}, "config.json implies"},
		{"pre-tokenizer", badTok, Options{}, "unrecognized pre-tokenizer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "x.gguf")
			err := ToGGUF(context.Background(), tc.src, out, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want one containing %q", err, tc.msg)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("output left behind: %v", err)
			}
		})
	}
}

// TestCancelledLeavesNothing checks a cancelled conversion neither writes
// the output nor leaves a temporary file.
func TestCancelledLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := ToGGUF(ctx, tinyV3, filepath.Join(dir, "x.gguf"), Options{TokenizerDir: ggufTok})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %v", entries)
	}
}

func TestNoTokenizer(t *testing.T) {
	f := convertTo(t, tinyV2, Options{Type: tensor.Q4_0})
	if f.Has("tokenizer.ggml.tokens") {
		t.Error("tokenizer written without tokenizer.json")
	}
	if n := f.NumTensors(); n != 44 {
		t.Errorf("%d tensors", n)
	}
}
