package server_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/seekd/seekd/bundle"
	"github.com/seekd/seekd/chat/parse"
	"github.com/seekd/seekd/engine"
	"github.com/seekd/seekd/model"
	"github.com/seekd/seekd/server"
	"github.com/seekd/seekd/tensor"
)

// writeRandomV3 writes a small random-weight DeepSeek-V3 model folder whose
// tokenizer is the real DeepSeek-V3 one (vocab 129,280) and whose chat
// template is V3.1's: the shapes of testdata/deepseek/tiny-v3 without its
// MTP layer, with embedding and output rows for the full vocabulary.
func writeRandomV3(t testing.TB) string {
	t.Helper()
	const vocab = 129280
	dir := t.TempDir()
	src := "../testdata/deepseek/tiny-v3/"
	var cfg map[string]any
	b, err := os.ReadFile(src + "config.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["vocab_size"] = vocab
	cfg["num_nextn_predict_layers"] = 0
	cb, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cb, 0o644); err != nil {
		t.Fatal(err)
	}

	// Shapes from the fixture's header; values drawn fresh.
	f, err := os.ReadFile(src + "model.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(f[:8])
	var hdr map[string]json.RawMessage
	if err := json.Unmarshal(f[8:8+n], &hdr); err != nil {
		t.Fatal(err)
	}
	type info struct {
		DType string `json:"dtype"`
		Shape []int  `json:"shape"`
	}
	var names []string
	shapes := map[string]info{}
	for name, raw := range hdr {
		if name == "__metadata__" || strings.HasPrefix(name, "model.layers.3.") {
			continue
		}
		var in info
		json.Unmarshal(raw, &in)
		if name == "model.embed_tokens.weight" || name == "lm_head.weight" {
			in.Shape[0] = vocab
		}
		names = append(names, name)
		shapes[name] = in
	}
	slices.Sort(names)
	rng := rand.New(rand.NewPCG(1, 2))
	out := map[string]any{}
	var data []byte
	for _, name := range names {
		in := shapes[name]
		count := 1
		for _, d := range in.Shape {
			count *= d
		}
		start := len(data)
		norm := strings.HasSuffix(name, "norm.weight")
		for range count {
			v := float32(rng.NormFloat64() * 0.05)
			if norm {
				v = 1
			}
			if in.DType == "F32" {
				data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v*0.1))
			} else {
				data = binary.LittleEndian.AppendUint16(data, uint16(math.Float32bits(v)>>16))
			}
		}
		out[name] = map[string]any{"dtype": in.DType, "shape": in.Shape, "data_offsets": []int{start, len(data)}}
	}
	hb, _ := json.Marshal(out)
	for len(hb)%8 != 0 {
		hb = append(hb, ' ')
	}
	file := binary.LittleEndian.AppendUint64(nil, uint64(len(hb)))
	file = append(append(file, hb...), data...)
	if err := os.WriteFile(filepath.Join(dir, "model.safetensors"), file, 0o644); err != nil {
		t.Fatal(err)
	}

	tmpl, err := os.ReadFile("../testdata/chat-templates/templates/deepseek-v3.1.jinja")
	if err != nil {
		t.Fatal(err)
	}
	tc := `{"add_bos_token": true, "add_eos_token": false, "bos_token": {"content": "<｜begin▁of▁sentence｜>"}, "eos_token": {"content": "<｜end▁of▁sentence｜>"}, "model_max_length": 131072, "chat_template": ` + jsonString(string(tmpl)) + `}`
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(tc), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open("../testdata/tokenizers/deepseek_v3/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	o, err := os.Create(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if _, err := io.Copy(o, in); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRandomModel(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 17 MB model")
	}
	dir := writeRandomV3(t)
	pool := tensor.NewPool(1)
	defer pool.Close()
	b, err := bundle.Open(dir, bundle.Options{Model: model.Options{Pool: pool}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Format != parse.FormatV31 || b.ThinkingVar != "thinking" || !b.Caps.FIM || !b.Caps.Tools || !b.Caps.Thinking || b.OpensReasoning {
		t.Errorf("bundle facts: format %q thinking var %q caps %+v opens %v", b.Format, b.ThinkingVar, b.Caps, b.OpensReasoning)
	}
	eng, err := engine.New(b.Model, engine.Options{Logger: slog.New(slog.DiscardHandler), CacheBytes: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	srv, err := server.New(server.Options{Models: []server.Model{{Name: "tiny", Bundle: b, Engine: eng}}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	client := openai.NewClient(option.WithBaseURL(ts.URL+"/v1/"), option.WithAPIKey("x"), option.WithMaxRetries(0))
	ctx := context.Background()

	// Same seed, same request: same output (sampling at temperature 1).
	p := userChat("tiny", "Tell me a story.")
	p.Seed = openai.Int(42)
	p.MaxTokens = openai.Int(12)
	var outs []string
	for range 2 {
		resp, err := client.Chat.Completions.New(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Usage.CompletionTokens == 0 || resp.Usage.PromptTokens == 0 {
			t.Errorf("usage %s", resp.Usage.RawJSON())
		}
		outs = append(outs, resp.Choices[0].Message.Content)
	}
	if outs[0] != outs[1] {
		t.Errorf("same seed, different outputs: %q, %q", outs[0], outs[1])
	}
	// Streaming the same request gives the same text.
	st := client.Chat.Completions.NewStreaming(ctx, p)
	acc := openai.ChatCompletionAccumulator{}
	for st.Next() {
		acc.AddChunk(st.Current())
	}
	if st.Err() != nil || acc.Choices[0].Message.Content != outs[0] {
		t.Errorf("stream %q (%v), want %q", acc.Choices[0].Message.Content, st.Err(), outs[0])
	}
	// FIM through the real model.
	fim := openai.CompletionNewParams{Model: "tiny", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("def f(x):")},
		Suffix: openai.String("    return y"), MaxTokens: openai.Int(4)}
	cr, err := client.Completions.New(ctx, fim, option.WithBaseURL(ts.URL+"/beta/"))
	if err != nil || cr.Usage.CompletionTokens == 0 {
		t.Errorf("FIM: %v", err)
	}
}
