package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seekd/seekd/hub"
)

// Terminal styles for the reasoning.
const (
	ansiDim   = "\x1b[2m"
	ansiReset = "\x1b[0m"
)

type runFlags struct {
	think        string
	hideThinking bool
	maxTokens    int
	temperature  float64
	system       string
	ctx          int
	threads      int
	yes          bool
	seed         int64
	activations  string
}

func newRunCmd() *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run MODEL [PROMPT]",
		Short: "Chat with a model in the terminal, or answer one prompt",
		Long: `Chat with a model in the terminal: type a message and press Enter; end a line
with \ (or wrap text in """) for several lines. Commands: /clear, /think on|off,
/set temperature T, /set max-tokens N, /set system TEXT, /help, /bye.
Ctrl-C stops the answer being written; Ctrl-D or /bye leaves.

With a PROMPT argument, or with the prompt on standard input, it answers once:
the reasoning goes to standard error and the answer to standard output.

MODEL is an alias (deepseek-r1:1.5b), a Hugging Face repo, a folder or a .gguf
file; a missing model is pulled first.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runRun(cmd, f, args) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.think, "think", "", "thinking on or off (default: the model's)")
	fl.BoolVar(&f.hideThinking, "hide-thinking", false, "do not show the reasoning")
	fl.IntVar(&f.maxTokens, "max-tokens", 0, "most tokens per answer (default: up to the context length)")
	fl.Float64Var(&f.temperature, "temperature", -1, "sampling temperature (default: the server's)")
	fl.StringVar(&f.system, "system", "", "system prompt")
	fl.IntVar(&f.ctx, "ctx", 0, "context length in tokens (default: the model's, at most 32768)")
	fl.IntVar(&f.threads, "threads", 0, "compute threads (default: one per CPU)")
	fl.BoolVar(&f.yes, "yes", false, "pull a missing model without asking")
	fl.Int64Var(&f.seed, "seed", -1, "random seed, for reproducible answers (default: random)")
	fl.StringVar(&f.activations, "activations", defaultActivations(), "how quantized GGUF weights meet activations: q8 (fast, as llama.cpp) or exact")
	return cmd
}

// session is one conversation's settings and history.
type session struct {
	client   *chatClient
	messages []chatMsg
	params   chatParams
	system   string
	hide     bool
}

func runRun(cmd *cobra.Command, f *runFlags, args []string) error {
	if f.think != "" && f.think != "on" && f.think != "off" {
		return usagef("run: --think must be on or off")
	}
	if f.maxTokens < 0 || f.ctx < 0 || f.threads < 0 {
		return usagef("run: --max-tokens, --ctx and --threads must not be negative")
	}
	ctx := cmd.Context()
	stderr := cmd.ErrOrStderr()
	m, err := resolveOrPull(ctx, args[0], f.yes, cmd.OutOrStdout())
	if err != nil {
		return err
	}
	name := filepath.Base(strings.TrimSuffix(m.Path, string(filepath.Separator)))
	if m.Ref.Repo != "" {
		name = m.Ref.String()
	}
	interactiveErr := isTerminalWriter(stderr)
	if interactiveErr {
		fmt.Fprintf(stderr, "loading %s ...", name)
	}
	start := time.Now()
	local, err := startLocal(name, m.Path, f.threads, f.activations, engineSettings{ctx: f.ctx, cacheBytes: 1 << 30, maxBatch: 4, maxQueue: 4})
	if interactiveErr {
		fmt.Fprintf(stderr, "\r\x1b[K")
	}
	if err != nil {
		return err
	}
	defer local.Close()
	s := &session{client: local.client(), system: f.system, hide: f.hideThinking}
	s.params.MaxTokens = f.maxTokens
	if f.temperature >= 0 {
		t := f.temperature
		s.params.Temperature = &t
	}
	if f.seed >= 0 {
		s.params.Seed = &f.seed
	}
	switch f.think {
	case "on":
		s.params.Thinking = "enabled"
	case "off":
		s.params.Thinking = "disabled"
	}
	stdin := cmd.InOrStdin()
	prompt := strings.Join(args[1:], " ")
	if prompt != "" || !isTerminalReader(stdin) {
		if prompt == "" {
			data, err := io.ReadAll(stdin)
			if err != nil {
				return err
			}
			prompt = strings.TrimSpace(string(data))
		}
		if prompt == "" {
			return usagef("run: empty prompt")
		}
		return s.answerOnce(ctx, prompt, cmd.OutOrStdout(), stderr)
	}
	fmt.Fprintf(stderr, "%s is ready (%.1f s). Type /help for commands, /bye to leave.\n", name, time.Since(start).Seconds())
	return s.repl(ctx, stdin, cmd.OutOrStdout())
}

// resolveOrPull finds a model, pulling it first when it is a Hub reference
// that is not in the cache yet (asking on a terminal unless yes is set).
func resolveOrPull(ctx context.Context, name string, yes bool, stdout io.Writer) (*hub.Model, error) {
	m, err := resolveModel(name)
	var np *hub.NotPulledError
	if err == nil || !errors.As(err, &np) {
		return m, err
	}
	if isTerminal(os.Stdin) && !yes {
		fmt.Fprintf(os.Stderr, "%s is not downloaded. Pull it now? [Y/n] ", name)
		line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "" && a != "y" && a != "yes" {
			return nil, usagef("%s is not downloaded: run `seekd pull %s`", name, name)
		}
		yes = true
	}
	if err := runPull(ctx, name, nil, nil, yes, stdout, os.Stderr, os.Stdin); err != nil {
		return nil, err
	}
	return resolveModel(name)
}

func (s *session) history(user string) []chatMsg {
	var msgs []chatMsg
	if s.system != "" {
		msgs = append(msgs, chatMsg{Role: "system", Content: s.system})
	}
	msgs = append(msgs, s.messages...)
	return append(msgs, chatMsg{Role: "user", Content: user})
}

// answerOnce writes the reasoning to stderr and the answer to stdout.
func (s *session) answerOnce(ctx context.Context, prompt string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	dim := isTerminalWriter(stderr)
	inReasoning := false
	_, _, err := s.client.stream(ctx, s.history(prompt), s.params, func(d chatDelta) {
		if d.Reasoning != "" && !s.hide {
			if dim && !inReasoning {
				fmt.Fprint(stderr, ansiDim)
			}
			inReasoning = true
			fmt.Fprint(stderr, d.Reasoning)
		}
		if d.Content != "" {
			if inReasoning {
				if dim {
					fmt.Fprint(stderr, ansiReset)
				}
				fmt.Fprintln(stderr)
				inReasoning = false
			}
			fmt.Fprint(stdout, d.Content)
		}
	})
	if inReasoning && dim {
		fmt.Fprint(stderr, ansiReset)
	}
	fmt.Fprintln(stdout)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// repl is the interactive chat loop.
func (s *session) repl(ctx context.Context, stdin io.Reader, out io.Writer) error {
	in := bufio.NewReader(stdin)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	for {
		fmt.Fprint(out, ">>> ")
		text, err := readMessage(in, out)
		if err == io.EOF {
			fmt.Fprintln(out)
			return nil
		}
		if err != nil {
			return err
		}
		select { // a Ctrl-C typed at the prompt
		case <-sig:
			fmt.Fprintln(out, "(use /bye or Ctrl-D to leave)")
			continue
		default:
		}
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		if strings.HasPrefix(text, "/") {
			if quit := s.command(text, out); quit {
				return nil
			}
			continue
		}
		answer, err := s.reply(ctx, text, out, sig)
		if err != nil {
			fmt.Fprintf(out, "error: %v\n", err)
			continue
		}
		s.messages = append(s.messages, chatMsg{Role: "user", Content: text}, chatMsg{Role: "assistant", Content: answer})
	}
}

// readMessage reads one message: a line, lines joined by a trailing
// backslash, or a block between """ lines.
func readMessage(in *bufio.Reader, out io.Writer) (string, error) {
	var b strings.Builder
	block := false
	for {
		line, err := in.ReadString('\n')
		if err != nil && (line == "" || err != io.EOF) {
			if b.Len() > 0 && err == io.EOF {
				return b.String(), nil
			}
			return "", err
		}
		line = strings.TrimRight(line, "\r\n")
		switch {
		case !block && b.Len() == 0 && strings.HasPrefix(line, `"""`):
			block = true
			rest := strings.TrimPrefix(line, `"""`)
			if strings.HasSuffix(rest, `"""`) && len(rest) >= 3 {
				return strings.TrimSuffix(rest, `"""`), nil
			}
			b.WriteString(rest)
		case block:
			if strings.HasSuffix(line, `"""`) {
				if b.Len() > 0 {
					b.WriteByte('\n')
				}
				b.WriteString(strings.TrimSuffix(line, `"""`))
				return b.String(), nil
			}
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(line)
		case strings.HasSuffix(line, `\`):
			b.WriteString(strings.TrimSuffix(line, `\`))
			b.WriteByte('\n')
		default:
			b.WriteString(line)
			return b.String(), nil
		}
		fmt.Fprint(out, "... ")
	}
}

// reply streams one answer; Ctrl-C stops it and keeps what was written.
func (s *session) reply(ctx context.Context, text string, out io.Writer, sig <-chan os.Signal) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-sig:
			cancel()
		case <-ctx.Done():
		}
	}()
	var answer strings.Builder
	inReasoning := false
	_, _, err := s.client.stream(ctx, s.history(text), s.params, func(d chatDelta) {
		if d.Reasoning != "" && !s.hide {
			if !inReasoning {
				fmt.Fprint(out, ansiDim+"Thinking...\n")
				inReasoning = true
			}
			fmt.Fprint(out, d.Reasoning)
		}
		if d.Content != "" {
			if inReasoning {
				fmt.Fprint(out, ansiReset+"\n")
				inReasoning = false
			}
			answer.WriteString(d.Content)
			fmt.Fprint(out, d.Content)
		}
	})
	if inReasoning {
		fmt.Fprint(out, ansiReset)
	}
	fmt.Fprintln(out)
	if errors.Is(err, context.Canceled) || (err != nil && ctx.Err() != nil) {
		fmt.Fprintln(out, "(stopped)")
		return answer.String(), nil
	}
	return answer.String(), err
}

// command runs a /command; it reports whether to leave.
func (s *session) command(text string, out io.Writer) bool {
	fields := strings.Fields(text)
	switch fields[0] {
	case "/bye", "/exit", "/quit":
		return true
	case "/clear":
		s.messages = nil
		fmt.Fprintln(out, "Cleared the conversation.")
	case "/think":
		switch {
		case len(fields) == 2 && fields[1] == "on":
			s.params.Thinking = "enabled"
		case len(fields) == 2 && fields[1] == "off":
			s.params.Thinking = "disabled"
		default:
			fmt.Fprintln(out, "usage: /think on|off")
			return false
		}
		fmt.Fprintf(out, "Thinking %s.\n", fields[1])
	case "/set":
		if len(fields) < 3 {
			fmt.Fprintln(out, "usage: /set temperature T | /set max-tokens N | /set system TEXT")
			return false
		}
		val := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(text, "/set"), " "+fields[1]))
		switch fields[1] {
		case "temperature":
			t, err := strconv.ParseFloat(val, 64)
			if err != nil || t < 0 || t > 2 {
				fmt.Fprintln(out, "temperature must be a number from 0 to 2")
				return false
			}
			s.params.Temperature = &t
		case "max-tokens", "max_tokens":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				fmt.Fprintln(out, "max-tokens must be a whole number")
				return false
			}
			s.params.MaxTokens = n
		case "system":
			s.system = val
		default:
			fmt.Fprintf(out, "unknown setting %q\n", fields[1])
			return false
		}
		fmt.Fprintf(out, "Set %s.\n", fields[1])
	case "/help", "/?":
		fmt.Fprint(out, `/clear                 forget the conversation
/think on|off          switch thinking on or off
/set temperature T     sampling temperature (0 is greedy)
/set max-tokens N      most tokens per answer (0: no limit)
/set system TEXT       system prompt
/bye                   leave (or Ctrl-D)
Messages: end a line with \ to continue it, or wrap several lines in """.
`)
	default:
		fmt.Fprintf(out, "unknown command %s (try /help)\n", fields[0])
	}
	return false
}

func isTerminalWriter(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminal(f)
}

func isTerminalReader(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && isTerminal(f)
}
