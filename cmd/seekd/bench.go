package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/seekd/seekd/model"
	"github.com/seekd/seekd/sample"
)

// benchResult is what `seekd bench --json` prints.
type benchResult struct {
	Model      string  `json:"model"`
	Threads    int     `json:"threads"`
	Prompt     int     `json:"prompt_tokens"`
	Gen        int     `json:"gen_tokens"`
	PrefillTPS float64 `json:"prefill_tps"`
	DecodeTPS  float64 `json:"decode_tps"`
	LoadS      float64 `json:"load_s"`
	PeakRSSMiB float64 `json:"peak_rss_mib"`
}

func newBenchCmd() *cobra.Command {
	var (
		modelPath string
		p, n, t   int
		asJSON    bool
		seed      uint64
		profile   string
		memprof   string
		act       string
	)
	cmd := &cobra.Command{
		Use:   "bench --model PATH [-p 512] [-n 128] [-t THREADS] [--json]",
		Short: "Time prefill and decode on a model (random prompt, greedy, EOS ignored)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if p < 1 || n < 1 {
				return usagef("-p and -n must be at least 1")
			}
			if modelPath == "" {
				return usagef("--model is required")
			}
			if profile != "" {
				pf, err := os.Create(profile)
				if err != nil {
					return err
				}
				defer pf.Close()
				if err := pprof.StartCPUProfile(pf); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			pool, err := newComputePool(t, act)
			if err != nil {
				return err
			}
			defer pool.Close()
			start := time.Now()
			m, err := loadModel(modelPath, pool)
			if err != nil {
				return err
			}
			defer m.Close()
			load := time.Since(start)
			c := m.Config()
			if p+n > c.MaxPos {
				return usagef("-p %d plus -n %d exceeds the model's context of %d", p, n, c.MaxPos)
			}
			rng := rand.New(rand.NewPCG(seed, 1))
			prompt := make([]int, p)
			for i := range prompt {
				prompt[i] = rng.IntN(c.Vocab)
			}
			cache, err := newSeqCache(c, p+n)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			s := &model.Seq{Tokens: prompt, KV: cache}
			t0 := time.Now()
			if err := forward(ctx, m, s, nil); err != nil {
				return err
			}
			prefill := time.Since(t0)
			next := sample.Argmax(s.Logits)
			t1 := time.Now()
			for i := 0; i < n; i++ {
				s.Pos += len(s.Tokens)
				s.Tokens = []int{next}
				if err := forward(ctx, m, s, nil); err != nil {
					return err
				}
				next = sample.Argmax(s.Logits)
			}
			decode := time.Since(t1)
			if memprof != "" {
				if err := writeAllocProfile(memprof); err != nil {
					return err
				}
			}
			res := benchResult{
				Model: modelPath, Threads: pool.Threads(), Prompt: p, Gen: n,
				PrefillTPS: float64(p) / prefill.Seconds(),
				DecodeTPS:  float64(n) / decode.Seconds(),
				LoadS:      load.Seconds(),
				PeakRSSMiB: peakRSSMiB(),
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(out).Encode(res)
			}
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(w, "model\t%s\nthreads\t%d\nload\t%.2f s\nprefill (%d tokens)\t%.2f tokens/s\ndecode (%d tokens)\t%.2f tokens/s\npeak RSS\t%.0f MiB\n",
				res.Model, res.Threads, res.LoadS, p, res.PrefillTPS, n, res.DecodeTPS, res.PeakRSSMiB)
			return w.Flush()
		},
	}
	f := cmd.Flags()
	f.StringVar(&modelPath, "model", "", "model folder or .gguf file")
	f.IntVarP(&p, "prompt", "p", 512, "prompt tokens to prefill")
	f.IntVarP(&n, "gen", "n", 128, "tokens to decode")
	f.IntVarP(&t, "threads", "t", runtime.NumCPU(), "threads")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	f.Uint64Var(&seed, "seed", 1, "seed of the random prompt")
	f.StringVar(&profile, "cpuprofile", "", "write a CPU profile (go tool pprof) to this file")
	f.StringVar(&memprof, "memprofile", "", "write an allocation profile (go tool pprof -sample_index=alloc_space) to this file")
	f.StringVar(&act, "activations", defaultActivations(), "how quantized GGUF weights meet activations: q8 (fast, as llama.cpp) or exact")
	return cmd
}

// writeAllocProfile writes the heap profile, whose alloc_space samples say
// which code allocated how much over the run.
func writeAllocProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// peakRSSMiB returns the process's peak resident set size.
func peakRSSMiB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024 // Linux reports KiB
}
