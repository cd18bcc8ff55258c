package parse

import (
	"strings"
	"testing"
)

// benchOutputs are typical generations: long reasoning, an answer with
// markdown and code, and tool calls in each layout.
func benchOutputs() map[string]struct {
	format string
	opts   Options
	text   string
} {
	reasoning := strings.Repeat("Okay, so the user wants to compare 9.11 and 9.8. Let me think: 9.8 = 9.80, and 80 > 11.\n\n", 80)
	answer := strings.Repeat("**9.8 is larger.** Compare the tenths: `8 > 1`.\n\n```go\nfmt.Println(9.8 > 9.11) // 中文 🚀\n```\n", 20)
	v3calls := tkCallsBegin + strings.Repeat(v3Call1+"\n", 7) + v3Call2 + tkCallsEnd
	v31calls := tkCallsBegin + strings.Repeat(v31Call1, 7) + v31Call2 + tkCallsEnd
	dsml := "\n\n" + dsFuncs + "\n" + strings.Repeat(dsCall1+"\n", 7) + dsCall2 + "\n" + dsFuncsEnd
	think := Options{StartInReasoning: true, TrimSpace: true}
	return map[string]struct {
		format string
		opts   Options
		text   string
	}{
		"r1-reasoning":  {FormatDeepSeekR1, think, reasoning + "</think>\n\n" + answer},
		"r1-tools":      {FormatDeepSeekR1, think, reasoning + "</think>\n\n" + v3calls},
		"v3.1-tools":    {FormatV31, Options{}, answer[:200] + v31calls},
		"v3.2-dsml":     {FormatV32, think, reasoning + "</think>" + answer[:200] + dsml},
		"none-content":  {FormatNone, Options{}, answer},
		"v3.2-content":  {FormatV32, Options{}, answer}, // many "\n\n" that could open a block
		"v3.1-content":  {FormatV31, Options{}, answer},
		"r1-long-think": {FormatDeepSeekR1, think, strings.Repeat(reasoning, 4)},
	}
}

// BenchmarkParser measures throughput when text arrives in token-sized
// chunks (4 bytes, about one token of English), the way the detokenizer
// delivers it, and as one piece.
func BenchmarkParser(b *testing.B) {
	for name, o := range benchOutputs() {
		for _, chunk := range []int{4, 1 << 20} {
			label := "/tokens"
			if chunk > 4 {
				label = "/whole"
			}
			b.Run(name+label, func(b *testing.B) {
				var chunks []string
				for s := o.text; s != ""; {
					n := min(chunk, len(s))
					chunks = append(chunks, s[:n])
					s = s[n:]
				}
				o.opts.NewID = testID
				b.SetBytes(int64(len(o.text)))
				b.ReportAllocs()
				var evs []Event
				for b.Loop() {
					p, err := New(o.format, o.opts)
					if err != nil {
						b.Fatal(err)
					}
					for _, c := range chunks {
						evs = p.Feed(evs[:0], c)
					}
					evs = p.Finish(evs[:0])
				}
			})
		}
	}
}
