package tokenizer

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkEncode measures encoding throughput over the whole corpus, one
// goroutine (run with -cpu 1 for one core). The word cache starts empty in
// each run of the benchmark function, and warms up as real traffic would.
func BenchmarkEncode(b *testing.B) {
	lines := corpus(b)
	size := 0
	for _, l := range lines {
		size += len(l.Text)
	}
	for _, tc := range corpusTokenizers {
		b.Run(tc.name, func(b *testing.B) {
			tk, err := Load(filepath.Join(fixtures, tc.name))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			var ids []int
			cpu0 := processCPU()
			for b.Loop() {
				for _, l := range lines {
					ids = tk.AppendEncode(ids[:0], l.Text)
				}
			}
			reportCPU(b, cpu0, float64(size))
		})
	}
}

// BenchmarkEncodeCold measures encoding with the word cache disabled: every
// word goes through BPE.
func BenchmarkEncodeCold(b *testing.B) {
	lines := corpus(b)
	size := 0
	for _, l := range lines {
		size += len(l.Text)
	}
	tk, err := Load(filepath.Join(fixtures, "deepseek_v3"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(size))
	var ids []int
	sc := new(scratch)
	cpu0 := processCPU()
	for b.Loop() {
		for _, l := range lines {
			ids = ids[:0]
			for _, piece := range tk.pre.run(l.Text, &sc.pieces) {
				for _, id := range tk.model.wordIDs(piece, sc) {
					ids = append(ids, int(id))
				}
			}
		}
	}
	reportCPU(b, cpu0, float64(size))
}

// reportCPU adds the process CPU time per operation (cpu-ms/op) and the
// throughput per CPU second (cpu-MB/s): on a busy machine these count only
// this process's work, where ns/op also counts the time it waited.
func reportCPU(b *testing.B, cpu0 time.Duration, bytesPerOp float64) {
	cpu := processCPU() - cpu0
	if cpu <= 0 || b.N == 0 {
		return
	}
	perOp := cpu.Seconds() / float64(b.N)
	b.ReportMetric(perOp*1e3, "cpu-ms/op")
	if bytesPerOp > 0 {
		b.ReportMetric(bytesPerOp/perOp/1e6, "cpu-MB/s")
	}
}

// BenchmarkLoad measures loading each tokenizer.json with its config.
func BenchmarkLoad(b *testing.B) {
	for _, name := range []string{"deepseek_v3", "qwen3", "llama3"} {
		b.Run(name, func(b *testing.B) {
			dir := filepath.Join(fixtures, name)
			tok, err := os.ReadFile(filepath.Join(dir, "tokenizer.json"))
			if err != nil {
				b.Fatal(err)
			}
			cfg, err := os.ReadFile(filepath.Join(dir, "tokenizer_config.json"))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(tok)))
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				if _, err := Parse(tok, cfg); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu0, 0)
		})
	}
}

// BenchmarkLoadFile includes reading the files from disk.
func BenchmarkLoadFile(b *testing.B) {
	dir := filepath.Join(fixtures, "deepseek_v3")
	cpu0 := processCPU()
	for b.Loop() {
		if _, err := Load(dir); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0, 0)
}

// BenchmarkPreTokenize compares the hand-coded pre-tokenizer regexes with the
// same regexes run by regexp2, over the corpus.
func BenchmarkPreTokenize(b *testing.B) {
	lines := corpus(b)
	size := 0
	for _, l := range lines {
		size += len(l.Text)
	}
	for _, re := range []string{reDeepSeekV3, reLlama3} {
		hand, engine := bothStages(b, re)
		for _, tc := range []struct {
			name string
			st   *splitStage
		}{{"hand", hand}, {"regexp2", engine}} {
			name := map[string]string{reDeepSeekV3: "deepseek_v3", reLlama3: "llama3"}[re] + "/" + tc.name
			b.Run(name, func(b *testing.B) {
				b.SetBytes(int64(size))
				var pieces []string
				for b.Loop() {
					for _, l := range lines {
						pieces = tc.st.split(pieces[:0], l.Text)
					}
				}
			})
		}
	}
}
