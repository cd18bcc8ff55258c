package main

import (
	"fmt"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/seekd/seekd/history"
	"github.com/seekd/seekd/kvcache"
)

// defaultCacheDir is the prefix cache's folder under seekd's data folder.
func defaultCacheDir() string {
	d, err := history.DefaultDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "kvcache")
}

func newCacheCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "Inspect and empty the on-disk prefix cache",
	}
	cmd.PersistentFlags().StringVar(&dir, "cache-dir", defaultCacheDir(), "prefix cache folder")
	cacheDir := func() (string, error) {
		if dir == "" {
			return "", usagef("no --cache-dir and no data folder")
		}
		return dir, nil
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "ls",
		Short: "List cached models: blocks, size, last use",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := cacheDir()
			if err != nil {
				return err
			}
			list, err := kvcache.ListDisk(d)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "MODEL\tDIGEST\tBLOCKS\tSIZE\tLAST USED")
			for _, e := range list {
				fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\n", orDash(e.Label), e.Digest, e.Blocks, humanBytes(e.Bytes), lastUsed(e.LastUsed))
			}
			return w.Flush()
		},
	}, &cobra.Command{
		Use:   "stats",
		Short: "Show the cache's totals",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := cacheDir()
			if err != nil {
				return err
			}
			list, err := kvcache.ListDisk(d)
			if err != nil {
				return err
			}
			var blocks int
			var bytes int64
			for _, e := range list {
				blocks += e.Blocks
				bytes += e.Bytes
			}
			fmt.Fprintf(cmd.OutOrStdout(), "folder: %s\nmodels: %d\nblocks: %d\nsize:   %s\n", d, len(list), blocks, humanBytes(bytes))
			return nil
		},
	}, &cobra.Command{
		Use:   "clear [DIGEST]",
		Short: "Delete the cache of one model (by digest), or all of it",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := cacheDir()
			if err != nil {
				return err
			}
			digest := ""
			if len(args) == 1 {
				digest = args[0]
			}
			if err := kvcache.ClearDisk(d, digest); err != nil {
				return usageError{err}
			}
			fmt.Fprintln(cmd.OutOrStdout(), "cleared")
			return nil
		},
	})
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func lastUsed(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format("2006-01-02 15:04")
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
