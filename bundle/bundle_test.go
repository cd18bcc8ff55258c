package bundle

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/seekd/seekd/chat"
	"github.com/seekd/seekd/chat/parse"
	"github.com/seekd/seekd/convert"
	"github.com/seekd/seekd/model"
	"github.com/seekd/seekd/tensor"
	"github.com/seekd/seekd/tokenizer"
)

const distillQwen = "../testdata/distill/tiny-r1-distill-qwen/hf"

func TestOpenFolder(t *testing.T) {
	pool := tensor.NewPool(1)
	defer pool.Close()
	b, err := Open(distillQwen, Options{Model: model.Options{Pool: pool}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Format != parse.FormatDeepSeekR1 || !b.OpensReasoning || b.ThinkingVar != "" || !b.Caps.Thinking || !b.Caps.Tools || b.Caps.FIM {
		t.Errorf("facts: format %q opens %v var %q caps %+v", b.Format, b.OpensReasoning, b.ThinkingVar, b.Caps)
	}
	if !slices.Contains(b.StopTokens, 1) {
		t.Errorf("stop tokens %v lack EOS 1", b.StopTokens)
	}
	if b.Context() != 16384 { // model_max_length caps max_position_embeddings 131072
		t.Errorf("context %d", b.Context())
	}
	prompt, err := b.Template.Render(context.Background(), chat.Input{Messages: []chat.Message{{Role: "user", Content: chat.Text("Hi")}}, AddGenerationPrompt: true})
	if err != nil || prompt != "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜><think>\n" {
		t.Errorf("prompt %q, %v", prompt, err)
	}
}

func TestOpenTextV3(t *testing.T) {
	tx, err := OpenText("../testdata/tokenizers/deepseek_v3")
	if err != nil {
		t.Fatal(err)
	}
	if tx.Format != parse.FormatDeepSeekV3 || tx.OpensReasoning || tx.Caps.Thinking || !tx.Caps.FIM {
		t.Errorf("facts: format %q opens %v caps %+v", tx.Format, tx.OpensReasoning, tx.Caps)
	}
	if tx.FIM != (FIMTokens{Begin: 128801, Hole: 128800, End: 128802}) {
		t.Errorf("FIM tokens %+v", tx.FIM)
	}
	if !slices.Contains(tx.StopTokens, 1) || !slices.Contains(tx.StopTokens, 128805) {
		t.Errorf("stop tokens %v, want EOS 1 and <|EOT|> 128805", tx.StopTokens)
	}
	if _, err := OpenText("../testdata/tokenizers/deepseek_v3/tokenizer.json"); err != nil {
		t.Errorf("tokenizer.json path: %v", err)
	}
}

func TestDetectFormat(t *testing.T) {
	tok, err := tokenizer.Load("../testdata/tokenizers/deepseek_v3")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		file, format, thinkingVar string
		opens                     bool
	}{
		{"deepseek-v3.jinja", parse.FormatDeepSeekV3, "", false},
		{"deepseek-v3.1.jinja", parse.FormatV31, "thinking", false},
		{"deepseek-r1.jinja", parse.FormatDeepSeekR1, "", true},
		{"deepseek-r1-distill.jinja", parse.FormatDeepSeekR1, "", true},
		{"qwen3.jinja", parse.FormatNone, "enable_thinking", false},
		{"llama3.jinja", parse.FormatNone, "", false},
	}
	for _, c := range cases {
		src, err := os.ReadFile("../testdata/chat-templates/templates/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		tmpl, err := chat.New(string(src), chat.SpecialTokens{"bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>"})
		if err != nil {
			t.Fatal(err)
		}
		tx := &Text{Tokenizer: tok, Template: tmpl, TemplateSource: string(src)}
		if err := tx.derive(); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if tx.Format != c.format || tx.ThinkingVar != c.thinkingVar || tx.OpensReasoning != c.opens {
			t.Errorf("%s: format %q var %q opens %v; want %q %q %v", c.file, tx.Format, tx.ThinkingVar, tx.OpensReasoning, c.format, c.thinkingVar, c.opens)
		}
	}
}

// TestOpenGGUF converts the distill fixture to GGUF and checks that the
// bundle read from the file's metadata matches the folder's.
func TestOpenGGUF(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.gguf")
	if err := convert.ToGGUF(context.Background(), distillQwen, path, convert.Options{Type: tensor.F32}); err != nil {
		t.Fatal(err)
	}
	pool := tensor.NewPool(1)
	defer pool.Close()
	g, err := Open(path, Options{Model: model.Options{Pool: pool}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	f, err := OpenText(distillQwen)
	if err != nil {
		t.Fatal(err)
	}
	if g.Format != f.Format || g.OpensReasoning != f.OpensReasoning || g.Caps != f.Caps || g.TemplateSource != f.TemplateSource {
		t.Errorf("gguf facts %q %v %+v differ from the folder's %q %v %+v", g.Format, g.OpensReasoning, g.Caps, f.Format, f.OpensReasoning, f.Caps)
	}
	in := chat.Input{Messages: []chat.Message{{Role: "system", Content: chat.Text("Be brief.")}, {Role: "user", Content: chat.Text("Hello, 123 worlds!")}}, AddGenerationPrompt: true}
	pg, err1 := g.Template.Render(context.Background(), in)
	pf, err2 := f.Template.Render(context.Background(), in)
	if err1 != nil || err2 != nil || pg != pf {
		t.Fatalf("renderings differ: %q (%v) vs %q (%v)", pg, err1, pf, err2)
	}
	if a, b := g.Tokenizer.Encode(pg), f.Tokenizer.Encode(pf); !slices.Equal(a, b) {
		t.Errorf("gguf ids %v, folder ids %v", a, b)
	}
	if !slices.Contains(g.StopTokens, f.Tokenizer.EOS()) {
		t.Errorf("gguf stop tokens %v", g.StopTokens)
	}
}

func TestOpenErrors(t *testing.T) {
	for _, p := range []string{"../testdata/nothing-here", "../testdata/deepseek/tiny-v3", "bundle.go"} {
		if _, err := OpenText(p); err == nil {
			t.Errorf("OpenText(%s): no error", p)
		}
	}
}
