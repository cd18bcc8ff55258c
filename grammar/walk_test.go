package grammar

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// walkSchemas are valid JSON Schemas (draft 2020-12) for the random walks.
var walkSchemas = []string{
	``,
	`{"type":"object","properties":{
		"name":{"type":"string","minLength":1,"maxLength":12},
		"age":{"type":"integer","minimum":0,"maximum":150},
		"email":{"type":"string","format":"email"},
		"tags":{"type":"array","items":{"enum":["a","b","c"]},"maxItems":3},
		"address":{"type":"object","properties":{"city":{"type":"string"},"zip":{"type":"string","pattern":"^[0-9]{5}$"}},"required":["city"],"additionalProperties":false},
		"score":{"type":["number","null"],"exclusiveMinimum":0,"exclusiveMaximum":1}},
	  "required":["name","age","tags"],"additionalProperties":false}`,
	`{"$defs":{"node":{"type":"object","properties":{"value":{"type":"integer","multipleOf":3},"children":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":2}},"required":["value","children"],"additionalProperties":false}},"$ref":"#/$defs/node"}`,
	`{"anyOf":[{"type":"object","properties":{"kind":{"const":"circle"},"r":{"type":"number"}},"required":["kind","r"],"additionalProperties":false},
	           {"type":"object","properties":{"kind":{"const":"rect"},"w":{"type":"number"},"h":{"type":"number"}},"required":["kind","w","h"],"additionalProperties":false},
	           {"type":"string","format":"date"},{"type":"integer"}]}`,
	`{"type":"array","prefixItems":[{"type":"string","format":"uuid"},{"type":"string","format":"date-time"},{"type":"string","format":"ipv4"},{"type":"boolean"}],"items":{"type":"string","maxLength":3},"minItems":4,"maxItems":6}`,
	`{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"],"additionalProperties":{"type":"array","items":{"type":"number","minimum":-5.5,"maximum":2}}}`,
	`{"type":"number","minimum":-100,"maximum":1e3}`,
}

// byteTokens maps each byte to a single-byte ordinary token.
func byteTokens(t *testing.T, v *Vocab) [256]int {
	var ids [256]int
	for i := range ids {
		ids[i] = -1
	}
	for id, b := range v.tokens {
		if len(b) == 1 && !v.control[id] && ids[b[0]] < 0 {
			ids[b[0]] = id
		}
	}
	for b, id := range ids {
		if id < 0 {
			t.Fatalf("no token for byte %#x", b)
		}
	}
	return ids
}

// stateKey serializes a state, to find states seen before.
func stateKey(st *state) string {
	var b []byte
	for _, h := range st.stacks {
		b = binary.LittleEndian.AppendUint32(b, uint32(h.n))
		for _, f := range st.frames[h.off : h.off+h.n] {
			b = append(b, f.kind, f.phase, f.ws, f.esc, f.u)
			for _, x := range []int32{f.node, f.a, f.b, f.c} {
				b = binary.LittleEndian.AppendUint32(b, uint32(x))
			}
		}
		b = append(b, h.num[:h.numLen]...)
		b = append(b, 0xFF)
	}
	return string(b)
}

// completionOrder is the order bytes are tried in when completing an
// output: closers first, openers last, no white space.
func completionOrder() []byte {
	order := []byte(`"}],:0123456789nultrefas`)
	for b := range 256 {
		if !isWS(byte(b)) && b != '[' && b != '{' && bytes.IndexByte(order, byte(b)) < 0 {
			order = append(order, byte(b))
		}
	}
	return append(order, '[', '{')
}

// completion finds a text that completes the output: depth first over
// recognizer states in completionOrder, never visiting a state twice.
func completion(t *testing.T, c *Constraint) []byte {
	order := completionOrder()
	type node struct {
		st   state
		next int // index into order
	}
	var start state
	start.copyFrom(&c.st)
	if c.g.accepting(&start) {
		return nil
	}
	seen := map[string]bool{stateKey(&start): true}
	stack := []node{{st: start}}
	var path []byte
	for len(stack) > 0 && len(seen) < 1000000 {
		n := &stack[len(stack)-1]
		if n.next == len(order) {
			stack = stack[:len(stack)-1]
			if len(path) > 0 {
				path = path[:len(path)-1]
			}
			continue
		}
		b := order[n.next]
		n.next++
		var next state
		if !c.m.step(&n.st, b, false, &next) {
			continue
		}
		if c.g.accepting(&next) {
			return append(path, b)
		}
		if k := stateKey(&next); !seen[k] {
			seen[k] = true
			stack = append(stack, node{st: next})
			path = append(path, b)
		}
	}
	t.Fatalf("no completion found from %v", c.st.frames)
	return nil
}

