package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/seekd/seekd/hub"
	"github.com/seekd/seekd/hub/progressbar"
	"github.com/seekd/seekd/weights/gguf"
	"github.com/spf13/cobra"
)

func newListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the models in the local Hugging Face cache",
		Long: `List the models in the Hugging Face cache ($HF_HUB_CACHE, default
~/.cache/huggingface/hub), including those downloaded by other tools.
A model pulled at another revision than main is listed as org/name@rev,
each GGUF model of a repo holding several as org/name:QUANT; every NAME
works as the MODEL of the other commands.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := hub.SettingsFromEnv(nil)
			if err != nil {
				return err
			}
			models, err := hub.Cache{Dir: s.CacheDir}.List(hub.ListOptions{GGUFQuant: ggufFileType})
			if err != nil {
				return err
			}
			printModels(cmd.OutOrStdout(), models, time.Now())
			return nil
		},
	}
}

// ggufFileType reads a GGUF file's general.file_type.
func ggufFileType(path string) (string, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	ft, err := f.Uint(gguf.KeyFileType)
	if err != nil {
		return "", err
	}
	return hub.GGUFFileTypeName(ft), nil
}

func printModels(w io.Writer, models []hub.CachedModel, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSIZE\tFORMAT\tQUANTIZATION\tMODIFIED")
	for _, m := range models {
		name := m.Name
		if len(m.Missing) > 0 {
			name += " (incomplete)"
		}
		format := string(m.Format)
		if format == "" {
			format = "-"
		}
		quant := m.Quantization
		if quant == "" {
			quant = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, progressbar.Bytes(m.Size), format, quant, ago(now, m.Modified))
	}
	tw.Flush()
}

// ago formats a time as "2 hours ago", "3 days ago".
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	unit := func(n int, s string) string {
		if n == 1 {
			return "1 " + s + " ago"
		}
		return fmt.Sprintf("%d %ss ago", n, s)
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return unit(int(d.Minutes()), "minute")
	case d < 24*time.Hour:
		return unit(int(d.Hours()), "hour")
	case d < 30*24*time.Hour:
		return unit(int(d.Hours()/24), "day")
	case d < 365*24*time.Hour:
		return unit(int(d.Hours()/24/30), "month")
	}
	return unit(int(d.Hours()/24/365), "year")
}
