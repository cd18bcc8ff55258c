package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/seekd/seekd/tokenizer"
)

func runWithStdin(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runIO(args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// TestTokenizeCommandCorpus pipes the reference corpus through the command
// for each tokenizer (a folder and a tokenizer.json path) and compares ids.
func TestTokenizeCommandCorpus(t *testing.T) {
	data, err := os.ReadFile("../../testdata/tokenizers/encodings.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var want []map[string]json.RawMessage
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		want = append(want, m)
	}
	for _, tc := range []struct{ name, path string }{
		{"deepseek_v3", "../../testdata/tokenizers/deepseek_v3"},
		{"qwen3", "../../testdata/tokenizers/qwen3/tokenizer.json"},
		{"llama3", "../../testdata/tokenizers/llama3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runWithStdin(t, string(data), "tokenize", "--model", tc.path)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
			if len(lines) != len(want) {
				t.Fatalf("%d output lines, want %d", len(lines), len(want))
			}
			for i, l := range lines {
				var got struct {
					IDs json.RawMessage `json:"ids"`
				}
				if err := json.Unmarshal([]byte(l), &got); err != nil {
					t.Fatalf("line %d: %v", i+1, err)
				}
				var a, b []int
				json.Unmarshal(got.IDs, &a)
				json.Unmarshal(want[i][tc.name], &b)
				if len(a) != len(b) {
					t.Fatalf("line %d: %d ids, want %d", i+1, len(a), len(b))
				}
				for k := range a {
					if a[k] != b[k] {
						t.Fatalf("line %d: id %d is %d, want %d", i+1, k, a[k], b[k])
					}
				}
			}
		})
	}
}

func TestTokenizeCommand(t *testing.T) {
	model := "../../testdata/tokenizers/deepseek_v3"
	stdout, stderr, code := runWithStdin(t, "{\"text\":\"\"}\n\n{\"text\":\"<｜User｜>hi\"}", "tokenize", "--model", model)
	// "<｜User｜>" is one token (128803), then "hi" follows.
	if code != 0 || !strings.HasPrefix(stdout, "{\"ids\":[]}\n{\"ids\":[128803,") || strings.Count(stdout, "\n") != 2 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	tk, err := tokenizer.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	a := strconv.Itoa(tk.Encode("a")[0]) // the lines before a bad one are written
	// A .gguf that is not a GGUF file fails, naming the file.
	gguf := filepath.Join(t.TempDir(), "m.gguf")
	if err := os.WriteFile(gguf, []byte("GGUF"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runWithStdin(t, "", "tokenize", "--model", gguf); code == 0 || !strings.Contains(stderr, "m.gguf") {
		t.Errorf("broken .gguf: exit %d, stderr %q", code, stderr)
	}
	for _, tc := range []struct {
		name, stdin string
		args        []string
		code        int
		stdout      string
		stderr      string
	}{
		{"no model", "", []string{"tokenize"}, 2, "", "--model is required"},
		{"missing model", "", []string{"tokenize", "--model", "/nonexistent"}, 2, "", "no such file"},
		{"folder without tokenizer", "", []string{"tokenize", "--model", t.TempDir()}, 2, "", "no tokenizer.json"},
		{"bad JSON", "{\"text\":\"a\"}\n{oops\n", []string{"tokenize", "--model", model}, 1, "{\"ids\":[" + a + "]}\n", "stdin line 2: want a JSON object"},
		{"no text", "{\"txt\":\"a\"}\n", []string{"tokenize", "--model", model}, 1, "", `stdin line 1: no "text" field`},
		{"text not a string", "{\"text\":5}\n", []string{"tokenize", "--model", model}, 1, "", `"text" is not a string`},
		{"extra argument", "", []string{"tokenize", "--model", model, "x"}, 2, "", "unknown command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := runWithStdin(t, tc.stdin, tc.args...)
			if code != tc.code || stdout != tc.stdout || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d, stdout %q, stderr containing %q",
					code, stdout, stderr, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}
