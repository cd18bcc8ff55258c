package hub_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seekd/seekd/hub"
	"github.com/seekd/seekd/hub/hubtest"
)

// pulled sets up a cache holding the distill fixture (by alias), a GGUF repo
// with two quantizations, and returns the server, client and commits.
func pulled(t *testing.T) (*hubtest.Server, *hub.Client) {
	t.Helper()
	srv, c := newHub(t)
	if _, err := srv.AddRepoDir("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", distillDir, hubtest.RepoOptions{}); err != nil {
		t.Fatal(err)
	}
	srv.AddRepo("unsloth/R1-GGUF", []hubtest.File{
		{Name: "README.md", Data: []byte("readme")},
		{Name: "R1-Q4_K_M.gguf", Data: []byte("GGUF-q4-weights"), LFS: true},
		{Name: "UD-IQ1_S/R1-UD-IQ1_S-00001-of-00002.gguf", Data: []byte("GGUF-iq1-part-1"), LFS: true},
		{Name: "UD-IQ1_S/R1-UD-IQ1_S-00002-of-00002.gguf", Data: []byte("GGUF-iq1-part-two"), LFS: true},
	}, hubtest.RepoOptions{})
	for _, ref := range []string{"deepseek-r1:1.5b", "unsloth/R1-GGUF:Q4_K_M", "unsloth/R1-GGUF:UD-IQ1_S"} {
		if _, err := c.Pull(testCtx(t), ref, fastOpts()); err != nil {
			t.Fatalf("pull %s: %v", ref, err)
		}
	}
	return srv, c
}

func TestList(t *testing.T) {
	_, c := pulled(t)
	models, err := c.Cache.List(hub.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		name, quant string
		format      hub.Format
		size        int64
	}
	var got []row
	for _, m := range models {
		got = append(got, row{m.Name, m.Quantization, m.Format, m.Size})
		if m.Modified.IsZero() || len(m.Missing) > 0 {
			t.Errorf("%s: modified %v, missing %v", m.Name, m.Modified, m.Missing)
		}
	}
	var distillSize int64
	ents, _ := os.ReadDir(distillDir)
	for _, e := range ents {
		info, _ := e.Info()
		distillSize += info.Size()
	}
	want := []row{
		{"deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", "BF16", hub.FormatSafetensors, distillSize},
		{"unsloth/R1-GGUF:Q4_K_M", "Q4_K_M", hub.FormatGGUF, 15},
		{"unsloth/R1-GGUF:UD-IQ1_S", "UD-IQ1_S", hub.FormatGGUF, 32},
	}
	if !slices.Equal(got, want) {
		t.Errorf("List:\n got %v\nwant %v", got, want)
	}
	if !slices.Contains(models[0].Aliases, "deepseek-r1:1.5b") {
		t.Errorf("aliases %v", models[0].Aliases)
	}

	// The GGUF seam: a metadata reader replaces the name-based guess.
	models, err = c.Cache.List(hub.ListOptions{GGUFQuant: func(path string) (string, error) {
		if strings.HasSuffix(path, "R1-Q4_K_M.gguf") {
			return "Q4_K_M (file type 15)", nil
		}
		return "", errors.New("not a GGUF file")
	}})
	if err != nil {
		t.Fatal(err)
	}
	if models[1].Quantization != "Q4_K_M (file type 15)" || models[2].Quantization != "UD-IQ1_S" {
		t.Errorf("with a reader: %q, %q", models[1].Quantization, models[2].Quantization)
	}
}

func TestListEmptyCache(t *testing.T) {
	models, err := hub.Cache{Dir: filepath.Join(t.TempDir(), "none")}.List(hub.ListOptions{})
	if err != nil || len(models) != 0 {
		t.Fatalf("List of a missing cache = %v, %v", models, err)
	}
}

