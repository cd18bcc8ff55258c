package tokenizer

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonScanner is a minimal pull parser over a JSON document, used to read
// the large vocab and merges of tokenizer.json without building a generic
// value tree (encoding/json takes several times longer on the 8 MB file).
// Small sub-values are handed to encoding/json as raw bytes.
type jsonScanner struct {
	b []byte
	i int
}

func (s *jsonScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("JSON at byte %d: %s", s.i, fmt.Sprintf(format, args...))
}

func (s *jsonScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *jsonScanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

func (s *jsonScanner) expect(c byte) error {
	if s.peek() != c {
		if s.i >= len(s.b) {
			return s.errorf("unexpected end, want %q", c)
		}
		return s.errorf("found %q, want %q", s.b[s.i], c)
	}
	s.i++
	return nil
}

// str reads a string. Without escapes it returns a slice of the document;
// with escapes it decodes into buf (grown as needed). The result is only
// valid until buf is reused.
func (s *jsonScanner) str(buf *[]byte) ([]byte, error) {
	if err := s.expect('"'); err != nil {
		return nil, err
	}
	start := s.i
	k := bytes.IndexByte(s.b[start:], '"')
	if k < 0 {
		return nil, s.errorf("unterminated string")
	}
	raw := s.b[start : start+k]
	if bytes.IndexByte(raw, '\\') < 0 {
		for _, c := range raw {
			if c < 0x20 {
				return nil, s.errorf("control character in string")
			}
		}
		s.i = start + k + 1
		return raw, nil
	}
	out := (*buf)[:0]
	i := start
	for {
		if i >= len(s.b) {
			s.i = i
			return nil, s.errorf("unterminated string")
		}
		c := s.b[i]
		switch {
		case c == '"':
			s.i = i + 1
			*buf = out
			return out, nil
		case c < 0x20:
			s.i = i
			return nil, s.errorf("control character in string")
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(s.b) {
			s.i = i
			return nil, s.errorf("unterminated escape")
		}
		e := s.b[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(s.b, i)
			if !ok {
				s.i = i
				return nil, s.errorf("bad \\u escape")
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(-1), false
				if i+6 <= len(s.b) && s.b[i] == '\\' && s.b[i+1] == 'u' {
					r2, ok = hex4(s.b, i+2)
				}
				if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			s.i = i - 1
			return nil, s.errorf("bad escape \\%c", e)
		}
	}
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[i:i+4]), 16, 32)
	return rune(v), err == nil
}

// skip skips one value of any kind.
func (s *jsonScanner) skip() error {
	depth := 0
	for {
		switch c := s.peek(); c {
		case 0:
			return s.errorf("unexpected end")
		case '"':
			if err := s.skipStr(); err != nil {
				return err
			}
		case '{', '[':
			depth++
			s.i++
			continue
		case '}', ']':
			if depth == 0 {
				return s.errorf("unexpected %q", c)
			}
			depth--
			s.i++
		case ',', ':':
			if depth == 0 {
				return s.errorf("unexpected %q", c)
			}
			s.i++
			continue
		default:
			start := s.i
			for s.i < len(s.b) && !isJSONDelim(s.b[s.i]) {
				s.i++
			}
			if start == s.i {
				return s.errorf("unexpected %q", c)
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// skipStr skips a string without decoding it.
func (s *jsonScanner) skipStr() error {
	s.i++ // the opening quote
	for {
		k := bytes.IndexAny(s.b[s.i:], "\"\\")
		if k < 0 {
			s.i = len(s.b)
			return s.errorf("unterminated string")
		}
		s.i += k
		if s.b[s.i] == '"' {
			s.i++
			return nil
		}
		s.i += 2 // a backslash and the escaped byte
		if s.i > len(s.b) {
			s.i = len(s.b)
			return s.errorf("unterminated escape")
		}
	}
}

func isJSONDelim(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', ',', ':', '[', ']', '{', '}', '"':
		return true
	}
	return false
}

// raw returns the bytes of the next value.
func (s *jsonScanner) raw() ([]byte, error) {
	s.ws()
	start := s.i
	if err := s.skip(); err != nil {
		return nil, err
	}
	return s.b[start:s.i], nil
}

// object calls fn for each member of an object; fn must consume the value.
func (s *jsonScanner) object(fn func(key []byte) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.peek() == '}' {
		s.i++
		return nil
	}
	var kbuf []byte
	for {
		key, err := s.str(&kbuf)
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := fn(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return s.errorf("want ',' or '}' in object")
		}
	}
}

// array calls fn for each element of an array; fn must consume the element.
func (s *jsonScanner) array(fn func() error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		if err := fn(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.errorf("want ',' or ']' in array")
		}
	}
}

// int reads a non-negative integer.
func (s *jsonScanner) int() (int, error) {
	s.ws()
	start := s.i
	v := 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		v = v*10 + int(s.b[s.i]-'0')
		s.i++
		if v > 1<<31 {
			return 0, s.errorf("integer too large")
		}
	}
	if s.i == start {
		return 0, s.errorf("want a non-negative integer")
	}
	return v, nil
}
