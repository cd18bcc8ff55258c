// Command loadtest exercises `seekd serve` in-process over loopback HTTP.
//
// Load mode (default) opens -streams concurrent chat streams for -duration,
// each disconnecting early at random with probability -disconnect, and
// checks every stream is well-formed (valid chunks with one id, reasoning
// and content in order, exactly one usage chunk, data: [DONE], never an
// "error" key). Afterwards it checks that goroutines, the engine's KV
// cache and RSS come back to their baseline.
//
// Bench mode (-bench 1,4,8) measures aggregate decode throughput with that
// many concurrent streams of -tokens tokens each.
//
//	go run ./server/loadtest -model testdata/distill/tiny-r1-distill-qwen/hf -streams 64 -duration 60s
//	go run ./server/loadtest -model /tmp/models/qwen2-1.5b-shape-Q8_0.gguf -bench 1,4,8 -tokens 32
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seekd/seekd/bundle"
	"github.com/seekd/seekd/engine"
	"github.com/seekd/seekd/kvcache"
	"github.com/seekd/seekd/model"
	"github.com/seekd/seekd/server"
	"github.com/seekd/seekd/tensor"
)

func main() {
	modelPath := flag.String("model", "testdata/distill/tiny-r1-distill-qwen/hf", "model folder or .gguf file")
	streams := flag.Int("streams", 64, "concurrent streams (load mode)")
	duration := flag.Duration("duration", 60*time.Second, "how long to keep the streams going (load mode)")
	disconnect := flag.Float64("disconnect", 0.3, "probability that a stream disconnects early (load mode)")
	maxBatch := flag.Int("max-batch", 32, "engine batch size")
	threads := flag.Int("threads", 0, "compute threads (default: one per CPU)")
	prefixCache := flag.Bool("prefix-cache", true, "turn the engine's prefix cache on (as seekd serve does)")
	activations := flag.String("activations", "q8", "how quantized GGUF weights meet activations: q8 or exact (as seekd serve)")
	benchList := flag.String("bench", "", "bench mode: comma-separated stream counts, e.g. 1,4,8")
	tokens := flag.Int("tokens", 32, "tokens per stream (bench mode)")
	forward := flag.Bool("forward", false, "with -bench: time model.Forward on batches of that many one-token sequences, without the server")
	direct := flag.Bool("engine", false, "with -bench: submit to the engine directly, without HTTP")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fail(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}

	act, err := tensor.ParseActivations(*activations)
	if err != nil {
		fail(err)
	}
	pool := tensor.NewPool(*threads, tensor.WithActivations(act))
	b, err := bundle.Open(*modelPath, bundle.Options{Model: model.Options{Pool: pool}})
	if err != nil {
		fail(err)
	}
	if *forward {
		forwardBench(b.Model, parseCounts(*benchList), *tokens)
		pool.Close()
		return
	}
	log := slog.New(slog.DiscardHandler)
	eng, err := engine.New(b.Model, engine.Options{MaxBatch: *maxBatch, Context: min(b.Context(), 4096), CacheBytes: 1 << 30, PrefixCache: *prefixCache, Logger: log})
	if err != nil {
		fail(err)
	}
	if *direct {
		engineBench(eng, b.Tokenizer.Encode("The quick brown fox jumps over the lazy dog."), parseCounts(*benchList), *tokens)
		eng.Close()
		return
	}
	srv, err := server.New(server.Options{Models: []server.Model{{Name: "m", Bundle: b, Engine: eng}}, Logger: log, KeepAlive: time.Second})
	if err != nil {
		fail(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	base := "http://" + ln.Addr().String()
	chat := b.Template != nil

	if *benchList != "" {
		bench(base, parseCounts(*benchList), *tokens)
	} else {
		load(base, eng, chat, *streams, *duration, *disconnect)
	}
	hs.Close()
	eng.Close()
	b.Close()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "loadtest:", err)
	os.Exit(1)
}

// rssKiB reads the process's resident set size.
func rssKiB() int {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.Fields(v)[0])
			return n
		}
	}
	return 0
}

