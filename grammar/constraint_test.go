package grammar

import (
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
)

// allowedIDs returns the ids Mask leaves finite.
func allowedIDs(c *Constraint, n int) map[int]bool {
	logits := make([]float32, n)
	c.Mask(logits)
	out := map[int]bool{}
	for id, l := range logits {
		if !math.IsInf(float64(l), -1) {
			out[id] = true
		}
	}
	return out
}

func TestCompileErrors(t *testing.T) {
	v := byteVocab(t)
	tests := []struct{ schema, want string }{
		{`{`, "not valid JSON"},
		{`[1]`, "must be an object or a boolean"},
		{`{"not":{"type":"string"}}`, `"not" is not supported`},
		{`{"type":"object","patternProperties":{"^a":{}}}`, `"patternProperties" is not supported`},
		{`{"type":"array","uniqueItems":true}`, "uniqueItems"},
		{`{"type":"object","minProperties":1}`, `"minProperties" is not supported`},
		{`{"allOf":[{"type":"string"},{"maxLength":3}]}`, "allOf with more than one schema"},
		{`{"type":"object","anyOf":[{"required":["a"]}]}`, `"type" next to anyOf`},
		{`{"$ref":"#/$defs/x","maxLength":3,"$defs":{"x":{}}}`, `"maxLength" next to $ref`},
		{`{"$ref":"https://example.com/s.json"}`, "only references inside the schema"},
		{`{"$ref":"#/$defs/missing"}`, "not found"},
		{`{"$ref":"#anchor"}`, "anchors are not supported"},
		{`{"type":"strnig"}`, `unknown type "strnig"`},
		{`{"type":"string","pattern":"(?i)abc"}`, "case-insensitive"},
		{`{"type":"string","pattern":"\\bword"}`, "word boundaries"},
		{`{"type":"string","pattern":"a(?=b)"}`, "pattern"},
		{`{"type":"string","pattern":"(a|b)*a(a|b){20}"}`, "too complex"},
		{`{"type":"object","properties":{"a":{}},"required":["b"],"additionalProperties":false}`, `required property "b"`},
		{`{"type":"integer","multipleOf":0}`, "multipleOf must be positive"},
		{`{"type":"integer","minimum":"1"}`, "minimum must be a number"},
		{`{"type":"string","minLength":-1}`, "non-negative integer"},
		{`{"type":"string","minLength":5,"maxLength":2}`, "no JSON value satisfies"},
		{`{"enum":[]}`, "no JSON value satisfies"},
		{`false`, "no JSON value satisfies"},
		{`{"type":"integer","minimum":1e40}`, "no JSON value satisfies"},
		{`{"type":"object","properties":{"a":{"$ref":"#"}},"required":["a"]}`, "no JSON value satisfies"},
		{`{"type":"object","properties":{"a\u0001":{}}}`, "control characters"},
	}
	for _, tc := range tests {
		_, err := v.Compile([]byte(tc.schema))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.schema, err, tc.want)
		}
	}
}

func TestEOS(t *testing.T) {
	v := byteVocab(t)
	const eos = 256
	c, err := v.JSON([]byte(`{"type":"integer"}`))
	if err != nil {
		t.Fatal(err)
	}
	if allowedIDs(c, v.Size())[eos] {
		t.Fatal("EOS allowed before the number")
	}
	if err := c.Accept(eos); !errors.Is(err, ErrRejected) {
		t.Fatalf("EOS accepted at the start: %v", err)
	}
	if err := c.Feed([]byte("12")); err != nil {
		t.Fatal(err)
	}
	a := allowedIDs(c, v.Size())
	if !a[eos] || !a['3'] || a['.'] || a[' '] || a[257] || c.Complete() {
		t.Fatalf("after 12: EOS %v, 3 %v, . %v, space %v, control %v, complete %v", a[eos], a['3'], a['.'], a[' '], a[257], c.Complete())
	}
	if err := c.Accept(eos); err != nil || !c.Complete() {
		t.Fatalf("EOS after 12: %v, complete %v", err, c.Complete())
	}
	if err := c.Accept('3'); err == nil {
		t.Fatal("a token after EOS was accepted")
	}

	c, _ = v.JSON(nil)
	if err := c.Feed([]byte(`{"a":1}`)); err != nil || !c.Complete() {
		t.Fatalf("object: %v, complete %v", err, c.Complete())
	}
	a = allowedIDs(c, v.Size()+3)
	if len(a) != 1 || !a[eos] {
		t.Fatalf("after the object: allowed %v", a)
	}
}

