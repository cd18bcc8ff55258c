package hub

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

var (
	ggufShardRE = regexp.MustCompile(`^(.*)-(\d{5})-of-(\d{5})\.gguf$`)
	quantTokRE  = regexp.MustCompile(`(?i)^(I?Q\d(_[A-Z0-9]+)*|TQ\d_\d|BF16|F16|FP16|F32|FP32|MXFP4(_MOE)?)$`)
)

// GGUFQuantFromName derives a GGUF file's quantization from its name, the
// way GGUF repos name their files: "DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf"
// gives "Q4_K_M", "DeepSeek-R1-UD-IQ1_S-00001-of-00003.gguf" gives "UD-IQ1_S".
// It returns "" when the name says nothing. The GGUF metadata
// (general.file_type) is the authority; this is the fallback.
func GGUFQuantFromName(name string) string {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	if m := ggufShardRE.FindStringSubmatch(base); m != nil {
		base = m[1]
	} else {
		base = strings.TrimSuffix(base, path.Ext(base))
	}
	toks := strings.FieldsFunc(base, func(r rune) bool { return r == '-' || r == '.' })
	for i := len(toks) - 1; i >= 0; i-- {
		if quantTokRE.MatchString(toks[i]) {
			q := strings.ToUpper(toks[i])
			if i > 0 && strings.EqualFold(toks[i-1], "UD") {
				q = "UD-" + q
			}
			return q
		}
	}
	return ""
}

// ggufGroup is one GGUF model in a folder: a single file or a split set.
type ggufGroup struct {
	// key is the path without the shard suffix.
	key string
	// files are the paths, in shard order.
	files []string
	// shards is the number the names announce (1 for a single file).
	shards int
}

// groupGGUF groups .gguf paths into models (split files together), in name order.
func groupGGUF(paths []string) []ggufGroup {
	byKey := map[string]*ggufGroup{}
	var order []string
	for _, p := range paths {
		if !strings.HasSuffix(strings.ToLower(p), ".gguf") {
			continue
		}
		key, shards := p, 1
		if m := ggufShardRE.FindStringSubmatch(p); m != nil {
			key = m[1]
			shards = atoiOr(m[3], 1)
		}
		g, ok := byKey[key]
		if !ok {
			g = &ggufGroup{key: key, shards: shards}
			byKey[key] = g
			order = append(order, key)
		}
		g.files = append(g.files, p)
	}
	out := make([]ggufGroup, 0, len(order))
	for _, k := range order {
		g := byKey[k]
		slices.Sort(g.files)
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b ggufGroup) int { return strings.Compare(a.key, b.key) })
	return out
}

func atoiOr(s string, def int) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return def
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// isMMProj reports multimodal projector files, which are not models on their own.
func isMMProj(p string) bool {
	return strings.Contains(strings.ToLower(path.Base(p)), "mmproj")
}

// ggufFileTypes names llama.cpp's llama_ftype values (GGUF general.file_type).
var ggufFileTypes = map[uint64]string{
	0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
	10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
	16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
	22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
	28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0",
	37: "TQ2_0", 38: "MXFP4_MOE", 39: "NVFP4", 40: "Q1_0",
}

// GGUFFileTypeName names a GGUF general.file_type value (llama.cpp's
// llama_ftype), e.g. 15 is "Q4_K_M"; unknown values give "FTYPE_<n>".
func GGUFFileTypeName(ft uint64) string {
	if s, ok := ggufFileTypes[ft]; ok {
		return s
	}
	return fmt.Sprintf("FTYPE_%d", ft)
}
