package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/seekd/seekd/hub"
	"github.com/seekd/seekd/hub/progressbar"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newPullCmd() *cobra.Command {
	var include, exclude []string
	var yes bool
	cmd := &cobra.Command{
		Use:   "pull MODEL",
		Short: "Download a model from Hugging Face into the local cache",
		Long: `Download a model from Hugging Face into the Hugging Face cache
($HF_HUB_CACHE, default ~/.cache/huggingface/hub), where other tools find it too.

MODEL is an alias (see below) or a repo: org/name[:QUANT][@REVISION], where
QUANT picks one quantization of a GGUF repo (org/name:Q4_K_M).

Downloads resume where they stopped, run several files and ranges in
parallel, and are verified against the Hub's SHA-256 before use. HF_TOKEN
(or the token file of huggingface-cli login) is used for gated repos,
HF_ENDPOINT for mirrors.

Aliases:
` + aliasHelp(),
		Example: `  seekd pull deepseek-r1:1.5b
  seekd pull deepseek-ai/DeepSeek-R1-Distill-Qwen-7B
  seekd pull unsloth/DeepSeek-R1-Distill-Qwen-1.5B-GGUF --include '*Q4_K_M.gguf'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPull(cmd.Context(), args[0], include, exclude, yes, cmd.OutOrStdout(), os.Stderr, os.Stdin)
		},
	}
	cmd.Flags().StringArrayVar(&include, "include", nil, "download only files matching this glob ('*' matches '/' too); repeatable")
	cmd.Flags().StringArrayVar(&exclude, "exclude", nil, "skip files matching this glob; repeatable")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask before downloading a very large model")
	return cmd
}

// aliasHelp lists the aliases for the help text.
func aliasHelp() string {
	var b strings.Builder
	for _, a := range hub.Aliases() {
		fmt.Fprintf(&b, "  %-18s %-44s %s\n", a.Name, a.Repo, a.Params)
	}
	return b.String()
}

// newClient returns a hub client configured from the environment.
func newClient() (*hub.Client, error) {
	s, err := hub.SettingsFromEnv(nil)
	if err != nil {
		return nil, err
	}
	return hub.NewClient(s), nil
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

func runPull(ctx context.Context, arg string, include, exclude []string, yes bool, stdout io.Writer, stderr, stdin *os.File) error {
	ref, err := hub.ParseModelRef(arg)
	if err != nil {
		return usageError{err}
	}
	c, err := newClient()
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	interactive := isTerminal(stdin) && isTerminal(stderr)
	bars := progressbar.New(stderr, isTerminal(stderr))
	res, err := c.PullRef(ctx, ref, hub.PullOptions{
		Include:  include,
		Exclude:  exclude,
		Progress: bars,
		Confirm: func(ctx context.Context, p *hub.Plan) error {
			return confirmPull(ctx, p, yes, interactive, stderr, stdin)
		},
	})
	bars.Close()
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("pull of %s interrupted; run `seekd pull %s` again to resume (the downloaded parts are kept)", ref, arg)
		case errors.Is(err, hub.ErrRepoNotFound), errors.Is(err, hub.ErrRevisionNotFound), errors.Is(err, hub.ErrSelection), errors.Is(err, errDeclined):
			return usageError{err}
		}
		return err
	}
	path := res.Dir
	if m, err := c.Cache.Resolve(ref.String()); err == nil {
		path = m.Path
	}
	fmt.Fprintln(stdout, path)
	return nil
}

// errDeclined: the user answered no, or could not be asked.
var errDeclined = errors.New("download not confirmed")

// confirmPull shows what a large download means for this machine and asks
// before it starts: on a terminal a y/N question, elsewhere a refusal unless
// --yes was given.
func confirmPull(ctx context.Context, p *hub.Plan, yes, interactive bool, stderr io.Writer, stdin io.Reader) error {
	if !p.NeedsConfirmation() {
		return nil
	}
	name := p.Repo
	if p.Ref.Alias != "" {
		name = fmt.Sprintf("%s (%s)", p.Ref.Alias, p.Repo)
	}
	fmt.Fprintf(stderr, "%s is large: %s to download (%d files, %s in all).\n",
		name, progressbar.Bytes(p.DownloadBytes()), len(p.Files), progressbar.Bytes(p.TotalBytes))
	switch {
	case p.TotalRAM < 0:
		fmt.Fprintln(stderr, "  memory: unknown")
	case p.FitsRAM():
		fmt.Fprintf(stderr, "  memory: fits in this machine's %s of RAM.\n", progressbar.Bytes(p.TotalRAM))
	default:
		fmt.Fprintf(stderr, "  memory: does NOT fit in this machine's %s of RAM: it would run from disk (memory-mapped), very slowly.\n", progressbar.Bytes(p.TotalRAM))
	}
	switch {
	case p.FreeDisk < 0:
		fmt.Fprintln(stderr, "  disk: free space unknown")
	case p.FitsDisk():
		fmt.Fprintf(stderr, "  disk: fits in the %s free in the cache's file system.\n", progressbar.Bytes(p.FreeDisk))
	default:
		fmt.Fprintf(stderr, "  disk: does NOT fit: only %s free in the cache's file system.\n", progressbar.Bytes(p.FreeDisk))
	}
	if yes {
		return nil
	}
	if !interactive {
		return fmt.Errorf("%w: refusing to download %s of %s without confirmation; pass --yes to proceed", errDeclined, progressbar.Bytes(p.DownloadBytes()), name)
	}
	fmt.Fprintf(stderr, "Download %s? [y/N] ", progressbar.Bytes(p.DownloadBytes()))
	answer := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		answer <- strings.ToLower(strings.TrimSpace(line))
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(stderr)
		return ctx.Err()
	case a := <-answer:
		if a == "y" || a == "yes" {
			return nil
		}
		return fmt.Errorf("%w: nothing downloaded", errDeclined)
	}
}
