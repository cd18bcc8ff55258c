package grammar

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestNumberFeasibleBruteForce compares the prefix check of bounded
// numbers with enumeration of every number of at most 4 bytes.
func TestNumberFeasibleBruteForce(t *testing.T) {
	const maxLen = 4
	alphabet := []byte("-0123456789.")
	rng := rand.New(rand.NewPCG(1, 2))
	bounds := []string{"", "0", "-0", "1", "-1", "10", "99", "-250", "0.5", "-0.25", "1.05", "123", "0.001", "1e2", "-2E-1", "3.7", "1e40", "-1e-40"}
	pick := func() string { return bounds[rng.IntN(len(bounds))] }
	for trial := range 80 {
		integer := trial%2 == 0
		s := fmt.Sprintf(`{"type":%q`, map[bool]string{true: "integer", false: "number"}[integer])
		for _, kw := range []string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"} {
			if b := pick(); b != "" && rng.IntN(3) == 0 {
				s += fmt.Sprintf(`,%q:%s`, kw, b)
			}
		}
		if integer && rng.IntN(3) == 0 {
			s += fmt.Sprintf(`,"multipleOf":%d`, 2+rng.IntN(6))
		}
		s += "}"
		v := byteVocab(t)
		g, err := v.Compile([]byte(s))
		if err != nil {
			continue // no number at all
		}
		if len(g.nums) != 1 || !g.nums[0].bounded {
			continue
		}
		n := g.nums[0]
		n.maxLen = maxLen
		// Every valid number text of at most maxLen bytes, and its validity.
		check := bruteBounds(t, s)
		valid := map[string]bool{}
		var enum func(p []byte, ph uint8)
		enum = func(p []byte, ph uint8) {
			if len(p) > 0 && numEnd(ph) {
				valid[string(p)] = check(string(p))
			}
			if len(p) == maxLen {
				return
			}
			for _, c := range alphabet {
				if next, ok := numNext(ph, c, integer, false); ok {
					enum(append(p, c), next)
				}
			}
		}
		enum(nil, nStart)
		prefixes := map[string]bool{"": false}
		for txt, ok := range valid {
			for i := 0; i <= len(txt); i++ {
				prefixes[txt[:i]] = prefixes[txt[:i]] || ok
			}
		}
		for p, want := range prefixes {
			if got := n.feasible([]byte(p), false); got != want {
				t.Fatalf("%s: prefix %q: feasible %v, want %v", s, p, got, want)
			}
		}
		for txt, want := range valid {
			if got := n.feasible([]byte(txt), true); got != want {
				t.Fatalf("%s: %q: complete feasible %v, want %v", s, txt, got, want)
			}
		}
	}
}

// bruteBounds returns a check of a number against the schema's bounds,
// independent of the package (with math/big).
func bruteBounds(t *testing.T, schema string) func(string) bool {
	t.Helper()
	var m map[string]any
	if err := jsonUnmarshalNumber([]byte(schema), &m); err != nil {
		t.Fatal(err)
	}
	get := func(k string) *big.Rat {
		if x, ok := m[k].(string); ok {
			r, _ := new(big.Rat).SetString(x)
			return r
		}
		return nil
	}
	lo, hi, xlo, xhi, mult := get("minimum"), get("maximum"), get("exclusiveMinimum"), get("exclusiveMaximum"), get("multipleOf")
	return func(txt string) bool {
		v, _ := new(big.Rat).SetString(txt)
		switch {
		case lo != nil && v.Cmp(lo) < 0, hi != nil && v.Cmp(hi) > 0,
			xlo != nil && v.Cmp(xlo) <= 0, xhi != nil && v.Cmp(xhi) >= 0:
			return false
		case mult != nil:
			return new(big.Rat).Quo(v, mult).IsInt()
		}
		return true
	}
}
