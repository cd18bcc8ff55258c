package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/seekd/seekd/model"
)

func newLogitsCmd() *cobra.Command {
	var modelPath, tokens, mode, out, dump string
	cmd := &cobra.Command{
		Use:   "logits --model DIR --tokens IDS --out FILE",
		Short: "Write the logits of every position as raw little-endian float32 [tokens, vocab]",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if mode != "prefill" && mode != "incremental" {
				return usagef("--mode must be prefill or incremental, not %q", mode)
			}
			if out == "" {
				return usagef("--out is required")
			}
			m, err := openModel(modelPath)
			if err != nil {
				return err
			}
			defer m.Close()
			c := m.Config()
			ids, err := parseTokens(tokens, c.Vocab)
			if err != nil {
				return err
			}
			cache, err := newSeqCache(c, len(ids))
			if err != nil {
				return err
			}
			var tr model.Tracer
			if dump != "" {
				if tr, err = dumpTracer(dump); err != nil {
					return err
				}
			}
			logits := make([]float32, 0, len(ids)*c.Vocab)
			ctx := cmd.Context()
			if mode == "prefill" {
				s := &model.Seq{Tokens: ids, KV: cache, AllLogits: true}
				if err := forward(ctx, m, s, tr); err != nil {
					return err
				}
				logits = append(logits, s.Logits...)
			} else {
				for p := range ids {
					s := &model.Seq{Tokens: ids[p : p+1], Pos: p, KV: cache}
					if err := forward(ctx, m, s, tr); err != nil {
						return err
					}
					logits = append(logits, s.Logits...)
				}
			}
			return writeFloats(out, logits)
		},
	}
	f := cmd.Flags()
	f.StringVar(&modelPath, "model", "", "model folder")
	f.StringVar(&tokens, "tokens", "", "token ids, comma-separated")
	f.StringVar(&mode, "mode", "prefill", "prefill (one forward call) or incremental (one token per call)")
	f.StringVar(&out, "out", "", "output file")
	f.StringVar(&dump, "dump", "", "also write every named intermediate to this folder (NAME[-LAYER].bin, float32 [rows, width])")
	return cmd
}

// writeFloats writes v as raw little-endian float32, atomically.
func writeFloats(path string, v []float32) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".seekd-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	var b [4]byte
	for _, x := range v {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(x))
		w.Write(b[:])
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// dumpTracer writes each named intermediate to dir as NAME.bin or
// NAME-LAYER.bin (appending on later calls, so incremental runs stack rows).
func dumpTracer(dir string) (model.Tracer, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return func(name string, layer, rows int, data []float32) {
		file := name
		if layer >= 0 {
			file = fmt.Sprintf("%s-%d", name, layer)
		}
		f, err := os.OpenFile(filepath.Join(dir, file+".bin"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return
		}
		defer f.Close()
		binary.Write(f, binary.LittleEndian, data)
	}, nil
}
