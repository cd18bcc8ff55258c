package model

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/seekd/seekd/kvcache"
	"github.com/seekd/seekd/tensor"
)

// golden is what the fixtures' golden.json and request.json hold.
type golden struct {
	dir            string
	Prompt         []int `json:"prompt_token_ids"`
	Greedy         []int `json:"greedy_token_ids"`
	PrefillRouting struct {
		Layers map[string]struct {
			ExpertIDs [][]int     `json:"expert_ids"`
			Weights   [][]float64 `json:"weights"`
		} `json:"layers"`
	} `json:"prefill_routing"`
}

func readGolden(t *testing.T, dir string) *golden {
	t.Helper()
	g := &golden{dir: dir}
	data, err := os.ReadFile(filepath.Join(dir, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, g); err != nil {
		t.Fatal(err)
	}
	return g
}

// bin reads a raw little-endian float32 file (nil if absent).
func (g *golden) bin(t *testing.T, name string) []float32 {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(g.dir, name))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float32, len(data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
	}
	return out
}

func maxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var m float64
	for i := range a {
		if d := math.Abs(float64(a[i] - b[i])); d > m || math.IsNaN(d) {
			m = d
		}
	}
	return m
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// newCache returns a cache with room for n positions.
func newCache(t *testing.T, c *Config, n int) *kvcache.Seq {
	t.Helper()
	p, err := kvcache.NewPool(kvcache.Layout{Layers: c.Layers, Width: c.KVWidth()}, 16, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	s := p.NewSeq()
	if err := s.Reserve(n); err != nil {
		t.Fatal(err)
	}
	return s
}

const logitTol = 1e-4

// checkGoldens runs a model through the fixture's prompt: one prefill call,
// one token per call, and greedy decoding, comparing logits, hidden states,
// routing and tokens with the reference.
func checkGoldens(t *testing.T, m Model, g *golden) {
	ctx := context.Background()
	c := m.Config()
	V := c.Vocab
	n := len(g.Prompt)
	total := n + len(g.Greedy)

	// Prefill, with traces of the residual stream and the routing.
	hidden := map[int][]float32{}
	routing := map[int][]float32{}
	routeW := map[int][]float32{}
	cache := newCache(t, c, total)
	seq := &Seq{Tokens: g.Prompt, KV: cache, AllLogits: true}
	err := m.Forward(ctx, &Batch{Seqs: []*Seq{seq}, Trace: func(name string, l, rows int, data []float32) {
		switch name {
		case "l_out":
			hidden[l] = append([]float32(nil), data...)
		case "ffn_moe_topk":
			routing[l] = append([]float32(nil), data...)
		case "ffn_moe_weights":
			routeW[l] = append([]float32(nil), data...)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := g.bin(t, "prefill_logits.bin")
	if d := maxAbsDiff(seq.Logits, want); d > logitTol {
		t.Errorf("prefill logits: max abs diff %.3g > %g", d, logitTol)
	} else {
		t.Logf("prefill logits: max abs diff %.3g", d)
	}
	for r := 0; r < n; r++ {
		if a, b := argmax(seq.Logits[r*V:(r+1)*V]), argmax(want[r*V:(r+1)*V]); a != b {
			t.Errorf("prefill row %d: argmax %d, want %d", r, a, b)
		}
	}
	if hs := g.bin(t, "hidden_states.bin"); hs != nil {
		D := c.Hidden
		for l := 0; l < c.Layers; l++ {
			if d := maxAbsDiff(hidden[l], hs[l*n*D:(l+1)*n*D]); d > logitTol {
				t.Errorf("hidden state after layer %d: max abs diff %.3g", l, d)
			}
		}
	}
	for ls, lr := range g.PrefillRouting.Layers {
		var l int
		fmt.Sscan(ls, &l)
		got := routing[l]
		k := c.ExpertsPerTok
		if len(got) != n*k || len(lr.ExpertIDs) != n {
			t.Fatalf("layer %d: routing of %d values for %d positions", l, len(got), len(lr.ExpertIDs))
		}
		for p, ids := range lr.ExpertIDs {
			for j, id := range ids {
				if int(got[p*k+j]) == id && math.Abs(float64(routeW[l][p*k+j])-lr.Weights[p][j]) > 1e-5 {
					t.Errorf("layer %d position %d expert %d: weight %v, want %v", l, p, id, routeW[l][p*k+j], lr.Weights[p][j])
				}
			}
			gotSet := make([]int, k)
			for j := range gotSet {
				gotSet[j] = int(got[p*k+j])
			}
			wantSet := append([]int(nil), ids...)
			sort.Ints(gotSet)
			sort.Ints(wantSet)
			if fmt.Sprint(gotSet) != fmt.Sprint(wantSet) {
				t.Errorf("layer %d position %d: experts %v, want %v", l, p, gotSet, wantSet)
			}
		}
	}

	// Greedy decoding continues from the prefill.
	gl := g.bin(t, "greedy_logits.bin")
	last := seq.Logits[(n-1)*V:]
	var tokens []int
	for i := range g.Greedy {
		if i > 0 {
			s := &Seq{Tokens: []int{tokens[i-1]}, Pos: n + i - 1, KV: cache}
			if err := m.Forward(ctx, &Batch{Seqs: []*Seq{s}}); err != nil {
				t.Fatal(err)
			}
			last = s.Logits
		}
		if d := maxAbsDiff(last, gl[i*V:(i+1)*V]); d > logitTol {
			t.Errorf("greedy step %d: max abs diff %.3g", i, d)
		}
		tokens = append(tokens, argmax(last))
	}
	if fmt.Sprint(tokens) != fmt.Sprint(g.Greedy) {
		t.Errorf("greedy tokens %v, want %v", tokens, g.Greedy)
	}

	// One token per call through the cache.
	if inc := g.bin(t, "incremental_logits.bin"); inc != nil {
		cache := newCache(t, c, n)
		var worst float64
		for p := 0; p < n; p++ {
			s := &Seq{Tokens: g.Prompt[p : p+1], Pos: p, KV: cache}
			if err := m.Forward(ctx, &Batch{Seqs: []*Seq{s}}); err != nil {
				t.Fatal(err)
			}
			worst = math.Max(worst, maxAbsDiff(s.Logits, inc[p*V:(p+1)*V]))
		}
		if worst > logitTol {
			t.Errorf("incremental logits: max abs diff %.3g", worst)
		} else {
			t.Logf("incremental logits: max abs diff %.3g", worst)
		}
		checkBatchedDecode(t, m, g.Prompt, inc)
	}
}

// checkBatchedDecode runs decode steps of several sequences, each at its
// own position of the prompt, in one batch (as the engine does), and
// compares every sequence's logits with the reference's for that position.
func checkBatchedDecode(t *testing.T, m Model, prompt []int, inc []float32) {
	ctx := context.Background()
	c := m.Config()
	V, n := c.Vocab, len(prompt)
	var seqs []*Seq
	for _, p := range []int{n - 1, n / 2, 1, n - 2} {
		if p < 1 {
			continue
		}
		cache := newCache(t, c, n)
		if err := m.Forward(ctx, &Batch{Seqs: []*Seq{{Tokens: prompt[:p], KV: cache}}}); err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, &Seq{Tokens: prompt[p : p+1], Pos: p, KV: cache})
	}
	if err := m.Forward(ctx, &Batch{Seqs: seqs}); err != nil {
		t.Fatal(err)
	}
	for _, s := range seqs {
		if d := maxAbsDiff(s.Logits, inc[s.Pos*V:(s.Pos+1)*V]); d > logitTol {
			t.Errorf("batched decode at position %d: max abs diff %.3g", s.Pos, d)
		}
	}
}

func TestDeepSeekGoldens(t *testing.T) {
	pool := tensor.NewPool(0)
	defer pool.Close()
	for _, name := range []string{"tiny-v3", "tiny-v3-fp8", "tiny-v2"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("../testdata/deepseek", name)
			m, err := Load(dir, Options{Pool: pool})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			checkGoldens(t, m, readGolden(t, filepath.Join(dir, "golden")))
		})
	}
}

func TestDistillGoldens(t *testing.T) {
	pool := tensor.NewPool(0)
	defer pool.Close()
	for _, name := range []string{"tiny-r1-distill-qwen", "tiny-r1-distill-llama"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("../testdata/distill", name)
			m, err := Load(filepath.Join(dir, "hf"), Options{Pool: pool})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			g := readGolden(t, filepath.Join(dir, "golden"))
			if len(g.Prompt) == 0 {
				g.Prompt = readRequest(t, filepath.Join(dir, "golden"))
			}
			checkGoldens(t, m, g)
		})
	}
}

func readRequest(t *testing.T, dir string) []int {
	t.Helper()
	var r struct {
		Prompt []int `json:"prompt_token_ids"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "request.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r.Prompt
}
