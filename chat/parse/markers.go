package parse

import "strings"

// markerSet is a set of literal markers searched for together.
//
// Assumption (checked by TestMarkerSetsUnambiguous): no marker occurs inside
// a proper prefix of another marker of the same set, so text held back as a
// possible marker start never hides a complete marker.
type markerSet struct {
	list  []string
	first string // the distinct first bytes of the markers (ASCII)
}

func newMarkerSet(list ...string) *markerSet {
	m := &markerSet{list: list}
	for _, s := range list {
		if !strings.Contains(m.first, s[:1]) {
			m.first += s[:1]
		}
	}
	return m
}

// scan finds the first marker in s. With k >= 0, marker k starts at byte i
// (the longest one if several start there). With k < 0, s[:i] contains no
// marker and s[i:] is a proper prefix of a marker: it must wait for more
// text before it can be classified.
func (m *markerSet) scan(s string) (i, k int) {
	off := 0
	for {
		j := strings.IndexAny(s[off:], m.first)
		if j < 0 {
			return len(s), -1
		}
		c := off + j
		rest := s[c:]
		best, partial := -1, false
		for k, mk := range m.list {
			switch {
			case strings.HasPrefix(rest, mk):
				if best < 0 || len(mk) > len(m.list[best]) {
					best = k
				}
			case len(rest) < len(mk) && strings.HasPrefix(mk, rest):
				partial = true
			}
		}
		if partial {
			return c, -1
		}
		if best >= 0 {
			return c, best
		}
		off = c + 1
	}
}

// prefixOfAny reports whether s is a non-empty proper prefix of one of list.
func prefixOfAny(s string, list ...string) bool {
	if s == "" {
		return false
	}
	for _, m := range list {
		if len(s) < len(m) && strings.HasPrefix(m, s) {
			return true
		}
	}
	return false
}

// partialStart returns where the longest suffix of s that is a proper prefix
// of marker m begins, or len(s) if there is none.
func partialStart(s, m string) int {
	i := len(s) - len(m) + 1
	if i < 0 {
		i = 0
	}
	for ; i < len(s); i++ {
		if s[i] == m[0] && strings.HasPrefix(m, s[i:]) {
			return i
		}
	}
	return len(s)
}

// isSpace reports whether c is ASCII whitespace.
func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r'
}

// trimLeftSpace strips leading ASCII whitespace.
func trimLeftSpace(s string) string {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return s[i:]
}

// trimRightSpace strips trailing ASCII whitespace.
func trimRightSpace(s string) string {
	i := len(s)
	for i > 0 && isSpace(s[i-1]) {
		i--
	}
	return s[:i]
}

// class says what a consumed piece of input became; used by the trace hook
// that the tests use to check that no byte is lost or duplicated.
type class uint8

const (
	clsReasoning class = iota + 1 // emitted as reasoning
	clsContent                    // emitted as content
	clsMarker                     // a format marker, dropped
	clsSyntax                     // other format syntax (tags, fences, gaps), dropped
	clsTrim                       // whitespace removed by Options.TrimSpace
	clsName                       // a tool-call name
	clsArgs                       // tool-call arguments passed through verbatim
	clsValue                      // a DSML parameter value, re-encoded as JSON
)

// tracer receives every consumed piece of input, in input order.
type tracer func(c class, raw string)

// span is a piece of input whose fate is not decided yet.
type span struct {
	c   class
	raw string
}
