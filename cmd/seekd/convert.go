package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seekd/seekd/convert"
	"github.com/seekd/seekd/tensor"
	"github.com/seekd/seekd/weights/gguf"
)

func newConvertCmd() *cobra.Command {
	var (
		modelDir, typeName, out string
		opt                     convert.Options
	)
	cmd := &cobra.Command{
		Use:   "convert --model DIR --type TYPE --out FILE.gguf",
		Short: "Convert a Hugging Face safetensors folder into a GGUF file",
		Long: `Convert a Hugging Face safetensors folder (DeepSeek V2/V3/R1, R1-Distill Qwen2
or Llama) into a GGUF file laid out as llama.cpp's convert_hf_to_gguf.py followed
by "llama-quantize --pure" writes it. TYPE is F32, F16, BF16, Q8_0, Q4_0, Q5_0,
Q4_K or Q6_K; norms, 1-D tensors and the MoE router stay F32, and a matrix whose
rows do not fit the block size falls back as llama-quantize does (Q4_K to Q5_0,
Q6_K to Q8_0, 32-blocks to F16). FP8 checkpoints are dequantized first.
The file is written under a temporary name and renamed when complete.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkConvertArgs(modelDir, out, &opt); err != nil {
				return err
			}
			typ, ok := tensor.ParseDType(strings.ToUpper(typeName))
			if !ok || !isTarget(typ) {
				return usagef("--type %q: want one of %v", typeName, convert.Targets())
			}
			opt.Type = typ
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
			defer stop()
			if err := convert.ToGGUF(ctx, modelDir, out, opt); err != nil {
				return err
			}
			return reportGGUF(cmd, out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&modelDir, "model", "", "Hugging Face model folder (config.json + *.safetensors)")
	f.StringVar(&typeName, "type", "BF16", "target tensor type: F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K or Q6_K")
	f.StringVar(&out, "out", "", "GGUF file to write")
	f.BoolVar(&opt.LegacyMLA, "legacy-mla", false, "DeepSeek: write the pre-April-2025 layout (unsplit attn_kv_b)")
	f.StringVar(&opt.TokenizerDir, "tokenizer", "", "folder with tokenizer.json and tokenizer_config.json (default: the model folder)")
	f.StringVar(&opt.TokenizerPre, "tokenizer-pre", "", "tokenizer.ggml.pre to write (default: recognized from tokenizer.json)")
	f.StringVar(&opt.Name, "name", "", "general.name to write (default: none)")
	return cmd
}

// checkConvertArgs turns what the user got wrong about the paths into
// usage errors before any work starts.
func checkConvertArgs(modelDir, out string, opt *convert.Options) error {
	if modelDir == "" {
		return usagef("--model is required")
	}
	if out == "" {
		return usagef("--out is required")
	}
	if fi, err := os.Stat(modelDir); err != nil || !fi.IsDir() {
		return usagef("--model %s: not a folder", modelDir)
	}
	if _, err := os.Stat(filepath.Join(modelDir, "config.json")); err != nil {
		return usagef("--model %s: no config.json in this folder", modelDir)
	}
	if opt.TokenizerDir != "" {
		if _, err := os.Stat(filepath.Join(opt.TokenizerDir, "tokenizer.json")); err != nil {
			return usagef("--tokenizer %s: no tokenizer.json in this folder", opt.TokenizerDir)
		}
	}
	if fi, err := os.Stat(filepath.Dir(out)); err != nil || !fi.IsDir() {
		return usagef("--out %s: folder %s does not exist", out, filepath.Dir(out))
	}
	if fi, err := os.Stat(out); err == nil && fi.IsDir() {
		return usagef("--out %s is a folder", out)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return usageError{err}
	}
	return nil
}

func isTarget(t tensor.DType) bool {
	for _, x := range convert.Targets() {
		if x == t {
			return true
		}
	}
	return false
}

// reportGGUF prints a one-line summary of the written file.
func reportGGUF(cmd *cobra.Command, path string) error {
	f, err := gguf.Open(path)
	if err != nil {
		return fmt.Errorf("convert: reading back %s: %w", path, err)
	}
	defer f.Close()
	counts := map[string]int{}
	var order []string
	for _, ti := range f.Tensors() {
		name := ti.Type.String()
		if counts[name] == 0 {
			order = append(order, name)
		}
		counts[name]++
	}
	parts := make([]string, len(order))
	for i, n := range order {
		parts[i] = fmt.Sprintf("%s %d", n, counts[n])
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %s, %d bytes, %d tensors (%s)\n", path, f.Arch(), st.Size(), f.NumTensors(), strings.Join(parts, ", "))
	return nil
}
