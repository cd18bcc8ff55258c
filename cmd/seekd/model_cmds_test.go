package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runIO(args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, len(data)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return v
}

func TestLogitsAndGenerateCommands(t *testing.T) {
	dir := "../../testdata/deepseek/tiny-v3-fp8"
	var g struct {
		Prompt []int `json:"prompt_token_ids"`
		Greedy []int `json:"greedy_token_ids"`
	}
	data, _ := os.ReadFile(filepath.Join(dir, "golden/golden.json"))
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	ids := strings.Trim(strings.Join(strings.Fields(strings.Trim(jsonInts(g.Prompt), "[]")), ""), ",")
	for _, mode := range []string{"prefill", "incremental"} {
		out := filepath.Join(t.TempDir(), "logits.bin")
		if _, stderr, code := runCmd(t, "logits", "--model", dir, "--tokens", ids, "--mode", mode, "--out", out); code != 0 {
			t.Fatalf("%s: exit %d: %s", mode, code, stderr)
		}
		got := readF32(t, out)
		want := readF32(t, filepath.Join(dir, "golden", mode+"_logits.bin"))
		if len(got) != len(want) {
			t.Fatalf("%s: %d values, want %d", mode, len(got), len(want))
		}
		for i := range got {
			if math.Abs(float64(got[i]-want[i])) > 1e-4 {
				t.Fatalf("%s: value %d: %v, want %v", mode, i, got[i], want[i])
			}
		}
	}
	stdout, stderr, code := runCmd(t, "generate", "--model", dir, "--tokens", ids, "-n", "16")
	if code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	if want := strings.Trim(strings.ReplaceAll(jsonInts(g.Greedy), ",", " "), "[]") + "\n"; stdout != want {
		t.Fatalf("generate printed %q, want %q", stdout, want)
	}
}

func jsonInts(v []int) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestModelCommandUsageErrors(t *testing.T) {
	model := "../../testdata/deepseek/tiny-v3"
	for _, args := range [][]string{
		{"logits", "--model", model, "--tokens", "0,1", "--out", filepath.Join(t.TempDir(), "x"), "--bogus"},
		{"logits", "--model", "/no/such/model", "--tokens", "0,1", "--out", filepath.Join(t.TempDir(), "x")},
		{"logits", "--model", model, "--tokens", "0,512", "--out", filepath.Join(t.TempDir(), "x")},
		{"logits", "--model", model, "--tokens", "0,x", "--out", filepath.Join(t.TempDir(), "x")},
		{"logits", "--model", model, "--tokens", "0", "--mode", "sideways", "--out", filepath.Join(t.TempDir(), "x")},
		{"generate", "--model", model, "--tokens", "-1"},
		{"generate", "--tokens", "1"},
		{"no-such-command"},
	} {
		_, stderr, code := runCmd(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, stderr)
		}
		if lines := strings.Count(strings.TrimSpace(stderr), "\n"); lines != 0 || !strings.HasPrefix(stderr, "seekd: ") {
			t.Errorf("%v: stderr should be one line, got %q", args, stderr)
		}
	}
}