func TestLogitsBeyondVocab(t *testing.T) {
	v := byteVocab(t)
	c, _ := v.JSON(nil)
	logits := make([]float32, v.Size()+100)
	c.Mask(logits)
	for i := v.Size(); i < len(logits); i++ {
		if !math.IsInf(float64(logits[i]), -1) {
			t.Fatalf("logit %d beyond the vocabulary is allowed", i)
		}
	}
	if math.IsInf(float64(logits['{']), -1) || !math.IsInf(float64(logits['[']), -1) {
		t.Fatal("wrong mask at the start")
	}
}

func TestPrefill(t *testing.T) {
	v := byteVocab(t)
	schema := []byte(`{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}`)
	c, err := v.JSON(schema, Prefill([]byte(`{"`)))
	if err != nil {
		t.Fatal(err)
	}
	if a := allowedIDs(c, v.Size()); len(a) != 1 || !a['a'] {
		t.Fatalf("after prefill: allowed %v", a)
	}
	if _, err := v.JSON(schema, Prefill([]byte(`{"b`))); !errors.Is(err, ErrRejected) {
		t.Fatalf("bad prefill: %v", err)
	}
}

func TestAfterMarker(t *testing.T) {
	v := byteVocab(t)
	const eos = 256
	c, err := v.JSON(nil, After([]byte("</think>")))
	if err != nil {
		t.Fatal(err)
	}
	a := allowedIDs(c, v.Size())
	if a[eos] || !a['x'] || !a[257] || c.Complete() {
		t.Fatalf("before the marker: EOS %v, x %v, control %v, complete %v", a[eos], a['x'], a[257], c.Complete())
	}
	for _, b := range []byte("I think {not json} </think") {
		if err := c.Accept(int(b)); err != nil {
			t.Fatal(err)
		}
	}
	a = allowedIDs(c, v.Size())
	if !a['>'] || a[eos] {
		t.Fatalf("before '>': '>' %v, EOS %v", a['>'], a[eos])
	}
	if err := c.Accept('>'); err != nil {
		t.Fatal(err)
	}
	a = allowedIDs(c, v.Size())
	if !a['{'] || !a['\n'] || a['x'] || a[eos] {
		t.Fatalf("after the marker: { %v, newline %v, x %v, EOS %v", a['{'], a['\n'], a['x'], a[eos])
	}
	if err := c.Feed([]byte("\n{}")); err != nil || !c.Complete() {
		t.Fatalf("%v, complete %v", err, c.Complete())
	}
}

// TestAfterMarkerTokens: with a real vocabulary the marker can end inside
// a token; such a token is allowed only if what follows the marker in it
// fits the grammar.
func TestAfterMarkerTokens(t *testing.T) {
	for _, name := range []string{"deepseek_v3", "qwen3"} {
		tok, v := fixture(t, name)
		c, err := v.JSON(nil, After([]byte("</think>")))
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range tok.Encode("Let me think.</think") {
			if err := c.Accept(id); err != nil {
				t.Fatal(err)
			}
		}
		a := allowedIDs(c, v.Size())
		count := 0
		for id, b := range v.tokens {
			if len(b) == 0 || b[0] != '>' || v.control[id] {
				continue
			}
			rest := strings.TrimLeft(string(b[1:]), " \t\r\n")
			want := rest == "" || rest == "{" || strings.HasPrefix(rest, "{\"") || strings.HasPrefix(rest, "{\n") || strings.HasPrefix(rest, "{ ")
			if strings.HasPrefix(rest, "{") && !want {
				continue // e.g. "{}", which the grammar may take; not judged here
			}
			if a[id] != want {
				t.Errorf("%s: token %d %q: allowed %v, want %v", name, id, b, a[id], want)
			}
			count++
		}
		if count == 0 {
			t.Fatalf("%s: no token starts with '>'", name)
		}
		if a[v.eos] {
			t.Errorf("%s: EOS allowed before the marker", name)
		}
	}
	// Qwen3 has </think> as one added token.
	tok, v := fixture(t, "qwen3")
	id, ok := tok.TokenID("</think>")
	if !ok {
		t.Fatal("no </think> token")
	}
	c, _ := v.JSON(nil, After([]byte("</think>")))
	if !allowedIDs(c, v.Size())[id] {
		t.Fatal("</think> masked")
	}
	if err := c.Accept(id); err != nil {
		t.Fatal(err)
	}
	if a := allowedIDs(c, v.Size()); a[id] || !a[int('{')] && len(a) == 0 {
		t.Fatalf("after </think>: %d tokens allowed", len(a))
	}
}

