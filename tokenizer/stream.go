package tokenizer

import "unicode/utf8"

// utf8Status classifies the bytes at the start of b: a complete character of
// n bytes (ok), an invalid sequence whose maximal valid prefix is n bytes
// (to be replaced by one U+FFFD, as WHATWG and Rust's from_utf8_lossy do),
// or an incomplete but so far valid prefix (need more bytes).
func utf8Status(b []byte) (n int, ok, incomplete bool) {
	c := b[0]
	var size int
	lo, hi := byte(0x80), byte(0xBF) // the range of the second byte
	switch {
	case c < 0x80:
		return 1, true, false
	case c >= 0xC2 && c <= 0xDF:
		size = 2
	case c == 0xE0:
		size, lo = 3, 0xA0
	case c == 0xED:
		size, hi = 3, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		size = 3
	case c == 0xF0:
		size, lo = 4, 0x90
	case c == 0xF4:
		size, hi = 4, 0x8F
	case c >= 0xF1 && c <= 0xF3:
		size = 4
	default:
		return 1, false, false
	}
	for k := 1; k < size; k++ {
		if k >= len(b) {
			return k, false, true
		}
		if b[k] < lo || b[k] > hi {
			return k, false, false
		}
		lo, hi = 0x80, 0xBF
	}
	return size, true, false
}

// appendLossy appends b to dst as valid UTF-8, each invalid sequence (and an
// incomplete one at the end) replaced by U+FFFD.
func appendLossy(dst, b []byte) []byte {
	for len(b) > 0 {
		n, ok, _ := utf8Status(b)
		if ok {
			dst = append(dst, b[:n]...)
		} else {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		}
		b = b[n:]
	}
	return dst
}

func lossyString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(appendLossy(nil, b))
}

// Detokenizer turns generated ids into text as they come: Add returns the
// text that became complete, never a broken multi-byte character (those
// bytes wait for the next token), and Flush returns what is left. The
// concatenation of all its outputs equals Decode of all the ids. It is not
// safe for concurrent use; make one per sequence.
type Detokenizer struct {
	t       *Tokenizer
	pending []byte
}

// NewDetokenizer returns a streaming decoder for t.
func (t *Tokenizer) NewDetokenizer() *Detokenizer {
	return &Detokenizer{t: t}
}

// Add feeds one id and returns the newly complete text, possibly "".
// Invalid byte sequences come out as U+FFFD as soon as they are known to be
// invalid. Ids without a token add nothing.
func (d *Detokenizer) Add(id int) string {
	d.pending = d.t.appendBytes(d.pending, id)
	var out []byte
	b := d.pending
	for len(b) > 0 {
		n, ok, incomplete := utf8Status(b)
		if incomplete {
			break
		}
		if ok {
			out = append(out, b[:n]...)
		} else {
			out = utf8.AppendRune(out, utf8.RuneError)
		}
		b = b[n:]
	}
	d.pending = append(d.pending[:0], b...)
	return string(out)
}

// Flush returns the bytes still held back (an incomplete character at the
// end of the text, as U+FFFD) and resets the decoder.
func (d *Detokenizer) Flush() string {
	s := string(appendLossy(nil, d.pending))
	d.pending = d.pending[:0]
	return s
}
