package hub

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// CachedModel is one model in the cache, as List reports it.
type CachedModel struct {
	// Name is how to refer to it: "org/name" for the main branch,
	// "org/name@rev" (a ref or a short commit) for another snapshot, with
	// ":QUANT" when a snapshot holds several GGUF models.
	Name string
	// Repo is the Hugging Face repo.
	Repo string
	// Refs are the refs pointing to the snapshot.
	Refs []string
	// Commit is the snapshot's commit.
	Commit string
	// Path is what Resolve gives for Name: the folder, or the .gguf file.
	Path string
	// Format is the weight format ("" when the snapshot has no weights).
	Format Format
	// Quantization is e.g. "BF16", "FP8-E4M3" or "Q4_K_M" ("" if unknown).
	Quantization string
	// Size is the bytes of its files (each blob counted once).
	Size int64
	// Modified is the newest file's modification time.
	Modified time.Time
	// Aliases are the short names standing for Repo.
	Aliases []string
	// Missing lists files the model needs but the snapshot lacks (a pull
	// was interrupted).
	Missing []string
}

// GGUFQuantFunc reads the quantization of a GGUF file from its metadata
// (general.file_type), e.g. "Q4_K_M".
type GGUFQuantFunc func(path string) (string, error)

// ListOptions tune List.
type ListOptions struct {
	// GGUFQuant reads a GGUF file's quantization from its metadata (see
	// GGUFFileTypeName); nil (or an error) falls back to GGUFQuantFromName.
	GGUFQuant GGUFQuantFunc
}

