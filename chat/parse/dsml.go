package parse

import (
	"encoding/json"
	"strings"
)

// The DSML markup of DeepSeek-V3.2 tool calls ("｜" is U+FF5C). V4 names
// the block tool_calls instead of function_calls; both are accepted.
const (
	dsFuncs     = "<｜DSML｜function_calls>"
	dsFuncsEnd  = "</｜DSML｜function_calls>"
	dsTools     = "<｜DSML｜tool_calls>"
	dsToolsEnd  = "</｜DSML｜tool_calls>"
	dsInvoke    = "<｜DSML｜invoke"
	dsInvokeEnd = "</｜DSML｜invoke>"
	dsParam     = "<｜DSML｜parameter"
	dsParamEnd  = "</｜DSML｜parameter>"
)

// The encoder writes content + "\n\n" + block: the blank line belongs to
// the block, so content does not end with it.
var dsOpeners = newMarkerSet("\n\n"+dsFuncs, dsFuncs, "\n\n"+dsTools, dsTools)

type dsmlState uint8

const (
	dmContent   dsmlState = iota // ordinary content; looking for a block opener
	dmBlock                      // inside a block, between invokes
	dmInvokeTag                  // reading an invoke tag up to ">"
	dmInvoke                     // inside an invoke, between parameters
	dmParamTag                   // reading a parameter tag up to ">"
	dmValue                      // a parameter value, up to its end tag
)

// How a parameter value becomes JSON.
const (
	valString = iota // string="true": raw text, streamed as a JSON string
	valJSON          // string="false" or absent: JSON text, kept if valid, else quoted
)

// dsmlCalls parses V3.2's DSML tool calls:
//
//	\n\n<｜DSML｜function_calls>
//	<｜DSML｜invoke name="NAME">
//	<｜DSML｜parameter name="K" string="true">raw text</｜DSML｜parameter>
//	<｜DSML｜parameter name="N" string="false">JSON</｜DSML｜parameter>
//	</｜DSML｜invoke>
//	</｜DSML｜function_calls>
//
// Each invoke becomes a call whose arguments are the JSON object of its
// parameters, written the way Python's json.dumps writes a dict
// ({"K": "raw text", "N": 5}): string values stream as they are generated,
// other values are emitted when their end tag arrives.
type dsmlCalls struct {
	callBook
	state    dsmlState
	hold     string          // input that cannot be classified yet
	argsOpen bool            // "{" has been emitted for the open call
	kind     int             // valString or valJSON
	value    strings.Builder // a non-string value being collected
}

func newDSMLCalls(o Options, trace tracer) *dsmlCalls {
	return &dsmlCalls{callBook: newCallBook(o, trace)}
}

