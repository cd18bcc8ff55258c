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
)

// Format is a model's weight file format.
type Format string

// The formats seekd loads.
const (
	FormatSafetensors Format = "safetensors"
	FormatGGUF        Format = "gguf"
)

// Model is a model to load, as found by Resolve.
type Model struct {
	// Path is a folder (safetensors with config.json) or a .gguf file (the
	// first shard of a split model).
	Path string
	// Format is the weights' format.
	Format Format
	// Local is set when the user gave a path rather than a cached model.
	Local bool
	// Ref is the parsed reference for cached models (zero for local paths).
	Ref ModelRef
	// Commit is the snapshot's commit for cached models.
	Commit string
}

// NotPulledError says a model reference names a model that is not (or only
// partly) in the cache, and how to pull it. Commands that can pull on first
// use test for it with errors.As.
type NotPulledError struct {
	// Ref is the model asked for.
	Ref ModelRef
	// Missing lists files of a partly downloaded model.
	Missing []string
}

func (e *NotPulledError) Error() string {
	name := e.Ref.String()
	what := name
	if e.Ref.Alias != "" {
		what = fmt.Sprintf("%s (%s)", name, e.Ref.Repo)
	}
	if len(e.Missing) > 0 {
		return fmt.Sprintf("model %s is only partly downloaded (missing %s): run `seekd pull %s` to finish", what, sample(e.Missing, 3), name)
	}
	return fmt.Sprintf("model %s is not downloaded: run `seekd pull %s` first (or give a local folder or .gguf file)", what, name)
}

// Resolve turns what a user typed into a model to load. It accepts, in this
// order of preference:
//   - an existing folder (with config.json and .safetensors files, or .gguf
//     files) or .gguf file, so a local folder named like an alias wins;
//   - an alias ("deepseek-r1:1.5b") or a repo ("org/name[:QUANT][@REV]")
//     present in the cache.
//
// A model missing from the cache gives a *NotPulledError saying how to pull it.
func (c Cache) Resolve(s string) (*Model, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("hub: no model given")
	}
	p := expandHome(s, os.Getenv)
	if _, err := os.Stat(p); err == nil {
		return resolveLocal(p)
	}
	if looksLikePath(s) {
		return nil, fmt.Errorf("hub: %s: no such file or folder", s)
	}
	ref, err := ParseModelRef(s)
	if err != nil {
		return nil, err
	}
	commit, ok, err := c.CommitFor(ref.Repo, ref.Revision)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &NotPulledError{Ref: ref}
	}
	m, missing, err := resolveFolder(c.SnapshotDir(ref.Repo, commit), ref.Quant)
	if err != nil {
		var nf *noModelFilesError
		if errors.As(err, &nf) {
			return nil, &NotPulledError{Ref: ref}
		}
		return nil, fmt.Errorf("hub: %s: %w", ref, err)
	}
	if len(missing) > 0 {
		return nil, &NotPulledError{Ref: ref, Missing: missing}
	}
	m.Ref, m.Commit = ref, commit
	return m, nil
}

// looksLikePath reports references that can only be paths.
func looksLikePath(s string) bool {
	s = trimHubPrefix(s)
	return filepath.IsAbs(s) || strings.HasPrefix(s, ".") || strings.HasPrefix(s, "~") ||
		strings.HasSuffix(strings.ToLower(s), ".gguf") || strings.Count(strings.SplitN(s, "@", 2)[0], "/") > 1 || strings.ContainsRune(s, filepath.Separator) && filepath.Separator != '/'
}

func resolveLocal(p string) (*Model, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, fmt.Errorf("hub: %s: %w", p, err)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	if !info.IsDir() {
		if !strings.HasSuffix(strings.ToLower(abs), ".gguf") {
			return nil, fmt.Errorf("hub: %s is not a model: give a folder with config.json and .safetensors files, or a .gguf file", p)
		}
		if m := ggufShardRE.FindStringSubmatch(abs); m != nil && m[2] != "00001" {
			first := fmt.Sprintf("%s-00001-of-%s.gguf", m[1], m[3])
			if _, err := os.Stat(first); err == nil {
				abs = first
			}
		}
		return &Model{Path: abs, Format: FormatGGUF, Local: true}, nil
	}
	m, missing, err := resolveFolder(abs, "")
	if err != nil {
		return nil, fmt.Errorf("hub: %s: %w", p, err)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("hub: %s: incomplete model: missing %s", p, sample(missing, 5))
	}
	m.Local = true
	return m, nil
}

