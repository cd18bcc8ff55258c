package tokenizer

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/text/unicode/norm"
)

const fixtures = "../testdata/tokenizers"

// corpusLine is one line of encodings.jsonl.
type corpusLine struct {
	Kind       string `json:"kind"`
	Text       string `json:"text"`
	DeepSeekV3 []int  `json:"deepseek_v3"`
	Qwen3      []int  `json:"qwen3"`
	Llama3     []int  `json:"llama3"`
}

var (
	corpusOnce = sync.OnceValues(func() ([]corpusLine, error) {
		f, err := os.Open(filepath.Join(fixtures, "encodings.jsonl"))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		var lines []corpusLine
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<26)
		for sc.Scan() {
			var l corpusLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				return nil, err
			}
			lines = append(lines, l)
		}
		return lines, sc.Err()
	})
	tokMu    sync.Mutex
	tokCache = map[string]*Tokenizer{}
)

func corpus(t testing.TB) []corpusLine {
	t.Helper()
	lines, err := corpusOnce()
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// fixtureTokenizer loads (once per test binary) a tokenizer from a folder
// under testdata.
func fixtureTokenizer(t testing.TB, dir string) *Tokenizer {
	t.Helper()
	tokMu.Lock()
	defer tokMu.Unlock()
	if tk, ok := tokCache[dir]; ok {
		return tk
	}
	tk, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	tokCache[dir] = tk
	return tk
}

var corpusTokenizers = []struct {
	name string
	ids  func(corpusLine) []int
	nfc  bool
}{
	{"deepseek_v3", func(l corpusLine) []int { return l.DeepSeekV3 }, false},
	{"qwen3", func(l corpusLine) []int { return l.Qwen3 }, true},
	{"llama3", func(l corpusLine) []int { return l.Llama3 }, false},
}

func TestCorpusEncode(t *testing.T) {
	lines := corpus(t)
	if len(lines) != 1092 {
		t.Fatalf("corpus has %d lines, want 1092", len(lines))
	}
	for _, tc := range corpusTokenizers {
		t.Run(tc.name, func(t *testing.T) {
			tk := fixtureTokenizer(t, filepath.Join(fixtures, tc.name))
			bad := 0
			for i, l := range lines {
				got := tk.Encode(l.Text)
				want := tc.ids(l)
				if !equalIDs(got, want) {
					bad++
					if bad <= 5 {
						k := firstDiff(got, want)
						t.Errorf("line %d (%s): ids differ at %d: got %v, want %v\ntext near: %q", i+1, l.Kind, k,
							window(got, k), window(want, k), tk.Decode(window(want, k)))
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d lines differ", bad, len(lines))
			}
		})
	}
}

func TestCorpusRoundTrip(t *testing.T) {
	lines := corpus(t)
	for _, tc := range corpusTokenizers {
		t.Run(tc.name, func(t *testing.T) {
			tk := fixtureTokenizer(t, filepath.Join(fixtures, tc.name))
			for i, l := range lines {
				want := l.Text
				if tc.nfc {
					// Qwen2's normalizer is NFC: the ids stand for the NFC text.
					want = norm.NFC.String(want)
				}
				if got := tk.Decode(tk.Encode(l.Text)); got != want {
					t.Errorf("line %d (%s): decode(encode(x)) != x", i+1, l.Kind)
				}
				if got := tk.Decode(tc.ids(l)); got != want {
					t.Errorf("line %d (%s): decode(reference ids) != x", i+1, l.Kind)
				}
			}
		})
	}
}

func equalIDs(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func firstDiff(a, b []int) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func window(a []int, k int) []int {
	return a[max(0, k-3):min(len(a), k+4)]
}

// TestConcurrentEncode encodes the corpus from several goroutines at once
// (run with -race): the word cache and scratch pool are shared.
func TestConcurrentEncode(t *testing.T) {
	lines := corpus(t)
	tk, err := Load(filepath.Join(fixtures, "deepseek_v3"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < len(lines); i += 3 {
				if !equalIDs(tk.Encode(lines[i].Text), lines[i].DeepSeekV3) {
					errs <- lines[i].Text
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for s := range errs {
		t.Errorf("concurrent encoding differs for %.40q", s)
	}
}
