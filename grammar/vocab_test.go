package grammar

import (
	"math"
	"testing"
)

// bruteAllowed is the allowed set the slow way: every token fed to a copy
// of the state.
func bruteAllowed(c *Constraint) bitset {
	out := newBitset(c.v.n)
	for id := range c.v.n {
		t := c.v.tokens[id]
		switch {
		case id == c.v.eos:
			if c.Accepting() {
				out.set(id)
			}
		case len(t) > 0 && c.tryFeed(t, c.v.control[id]):
			out.set(id)
		}
	}
	return out
}

// maskStates are outputs whose every prefix is a state to check the mask in.
var maskStates = []struct {
	schema string
	out    string
}{
	{"", "{\n  \"ké\\u00e9y\": [1, -2.5e+3, true, null, {\"a\": \"x\\\"y\"}],\n  \"b\": \"😀中\"\n}"},
	{`{"type":"object","properties":{"name":{"type":"string","maxLength":5},"id":{"type":"string","format":"uuid"},"n":{"type":"integer","minimum":100,"maximum":250},"kind":{"enum":["alpha","beta"]},"x":{"type":"number"}},"required":["name","id","n","kind"],"additionalProperties":false}`,
		`{"name": "héllo", "id": "123e4567-e89b-12d3-a456-426614174000", "n": 199, "kind": "beta", "x": 0.25}`},
	{`{"anyOf":[{"type":"array","items":{"type":"integer"}},{"type":"array","items":{"type":"string","pattern":"^[a-z]*$"}}]}`, `[ "ab", "c" ]`},
	{`{"type":"object","properties":{"a":{"type":"boolean"}},"additionalProperties":{"type":"integer"}}`, `{"a":true,"ab":1,"b\n":2}`},
}

func TestMaskMatchesBruteForce(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	_, v := fixture(t, "deepseek_v3")
	for _, ms := range maskStates {
		g, err := v.Compile([]byte(ms.schema))
		if err != nil {
			t.Fatal(err)
		}
		c, err := g.New()
		if err != nil {
			t.Fatal(err)
		}
		step := max(1, len(ms.out)/12)
		for i := 0; i <= len(ms.out); i++ {
			if i%step == 0 || i == len(ms.out) {
				c.compute()
				want := bruteAllowed(c)
				for id := range v.n {
					if c.allowed.has(id) != want.has(id) {
						t.Errorf("schema %.40s after %q: token %d %q: mask says %v, feeding says %v",
							ms.schema, ms.out[:i], id, v.tokens[id], c.allowed.has(id), want.has(id))
					}
				}
			}
			if i < len(ms.out) {
				if err := c.Feed([]byte{ms.out[i]}); err != nil {
					t.Fatalf("%q: %v", ms.out[:i+1], err)
				}
			}
		}
		if !c.Complete() {
			t.Errorf("%q: not complete", ms.out)
		}
	}
}

// TestTokenByToken feeds valid outputs as the tokenizer encodes them: each
// token must be allowed by the mask.
func TestTokenByToken(t *testing.T) {
	for _, name := range []string{"deepseek_v3", "qwen3", "llama3"} {
		tok, v := fixture(t, name)
		for _, ms := range maskStates {
			c, err := v.JSON([]byte(ms.schema))
			if err != nil {
				t.Fatal(err)
			}
			logits := make([]float32, v.Size()+7)
			for _, id := range tok.Encode(ms.out) {
				clear(logits)
				c.Mask(logits)
				if math.IsInf(float64(logits[id]), -1) {
					t.Fatalf("%s: %q: token %d %q is masked", name, ms.out, id, v.tokens[id])
				}
				if err := c.Accept(id); err != nil {
					t.Fatal(err)
				}
			}
			if !c.Complete() {
				t.Errorf("%s: %q: not complete", name, ms.out)
			}
			clear(logits)
			c.Mask(logits)
			for id, l := range logits {
				if !math.IsInf(float64(l), -1) && id != v.eos {
					t.Errorf("%s: token %d allowed after the end", name, id)
					break
				}
			}
		}
	}
}
