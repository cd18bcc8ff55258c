package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seekd/seekd/bundle"
	"github.com/seekd/seekd/chat"
)

// newTemplateCmd renders chat templates: one JSON request per input line,
// one JSON result per output line.
func newTemplateCmd() *cobra.Command {
	var model, bos, eos string
	cmd := &cobra.Command{
		Use:   "template --model PATH",
		Short: "Render a model's chat template for JSON-line requests on stdin",
		Long: `Render a model's chat template exactly as Hugging Face's apply_chat_template does.

Each stdin line is a JSON object
  {"messages": [...], "tools": [...]|null, "add_generation_prompt": bool, "kwargs": {...}}
and yields one stdout line, {"rendered": "..."} or {"error": "..."}.

PATH is a model folder (tokenizer_config.json with its chat_template and special
tokens, or chat_template.jinja), a tokenizer_config.json, or a .jinja file whose
special tokens come from --bos and --eos.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if model == "" {
				return usagef("template: --model is required")
			}
			specials := chat.SpecialTokens{}
			if cmd.Flags().Changed("bos") {
				specials["bos_token"] = bos
			}
			if cmd.Flags().Changed("eos") {
				specials["eos_token"] = eos
			}
			var tmpl *chat.Template
			var err error
			if strings.HasSuffix(strings.ToLower(model), ".gguf") {
				tmpl, err = ggufTemplate(model, specials)
			} else {
				tmpl, err = chat.LoadTemplate(model, chat.WithSpecialTokens(specials))
			}
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, chat.ErrGGUF) {
				return usageError{fmt.Errorf("template: %w", err)}
			}
			if err != nil {
				return fmt.Errorf("template: %w", err)
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			return renderLines(ctx, tmpl, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&model, "model", "", "model folder, tokenizer_config.json or .jinja file")
	cmd.Flags().StringVar(&bos, "bos", "", "bos_token for the template (overrides the model's)")
	cmd.Flags().StringVar(&eos, "eos", "", "eos_token for the template (overrides the model's)")
	return cmd
}

// templateResult is one output line.
type templateResult struct {
	Rendered *string `json:"rendered,omitempty"`
	Error    string  `json:"error,omitempty"`
}

// renderLines renders each non-blank input line; a bad line yields an
// error line and the next line is still read.
func renderLines(ctx context.Context, tmpl *chat.Template, in io.Reader, out io.Writer) error {
	r := bufio.NewReaderSize(in, 1<<16)
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for lineNo := 1; ; lineNo++ {
		line, readErr := r.ReadBytes('\n')
		if readErr != nil && readErr != io.EOF {
			return fmt.Errorf("template: reading stdin: %w", readErr)
		}
		if len(bytes.TrimSpace(line)) > 0 {
			var res templateResult
			var req chat.RawInput
			if err := json.Unmarshal(line, &req); err != nil {
				res.Error = fmt.Sprintf("line %d: %v", lineNo, err)
			} else if s, err := tmpl.RenderJSON(ctx, req); err != nil {
				res.Error = err.Error()
			} else {
				res.Rendered = &s
			}
			if err := enc.Encode(res); err != nil {
				return fmt.Errorf("template: writing stdout: %w", err)
			}
			if err := w.Flush(); err != nil {
				return fmt.Errorf("template: writing stdout: %w", err)
			}
		}
		if readErr == io.EOF {
			return w.Flush()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// ggufTemplate reads a GGUF file's tokenizer.chat_template with the BOS and
// EOS of its tokenizer.ggml.* metadata (--bos/--eos override them).
func ggufTemplate(path string, specials chat.SpecialTokens) (*chat.Template, error) {
	t, err := bundle.OpenText(path)
	if err != nil {
		return nil, err
	}
	if t.TemplateSource == "" {
		return nil, usagef("template: %s has no tokenizer.chat_template", path)
	}
	all := chat.SpecialTokens{}
	if s := t.Tokenizer.BOSToken(); s != "" {
		all["bos_token"] = s
	}
	if s := t.Tokenizer.EOSToken(); s != "" {
		all["eos_token"] = s
	}
	return chat.New(t.TemplateSource, all, chat.WithSpecialTokens(specials))
}