// List returns the models in the cache, sorted by name. Folders that are not
// model repos, and unreadable entries, are skipped.
func (c Cache) List(opts ListOptions) ([]CachedModel, error) {
	ents, err := os.ReadDir(c.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("hub: reading the cache %s: %w", c.Dir, err)
	}
	var out []CachedModel
	for _, e := range ents {
		repo, ok := repoFromFolderName(e.Name())
		if !ok || !e.IsDir() {
			continue
		}
		refs, err := c.refs(repo)
		if err != nil {
			return nil, err
		}
		snaps, err := c.snapshots(repo)
		if err != nil {
			return nil, err
		}
		for _, commit := range snaps {
			var names []string
			for r, cm := range refs {
				if cm == commit {
					names = append(names, r)
				}
			}
			slices.Sort(names)
			out = append(out, c.listSnapshot(repo, commit, names, opts)...)
		}
	}
	slices.SortFunc(out, func(a, b CachedModel) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// snapFile is one file of a snapshot.
type snapFile struct {
	rel  string // path with '/'
	blob string // the blob it links to ("" for a plain file)
	size int64
	mod  time.Time
}

// listSnapshot describes the models in one snapshot.
func (c Cache) listSnapshot(repo, commit string, refs []string, opts ListOptions) []CachedModel {
	dir := c.SnapshotDir(repo, commit)
	var files []snapFile
	var missing []string
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		sf := snapFile{rel: filepath.ToSlash(rel)}
		info, err := os.Stat(path)
		if err != nil {
			missing = append(missing, sf.rel) // a link to a blob that is gone
			return nil
		}
		sf.size, sf.mod = info.Size(), info.ModTime()
		if target, err := os.Readlink(path); err == nil {
			sf.blob = filepath.Base(target)
		} else {
			sf.blob = "file:" + sf.rel
		}
		files = append(files, sf)
		return nil
	})
	base := repo
	switch {
	case slices.Contains(refs, DefaultRevision):
	case len(refs) > 0:
		base = repo + "@" + refs[0]
	default:
		base = repo + "@" + commit[:12]
	}
	tmpl := CachedModel{Repo: repo, Refs: refs, Commit: commit, Aliases: aliasesForRepo(repo)}

	var rels []string
	hasSafetensors := false
	for _, f := range files {
		rels = append(rels, f.rel)
		if strings.HasSuffix(f.rel, ".safetensors") && !strings.Contains(f.rel, "/") {
			hasSafetensors = true
		}
	}
	var out []CachedModel
	if hasSafetensors {
		m := tmpl
		m.Name, m.Path, m.Format = base, dir, FormatSafetensors
		m.Quantization = configQuant(filepath.Join(dir, "config.json"))
		m.Size, m.Modified = sumFiles(files, func(snapFile) bool { return true })
		m.Missing, _ = missingShards(dir)
		m.Missing = append(m.Missing, missing...)
		out = append(out, m)
	}
	var groups []ggufGroup
	for _, g := range groupGGUF(rels) {
		if !isMMProj(g.key) {
			groups = append(groups, g)
		}
	}
	for _, g := range groups {
		m := tmpl
		m.Format = FormatGGUF
		m.Path = filepath.Join(dir, filepath.FromSlash(g.files[0]))
		m.Quantization = ggufQuant(m.Path, g.files[0], opts.GGUFQuant)
		m.Name = base
		if len(groups) > 1 || hasSafetensors {
			m.Name = ggufName(base, m.Quantization, g.key)
		}
		inGroup := map[string]bool{}
		for _, f := range g.files {
			inGroup[f] = true
		}
		m.Size, m.Modified = sumFiles(files, func(f snapFile) bool { return inGroup[f.rel] })
		for i := 1; i <= g.shards && g.shards > 1; i++ {
			if want := fmt.Sprintf("%s-%05d-of-%05d.gguf", g.key, i, g.shards); !inGroup[want] {
				m.Missing = append(m.Missing, want)
			}
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		m := tmpl
		m.Name, m.Path = base, dir
		m.Size, m.Modified = sumFiles(files, func(snapFile) bool { return true })
		m.Missing = missing
		out = append(out, m)
	}
	return out
}

// ggufName puts ":QUANT" (or the file's base name) into a model name, before any "@rev".
func ggufName(base, quant, key string) string {
	tag := quant
	if tag == "" {
		tag = filepath.Base(key)
	}
	repo, rev, hasRev := strings.Cut(base, "@")
	if hasRev {
		return repo + ":" + tag + "@" + rev
	}
	return repo + ":" + tag
}

func sumFiles(files []snapFile, keep func(snapFile) bool) (int64, time.Time) {
	var size int64
	var mod time.Time
	seen := map[string]bool{}
	for _, f := range files {
		if !keep(f) {
			continue
		}
		if f.mod.After(mod) {
			mod = f.mod
		}
		if seen[f.blob] {
			continue
		}
		seen[f.blob] = true
		size += f.size
	}
	return size, mod
}

// ggufQuant prefers the file's metadata, unless the name says the same more
// precisely (unsloth's "UD-Q2_K_XL" files say Q2_K in their metadata).
func ggufQuant(path, rel string, read GGUFQuantFunc) string {
	fromName := GGUFQuantFromName(rel)
	if read != nil {
		if q, err := read(path); err == nil && q != "" {
			if fromName != "" && strings.Contains(fromName, q) {
				return fromName
			}
			return q
		}
	}
	return fromName
}

// configQuant describes the weights' precision from config.json:
// quantization_config (e.g. "FP8-E4M3", "AWQ-4BIT"), else torch_dtype ("BF16").
func configQuant(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var cfg struct {
		TorchDtype string `json:"torch_dtype"`
		Dtype      string `json:"dtype"`
		Quant      *struct {
			Method string `json:"quant_method"`
			Fmt    string `json:"fmt"`
			Bits   int    `json:"bits"`
		} `json:"quantization_config"`
	}
	if json.Unmarshal(b, &cfg) != nil {
		return ""
	}
	if q := cfg.Quant; q != nil && q.Method != "" {
		s := strings.ToUpper(q.Method)
		switch {
		case q.Fmt != "":
			s += "-" + strings.ToUpper(q.Fmt)
		case q.Bits > 0:
			s += fmt.Sprintf("-%dBIT", q.Bits)
		}
		return s
	}
	switch strings.ToLower(firstNonEmpty(cfg.TorchDtype, cfg.Dtype)) {
	case "bfloat16":
		return "BF16"
	case "float16":
		return "F16"
	case "float32":
		return "F32"
	case "":
		return ""
	default:
		return strings.ToUpper(firstNonEmpty(cfg.TorchDtype, cfg.Dtype))
	}
}
