package hub

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Removed says what Remove deleted.
type Removed struct {
	// Repo is the repo removed from (whole, or some of it).
	Repo string
	// Whole is set when the repo's whole folder was deleted.
	Whole bool
	// Commits are the snapshots deleted (when not Whole).
	Commits []string
	// Files are the files deleted from a snapshot (for REPO:QUANT).
	Files []string
	// Freed is the number of bytes freed.
	Freed int64
}

// Remove deletes a model from the cache. s is an alias or "org/name" (the
// whole repo: every revision), "org/name@rev" (one snapshot, and the blobs no
// other snapshot uses), "org/name:QUANT" (one GGUF model's files), or a path
// inside the cache. Paths outside the cache are refused: Remove never deletes
// a user's own folders.
func (c Cache) Remove(s string) (*Removed, error) {
	if c.Dir == "" {
		return nil, errors.New("hub: no cache folder")
	}
	p := expandHome(s, os.Getenv)
	if _, err := os.Lstat(p); err == nil {
		return c.removePath(s, p)
	}
	ref, err := ParseModelRef(s)
	if err != nil {
		return nil, err
	}
	if !dirExists(c.RepoDir(ref.Repo)) {
		return nil, fmt.Errorf("hub: %s is not in the cache (%s); `seekd list` shows what is", ref, c.Dir)
	}
	if ref.Revision == "" && ref.Quant == "" {
		return c.removeRepo(ref.Repo)
	}
	commit, ok, err := c.CommitFor(ref.Repo, ref.Revision)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("hub: %s is not in the cache (%s); `seekd list` shows what is", ref, c.Dir)
	}
	if ref.Quant != "" {
		return c.removeQuant(ref.Repo, commit, ref.Quant)
	}
	return c.removeSnapshot(ref.Repo, commit)
}

// removePath removes the repo or snapshot a path inside the cache belongs to.
func (c Cache) removePath(orig, p string) (*Removed, error) {
	root, err := filepath.Abs(c.Dir)
	if err == nil {
		root, err = filepath.EvalSymlinks(root)
	}
	if err != nil {
		return nil, fmt.Errorf("hub: cache folder %s: %w", c.Dir, err)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, fmt.Errorf("hub: %s: %w", orig, err)
	}
	// Resolve links in the folders above, not in the last element: a
	// snapshot file is a link into blobs/ and stands for its snapshot.
	parent, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return nil, fmt.Errorf("hub: %s: %w", orig, err)
	}
	rel, err := filepath.Rel(root, filepath.Join(parent, filepath.Base(abs)))
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("hub: refusing to delete %s: it is not in the model cache (%s); seekd rm only deletes downloaded models", orig, root)
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	repo, ok := repoFromFolderName(parts[0])
	if !ok {
		return nil, fmt.Errorf("hub: refusing to delete %s: not a model folder of the cache", orig)
	}
	if len(parts) >= 3 && parts[1] == "snapshots" && commitRE.MatchString(parts[2]) {
		return c.removeSnapshot(repo, parts[2])
	}
	return c.removeRepo(repo)
}

// removeRepo deletes a repo's whole folder and its locks.
func (c Cache) removeRepo(repo string) (*Removed, error) {
	dir := c.RepoDir(repo)
	if filepath.Dir(dir) != filepath.Clean(c.Dir) || !strings.HasPrefix(filepath.Base(dir), "models--") {
		return nil, fmt.Errorf("hub: refusing to delete %s", dir)
	}
	freed := treeSize(filepath.Join(dir, "blobs"))
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("hub: deleting %s: %w", repo, err)
	}
	_ = os.RemoveAll(filepath.Join(c.Dir, ".locks", RepoFolderName(repo)))
	return &Removed{Repo: repo, Whole: true, Freed: freed}, nil
}

