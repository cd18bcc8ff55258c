package jinja

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// pySuite is a set of templates rendered by Python's jinja2 with one set
// of variables (see python_exprs_test.go, python_stmts_test.go).
type pySuite struct {
	suite, vars string
	cases       []pyCase
}

type pyCase struct {
	template, want string
	wantErr        bool
}

func fixedNow() time.Time { return time.Date(2026, time.November, 26, 0, 0, 0, 0, time.UTC) }

func varsFromJSON(t *testing.T, js string) map[string]Value {
	t.Helper()
	v, err := FromJSON([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	d := v.(*Dict)
	vars := map[string]Value{}
	for i, k := range d.Keys() {
		vars[k.(string)] = d.Values()[i]
	}
	return vars
}

func render(src string, vars map[string]Value) (string, error) {
	tp, err := Parse(src)
	if err != nil {
		return "", err
	}
	return tp.Render(context.Background(), vars, Options{Now: fixedNow})
}

// TestPythonParity renders templates whose output (or error) Python's
// jinja2 produced, covering expressions, filters, tests, methods,
// statements, scoping and whitespace control.
func TestPythonParity(t *testing.T) {
	for _, suites := range [][]pySuite{pythonExprCases, pythonStmtCases} {
		for _, s := range suites {
			vars := varsFromJSON(t, s.vars)
			for i, c := range s.cases {
				got, err := render(c.template, vars)
				switch {
				case c.wantErr && err == nil:
					t.Errorf("%s #%d %q: rendered %q, want an error", s.suite, i, c.template, got)
				case !c.wantErr && err != nil:
					t.Errorf("%s #%d %q: error %v, want %q", s.suite, i, c.template, err, c.want)
				case !c.wantErr && got != c.want:
					t.Errorf("%s #%d %q:\n got %q\nwant %q", s.suite, i, c.template, got, c.want)
				}
			}
		}
	}
}

func TestFloatRepr(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{0, "0.0"}, {math.Copysign(0, -1), "-0.0"}, {1, "1.0"}, {1.5, "1.5"}, {0.1, "0.1"},
		{1e16, "1e+16"}, {1e15, "1000000000000000.0"}, {123456789012345678, "1.2345678901234568e+17"},
		{0.0001, "0.0001"}, {0.00001, "1e-05"}, {1.5e-7, "1.5e-07"}, {1e100, "1e+100"},
		{math.Inf(1), "inf"}, {math.Inf(-1), "-inf"}, {math.NaN(), "nan"}, {5e-324, "5e-324"},
		{9999999999999998, "9999999999999998.0"}, {-2.5, "-2.5"},
	} {
		if got := floatRepr(tc.f); got != tc.want {
			t.Errorf("floatRepr(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

func TestFromJSON(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"b": 1, "a": [1.0, 2, 1e2, -0, 12345678901234567890]}`, `{'b': 1, 'a': [1.0, 2, 100.0, 0, 1.2345678901234567e+19]}`},
		{`"\u00e9\ud83d\ude80"`, `é🚀`},
		{`null`, `None`},
		{`[true, false, {}]`, `[True, False, {}]`},
	} {
		v, err := FromJSON([]byte(tc.in))
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if got := toString(v); got != tc.want {
			t.Errorf("FromJSON(%s) prints %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{``, `{`, `[1,]`, `{"a":1} x`, strings.Repeat("[", 600) + strings.Repeat("]", 600)} {
		if _, err := FromJSON([]byte(bad)); err == nil {
			t.Errorf("FromJSON(%.20q) accepted bad input", bad)
		}
	}
}

func TestFromGo(t *testing.T) {
	v, err := FromGo(map[string]any{"b": []string{"x"}, "a": 1, "c": nil, "d": uint8(3), "e": float32(0.5), "f": map[string]bool{"t": true}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := toString(v), `{'a': 1, 'b': ['x'], 'c': None, 'd': 3, 'e': 0.5, 'f': {'t': True}}`; got != want {
		t.Errorf("FromGo: %q, want %q", got, want)
	}
	if _, err := FromGo(map[int]int{1: 1}); err == nil {
		t.Error("FromGo accepted a map with int keys")
	}
	if _, err := FromGo(struct{}{}); err == nil {
		t.Error("FromGo accepted a struct")
	}
}

func TestUses(t *testing.T) {
	tp, err := Parse("{% if tools %}{{ tools|length }}{% endif %}{% macro m(x) %}{{ y }}{% endmacro %}")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"tools": true, "y": true, "x": false, "messages": false} {
		if tp.Uses(name) != want {
			t.Errorf("Uses(%q) = %v", name, !want)
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	for _, src := range []string{
		"{% if x %}", "{% for x in y %}", "{% endif %}", "{{ x", "{{ 'abc }}", "{# x", "{% raw %}x",
		"{% unknown %}", "{{ x | nofilter }}", "{{ x is notest }}", "{% break %}", "{{ (1, }}",
		"{{ }}", "{% set %}", "{% macro m(a=1, b) %}{% endmacro %}", "{% include 'x' %}",
		"{{ [1, 2 }}", "{{ {1: } }}", "{{ 1 + }}", "{{ x. }}", "{{ x[] }}", "{{ 'a' is is x }}",
		"{% for x in y %}{% macro m() %}{% break %}{% endmacro %}{% endfor %}",
		"{{ 99999999999999999999 }}", "{{ '\\x4' }}", "{% set true = 1 %}",
	} {
		if _, err := Parse(src); err == nil {
			t.Errorf("Parse(%q) succeeded, want a syntax error", src)
		} else if !strings.Contains(err.Error(), "TemplateSyntaxError") {
			t.Errorf("Parse(%q): %v, want a TemplateSyntaxError", src, err)
		}
	}
	// Unknown filters and tests inside if blocks fail only when they run.
	tp, err := Parse("{% if x %}{{ x | nofilter }}{% endif %}ok")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tp.Render(context.Background(), nil, Options{}); err != nil || got != "ok" {
		t.Errorf("deferred filter: %q, %v", got, err)
	}
	if _, err := tp.Render(context.Background(), map[string]Value{"x": true}, Options{}); err == nil {
		t.Error("deferred unknown filter did not fail when run")
	}
}

func TestLimits(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, src string
		opts      Options
		want      string
	}{
		{"steps", "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", Options{MaxSteps: 100000}, "evaluation steps"},
		{"output", "{% for i in range(100000) %}xxxxxxxxxx{% endfor %}", Options{MaxOutput: 1000}, "output exceeds"},
		{"string repeat", "{{ 'x' * 1000000000 }}", Options{MaxOutput: 1 << 20}, "MemoryError"},
		{"list repeat", "{{ [1] * 1000000000 }}", Options{MaxOutput: 1 << 20}, "MemoryError"},
		{"concat growth", "{% set ns = namespace(s='xxxxxxxxxxxxxxxx') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}", Options{MaxOutput: 1 << 20}, "MemoryError"},
		{"macro recursion", "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", Options{}, "RecursionError"},
		{"loop recursion", "{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}", Options{}, "RecursionError"},
		{"range", "{{ range(1000000)|length }}", Options{}, "MAX_RANGE"},
		{"int overflow", "{{ 2 ** 70 }}", Options{}, "OverflowError"},
	} {
		tp, err := Parse(tc.src)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		start := time.Now()
		_, err = tp.Render(ctx, nil, tc.opts)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: took %v", tc.name, d)
		}
	}
	// A cancelled context stops a long rendering.
	tp, err := Parse("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := tp.Render(cctx, nil, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestStrftime(t *testing.T) {
	at := time.Date(2024, time.July, 5, 14, 3, 9, 0, time.UTC)
	for _, tc := range []struct{ f, want string }{
		{"%d %b %Y", "05 Jul 2024"}, {"%-d %B %y", "5 July 24"}, {"%A %a %j %H:%M:%S %I%p", "Friday Fri 187 14:03:09 02PM"},
		{"%Y-%m-%d %%", "2024-07-05 %"}, {"%Q", "%Q"}, {"%e|%F|%T", " 5|2024-07-05|14:03:09"},
	} {
		if got := strftime(at, tc.f); got != tc.want {
			t.Errorf("strftime(%q) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

// FuzzRender checks that no template source or variables make the
// engine panic or run unbounded.
func FuzzRender(f *testing.F) {
	for _, s := range [][]pySuite{pythonExprCases, pythonStmtCases} {
		for _, suite := range s {
			for i, c := range suite.cases {
				if i%7 == 0 {
					f.Add(c.template, `{"l": [1, "a", null], "d": {"k": [1.5]}, "s": "x y"}`)
				}
			}
		}
	}
	f.Add("{% for m in messages %}{{ m.content|tojson(indent=2) }}{% endfor %}", `{"messages": [{"content": {"a": [1, {"b": null}]}}]}`)
	f.Fuzz(func(t *testing.T, src, vars string) {
		tp, err := Parse(src)
		if err != nil {
			return
		}
		vv := map[string]Value{}
		if v, err := FromJSON([]byte(vars)); err == nil {
			if d, ok := v.(*Dict); ok {
				for i, k := range d.Keys() {
					vv[fmt.Sprint(k)] = d.Values()[i]
				}
			}
		}
		_, _ = tp.Render(context.Background(), vv, Options{MaxSteps: 20000, MaxOutput: 1 << 20, Now: fixedNow})
	})
}
