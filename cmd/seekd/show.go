package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/seekd/seekd/bundle"
	"github.com/seekd/seekd/hub"
	"github.com/seekd/seekd/model"
)

// resolveModel turns what the user typed (an alias, a repo in the Hugging
// Face cache, a folder or a .gguf file) into a path to load. A model that is
// not in the cache is a usage error that says how to pull it.
func resolveModel(name string) (*hub.Model, error) {
	settings, err := hub.SettingsFromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	m, err := hub.Cache{Dir: settings.CacheDir}.Resolve(name)
	if err != nil {
		return nil, usageError{err}
	}
	return m, nil
}

func newShowCmd() *cobra.Command {
	var showTemplate bool
	cmd := &cobra.Command{
		Use:   "show MODEL",
		Short: "Show a model: architecture, parameters, context, quantization, capabilities, chat template",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := resolveModel(args[0])
			if err != nil {
				return err
			}
			info, err := model.Inspect(m.Path)
			if err != nil {
				return err
			}
			text, textErr := bundle.OpenText(m.Path)
			out := cmd.OutOrStdout()
			if showTemplate {
				if textErr != nil {
					return textErr
				}
				if text.TemplateSource == "" {
					return fmt.Errorf("%s has no chat template", args[0])
				}
				_, err := io.WriteString(out, text.TemplateSource+"\n")
				return err
			}
			printInfo(out, m.Path, info, text, textErr)
			return nil
		},
	}
	cmd.Flags().BoolVar(&showTemplate, "template", false, "print the whole chat template")
	return cmd
}

func printInfo(out io.Writer, path string, info *model.Info, text *bundle.Text, textErr error) {
	c := info.Config
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "path\t%s\n", path)
	fmt.Fprintf(w, "architecture\t%s (%s)\n", c.Arch, info.Format)
	fmt.Fprintf(w, "parameters\t%s\n", humanCount(info.Params))
	fmt.Fprintf(w, "active parameters\t%s per token\n", humanCount(info.ActiveParams))
	fmt.Fprintf(w, "context length\t%d\n", c.MaxPos)
	fmt.Fprintf(w, "quantization\t%s\n", info.Quantization)
	fmt.Fprintf(w, "layers\t%d (hidden %d, %d heads)\n", c.Layers, c.Hidden, c.Heads)
	if c.Arch.MLA() {
		fmt.Fprintf(w, "attention\tMLA, latent cache of %d values per token and layer\n", c.KVWidth())
	} else {
		fmt.Fprintf(w, "attention\tGQA, %d KV heads of %d\n", c.KVHeads, c.HeadDim)
	}
	if c.Experts > 0 {
		fmt.Fprintf(w, "experts\t%d routed (%d per token) + %d shared\n", c.Experts, c.ExpertsPerTok, c.SharedExperts)
	}
	if info.MTPLayers > 0 {
		fmt.Fprintf(w, "multi-token prediction\t%d layer(s), not used\n", info.MTPLayers)
	}
	types := make([]string, 0, len(info.TensorTypes))
	for t, n := range info.TensorTypes {
		types = append(types, fmt.Sprintf("%s %d", t, n))
	}
	sort.Strings(types)
	fmt.Fprintf(w, "tensor types\t%s\n", strings.Join(types, ", "))
	if textErr != nil {
		fmt.Fprintf(w, "tokenizer\t(%v)\n", textErr)
	} else {
		var caps []string
		caps = append(caps, "completion")
		if text.Caps.Thinking {
			caps = append(caps, "thinking")
		}
		if text.Caps.Tools {
			caps = append(caps, "tools")
		}
		if text.Caps.FIM {
			caps = append(caps, "fill-in-the-middle")
		}
		fmt.Fprintf(w, "capabilities\t%s\n", strings.Join(caps, ", "))
		fmt.Fprintf(w, "output format\t%s\n", text.Format)
		if text.TemplateSource != "" {
			first := strings.SplitN(strings.TrimSpace(text.TemplateSource), "\n", 2)[0]
			if len(first) > 70 {
				first = first[:70] + "..."
			}
			fmt.Fprintf(w, "chat template\t%d bytes: %s (see --template)\n", len(text.TemplateSource), first)
		} else {
			fmt.Fprintf(w, "chat template\tnone\n")
		}
	}
	w.Flush()
}

func humanCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
