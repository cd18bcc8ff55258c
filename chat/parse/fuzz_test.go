package parse

import (
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"testing"
)

// fuzzChunkings splits text in one piece, byte by byte, and at a few
// pseudo-random positions derived from the text (so failures reproduce).
func fuzzChunkings(text string) [][]string {
	out := [][]string{{text}}
	bytes := make([]string, len(text))
	for i := 0; i < len(text); i++ {
		bytes[i] = text[i : i+1]
	}
	out = append(out, bytes)
	h := fnv.New64a()
	h.Write([]byte(text))
	rng := rand.New(rand.NewPCG(h.Sum64(), 7))
	for range 4 {
		var chunks []string
		rest := text
		for rest != "" {
			n := 1 + rng.IntN(min(len(rest), 12))
			chunks = append(chunks, rest[:n])
			rest = rest[n:]
		}
		out = append(out, chunks)
	}
	return out
}

// fuzzCheck runs the invariants of check (see helpers_test.go) on a
// cheaper set of chunkings, and returns the merged events.
func fuzzCheck(t *testing.T, format string, opts Options, text string) []Event {
	var want []Event
	for _, chunks := range fuzzChunkings(text) {
		evs, spans := run(t, format, opts, chunks)
		if err := checkTrace(format, text, evs, spans); err != nil {
			t.Fatalf("format %s opts %+v chunks %q: %v\nevents %v", format, opts, chunks, err, evs)
		}
		got := merge(evs)
		if want == nil {
			want = got
		} else if !slices.Equal(got, want) {
			t.Fatalf("format %s opts %+v chunks %q:\n got %v\nwant %v", format, opts, chunks, got, want)
		}
	}
	return want
}

func optsFromBits(b uint8) Options {
	return Options{StartInReasoning: b&1 != 0, LeadingThink: b&2 != 0, TrimSpace: b&4 != 0}
}

// FuzzReasoning: no panic or hang; the stream agrees with the whole-text
// reference under every chunking; no byte is lost or duplicated except the
// markers (and, with TrimSpace, whitespace around the reasoning).
func FuzzReasoning(f *testing.F) {
	seeds := []string{"", "<think>", "</think>", "<think>\nhmm\n</think>\n\nHello", "a</think>b</think>c",
		" \n<think> x </think> y", "<thi", "</thi", "思考🚀</think>答案", "<think></think>", "\n\n</think>\n\n"}
	for _, c := range toolCases() {
		seeds = append(seeds, c.text)
	}
	for i, s := range seeds {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, text string, bits uint8) {
		opts := optsFromBits(bits)
		res := result(fuzzCheck(t, FormatNone, opts, text))
		r, c := refSplit(text, opts)
		if res.Reasoning != r || res.Content != c {
			t.Fatalf("opts %+v: got %q / %q, reference %q / %q", opts, res.Reasoning, res.Content, r, c)
		}
	})
}

// FuzzToolCalls: no panic or hang for any format; the event stream does not
// depend on chunking; the trace accounts for every byte exactly once; the
// event grammar holds and DSML arguments are always a JSON object.
func FuzzToolCalls(f *testing.F) {
	for i, c := range toolCases() {
		sel := uint8(slices.Index(Formats(), c.format))
		if c.opts.StartInReasoning {
			sel |= 8
		}
		f.Add(c.text, sel|uint8(i%2)<<5)
	}
	f.Fuzz(func(t *testing.T, text string, sel uint8) {
		format := Formats()[int(sel)%len(Formats())]
		opts := optsFromBits(sel >> 3)
		if sel&0x40 != 0 {
			opts.AllowTool = AllowNames("get_weather", "f")
		}
		fuzzCheck(t, format, opts, text)
	})
}

// fuzzVocab is what FuzzTokenSequences builds texts from: every marker,
// pieces and lookalikes of markers, names, JSON and whitespace, the way a
// model emits tokens.
var fuzzVocab = []string{
	thinkOpen, thinkClose, "<think", "</", "think>",
	tkCallsBegin, tkCallsEnd, tkCallBegin, tkCallEnd, tkSep, "<｜tool▁call", "<｜", "｜>", "▁",
	"function", "get_weather", "f", " ", "\n", "\n\n", "```json\n", "\n```", "```", "`",
	"{", "}", "[1, 2]", `"`, `{"city": "Paris"}`, `"a\"b"`, "\\", "中文", "🚀", "\xff", "<", ">", "=",
	dsFuncs, dsFuncsEnd, dsTools, dsToolsEnd, `<｜DSML｜invoke name="get_weather">`, `<｜DSML｜invoke name="f">`,
	dsInvoke, dsInvokeEnd, dsParam, dsParamEnd, ` name="k"`, ` string="true"`, ` string="false"`,
	`<｜DSML｜parameter name="city" string="true">`, `<｜DSML｜parameter name="n" string="false">`,
	"<｜DSML｜", "｜DSML｜", "Hello", "42",
}

// FuzzTokenSequences checks the FuzzToolCalls invariants on texts made of
// vocabulary pieces, which reach deep states that byte mutation rarely
// does: each input byte picks a piece.
func FuzzTokenSequences(f *testing.F) {
	f.Add([]byte{5, 7, 16, 8, 17, 19, 20, 23, 9, 6}, uint8(1))
	f.Add([]byte{39, 41, 44, 52, 28, 46, 45, 40}, uint8(4))
	f.Add([]byte{0, 54, 1, 22, 5, 7, 15, 9, 17, 28, 10, 8, 6}, uint8(2|8))
	f.Fuzz(func(t *testing.T, picks []byte, sel uint8) {
		var text []byte
		for _, b := range picks {
			text = append(text, fuzzVocab[int(b)%len(fuzzVocab)]...)
		}
		format := Formats()[int(sel)%len(Formats())]
		opts := optsFromBits(sel >> 3)
		if sel&0x40 != 0 {
			opts.AllowTool = AllowNames("get_weather", "f")
		}
		fuzzCheck(t, format, opts, string(text))
	})
}
