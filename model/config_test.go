package model

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fixtureConfig(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("../testdata/deepseek", name, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseHFConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		edit func(m map[string]any)
		want string
	}{
		{"wrong type int", func(m map[string]any) { m["hidden_size"] = "64" }, `key "hidden_size": want an integer`},
		{"fractional int", func(m map[string]any) { m["num_hidden_layers"] = 2.5 }, `key "num_hidden_layers"`},
		{"wrong type bool", func(m map[string]any) { m["norm_topk_prob"] = "yes" }, `key "norm_topk_prob": want true or false`},
		{"wrong type float", func(m map[string]any) { m["rms_norm_eps"] = []int{1} }, `key "rms_norm_eps": want a number`},
		{"wrong type object", func(m map[string]any) { m["rope_scaling"] = 4 }, `key "rope_scaling": want an object`},
		{"nested wrong type", func(m map[string]any) { m["rope_scaling"].(map[string]any)["factor"] = "x" }, `rope_scaling: key "factor"`},
		{"unsupported model_type", func(m map[string]any) { m["model_type"] = "mixtral" }, `unsupported model_type "mixtral"`},
		{"missing model_type", func(m map[string]any) { delete(m, "model_type") }, "no model_type"},
		{"bad scoring", func(m map[string]any) { m["scoring_func"] = "relu" }, `unsupported scoring_func "relu"`},
		{"bad topk method", func(m map[string]any) { m["topk_method"] = "magic" }, `unsupported topk_method "magic"`},
		{"bad groups", func(m map[string]any) { m["n_group"] = 3 }, "multiple of n_group"},
		{"zero hidden", func(m map[string]any) { m["hidden_size"] = 0 }, "hidden_size must be positive"},
		{"too many experts per token", func(m map[string]any) { m["num_experts_per_tok"] = 9 }, "num_experts_per_tok"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := fixtureConfig(t, "tiny-v3")
			tc.edit(m)
			data, _ := json.Marshal(m)
			_, err := ParseHFConfig(data, "config.json")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "config.json") {
				t.Fatalf("got %v, want an error naming config.json and containing %q", err, tc.want)
			}
		})
	}
	if _, err := ParseHFConfig([]byte("{not json"), "config.json"); err == nil {
		t.Error("bad JSON accepted")
	}
}

func TestSoftmaxScaleMatchesDocs(t *testing.T) {
	// deepseek-models.md §1.2: V3 0.1352338, V2-Lite 0.1147214.
	v3 := &Config{Arch: DeepSeekV3, QKNope: 128, QKRope: 64, MaxPos: 163840,
		Rope: RopeScaling{Type: "yarn", Factor: 40, OrigMaxPos: 4096, MScaleAllDim: 1}}
	lite := *v3
	lite.Arch = DeepSeekV2
	lite.Rope.MScaleAllDim = 0.707
	for _, tc := range []struct {
		c    *Config
		want float64
	}{{v3, 0.1352338}, {&lite, 0.1147214}} {
		if got := float64(tc.c.SoftmaxScale()); math.Abs(got-tc.want) > 1e-6 {
			t.Errorf("%s: softmax scale %v, want %v", tc.c.Arch, got, tc.want)
		}
	}
}

func TestLoadErrorsNameTensor(t *testing.T) {
	// A checkpoint whose config asks for a shape the weights do not have.
	dir := t.TempDir()
	src := "../testdata/deepseek/tiny-v3"
	m := fixtureConfig(t, "tiny-v3")
	m["kv_lora_rank"] = 40
	data, _ := json.Marshal(m)
	os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644)
	os.Symlink(must(filepath.Abs(filepath.Join(src, "model.safetensors"))), filepath.Join(dir, "model.safetensors"))
	_, err := Load(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "kv_a_proj_with_mqa") {
		t.Fatalf("got %v, want a shape error naming the tensor", err)
	}
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}

func TestDigest(t *testing.T) {
	a, err := Digest("../testdata/deepseek/tiny-v3")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Digest("../testdata/deepseek/tiny-v3")
	c, _ := Digest("../testdata/deepseek/tiny-v2")
	if a != b || a == c || len(a) != 32 {
		t.Fatalf("digests %q %q %q", a, b, c)
	}
}

func TestInspect(t *testing.T) {
	info, err := Inspect("../testdata/deepseek/tiny-v3-fp8")
	if err != nil {
		t.Fatal(err)
	}
	if info.Format != "safetensors" || info.MTPLayers != 1 || !strings.HasPrefix(info.Quantization, "FP8") {
		t.Fatalf("info %+v", info)
	}
	if info.ActiveParams <= 0 || info.ActiveParams >= info.Params {
		t.Fatalf("params %d active %d", info.Params, info.ActiveParams)
	}
	c := info.Config
	// 8 experts, top 3: 5 unused experts per MoE layer.
	perExpert := int64(3 * c.Hidden * c.MoEIntermediate)
	if want := info.Params - 2*5*perExpert - int64(c.Vocab-1)*int64(c.Hidden); info.ActiveParams != want {
		t.Fatalf("active %d, want %d", info.ActiveParams, want)
	}
}
