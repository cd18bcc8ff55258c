package tokenizer

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dlclark/regexp2/v2"
)

// knownRegexes are all the regexes with a hand-coded matcher.
var knownRegexes = []string{
	reDigits1, reDigits3, reDigitsAll, reNewline, reCJKDeepSeek, reDeepSeekV3,
	reLlama3, reQwen2, reLlama3CPP, reQwen2CPP, reGPT2, reGPT2CPP,
}

// bothStages returns the hand-coded stage for regex and the same regex run
// by regexp2.
func bothStages(t testing.TB, regex string) (hand, engine *splitStage) {
	t.Helper()
	hand, err := newRegexStage(regex, behaviorIsolated, false)
	if err != nil {
		t.Fatal(err)
	}
	if hand.match == nil {
		t.Fatalf("%q has no hand-coded matcher", regex)
	}
	engine = &splitStage{tab: bmpClasses(), re: regexp2.MustCompile(regex), behavior: behaviorIsolated}
	engine.match = nil
	return hand, engine
}

// compareMatches checks that both stages find the same matches and gaps.
func compareMatches(t *testing.T, regex string, hand, engine *splitStage, s string) bool {
	t.Helper()
	got, want := hand.findMatches(s), engine.findMatches(s)
	if len(got) == len(want) {
		same := true
		for i := range got {
			same = same && got[i] == want[i]
		}
		if same {
			return true
		}
	}
	k := 0
	for k < min(len(got), len(want)) && got[k] == want[k] {
		k++
	}
	t.Errorf("regex %q on %q:\nfirst difference at span %d: hand-coded %v, regexp2 %v", regex, s, k, spanText(s, got, k), spanText(s, want, k))
	return false
}

func spanText(s string, sp []span, k int) string {
	if k >= len(sp) {
		return "(none)"
	}
	return strings.Join([]string{s[sp[k].start:sp[k].end], map[bool]string{true: "match", false: "gap"}[sp[k].match]}, " ")
}

// TestPatternsMatchRegexp2Corpus runs the model regexes both ways over the
// corpus.
func TestPatternsMatchRegexp2Corpus(t *testing.T) {
	lines := corpus(t)
	for _, regex := range []string{reDeepSeekV3, reLlama3, reQwen2, reDigits3, reCJKDeepSeek} {
		hand, engine := bothStages(t, regex)
		bad := 0
		for _, l := range lines {
			if !compareMatches(t, regex, hand, engine, l.Text) {
				if bad++; bad > 3 {
					break
				}
			}
		}
	}
}

// randomText draws strings from pieces that exercise every alternative:
// letters, marks, digits of several scripts, punctuation, symbols, kinds of
// white space, CJK, emoji, apostrophes.
func randomText(r *rand.Rand, n int) string {
	pool := []string{
		"a", "Z", "é", "e\u0301", "\u0301", "ß", "Ω", "ж", "ا", "ק", "ก", "中", "文", "ぁ", "カ", "・", "ー", "゛", "한",
		"0", "7", "٣", "１", "½", "²", "Ⅻ",
		".", ",", "!", "?", "'", "\"", "-", "_", "(", ")", "[", "]", "{", "}", "<", ">", "/", "\\", "@", "#", "$", "%", "^", "&", "*", "+", "=", "|", "~", "`",
		"。", "、", "：", "「", "€", "©", "→", "🦙", "👩\u200d💻", "🏻", "\u200b", "\u200d", "\ufeff",
		" ", " ", " ", "  ", "\t", "\n", "\r", "\r\n", "\u00a0", "\u3000", "\u2028", "\u0085", "\v", "\f",
		"'s", "'T", "'re", "'VE", "'m", "'ll", "'D", "'x",
		"\x00", "\x7f",
	}
	var b strings.Builder
	for range n {
		b.WriteString(pool[r.IntN(len(pool))])
	}
	return b.String()
}

func TestPatternsMatchRegexp2Random(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	texts := make([]string, 3000)
	for i := range texts {
		texts[i] = randomText(r, 1+r.IntN(24))
	}
	for _, regex := range knownRegexes {
		hand, engine := bothStages(t, regex)
		bad := 0
		for _, s := range texts {
			if !compareMatches(t, regex, hand, engine, s) {
				if bad++; bad > 3 {
					break
				}
			}
		}
	}
}

// FuzzPatterns compares the hand-coded matchers with regexp2 on any text.
func FuzzPatterns(f *testing.F) {
	for _, s := range []string{"", "Hello world", "  x\n\n  y", "a'S 123456 中文カタカナ", "..Foo ;\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8ValidString(s) {
			return // regexp2 decodes invalid bytes differently; Encode keeps them as symbols
		}
		for _, regex := range knownRegexes {
			hand, engine := bothStages(t, regex)
			compareMatches(t, regex, hand, engine, s)
		}
	})
}

// TestSplitBehaviors checks each SplitDelimiterBehavior on the example of
// Hugging Face's documentation (pattern "-" on "the-final--countdown").
func TestSplitBehaviors(t *testing.T) {
	lit := "-"
	for _, tc := range []struct {
		b      behavior
		invert bool
		want   []string
	}{
		{behaviorRemoved, false, []string{"the", "final", "countdown"}},
		{behaviorIsolated, false, []string{"the", "-", "final", "-", "-", "countdown"}},
		{behaviorMergedWithPrevious, false, []string{"the-", "final-", "-", "countdown"}},
		{behaviorMergedWithNext, false, []string{"the", "-final", "-", "-countdown"}},
		{behaviorContiguous, false, []string{"the", "-", "final", "--", "countdown"}},
		{behaviorRemoved, true, []string{"-", "-", "-"}},
	} {
		for _, st := range []*splitStage{
			{tab: bmpClasses(), literal: &lit, behavior: tc.b, invert: tc.invert},
			{tab: bmpClasses(), re: regexp2.MustCompile("-"), behavior: tc.b, invert: tc.invert},
		} {
			got := st.split(nil, "the-final--countdown")
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("behavior %d invert %v: got %q, want %q", tc.b, tc.invert, got, tc.want)
			}
		}
	}
}

func utf8ValidString(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// TestDeepSeekFusedStage: the fused DeepSeek-V3 pre-tokenizer gives the
// same pieces as its three splits run one after the other.
func TestDeepSeekFusedStage(t *testing.T) {
	var stages []stage
	for _, re := range []string{reDigits3, reCJKDeepSeek, reDeepSeekV3} {
		st, err := newRegexStage(re, behaviorIsolated, false)
		if err != nil {
			t.Fatal(err)
		}
		stages = append(stages, st)
	}
	plain := &preTokenizer{stages: stages}
	fused := newPreTokenizer(stages)
	if len(fused.stages) != 1 {
		t.Fatalf("%d stages after fusing, want 1", len(fused.stages))
	}
	texts := []string{"", "a1234b", "中文123カタカナ・ー abc\n\n 4"}
	for _, l := range corpus(t) {
		texts = append(texts, l.Text)
	}
	r := rand.New(rand.NewPCG(7, 8))
	for range 3000 {
		texts = append(texts, randomText(r, 1+r.IntN(30)))
	}
	for _, s := range texts {
		a := strings.Join(plain.run(s, &[2][]string{}), "\x00|")
		b := strings.Join(fused.run(s, &[2][]string{}), "\x00|")
		if a != b {
			t.Fatalf("%q: three splits %q, fused %q", s, a, b)
		}
	}
}
