package tokenizer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	good := string(tinyJSON(t, []string{"ab"}, []string{"a b"}, nil, nil, nil))
	for _, tc := range []struct {
		name, json, config, want string
	}{
		{"not JSON", "{", "", "tokenizer.json: JSON at byte 1"},
		{"trailing data", good + "x", "", "data after the top-level object"},
		{"no vocab", `{"model":{"type":"BPE"}}`, "", "model.vocab missing"},
		{"wordpiece", strings.Replace(good, `"type":"BPE"`, `"type":"WordPiece"`, 1), "", `model.type "WordPiece"`},
		{"byte fallback", strings.Replace(good, `"type":"BPE"`, `"type":"BPE","byte_fallback":true`, 1), "", "byte_fallback"},
		{"dropout", strings.Replace(good, `"type":"BPE"`, `"type":"BPE","dropout":0.1`, 1), "", "dropout"},
		{"merge of unknown token", strings.Replace(good, `"a b"`, `"a q!"`, 1), "", `merge 0: token "q!" is not in the vocabulary`},
		{"merge without space", strings.Replace(good, `"a b"`, `"ab"`, 1), "", "merge 0"},
		{"merged token not in vocab", strings.Replace(good, `"a b"`, `"b a"`, 1), "", `merged token "ba"`},
		{"id out of range", strings.Replace(good, `"ab":256`, `"ab":99999999`, 1), "", "out of range"},
		{"negative id", strings.Replace(good, `"ab":256`, `"ab":-1`, 1), "", "non-negative integer"},
		{"duplicate id", strings.Replace(good, `"ab":256`, `"ab":97`, 1), "", "id 97 given to"},
		{"unknown pre-tokenizer", strings.Replace(good, `"type":"ByteLevel","use_regex":false`, `"type":"Metaspace"`, 1), "", `pre-tokenizer type "Metaspace"`},
		{"bad regex", strings.Replace(good, `"Regex":"\\p{N}{1,3}"`, `"Regex":"(("`, 1), "", "split regex"},
		{"unknown behavior", strings.Replace(good, `"behavior":"Isolated"`, `"behavior":"Sideways"`, 1), "", `unknown split behavior "Sideways"`},
		{"unknown normalizer", strings.Replace(good, `"normalizer":null`, `"normalizer":{"type":"Precompiled"}`, 1), "", `normalizer: unsupported type "Precompiled"`},
		{"unknown decoder", strings.Replace(good, `"decoder":{"type":"ByteLevel"}`, `"decoder":{"type":"WordPiece"}`, 1), "", `decoder type "WordPiece"`},
		{"added token without id", strings.Replace(good, `"added_tokens":[]`, `"added_tokens":[{"content":"<x>"}]`, 1), "", "added_tokens[0]: no id"},
		{"config bos not in vocab", good, `{"bos_token":"<nope>"}`, `tokenizer_config.json: bos_token "<nope>" is not in the vocabulary`},
		{"config add_bos without bos", good, `{"add_bos_token":true}`, "no bos_token"},
		{"config not JSON", good, `{`, "tokenizer_config.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.json == good && tc.config == "" {
				t.Fatal("test case changes nothing")
			}
			var cfg []byte
			if tc.config != "" {
				cfg = []byte(tc.config)
			}
			_, err := Parse([]byte(tc.json), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := Parse([]byte(good), nil); err != nil {
		t.Fatal(err)
	}
}

func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "missing")); err == nil {
		t.Error("Load of a missing path succeeded")
	}
	gguf := filepath.Join(dir, "model.gguf")
	if err := os.WriteFile(gguf, []byte("GGUF"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(gguf); err == nil || !strings.Contains(err.Error(), "GGUF") {
		t.Errorf("Load(.gguf) = %v, want a GGUF error", err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "tokenizer.json") {
		t.Errorf("Load(empty dir) = %v, want an error naming tokenizer.json", err)
	}
	// A tokenizer.json given directly picks up the config beside it.
	tk, err := Load(filepath.Join(fixtures, "deepseek_v3", "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !tk.AddBOS() || tk.BOS() != 0 {
		t.Errorf("config beside tokenizer.json not read: AddBOS %v BOS %d", tk.AddBOS(), tk.BOS())
	}
}

// FuzzParse: any tokenizer.json gives a tokenizer or an error, never a
// panic or a hang; a tokenizer that loads encodes and decodes anything.
func FuzzParse(f *testing.F) {
	f.Add(tinyJSON(f, []string{"ab"}, []string{"a b"}, nil, nil, nil), "hello ab 123")
	f.Add(tinyJSON(f, []string{"ab"}, []string{"a b"}, []map[string]any{addedJSON(300, "<s>", true, "lstrip", "rstrip")}, map[string]any{"type": "NFC"}, nil), " <s> x")
	f.Add([]byte(`{"model":{"vocab":{"a":0},"merges":[]},"decoder":{"type":"ByteLevel"}}`), "a")
	f.Add([]byte(`{"model":{"vocab":{"\u0120":0,"\ud83d\ude00":1},"merges":[["\u0120","x"]]}}`), "")
	f.Fuzz(func(t *testing.T, data []byte, text string) {
		tk, err := Parse(data, nil)
		if err != nil {
			return
		}
		ids := tk.Encode(text)
		tk.Decode(ids)
		d := tk.NewDetokenizer()
		for _, id := range ids {
			d.Add(id)
		}
		d.Flush()
	})
}
