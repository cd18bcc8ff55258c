package model

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/seekd/seekd/weights"
	"github.com/seekd/seekd/weights/gguf"
)

// Info describes a model without loading its weights.
type Info struct {
	Config       *Config
	Format       string         // "safetensors" or "gguf"
	Params       int64          // parameters of the decoder (MTP layers and FP8 scales not counted)
	ActiveParams int64          // weights read per token: all but the unselected experts and the unused embedding rows
	Quantization string         // e.g. "BF16", "FP8 e4m3, 128x128 block scales", "Q4_K_M"
	TensorTypes  map[string]int // tensor count per storage type
	MTPLayers    int            // multi-token-prediction layers present (not used by seekd yet)
}

// ReadConfig reads a model's configuration from a folder's config.json or
// a GGUF file's metadata.
func ReadConfig(path string) (*Config, error) {
	if isGGUF(path) {
		f, err := gguf.Open(path)
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		defer f.Close()
		return configFromGGUF(f)
	}
	return ReadHFConfig(filepath.Join(path, "config.json"))
}

func isGGUF(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && strings.HasSuffix(strings.ToLower(path), ".gguf")
}

// Inspect reads a model's configuration and tensor headers and counts its
// parameters.
func Inspect(path string) (*Info, error) {
	cfg, err := ReadConfig(path)
	if err != nil {
		return nil, err
	}
	info := &Info{Config: cfg, TensorTypes: map[string]int{}}
	if isGGUF(path) {
		f, err := gguf.Open(path)
		if err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		defer f.Close()
		info.Format = "gguf"
		for _, ti := range f.Tensors() {
			info.Params += ti.NumElements()
			info.TensorTypes[ti.Type.String()]++
		}
		if ft, err := f.Uint(gguf.KeyFileType); err == nil {
			info.Quantization = fileTypeName(ft)
		}
	} else {
		ck, err := weights.Open(path)
		if err != nil {
			return nil, err
		}
		defer ck.Close()
		info.Format = "safetensors"
		mtp := map[int]bool{}
		for _, name := range ck.Names() {
			if strings.HasSuffix(name, weights.ScaleSuffix) {
				continue
			}
			if l, ok := layerOf(name); ok && l >= cfg.Layers {
				mtp[l] = true
				continue
			}
			ti, _, _ := ck.Info(name)
			n := int64(1)
			for _, d := range ti.Shape {
				n *= int64(d)
			}
			info.Params += n
			info.TensorTypes[ti.DType]++
		}
		info.MTPLayers = len(mtp)
		info.Quantization = dominant(info.TensorTypes)
		if info.TensorTypes["F8_E4M3"] > 0 {
			info.Quantization = "FP8 e4m3, 128x128 block scales"
		}
	}
	info.ActiveParams = info.Params
	if cfg.Experts > 0 {
		moeLayers := 0
		for l := 0; l < cfg.Layers; l++ {
			if cfg.IsMoELayer(l) {
				moeLayers++
			}
		}
		expert := int64(3 * cfg.Hidden * cfg.MoEIntermediate)
		info.ActiveParams -= int64(moeLayers) * int64(cfg.Experts-cfg.ExpertsPerTok) * expert
	}
	info.ActiveParams -= int64(cfg.Vocab-1) * int64(cfg.Hidden)
	return info, nil
}

// layerOf extracts N from "model.layers.N.".
func layerOf(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, "model.layers.")
	if !ok {
		return 0, false
	}
	num, _, ok := strings.Cut(rest, ".")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	return n, err == nil
}

func dominant(counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if counts[keys[i]] != counts[keys[j]] {
			return counts[keys[i]] > counts[keys[j]]
		}
		return keys[i] < keys[j]
	})
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

// fileTypeName names llama.cpp's general.file_type values.
func fileTypeName(ft uint64) string {
	names := map[uint64]string{0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
		10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
		17: "Q5_K_M", 18: "Q6_K", 32: "BF16"}
	if n, ok := names[ft]; ok {
		return n
	}
	return fmt.Sprintf("file type %d", ft)
}
