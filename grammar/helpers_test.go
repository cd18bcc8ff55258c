package grammar

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/seekd/seekd/tokenizer"
)

// byteVocab is a vocabulary of the 256 single bytes plus an EOS token (id
// 256, text "<eos>") and a control token (id 257, "<|sep|>").
func byteVocab(t testing.TB) *Vocab {
	t.Helper()
	tokens := make([][]byte, 258)
	for b := range 256 {
		tokens[b] = []byte{byte(b)}
	}
	tokens[256] = []byte("<eos>")
	tokens[257] = []byte("<|sep|>")
	v, err := NewVocab(tokens, []int{257}, 256)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// prefixLen feeds s byte by byte and returns how many bytes were taken
// before the first rejected one (len(s) if all).
func prefixLen(t testing.TB, c *Constraint, s string) int {
	t.Helper()
	for i := range len(s) {
		if err := c.Feed([]byte{s[i]}); err != nil {
			if !errors.Is(err, ErrRejected) {
				t.Fatalf("Feed: unexpected error %v", err)
			}
			return i
		}
	}
	return len(s)
}

// recognize reports whether s is a complete output of the grammar (EOS
// after it when the value could go on).
func recognize(t testing.TB, g *Grammar, s string) (int, bool) {
	t.Helper()
	c, err := g.New()
	if err != nil {
		t.Fatal(err)
	}
	n := prefixLen(t, c, s)
	if n < len(s) {
		return n, false
	}
	return n, c.Complete() || c.Accepting()
}

// fixture loads a tokenizer fixture and its vocabulary once per test binary.
func fixture(t testing.TB, name string) (*tokenizer.Tokenizer, *Vocab) {
	t.Helper()
	f := fixtures[name]
	if f == nil {
		t.Fatalf("no fixture %q", name)
	}
	l, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return l.tok, l.v
}

type loaded struct {
	tok *tokenizer.Tokenizer
	v   *Vocab
}

func loadFixture(name string) func() (loaded, error) {
	return sync.OnceValues(func() (loaded, error) {
		tok, err := tokenizer.Load(filepath.Join("..", "testdata", "tokenizers", name))
		if err != nil {
			return loaded{}, err
		}
		v, err := FromTokenizer(tok)
		return loaded{tok, v}, err
	})
}

// fixtures are shared by the tests (loading DeepSeek's takes a while).
var fixtures = map[string]func() (loaded, error){
	"deepseek_v3": loadFixture("deepseek_v3"),
	"qwen3":       loadFixture("qwen3"),
	"llama3":      loadFixture("llama3"),
}

// jsonUnmarshalNumber decodes JSON with numbers kept as their text.
func jsonUnmarshalNumber(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	// Numbers as strings, for big.Rat.
	if m, ok := v.(*map[string]any); ok {
		for k, x := range *m {
			if n, ok := x.(json.Number); ok {
				(*m)[k] = string(n)
			}
		}
	}
	return nil
}
