package convert

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/seekd/seekd/tensor"
	"github.com/seekd/seekd/weights/gguf"
)

// fixture is one published GGUF whose source checkpoint is in testdata.
type fixture struct {
	name   string
	src    string // HF folder
	tok    string // tokenizer folder ("" = src)
	typ    tensor.DType
	legacy bool
	gname  string // general.name to write
	golden string
}

const (
	tinyV3   = "../testdata/deepseek/tiny-v3"
	tinyV2   = "../testdata/deepseek/tiny-v2"
	ggufTok  = "../testdata/gguf/tokenizer"
	distillQ = "../testdata/distill/tiny-r1-distill-qwen"
	distillL = "../testdata/distill/tiny-r1-distill-llama"
)

// fixtures lists every reproducible case of testdata/gguf and
// testdata/distill. tiny-v3-k-Q4_K / -Q6_K are absent: their safetensors
// source is not published, and their K-quant blocks were made with the
// fixture author's own scale choices rather than llama-quantize's.
//
// Metadata: the published files carry general.type but no general.name,
// except the legacy file, whose header is 0-20 bytes longer than that
// accounts for (a name of up to 20 characters); it is written with its case
// name here. With that, every file's size is reproduced exactly.
func fixtures() []fixture {
	g := func(c string) string { return "../testdata/gguf/" + c + "/golden/golden.json" }
	return []fixture{
		{"tiny-v3-F32", tinyV3, ggufTok, tensor.F32, false, "", g("tiny-v3-F32")},
		{"tiny-v3-BF16", tinyV3, ggufTok, tensor.BF16, false, "", g("tiny-v3-BF16")},
		{"tiny-v3-Q8_0", tinyV3, ggufTok, tensor.Q8_0, false, "", g("tiny-v3-Q8_0")},
		{"tiny-v3-Q4_0", tinyV3, ggufTok, tensor.Q4_0, false, "", g("tiny-v3-Q4_0")},
		{"tiny-v3-legacy-F32", tinyV3, ggufTok, tensor.F32, true, "tiny-v3-legacy-F32", g("tiny-v3-legacy-F32")},
		{"tiny-v2-F32", tinyV2, ggufTok, tensor.F32, false, "", g("tiny-v2-F32")},
		{"tiny-v2-F16", tinyV2, ggufTok, tensor.F16, false, "", g("tiny-v2-F16")},
		{"tiny-v2-Q8_0", tinyV2, ggufTok, tensor.Q8_0, false, "", g("tiny-v2-Q8_0")},
		{"tiny-v2-Q4_0", tinyV2, ggufTok, tensor.Q4_0, false, "", g("tiny-v2-Q4_0")},
		{"tiny-r1-distill-qwen-F32", distillQ + "/hf", "", tensor.F32, false, "", distillQ + "/golden/golden.json"},
		{"tiny-r1-distill-llama-F32", distillL + "/hf", "", tensor.F32, false, "", distillL + "/golden/golden.json"},
	}
}

type goldenFile struct {
	GGUFBytes    int64             `json:"gguf_bytes"`
	NTensors     int               `json:"n_tensors"`
	TensorTypeOf map[string]string `json:"tensor_type_of"`
	RelRMS       *float64          `json:"weights_rel_rms_error_vs_hf_checkpoint"`
	Rope         *struct {
		RopeFreqs []float64 `json:"rope_freqs_tensor"`
	} `json:"rope"`
}