func TestResolve(t *testing.T) {
	_, c := pulled(t)
	snap := func(repo string) string {
		commit, ok, err := c.Cache.CommitFor(repo, "")
		if err != nil || !ok {
			t.Fatalf("%s: %v %v", repo, ok, err)
		}
		return c.Cache.SnapshotDir(repo, commit)
	}
	distill := snap("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B")
	gguf := snap("unsloth/R1-GGUF")
	commit := filepath.Base(distill)

	local := t.TempDir()
	ggufFile := filepath.Join(local, "my-Q8_0.gguf")
	os.WriteFile(ggufFile, []byte("GGUF"), 0o644)
	os.WriteFile(filepath.Join(local, "split-00002-of-00002.gguf"), []byte("GGUF"), 0o644)
	os.WriteFile(filepath.Join(local, "split-00001-of-00002.gguf"), []byte("GGUF"), 0o644)
	os.WriteFile(filepath.Join(local, "notes.txt"), []byte("x"), 0o644)
	aliasDir := filepath.Join(local, "deepseek-v3") // a folder named like an alias
	os.MkdirAll(aliasDir, 0o755)
	os.WriteFile(filepath.Join(aliasDir, "model.safetensors"), []byte("x"), 0o644)
	partial := filepath.Join(local, "partial")
	os.MkdirAll(partial, 0o755)
	os.WriteFile(filepath.Join(partial, "model-00001-of-00002.safetensors"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(partial, "model.safetensors.index.json"),
		[]byte(`{"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}`), 0o644)
	t.Chdir(local)

	for _, tc := range []struct {
		in     string
		path   string
		format hub.Format
		err    string
	}{
		{in: "deepseek-r1:1.5b", path: distill, format: hub.FormatSafetensors},
		{in: "DeepSeek-R1:1.5B", path: distill, format: hub.FormatSafetensors},
		{in: "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", path: distill, format: hub.FormatSafetensors},
		{in: "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B@main", path: distill, format: hub.FormatSafetensors},
		{in: "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B@" + commit[:10], path: distill, format: hub.FormatSafetensors},
		{in: "hf.co/deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", path: distill, format: hub.FormatSafetensors},
		{in: "unsloth/R1-GGUF:q4_k_m", path: filepath.Join(gguf, "R1-Q4_K_M.gguf"), format: hub.FormatGGUF},
		{in: "unsloth/R1-GGUF:UD-IQ1_S", path: filepath.Join(gguf, "UD-IQ1_S", "R1-UD-IQ1_S-00001-of-00002.gguf"), format: hub.FormatGGUF},
		{in: "unsloth/R1-GGUF", err: "several GGUF models"},
		{in: "unsloth/R1-GGUF:Q8_0", err: "no Q8_0 GGUF file (the cache has Q4_K_M, UD-IQ1_S)"},
		{in: distill, path: distill, format: hub.FormatSafetensors},
		{in: ggufFile, path: ggufFile, format: hub.FormatGGUF},
		{in: "my-Q8_0.gguf", path: ggufFile, format: hub.FormatGGUF},
		{in: "split-00002-of-00002.gguf", path: filepath.Join(local, "split-00001-of-00002.gguf"), format: hub.FormatGGUF},
		{in: "deepseek-v3", path: aliasDir, format: hub.FormatSafetensors},
		{in: "./missing.gguf", err: "no such file or folder"},
		{in: "notes.txt", err: "is not a model"},
		{in: "partial", err: "incomplete model: missing model-00002-of-00002.safetensors"},
		{in: "deepseek-r1:7b", err: "model deepseek-r1:7b (deepseek-ai/DeepSeek-R1-Distill-Qwen-7B) is not downloaded: run `seekd pull deepseek-r1:7b`"},
		{in: "org/absent@v2", err: "run `seekd pull org/absent@v2`"},
		{in: "llama3", err: `unknown model "llama3"`},
		{in: "", err: "no model given"},
	} {
		m, err := c.Cache.Resolve(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Resolve(%q) = %+v, %v; want error %q", tc.in, m, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Resolve(%q): %v", tc.in, err)
			continue
		}
		if m.Path != tc.path || m.Format != tc.format {
			t.Errorf("Resolve(%q) = %s (%s), want %s (%s)", tc.in, m.Path, m.Format, tc.path, tc.format)
		}
	}

	var np *hub.NotPulledError
	if _, err := c.Cache.Resolve("deepseek-v2-lite"); !errors.As(err, &np) || np.Ref.Repo != "deepseek-ai/DeepSeek-V2-Lite-Chat" {
		t.Errorf("missing alias: %v", err)
	}

	// A snapshot missing a shard (an interrupted pull) asks for a pull.
	os.WriteFile(filepath.Join(distill, "model.safetensors.index.json"),
		[]byte(`{"weight_map":{"x":"model.safetensors","y":"model-2.safetensors"}}`), 0o644)
	if _, err := c.Cache.Resolve("deepseek-r1:1.5b"); !errors.As(err, &np) || !slices.Equal(np.Missing, []string{"model-2.safetensors"}) ||
		!strings.Contains(err.Error(), "only partly downloaded") {
		t.Errorf("partial snapshot: %v", err)
	}
}

