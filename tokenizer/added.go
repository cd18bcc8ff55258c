package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// AddedToken is a token matched as a whole in the text before
// pre-tokenization (Hugging Face's added_tokens, or GGUF's control and
// user-defined tokens).
type AddedToken struct {
	ID      int
	Content string
	// Special tokens are control tokens (BOS, EOS, role markers); HF's
	// skip_special_tokens drops them when decoding.
	Special bool
	// LStrip and RStrip make a match swallow the white space on its left or
	// right; SingleWord matches only where the token is not inside a word;
	// Normalized tokens are matched in the normalized text rather than in
	// the raw text.
	LStrip, RStrip, SingleWord, Normalized bool
}

// addedMatcher finds added tokens in text: leftmost-longest, non-overlapping
// matches (as the Aho-Corasick automaton of Hugging Face's AddedVocabulary),
// then its single_word, lstrip and rstrip rules. The trie is keyed by
// (node, byte) in one map.
type addedMatcher struct {
	tokens []AddedToken
	first  [256]bool
	only   int              // the one byte all tokens start with, or -1
	edges  map[uint64]int32 // node<<8 | byte -> child node
	term   []int32          // node -> index in tokens, -1
}

func newAddedMatcher(tokens []AddedToken) *addedMatcher {
	if len(tokens) == 0 {
		return nil
	}
	m := &addedMatcher{tokens: tokens, edges: make(map[uint64]int32), term: []int32{-1}}
	for ti, t := range tokens {
		if t.Content == "" {
			continue
		}
		m.first[t.Content[0]] = true
		node := int32(0)
		for i := 0; i < len(t.Content); i++ {
			k := uint64(node)<<8 | uint64(t.Content[i])
			child, ok := m.edges[k]
			if !ok {
				child = int32(len(m.term))
				m.term = append(m.term, -1)
				m.edges[k] = child
			}
			node = child
		}
		if m.term[node] < 0 {
			m.term[node] = int32(ti) // the first of duplicate contents wins
		}
	}
	m.only = -1
	for b, ok := range m.first {
		if ok && m.only == -1 {
			m.only = b
		} else if ok {
			m.only = -2
		}
	}
	return m
}

// longest returns the index of the longest token starting at s[i:] and its
// end, or -1.
func (m *addedMatcher) longest(s string, i int) (int32, int) {
	best, end := int32(-1), 0
	node := int32(0)
	for j := i; j < len(s); j++ {
		child, ok := m.edges[uint64(node)<<8|uint64(s[j])]
		if !ok {
			break
		}
		node = child
		if t := m.term[node]; t >= 0 {
			best, end = t, j+1
		}
	}
	return best, end
}

// segment is a piece of text (tok < 0) or an added token (tok = its id).
type segment struct {
	start, end int
	tok        int32
}

// split appends to dst the segments of s: added tokens and the text between
// them. Empty text segments are left out.
func (m *addedMatcher) split(dst []segment, s string) []segment {
	if m == nil {
		if s != "" {
			dst = append(dst, segment{0, len(s), -1})
		}
		return dst
	}
	done := 0 // the end of the last emitted segment
	for i := 0; i < len(s); {
		if m.only >= 0 { // usually '<': jump to its next occurrence
			k := strings.IndexByte(s[i:], byte(m.only))
			if k < 0 {
				break
			}
			i += k
		} else if !m.first[s[i]] {
			i++
			continue
		}
		ti, end := m.longest(s, i)
		if ti < 0 {
			i++
			continue
		}
		start, stop := i, end
		i = end // the automaton resumes after the match, used or not
		if start < done {
			continue // inside what an rstrip already swallowed
		}
		t := &m.tokens[ti]
		if t.SingleWord && (endsWithWord(s[:start]) || startsWithWord(s[stop:])) {
			continue
		}
		if t.LStrip {
			k := start
			for k > done {
				r, n := utf8.DecodeLastRuneInString(s[:k])
				if !unicode.IsSpace(r) {
					break
				}
				k -= n
			}
			start = k
		}
		if t.RStrip {
			for stop < len(s) {
				r, n := utf8.DecodeRuneInString(s[stop:])
				if !unicode.IsSpace(r) {
					break
				}
				stop += n
			}
		}
		if done < start {
			dst = append(dst, segment{done, start, -1})
		}
		dst = append(dst, segment{start, stop, int32(t.ID)})
		done = stop
	}
	if done < len(s) {
		dst = append(dst, segment{done, len(s), -1})
	}
	return dst
}

// isWordRune is Rust's char::is_alphanumeric (Alphabetic or Numeric).
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Other_Alphabetic, r)
}

func endsWithWord(s string) bool {
	r, n := utf8.DecodeLastRuneInString(s)
	return n > 0 && isWordRune(r)
}

func startsWithWord(s string) bool {
	r, n := utf8.DecodeRuneInString(s)
	return n > 0 && isWordRune(r)
}
