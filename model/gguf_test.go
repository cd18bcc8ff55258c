package model

import (
	"context"
	"math"
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

// With 8-bit activations (the fast path, as llama.cpp computes quantized
// products) the logits leave model.py's exact goldens, so they are compared
// with llama.cpp's own log-probabilities, loosely as the fixtures' README
// recommends: mean absolute log-prob difference ≤ 0.05 and the same argmax
// on at least 90% of the rows.
func TestGGUFQ8ActivationsVsLlamaCpp(t *testing.T) {
	pool := tensor.NewPool(0, tensor.WithActivations(tensor.Q8Activations))
	defer pool.Close()
	for _, tc := range []struct {
		name, src string
		typ       tensor.DType
	}{
		{"tiny-v3-Q8_0", "deepseek/tiny-v3", tensor.Q8_0},
		{"tiny-v3-Q4_0", "deepseek/tiny-v3", tensor.Q4_0},
		{"tiny-v2-Q8_0", "deepseek/tiny-v2", tensor.Q8_0},
		{"tiny-v2-Q4_0", "deepseek/tiny-v2", tensor.Q4_0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), tc.name+".gguf")
			if err := convert.ToGGUF(context.Background(), filepath.Join("../testdata", tc.src), out,
				convert.Options{Type: tc.typ, TokenizerDir: "../testdata/gguf/tokenizer"}); err != nil {
				t.Fatal(err)
			}
			m, err := Load(out, Options{Pool: pool})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			g := readGolden(t, filepath.Join("../testdata/gguf", tc.name, "golden"))
			c := m.Config()
			V := c.Vocab
			toks := append(append([]int{}, g.Prompt...), g.Greedy[:len(g.Greedy)-1]...)
			seq := &Seq{Tokens: toks, KV: newCache(t, c, len(toks)), AllLogits: true}
			if err := m.Forward(context.Background(), &Batch{Seqs: []*Seq{seq}}); err != nil {
				t.Fatal(err)
			}
			ref := g.bin(t, "llamacpp_logprobs.bin")
			var sum float64
			agree := 0
			lp := make([]float32, V)
			for r := range toks {
				row := seq.Logits[r*V : (r+1)*V]
				logSoftmax(lp, row)
				for i := range lp {
					sum += math.Abs(float64(lp[i] - ref[r*V+i]))
				}
				if argmax(lp) == argmax(ref[r*V:(r+1)*V]) {
					agree++
				}
			}
			mean := sum / float64(len(toks)*V)
			t.Logf("mean abs log-prob diff %.4f, argmax agrees on %d/%d rows", mean, agree, len(toks))
			if mean > 0.05 || float64(agree) < 0.9*float64(len(toks)) {
				t.Errorf("mean abs log-prob diff %.4f (limit 0.05), argmax agrees on %d/%d rows", mean, agree, len(toks))
			}
		})
	}
}

func logSoftmax(dst, x []float32) {
	m := x[0]
	for _, v := range x {
		if v > m {
			m = v
		}
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v - m))
	}
	lse := m + float32(math.Log(s))
	for i, v := range x {
		dst[i] = v - lse
	}
}
