package server

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/seekd/seekd/bundle"
	"github.com/seekd/seekd/engine"
	"github.com/seekd/seekd/model"
	"github.com/seekd/seekd/tokenizer"
)

// forever is a script answer that makes the fake model generate " tick"
// until it is stopped.
const forever = "\x00forever"

// script maps a rendered prompt to the text the fake model generates.
type script func(prompt string) string

// scriptModel is a model.Model whose logits force the text a script gives,
// tokenized by a real tokenizer, so the server's whole path (template,
// tokenizer, engine, detokenizer, parsers) runs deterministically. It keeps
// each sequence's tokens in its KV cache rows.
type scriptModel struct {
	cfg    model.Config
	tok    *tokenizer.Tokenizer
	script script
	delay  time.Duration // per forward step
	tick   int
	// closers are the fallback tokens, most preferred first.
	closers []int

	mu      sync.Mutex
	prompts map[model.KV]int // prompt length of each sequence
}

func newScriptModel(tok *tokenizer.Tokenizer, s script) *scriptModel {
	tick, _ := tok.TokenID(" tick")
	if tick == 0 {
		tick = tok.Encode(" tick")[0]
	}
	var closers []int
	for _, s := range []string{"}", "\"", "\":", "1", "{"} {
		if id, ok := tok.TokenID(s); ok {
			closers = append(closers, id)
		}
	}
	return &scriptModel{
		closers: closers,
		cfg:     model.Config{Arch: model.Qwen2, Vocab: 129280, Layers: 1, KVHeads: 1, HeadDim: 1, MaxPos: 4096, Heads: 1, Hidden: 1},
		tok:     tok,
		script:  s,
		tick:    tick,
		prompts: map[model.KV]int{},
	}
}

func (m *scriptModel) Config() *model.Config { return &m.cfg }
func (m *scriptModel) Close() error          { return nil }

func (m *scriptModel) Forward(ctx context.Context, b *model.Batch) error {
	if m.delay > 0 {
		time.Sleep(m.delay)
	}
	for _, s := range b.Seqs {
		for i, id := range s.Tokens {
			s.KV.Row(0, s.Pos+i)[0] = float32(id)
		}
		if s.NoLogits {
			continue
		}
		n := s.Pos + len(s.Tokens)
		hist := make([]int, n)
		for p := range n {
			hist[p] = int(s.KV.Row(0, p)[0])
		}
		m.mu.Lock()
		plen, ok := m.prompts[s.KV]
		if !ok {
			plen = n
			m.prompts[s.KV] = n
		}
		m.mu.Unlock()
		if cap(s.Logits) < m.cfg.Vocab {
			s.Logits = make([]float32, m.cfg.Vocab)
		}
		s.Logits = s.Logits[:m.cfg.Vocab]
		for i := range s.Logits {
			s.Logits[i] = float32(i%7) * 0.1
		}
		// When a constraint masks the scripted token, fall back to tokens
		// that end JSON values soon (so constrained output terminates).
		for i, id := range m.closers {
			s.Logits[id] = float32(25 - i)
		}
		s.Logits[m.next(hist[:plen], hist[plen:])] = 50
	}
	return nil
}

// next returns the token that continues the script's answer.
func (m *scriptModel) next(prompt, gen []int) int {
	want := m.script(m.tok.Decode(prompt))
	if want == forever {
		return m.tick
	}
	// Continue the script after whatever the output already holds (text a
	// constraint forced comes before the script's own text).
	have := m.tok.Decode(gen)
	for k := 0; k <= len(have); k++ {
		if strings.HasPrefix(want, have[k:]) {
			if k == len(have) && k > 0 && strings.Contains(have, want[:min(len(want), 6)]) {
				break // the script ran already; do not start it over
			}
			rest := want[len(have)-k:]
			if rest == "" {
				return m.tok.EOS()
			}
			return m.tok.Encode(rest)[0]
		}
	}
	return m.tok.EOS()
}

// v3Tokenizer loads the real DeepSeek-V3 tokenizer once per test binary.
var v3Tokenizer = sync.OnceValues(func() (*tokenizer.Tokenizer, error) {
	return tokenizer.Load("../testdata/tokenizers/deepseek_v3")
})

// textWith builds a bundle.Text from the real V3 tokenizer and a chat
// template file of testdata/chat-templates (a model folder in a temp dir).
func textWith(t testing.TB, templateFile string) *bundle.Text {
	t.Helper()
	dir := t.TempDir()
	src, err := os.ReadFile("../testdata/chat-templates/templates/" + templateFile)
	if err != nil {
		t.Fatal(err)
	}
	tj, err := os.ReadFile("../testdata/tokenizers/deepseek_v3/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg := `{"add_bos_token": true, "add_eos_token": false, "bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>", "model_max_length": 131072, "chat_template": ` + jsonString(string(src)) + `}`
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), tj, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	text, err := bundle.OpenText(dir)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// testServer is a running server over a scripted model.
type testServer struct {
	*httptest.Server
	srv    *Server
	eng    *engine.Engine
	model  *scriptModel
	client openai.Client
}

type serverConfig struct {
	template  string // chat template file (default deepseek-v3.1.jinja)
	script    script
	delay     time.Duration
	maxBatch  int
	maxQueue  int
	keepAlive time.Duration
	keys      []string
	prefix    bool // prefix caching on
}

// text bundles are cached per template: the tokenizer is the slow part.
var textCache sync.Map

func newTestServer(t testing.TB, c serverConfig) *testServer {
	t.Helper()
	if c.template == "" {
		c.template = "deepseek-v3.1.jinja"
	}
	tok, err := v3Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	var text *bundle.Text
	if v, ok := textCache.Load(c.template); ok {
		cp := *v.(*bundle.Text)
		text = &cp
	} else {
		text = textWith(t, c.template)
		textCache.Store(c.template, text)
		cp := *text
		text = &cp
	}
	text.Tokenizer = tok
	fm := newScriptModel(tok, c.script)
	fm.delay = c.delay
	eng, err := engine.New(fm, engine.Options{MaxBatch: c.maxBatch, MaxQueue: c.maxQueue, Context: 4096, CacheBytes: 1 << 20, BlockTokens: 16, PrefixCache: c.prefix, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{
		Models:    []Model{{Name: "v3", Bundle: &bundle.Bundle{Text: text, Model: fm}, Engine: eng}},
		APIKeys:   c.keys,
		Logger:    slog.New(slog.DiscardHandler),
		KeepAlive: c.keepAlive,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		eng.Close()
	})
	key := "sk-test"
	if len(c.keys) > 0 {
		key = c.keys[0]
	}
	client := openai.NewClient(option.WithBaseURL(ts.URL+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
	return &testServer{Server: ts, srv: srv, eng: eng, model: fm, client: client}
}

// fixed is a script that always answers text.
func fixed(text string) script { return func(string) string { return text } }
