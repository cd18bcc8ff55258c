package hub

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/gobwas/glob"
)

// ErrSelection is wrapped by the errors of a pull whose file selection is
// wrong: a bad pattern, nothing matching, no such quantization, or a GGUF
// repo holding several quantizations and no choice among them.
var ErrSelection = errors.New("file selection")

// selectionError is an error of the user's selection; errors.Is(err, ErrSelection).
type selectionError struct{ msg string }

func (e *selectionError) Error() string        { return e.msg }
func (e *selectionError) Is(target error) bool { return target == ErrSelection }

func selectionErrorf(format string, args ...any) error {
	return &selectionError{fmt.Sprintf(format, args...)}
}

// otherWeightFormats are skipped by default when a repo has safetensors
// weights: the same weights in formats seekd does not load.
var otherWeightFormats = [...]string{"*.bin", "*.pt", "*.pth", "*.h5", "*.msgpack", "*.onnx", "*.ckpt", "*.ot", "original/*"}

// compileGlobs compiles fnmatch-style patterns as huggingface_hub applies them
// (allow_patterns/ignore_patterns): '*' also matches '/', and a pattern ending
// in '/' matches everything below that folder.
func compileGlobs(patterns []string) ([]glob.Glob, error) {
	var out []glob.Glob
	for _, p := range patterns {
		if strings.HasSuffix(p, "/") {
			p += "*"
		}
		g, err := glob.Compile(p)
		if err != nil {
			return nil, selectionErrorf("hub: bad pattern %q: %v", p, err)
		}
		out = append(out, g)
	}
	return out, nil
}

func matchAny(gs []glob.Glob, name string) bool {
	for _, g := range gs {
		if g.Match(name) {
			return true
		}
	}
	return false
}

// selectFiles chooses which files of a repo to pull: those matching include
// (all when empty) and not exclude, and of a GGUF repo only the quantization
// asked for. Without include, a repo with safetensors weights skips copies of
// the weights in other formats, and a repo holding several GGUF
// quantizations is an error that lists them (nobody wants them all).
func selectFiles(repo string, sibs []Sibling, quant string, include, exclude []string) ([]Sibling, error) {
	inc, err := compileGlobs(include)
	if err != nil {
		return nil, err
	}
	exc, err := compileGlobs(exclude)
	if err != nil {
		return nil, err
	}
	var names []string
	hasSafetensors := false
	for _, s := range sibs {
		names = append(names, s.Name)
		if strings.HasSuffix(s.Name, ".safetensors") {
			hasSafetensors = true
		}
	}
	if len(inc) == 0 && hasSafetensors {
		more, _ := compileGlobs(otherWeightFormats[:])
		exc = append(exc, more...)
	}
	quants := ggufQuants(names)
	if quant == "" && len(inc) == 0 && len(quants) > 1 {
		return nil, selectionErrorf("hub: %s holds %d GGUF quantizations (%s): choose one, e.g. %s:%s, or pass --include",
			repo, len(quants), strings.Join(quants, ", "), repo, quants[0])
	}
	if quant != "" && !slices.ContainsFunc(quants, func(q string) bool { return strings.EqualFold(q, quant) }) {
		if len(quants) == 0 {
			return nil, selectionErrorf("hub: %s has no GGUF files, so no quantization %q", repo, quant)
		}
		return nil, selectionErrorf("hub: %s has no %s GGUF file; it has %s", repo, quant, strings.Join(quants, ", "))
	}
	var out []Sibling
	for _, s := range sibs {
		if len(inc) > 0 && !matchAny(inc, s.Name) {
			continue
		}
		if matchAny(exc, s.Name) {
			continue
		}
		if quant != "" && !(strings.HasSuffix(strings.ToLower(s.Name), ".gguf") && strings.EqualFold(GGUFQuantFromName(s.Name), quant)) {
			continue
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, selectionErrorf("hub: no file of %s matches %s; it has: %s", repo, describeFilter(quant, include, exclude), sample(names, 12))
	}
	return out, nil
}

// ggufQuants returns the distinct quantizations of the GGUF models among names
// (ignoring multimodal projectors), in name order.
func ggufQuants(names []string) []string {
	var out []string
	for _, g := range groupGGUF(names) {
		if isMMProj(g.key) {
			continue
		}
		q := GGUFQuantFromName(g.files[0])
		if q == "" {
			q = path.Base(g.key)
		}
		if !slices.Contains(out, q) {
			out = append(out, q)
		}
	}
	return out
}

func describeFilter(quant string, include, exclude []string) string {
	var parts []string
	if quant != "" {
		parts = append(parts, "quantization "+quant)
	}
	if len(include) > 0 {
		parts = append(parts, "--include "+strings.Join(include, " "))
	}
	if len(exclude) > 0 {
		parts = append(parts, "--exclude "+strings.Join(exclude, " "))
	}
	if len(parts) == 0 {
		return "the default selection"
	}
	return strings.Join(parts, " and ")
}

func sample(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s, ... (%d files)", strings.Join(names[:n], ", "), len(names))
}
