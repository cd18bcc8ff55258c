package hub

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Cache is a Hugging Face hub cache folder ($HF_HUB_CACHE).
type Cache struct {
	// Dir is the cache folder, holding models--org--name folders.
	Dir string
}

// RepoFolderName returns the cache folder name of a model repo:
// "org/name" becomes "models--org--name".
func RepoFolderName(repo string) string {
	return "models--" + strings.ReplaceAll(repo, "/", "--")
}

// repoFromFolderName is the inverse of RepoFolderName; ok is false for other folders.
func repoFromFolderName(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "models--")
	if !ok {
		return "", false
	}
	repo := strings.Replace(rest, "--", "/", 1)
	if checkRepo(repo) != nil {
		return "", false
	}
	return repo, true
}

// RepoDir returns the folder of a repo in the cache (it may not exist).
func (c Cache) RepoDir(repo string) string { return filepath.Join(c.Dir, RepoFolderName(repo)) }

// SnapshotDir returns the snapshot folder of a commit of repo.
func (c Cache) SnapshotDir(repo, commit string) string {
	return filepath.Join(c.RepoDir(repo), "snapshots", commit)
}

// blobPath returns where the blob named etag of repo is stored.
func (c Cache) blobPath(repo, etag string) string {
	return filepath.Join(c.RepoDir(repo), "blobs", etag)
}

// lockPath returns the lock file guarding the download of a blob; the same
// path huggingface_hub locks, so the two never write one blob at once.
func (c Cache) lockPath(repo, etag string) string {
	return filepath.Join(c.Dir, ".locks", RepoFolderName(repo), etag+".lock")
}

// pointerPath returns the snapshot entry of file (a repo path with '/') at commit.
func (c Cache) pointerPath(repo, commit, file string) string {
	return filepath.Join(c.SnapshotDir(repo, commit), filepath.FromSlash(file))
}

// ReadRef returns the commit that refs/<revision> of repo records, or "" if
// the cache has no such ref.
func (c Cache) ReadRef(repo, revision string) (string, error) {
	b, err := os.ReadFile(filepath.Join(c.RepoDir(repo), "refs", filepath.FromSlash(revision)))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("hub: reading ref %s of %s: %w", revision, repo, err)
	}
	commit := strings.TrimSpace(string(b))
	if !commitRE.MatchString(commit) {
		return "", fmt.Errorf("hub: ref %s of %s holds %q, not a commit hash", revision, repo, commit)
	}
	return commit, nil
}

// WriteRef records that revision of repo points to commit (atomically).
// Nothing is written when revision is the commit itself.
func (c Cache) WriteRef(repo, revision, commit string) error {
	if revision == commit {
		return nil
	}
	if err := checkRevision(revision); err != nil {
		return err
	}
	path := filepath.Join(c.RepoDir(repo), "refs", filepath.FromSlash(revision))
	if old, err := os.ReadFile(path); err == nil && string(old) == commit {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("hub: writing ref %s of %s: %w", revision, repo, err)
	}
	return writeFileAtomic(path, []byte(commit))
}

// refs returns every ref of repo (revision name with '/', to commit).
func (c Cache) refs(repo string) (map[string]string, error) {
	root := filepath.Join(c.RepoDir(repo), "refs")
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if commit := strings.TrimSpace(string(b)); commitRE.MatchString(commit) {
			out[filepath.ToSlash(rel)] = commit
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hub: reading refs of %s: %w", repo, err)
	}
	return out, nil
}

// snapshots returns the commits that have a snapshot folder for repo, newest first.
func (c Cache) snapshots(repo string) ([]string, error) {
	dir := filepath.Join(c.RepoDir(repo), "snapshots")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("hub: reading snapshots of %s: %w", repo, err)
	}
	type snap struct {
		commit string
		mod    int64
	}
	var snaps []snap
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		var mod int64
		if info, err := e.Info(); err == nil {
			mod = info.ModTime().UnixNano()
		}
		snaps = append(snaps, snap{e.Name(), mod})
	}
	sort.Slice(snaps, func(i, j int) bool { return snaps[i].mod > snaps[j].mod })
	out := make([]string, len(snaps))
	for i, s := range snaps {
		out[i] = s.commit
	}
	return out, nil
}

// CommitFor finds the commit of repo at revision in the cache: revision may be
// a ref (branch or tag), a full commit or a unique commit prefix (7+ hex
// digits). An empty revision means "main", falling back to the newest snapshot
// when the cache has no refs/main (files fetched by commit). ok is false when
// the cache holds nothing for it.
func (c Cache) CommitFor(repo, revision string) (commit string, ok bool, err error) {
	rev := revision
	if rev == "" {
		rev = DefaultRevision
	}
	commit, err = c.ReadRef(repo, rev)
	if err != nil {
		return "", false, err
	}
	snaps, err := c.snapshots(repo)
	if err != nil {
		return "", false, err
	}
	if commit != "" {
		return commit, dirExists(c.SnapshotDir(repo, commit)), nil
	}
	if revision == "" {
		if len(snaps) > 0 {
			return snaps[0], true, nil
		}
		return "", false, nil
	}
	if len(rev) >= 7 && isHex(rev) {
		var match []string
		for _, s := range snaps {
			if strings.HasPrefix(s, rev) {
				match = append(match, s)
			}
		}
		if len(match) == 1 {
			return match[0], true, nil
		}
		if len(match) > 1 {
			return "", false, fmt.Errorf("hub: revision %s of %s matches %d snapshots; give more digits", rev, repo, len(match))
		}
	}
	return "", false, nil
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func dirExists(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// writeFileAtomic writes data to a temporary file next to path and renames it over path.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("hub: writing %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("hub: writing %s: %w", path, werr)
	}
	return nil
}

// linkSnapshotFile makes snapshots/<commit>/<file> a relative symlink to the
// blob, atomically replacing whatever was there. Where symlinks are not
// supported it falls back to a hard link, then to a copy.
func (c Cache) linkSnapshotFile(repo, commit, file, etag string) error {
	ptr := c.pointerPath(repo, commit, file)
	blob := c.blobPath(repo, etag)
	if err := os.MkdirAll(filepath.Dir(ptr), 0o755); err != nil {
		return fmt.Errorf("hub: %s: %w", file, err)
	}
	rel, err := filepath.Rel(filepath.Dir(ptr), blob)
	if err != nil {
		return fmt.Errorf("hub: %s: %w", file, err)
	}
	if target, err := os.Readlink(ptr); err == nil && target == rel {
		return nil
	}
	tmp := filepath.Join(filepath.Dir(ptr), "."+filepath.Base(ptr)+".tmp-"+randSuffix())
	if err := os.Symlink(rel, tmp); err != nil {
		if err := os.Link(blob, tmp); err != nil {
			if err := copyFile(blob, tmp); err != nil {
				return fmt.Errorf("hub: linking %s to its blob: %w", file, err)
			}
		}
	}
	if err := os.Rename(tmp, ptr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("hub: linking %s to its blob: %w", file, err)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	return out.Close()
}

// randSuffix returns a short random string for temporary file names.
func randSuffix() string { return strconv.FormatUint(rand.Uint64(), 36) }
