package tokenizer

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"
)

// behavior is a Split pre-tokenizer's SplitDelimiterBehavior.
type behavior int

const (
	behaviorIsolated behavior = iota
	behaviorRemoved
	behaviorMergedWithPrevious
	behaviorMergedWithNext
	behaviorContiguous
)

func parseBehavior(name string) (behavior, error) {
	switch strings.ToLower(name) {
	case "isolated":
		return behaviorIsolated, nil
	case "removed":
		return behaviorRemoved, nil
	case "mergedwithprevious":
		return behaviorMergedWithPrevious, nil
	case "mergedwithnext":
		return behaviorMergedWithNext, nil
	case "contiguous":
		return behaviorContiguous, nil
	}
	return 0, fmt.Errorf("unknown split behavior %q", name)
}

// stage is one pre-tokenizer step: it appends the pieces of s to dst.
type stage interface {
	split(dst []string, s string) []string
}

// span is a piece of a split: a match of the pattern or a gap between matches.
type span struct {
	start, end int
	match      bool
}

// splitStage is a Split pre-tokenizer (or the regex of ByteLevel, or Digits).
// Exactly one of match, re and literal is used.
type splitStage struct {
	regex    string // the pattern, for a regex split
	tab      *[0x10000]uint8
	match    matchFunc       // a hand-coded pattern
	re       *regexp2.Regexp // any other regex
	literal  *string         // a String pattern
	behavior behavior
	invert   bool
}

// newRegexStage returns a split on regex: the hand-coded matcher if the regex
// is a known one, else a regexp2 (backtracking, .NET syntax) regex.
func newRegexStage(regex string, b behavior, invert bool) (*splitStage, error) {
	st := &splitStage{regex: regex, tab: bmpClasses(), behavior: b, invert: invert}
	if m, ok := knownMatcher(regex); ok {
		st.match = m
		return st, nil
	}
	re, err := regexp2.Compile(regex)
	if err != nil {
		return nil, fmt.Errorf("split regex %q: %w", regex, err)
	}
	st.re = re
	return st, nil
}

func (st *splitStage) split(dst []string, s string) []string {
	if s == "" {
		return dst
	}
	if st.match != nil && st.behavior == behaviorIsolated && !st.invert {
		return splitIsolated(dst, st.tab, s, st.match)
	}
	spans := st.findMatches(s)
	if st.invert {
		for i := range spans {
			spans[i].match = !spans[i].match
		}
	}
	spans = applyBehavior(spans, st.behavior)
	for _, sp := range spans {
		if sp.end > sp.start {
			dst = append(dst, s[sp.start:sp.end])
		}
	}
	return dst
}

// splitIsolated is the fast path: matches and the gaps between them are
// pieces, in order.
func splitIsolated(dst []string, tab *[0x10000]uint8, s string, m matchFunc) []string {
	gap, i := 0, 0
	for i < len(s) {
		if e := m(tab, s, i); e > i {
			if gap < i {
				dst = append(dst, s[gap:i])
			}
			dst = append(dst, s[i:e])
			i, gap = e, e
			continue
		}
		if s[i] < utf8.RuneSelf {
			i++
		} else {
			_, n := utf8.DecodeRuneInString(s[i:])
			i += n
		}
	}
	if gap < len(s) {
		dst = append(dst, s[gap:])
	}
	return dst
}

// findMatches lists the matches of the pattern in s and the gaps between
// them, as Hugging Face's Pattern::find_matches does (empty matches included).
func (st *splitStage) findMatches(s string) []span {
	var spans []span
	prev := 0
	add := func(a, b int) {
		if prev != a {
			spans = append(spans, span{prev, a, false})
		}
		spans = append(spans, span{a, b, true})
		prev = b
	}
	switch {
	case st.match != nil:
		for i := 0; i < len(s); {
			if e := st.match(st.tab, s, i); e > i {
				add(i, e)
				i = e
				continue
			}
			_, n := utf8.DecodeRuneInString(s[i:])
			i += n
		}
	case st.literal != nil:
		lit := *st.literal
		if lit == "" {
			return []span{{0, len(s), false}}
		}
		for i := 0; ; {
			k := strings.Index(s[i:], lit)
			if k < 0 {
				break
			}
			add(i+k, i+k+len(lit))
			i += k + len(lit)
		}
	default:
		// A backtracking-limit error can only cut the match list short; the
		// rest of the text is then one gap, so nothing is lost.
		idx, _ := st.re.FindAllStringIndex(s, -1)
		for _, m := range idx {
			if m[0] >= prev {
				add(m[0], m[1])
			}
		}
	}
	if prev != len(s) {
		spans = append(spans, span{prev, len(s), false})
	}
	return spans
}