func (p *dsmlCalls) feed(dst []Event, text string) []Event {
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

// step consumes a prefix of s in the current state and returns the rest;
// wait says the rest must be held until more text arrives.
func (p *dsmlCalls) step(dst []Event, s string) ([]Event, string, bool) {
	switch p.state {
	case dmContent:
		i, k := dsOpeners.scan(s)
		dst = p.content(dst, s[:i])
		if k < 0 {
			return dst, s[i:], true
		}
		m := dsOpeners.list[k]
		if strings.HasPrefix(m, "\n\n") {
			p.push(clsSyntax, "\n\n")
			p.push(clsMarker, m[2:])
		} else {
			p.push(clsMarker, m)
		}
		p.state = dmBlock
		return dst, s[i+len(m):], false

	case dmBlock:
		t, ok := p.gap(s)
		switch {
		case !ok:
			return p.malformed(dst, s)
		case t == "":
			return dst, "", false
		case strings.HasPrefix(t, dsInvoke):
			p.state = dmInvokeTag
			return dst, t, false
		case strings.HasPrefix(t, dsFuncsEnd), strings.HasPrefix(t, dsToolsEnd):
			return p.closeBlock(dst, t)
		case prefixOfAny(t, dsInvoke, dsFuncsEnd, dsToolsEnd):
			return dst, t, true
		}
		return p.malformed(dst, t)

	case dmInvokeTag:
		tag, ok := readTag(s)
		if !ok {
			return p.malformed(dst, s)
		}
		if tag == "" {
			return dst, s, true
		}
		a, ok := parseAttrs(tag, dsInvoke)
		if !ok || !p.accepts(a.name) {
			return p.malformed(dst, s)
		}
		p.push(clsSyntax, tag[:a.nameAt])
		p.push(clsName, a.name)
		p.push(clsSyntax, tag[a.nameAt+len(a.name):])
		dst = p.start(dst, a.name)
		p.argsOpen = false
		p.state = dmInvoke
		return dst, s[len(tag):], false

	case dmInvoke:
		t, ok := p.gap(s)
		switch {
		case !ok:
			return p.broken(dst, s)
		case t == "":
			return dst, "", false
		case strings.HasPrefix(t, dsParam):
			p.state = dmParamTag
			return dst, t, false
		case strings.HasPrefix(t, dsInvokeEnd):
			p.push(clsMarker, dsInvokeEnd)
			p.commit()
			dst = p.end(p.closeArgs(dst))
			p.state = dmBlock
			return dst, t[len(dsInvokeEnd):], false
		case strings.HasPrefix(t, dsFuncsEnd), strings.HasPrefix(t, dsToolsEnd): // invoke left open
			return p.closeBlock(p.end(p.closeArgs(dst)), t)
		case strings.HasPrefix(t, dsInvoke): // invoke left open, the next one begins
			p.commit()
			p.state = dmInvokeTag
			return p.end(p.closeArgs(dst)), t, false
		case prefixOfAny(t, dsParam, dsInvokeEnd, dsFuncsEnd, dsToolsEnd, dsInvoke):
			return dst, t, true
		}
		return p.broken(dst, t)

	case dmParamTag:
		tag, ok := readTag(s)
		if !ok {
			return p.broken(dst, s)
		}
		if tag == "" {
			return dst, s, true
		}
		a, ok := parseAttrs(tag, dsParam)
		if !ok || a.name == "" {
			return p.broken(dst, s)
		}
		p.push(clsSyntax, tag)
		p.commit()
		lead := "{\""
		if p.argsOpen {
			lead = ", \""
		}
		p.argsOpen = true
		frag := lead + jsonEscape(a.name) + "\": "
		p.kind = valJSON
		if a.str == "true" {
			p.kind = valString
			frag += "\""
		}
		dst = p.args(dst, frag)
		p.state = dmValue
		return dst, s[len(tag):], false

	case dmValue:
		i := strings.Index(s, dsParamEnd)
		v := s
		if i >= 0 {
			v = s[:i]
		} else {
			v = s[:partialStart(s, dsParamEnd)]
		}
		dst = p.valuePart(dst, v)
		if i < 0 {
			return dst, s[len(v):], true
		}
		p.tr(clsMarker, dsParamEnd)
		dst = p.valueEnd(dst)
		p.state = dmInvoke
		return dst, s[i+len(dsParamEnd):], false
	}
	return dst, s, false
}

// gap consumes the whitespace at the start of s into the pending input.
// It reports false if the gap has grown beyond maxGap.
func (p *dsmlCalls) gap(s string) (string, bool) {
	t := trimLeftSpace(s)
	if g := s[:len(s)-len(t)]; g != "" {
		n := len(g)
		for i := len(p.pending) - 1; i >= 0 && p.pending[i].c == clsSyntax; i-- {
			n += len(p.pending[i].raw)
		}
		if n > maxGap {
			return s, false
		}
		p.push(clsSyntax, g)
	}
	return t, true
}

// closeBlock consumes the block's end tag at the start of t.
func (p *dsmlCalls) closeBlock(dst []Event, t string) ([]Event, string, bool) {
	end := dsFuncsEnd
	if strings.HasPrefix(t, dsToolsEnd) {
		end = dsToolsEnd
	}
	p.push(clsMarker, end)
	p.commit()
	p.state = dmContent
	return dst, t[len(end):], false
}

// closeArgs finishes the arguments object of the open call.
func (p *dsmlCalls) closeArgs(dst []Event) []Event {
	if !p.argsOpen {
		return p.args(dst, "{}")
	}
	p.argsOpen = false
	return p.args(dst, "}")
}

func (p *dsmlCalls) valuePart(dst []Event, v string) []Event {
	p.tr(clsValue, v)
	if p.kind == valString {
		return p.args(dst, jsonEscape(v))
	}
	p.value.WriteString(v)
	return dst
}

func (p *dsmlCalls) valueEnd(dst []Event) []Event {
	if p.kind == valString {
		return p.args(dst, "\"")
	}
	v := p.value.String()
	p.value.Reset()
	if t := strings.TrimSpace(v); t != "" && json.Valid([]byte(t)) {
		return p.args(dst, t)
	}
	return p.args(dst, "\""+jsonEscape(v)+"\"")
}

// malformed returns the pending input as content and goes back to content,
// where s (not consumed yet) is scanned again.
func (p *dsmlCalls) malformed(dst []Event, s string) ([]Event, string, bool) {
	dst = p.reject(dst)
	p.state = dmContent
	return dst, s, false
}

// broken ends the open call when its invoke breaks the layout; the rest is
// content.
func (p *dsmlCalls) broken(dst []Event, s string) ([]Event, string, bool) {
	dst = p.end(p.closeArgs(dst))
	return p.malformed(dst, s)
}

func (p *dsmlCalls) finish(dst []Event) []Event {
	s := p.hold
	p.hold = ""
	switch p.state {
	case dmContent:
		dst = p.content(dst, s)
	case dmValue: // the value ends with the output; close it and the object
		dst = p.closeArgs(p.valueEnd(p.valuePart(dst, s)))
	case dmInvoke, dmParamTag: // the call stays open; the rest is content
		dst = p.closeArgs(dst)
		fallthrough
	default:
		p.pending = append(p.pending, span{clsContent, s})
		dst = p.reject(dst)
	}
	p.state = dmContent
	return dst
}

// readTag returns the opening tag at the start of s, up to and including
// ">", or "" if it is not complete yet; ok is false if it runs past maxTag.
func readTag(s string) (tag string, ok bool) {
	j := strings.IndexByte(s, '>')
	if j < 0 {
		return "", len(s) <= maxTag
	}
	if j+1 > maxTag {
		return "", false
	}
	return s[:j+1], true
}

// tagAttrs are the attributes of a DSML tag that matter.
type tagAttrs struct {
	name   string
	nameAt int    // where name starts in the tag
	str    string // the string attribute, "" if absent
}

// parseAttrs parses `PREFIX key="value" ...>`: tag must start with prefix
// and end with ">", attributes are separated by whitespace, unknown ones
// are ignored.
func parseAttrs(tag, prefix string) (tagAttrs, bool) {
	var a tagAttrs
	s := tag[len(prefix) : len(tag)-1]
	if s != "" && !isSpace(s[0]) {
		return a, false
	}
	for {
		s = trimLeftSpace(s)
		if s == "" {
			return a, true
		}
		k := 0
		for k < len(s) && isWordByte(s[k]) {
			k++
		}
		key := s[:k]
		if k == 0 || !strings.HasPrefix(s[k:], "=\"") {
			return a, false
		}
		s = s[k+2:]
		q := strings.IndexByte(s, '"')
		if q < 0 {
			return a, false
		}
		switch key {
		case "name":
			a.name, a.nameAt = s[:q], len(tag)-1-len(s)
		case "string":
			a.str = s[:q]
		}
		s = s[q+1:]
		if s != "" && !isSpace(s[0]) {
			return a, false
		}
	}
}
