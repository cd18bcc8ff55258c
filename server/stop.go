package server

import "strings"

// stopMatcher finds stop strings in streamed text without letting a
// partial match leak: text that may still become a stop string is held
// back until it cannot, and the text from a stop string on is dropped.
type stopMatcher struct {
	stops   []string
	pending string
	// matched is the stop string found (after a hit).
	matched string
}

func newStopMatcher(stops []string) *stopMatcher { return &stopMatcher{stops: stops} }

// Feed adds text and returns what can be released. hit reports that a stop
// string was found: out is the text before it, and the rest is dropped.
func (m *stopMatcher) Feed(text string) (out string, hit bool) {
	if len(m.stops) == 0 {
		return text, false
	}
	m.pending += text
	best := -1
	for _, s := range m.stops {
		if i := strings.Index(m.pending, s); i >= 0 && (best < 0 || i < best) {
			best, m.matched = i, s
		}
	}
	if best >= 0 {
		out = m.pending[:best]
		m.pending = ""
		return out, true
	}
	hold := 0
	for _, s := range m.stops {
		for k := min(len(s)-1, len(m.pending)); k > hold; k-- {
			if strings.HasSuffix(m.pending, s[:k]) {
				hold = k
				break
			}
		}
	}
	n := len(m.pending) - hold
	out, m.pending = m.pending[:n], m.pending[n:]
	return out, false
}

// Flush releases the held-back text (the output ended without a stop).
func (m *stopMatcher) Flush() string {
	out := m.pending
	m.pending = ""
	return out
}