func readGolden(t *testing.T, path string) goldenFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g goldenFile
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// TestReproduceFixtures converts each source checkpoint and checks the
// result against the published file's golden facts: the byte size, every
// tensor's type, and the relative RMS error of the weights against the
// checkpoint. That error is reproduced to 1e-9 relative, so every quantized
// block is the one llama.cpp wrote (one Q4_0 value off moves it by ~1e-6,
// one Q8_0 value by ~1e-7).
func TestReproduceFixtures(t *testing.T) {
	dir := t.TempDir()
	for _, fx := range fixtures() {
		t.Run(fx.name, func(t *testing.T) {
			g := readGolden(t, fx.golden)
			out := filepath.Join(dir, fx.name+".gguf")
			opt := Options{Type: fx.typ, LegacyMLA: fx.legacy, TokenizerDir: fx.tok, Name: fx.gname}
			if err := ToGGUF(context.Background(), fx.src, out, opt); err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(out)
			if err != nil {
				t.Fatal(err)
			}
			if st.Size() != g.GGUFBytes {
				t.Errorf("size %d bytes, the published file has %d", st.Size(), g.GGUFBytes)
			}
			f, err := gguf.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if g.TensorTypeOf != nil {
				if f.NumTensors() != g.NTensors || len(g.TensorTypeOf) != g.NTensors {
					t.Errorf("%d tensors, want %d", f.NumTensors(), g.NTensors)
				}
				for name, want := range g.TensorTypeOf {
					ti, ok := f.TensorInfo(name)
					if !ok {
						t.Errorf("missing tensor %s", name)
					} else if ti.Type.String() != want {
						t.Errorf("%s: type %v, want %s", name, ti.Type, want)
					}
				}
			}
			if g.RelRMS != nil {
				got := relRMS(t, f, fx)
				if d := math.Abs(got - *g.RelRMS); d > 1e-9**g.RelRMS || (*g.RelRMS == 0 && got != 0) {
					t.Errorf("relative RMS error vs the checkpoint %.16g, published %.16g (relative difference %.2g)", got, *g.RelRMS, d / *g.RelRMS)
				}
			}
			if g.Rope != nil {
				rt, err := f.Tensor("rope_freqs.weight")
				if err != nil {
					t.Fatal(err)
				}
				got, _ := rt.Floats()
				for i, w := range g.Rope.RopeFreqs {
					if float64(got[i]) != w {
						t.Errorf("rope_freqs[%d] = %.9g, want %.9g", i, got[i], w)
					}
				}
			}
		})
	}
}

// relRMS computes the fixtures' weights_rel_rms_error_vs_hf_checkpoint:
// per tensor of the file, numpy float32 sums of (dequantized - source)² and
// of source², added up in float64; sqrt of the ratio. The float32 sums are
// reproduced exactly (pairwise within numpy's 8192-element buffers), because
// the published value carries their rounding (about 3e-8 relative).
func relRMS(t *testing.T, f *gguf.File, fx fixture) float64 {
	t.Helper()
	p, err := newPlan(fx.src, Options{Type: fx.typ, LegacyMLA: fx.legacy, TokenizerDir: fx.tok})
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	var se, ss float64
	for _, ot := range p.tensors {
		var src []float32
		if err := ot.rows(func(v []float32) error { src = append(src, v...); return nil }); err != nil {
			t.Fatal(err)
		}
		tt, err := f.Tensor(ot.name)
		if err != nil {
			t.Fatal(err)
		}
		deq, err := tt.Floats()
		if err != nil {
			t.Fatal(err)
		}
		if len(deq) != len(src) {
			t.Fatalf("%s: %d values in the file, %d in the source", ot.name, len(deq), len(src))
		}
		d2 := make([]float32, len(src))
		s2 := make([]float32, len(src))
		for i := range src {
			d := deq[i] - src[i]
			d2[i], s2[i] = d*d, src[i]*src[i]
		}
		se += float64(numpySum32(d2))
		ss += float64(numpySum32(s2))
	}
	return math.Sqrt(se / ss)
}

// numpySum32 is np.sum of a contiguous float32 array: pairwise summation
// within 8192-element buffers, the buffers added in order.
func numpySum32(a []float32) float32 {
	var acc float32
	for i := 0; i < len(a); i += 8192 {
		acc += pairwise32(a[i:min(len(a), i+8192)])
	}
	return acc
}

// pairwise32 is numpy's float32 pairwise_sum.
func pairwise32(a []float32) float32 {
	n := len(a)
	switch {
	case n < 8:
		var r float32
		for _, v := range a {
			r += v
		}
		return r
	case n <= 128:
		var r [8]float32
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := range r {
				r[j] += a[i+j]
			}
		}
		res := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			res += a[i]
		}
		return res
	}
	n2 := n / 2
	n2 -= n2 % 8
	return pairwise32(a[:n2]) + pairwise32(a[n2:])
}