// settle collects garbage and returns goroutines and RSS.
func settle() (int, int) {
	for range 3 {
		runtime.GC()
		debug.FreeOSMemory()
		time.Sleep(100 * time.Millisecond)
	}
	return runtime.NumGoroutine(), rssKiB()
}

// stats count what the streams did.
type stats struct {
	requests, completed, disconnected, errors, tokens, keepAlives atomic.Int64
	mu                                                            sync.Mutex
	failures                                                      []string
}

func (s *stats) fail(format string, args ...any) {
	s.errors.Add(1)
	s.mu.Lock()
	if len(s.failures) < 20 {
		s.failures = append(s.failures, fmt.Sprintf(format, args...))
	}
	s.mu.Unlock()
}

func load(base string, eng *engine.Engine, chat bool, streams int, d time.Duration, pDisc float64) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: streams * 2}}
	warm(base, client, chat)
	g0, rss0 := settle()
	fmt.Printf("baseline: %d goroutines, RSS %d MiB\n", g0, rss0>>10)
	st := &stats{}
	var peak atomic.Int64
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for w := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			for time.Now().Before(stop) {
				oneStream(base, client, chat, rng, pDisc, st)
				if r := int64(rssKiB()); r > peak.Load() {
					peak.Store(r)
				}
			}
		}()
	}
	wg.Wait()
	client.CloseIdleConnections()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if s := eng.Stats(); s.Running == 0 && s.Waiting == 0 && s.CacheBlocksUsed == s.Prefix.RAMBlocks {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	es := eng.Stats()
	g1, rss1 := settle()
	secs := d.Seconds()
	fmt.Printf("streams %d for %s: %d requests, %d completed, %d deliberate disconnects, %d errors, %d tokens (%.1f tok/s), %d keep-alive comments\n",
		streams, d, st.requests.Load(), st.completed.Load(), st.disconnected.Load(), st.errors.Load(), st.tokens.Load(), float64(st.tokens.Load())/secs, st.keepAlives.Load())
	cachedKiB := int64(es.Prefix.RAMBlocks) * es.CacheBlockBytes >> 10
	fmt.Printf("after: %d goroutines (baseline %d), RSS %d MiB (baseline %d, peak %d; %d MiB of it the prefix cache's %d blocks, so %d MiB without them), engine running %d waiting %d, blocks held by sequences %d, preemptions %d\n",
		g1, g0, rss1>>10, rss0>>10, peak.Load()>>10, cachedKiB>>10, es.Prefix.RAMBlocks, (int64(rss1)-cachedKiB)>>10, es.Running, es.Waiting, es.CacheBlocksUsed-es.Prefix.RAMBlocks, es.Preemptions)
	for _, f := range st.failures {
		fmt.Println("  failure:", f)
	}
	ok := st.errors.Load() == 0 && g1 <= g0+2 && es.CacheBlocksUsed == es.Prefix.RAMBlocks && es.Running == 0
	if !ok {
		fmt.Println("FAIL")
		os.Exit(1)
	}
	fmt.Println("PASS")
}

// warm runs one request so lazily built state exists before the baseline.
func warm(base string, client *http.Client, chat bool) {
	rng := rand.New(rand.NewPCG(7, 7))
	st := &stats{}
	oneStream(base, client, chat, rng, 0, st)
	if st.errors.Load() > 0 {
		fail(errors.New(st.failures[0]))
	}
}

var questions = []string{"Hello!", "What is 2+2?", "Tell me a story about a fox.", "Write a haiku about the sea.", "Explain recursion briefly."}