// noModelFilesError: a folder holds no weights.
type noModelFilesError struct{ dir string }

func (e *noModelFilesError) Error() string {
	return fmt.Sprintf("no .safetensors or .gguf model files in %s", e.dir)
}

// resolveFolder finds the model in a folder: the folder itself for
// safetensors weights, else its one GGUF model (or the one of quantization
// quant). missing lists files an index or a split name promises but the
// folder lacks.
func resolveFolder(dir, quant string) (m *Model, missing []string, err error) {
	var safetensors, ggufs []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			if path != dir && (strings.HasPrefix(d.Name(), ".") || strings.Count(rel, string(filepath.Separator)) >= 2) {
				return filepath.SkipDir
			}
			return nil
		}
		rel = filepath.ToSlash(rel)
		switch lower := strings.ToLower(d.Name()); {
		case strings.HasSuffix(lower, ".safetensors") && !strings.Contains(rel, "/"):
			safetensors = append(safetensors, rel)
		case strings.HasSuffix(lower, ".gguf"):
			ggufs = append(ggufs, rel)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if len(safetensors) > 0 && quant == "" {
		missing, err := missingShards(dir)
		if err != nil {
			return nil, nil, err
		}
		return &Model{Path: dir, Format: FormatSafetensors}, missing, nil
	}
	var groups []ggufGroup
	for _, g := range groupGGUF(ggufs) {
		if isMMProj(g.key) {
			continue
		}
		if quant != "" && !strings.EqualFold(GGUFQuantFromName(g.files[0]), quant) {
			continue
		}
		groups = append(groups, g)
	}
	switch {
	case len(groups) == 0 && quant != "":
		have := ggufQuants(ggufs)
		if len(have) == 0 {
			return nil, nil, &noModelFilesError{dir}
		}
		return nil, nil, fmt.Errorf("no %s GGUF file (the cache has %s)", quant, strings.Join(have, ", "))
	case len(groups) == 0:
		return nil, nil, &noModelFilesError{dir}
	case len(groups) > 1:
		var names []string
		for _, g := range groups {
			names = append(names, g.files[0])
		}
		return nil, nil, fmt.Errorf("several GGUF models (%s): choose one with REPO:QUANT (%s) or give the file's path",
			strings.Join(names, ", "), strings.Join(ggufQuants(ggufs), ", "))
	}
	g := groups[0]
	for i := 1; i <= g.shards && g.shards > 1; i++ {
		want := fmt.Sprintf("%s-%05d-of-%05d.gguf", g.key, i, g.shards)
		if !slices.Contains(g.files, want) {
			missing = append(missing, want)
		}
	}
	first := g.files[0]
	if g.shards > 1 {
		first = fmt.Sprintf("%s-%05d-of-%05d.gguf", g.key, 1, g.shards)
	}
	return &Model{Path: filepath.Join(dir, filepath.FromSlash(first)), Format: FormatGGUF}, missing, nil
}

// missingShards lists the shards that model.safetensors.index.json names but
// the folder lacks (a broken symlink counts as missing).
func missingShards(dir string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "model.safetensors.index.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("model.safetensors.index.json: %w", err)
	}
	seen := map[string]bool{}
	var missing []string
	for _, f := range idx.WeightMap {
		if seen[f] {
			continue
		}
		seen[f] = true
		if checkRepoFile(f) != nil {
			return nil, fmt.Errorf("model.safetensors.index.json: bad shard name %q", f)
		}
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f))); err != nil {
			missing = append(missing, f)
		}
	}
	slices.Sort(missing)
	return missing, nil
}
