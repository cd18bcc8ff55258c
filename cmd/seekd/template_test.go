package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seekd/seekd/convert"
	"github.com/seekd/seekd/tensor"
)

const chatFixtures = "../../testdata/chat-templates"

type templateFixture struct {
	Template            string                     `json:"template"`
	Case                string                     `json:"case"`
	Messages            json.RawMessage            `json:"messages"`
	AddGenerationPrompt bool                       `json:"add_generation_prompt"`
	Tools               json.RawMessage            `json:"tools"`
	Kwargs              map[string]json.RawMessage `json:"kwargs"`
	Specials            map[string]*string         `json:"specials"`
	Rendered            *string                    `json:"rendered"`
	Error               *string                    `json:"error"`
}

func runTemplateCmd(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runIO(append([]string{"template"}, args...), strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// TestTemplateCommandFixture pipes every reference rendering through
// `seekd template --model X.jinja --bos B --eos E`, one run per template,
// and compares each output line with the reference.
func TestTemplateCommandFixture(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(chatFixtures, "renderings.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	byTemplate := map[string][]templateFixture{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var f templateFixture
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			t.Fatal(err)
		}
		if byTemplate[f.Template] == nil {
			order = append(order, f.Template)
		}
		byTemplate[f.Template] = append(byTemplate[f.Template], f)
	}
	total := 0
	for _, name := range order {
		fixtures := byTemplate[name]
		t.Run(name, func(t *testing.T) {
			var stdin strings.Builder
			args := []string{"--model", filepath.Join(chatFixtures, "templates", name+".jinja")}
			for i, f := range fixtures {
				// bos/eos go in as flags; the other special tokens (and
				// the unset ones, which the reference passed as None) as
				// kwargs.
				kwargs := map[string]json.RawMessage{}
				for k, v := range f.Kwargs {
					kwargs[k] = v
				}
				for k, v := range f.Specials {
					switch {
					case v != nil && k == "bos_token" && i == 0:
						args = append(args, "--bos", *v)
					case v != nil && k == "eos_token" && i == 0:
						args = append(args, "--eos", *v)
					case v != nil && (k == "bos_token" || k == "eos_token"):
					case v == nil:
						kwargs[k] = json.RawMessage("null")
					default:
						q, _ := json.Marshal(*v)
						kwargs[k] = q
					}
				}
				line, err := json.Marshal(map[string]any{"messages": f.Messages, "tools": f.Tools, "add_generation_prompt": f.AddGenerationPrompt, "kwargs": kwargs})
				if err != nil {
					t.Fatal(err)
				}
				stdin.Write(line)
				stdin.WriteString("\n")
			}
			stdout, stderr, code := runTemplateCmd(t, stdin.String(), args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
			if len(lines) != len(fixtures) {
				t.Fatalf("%d output lines, want %d", len(lines), len(fixtures))
			}
			for i, l := range lines {
				f := fixtures[i]
				if strings.Contains(l, `\u003c`) || strings.Contains(l, `\u0026`) {
					t.Errorf("line %d escapes HTML characters: %s", i+1, l)
				}
				var got map[string]string
				if err := json.Unmarshal([]byte(l), &got); err != nil {
					t.Fatalf("line %d: %v", i+1, err)
				}
				if f.Error != nil {
					if got["error"] == "" {
						t.Errorf("%s/%s: %s, want an error", name, f.Case, l)
					}
					continue
				}
				rendered, ok := got["rendered"]
				if !ok || rendered != *f.Rendered {
					t.Errorf("%s/%s:\n got %s\nwant %q", name, f.Case, l, *f.Rendered)
				}
				if want, _ := jsonNoEscape(map[string]string{"rendered": *f.Rendered}); l != want {
					t.Errorf("%s/%s: output line %s, want %s", name, f.Case, l, want)
				}
			}
			total += len(lines)
		})
	}
	if total != 242 {
		t.Errorf("compared %d renderings, want 242", total)
	}
}

func jsonNoEscape(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n"), err
}

// TestTemplateCommandFolder renders from a model folder (template and
// special tokens from tokenizer_config.json) and keeps going after bad
// lines.
func TestTemplateCommandFolder(t *testing.T) {
	stdin := `{"messages": [{"role": "user", "content": "Hi & <b>"}], "add_generation_prompt": true}

not json
{"messages": [{"role": "user", "content": null}]}
{"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "世界"}], "tools": null, "kwargs": {}}
`
	stdout, stderr, code := runTemplateCmd(t, stdin, "--model", "../../testdata/tokenizers/deepseek_v3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := []string{
		`{"rendered":"<｜begin▁of▁sentence｜><｜User｜>Hi & <b><｜Assistant｜>"}`,
		`{"error":"line 3: invalid character 'o' in literal null (expecting 'u')"}`,
		`{"error":"chat template: TypeError: can only concatenate str (not \"NoneType\") to str"}`,
		`{"rendered":"<｜begin▁of▁sentence｜>S<｜User｜>世界"}`,
	}
	got := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("got %d lines:\n%s", len(got), stdout)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i+1, got[i], want[i])
		}
	}
}

func TestTemplateCommandUsage(t *testing.T) {
	dir := t.TempDir()
	gguf := filepath.Join(dir, "m.gguf")
	if err := os.WriteFile(gguf, []byte("GGUF"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.jinja")
	if err := os.WriteFile(bad, []byte("{% for %}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no model", nil, 2, "--model is required"},
		{"missing path", []string{"--model", filepath.Join(dir, "nope")}, 2, "no such file"},
		{"broken gguf", []string{"--model", gguf}, 1, "m.gguf"},
		{"extra argument", []string{"--model", bad, "x"}, 2, ""},
		{"template does not parse", []string{"--model", bad}, 1, "TemplateSyntaxError"},
	} {
		_, stderr, code := runTemplateCmd(t, "", tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want exit %d mentioning %q on one line", tc.name, code, stderr, tc.code, tc.want)
		}
	}
}

// A GGUF file's tokenizer.chat_template renders like the folder it was
// converted from.
func TestTemplateCommandGGUF(t *testing.T) {
	src := "../../testdata/distill/tiny-r1-distill-qwen/hf"
	out := filepath.Join(t.TempDir(), "m.gguf")
	if err := convert.ToGGUF(context.Background(), src, out, convert.Options{Type: tensor.F32}); err != nil {
		t.Fatal(err)
	}
	in := `{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}], "tools": null, "add_generation_prompt": true, "kwargs": {}}` + "\n"
	fromFolder, errs, code := runTemplateCmd(t, in, "--model", src)
	if code != 0 {
		t.Fatalf("folder: %d %s", code, errs)
	}
	fromGGUF, errs, code := runTemplateCmd(t, in, "--model", out)
	if code != 0 {
		t.Fatalf("gguf: %d %s", code, errs)
	}
	if fromGGUF != fromFolder || !strings.Contains(fromGGUF, "<｜Assistant｜><think>") {
		t.Fatalf("gguf rendered %q, folder %q", fromGGUF, fromFolder)
	}
}
