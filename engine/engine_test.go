package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/seekd/seekd/model"
	"github.com/seekd/seekd/tensor"
)

const fixture = "../testdata/deepseek/tiny-v3"

func loadTiny(t *testing.T) model.Model {
	t.Helper()
	pool := tensor.NewPool(0)
	t.Cleanup(pool.Close)
	m, err := model.Load(fixture, model.Options{Pool: pool})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func goldenTokens(t *testing.T) (prompt, greedy []int) {
	t.Helper()
	var g struct {
		Prompt []int `json:"prompt_token_ids"`
		Greedy []int `json:"greedy_token_ids"`
	}
	data, err := os.ReadFile(fixture + "/golden/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	return g.Prompt, g.Greedy
}

// collect reads a stream to its end.
func collect(t *testing.T, st *Stream) ([]int, Event) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var ids []int
	for {
		ev, err := st.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Done {
			return ids, ev
		}
		ids = append(ids, ev.Token.ID)
	}
}

func newEngine(t *testing.T, m model.Model, opt Options) *Engine {
	t.Helper()
	e, err := New(m, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func TestGreedyMatchesGolden(t *testing.T) {
	m := loadTiny(t)
	prompt, greedy := goldenTokens(t)
	e := newEngine(t, m, Options{})
	st, err := e.Submit(context.Background(), &Request{Prompt: prompt, MaxTokens: len(greedy)})
	if err != nil {
		t.Fatal(err)
	}
	ids, end := collect(t, st)
	if fmt.Sprint(ids) != fmt.Sprint(greedy) {
		t.Fatalf("tokens %v, want %v", ids, greedy)
	}
	if end.Finish != FinishLength || end.Usage.PromptTokens != len(prompt) || end.Usage.CompletionTokens != len(greedy) {
		t.Fatalf("final event %+v", end)
	}
	if u := e.Stats().CacheBlocksUsed; u != 0 {
		t.Fatalf("%d cache blocks still in use", u)
	}
}

// Sequences batched together, with chunked prefill and preemption under a
// small cache, produce exactly what each produces alone.
func TestContinuousBatchingIsExact(t *testing.T) {
	m := loadTiny(t)
	prompt, _ := goldenTokens(t)
	var reqs []*Request
	for i := 0; i < 6; i++ {
		p := append([]int{0}, prompt[1+i:]...)
		reqs = append(reqs, &Request{Prompt: p, MaxTokens: 10 + i})
	}
	alone := newEngine(t, m, Options{MaxBatch: 1})
	want := make([][]int, len(reqs))
	for i, r := range reqs {
		st, err := alone.Submit(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		want[i], _ = collect(t, st)
	}
	c := m.Config()
	blockBytes := int64(c.Layers * c.KVWidth() * 4 * 8)
	for i, opt := range []Options{
		{PrefillChunk: 5},
		{PrefillChunk: 7, BlockTokens: 8, CacheBytes: 9 * blockBytes}, // forces preemption
	} {
		preempt := i == 1
		e := newEngine(t, m, opt)
		var wg sync.WaitGroup
		got := make([][]int, len(reqs))
		for i, r := range reqs {
			st, err := e.Submit(context.Background(), r)
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				got[i], _ = collect(t, st)
			}()
		}
		wg.Wait()
		for i := range reqs {
			if fmt.Sprint(got[i]) != fmt.Sprint(want[i]) {
				t.Errorf("%+v: request %d: %v, want %v", opt, i, got[i], want[i])
			}
		}
		if u := e.Stats().CacheBlocksUsed; u != 0 {
			t.Errorf("%+v: %d cache blocks still in use", opt, u)
		}
		if p := e.Stats().Preemptions; preempt && p == 0 {
			t.Errorf("%+v: no preemption happened", opt)
		}
	}
}

func TestCancelFreesCache(t *testing.T) {
	m := loadTiny(t)
	prompt, _ := goldenTokens(t)
	e := newEngine(t, m, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	st, err := e.Submit(ctx, &Request{Prompt: prompt, MaxTokens: 200})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	cancel()
	_, end := collect(t, st)
	if end.Finish != FinishCancelled {
		t.Fatalf("finish %q", end.Finish)
	}
	if u := e.Stats().CacheBlocksUsed; u != 0 {
		t.Fatalf("%d cache blocks still in use", u)
	}
	// Closing the stream works the same way.
	st, _ = e.Submit(context.Background(), &Request{Prompt: prompt, MaxTokens: 200})
	st.Next(context.Background())
	st.Close()
	if _, end := collect(t, st); end.Finish != FinishCancelled {
		t.Fatalf("finish after Close %q", end.Finish)
	}
}

func TestSubmitErrors(t *testing.T) {
	m := loadTiny(t)
	e := newEngine(t, m, Options{MaxQueue: 1, MaxBatch: 1})
	var tooLong *PromptTooLongError
	if _, err := e.Submit(context.Background(), &Request{Prompt: make([]int, 300)}); !errors.As(err, &tooLong) {
		t.Errorf("long prompt: %v", err)
	}
	if _, err := e.Submit(context.Background(), &Request{Prompt: []int{0, 1}, MaxTokens: 255}); !errors.As(err, &tooLong) {
		t.Errorf("prompt + max_tokens over the context: %v", err)
	}
	if _, err := e.Submit(context.Background(), &Request{Prompt: []int{0, 9999}}); err == nil {
		t.Error("bad token id accepted")
	}
	if _, err := e.Submit(context.Background(), &Request{}); err == nil {
		t.Error("empty prompt accepted")
	}
	e.Close()
	if _, err := e.Submit(context.Background(), &Request{Prompt: []int{0}}); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestStopTokensAndLogprobs(t *testing.T) {
	m := loadTiny(t)
	prompt, greedy := goldenTokens(t)
	e := newEngine(t, m, Options{})
	st, _ := e.Submit(context.Background(), &Request{Prompt: prompt, MaxTokens: 16, StopTokens: []int{greedy[3]}, Logprobs: true, TopLogprobs: 5})
	ctx := context.Background()
	var n int
	for {
		ev, err := st.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Done {
			if ev.Finish != FinishStop || n != 3 || ev.Usage.CompletionTokens != 4 {
				t.Fatalf("end %+v after %d tokens", ev, n)
			}
			break
		}
		n++
		tk := ev.Token
		if len(tk.Top) != 5 || tk.Top[0].ID != tk.ID || tk.Top[0].Logprob != tk.Logprob || tk.Logprob > 0 {
			t.Fatalf("logprobs %+v", tk)
		}
		for i := 1; i < len(tk.Top); i++ {
			if tk.Top[i].Logprob > tk.Top[i-1].Logprob {
				t.Fatalf("top logprobs not sorted: %+v", tk.Top)
			}
		}
	}
}

func TestQueueFull(t *testing.T) {
	m := loadTiny(t)
	prompt, _ := goldenTokens(t)
	e := newEngine(t, m, Options{MaxQueue: 1, MaxBatch: 1})
	var streams []*Stream
	var full bool
	for i := 0; i < 10; i++ {
		st, err := e.Submit(context.Background(), &Request{Prompt: prompt, MaxTokens: 50})
		if errors.Is(err, ErrQueueFull) {
			full = true
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		streams = append(streams, st)
	}
	if !full {
		t.Fatal("the queue never filled")
	}
	for _, st := range streams {
		st.Close()
		collect(t, st)
	}
}
