package engine

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/seekd/seekd/kvcache"
)

// run submits one request and returns its tokens, logprobs and usage.
func run(t *testing.T, e *Engine, scope string, prompt []int, n int) ([]int, []float32, Usage) {
	t.Helper()
	st, err := e.Submit(context.Background(), &Request{Prompt: prompt, MaxTokens: n, CacheScope: scope, Logprobs: true})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	var lps []float32
	for {
		ev, err := st.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if ev.Done {
			if ev.Err != nil {
				t.Fatal(ev.Err)
			}
			return ids, lps, ev.Usage
		}
		ids = append(ids, ev.Token.ID)
		lps = append(lps, ev.Token.Logprob)
	}
}

func seqOf(start, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = 2 + (start+i*37)%500
	}
	return out
}

func cat(parts ...[]int) []int {
	var out []int
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

const bt = 8 // block size in these tests

func prefixEngine(t *testing.T, disk *kvcache.Disk, unitBlocks int) *Engine {
	m := loadTiny(t)
	return newEngine(t, m, Options{PrefixCache: true, BlockTokens: bt, Disk: disk, UnitBlocks: unitBlocks})
}

func TestPrefixCacheUnits(t *testing.T) {
	A := cat([]int{0}, seqOf(1, 36)) // 37 tokens: 4 whole blocks + 5
	B, C, D := seqOf(100, 20), seqOf(200, 20), seqOf(300, 20)

	e := prefixEngine(t, nil, -1)
	if _, _, u := run(t, e, "k", cat(A, B), 4); u.CachedTokens != 0 {
		t.Fatalf("first request hit %d", u.CachedTokens)
	}
	// A+B then A+B+C hits on A+B (whole blocks).
	_, _, u := run(t, e, "k", cat(A, B, C), 4)
	if want := len(cat(A, B)) / bt * bt; u.CachedTokens != want {
		t.Fatalf("A+B+C hit %d, want %d", u.CachedTokens, want)
	}
	if u.CachedTokens%bt != 0 || u.PromptTokens != len(cat(A, B, C)) {
		t.Fatalf("usage %+v", u)
	}

	// A+B, then A+C misses, then A+D hits on A.
	e = prefixEngine(t, nil, -1)
	run(t, e, "k", cat(A, B), 4)
	if _, _, u := run(t, e, "k", cat(A, C), 4); u.CachedTokens != 0 {
		t.Fatalf("A+C hit %d, want a miss", u.CachedTokens)
	}
	if _, _, u := run(t, e, "k", cat(A, D), 4); u.CachedTokens != len(A)/bt*bt {
		t.Fatalf("A+D hit %d, want %d", u.CachedTokens, len(A)/bt*bt)
	}
	// Another scope (API key or user) sees nothing.
	if _, _, u := run(t, e, "other", cat(A, B, C), 4); u.CachedTokens != 0 {
		t.Fatalf("other scope hit %d", u.CachedTokens)
	}
	// Changing the first token gives no hit.
	changed := cat(A, B, C)
	changed[0] = 5
	if _, _, u := run(t, e, "k", changed, 4); u.CachedTokens != 0 {
		t.Fatalf("changed first token hit %d", u.CachedTokens)
	}
}

// A request served from the cache computes what it computes from scratch.
func TestPrefixCacheExact(t *testing.T) {
	A, B := cat([]int{0}, seqOf(1, 40)), seqOf(100, 30)
	plain := newEngine(t, loadTiny(t), Options{})
	wantIDs, wantLP, _ := run(t, plain, "", cat(A, B), 12)

	e := prefixEngine(t, nil, 0)
	run(t, e, "k", cat(A, seqOf(7, 9)), 3)
	ids, lps, u := run(t, e, "k", cat(A, B), 12)
	if u.CachedTokens == 0 {
		t.Fatal("no cache hit")
	}
	checkSame(t, ids, lps, wantIDs, wantLP)
}

func checkSame(t *testing.T, ids []int, lps []float32, wantIDs []int, wantLP []float32) {
	t.Helper()
	if fmt.Sprint(ids) != fmt.Sprint(wantIDs) {
		t.Fatalf("tokens %v, want %v", ids, wantIDs)
	}
	for i := range lps {
		if math.Abs(float64(lps[i]-wantLP[i])) > 1e-4 {
			t.Fatalf("token %d: logprob %v, want %v", i, lps[i], wantLP[i])
		}
	}
}

func openDisk(t *testing.T, dir string) *kvcache.Disk {
	t.Helper()
	m := loadTiny(t)
	c := m.Config()
	d, err := kvcache.OpenDisk(kvcache.DiskOptions{Dir: dir, ModelDigest: "test", MaxBytes: 1 << 30,
		Layout: kvcache.Layout{Layers: c.Layers, Width: c.KVWidth()}, BlockTokens: bt})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The disk tier survives a restart; a corrupted block file is detected,
// deleted and recomputed, and the answer stays right.
func TestPrefixCacheDiskAndRestart(t *testing.T) {
	dir := t.TempDir()
	A, B := cat([]int{0}, seqOf(1, 40)), seqOf(100, 30)
	plain := newEngine(t, loadTiny(t), Options{})
	wantIDs, wantLP, _ := run(t, plain, "", cat(A, B), 10)

	d1 := openDisk(t, dir)
	e1 := prefixEngine(t, d1, 0)
	run(t, e1, "k", cat(A, seqOf(5, 3)), 2)
	e1.Close()
	d1.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "test", "*", "*.kv"))
	if len(files) == 0 {
		t.Fatal("nothing written to disk")
	}

	// A new engine (a restarted server) finds the blocks on disk.
	d2 := openDisk(t, dir)
	e2 := prefixEngine(t, d2, 0)
	ids, lps, u := run(t, e2, "k", cat(A, B), 10)
	if u.CachedTokens == 0 {
		t.Fatal("no hit after restart")
	}
	checkSame(t, ids, lps, wantIDs, wantLP)
	e2.Close()
	d2.Close()

	// Flip a bit in every block file: all are rejected and deleted.
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		data[len(data)/2] ^= 0x10
		os.WriteFile(f, data, 0o600)
	}
	// And leave a torn temporary file, as a kill -9 mid-write would.
	os.WriteFile(filepath.Join(filepath.Dir(files[0]), "torn.tmp"), []byte("SEEKDKV1"), 0o600)
	d3 := openDisk(t, dir)
	defer d3.Close()
	e3 := prefixEngine(t, d3, 0)
	ids, lps, u = run(t, e3, "k", cat(A, B), 10)
	if u.CachedTokens != 0 {
		t.Fatalf("corrupted blocks were used: hit %d", u.CachedTokens)
	}
	checkSame(t, ids, lps, wantIDs, wantLP)
	if _, err := os.Stat(filepath.Join(filepath.Dir(files[0]), "torn.tmp")); err == nil {
		t.Error("torn temporary file left behind")
	}
}

// Under a tight RAM budget the cache evicts old blocks and stays correct.
func TestPrefixCacheEviction(t *testing.T) {
	m := loadTiny(t)
	c := m.Config()
	blockBytes := int64(c.Layers * c.KVWidth() * 4 * bt)
	e := newEngine(t, m, Options{PrefixCache: true, BlockTokens: bt, CacheBytes: 12 * blockBytes})
	plain := newEngine(t, m, Options{})
	for i := 0; i < 6; i++ {
		p := cat([]int{0}, seqOf(i*11, 50))
		wantIDs, wantLP, _ := run(t, plain, "", p, 8)
		ids, lps, _ := run(t, e, "k", p, 8)
		checkSame(t, ids, lps, wantIDs, wantLP)
	}
	if st := e.Stats(); st.CacheBlocksUsed > st.CacheBlocksTotal {
		t.Fatalf("stats %+v", st)
	}
}
