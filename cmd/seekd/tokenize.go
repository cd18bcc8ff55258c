package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seekd/seekd/bundle"
	"github.com/seekd/seekd/tokenizer"
)

func newTokenizeCmd() *cobra.Command {
	var modelPath string
	cmd := &cobra.Command{
		Use:   "tokenize --model PATH",
		Short: `Encode JSON lines {"text": ...} from stdin into {"ids": [...]} on stdout`,
		Long: `Encode JSON lines {"text": ...} read from stdin into JSON lines {"ids": [...]} on
stdout, one output line per input line. No BOS or EOS is added, and special
tokens written in the text are matched as single tokens (Hugging Face's
add_special_tokens=False). Other fields of the input lines are ignored and
blank lines are skipped. PATH is a model folder or a tokenizer.json.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tk, err := openTokenizer(modelPath)
			if err != nil {
				return err
			}
			return tokenizeLines(cmd.InOrStdin(), cmd.OutOrStdout(), tk)
		},
	}
	cmd.Flags().StringVar(&modelPath, "model", "", "model folder or tokenizer.json")
	return cmd
}

// openTokenizer loads the tokenizer of a model folder or a tokenizer.json;
// what the user got wrong in PATH is a usage error.
func openTokenizer(path string) (*tokenizer.Tokenizer, error) {
	if path == "" {
		return nil, usagef("--model is required")
	}
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, usagef("model %s: no such file or folder", path)
		}
		return nil, usageError{err}
	}
	if strings.HasSuffix(strings.ToLower(path), ".gguf") {
		t, err := bundle.OpenText(path) // tokenizer.ggml.* metadata
		if err != nil {
			return nil, err
		}
		return t.Tokenizer, nil
	}
	if fi.IsDir() {
		if _, err := os.Stat(filepath.Join(path, "tokenizer.json")); err != nil {
			return nil, usagef("model %s: no tokenizer.json in this folder", path)
		}
	}
	return tokenizer.Load(path)
}

// tokenizeLines encodes each input line and writes its ids. A bad line stops
// the command with an error naming it; the lines before it are written.
func tokenizeLines(in io.Reader, out io.Writer, tk *tokenizer.Tokenizer) error {
	r := bufio.NewReaderSize(in, 1<<20)
	w := bufio.NewWriterSize(out, 1<<16)
	var ids []int
	var buf []byte
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if err != nil && err != io.EOF {
			w.Flush()
			return fmt.Errorf("tokenize: reading stdin: %w", err)
		}
		if trimmed := bytes.TrimSpace(line); len(trimmed) > 0 {
			text, perr := parseTextLine(trimmed)
			if perr != nil {
				w.Flush()
				return fmt.Errorf("tokenize: stdin line %d: %w", n, perr)
			}
			ids = tk.AppendEncode(ids[:0], text)
			buf = append(buf[:0], `{"ids":[`...)
			for i, id := range ids {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = strconv.AppendInt(buf, int64(id), 10)
			}
			buf = append(buf, "]}\n"...)
			if _, werr := w.Write(buf); werr != nil {
				return fmt.Errorf("tokenize: writing stdout: %w", werr)
			}
		}
		if err == io.EOF {
			break
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("tokenize: writing stdout: %w", err)
	}
	return nil
}

// parseTextLine reads {"text": "..."} (other fields are ignored).
func parseTextLine(line []byte) (string, error) {
	var v struct {
		Text json.RawMessage `json:"text"`
	}
	if err := json.Unmarshal(line, &v); err != nil {
		return "", fmt.Errorf(`want a JSON object with a "text" string: %w`, err)
	}
	if v.Text == nil || string(v.Text) == "null" {
		return "", errors.New(`no "text" field`)
	}
	var text string
	if err := json.Unmarshal(v.Text, &text); err != nil {
		return "", errors.New(`"text" is not a string`)
	}
	return text, nil
}
