package parse

import "strings"

// The special tokens of the R1 / V3 / V3.1 tool-call layouts.
const (
	tkCallsBegin = "<｜tool▁calls▁begin｜>"
	tkCallsEnd   = "<｜tool▁calls▁end｜>"
	tkCallBegin  = "<｜tool▁call▁begin｜>"
	tkCallEnd    = "<｜tool▁call▁end｜>"
	tkSep        = "<｜tool▁sep｜>"
	tkPrefix     = "<｜" // every special token starts with this
)

// Marker sets of the special-token parser.
var (
	// A block opens with calls-begin; a bare call-begin is accepted too
	// (the R1 template writes one for a second tool-calling turn).
	tkOpeners = newMarkerSet(tkCallsBegin, tkCallBegin)
	// Any tool token ends the arguments: a missing call-end is tolerated.
	tkArgEnds = []string{tkCallEnd, tkCallsEnd, tkCallBegin, tkCallsBegin}
	// After a fenced argument, the closing fence belongs to the syntax.
	tkArgsPlain  = newMarkerSet(tkArgEnds...)
	tkArgsFenced = newMarkerSet(fenced(tkArgEnds)...)
)

func fenced(ends []string) []string {
	var out []string
	for _, e := range ends {
		out = append(out, e, "```"+e, "\n```"+e)
	}
	return out
}

type tokenState uint8

const (
	tsContent  tokenState = iota // ordinary content; looking for a block opener
	tsBlock                      // inside a block, between calls
	tsHead                       // after call-begin: V3's type or V3.1's name, up to tool-sep
	tsAfterSep                   // after tool-sep: which layout is this call?
	tsName                       // V3 layout: the name line
	tsFence                      // V3 layout: the opening "```json" line
	tsArgs                       // the arguments, up to a closing token
)

// tokenCalls parses the special-token tool-call layouts of DeepSeek R1/V3
//
//	<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\n```json\nARGS\n```<｜tool▁call▁end｜>…<｜tool▁calls▁end｜>
//
// and V3.1
//
//	<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>NAME<｜tool▁sep｜>ARGS<｜tool▁call▁end｜>…<｜tool▁calls▁end｜>
//
// Both layouts are accepted under every format name: after tool-sep, JSON
// ("{" or "[") or an immediate token means V3.1 (the head was the name);
// anything else means V3 (the head was the type and the name follows on
// its own line). The call starts (ToolCallStart) as soon as its name is
// complete; arguments are streamed verbatim.
type tokenCalls struct {
	callBook
	state  tokenState
	hold   string // input that cannot be classified yet
	head   string // text between call-begin and tool-sep
	fenced bool   // the current call's arguments opened a code fence
}

func newTokenCalls(o Options, trace tracer) *tokenCalls {
	return &tokenCalls{callBook: newCallBook(o, trace)}
}

func (p *tokenCalls) feed(dst []Event, text string) []Event {
	s := text
	if p.hold != "" {
		s, p.hold = p.hold+text, ""
	}
	for s != "" {
		var wait bool
		dst, s, wait = p.step(dst, s)
		if wait {
			p.hold = s
			break
		}
	}
	return dst
}

