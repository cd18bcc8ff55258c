package grammar

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var fuzzSeeds = []string{
	`{}`, `{"a":1}`, ` {"a": [1, 2.5e-3, -0, true, false, null, "x"]}`, `{"\ud800":"\u00e9"}`,
	`{"a":{"b":{"c":[[{}]]}}}`, `{"a":01}`, `{"a":"` + "\xff" + `"}`, `{} `, `[]`, `{"a":1,}`,
	`{"a":"\n"}`, "{\"a\":\"\n\"}", `{"a":1e400}`, `{"":""}`, `{"a":-}`, `{"x":"é😀"}`,
}

// limits measures what the recognizer bounds in a JSON text: the longest
// run of white space, the longest number and the deepest nesting.
func limits(b []byte) (ws, num, depth int) {
	inStr, esc := false, false
	run, nrun, d := 0, 0, 0
	for _, c := range b {
		if inStr {
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		if isWS(c) {
			run++
			ws = max(ws, run)
		} else {
			run = 0
		}
		if c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' || c >= '0' && c <= '9' {
			nrun++
			num = max(num, nrun)
		} else {
			nrun = 0
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			d++
			depth = max(depth, d)
		case '}', ']':
			d--
		}
	}
	return ws, num, depth
}

// FuzzJSONObject: in json_object mode the recognizer takes exactly the
// JSON texts encoding/json takes whose top level is an object, within the
// documented limits, with valid UTF-8 and nothing after the object.
func FuzzJSONObject(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	v := byteVocab(f)
	g, err := v.Compile(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		c, err := g.New()
		if err != nil {
			t.Fatal(err)
		}
		n := prefixLen(t, c, string(data))
		got := n == len(data) && c.Complete()
		trimmed := bytes.TrimLeft(data, " \t\r\n")
		lead := len(data) - len(trimmed)
		ws, num, depth := limits(data)
		want := json.Valid(data) && len(trimmed) > 0 && trimmed[0] == '{' && data[len(data)-1] == '}' &&
			utf8.Valid(data) && lead <= MaxWhitespace
		if got && !want {
			t.Fatalf("%q accepted", data)
		}
		if want && !got && ws <= MaxWhitespace && num <= MaxNumberLength && depth < MaxDepth-2 {
			t.Fatalf("%q rejected at byte %d", data, n)
		}
	})
}

const fuzzSchema = `{"type":"object","properties":{
	"s":{"type":"string","maxLength":4},
	"p":{"type":"string","pattern":"^a+b?$"},
	"n":{"type":"number","minimum":-2,"exclusiveMaximum":10},
	"i":{"type":"integer","multipleOf":4},
	"e":{"enum":["x",1,null,[1]]},
	"a":{"type":"array","items":{"anyOf":[{"type":"boolean"},{"$ref":"#"}]},"maxItems":2}},
  "required":["s"],"additionalProperties":{"type":"null"}}`

// FuzzSchema: whatever bytes come, the recognizer never panics, and what
// it accepts validates.
func FuzzSchema(f *testing.F) {
	for _, s := range []string{`{"s":"ab"}`, `{"s":"","p":"aab","n":9.5,"i":-8,"e":[1],"a":[true,{"s":"x"}],"z":null}`, `{"s":"abcde"}`} {
		f.Add([]byte(s))
	}
	v := byteVocab(f)
	g, err := v.Compile([]byte(fuzzSchema))
	if err != nil {
		f.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(fuzzSchema)))
	if err != nil {
		f.Fatal(err)
	}
	jc := jsonschema.NewCompiler()
	if err := jc.AddResource("s.json", doc); err != nil {
		f.Fatal(err)
	}
	check, err := jc.Compile("s.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := g.New()
		if err != nil {
			t.Fatal(err)
		}
		if n := prefixLen(t, c, string(data)); n < len(data) || !c.Complete() {
			return
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%q accepted: %v", data, err)
		}
		if err := check.Validate(inst); err != nil {
			t.Fatalf("%q accepted: %v", data, err)
		}
	})
}

// FuzzCompile: any schema text compiles or gives an error, never a panic,
// and a compiled one yields a constraint.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{fuzzSchema, `{"$ref":"#"}`, `{"anyOf":[{"$ref":"#"}]}`, `{"type":"string","pattern":"(a|b)*c{2,5}"}`,
		`{"type":"integer","minimum":1e400}`, `{"properties":{"a":{"$ref":"#/properties/a"}},"required":["a"]}`} {
		f.Add([]byte(s))
	}
	v := byteVocab(f)
	f.Fuzz(func(t *testing.T, schema []byte) {
		if len(schema) > 2048 {
			return
		}
		g, err := v.Compile(schema)
		if err != nil {
			return
		}
		if _, err := g.New(); err != nil {
			t.Fatal(err)
		}
	})
}
