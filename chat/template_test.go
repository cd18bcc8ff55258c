package chat

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const fixtureDir = "../testdata/chat-templates"

// fixedClock is the date the reference renderings were made with.
func fixedClock() time.Time { return time.Date(2026, time.November, 26, 0, 0, 0, 0, time.UTC) }

// rendering is one line of renderings.jsonl.
type rendering struct {
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

func loadRenderings(t *testing.T) []rendering {
	t.Helper()
	f, err := os.Open(filepath.Join(fixtureDir, "renderings.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []rendering
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var r rendering
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("renderings.jsonl line %d: %v", len(out)+1, err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// fixtureInput turns a reference line into a template and a raw input. The
// reference passed unset special tokens as None; they go in as kwargs.
func fixtureInput(t *testing.T, r rendering, cache map[string]*Template) (*Template, RawInput) {
	t.Helper()
	specials := SpecialTokens{}
	kwargs := map[string]json.RawMessage{}
	for k, v := range r.Kwargs {
		kwargs[k] = v
	}
	for k, v := range r.Specials {
		if v == nil {
			kwargs[k] = json.RawMessage("null")
		} else {
			specials[k] = *v
		}
	}
	key := r.Template + fmt.Sprint(specials)
	tmpl := cache[key]
	if tmpl == nil {
		src, err := os.ReadFile(filepath.Join(fixtureDir, "templates", r.Template+".jinja"))
		if err != nil {
			t.Fatal(err)
		}
		if tmpl, err = New(string(src), specials, WithClock(fixedClock)); err != nil {
			t.Fatalf("%s: %v", r.Template, err)
		}
		cache[key] = tmpl
	}
	kw, err := json.Marshal(kwargs)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl, RawInput{Messages: r.Messages, Tools: r.Tools, AddGenerationPrompt: r.AddGenerationPrompt, Kwargs: kw}
}

// TestRenderings renders every reference conversation and compares the
// result byte for byte (or expects an error where jinja2 raised one).
func TestRenderings(t *testing.T) {
	lines := loadRenderings(t)
	if len(lines) != 242 {
		t.Fatalf("renderings.jsonl has %d lines, want 242", len(lines))
	}
	cache := map[string]*Template{}
	var nErr int
	for i, r := range lines {
		name := fmt.Sprintf("%03d-%s-%s-gen=%v", i+1, r.Template, r.Case, r.AddGenerationPrompt)
		t.Run(name, func(t *testing.T) {
			tmpl, in := fixtureInput(t, r, cache)
			got, err := tmpl.RenderJSON(context.Background(), in)
			if r.Error != nil {
				nErr++
				if err == nil {
					t.Fatalf("rendered %q, want an error like %q", got, *r.Error)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v, want %q", err, *r.Rendered)
			}
			if got != *r.Rendered {
				t.Fatalf("mismatch\n got: %q\nwant: %q\nfirst difference at byte %d", got, *r.Rendered, firstDiff(got, *r.Rendered))
			}
		})
	}
	if nErr != 16 {
		t.Errorf("%d reference errors, want 16", nErr)
	}
}

func firstDiff(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestRenderTyped renders the reference conversations through the typed
// Message API, which must agree with the raw JSON path.
func TestRenderTyped(t *testing.T) {
	cache := map[string]*Template{}
	for i, r := range loadRenderings(t) {
		tmpl, in := fixtureInput(t, r, cache)
		var msgs []Message
		if err := json.Unmarshal(r.Messages, &msgs); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		kwargs := map[string]any{}
		var kw map[string]json.RawMessage
		if err := json.Unmarshal(in.Kwargs, &kw); err != nil {
			t.Fatal(err)
		}
		for k, v := range kw {
			kwargs[k] = v
		}
		got, err := tmpl.Render(context.Background(), Input{Messages: msgs, Tools: r.Tools, AddGenerationPrompt: r.AddGenerationPrompt, Kwargs: kwargs})
		want, wantErr := tmpl.RenderJSON(context.Background(), in)
		if (err != nil) != (wantErr != nil) || got != want {
			t.Errorf("line %d (%s/%s): typed render %q (%v), raw render %q (%v)", i+1, r.Template, r.Case, got, err, want, wantErr)
		}
	}
}

func TestRendersTools(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"deepseek-v3", false},
		{"deepseek-v3.1", false},
		{"deepseek-r1", false},
		{"deepseek-r1-distill", false},
		{"qwen3", true},
		{"llama3", false},
	} {
		src, err := os.ReadFile(filepath.Join(fixtureDir, "templates", tc.name+".jinja"))
		if err != nil {
			t.Fatal(err)
		}
		tmpl, err := New(string(src), nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := tmpl.RendersTools(); got != tc.want {
			t.Errorf("%s: RendersTools() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	tmpl, err := New("{{ messages[0].content }}", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		in   RawInput
		want string
	}{
		{"no messages", RawInput{}, "messages: missing"},
		{"bad json", RawInput{Messages: json.RawMessage(`[{"role":`)}, "messages"},
		{"object", RawInput{Messages: json.RawMessage(`{"role":"user"}`)}, "not a JSON array"},
		{"tools object", RawInput{Messages: json.RawMessage(`[]`), Tools: json.RawMessage(`{}`)}, "tools"},
		{"kwargs array", RawInput{Messages: json.RawMessage(`[]`), Kwargs: json.RawMessage(`[1]`)}, "kwargs"},
		{"reserved kwarg", RawInput{Messages: json.RawMessage(`[]`), Kwargs: json.RawMessage(`{"messages": 1}`)}, "renderer itself"},
	} {
		_, err := tmpl.RenderJSON(ctx, tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := New("{% if %}", nil); err == nil {
		t.Error("New accepted a template that does not parse")
	}
	bad, err := New("{{ raise_exception('no system role') }}", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Render(ctx, Input{}); err == nil || !strings.Contains(err.Error(), "no system role") {
		t.Errorf("raise_exception: error %v", err)
	}
}

func TestClock(t *testing.T) {
	tmpl, err := New(`{{ strftime_now("%d %b %Y") }}`, nil, WithClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	got, err := tmpl.Render(context.Background(), Input{})
	if err != nil || got != "26 Nov 2026" {
		t.Fatalf("got %q, %v", got, err)
	}
	def, err := New(`{{ strftime_now("%Y") }}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err = def.Render(context.Background(), Input{})
	if err != nil || got != fmt.Sprint(time.Now().Year()) {
		t.Fatalf("default clock: got %q, %v", got, err)
	}
}

func TestToolUseVariant(t *testing.T) {
	tmpl, err := newTemplate(map[string]string{"default": "plain", "tool_use": "tools={{ tools|length }}"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if got, _ := tmpl.Render(ctx, Input{}); got != "plain" {
		t.Errorf("without tools: %q", got)
	}
	if got, _ := tmpl.Render(ctx, Input{Tools: json.RawMessage(`[{"type":"function"}]`)}); got != "tools=1" {
		t.Errorf("with tools: %q", got)
	}
	if _, err := newTemplate(map[string]string{"tool_use": "x"}, nil, nil); err == nil {
		t.Error("accepted a template set without a default")
	}
}

// TestConcurrentRender renders one template from several goroutines (run
// with -race to check that rendering shares no mutable state).
func TestConcurrentRender(t *testing.T) {
	lines := loadRenderings(t)
	cache := map[string]*Template{}
	type job struct {
		tmpl *Template
		in   RawInput
		want *string
	}
	var jobs []job
	for _, r := range lines {
		tmpl, in := fixtureInput(t, r, cache)
		jobs = append(jobs, job{tmpl, in, r.Rendered})
	}
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func(g int) {
			for i := range jobs {
				j := jobs[(i+g*61)%len(jobs)]
				got, err := j.tmpl.RenderJSON(context.Background(), j.in)
				if j.want != nil && (err != nil || got != *j.want) {
					errs <- fmt.Errorf("concurrent render differs: %q, %v", got, err)
					return
				}
			}
			errs <- nil
		}(g)
	}
	for g := 0; g < 4; g++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// BenchmarkRender renders every reference conversation once per
// iteration (242 renderings over the six templates).
func BenchmarkRender(b *testing.B) {
	t := &testing.T{}
	lines := loadRenderings(t)
	cache := map[string]*Template{}
	type job struct {
		tmpl *Template
		in   RawInput
	}
	var jobs []job
	for _, r := range lines {
		tmpl, in := fixtureInput(t, r, cache)
		jobs = append(jobs, job{tmpl, in})
	}
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		for _, j := range jobs {
			_, _ = j.tmpl.RenderJSON(ctx, j.in)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(jobs)), "µs/render")
}