// step consumes a prefix of s in the current state and returns the rest.
// wait says the rest must be held until more text arrives.
func (p *tokenCalls) step(dst []Event, s string) ([]Event, string, bool) {
	switch p.state {
	case tsContent:
		i, k := tkOpeners.scan(s)
		dst = p.content(dst, s[:i])
		if k < 0 {
			return dst, s[i:], true
		}
		m := tkOpeners.list[k]
		p.push(clsMarker, m)
		p.state = tsBlock
		if m == tkCallBegin {
			p.state = tsHead
		}
		return dst, s[i+len(m):], false

	case tsBlock:
		t := trimLeftSpace(s)
		if gap := s[:len(s)-len(t)]; gap != "" {
			if p.gapLen()+len(gap) > maxGap {
				return p.malformed(dst, s)
			}
			p.push(clsSyntax, gap)
		}
		switch {
		case t == "":
			return dst, "", false
		case strings.HasPrefix(t, tkCallBegin):
			p.push(clsMarker, tkCallBegin)
			p.state = tsHead
			return dst, t[len(tkCallBegin):], false
		case strings.HasPrefix(t, tkCallsEnd):
			p.push(clsMarker, tkCallsEnd)
			p.commit()
			p.state = tsContent
			return dst, t[len(tkCallsEnd):], false
		case strings.HasPrefix(t, tkCallsBegin): // a repeated opener
			p.push(clsMarker, tkCallsBegin)
			return dst, t[len(tkCallsBegin):], false
		case prefixOfAny(t, tkCallBegin, tkCallsEnd, tkCallsBegin):
			return dst, t, true
		}
		return p.malformed(dst, t)

	case tsHead:
		j := strings.Index(s, tkSep)
		h := s
		if j < 0 {
			h = s[:partialStart(s, tkSep)]
		} else {
			h = s[:j]
		}
		if strings.Contains(h, "<") || strings.Contains(strings.TrimSpace(h), "\n") || len(h) > maxName+16 {
			return p.malformed(dst, s)
		}
		if j < 0 {
			return dst, s, true
		}
		p.head = h
		p.push(clsSyntax, h) // reclassified as the name if this is V3.1
		p.push(clsMarker, tkSep)
		p.state = tsAfterSep
		return dst, s[j+len(tkSep):], false

	case tsAfterSep:
		t := trimLeftSpace(s)
		switch {
		case len(s)-len(t) > maxGap:
			return p.malformed(dst, s)
		case t == "":
			return dst, s, true
		case t[0] == '{' || t[0] == '[' || t[0] == '<': // V3.1: the head was the name
			name := strings.TrimSpace(p.head)
			if !p.accepts(name) {
				return p.malformed(dst, s)
			}
			p.pending[len(p.pending)-2].c = clsName // the head span
			if name != p.head {
				p.splitName(len(p.pending)-2, name)
			}
			dst = p.start(dst, name)
			p.state, p.fenced = tsArgs, false
			return dst, s, false
		}
		p.state = tsName // V3: the head was the type
		return dst, s, false

	case tsName:
		j := strings.IndexByte(s, '\n')
		line := s
		if j >= 0 {
			line = s[:j]
		}
		if strings.Contains(line, "<") || len(line) > maxName+16 {
			return p.malformed(dst, s)
		}
		if j < 0 {
			return dst, s, true
		}
		name := strings.TrimSpace(line)
		if !p.accepts(name) {
			return p.malformed(dst, s)
		}
		p.push(clsName, line)
		if name != line {
			p.splitName(len(p.pending)-1, name)
		}
		p.push(clsSyntax, "\n")
		dst = p.start(dst, name)
		p.state = tsFence
		return dst, s[j+1:], false

	case tsFence:
		n := fenceLen(s)
		if n < 0 {
			return dst, s, true
		}
		p.tr(clsSyntax, s[:n])
		p.state, p.fenced = tsArgs, n > 0
		return dst, s[n:], false

	case tsArgs:
		set := tkArgsPlain
		if p.fenced {
			set = tkArgsFenced
		}
		i, k := set.scan(s)
		p.tr(clsArgs, s[:i])
		dst = p.args(dst, s[:i])
		if k < 0 {
			return dst, s[i:], true
		}
		m := set.list[k]
		tok := m[strings.Index(m, tkPrefix):]
		p.tr(clsSyntax, m[:len(m)-len(tok)])
		dst = p.end(dst)
		rest := s[i+len(m):]
		switch tok {
		case tkCallEnd:
			p.tr(clsMarker, tok)
			p.state = tsBlock
		case tkCallsEnd:
			p.tr(clsMarker, tok)
			p.state = tsContent
		case tkCallBegin:
			p.push(clsMarker, tok)
			p.state = tsHead
		case tkCallsBegin:
			p.push(clsMarker, tok)
			p.state = tsBlock
		}
		return dst, rest, false
	}
	return dst, s, false
}

// malformed returns the pending input as content and goes back to content,
// where s (not consumed yet) is scanned again.
func (p *tokenCalls) malformed(dst []Event, s string) ([]Event, string, bool) {
	dst = p.reject(dst)
	p.state = tsContent
	return dst, s, false
}

// gapLen is the whitespace pending in the current block gap.
func (p *tokenCalls) gapLen() int {
	n := 0
	for i := len(p.pending) - 1; i >= 0 && p.pending[i].c == clsSyntax; i-- {
		n += len(p.pending[i].raw)
	}
	return n
}

// splitName splits pending span i, which holds name with surrounding
// whitespace, into syntax, name and syntax spans.
func (p *tokenCalls) splitName(i int, name string) {
	raw := p.pending[i].raw
	at := strings.Index(raw, name)
	parts := []span{{clsSyntax, raw[:at]}, {clsName, name}, {clsSyntax, raw[at+len(name):]}}
	var out []span
	out = append(out, p.pending[:i]...)
	for _, sp := range parts {
		if sp.raw != "" {
			out = append(out, sp)
		}
	}
	p.pending = append(out, p.pending[i+1:]...)
}

// fenceLen measures the opening code fence at the start of s: "```" with
// an optional language word and newline. It returns 0 when s does not
// start with a fence and -1 when more text is needed to tell.
func fenceLen(s string) int {
	if !strings.HasPrefix(s, "```") {
		if prefixOfAny(s, "```") {
			return -1
		}
		return 0
	}
	i := 3
	for i < len(s) && i < 3+16 && isWordByte(s[i]) {
		i++
	}
	if i == len(s) {
		return -1
	}
	if s[i] == '\n' {
		i++
	}
	return i
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '+'
}

func (p *tokenCalls) finish(dst []Event) []Event {
	s := p.hold
	p.hold = ""
	switch p.state {
	case tsContent:
		dst = p.content(dst, s)
	case tsFence, tsArgs: // inside a started call: the rest is its arguments
		p.tr(clsArgs, s)
		dst = p.args(dst, s)
	default: // a call that never got its name: all of it is content
		p.pending = append(p.pending, span{clsContent, s})
		dst = p.reject(dst)
	}
	p.state = tsContent
	return dst
}