// removeSnapshot deletes one snapshot, the refs pointing to it and the blobs
// no other snapshot links to; the whole repo when it was the last snapshot.
func (c Cache) removeSnapshot(repo, commit string) (*Removed, error) {
	snaps, err := c.snapshots(repo)
	if err != nil {
		return nil, err
	}
	others := 0
	for _, s := range snaps {
		if s != commit {
			others++
		}
	}
	if others == 0 {
		return c.removeRepo(repo)
	}
	if err := os.RemoveAll(c.SnapshotDir(repo, commit)); err != nil {
		return nil, fmt.Errorf("hub: deleting %s@%s: %w", repo, commit, err)
	}
	_ = os.RemoveAll(filepath.Join(c.RepoDir(repo), ".no_exist", commit))
	refs, err := c.refs(repo)
	if err != nil {
		return nil, err
	}
	for r, cm := range refs {
		if cm == commit {
			if err := os.Remove(filepath.Join(c.RepoDir(repo), "refs", filepath.FromSlash(r))); err != nil {
				return nil, fmt.Errorf("hub: deleting ref %s of %s: %w", r, repo, err)
			}
		}
	}
	freed, err := c.pruneBlobs(repo)
	if err != nil {
		return nil, err
	}
	return &Removed{Repo: repo, Commits: []string{commit}, Freed: freed}, nil
}

// removeQuant deletes the files of one GGUF model from a snapshot.
func (c Cache) removeQuant(repo, commit, quant string) (*Removed, error) {
	dir := c.SnapshotDir(repo, commit)
	var rels []string
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			rels = append(rels, filepath.ToSlash(rel))
		}
		return nil
	})
	var files []string
	for _, g := range groupGGUF(rels) {
		if !isMMProj(g.key) && strings.EqualFold(GGUFQuantFromName(g.files[0]), quant) {
			files = append(files, g.files...)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("hub: %s@%s has no %s GGUF file", repo, commit[:12], quant)
	}
	for _, f := range files {
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(f))); err != nil {
			return nil, fmt.Errorf("hub: deleting %s: %w", f, err)
		}
		removeEmptyParents(filepath.Dir(filepath.Join(dir, filepath.FromSlash(f))), dir)
	}
	if ents, err := os.ReadDir(dir); err == nil && len(ents) == 0 {
		return c.removeSnapshot(repo, commit)
	}
	freed, err := c.pruneBlobs(repo)
	if err != nil {
		return nil, err
	}
	return &Removed{Repo: repo, Files: files, Freed: freed}, nil
}

func removeEmptyParents(dir, stop string) {
	for dir != stop && strings.HasPrefix(dir, stop) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

// pruneBlobs deletes the blobs of repo no snapshot links to, skipping any
// whose lock is held (a pull is writing or linking it).
func (c Cache) pruneBlobs(repo string) (int64, error) {
	used := map[string]bool{}
	root := filepath.Join(c.RepoDir(repo), "snapshots")
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type()&fs.ModeSymlink != 0 {
			if target, err := os.Readlink(path); err == nil {
				used[filepath.Base(target)] = true
			}
		}
		return nil
	})
	blobs := filepath.Join(c.RepoDir(repo), "blobs")
	ents, err := os.ReadDir(blobs)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("hub: %w", err)
	}
	var freed int64
	for _, e := range ents {
		name := e.Name()
		if used[name] || strings.HasSuffix(name, ".incomplete") || !e.Type().IsRegular() {
			continue
		}
		c.tryWithLock(repo, name, func() {
			info, err := e.Info()
			if os.Remove(filepath.Join(blobs, name)) == nil && err == nil {
				freed += info.Size()
			}
		})
	}
	return freed, nil
}

// tryWithLock runs f holding the blob's lock, unless another holds it (a
// pull is writing or linking the blob), and reports whether f ran.
func (c Cache) tryWithLock(repo, etag string, f func()) bool {
	path := c.lockPath(repo, etag)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false
	}
	lf, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return false
	}
	defer lf.Close()
	if ok, err := tryLock(lf); !ok || err != nil {
		return false
	}
	defer unlock(lf)
	f()
	return true
}

// treeSize sums the sizes of the regular files under dir.
func treeSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
