package grammar

import "math/bits"

// bitset is a set of token ids.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (s bitset) set(i int)      { s[i>>6] |= 1 << (uint(i) & 63) }
func (s bitset) unset(i int)    { s[i>>6] &^= 1 << (uint(i) & 63) }
func (s bitset) has(i int) bool { return s[i>>6]&(1<<(uint(i)&63)) != 0 }

func (s bitset) clear() { clear(s) }

func (s bitset) or(o bitset) {
	for i, w := range o {
		s[i] |= w
	}
}

func (s bitset) count() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// UTF-8 decoder states inside a string: how many continuation bytes are
// still needed and which range the next one must be in (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF).
const (
	u8Ground = iota // between characters
	u8Need1         // one more 80-BF
	u8Need2         // two more, next 80-BF
	u8NeedE0        // two more, next A0-BF (after E0)
	u8NeedED        // two more, next 80-9F (after ED)
	u8NeedF0        // three more, next 90-BF (after F0)
	u8Need3         // three more, next 80-BF
	u8NeedF4        // three more, next 80-8F (after F4)
	u8States
)

// utf8Next advances UTF-8 decoder state u over byte b.
func utf8Next(u uint8, b byte) (uint8, bool) {
	switch u {
	case u8Ground:
		switch {
		case b < 0x80:
			return u8Ground, true
		case b >= 0xC2 && b <= 0xDF:
			return u8Need1, true
		case b == 0xE0:
			return u8NeedE0, true
		case b == 0xED:
			return u8NeedED, true
		case b >= 0xE1 && b <= 0xEF:
			return u8Need2, true
		case b == 0xF0:
			return u8NeedF0, true
		case b >= 0xF1 && b <= 0xF3:
			return u8Need3, true
		case b == 0xF4:
			return u8NeedF4, true
		}
		return 0, false
	case u8Need1:
		return u8Ground, b >= 0x80 && b <= 0xBF
	case u8Need2:
		return u8Need1, b >= 0x80 && b <= 0xBF
	case u8NeedE0:
		return u8Need1, b >= 0xA0 && b <= 0xBF
	case u8NeedED:
		return u8Need1, b >= 0x80 && b <= 0x9F
	case u8NeedF0:
		return u8Need2, b >= 0x90 && b <= 0xBF
	case u8Need3:
		return u8Need2, b >= 0x80 && b <= 0xBF
	case u8NeedF4:
		return u8Need2, b >= 0x80 && b <= 0x8F
	}
	return 0, false
}

// utf8Pending is the number of continuation bytes state u still needs.
func utf8Pending(u uint8) int {
	switch u {
	case u8Need1:
		return 1
	case u8Need2, u8NeedE0, u8NeedED:
		return 2
	case u8NeedF0, u8Need3, u8NeedF4:
		return 3
	}
	return 0
}

// utf8Range is the range of code points a partial character can still
// become: acc holds the payload bits decoded so far, u the decoder state.
func utf8Range(u uint8, acc int32) (lo, hi rune) {
	m := uint(6 * utf8Pending(u))
	lo = rune(acc) << m
	hi = lo | (1<<m - 1)
	switch u {
	case u8NeedE0:
		lo = max(lo, 0x800)
	case u8NeedF0:
		lo = max(lo, 0x10000)
	case u8NeedED:
		hi = min(hi, 0xD7FF)
	case u8NeedF4:
		hi = min(hi, 0x10FFFF)
	}
	return lo, hi
}

// utf8LeadBits is the payload of a lead byte.
func utf8LeadBits(b byte) int32 {
	switch {
	case b < 0xE0:
		return int32(b & 0x1F)
	case b < 0xF0:
		return int32(b & 0x0F)
	}
	return int32(b & 0x07)
}

// isPlain reports whether b can appear in a JSON string as itself without
// ending it or starting an escape.
func isPlain(b byte) bool { return b >= 0x20 && b != '"' && b != '\\' }

func isWS(b byte) bool { return b == ' ' || b == '\n' || b == '\r' || b == '\t' }