// pick chooses a random allowed token: half the time among all, half the
// time among the short ones (structure, digits), if any.
func pick(rng *rand.Rand, allowed, short bitset) int {
	choose := func(filter bitset) int {
		n := 0
		for i, w := range allowed {
			if filter != nil {
				w &= filter[i]
			}
			n += bits.OnesCount64(w)
		}
		if n == 0 {
			return -1
		}
		k := rng.IntN(n)
		for i, w := range allowed {
			if filter != nil {
				w &= filter[i]
			}
			if c := bits.OnesCount64(w); k >= c {
				k -= c
				continue
			}
			for ; ; w &= w - 1 {
				if k == 0 {
					return i*64 + bits.TrailingZeros64(w)
				}
				k--
			}
		}
		return -1
	}
	if rng.IntN(2) == 0 {
		if id := choose(short); id >= 0 {
			return id
		}
	}
	return choose(nil)
}

func compileValidator(t *testing.T, schema string) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(schema)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// TestRandomWalks samples only allowed tokens of real vocabularies: every
// walk ends, within a bounded number of tokens, in JSON that parses and
// validates against the schema.
func TestRandomWalks(t *testing.T) {
	walks := map[string]int{"deepseek_v3": 6, "qwen3": 2, "llama3": 2}
	if testing.Short() {
		walks = map[string]int{"deepseek_v3": 1}
	}
	const randomTokens = 48
	for name, n := range walks {
		_, v := fixture(t, name)
		ids := byteTokens(t, v)
		short := newBitset(v.n)
		for id, b := range v.tokens {
			if len(b) > 0 && len(b) <= 2 && !v.control[id] {
				short.set(id)
			}
		}
		for si, schema := range walkSchemas {
			var check *jsonschema.Schema
			if schema != "" {
				check = compileValidator(t, schema)
			}
			g, err := v.Compile([]byte(schema))
			if err != nil {
				t.Fatal(err)
			}
			for w := range n {
				rng := rand.New(rand.NewPCG(uint64(si), uint64(w)))
				c, err := g.New()
				if err != nil {
					t.Fatal(err)
				}
				var out []byte
				tokens := 0
				accept := func(id int) {
					c.compute()
					if !c.allowed.has(id) {
						t.Fatalf("%s schema %d: token %d %q not allowed after %q", name, si, id, v.tokens[id], out)
					}
					if err := c.Accept(id); err != nil {
						t.Fatalf("%s schema %d: after %q: %v", name, si, out, err)
					}
					if id != v.eos {
						out = append(out, v.tokens[id]...)
					}
					tokens++
				}
				for range randomTokens {
					if c.Complete() {
						break
					}
					c.compute()
					id := pick(rng, c.allowed, short)
					if id < 0 {
						t.Fatalf("%s schema %d: no token allowed after %q", name, si, out)
					}
					accept(id)
				}
				for _, b := range completion(t, c) {
					accept(ids[b])
				}
				if !c.Complete() {
					accept(v.eos)
				}
				if tokens > randomTokens+4*MaxDepth+200 {
					t.Errorf("%s schema %d: %d tokens", name, si, tokens)
				}
				var val any
				if err := json.Unmarshal(out, &val); err != nil {
					t.Fatalf("%s schema %d: %q: %v", name, si, out, err)
				}
				if check == nil {
					if _, ok := val.(map[string]any); !ok {
						t.Fatalf("%s: %q is not an object", name, out)
					}
					continue
				}
				inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
				if err != nil {
					t.Fatal(err)
				}
				if err := check.Validate(inst); err != nil {
					t.Fatalf("%s schema %d: %q does not validate: %v", name, si, out, err)
				}
				if testing.Verbose() {
					t.Logf("%s schema %d walk %d: %d tokens: %.200q", name, si, w, tokens, out)
				}
			}
		}
	}
}
