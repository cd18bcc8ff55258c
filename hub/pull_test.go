package hub_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seekd/seekd/hub"
	"github.com/seekd/seekd/hub/hubtest"
)

const distillDir = "../testdata/distill/tiny-r1-distill-qwen/hf"

// TestPullFixtureLayout pulls the tiny R1-Distill fixture by alias and checks
// the cache is laid out as huggingface_hub lays it out.
func TestPullFixtureLayout(t *testing.T) {
	srv, c := newHub(t)
	c.Token, c.TokenSource = "hf_secret", "test"
	repo := "deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B"
	commit, err := srv.AddRepoDir(repo, distillDir, hubtest.RepoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ev events
	opts := fastOpts()
	opts.Progress = &ev
	res, err := c.Pull(testCtx(t), "deepseek-r1:1.5b", opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Commit != commit || res.Repo != repo || res.Revision != "main" {
		t.Fatalf("result %+v, want commit %s", res, commit)
	}

	repoDir := filepath.Join(c.Cache.Dir, "models--deepseek-ai--DeepSeek-R1-Distill-Qwen-1.5B")
	if got := string(readFile(t, filepath.Join(repoDir, "refs", "main"))); got != commit {
		t.Errorf("refs/main = %q, want %q", got, commit)
	}
	ents, err := os.ReadDir(distillDir)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, e := range ents {
		want := readFile(t, filepath.Join(distillDir, e.Name()))
		total += int64(len(want))
		ptr := filepath.Join(repoDir, "snapshots", commit, e.Name())
		target, err := os.Readlink(ptr)
		if err != nil {
			t.Fatalf("%s: not a symlink: %v", e.Name(), err)
		}
		etag := hubtest.GitSHA1(want)
		if hubtest.IsLFSName(e.Name()) {
			etag = hubtest.SHA256(want)
		}
		if wantTarget := filepath.Join("..", "..", "blobs", etag); target != wantTarget {
			t.Errorf("%s -> %s, want %s", e.Name(), target, wantTarget)
		}
		if got := readFile(t, ptr); !bytes.Equal(got, want) {
			t.Errorf("%s: contents differ", e.Name())
		}
	}
	if res.Downloaded != total {
		t.Errorf("downloaded %d bytes, want %d", res.Downloaded, total)
	}
	if n := srv.AuthLeaks(); n != 0 {
		t.Errorf("the token was sent to the CDN %d times", n)
	}
	if ev.count(hub.EventResolved) != 1 || ev.count(hub.EventDone) != 1 || ev.count(hub.EventFileDone) != len(ents) {
		t.Errorf("events: resolved %d, done %d, file done %d (want 1, 1, %d)", ev.count(hub.EventResolved), ev.count(hub.EventDone), ev.count(hub.EventFileDone), len(ents))
	}
	leftovers, _ := filepath.Glob(filepath.Join(repoDir, "blobs", "*.incomplete"))
	if len(leftovers) > 0 {
		t.Errorf("left behind: %v", leftovers)
	}

	// A second pull finds everything in the cache and downloads nothing.
	srv.ResetCounters()
	res, err = c.Pull(testCtx(t), repo, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if res.Downloaded != 0 {
		t.Errorf("second pull downloaded %d bytes", res.Downloaded)
	}
	for _, r := range srv.Requests() {
		if !strings.HasPrefix(r, "GET /api/models/") {
			t.Errorf("second pull made request %q", r)
		}
	}

	m, err := c.Cache.Resolve("deepseek-r1:1.5b")
	if err != nil {
		t.Fatal(err)
	}
	if m.Path != filepath.Join(repoDir, "snapshots", commit) || m.Format != hub.FormatSafetensors || m.Commit != commit {
		t.Errorf("Resolve = %+v", m)
	}
}

// TestPullParallelRanges fetches a 3 MiB file in 256 KiB ranges over 4 connections.
func TestPullParallelRanges(t *testing.T) {
	srv, c := newHub(t)
	big := randomBytes(t, 3<<20+12345)
	srv.AddRepo("test/big", []hubtest.File{
		{Name: "config.json", Data: []byte(`{"torch_dtype":"bfloat16"}`)},
		{Name: "model.safetensors", Data: big, LFS: true},
	}, hubtest.RepoOptions{})
	res, err := c.Pull(testCtx(t), "test/big", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(res.Dir, "model.safetensors")); !bytes.Equal(got, big) {
		t.Fatal("contents differ")
	}
	if got := srv.Served("test/big", "model.safetensors"); got != int64(len(big)) {
		t.Errorf("served %d bytes, want %d", got, len(big))
	}
	ranges := 0
	for _, r := range srv.Requests() {
		if strings.HasPrefix(r, "GET /cdn/") && strings.Contains(r, "bytes=") {
			ranges++
		}
	}
	if want := (len(big) + 256<<10 - 1) / (256 << 10); ranges != want {
		t.Errorf("%d range requests, want %d", ranges, want)
	}
}

// TestPullCorruptBlob: a CDN serving wrong bytes makes the pull fail after
// the bounded retries, with nothing in the snapshot or blobs.
func TestPullCorruptBlob(t *testing.T) {
	for _, tc := range []struct {
		name string
		file hubtest.File
		want string
	}{
		{"lfs-parallel", hubtest.File{Name: "model.safetensors", LFS: true}, "sha256"},
		{"small-git", hubtest.File{Name: "config.json"}, "gitsha1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, c := newHub(t)
			tc.file.Data = randomBytes(t, 2<<20)
			if !tc.file.LFS {
				tc.file.Data = tc.file.Data[:5000]
			}
			commit := srv.AddRepo("test/corrupt", []hubtest.File{tc.file}, hubtest.RepoOptions{})
			srv.SetFault("test/corrupt", tc.file.Name, &hubtest.Fault{Corrupt: true})
			var ev events
			opts := fastOpts()
			opts.Progress = &ev
			_, err := c.Pull(testCtx(t), "test/corrupt", opts)
			if err == nil || !strings.Contains(err.Error(), "digest mismatch") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a %s digest mismatch", err, tc.want)
			}
			if got, want := srv.Served("test/corrupt", tc.file.Name), 3*int64(len(tc.file.Data)); got != want {
				t.Errorf("served %d bytes, want %d (3 attempts)", got, want)
			}
			if n := ev.count(hub.EventFileRetry); n != 2 {
				t.Errorf("%d retry events, want 2", n)
			}
			repoDir := c.Cache.RepoDir("test/corrupt")
			if blobs, _ := os.ReadDir(filepath.Join(repoDir, "blobs")); len(blobs) != 0 {
				t.Errorf("blobs left: %v", blobs)
			}
			if _, err := os.Lstat(filepath.Join(repoDir, "snapshots", commit, tc.file.Name)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("snapshot entry exists: %v", err)
			}
			if _, err := os.Stat(filepath.Join(repoDir, "refs", "main")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("refs/main written for a failed pull")
			}
		})
	}
}

// TestPullGated: a gated repo without a token fails with the Hub's 401 and a
// message saying what to do; a wrong token gets 403; the right one works.
func TestPullGated(t *testing.T) {
	srv, c := newHub(t)
	srv.AddRepo("org/gated", []hubtest.File{{Name: "model.safetensors", Data: []byte("weights"), LFS: true}},
		hubtest.RepoOptions{GatedToken: "hf_good"})
	_, err := c.Pull(testCtx(t), "org/gated", fastOpts())
	var he *hub.HubError
	if !errors.As(err, &he) || he.StatusCode != 401 || !errors.Is(err, hub.ErrGated) {
		t.Fatalf("err = %v, want a 401 gated HubError", err)
	}
	for _, want := range []string{"HTTP 401", "gated", "HF_TOKEN", srv.URL + "/org/gated", "restricted"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	c.Token, c.TokenSource = "hf_bad", "HF_TOKEN"
	_, err = c.Pull(testCtx(t), "org/gated", fastOpts())
	if !errors.As(err, &he) || he.StatusCode != 403 || !errors.Is(err, hub.ErrGated) {
		t.Fatalf("err = %v, want a 403 gated HubError", err)
	}
	c.Token = "hf_good"
	if _, err := c.Pull(testCtx(t), "org/gated", fastOpts()); err != nil {
		t.Fatal(err)
	}
	if n := srv.AuthLeaks(); n != 0 {
		t.Errorf("the token was sent to the CDN %d times", n)
	}
}

func TestPullErrors(t *testing.T) {
	srv, c := newHub(t)
	srv.AddRepo("org/repo", []hubtest.File{{Name: "config.json", Data: []byte("{}")}}, hubtest.RepoOptions{})
	for _, tc := range []struct {
		ref  string
		is   error
		want string
	}{
		{"org/missing", hub.ErrRepoNotFound, "not found"},
		{"org/repo@v9", hub.ErrRevisionNotFound, `"v9"`},
	} {
		_, err := c.Pull(testCtx(t), tc.ref, fastOpts())
		if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %v mentioning %s", tc.ref, err, tc.is, tc.want)
		}
	}
}

// TestPullSelection covers --include/--exclude, REPO:QUANT and the refusal to
// pull every quantization of a GGUF repo.
func TestPullSelection(t *testing.T) {
	srv, c := newHub(t)
	repo := "unsloth/DeepSeek-R1-Distill-Qwen-1.5B-GGUF"
	files := []hubtest.File{
		{Name: "README.md", Data: []byte("# readme")},
		{Name: "DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf", Data: []byte("GGUF q4"), LFS: true},
		{Name: "DeepSeek-R1-Distill-Qwen-1.5B-Q8_0.gguf", Data: []byte("GGUF q8"), LFS: true},
		{Name: "BF16/DeepSeek-R1-Distill-Qwen-1.5B-BF16-00001-of-00002.gguf", Data: []byte("GGUF bf16 a"), LFS: true},
		{Name: "BF16/DeepSeek-R1-Distill-Qwen-1.5B-BF16-00002-of-00002.gguf", Data: []byte("GGUF bf16 b"), LFS: true},
	}
	srv.AddRepo(repo, files, hubtest.RepoOptions{})
	for _, tc := range []struct {
		name             string
		ref              string
		include, exclude []string
		want             []string
		err              string
	}{
		{name: "all quants refused", ref: repo, err: "3 GGUF quantizations (BF16, Q4_K_M, Q8_0)"},
		{name: "include", ref: repo, include: []string{"*Q4_K_M.gguf"}, want: []string{files[1].Name}},
		{name: "include crosses folders", ref: repo, include: []string{"*BF16*"}, want: []string{files[3].Name, files[4].Name}},
		{name: "folder pattern", ref: repo, include: []string{"BF16/"}, want: []string{files[3].Name, files[4].Name}},
		{name: "exclude", ref: repo, include: []string{"*"}, exclude: []string{"*.gguf"}, want: []string{"README.md"}},
		{name: "quant tag", ref: repo + ":q8_0", want: []string{files[2].Name}},
		{name: "unknown quant", ref: repo + ":Q2_K", err: "has BF16, Q4_K_M, Q8_0"},
		{name: "nothing matches", ref: repo, include: []string{"*.safetensors"}, err: "no file of " + repo + " matches --include *.safetensors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := fastOpts()
			opts.Include, opts.Exclude = tc.include, tc.exclude
			res, err := c.Pull(testCtx(t), tc.ref, opts)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, hub.ErrSelection) {
					t.Fatalf("err = %v, want an ErrSelection saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(res.Files)
			if !slices.Equal(res.Files, tc.want) {
				t.Errorf("pulled %v, want %v", res.Files, tc.want)
			}
		})
	}
}

// TestPullNoBlobsListing: a mirror listing only names; the client asks each
// file with HEAD for its etag and size.
func TestPullNoBlobsListing(t *testing.T) {
	srv, c := newHub(t)
	data := randomBytes(t, 100_000)
	srv.AddRepo("mirror/repo", []hubtest.File{
		{Name: "config.json", Data: []byte(`{"a":1}`)},
		{Name: "sub/model.safetensors", Data: data, LFS: true},
	}, hubtest.RepoOptions{NoBlobs: true})
	res, err := c.Pull(testCtx(t), "mirror/repo", fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	ptr := filepath.Join(res.Dir, "sub", "model.safetensors")
	if got := readFile(t, ptr); !bytes.Equal(got, data) {
		t.Fatal("contents differ")
	}
	if target, _ := os.Readlink(ptr); target != filepath.Join("..", "..", "..", "blobs", hubtest.SHA256(data)) {
		t.Errorf("nested link -> %s", target)
	}
}