// applyBehavior turns matches and gaps into pieces, as Hugging Face's
// NormalizedString::split does for each SplitDelimiterBehavior.
func applyBehavior(spans []span, b behavior) []span {
	out := spans[:0:0]
	switch b {
	case behaviorIsolated:
		return spans
	case behaviorRemoved:
		for _, sp := range spans {
			if !sp.match {
				out = append(out, sp)
			}
		}
	case behaviorMergedWithPrevious:
		prevMatch := false
		for _, sp := range spans {
			if sp.match && !prevMatch && len(out) > 0 {
				out[len(out)-1].end = sp.end
			} else {
				out = append(out, sp)
			}
			prevMatch = sp.match
		}
	case behaviorMergedWithNext:
		prevMatch := false
		for i := len(spans) - 1; i >= 0; i-- {
			sp := spans[i]
			if sp.match && !prevMatch && len(out) > 0 {
				out[len(out)-1].start = sp.start
			} else {
				out = append(out, sp)
			}
			prevMatch = sp.match
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	case behaviorContiguous:
		prevMatch := false
		for _, sp := range spans {
			if sp.match == prevMatch && len(out) > 0 {
				out[len(out)-1].end = sp.end
			} else {
				out = append(out, sp)
			}
			prevMatch = sp.match
		}
	}
	return out
}

// prefixSpaceStage is ByteLevel's add_prefix_space: a space before every
// piece that does not start with one.
type prefixSpaceStage struct{}

func (prefixSpaceStage) split(dst []string, s string) []string {
	if s == "" {
		return dst
	}
	if s[0] != ' ' {
		s = " " + s
	}
	return append(dst, s)
}

// preTokenizer runs its stages in order, each on every piece of the last.
type preTokenizer struct {
	stages []stage
}

// newPreTokenizer returns a pre-tokenizer running stages, with DeepSeek-V3's
// three splits fused into one pass (same pieces, one scan of the text).
func newPreTokenizer(stages []stage) *preTokenizer {
	var fused []stage
	for i := 0; i < len(stages); i++ {
		if i+2 < len(stages) && isIsolatedSplit(stages[i], reDigits3) &&
			isIsolatedSplit(stages[i+1], reCJKDeepSeek) && isIsolatedSplit(stages[i+2], reDeepSeekV3) {
			fused = append(fused, deepSeekV3Stage{tab: bmpClasses()})
			i += 2
			continue
		}
		fused = append(fused, stages[i])
	}
	return &preTokenizer{stages: fused}
}

func isIsolatedSplit(st stage, regex string) bool {
	sp, ok := st.(*splitStage)
	return ok && sp.match != nil && sp.regex == regex && sp.behavior == behaviorIsolated && !sp.invert
}

// deepSeekV3Stage is DeepSeek-V3's Sequence of three Isolated splits
// (\p{N}{1,3}, the CJK ranges, then reDeepSeekV3) in one pass. The first
// two cut the text into runs of up to three digits, runs of CJK, and the
// rest; the third splits each run. On a run of digits it matches nothing, so
// such a run stays whole.
type deepSeekV3Stage struct {
	tab *[0x10000]uint8
}

func (st deepSeekV3Stage) split(dst []string, s string) []string {
	for i := 0; i < len(s); {
		r, n, c := runeAt(st.tab, s, i)
		var j int
		switch {
		case c&clsN != 0:
			j = matchRun(st.tab, s, i, clsN, 3)
			dst = append(dst, s[i:j])
			i = j
			continue
		case isCJKDeepSeek(r):
			j = matchCJKDeepSeek(st.tab, s, i)
		default:
			for j = i + n; j < len(s); {
				r2, n2, c2 := runeAt(st.tab, s, j)
				if c2&clsN != 0 || isCJKDeepSeek(r2) {
					break
				}
				j += n2
			}
		}
		dst = splitIsolated(dst, st.tab, s[i:j], matchDeepSeekV3)
		i = j
	}
	return dst
}

// run splits s into pieces. bufs is scratch space kept by the caller across
// calls; the result aliases one of its slices.
func (p *preTokenizer) run(s string, bufs *[2][]string) []string {
	a, b := append(bufs[0][:0], s), bufs[1]
	for _, st := range p.stages {
		b = b[:0]
		for _, piece := range a {
			b = st.split(b, piece)
		}
		a, b = b, a
	}
	bufs[0], bufs[1] = a, b
	return a
}
