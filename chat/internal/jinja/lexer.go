package jinja

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The lexer follows jinja2 3.1's Lexer with the options Hugging Face uses
// (trim_blocks, lstrip_blocks, keep_trailing_newline off): newlines are
// normalized to "\n", one trailing newline is dropped, "{%-"/"-%}" strip
// all whitespace, "{%+" disables lstrip, a block or comment tag alone on
// its line loses the indentation before it, and the first newline after a
// block or comment tag is removed.

type tokKind int

const (
	tData tokKind = iota
	tVarBegin
	tVarEnd
	tBlockBegin
	tBlockEnd
	tName
	tString
	tInt
	tFloat
	tOp
	tEOF
)

type token struct {
	kind tokKind
	val  string // text of data, names, operators, decoded strings
	num  Value  // int64 or float64 for numbers
	line int
}

func (t token) describe() string {
	switch t.kind {
	case tData:
		return "template data"
	case tVarBegin:
		return "'{{'"
	case tVarEnd:
		return "end of print statement"
	case tBlockBegin:
		return "'{%'"
	case tBlockEnd:
		return "end of statement block"
	case tEOF:
		return "end of template"
	case tString:
		return "string"
	case tInt, tFloat:
		return "number"
	}
	return strconv.Quote(t.val)
}

// SyntaxError is a template that does not parse.
type SyntaxError struct {
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("TemplateSyntaxError: %s (line %d)", e.Msg, e.Line)
}

// operators, longest first as jinja2's operator regex tries them.
var operators = []string{"//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[", "]", "(", ")", "{", "}", "=", ".", ":", "|", ",", ";", "<", ">"}

type lexer struct {
	src          string
	pos          int
	line         int
	toks         []token
	lineStarting bool
}

func lex(src string) ([]token, error) {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	src = strings.ReplaceAll(src, "\r", "\n")
	src = strings.TrimSuffix(src, "\n")
	lx := &lexer{src: src, line: 1, lineStarting: true}
	if err := lx.run(); err != nil {
		return nil, err
	}
	lx.toks = append(lx.toks, token{kind: tEOF, line: lx.line})
	return lx.toks, nil
}

func (lx *lexer) errorf(format string, args ...any) error {
	return &SyntaxError{Line: lx.line, Msg: fmt.Sprintf(format, args...)}
}

func (lx *lexer) emitData(text string) {
	if text != "" {
		lx.toks = append(lx.toks, token{kind: tData, val: text, line: lx.line})
	}
}

// advance moves past n bytes, counting lines and remembering whether the
// consumed text ended a line (jinja2's line_starting).
func (lx *lexer) advance(n int) {
	s := lx.src[lx.pos : lx.pos+n]
	lx.line += strings.Count(s, "\n")
	lx.pos += n
	if n > 0 {
		lx.lineStarting = s[n-1] == '\n'
	}
}

// stripText applies "-" / lstrip_blocks to the data before a tag.
func (lx *lexer) stripText(text string, sign byte, isVar bool) string {
	if sign == '-' {
		return strings.TrimRightFunc(text, isSpace)
	}
	if sign == '+' || isVar {
		return text
	}
	lpos := strings.LastIndexByte(text, '\n') + 1
	if lpos > 0 || lx.lineStarting {
		rest := text[lpos:]
		if rest != "" && strings.TrimLeftFunc(rest, isSpace) == "" {
			return text[:lpos]
		}
	}
	return text
}

