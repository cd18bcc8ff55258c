package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seekd/seekd/model"
	"github.com/seekd/seekd/sample"
)

func newGenerateCmd() *cobra.Command {
	var (
		modelPath, tokens string
		n                 int
		temp, topP        float32
		topK              int
		seed              uint64
		stopAtEOS         bool
	)
	cmd := &cobra.Command{
		Use:   "generate --model DIR --tokens IDS -n N",
		Short: "Generate N tokens after a prompt of token ids and print their ids",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 0 {
				return usagef("-n must not be negative")
			}
			if temp < 0 {
				return usagef("--temperature must not be negative")
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
			cache, err := newSeqCache(c, len(ids)+n)
			if err != nil {
				return err
			}
			smp := sample.New(sample.Params{Temperature: temp, TopK: topK, TopP: topP}, seed)
			ctx := cmd.Context()
			s := &model.Seq{Tokens: ids, KV: cache}
			var out []string
			for i := 0; i < n; i++ {
				if err := forward(ctx, m, s, nil); err != nil {
					return err
				}
				next := smp.Next(s.Logits)
				out = append(out, fmt.Sprint(next))
				if stopAtEOS && slices.Contains(c.EOS, next) {
					break
				}
				s.Pos += len(s.Tokens)
				s.Tokens = []int{next}
			}
			fmt.Fprintln(cmd.OutOrStdout(), strings.Join(out, " "))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&modelPath, "model", "", "model folder")
	f.StringVar(&tokens, "tokens", "", "prompt token ids, comma-separated")
	f.IntVarP(&n, "n", "n", 16, "number of tokens to generate")
	f.Float32Var(&temp, "temperature", 0, "sampling temperature (0: greedy)")
	f.Float32Var(&topP, "top-p", 1, "nucleus sampling threshold")
	f.IntVar(&topK, "top-k", 0, "sample from the k most likely tokens (0: all)")
	f.Uint64Var(&seed, "seed", 0, "random seed for sampling")
	f.BoolVar(&stopAtEOS, "stop-at-eos", false, "stop after an end-of-sequence token")
	return cmd
}