func TestChoice(t *testing.T) {
	v := byteVocab(t)
	g, err := v.CompileChoice([]Alternative{
		{Prefix: []byte("get_weather<|sep|>"), Schema: []byte(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}`)},
		{Prefix: []byte("get_time<|sep|>"), Schema: []byte(`{"type":"object","properties":{"tz":{"enum":["UTC","CET"]}},"required":["tz"],"additionalProperties":false}`)},
		{Prefix: []byte("noop<|sep|>")},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := g.New()
	var ids []int
	for _, b := range []byte("get_time") {
		ids = append(ids, int(b))
	}
	ids = append(ids, 257)
	for _, b := range []byte(`{"tz":"CET"}`) {
		ids = append(ids, int(b))
	}
	for _, id := range ids {
		c.compute()
		if want := bruteAllowed(c); !slices.Equal(c.allowed, want) {
			t.Fatalf("mask %v, feeding %v", c.allowed, want)
		}
		if err := c.Accept(id); err != nil {
			t.Fatal(err)
		}
	}
	if !c.Complete() {
		t.Fatal("not complete")
	}
	c, _ = g.New()
	if err := c.Feed([]byte("get_t")); err != nil {
		t.Fatal(err)
	}
	if err := c.Feed([]byte("ime")); err != nil {
		t.Fatal(err)
	}
	a := allowedIDs(c, v.Size())
	if len(a) != 1 || !a[257] {
		t.Fatalf("at the separator: allowed %v, want only the control token", a)
	}
	if err := c.Feed([]byte("<|sep|>")); err == nil {
		t.Fatal("the separator spelled out in ordinary bytes was accepted")
	}
	if err := c.Accept(257); err != nil {
		t.Fatal(err)
	}
	if n := prefixLen(t, c, `{"city":"x"}`); n != 2 {
		t.Fatalf("get_time took %d bytes of the other function's arguments", n)
	}
	c, _ = g.New()
	for _, s := range []string{"noop"} {
		if err := c.Feed([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Accept(257); err != nil {
		t.Fatal(err)
	}
	if err := c.Feed([]byte(`{"any":[1]}`)); err != nil || !c.Complete() {
		t.Fatalf("noop: %v, complete %v", err, c.Complete())
	}
	c, _ = g.New()
	if err := c.Feed([]byte("get_x")); err == nil {
		t.Fatal("an unknown function name was accepted")
	}
	g, err = v.CompileChoice([]Alternative{{Prefix: []byte("a"), Schema: []byte(`false`)}, {Prefix: []byte("b")}})
	if err != nil {
		t.Fatal(err)
	}
	c, _ = g.New()
	if a := allowedIDs(c, v.Size()); len(a) != 1 || !a['b'] {
		t.Fatalf("an alternative without values is offered: %v", a)
	}
}

// TestControlTokensMasked: no added token is ever allowed inside JSON.
func TestControlTokensMasked(t *testing.T) {
	tok, v := fixture(t, "deepseek_v3")
	for _, s := range []string{"", `{`, `{"a`, `{"a": "text `, `{"a": 1`, `{"a": [`} {
		c, err := v.JSON(nil, Prefill([]byte(s)))
		if err != nil {
			t.Fatal(err)
		}
		a := allowedIDs(c, v.Size())
		for _, at := range tok.AddedTokens() {
			if a[at.ID] {
				t.Errorf("after %q: added token %d %q allowed", s, at.ID, at.Content)
			}
		}
	}
}

// TestConcurrentConstraints: constraints of one grammar (sharing its mask
// cache) and one vocabulary run in parallel.
func TestConcurrentConstraints(t *testing.T) {
	_, v := fixture(t, "qwen3")
	g, err := v.Compile([]byte(`{"type":"object","properties":{"id":{"type":"string","format":"uuid"},"code":{"type":"string","pattern":"^[A-Z]{2,4}$"}},"required":["id","code"]}`))
	if err != nil {
		t.Fatal(err)
	}
	const out = `{"id":"123e4567-e89b-12d3-a456-426614174000","code":"ABC"}`
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			c, err := g.New(After([]byte("</think>")))
			if err != nil {
				errs <- err
				return
			}
			logits := make([]float32, v.Size())
			for _, b := range []byte("ok</think>" + out) {
				c.Mask(logits)
				if err := c.Feed([]byte{b}); err != nil {
					errs <- err
					return
				}
			}
			if !c.Complete() {
				errs <- errors.New("not complete")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