func TestRemove(t *testing.T) {
	srv, c := pulled(t)
	repoDir := c.Cache.RepoDir("unsloth/R1-GGUF")

	// One GGUF quantization.
	rm, err := c.Cache.Remove("unsloth/R1-GGUF:UD-IQ1_S")
	if err != nil {
		t.Fatal(err)
	}
	if rm.Freed != 32 || len(rm.Files) != 2 {
		t.Errorf("removed %+v", rm)
	}
	if m, err := c.Cache.Resolve("unsloth/R1-GGUF"); err != nil || filepath.Base(m.Path) != "R1-Q4_K_M.gguf" {
		t.Errorf("after removing IQ1_S: %v, %v", m, err)
	}
	if _, err := os.Stat(filepath.Join(repoDir, "snapshots", srv.Commit("unsloth/R1-GGUF"), "UD-IQ1_S")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty folder left: %v", err)
	}

	// One revision: a new commit on main leaves the old snapshot behind.
	oldCommit := srv.Commit("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B")
	files := []hubtest.File{{Name: "config.json", Data: readFile(t, filepath.Join(distillDir, "config.json"))},
		{Name: "model.safetensors", Data: []byte("new weights"), LFS: true}}
	newCommit := srv.AddRepo("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", files, hubtest.RepoOptions{})
	if _, err := c.Pull(testCtx(t), "deepseek-r1:1.5b", fastOpts()); err != nil {
		t.Fatal(err)
	}
	models, _ := c.Cache.List(hub.ListOptions{})
	var names []string
	for _, m := range models {
		names = append(names, m.Name)
	}
	oldName := "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B@" + oldCommit[:12]
	if !slices.Contains(names, oldName) {
		t.Fatalf("list %v lacks %s", names, oldName)
	}
	rm, err = c.Cache.Remove(oldName)
	if err != nil {
		t.Fatal(err)
	}
	if len(rm.Commits) != 1 || rm.Commits[0] != oldCommit || rm.Whole {
		t.Errorf("removed %+v", rm)
	}
	wantFreed := int64(0)
	for _, e := range []string{"generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} {
		wantFreed += int64(len(readFile(t, filepath.Join(distillDir, e))))
	}
	if rm.Freed != wantFreed { // config.json is shared with the new snapshot and stays
		t.Errorf("freed %d, want %d", rm.Freed, wantFreed)
	}
	m, err := c.Cache.Resolve("deepseek-r1:1.5b")
	if err != nil || m.Commit != newCommit {
		t.Fatalf("after removing the old revision: %+v, %v", m, err)
	}
	if got := readFile(t, filepath.Join(m.Path, "config.json")); len(got) == 0 {
		t.Error("shared blob removed")
	}

	// Paths outside the cache are refused, and the path is left alone.
	outside := t.TempDir()
	if _, err := c.Cache.Remove(outside); err == nil || !strings.Contains(err.Error(), "not in the model cache") {
		t.Errorf("Remove(outside) = %v", err)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Error("outside folder touched")
	}
	if _, err := c.Cache.Remove(c.Cache.Dir); err == nil {
		t.Error("Remove(cache root) succeeded")
	}

	// A path inside a snapshot removes that snapshot (here the repo's last).
	rm, err = c.Cache.Remove(filepath.Join(m.Path, "config.json"))
	if err != nil || !rm.Whole {
		t.Fatalf("Remove(snapshot file) = %+v, %v", rm, err)
	}

	// The whole repo by name.
	rm, err = c.Cache.Remove("unsloth/R1-GGUF")
	if err != nil || !rm.Whole {
		t.Fatalf("Remove(repo) = %+v, %v", rm, err)
	}
	if _, err := os.Stat(repoDir); !errors.Is(err, os.ErrNotExist) {
		t.Error("repo folder left")
	}
	if _, err := c.Cache.Remove("unsloth/R1-GGUF"); err == nil || !strings.Contains(err.Error(), "not in the cache") {
		t.Errorf("second Remove = %v", err)
	}
	if models, _ := c.Cache.List(hub.ListOptions{}); len(models) != 0 {
		t.Errorf("left: %v", models)
	}
}
