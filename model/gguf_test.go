package model

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/seekd/seekd/convert"
	"github.com/seekd/seekd/tensor"
)

// The GGUF fixtures ship only their goldens; their files are rebuilt here
// from the safetensors sources exactly as llama.cpp's converter and
// llama-quantize write them (package convert reproduces the published files'
// sizes and quantization errors bit for bit).
func TestGGUFGoldens(t *testing.T) {
	pool := tensor.NewPool(0)
	defer pool.Close()
	cases := []struct {
		name, src, golden string
		typ               tensor.DType
		legacy            bool
	}{
		{"tiny-v3-F32", "deepseek/tiny-v3", "gguf/tiny-v3-F32", tensor.F32, false},
		{"tiny-v3-BF16", "deepseek/tiny-v3", "gguf/tiny-v3-BF16", tensor.BF16, false},
		{"tiny-v3-Q8_0", "deepseek/tiny-v3", "gguf/tiny-v3-Q8_0", tensor.Q8_0, false},
		{"tiny-v3-Q4_0", "deepseek/tiny-v3", "gguf/tiny-v3-Q4_0", tensor.Q4_0, false},
		{"tiny-v3-legacy-F32", "deepseek/tiny-v3", "gguf/tiny-v3-legacy-F32", tensor.F32, true},
		{"tiny-v2-F32", "deepseek/tiny-v2", "gguf/tiny-v2-F32", tensor.F32, false},
		{"tiny-v2-F16", "deepseek/tiny-v2", "gguf/tiny-v2-F16", tensor.F16, false},
		{"tiny-v2-Q8_0", "deepseek/tiny-v2", "gguf/tiny-v2-Q8_0", tensor.Q8_0, false},
		{"tiny-v2-Q4_0", "deepseek/tiny-v2", "gguf/tiny-v2-Q4_0", tensor.Q4_0, false},
		{"tiny-r1-distill-qwen-F32", "distill/tiny-r1-distill-qwen/hf", "distill/tiny-r1-distill-qwen", tensor.F32, false},
		{"tiny-r1-distill-llama-F32", "distill/tiny-r1-distill-llama/hf", "distill/tiny-r1-distill-llama", tensor.F32, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := filepath.Join("../testdata", tc.src)
			out := filepath.Join(t.TempDir(), tc.name+".gguf")
			opt := convert.Options{Type: tc.typ, LegacyMLA: tc.legacy}
			if filepath.Dir(tc.src) == "deepseek" {
				opt.TokenizerDir = "../testdata/gguf/tokenizer"
			}
			if err := convert.ToGGUF(context.Background(), src, out, opt); err != nil {
				t.Fatal(err)
			}
			m, err := Load(out, Options{Pool: pool})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			gdir := filepath.Join("../testdata", tc.golden, "golden")
			g := readGolden(t, gdir)
			if len(g.Prompt) == 0 {
				g.Prompt = readRequest(t, gdir)
			}
			checkGoldens(t, m, g)
		})
	}
}