// oneStream runs one streamed request and checks its well-formedness.
func oneStream(base string, client *http.Client, chat bool, rng *rand.Rand, pDisc float64, st *stats) {
	st.requests.Add(1)
	maxTok := 8 + rng.IntN(120)
	include := rng.IntN(2) == 0
	var body []byte
	url := base + "/v1/completions"
	if chat {
		url = base + "/v1/chat/completions"
		body, _ = json.Marshal(map[string]any{"model": "m", "stream": true, "max_tokens": maxTok, "seed": rng.Int64(),
			"stream_options": map[string]bool{"include_usage": include}, "messages": []map[string]string{{"role": "user", "content": questions[rng.IntN(len(questions))]}}})
	} else {
		body, _ = json.Marshal(map[string]any{"model": "m", "stream": true, "max_tokens": maxTok, "seed": rng.Int64(),
			"stream_options": map[string]bool{"include_usage": include}, "prompt": questions[rng.IntN(len(questions))]})
	}
	cutAfter := -1
	if rng.Float64() < pDisc {
		cutAfter = rng.IntN(40)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		st.fail("request: %v", err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		st.fail("status %d: %s", resp.StatusCode, b)
		return
	}
	rd := bufio.NewReader(resp.Body)
	var id string
	chunks, usage, finishes := 0, 0, 0
	done := false
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			if !done {
				st.fail("stream ended without [DONE] after %d chunks: %v", chunks, err)
			}
			return
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, ":"):
			st.keepAlives.Add(1)
			continue
		case line == "data: [DONE]":
			if finishes != 1 || usage != 1 {
				st.fail("stream ended with %d finish chunks and %d usage chunks", finishes, usage)
				return
			}
			if _, err := rd.ReadString('\n'); err != io.EOF && err != nil {
				st.fail("after [DONE]: %v", err)
			}
			st.completed.Add(1)
			done = true
			return
		case !strings.HasPrefix(line, "data: "):
			st.fail("not an SSE data line: %q", line)
			return
		}
		var c struct {
			ID      string          `json:"id"`
			Object  string          `json:"object"`
			Error   json.RawMessage `json:"error"`
			Usage   json.RawMessage `json:"usage"`
			Choices []struct {
				Text         *string `json:"text"`
				FinishReason *string `json:"finish_reason"`
				Delta        *struct {
					Content *string `json:"content"`
				} `json:"delta"`
			} `json:"choices"`
		}
		payload := line[len("data: "):]
		if err := json.Unmarshal([]byte(payload), &c); err != nil {
			st.fail("chunk is not JSON: %v: %q", err, payload)
			return
		}
		if c.Error != nil {
			st.fail("chunk has an error key: %s", payload)
			return
		}
		if id == "" {
			id = c.ID
		}
		if c.ID != id || (c.Object != "chat.completion.chunk" && c.Object != "text_completion") {
			st.fail("chunk id %q object %q", c.ID, c.Object)
			return
		}
		if len(c.Usage) > 0 && string(c.Usage) != "null" {
			usage++
			if include && len(c.Choices) != 0 {
				st.fail("include_usage: usage on a chunk with choices")
			}
		}
		for _, ch := range c.Choices {
			if ch.FinishReason != nil {
				finishes++
				if !slices.Contains([]string{"stop", "length", "tool_calls"}, *ch.FinishReason) {
					st.fail("finish_reason %q", *ch.FinishReason)
				}
			} else {
				st.tokens.Add(1)
			}
		}
		chunks++
		if chunks == cutAfter {
			cancel()
			st.disconnected.Add(1)
			return
		}
	}
}

