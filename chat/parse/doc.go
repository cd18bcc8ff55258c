// Package parse turns the text a DeepSeek model generates into what the API
// returns: reasoning_content, content and OpenAI-shaped tool_calls.
//
// Text arrives incrementally from the detokenizer, in chunks that may split
// anywhere, even inside a marker such as "</think>" or
// "<｜tool▁call▁begin｜>". A Parser is a pipeline of two explicit state
// machines:
//
//  1. a reasoning splitter that separates "<think>…</think>" reasoning from
//     the answer (the prompt may already have opened the reasoning, as the
//     R1 and V3.1-thinking templates do);
//  2. a tool-call parser for the answer, chosen by format name: the
//     special-token layouts of R1/V3 (type, name, fenced JSON) and V3.1
//     (name, raw JSON), or V3.2's DSML markup (parameters are assembled
//     into a JSON object).
//
// Both stages hold back only text that may still turn into a marker, and
// release it as soon as it cannot, or at Finish. Events come out in input
// order: reasoning deltas, content deltas, a ToolCallStart (index, id, name)
// as soon as a call's name is known, its argument fragments, and a
// ToolCallEnd when the call is properly closed.
//
// Policies for bad output (the parser never panics, never blocks, and
// Finish always ends the stream):
//   - Text that starts a tool-call block but breaks the layout before the
//     call's name is complete (unknown marker, over-long or invalid name, a
//     name the caller does not allow, a stream that ends first) is returned
//     as ordinary content, markers included.
//   - Once a call has started it stays a call. Arguments are passed through
//     as generated: invalid JSON is not repaired or converted to content
//     (fragments have already been streamed; the caller may validate). A
//     stream that ends inside a call leaves it without a ToolCallEnd, and
//     the Accumulator reports it as Truncated; for DSML the generated object
//     is closed so that its arguments stay a JSON object.
//
// Invariant (checked by the fuzz tests): every input byte is accounted for
// exactly once, in order, as reasoning, content, tool-call name or
// argument text, or format syntax (markers, tags, fences, the whitespace
// between calls, whitespace trimmed by Options.TrimSpace). Only syntax is
// dropped; reasoning and content events concatenate to exactly the bytes
// classified as such, and the result does not depend on how the text was
// split into chunks.
package parse
