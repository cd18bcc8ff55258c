package parse

import (
	"crypto/rand"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Caps that keep held-back text small: a layout that runs past them is not
// a tool call, and the text is released as content.
const (
	maxName = 256  // a function name (or V3's call type)
	maxGap  = 1024 // whitespace between the elements of a tool-call block
	maxTag  = 1024 // a DSML opening tag, from "<" to ">"
)

// callBook is the bookkeeping the tool-call state machines share: call
// indexes and ids, the optional name filter, the pending text of a call
// that has not been accepted yet, and the trace hook.
type callBook struct {
	next    int                    // index of the next call
	open    int                    // index of the open call, or -1
	newID   func(index int) string // call id generator
	allow   func(name string) bool // nil: every name is allowed
	pending []span                 // consumed input not yet accepted as a call
	trace   tracer
}

func newCallBook(o Options, trace tracer) callBook {
	b := callBook{open: -1, newID: o.NewID, allow: o.AllowTool, trace: trace}
	if b.newID == nil {
		b.newID = NewCallID
	}
	return b
}

func (b *callBook) tr(c class, s string) {
	if b.trace != nil && s != "" {
		b.trace(c, s)
	}
}

// content emits s as content.
func (b *callBook) content(dst []Event, s string) []Event {
	if s == "" {
		return dst
	}
	b.tr(clsContent, s)
	return append(dst, Event{Kind: ContentDelta, Text: s})
}

// push records consumed input whose fate depends on whether a call follows.
func (b *callBook) push(c class, s string) {
	if s != "" {
		b.pending = append(b.pending, span{c, s})
	}
}

// commit accepts the pending input as syntax of a call.
func (b *callBook) commit() {
	for _, p := range b.pending {
		b.tr(p.c, p.raw)
	}
	b.pending = b.pending[:0]
}

// reject returns the pending input as content: it was not a tool call.
func (b *callBook) reject(dst []Event) []Event {
	switch len(b.pending) {
	case 0:
		return dst
	case 1:
		dst = b.content(dst, b.pending[0].raw)
	default:
		var sb strings.Builder
		for _, p := range b.pending {
			sb.WriteString(p.raw)
		}
		dst = b.content(dst, sb.String())
	}
	b.pending = b.pending[:0]
	return dst
}

// accepts reports whether name may start a call.
func (b *callBook) accepts(name string) bool {
	return validName(name) && (b.allow == nil || b.allow(name))
}

// start commits the pending input and opens a call.
func (b *callBook) start(dst []Event, name string) []Event {
	b.commit()
	b.open = b.next
	b.next++
	return append(dst, Event{Kind: ToolCallStart, Index: b.open, ID: b.newID(b.open), Name: name})
}

// args emits an argument fragment of the open call.
func (b *callBook) args(dst []Event, frag string) []Event {
	if frag == "" {
		return dst
	}
	return append(dst, Event{Kind: ToolCallArgs, Index: b.open, Text: frag})
}

// end closes the open call.
func (b *callBook) end(dst []Event) []Event {
	dst = append(dst, Event{Kind: ToolCallEnd, Index: b.open})
	b.open = -1
	return dst
}

// validName accepts the function names a model may plausibly emit: any
// printable UTF-8 without whitespace, quotes, brackets or markup characters,
// at most maxName bytes ("get_weather", "browser.search", "mcp__fs__read").
func validName(s string) bool {
	if s == "" || len(s) > maxName || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("<>\"'`{}[]()\\", r) {
			return false
		}
	}
	return true
}

// AllowNames returns a filter for Options.AllowTool that accepts exactly
// the given function names (typically the names of the request's tools).
func AllowNames(names ...string) func(name string) bool {
	set := make(map[string]struct{}, len(names))
	for _, n := range names {
		set[n] = struct{}{}
	}
	return func(name string) bool {
		_, ok := set[name]
		return ok
	}
}

const idAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewCallID returns a fresh tool-call id in DeepSeek's style,
// "call_" + two-digit index + "_" + 24 random base-62 characters
// (e.g. "call_00_wVp0FIPEgzSN4qfP502y9zG8"), drawn from crypto/rand.
func NewCallID(index int) string {
	const n = 24
	b := make([]byte, 0, 8+n)
	b = append(b, "call_"...)
	if index < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, int64(index), 10)
	b = append(b, '_')
	var buf [2 * n]byte
	for len(b) < cap(b) {
		rand.Read(buf[:]) // never fails (crypto/rand, Go 1.24+)
		for _, c := range buf {
			if c < 248 && len(b) < cap(b) { // 248 = 4*62: unbiased
				b = append(b, idAlphabet[c%62])
			}
		}
	}
	return string(b)
}

// appendJSONString appends s to dst as the inside of a JSON string, the way
// Python's json.dumps(ensure_ascii=False) writes it: quote, backslash and
// control characters are escaped, everything else (including invalid
// UTF-8, and text split inside a UTF-8 sequence) is copied byte for byte.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	return append(dst, s[start:]...)
}

// jsonEscape returns s escaped for the inside of a JSON string.
func jsonEscape(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			return string(appendJSONString(make([]byte, 0, len(s)+8), s))
		}
	}
	return s
}
