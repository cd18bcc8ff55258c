package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// partsFromJSON builds GGUF-style parts from a tokenizer.json, the way
// llama.cpp's converter does: tokens in id order, added special tokens as
// control, other added tokens as user-defined, merges as "a b".
func partsFromJSON(t *testing.T, dir, pre string) Parts {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Model struct {
			Vocab  map[string]int    `json:"vocab"`
			Merges []json.RawMessage `json:"merges"`
		} `json:"model"`
		AddedTokens []struct {
			ID      int    `json:"id"`
			Content string `json:"content"`
			Special bool   `json:"special"`
		} `json:"added_tokens"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, id := range f.Model.Vocab {
		n = max(n, id+1)
	}
	for _, a := range f.AddedTokens {
		n = max(n, a.ID+1)
	}
	p := Parts{Tokens: make([]string, n), Types: make([]TokenType, n), Pre: pre, BOS: -1, EOS: -1}
	for s, id := range f.Model.Vocab {
		p.Tokens[id], p.Types[id] = s, TypeNormal
	}
	for _, a := range f.AddedTokens {
		p.Tokens[a.ID], p.Types[a.ID] = a.Content, TypeUserDefined
		if a.Special {
			p.Types[a.ID] = TypeControl
		}
	}
	for i, s := range p.Tokens {
		if s == "" {
			p.Tokens[i], p.Types[i] = "[PAD"+string(rune('0'+i%10))+"]", TypeUnused
		}
	}
	for _, m := range f.Model.Merges {
		var s string
		if json.Unmarshal(m, &s) != nil {
			var pair [2]string
			if err := json.Unmarshal(m, &pair); err != nil {
				t.Fatal(err)
			}
			s = pair[0] + " " + pair[1]
		}
		p.Merges = append(p.Merges, s)
	}
	return p
}

// tokenizeExamples is llama.cpp's tokenize_examples.json.
type tokenizeExamples struct {
	Examples []struct {
		Text string `json:"text"`
		IDs  []int  `json:"ids"`
	} `json:"examples"`
}

func TestPartsExamples(t *testing.T) {
	for _, tc := range []struct {
		name, dir, examples, pre string
	}{
		{"gguf-deepseek-v3", "../testdata/gguf/tokenizer", "../testdata/gguf/tokenizer/tokenize_examples.json", "deepseek-v3"},
		{"distill-qwen", "../testdata/distill/tiny-r1-distill-qwen/hf", "../testdata/distill/tiny-r1-distill-qwen/golden/tokenize_examples.json", "deepseek-r1-qwen"},
		{"distill-llama", "../testdata/distill/tiny-r1-distill-llama/hf", "../testdata/distill/tiny-r1-distill-llama/golden/tokenize_examples.json", "llama-bpe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := os.ReadFile(tc.examples)
			if err != nil {
				t.Fatal(err)
			}
			var ex tokenizeExamples
			if err := json.Unmarshal(b, &ex); err != nil {
				t.Fatal(err)
			}
			if len(ex.Examples) == 0 {
				t.Fatal("no examples")
			}
			fromJSON, err := Load(tc.dir)
			if err != nil {
				t.Fatal(err)
			}
			fromParts, err := FromParts(partsFromJSON(t, tc.dir, tc.pre))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ex.Examples {
				for name, tk := range map[string]*Tokenizer{"tokenizer.json": fromJSON, "parts": fromParts} {
					got := tk.Encode(e.Text)
					if !equalIDs(got, e.IDs) {
						t.Errorf("%s: %q: got %v, want %v", name, e.Text, got, e.IDs)
					}
					if s := tk.Decode(got); s != e.Text {
						t.Errorf("%s: decode(encode(%q)) = %q", name, e.Text, s)
					}
				}
			}
		})
	}
}

// TestPartsCorpus builds each corpus tokenizer from GGUF-style parts and
// checks it against the reference ids of the whole corpus.
func TestPartsCorpus(t *testing.T) {
	lines := corpus(t)
	pres := map[string]string{"deepseek_v3": "deepseek-v3", "qwen3": "qwen2", "llama3": "llama-bpe"}
	for _, tc := range corpusTokenizers {
		t.Run(tc.name, func(t *testing.T) {
			tk, err := FromParts(partsFromJSON(t, filepath.Join(fixtures, tc.name), pres[tc.name]))
			if err != nil {
				t.Fatal(err)
			}
			bad := 0
			for i, l := range lines {
				if got := tk.Encode(l.Text); !equalIDs(got, tc.ids(l)) {
					bad++
					if bad <= 3 {
						t.Errorf("line %d (%s): ids differ at %d", i+1, l.Kind, firstDiff(got, tc.ids(l)))
					}
				}
			}
		})
	}
}

func TestFromPartsErrors(t *testing.T) {
	ok := Parts{Tokens: []string{"a", "b", "ab"}, Merges: []string{"a b"}, Pre: "deepseek-v3", BOS: -1, EOS: -1}
	for _, tc := range []struct {
		name string
		edit func(p *Parts)
		want string
	}{
		{"unknown pre", func(p *Parts) { p.Pre = "nonesuch" }, `unknown pre-tokenizer "nonesuch"`},
		{"no tokens", func(p *Parts) { p.Tokens = nil }, "no tokens"},
		{"types length", func(p *Parts) { p.Types = []TokenType{1} }, "1 token types for 3 tokens"},
		{"bad type", func(p *Parts) { p.Types = []TokenType{1, 9, 1} }, "unknown type 9"},
		{"bad merge", func(p *Parts) { p.Merges = []string{"ab"} }, "not two tokens"},
		{"merge not in vocab", func(p *Parts) { p.Merges = []string{"a c"} }, `token "c" is not in the vocabulary`},
		{"bos out of range", func(p *Parts) { p.BOS = 7 }, "special token id 7"},
		{"add bos without bos", func(p *Parts) { p.AddBOS = true }, "no BOS token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ok
			tc.edit(&p)
			_, err := FromParts(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := FromParts(ok); err != nil {
		t.Fatal(err)
	}
}

// FuzzFromParts: any GGUF-style parts give a tokenizer or an error, never a
// panic; a tokenizer that builds encodes and decodes anything.
func FuzzFromParts(f *testing.F) {
	f.Add("a\x00b\x00ab\x00<s>", "a b", "\x01\x01\x01\x03", 0, "ab<s>ab 12")
	f.Add("Ġ\x00t\x00Ġt\x00中", "Ġ t", "", 3, " t中")
	pres := PreTokenizers()
	f.Fuzz(func(t *testing.T, tokens, merges, types string, pre int, text string) {
		p := Parts{Tokens: strings.Split(tokens, "\x00"), BOS: -1, EOS: -1}
		if merges != "" {
			p.Merges = strings.Split(merges, "\n")
		}
		if types != "" {
			for i := range len(p.Tokens) {
				p.Types = append(p.Types, TokenType(types[i%len(types)]))
			}
		}
		p.Pre = pres[((pre%len(pres))+len(pres))%len(pres)]
		tk, err := FromParts(p)
		if err != nil {
			return
		}
		ids := tk.Encode(text)
		tk.Decode(ids)
	})
}
