package grammar

import (
	"strings"
	"testing"
)

// rejectAt is an invalid output and the offset of its first bad byte
// (len(s): every byte is taken but the value is not complete).
type rejectAt struct {
	s   string
	bad int
}

func TestRecognizer(t *testing.T) {
	ws21 := strings.Repeat(" ", 21)
	ws20 := strings.Repeat(" ", 20)
	tests := []struct {
		name   string
		schema string
		accept []string
		reject []rejectAt
	}{
		{
			name:   "json_object",
			schema: "",
			accept: []string{`{}`, ` {"a":1}`, "{\n  \"a\": [1, 2.5e-3, -0, true, false, null, \"x\"],\n  \"b\": {}\n}",
				`{"a":{"b":{"c":[[]]}}}`, `{"":""}`, `{"a":1,"a":2}`, `{"\u00e9\ud83d\ude00\n":"\"\\\/\b\f\r\t"}`,
				`{"k":"é😀中"}`, `{"x":1E+2}`, `{"x":0.5}`, `{` + ws20 + `}`},
			reject: []rejectAt{
				{`[]`, 0}, {`"a"`, 0}, {`1`, 0}, {`{"a":01}`, 6}, {`{"a":1.}`, 7}, {`{"a":.5}`, 5},
				{`{"a":1,}`, 7}, {`{,}`, 1}, {`{"a" 1}`, 5}, {`{"a":tru}`, 8}, {`{"a":True}`, 5},
				{"{\"a\":\"x\ny\"}", 7}, {`{"a":"\x"}`, 7}, {`{"a":"\u12g4"}`, 10}, {`{} `, 2}, {`{}x`, 2},
				{"{\"a\":\"\xff\"}", 6}, {"{\"a\":\"\xc0\x80\"}", 6}, {"{\"a\":\"\xed\xa0\x80\"}", 7},
				{"{\"a\":\"\xe2\x82\"}", 8}, {`{` + ws21 + `}`, 21}, {`{"a":1`, 6}, {`{"a":-}`, 6},
				{`{"a":1e}`, 7}, {`{"a":nul}`, 8},
			},
		},
		{
			name:   "properties in schema order",
			schema: `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}}},"required":["name","age"],"additionalProperties":false}`,
			accept: []string{`{"name":"x","age":3}`, `{"name":"x","age":-3,"tags":[]}`, `{ "name" : "" , "age" : 0 , "tags" : [ "a" , "b" ] }`},
			reject: []rejectAt{
				{`{"age":3,"name":"x"}`, 2}, {`{"name":"x"}`, 11}, {`{}`, 1}, {`{"name":"x","age":3.5}`, 19},
				{`{"name":"x","age":3,"tags":[1]}`, 28}, {`{"name":"x","age":3,"other":1}`, 21}, {`{"nam":"x"}`, 5},
				{`{"name":"x","age":3,}`, 20}, {`{"name":"x","age":3e2}`, 19},
			},
		},
		{
			name:   "optional properties and additional ones",
			schema: `{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"boolean"},"c":{"type":"null"}},"required":["b"],"additionalProperties":{"type":"string"}}`,
			accept: []string{`{"b":true}`, `{"a":1,"b":false}`, `{"b":true,"c":null}`, `{"b":true,"zz":"x"}`, `{"a":1,"b":true,"c":null,"d":"","e":"f"}`, `{"b":true,"c":null,"ab":"x"}`},
			reject: []rejectAt{
				{`{"c":null}`, 2}, {`{"b":true,"a":1}`, 12}, {`{"zz":"x"}`, 2}, {`{"b":true,"zz":1}`, 15}, {`{"b":true,"c":null,"c":null}`, 21},
			},
		},
		{
			name:   "additional properties by default when there are none",
			schema: `{"type":"object"}`,
			accept: []string{`{}`, `{"x":[1,{"y":null}]}`},
		},
		{
			name:   "no additional properties by default next to properties",
			schema: `{"type":"object","properties":{"a":{"type":"integer"}}}`,
			accept: []string{`{}`, `{"a":1}`},
			reject: []rejectAt{{`{"b":1}`, 2}},
		},
		{
			name:   "enum and const",
			schema: `{"type":"object","properties":{"color":{"enum":["red","green",null,1,{"a":[1]}]},"k":{"const":"é\n"}},"required":["color","k"]}`,
			accept: []string{`{"color":"red","k":"é\n"}`, `{"color":null,"k":"é\n"}`, `{"color":1,"k":"é\n"}`, `{"color":{"a":[1]},"k":"é\n"}`},
			reject: []rejectAt{{`{"color":"blue"`, 10}, {`{"color":12`, 10}, {`{"color":"red","k":"e`, 20}, {`{"color":{"a": [1]}`, 14}},
		},
		{
			name:   "type lists and nullable",
			schema: `{"type":"object","properties":{"a":{"type":["string","null"]},"b":{"type":"number","nullable":true}},"required":["a","b"]}`,
			accept: []string{`{"a":null,"b":null}`, `{"a":"x","b":1.5}`},
			reject: []rejectAt{{`{"a":1`, 5}, {`{"a":null,"b":"x"`, 14}},
		},
		{
			name:   "arrays: prefixItems, items, min and max",
			schema: `{"type":"array","prefixItems":[{"type":"integer"},{"type":"string"}],"items":{"type":"boolean"},"minItems":2,"maxItems":3}`,
			accept: []string{`[1,"a"]`, `[1,"a",true]`, `[ 1 , "a" , false ]`},
			reject: []rejectAt{{`[]`, 1}, {`[1]`, 2}, {`["a"`, 1}, {`[1,"a",true,false]`, 11}, {`[1,"a",1]`, 7}},
		},
		{
			name:   "tuple form of items",
			schema: `{"type":"array","items":[{"const":1},{"const":2}],"additionalItems":false}`,
			accept: []string{`[]`, `[1]`, `[1,2]`},
			reject: []rejectAt{{`[1,2,`, 4}, {`[2]`, 1}},
		},
		{
			name:   "strings: lengths count characters",
			schema: `{"type":"string","minLength":2,"maxLength":3}`,
			accept: []string{`"ab"`, `"abc"`, `"é😀"`, `"\n\u00e9x"`},
			reject: []rejectAt{{`"a"`, 2}, {`"abcd"`, 4}, {`"\ud83d\ude00"`, 4}, {`"ab`, 3}},
		},
		{
			name:   "pattern",
			schema: `{"type":"string","pattern":"^[a-z]+-[0-9]{2}$"}`,
			accept: []string{`"ab-12"`, `"x-00"`},
			reject: []rejectAt{{`"-12"`, 1}, {`"ab-1"`, 5}, {`"ab-123"`, 6}, {`"Ab-12"`, 1}},
		},
		{
			name:   "unanchored pattern",
			schema: `{"type":"string","pattern":"[0-9]"}`,
			accept: []string{`"a1b"`, `"7"`, `"\u0031"`},
			reject: []rejectAt{{`"ab"`, 3}},
		},
		{
			name:   "formats",
			schema: `{"type":"array","prefixItems":[{"format":"date"},{"format":"uuid"},{"format":"ipv4"},{"format":"date-time"},{"format":"email"},{"format":"uri"}],"items":false}`,
			accept: []string{`["2024-02-28","123e4567-e89b-12d3-a456-426614174000","192.168.0.255","2024-01-31T23:59:59.5+02:00","a.b@example.com","anything"]`},
			reject: []rejectAt{{`["2024-02-30"`, 10}, {`["2024-01-01","123e4567-x`, 24}, {`["2024-01-01","123e4567-e89b-12d3-a456-426614174000","256`, 56}},
		},
		{
			name:   "integer bounds",
			schema: `{"type":"integer","minimum":10,"maximum":20}`,
			accept: []string{`10`, `15`, `20`},
			reject: []rejectAt{{`9`, 0}, {`21`, 1}, {`3`, 0}, {`-1`, 0}, {`1`, 1}, {`200`, 2}, {`10.0`, 2}},
		},
		{
			name:   "number bounds, exclusive",
			schema: `{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":1}`,
			accept: []string{`0.5`, `0.999`, `0.0001`},
			reject: []rejectAt{{`0`, 1}, {`1`, 0}, {`0.0`, 3}, {`-0.5`, 0}, {`0.5e1`, 3}},
		},
		{
			name:   "multipleOf",
			schema: `{"type":"integer","multipleOf":5,"minimum":-10,"maximum":10}`,
			accept: []string{`0`, `5`, `-10`, `10`, `-5`},
			reject: []rejectAt{{`3`, 0}, {`15`, 1}, {`-15`, 2}},
		},
		{
			name:   "anyOf alternatives that begin alike",
			schema: `{"anyOf":[{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]},{"type":"object","properties":{"b":{"type":"string"}},"required":["b"]},{"type":"integer"},{"const":12.5}]}`,
			accept: []string{`{"a":1}`, `{"b":"x"}`, `12`, `12.5`, `-3`},
			reject: []rejectAt{{`{"c":1}`, 2}, {`{"a":"x"}`, 5}, {`12.6`, 3}},
		},
		{
			name:   "recursion through $ref",
			schema: `{"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v","kids"],"additionalProperties":false}},"$ref":"#/$defs/node"}`,
			accept: []string{`{"v":1,"kids":[]}`, `{"v":1,"kids":[{"v":2,"kids":[{"v":3,"kids":[]}]}]}`},
			reject: []rejectAt{{`{"v":1,"kids":[{}]}`, 16}},
		},
		{
			name:   "root recursion and definitions",
			schema: `{"definitions":{"leaf":{"type":"string"}},"type":"array","items":{"anyOf":[{"$ref":"#"},{"$ref":"#/definitions/leaf"}]}}`,
			accept: []string{`[]`, `["a",["b",[]]]`},
			reject: []rejectAt{{`[1]`, 1}},
		},
		{
			name:   "top-level string, literal and number",
			schema: `{"type":["string","boolean","number"]}`,
			accept: []string{`"x"`, `true`, `false`, `-1.5e10`, `  7`},
			reject: []rejectAt{{`null`, 0}, {`tru`, 3}},
		},
		{
			name:   "true schema",
			schema: `true`,
			accept: []string{`[]`, `"x"`, `{"a":null}`},
		},
		{
			name:   "escapes in property names",
			schema: `{"type":"object","properties":{"a\"b/c":{"type":"integer"}},"required":["a\"b/c"]}`,
			accept: []string{`{"a\"b/c":1}`, `{"a\"b\/c":1}`},
			reject: []rejectAt{{`{"a\u0022b/c":1}`, 4}, {`{"ab`, 3}},
		},
	}
	v := byteVocab(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := v.Compile([]byte(tc.schema))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.accept {
				if n, ok := recognize(t, g, s); !ok {
					t.Errorf("%q: rejected at byte %d", s, n)
				}
			}
			for _, r := range tc.reject {
				n, ok := recognize(t, g, r.s)
				if ok {
					t.Errorf("%q: accepted", r.s)
				} else if n != r.bad {
					t.Errorf("%q: rejected at byte %d, want %d", r.s, n, r.bad)
				}
			}
		})
	}
}

func TestDepthLimit(t *testing.T) {
	v := byteVocab(t)
	g, err := v.Compile(nil)
	if err != nil {
		t.Fatal(err)
	}
	deep := strings.Repeat(`{"a":`, MaxDepth) + "1" + strings.Repeat("}", MaxDepth)
	if n, _ := recognize(t, g, deep); n >= len(deep) {
		t.Fatalf("nesting of %d objects accepted", MaxDepth)
	}
	ok := strings.Repeat(`{"a":`, MaxDepth-1) + "1" + strings.Repeat("}", MaxDepth-1)
	if n, done := recognize(t, g, ok); !done {
		t.Fatalf("nesting of %d levels rejected at byte %d", MaxDepth, n)
	}
}
