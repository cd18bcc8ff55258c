package tokenizer

import (
	"sync"
	"unicode"
	"unicode/utf8"
)

// Character classes used by the hand-coded pre-tokenizer patterns. They are
// the Unicode general categories of the regexes (\p{L}, \p{N}, \p{P}, \p{S},
// \p{M}) and \s as Unicode White_Space (what Oniguruma, used by Hugging Face
// tokenizers, and .NET-style regexp2 mean by \s).
const (
	clsL uint8 = 1 << iota // letter
	clsN                   // number
	clsP                   // punctuation
	clsS                   // symbol
	clsM                   // mark
	clsW                   // white space
)

// bmpClasses holds the class bits of every code point below U+10000. It is
// built once per process and never written afterwards.
var bmpClasses = sync.OnceValue(buildBMPClasses)

func buildBMPClasses() *[0x10000]uint8 {
	var t [0x10000]uint8
	mark := func(tab *unicode.RangeTable, bit uint8) {
		for _, r := range tab.R16 {
			for c := uint32(r.Lo); c <= uint32(r.Hi); c += uint32(r.Stride) {
				t[c] |= bit
			}
		}
	}
	mark(unicode.L, clsL)
	mark(unicode.N, clsN)
	mark(unicode.P, clsP)
	mark(unicode.S, clsS)
	mark(unicode.M, clsM)
	mark(unicode.White_Space, clsW)
	return &t
}

// classOf returns the class bits of r. Runes above the BMP are looked up in
// the unicode tables directly (they are rare in text).
func classOf(tab *[0x10000]uint8, r rune) uint8 {
	if r < 0x10000 {
		return tab[r]
	}
	var c uint8
	switch {
	case unicode.IsLetter(r):
		c = clsL
	case unicode.IsNumber(r):
		c = clsN
	case unicode.IsPunct(r):
		c = clsP
	case unicode.IsSymbol(r):
		c = clsS
	case unicode.IsMark(r):
		c = clsM
	}
	return c
}

// runeAt decodes the rune starting at byte i of s and returns it with its
// byte length and class bits. An invalid byte decodes as U+FFFD of length 1
// (a symbol), so that it stays in the text and round-trips through the byte
// level encoding.
func runeAt(tab *[0x10000]uint8, s string, i int) (rune, int, uint8) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1, tab[c]
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return r, n, classOf(tab, r)
}

// byteLevelAlphabet returns GPT-2's byte-to-unicode map: printable Latin-1
// bytes map to themselves, the other 68 bytes to U+0100 and up, in order.
func byteLevelAlphabet() [256]rune {
	var m [256]rune
	n := rune(0)
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			m[b] = rune(b)
		} else {
			m[b] = 256 + n
			n++
		}
	}
	return m
}

// byteLevelInverse is the inverse of byteLevelAlphabet: index by rune
// (below 0x144), -1 where the rune is not in the alphabet.
func byteLevelInverse(alpha *[256]rune) [0x144]int16 {
	var inv [0x144]int16
	for i := range inv {
		inv[i] = -1
	}
	for b, r := range alpha {
		inv[r] = int16(b)
	}
	return inv
}
