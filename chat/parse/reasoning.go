package parse

import "strings"

// The reasoning markers. In the DeepSeek (R1, V3.1, V3.2) and R1-Distill
// vocabularies these are single tokens, but they reach us as text.
const (
	thinkOpen  = "<think>"
	thinkClose = "</think>"
)

// reasoningState is where the splitter is.
type reasoningState uint8

const (
	rsOpening   reasoningState = iota // at the very start: a "<think>" here opens reasoning
	rsReasoning                       // inside reasoning, looking for "</think>"
	rsContent                         // answer; nothing here is a marker any more
)

// reasoningSplitter is the streaming state machine that separates
// "<think>…</think>" reasoning from the answer.
//
//	rsOpening --"<think>"--> rsReasoning --"</think>"--> rsContent
//	rsOpening --anything else--> rsReasoning (StartInReasoning) or rsContent
//
// Only the first "</think>" ends reasoning; later "<think>" or "</think>"
// text is content. Without StartInReasoning or LeadingThink the output is
// all content, so a stray "</think>" never creates reasoning (V3.1's
// non-thinking mode).
type reasoningSplitter struct {
	state    reasoningState
	initial  reasoningState // where rsOpening falls back to
	trim     bool           // Options.TrimSpace
	trimLead bool           // drop whitespace until the next non-space byte
	hold     string         // input that may still be the start of a marker
	wsTail   []byte         // trailing reasoning whitespace, held back when trimming
	trace    tracer
}

func newReasoningSplitter(o Options, trace tracer) *reasoningSplitter {
	r := &reasoningSplitter{initial: rsContent, trim: o.TrimSpace, trace: trace}
	if o.StartInReasoning {
		r.initial = rsReasoning
	}
	r.state = r.initial
	if o.LeadingThink {
		r.state = rsOpening
	}
	r.trimLead = r.trim && r.initial == rsReasoning
	return r
}

func (r *reasoningSplitter) tr(c class, s string) {
	if r.trace != nil && s != "" {
		r.trace(c, s)
	}
}

// feed consumes a chunk of generated text and appends reasoning and content
// events to dst.
func (r *reasoningSplitter) feed(dst []Event, text string) []Event {
	s := text
	if r.hold != "" {
		s, r.hold = r.hold+text, ""
	}
	for s != "" {
		switch r.state {
		case rsOpening:
			t := s
			if r.trim { // whitespace may precede "<think>" when trimming
				t = trimLeftSpace(s)
				if len(s)-len(t) > maxGap { // too much to be an opening
					r.state = r.initial
					continue
				}
				if t == "" {
					r.hold = s
					return dst
				}
			}
			switch {
			case strings.HasPrefix(t, thinkOpen):
				r.tr(clsTrim, s[:len(s)-len(t)])
				r.tr(clsMarker, thinkOpen)
				s = t[len(thinkOpen):]
				r.state, r.trimLead = rsReasoning, r.trim
			case prefixOfAny(t, thinkOpen):
				r.hold = s
				return dst
			default:
				r.state = r.initial
			}
		case rsReasoning:
			if i := strings.Index(s, thinkClose); i >= 0 {
				dst = r.reasoning(dst, s[:i], true)
				r.tr(clsMarker, thinkClose)
				s = s[i+len(thinkClose):]
				r.state, r.trimLead = rsContent, r.trim
				continue
			}
			h := partialStart(s, thinkClose)
			dst = r.reasoning(dst, s[:h], false)
			r.hold = s[h:]
			return dst
		case rsContent:
			if r.trimLead {
				t := trimLeftSpace(s)
				r.tr(clsTrim, s[:len(s)-len(t)])
				if s = t; s == "" {
					return dst
				}
				r.trimLead = false
			}
			r.tr(clsContent, s)
			return append(dst, Event{Kind: ContentDelta, Text: s})
		}
	}
	return dst
}

// reasoning emits seg as reasoning; closing says the reasoning ends right
// after it. When trimming, leading and trailing whitespace of the whole
// reasoning is dropped, which means holding back trailing whitespace until
// more reasoning follows.
func (r *reasoningSplitter) reasoning(dst []Event, seg string, closing bool) []Event {
	if r.trim {
		if r.trimLead {
			t := trimLeftSpace(seg)
			r.tr(clsTrim, seg[:len(seg)-len(t)])
			if seg = t; seg != "" {
				r.trimLead = false
			}
		}
		body := trimRightSpace(seg)
		tail := seg[len(body):]
		if body != "" {
			if len(r.wsTail) > 0 {
				body = string(append(r.wsTail, body...))
				r.wsTail = r.wsTail[:0]
			}
			r.tr(clsReasoning, body)
			dst = append(dst, Event{Kind: ReasoningDelta, Text: body})
		}
		r.wsTail = append(r.wsTail, tail...)
		if closing {
			if r.trace != nil {
				r.tr(clsTrim, string(r.wsTail))
			}
			r.wsTail = r.wsTail[:0]
		}
		return dst
	}
	if seg == "" {
		return dst
	}
	r.tr(clsReasoning, seg)
	return append(dst, Event{Kind: ReasoningDelta, Text: seg})
}

// finish flushes held text: a partial marker is just text.
func (r *reasoningSplitter) finish(dst []Event) []Event {
	s := r.hold
	r.hold = ""
	if r.state == rsOpening { // the held text was not "<think>" after all
		r.state = r.initial
	}
	switch r.state {
	case rsReasoning:
		dst = r.reasoning(dst, s, true)
	case rsContent:
		dst = r.feed(dst, s)
	}
	return dst
}
