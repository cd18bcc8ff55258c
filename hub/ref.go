package hub

import (
	"fmt"
	"regexp"
	"strings"
)

// DefaultRevision is the branch pulled when a reference names none.
const DefaultRevision = "main"

// ModelRef is a parsed model reference: an alias, or a Hugging Face repo with
// an optional revision and GGUF quantization.
type ModelRef struct {
	// Alias is the alias name as typed when the reference was an alias.
	Alias string
	// Repo is the Hugging Face repo ("org/name").
	Repo string
	// Revision is the branch, tag or commit; empty for DefaultRevision.
	Revision string
	// Quant selects one GGUF quantization in a repo holding several ("Q4_K_M").
	Quant string
	// Huge is set for aliases of very large models.
	Huge bool
}

// String formats the reference back as org/name[:QUANT][@REV] (or the alias).
func (r ModelRef) String() string {
	if r.Alias != "" {
		return r.Alias
	}
	s := r.Repo
	if r.Quant != "" {
		s += ":" + r.Quant
	}
	if r.Revision != "" {
		s += "@" + r.Revision
	}
	return s
}

// Rev returns the revision, or DefaultRevision when none was given.
func (r ModelRef) Rev() string {
	if r.Revision == "" {
		return DefaultRevision
	}
	return r.Revision
}

var (
	repoNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$`)
	commitRE   = regexp.MustCompile(`^[0-9a-f]{40}$`)
	quantRE    = regexp.MustCompile(`^[A-Za-z0-9_]+(-[A-Za-z0-9_]+)?$`)
)

// ParseModelRef parses an alias ("deepseek-r1:1.5b") or a repo reference
// "org/name[:QUANT][@REVISION]" (also accepting an "hf.co/" or
// "https://huggingface.co/" prefix). It does not look at the disk.
func ParseModelRef(s string) (ModelRef, error) {
	s = strings.TrimSpace(s)
	if a, ok := LookupAlias(s); ok {
		return ModelRef{Alias: a.Name, Repo: a.Repo, Huge: a.Huge}, nil
	}
	s = trimHubPrefix(s)
	var ref ModelRef
	repo, rev, hasRev := strings.Cut(s, "@")
	if hasRev {
		// git refnames cannot hold ':', so "org/name@rev:Q4_K_M" is unambiguous.
		if r, q, ok := strings.Cut(rev, ":"); ok {
			rev, ref.Quant = r, q
		}
		if err := checkRevision(rev); err != nil {
			return ModelRef{}, err
		}
		ref.Revision = rev
	}
	if r, q, ok := strings.Cut(repo, ":"); ok {
		if ref.Quant != "" {
			return ModelRef{}, fmt.Errorf("hub: %q names two quantizations", s)
		}
		repo, ref.Quant = r, q
	}
	if ref.Quant != "" && !quantRE.MatchString(ref.Quant) {
		return ModelRef{}, fmt.Errorf("hub: %q: bad quantization %q (expected something like Q4_K_M)", s, ref.Quant)
	}
	if err := checkRepo(repo); err != nil {
		if !strings.Contains(repo, "/") {
			return ModelRef{}, fmt.Errorf("hub: unknown model %q: not an alias (%s) nor a Hugging Face repo (org/name)", s, aliasList())
		}
		return ModelRef{}, err
	}
	ref.Repo = repo
	ref.Huge = repoIsHuge(repo)
	return ref, nil
}

// hubPrefixes are accepted in front of a repo name.
var hubPrefixes = [...]string{"https://huggingface.co/", "http://huggingface.co/", "huggingface.co/", "hf.co/"}

// trimHubPrefix removes a leading "hf.co/" or "https://huggingface.co/".
func trimHubPrefix(s string) string {
	for _, p := range hubPrefixes {
		if strings.HasPrefix(s, p) {
			return s[len(p):]
		}
	}
	return s
}

// repoIsHuge reports whether an alias marks repo as huge.
func repoIsHuge(repo string) bool {
	for _, a := range aliases {
		if a.Huge && strings.EqualFold(a.Repo, repo) {
			return true
		}
	}
	return false
}

func aliasList() string {
	var names []string
	for _, a := range aliases {
		names = append(names, a.Name)
	}
	return "aliases: " + strings.Join(names, ", ")
}

// checkRepo validates a Hugging Face repo id: "org/name" with the Hub's
// characters, no "--" or ".." (which the cache folder naming cannot hold).
func checkRepo(repo string) error {
	if !repoNameRE.MatchString(repo) || strings.Contains(repo, "--") || strings.Contains(repo, "..") || len(repo) > 96 {
		return fmt.Errorf("hub: %q is not a Hugging Face repo name (org/name)", repo)
	}
	return nil
}

// checkRevision validates a branch, tag or commit: it becomes a path under refs/.
func checkRevision(rev string) error {
	if rev == "" {
		return fmt.Errorf("hub: empty revision after '@'")
	}
	if strings.ContainsAny(rev, "\\:~^?*[ \x00") {
		return fmt.Errorf("hub: bad revision %q", rev)
	}
	for _, seg := range strings.Split(rev, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, ".") {
			return fmt.Errorf("hub: bad revision %q", rev)
		}
	}
	return nil
}

// checkRepoFile validates a file name inside a repo, as sent by the server:
// it becomes a path under snapshots/<commit>/.
func checkRepoFile(name string) error {
	if name == "" || strings.HasPrefix(name, "/") || strings.ContainsAny(name, "\\\x00") {
		return fmt.Errorf("hub: bad file name %q in repo listing", name)
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("hub: bad file name %q in repo listing", name)
		}
	}
	return nil
}

// checkEtag validates a blob name (an LFS sha256 or a git sha1 as hex).
func checkEtag(etag string) error {
	if etag == "" || len(etag) > 128 || strings.HasPrefix(etag, ".") {
		return fmt.Errorf("hub: bad etag %q", etag)
	}
	for _, c := range etag {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("hub: bad etag %q", etag)
		}
	}
	return nil
}