// bench measures aggregate decode throughput with n concurrent streams.
func bench(base string, counts []int, tokens int) {
	client := &http.Client{}
	for _, n := range counts {
		// Completions with a fixed prompt; ignore_eos is implied by random
		// weights rarely producing EOS, and the counted tokens are exact.
		firsts := make([]time.Time, n)
		lasts := make([]time.Time, n)
		counts := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body, _ := json.Marshal(map[string]any{"model": "m", "stream": true, "max_tokens": tokens, "seed": i, "temperature": 0,
					"prompt": "The quick brown fox jumps over the lazy dog."})
				resp, err := client.Post(base+"/v1/completions", "application/json", bytes.NewReader(body))
				if err != nil {
					fail(err)
				}
				defer resp.Body.Close()
				sc := bufio.NewScanner(resp.Body)
				for sc.Scan() {
					line := sc.Text()
					if !strings.HasPrefix(line, "data: {") {
						continue
					}
					var c struct {
						Choices []struct {
							FinishReason *string `json:"finish_reason"`
						} `json:"choices"`
					}
					json.Unmarshal([]byte(line[6:]), &c)
					if len(c.Choices) == 1 && c.Choices[0].FinishReason == nil {
						now := time.Now()
						if counts[i] == 0 {
							firsts[i] = now
						}
						lasts[i] = now
						counts[i]++
					}
				}
			}()
		}
		wg.Wait()
		start := slices.MinFunc(firsts, func(a, b time.Time) int { return a.Compare(b) })
		end := slices.MaxFunc(lasts, func(a, b time.Time) int { return a.Compare(b) })
		total := 0
		for _, c := range counts {
			total += c - 1 // tokens after the first (prefill) one
		}
		secs := end.Sub(start).Seconds()
		fmt.Printf("streams %d: %d decode tokens in %.2fs = %.2f tok/s aggregate (%.2f per stream)\n", n, total, secs, float64(total)/secs, float64(total)/secs/float64(n))
	}
}

func parseCounts(list string) []int {
	var counts []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fail(fmt.Errorf("-bench: %q is not a stream count", f))
		}
		counts = append(counts, n)
	}
	return counts
}

// forwardBench times decode steps of batches of n one-token sequences on
// the model alone: the cost of a step as the batch grows.
func forwardBench(m model.Model, counts []int, steps int) {
	c := m.Config()
	for _, n := range counts {
		pool, err := kvcache.NewPool(kvcache.Layout{Layers: c.Layers, Width: c.KVWidth()}, 64, int64(n)*int64(c.Layers*c.KVWidth()*4)*int64(steps+80))
		if err != nil {
			fail(err)
		}
		seqs := make([]*model.Seq, n)
		for i := range seqs {
			kv := pool.NewSeq()
			if err := kv.Reserve(steps + 17); err != nil {
				fail(err)
			}
			prompt := make([]int, 16)
			for j := range prompt {
				prompt[j] = (1000 + 7*i + j) % c.Vocab
			}
			seqs[i] = &model.Seq{Tokens: prompt, KV: kv}
		}
		if err := m.Forward(context.Background(), &model.Batch{Seqs: seqs}); err != nil {
			fail(err)
		}
		start := time.Now()
		for s := range steps {
			for i, q := range seqs {
				q.Pos = 16 + s
				q.Tokens = []int{(2000 + i + s) % c.Vocab}
			}
			if err := m.Forward(context.Background(), &model.Batch{Seqs: seqs}); err != nil {
				fail(err)
			}
		}
		secs := time.Since(start).Seconds()
		fmt.Printf("batch %d: %d steps in %.2fs = %.3f s/step, %.2f tok/s aggregate\n", n, steps, secs, secs/float64(steps), float64(n*steps)/secs)
	}
}

// engineBench is bench without HTTP: n requests submitted to the engine at
// once, timed from the first generated token to the last.
func engineBench(eng *engine.Engine, prompt []int, counts []int, tokens int) {
	for _, n := range counts {
		var mu sync.Mutex
		var first, last time.Time
		total := 0
		var wg sync.WaitGroup
		for i := range n {
			st, err := eng.Submit(context.Background(), &engine.Request{Prompt: prompt, MaxTokens: tokens, Seed: uint64(i)})
			if err != nil {
				fail(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				count := 0
				for {
					ev, err := st.Next(context.Background())
					if err != nil || ev.Done {
						mu.Lock()
						total += count - 1
						mu.Unlock()
						return
					}
					now := time.Now()
					mu.Lock()
					if first.IsZero() || now.Before(first) {
						first = now
					}
					if now.After(last) {
						last = now
					}
					mu.Unlock()
					count++
				}
			}()
		}
		wg.Wait()
		secs := last.Sub(first).Seconds()
		fmt.Printf("engine, %d requests: %d decode tokens in %.2fs = %.2f tok/s aggregate\n", n, total, secs, float64(total)/secs)
	}
}
