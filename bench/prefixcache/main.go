// Command prefixcache measures what the prefix cache saves: the time to
// first token of a request that shares a long prefix (a system prompt plus
// a document) with an earlier one, in the same process and after a restart
// (a new engine reading the disk tier).
//
//	go run ./bench/prefixcache -model /tmp/seekd-bench-models/qwen2-1.5b-shape-Q4_0.gguf
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/seekd/seekd/engine"
	"github.com/seekd/seekd/kvcache"
	"github.com/seekd/seekd/model"
	"github.com/seekd/seekd/tensor"
)

func main() {
	path := flag.String("model", "", "model folder or .gguf file")
	prefix := flag.Int("prefix", 2000, "shared prefix tokens")
	question := flag.Int("question", 16, "question tokens")
	threads := flag.Int("threads", 0, "threads (0: one per CPU)")
	act := flag.String("activations", "q8", "q8 or exact")
	flag.Parse()
	if *path == "" {
		fmt.Fprintln(os.Stderr, "usage: prefixcache -model PATH [-prefix 2000] [-question 16]")
		os.Exit(2)
	}
	if err := run(*path, *prefix, *question, *threads, *act); err != nil {
		fmt.Fprintln(os.Stderr, "prefixcache:", err)
		os.Exit(1)
	}
}

func run(path string, prefix, question, threads int, act string) error {
	a, err := tensor.ParseActivations(act)
	if err != nil {
		return err
	}
	pool := tensor.NewPool(threads, tensor.WithActivations(a))
	defer pool.Close()
	m, err := model.Load(path, model.Options{Pool: pool})
	if err != nil {
		return err
	}
	defer m.Close()
	c := m.Config()
	digest, err := model.Digest(path)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "seekd-prefixcache-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	rng := rand.New(rand.NewPCG(1, 2))
	tokens := func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = 2 + rng.IntN(c.Vocab-2)
		}
		return out
	}
	shared := append([]int{max(c.BOS, 0)}, tokens(prefix-1)...)
	ask := func(e *engine.Engine) (time.Duration, engine.Usage, error) {
		prompt := append(append([]int(nil), shared...), tokens(question)...)
		start := time.Now()
		st, err := e.Submit(context.Background(), &engine.Request{Prompt: prompt, MaxTokens: 1, CacheScope: "bench"})
		if err != nil {
			return 0, engine.Usage{}, err
		}
		var ttft time.Duration
		for {
			ev, err := st.Next(context.Background())
			if err != nil {
				return 0, engine.Usage{}, err
			}
			if ev.Token != nil && ttft == 0 {
				ttft = time.Since(start)
			}
			if ev.Done {
				return ttft, ev.Usage, ev.Err
			}
		}
	}
	newEngine := func() (*engine.Engine, error) {
		d, err := kvcache.OpenDisk(kvcache.DiskOptions{Dir: dir, ModelDigest: digest, MaxBytes: 64 << 30,
			Layout: kvcache.Layout{Layers: c.Layers, Width: c.KVWidth()}, BlockTokens: 64})
		if err != nil {
			return nil, err
		}
		return engine.New(m, engine.Options{PrefixCache: true, Disk: d, BlockTokens: 64, CacheBytes: 4 << 30, Context: prefix + question + 64})
	}
	e, err := newEngine()
	if err != nil {
		return err
	}
	first, u1, err := ask(e)
	if err != nil {
		return err
	}
	second, u2, err := ask(e)
	if err != nil {
		return err
	}
	e.Close() // writes the disk tier
	e, err = newEngine()
	if err != nil {
		return err
	}
	defer e.Close()
	third, u3, err := ask(e)
	if err != nil {
		return err
	}
	fmt.Printf("model %s, prefix %d + question %d tokens, %d threads\n", path, prefix, question, pool.Threads())
	fmt.Printf("first request:       TTFT %7.2f s  (hit %d of %d tokens)\n", first.Seconds(), u1.CachedTokens, u1.PromptTokens)
	fmt.Printf("second request:      TTFT %7.2f s  (hit %d)  = %.1f%% of the first\n", second.Seconds(), u2.CachedTokens, 100*second.Seconds()/first.Seconds())
	fmt.Printf("after a restart:     TTFT %7.2f s  (hit %d)  = %.1f%% of the first\n", third.Seconds(), u3.CachedTokens, 100*third.Seconds()/first.Seconds())
	return nil
}
