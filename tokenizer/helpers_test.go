package tokenizer

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// tinyJSON builds a byte-level tokenizer.json whose vocabulary is the 256
// bytes (id = byte value), plus extra tokens (ids from 256) and merges, with
// DeepSeek-V3's pre-tokenizer unless pre is given.
func tinyJSON(t testing.TB, extra []string, merges []string, added []map[string]any, normalizer, pre any) []byte {
	t.Helper()
	alpha := byteLevelAlphabet()
	vocab := map[string]int{}
	var buf [4]byte
	for b := range 256 {
		n := utf8.EncodeRune(buf[:], alpha[b])
		vocab[string(buf[:n])] = b
	}
	for i, s := range extra {
		vocab[s] = 256 + i
	}
	if pre == nil {
		pre = map[string]any{"type": "Sequence", "pretokenizers": []any{
			map[string]any{"type": "Split", "pattern": map[string]any{"Regex": reDigits3}, "behavior": "Isolated", "invert": false},
			map[string]any{"type": "Split", "pattern": map[string]any{"Regex": reCJKDeepSeek}, "behavior": "Isolated", "invert": false},
			map[string]any{"type": "Split", "pattern": map[string]any{"Regex": reDeepSeekV3}, "behavior": "Isolated", "invert": false},
			map[string]any{"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false},
		}}
	}
	if added == nil {
		added = []map[string]any{}
	}
	if merges == nil {
		merges = []string{}
	}
	doc := map[string]any{
		"version":        "1.0",
		"added_tokens":   added,
		"normalizer":     normalizer,
		"pre_tokenizer":  pre,
		"post_processor": nil,
		"decoder":        map[string]any{"type": "ByteLevel"},
		"model":          map[string]any{"type": "BPE", "vocab": vocab, "merges": merges},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// addedJSON is one entry of added_tokens.
func addedJSON(id int, content string, special bool, flags ...string) map[string]any {
	m := map[string]any{"id": id, "content": content, "special": special,
		"lstrip": false, "rstrip": false, "single_word": false, "normalized": false}
	for _, f := range flags {
		m[f] = true
	}
	return m
}

// byteIDs is the encoding of s in the tiny tokenizer without merges.
func byteIDs(s string) []int {
	ids := make([]int, len(s))
	for i := range len(s) {
		ids[i] = int(s[i])
	}
	return ids
}

func concat(parts ...[]int) []int {
	var out []int
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
