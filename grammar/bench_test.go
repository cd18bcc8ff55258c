package grammar

import (
	"testing"
	"time"
)

const benchSchema = `{"type":"object","properties":{
	"name":{"type":"string"},
	"short":{"type":"string","maxLength":40},
	"id":{"type":"string","format":"uuid"},
	"code":{"type":"string","pattern":"^[A-Z]{3}-[0-9]+$"},
	"n":{"type":"integer","minimum":0,"maximum":100000},
	"tags":{"type":"array","items":{"enum":["red","green","blue"]}}},
	"required":["name","short","id","code","n","tags"],"additionalProperties":false}`

// benchStates are states of a generation the mask is measured in.
var benchStates = []struct {
	name, schema, out string
}{
	{"object/in-string", "", `{"answer": "The quick brown fox`},
	{"object/in-string-after-utf8", "", `{"answer": "中文` + "\xe4"},
	{"object/key-start", "", `{`},
	{"object/value-start", "", `{"a":`},
	{"object/after-value", "", `{"a": 1`},
	{"object/in-number", "", `{"a": 12`},
	{"object/in-key", "", `{"some_ke`},
	{"object/nested", "", `{"a": [{"b": {"c": [1, 2, {"d": "x`},
	{"schema/key-literal", benchSchema, `{"name": "x", `},
	{"schema/in-string", benchSchema, `{"name": "Jo`},
	{"schema/maxLength", benchSchema, `{"name": "x", "short": "abc`},
	{"schema/uuid", benchSchema, `{"name": "x", "short": "y", "id": "123e45`},
	{"schema/pattern", benchSchema, `{"name": "x", "short": "y", "id": "123e4567-e89b-12d3-a456-426614174000", "code": "ABC-1`},
	{"schema/bounded-int", benchSchema, `{"name": "x", "short": "y", "id": "123e4567-e89b-12d3-a456-426614174000", "code": "ABC-1", "n": 12`},
	{"schema/enum", benchSchema, `{"name": "x", "short": "y", "id": "123e4567-e89b-12d3-a456-426614174000", "code": "ABC-1", "n": 12, "tags": ["re`},
}

// BenchmarkMask measures Mask on DeepSeek-V3's vocabulary (129,280 logits)
// in common states. Cached DFA masks are warm after the first call, as
// they are in a generation.
func BenchmarkMask(b *testing.B) {
	_, v := fixture(b, "deepseek_v3")
	logits := make([]float32, 129280)
	for _, bs := range benchStates {
		b.Run(bs.name, func(b *testing.B) {
			c, err := v.JSON([]byte(bs.schema), Prefill([]byte(bs.out)))
			if err != nil {
				b.Fatal(err)
			}
			c.Mask(logits)
			b.ResetTimer()
			for b.Loop() {
				c.Mask(logits)
			}
		})
	}
}

// BenchmarkMaskGate measures Mask before the marker of After (every
// reasoning token of a thinking model pays it), and right at the marker.
func BenchmarkMaskGate(b *testing.B) {
	_, v := fixture(b, "deepseek_v3")
	logits := make([]float32, 129280)
	for _, s := range []struct{ name, out string }{{"reasoning", "Let me think about it"}, {"marker-pending", "So the answer is {}.</think"}} {
		b.Run(s.name, func(b *testing.B) {
			c, err := v.JSON(nil, After([]byte("</think>")), Prefill([]byte(s.out)))
			if err != nil {
				b.Fatal(err)
			}
			c.Mask(logits)
			for b.Loop() {
				c.Mask(logits)
			}
		})
	}
}

// BenchmarkNewVocab measures preparing DeepSeek-V3's vocabulary.
func BenchmarkNewVocab(b *testing.B) {
	tok, _ := fixture(b, "deepseek_v3")
	for b.Loop() {
		if _, err := FromTokenizer(tok); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMaskTimes logs the time of one Mask per benchmark state (with -v);
// the benchmark is the measurement, this only shows the order of magnitude.
func TestMaskTimes(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	_, v := fixture(t, "deepseek_v3")
	logits := make([]float32, 129280)
	for _, bs := range benchStates {
		c, err := v.JSON([]byte(bs.schema), Prefill([]byte(bs.out)))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		c.Mask(logits)
		first := time.Since(start)
		start = time.Now()
		c.Mask(logits)
		t.Logf("%-28s first %8v  again %8v  allowed %d", bs.name, first, time.Since(start), c.allowed.count())
	}
}

// BenchmarkNewConstraint measures what each request pays before decoding:
// compiling the schema, making the constraint and its first two masks.
func BenchmarkNewConstraint(b *testing.B) {
	_, v := fixture(b, "deepseek_v3")
	logits := make([]float32, 129280)
	for _, s := range []struct{ name, schema string }{{"json_object", ""}, {"schema", benchSchema}} {
		b.Run(s.name, func(b *testing.B) {
			for b.Loop() {
				c, err := v.JSON([]byte(s.schema))
				if err != nil {
					b.Fatal(err)
				}
				c.Mask(logits)
				if err := c.Feed([]byte(`{"name": "`)); err != nil {
					b.Fatal(err)
				}
				c.Mask(logits)
			}
		})
	}
}