func (lx *lexer) run() error {
	for lx.pos < len(lx.src) {
		rel := findOpener(lx.src[lx.pos:])
		if rel < 0 {
			lx.emitData(lx.src[lx.pos:])
			lx.advance(len(lx.src) - lx.pos)
			return nil
		}
		start := lx.pos + rel
		kind := lx.src[start+1]
		sign := byte(0)
		if start+2 < len(lx.src) && (lx.src[start+2] == '-' || lx.src[start+2] == '+') {
			sign = lx.src[start+2]
		}
		text := lx.src[lx.pos:start]
		if kind == '%' {
			if n, ok := matchRawBegin(lx.src[start:]); ok {
				lx.emitData(lx.stripText(text, sign, false))
				lx.advance(start - lx.pos + n)
				if err := lx.lexRaw(); err != nil {
					return err
				}
				continue
			}
		}
		lx.emitData(lx.stripText(text, sign, kind == '{'))
		openLen := 2
		if sign != 0 {
			openLen = 3
		}
		lx.advance(start - lx.pos + openLen)
		var err error
		switch kind {
		case '#':
			err = lx.lexComment()
		case '%':
			lx.toks = append(lx.toks, token{kind: tBlockBegin, line: lx.line})
			err = lx.lexTag(tBlockEnd)
		case '{':
			lx.toks = append(lx.toks, token{kind: tVarBegin, line: lx.line})
			err = lx.lexTag(tVarEnd)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// findOpener returns the index of the first "{{", "{%" or "{#", or -1.
func findOpener(s string) int {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '{' && (s[i+1] == '{' || s[i+1] == '%' || s[i+1] == '#') {
			return i
		}
	}
	return -1
}

func skipSpace(s string, i int) int {
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isSpace(r) {
			break
		}
		i += n
	}
	return i
}

// matchRawBegin matches `{%[-+]?\s*raw\s*(-%}\s*|%})` at the start of s.
func matchRawBegin(s string) (int, bool) {
	i := 2
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	i = skipSpace(s, i)
	if !strings.HasPrefix(s[i:], "raw") {
		return 0, false
	}
	i = skipSpace(s, i+3)
	switch {
	case strings.HasPrefix(s[i:], "-%}"):
		return skipSpace(s, i+3), true
	case strings.HasPrefix(s[i:], "%}"):
		return i + 2, true
	}
	return 0, false
}

// lexRaw reads the body of a raw block up to its endraw tag.
func (lx *lexer) lexRaw() error {
	s := lx.src
	for i := lx.pos; i+1 < len(s); i++ {
		if s[i] != '{' || s[i+1] != '%' {
			continue
		}
		j := i + 2
		sign := byte(0)
		if j < len(s) && (s[j] == '-' || s[j] == '+') {
			sign = s[j]
			j++
		}
		j = skipSpace(s, j)
		if !strings.HasPrefix(s[j:], "endraw") {
			continue
		}
		j = skipSpace(s, j+6)
		end, ok := lx.matchBlockEnd(j, "%}")
		if !ok {
			continue
		}
		lx.emitData(lx.stripText(s[lx.pos:i], sign, false))
		lx.advance(end - lx.pos)
		return nil
	}
	return lx.errorf("missing end of raw directive")
}

// matchBlockEnd matches `\+END|\-END\s*|END\n?` at i and returns the end.
func (lx *lexer) matchBlockEnd(i int, end string) (int, bool) {
	s := lx.src
	switch {
	case strings.HasPrefix(s[i:], "+"+end):
		return i + 1 + len(end), true
	case strings.HasPrefix(s[i:], "-"+end):
		return skipSpace(s, i+1+len(end)), true
	case strings.HasPrefix(s[i:], end):
		j := i + len(end)
		if j < len(s) && s[j] == '\n' {
			j++
		}
		return j, true
	}
	return 0, false
}

func (lx *lexer) lexComment() error {
	rel := strings.Index(lx.src[lx.pos:], "#}")
	if rel < 0 {
		return lx.errorf("missing end of comment tag")
	}
	i := lx.pos + rel
	if rel > 0 && (lx.src[i-1] == '-' || lx.src[i-1] == '+') {
		i--
	}
	end, _ := lx.matchBlockEnd(i, "#}")
	lx.advance(end - lx.pos)
	return nil
}

// lexTag reads expression tokens up to the closing "%}" or "}}" (only
// when brackets are balanced, as jinja2 does).
func (lx *lexer) lexTag(endKind tokKind) error {
	s := lx.src
	var stack []byte
	for {
		if lx.pos >= len(s) {
			return lx.errorf("unexpected end of template, expected %s", map[tokKind]string{tBlockEnd: "'%}'", tVarEnd: "'}}'"}[endKind])
		}
		if len(stack) == 0 {
			if endKind == tBlockEnd {
				if end, ok := lx.matchBlockEnd(lx.pos, "%}"); ok {
					lx.toks = append(lx.toks, token{kind: tBlockEnd, line: lx.line})
					lx.advance(end - lx.pos)
					return nil
				}
			} else {
				switch {
				case strings.HasPrefix(s[lx.pos:], "-}}"):
					lx.toks = append(lx.toks, token{kind: tVarEnd, line: lx.line})
					lx.advance(skipSpace(s, lx.pos+3) - lx.pos)
					return nil
				case strings.HasPrefix(s[lx.pos:], "}}"):
					lx.toks = append(lx.toks, token{kind: tVarEnd, line: lx.line})
					lx.advance(2)
					return nil
				}
			}
		}
		r, n := utf8.DecodeRuneInString(s[lx.pos:])
		switch {
		case isSpace(r):
			lx.advance(n)
		case r >= '0' && r <= '9':
			if err := lx.lexNumber(); err != nil {
				return err
			}
		case r == '_' || unicode.IsLetter(r):
			j := lx.pos
			for j < len(s) {
				r2, n2 := utf8.DecodeRuneInString(s[j:])
				if r2 != '_' && !unicode.IsLetter(r2) && !unicode.IsDigit(r2) {
					break
				}
				j += n2
			}
			lx.toks = append(lx.toks, token{kind: tName, val: s[lx.pos:j], line: lx.line})
			lx.advance(j - lx.pos)
		case r == '\'' || r == '"':
			if err := lx.lexString(byte(r)); err != nil {
				return err
			}
		default:
			op := ""
			for _, o := range operators {
				if strings.HasPrefix(s[lx.pos:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return lx.errorf("unexpected char %q", r)
			}
			switch op {
			case "{", "(", "[":
				stack = append(stack, map[string]byte{"{": '}', "(": ')', "[": ']'}[op])
			case "}", ")", "]":
				if len(stack) == 0 {
					return lx.errorf("unexpected '%s'", op)
				}
				if want := stack[len(stack)-1]; want != op[0] {
					return lx.errorf("unexpected '%s', expected '%c'", op, want)
				}
				stack = stack[:len(stack)-1]
			}
			lx.toks = append(lx.toks, token{kind: tOp, val: op, line: lx.line})
			lx.advance(len(op))
		}
	}
}

func isDigitOrUnderscore(c byte) bool { return (c >= '0' && c <= '9') || c == '_' }

// lexNumber reads an integer or float literal (with "_" separators,
// 0x/0o/0b prefixes and exponents) the way jinja2's regexes do.
func (lx *lexer) lexNumber() error {
	s := lx.src
	i := lx.pos
	// Radix-prefixed integers.
	if s[i] == '0' && i+1 < len(s) {
		base := 0
		switch s[i+1] | 0x20 {
		case 'x':
			base = 16
		case 'o':
			base = 8
		case 'b':
			base = 2
		}
		if base != 0 {
			j := i + 2
			for j < len(s) && (s[j] == '_' || strings.IndexByte("0123456789abcdefABCDEF", s[j]) >= 0) {
				j++
			}
			v, err := strconv.ParseInt(strings.ReplaceAll(s[i+2:j], "_", ""), base, 64)
			if err != nil {
				return lx.errorf("bad integer literal %q", s[i:j])
			}
			lx.toks = append(lx.toks, token{kind: tInt, num: v, line: lx.line})
			lx.advance(j - i)
			return nil
		}
	}
	j := i
	for j < len(s) && isDigitOrUnderscore(s[j]) {
		j++
	}
	isFloat := false
	afterDot := i > 0 && s[i-1] == '.'
	if !afterDot {
		if j+1 < len(s) && s[j] == '.' && s[j+1] >= '0' && s[j+1] <= '9' {
			isFloat = true
			j++
			for j < len(s) && isDigitOrUnderscore(s[j]) {
				j++
			}
		}
		if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
			k := j + 1
			if k < len(s) && (s[k] == '+' || s[k] == '-') {
				k++
			}
			if k < len(s) && s[k] >= '0' && s[k] <= '9' {
				isFloat = true
				j = k
				for j < len(s) && isDigitOrUnderscore(s[j]) {
					j++
				}
			}
		}
	}
	text := strings.ReplaceAll(s[i:j], "_", "")
	if isFloat {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil && !isRangeErr(err) {
			return lx.errorf("bad float literal %q", s[i:j])
		}
		lx.toks = append(lx.toks, token{kind: tFloat, num: f, line: lx.line})
	} else {
		v, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return lx.errorf("integer literal %q out of range", s[i:j])
		}
		lx.toks = append(lx.toks, token{kind: tInt, num: v, line: lx.line})
	}
	lx.advance(j - i)
	return nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func (lx *lexer) lexString(q byte) error {
	s := lx.src
	j := lx.pos + 1
	for j < len(s) && s[j] != q {
		if s[j] == '\\' && j+1 < len(s) {
			j++
		}
		j++
	}
	if j >= len(s) {
		return lx.errorf("unexpected end of string")
	}
	val, err := unescapePython(s[lx.pos+1 : j])
	if err != nil {
		return lx.errorf("%v", err)
	}
	lx.toks = append(lx.toks, token{kind: tString, val: val, line: lx.line})
	lx.advance(j + 1 - lx.pos)
	return nil
}

// unescapePython decodes a string literal body as jinja2 does:
// s.encode("ascii", "backslashreplace").decode("unicode-escape").
func unescapePython(s string) (string, error) {
	if strings.IndexByte(s, '\\') < 0 {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("\\ at end of string")
		}
		c = s[i+1]
		i += 2
		switch c {
		case '\n':
		case '\\', '\'', '"':
			b.WriteByte(c)
		case 'a':
			b.WriteByte(7)
		case 'b':
			b.WriteByte(8)
		case 'f':
			b.WriteByte(12)
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte(11)
		case '0', '1', '2', '3', '4', '5', '6', '7':
			v := int(c - '0')
			for k := 0; k < 2 && i < len(s) && s[i] >= '0' && s[i] <= '7'; k++ {
				v = v*8 + int(s[i]-'0')
				i++
			}
			b.WriteRune(rune(v))
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[c]
			if i+n > len(s) {
				return "", fmt.Errorf("truncated \\%c escape", c)
			}
			v, err := strconv.ParseUint(s[i:i+n], 16, 32)
			if err != nil || v > unicode.MaxRune {
				return "", fmt.Errorf("bad \\%c escape", c)
			}
			b.WriteRune(rune(v))
			i += n
		default:
			if c >= 0x80 {
				// A backslash before a non-ASCII character: jinja2's
				// backslashreplace turns the character into an escape
				// whose backslash the decoder then reads as literal.
				r, n := utf8.DecodeRuneInString(s[i-1:])
				i += n - 1
				b.WriteByte('\\')
				switch {
				case r <= 0xff:
					fmt.Fprintf(&b, "x%02x", r)
				case r <= 0xffff:
					fmt.Fprintf(&b, "u%04x", r)
				default:
					fmt.Fprintf(&b, "U%08x", r)
				}
			} else {
				b.WriteByte('\\')
				b.WriteByte(c)
			}
		}
	}
	return b.String(), nil
}
