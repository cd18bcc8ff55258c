package main

import (
	"fmt"
	"strings"

	"github.com/seekd/seekd/hub"
	"github.com/seekd/seekd/hub/progressbar"
	"github.com/spf13/cobra"
)

func newRmCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "rm MODEL...",
		Short: "Remove models from the local Hugging Face cache",
		Long: `Remove models from the Hugging Face cache. MODEL is an alias or a repo as
shown by seekd list: org/name removes every revision, org/name@rev one
snapshot (and the files no other snapshot uses), org/name:QUANT one GGUF
model. Folders outside the cache are never deleted.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := hub.SettingsFromEnv(nil)
			if err != nil {
				return err
			}
			cache := hub.Cache{Dir: s.CacheDir}
			for _, a := range args {
				r, err := cache.Remove(a)
				if err != nil {
					return usageError{err}
				}
				what := r.Repo
				switch {
				case len(r.Files) > 0:
					what = fmt.Sprintf("%s (%s)", r.Repo, strings.Join(r.Files, ", "))
				case len(r.Commits) > 0:
					what = fmt.Sprintf("%s@%s", r.Repo, r.Commits[0][:12])
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted %s, freed %s\n", what, progressbar.Bytes(r.Freed))
			}
			return nil
		},
	}
}
