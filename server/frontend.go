package server

import (
	"encoding/json"
	"net/http"
)

// frontEnd is what one API puts around the shared generation path besides
// its decoder and encoder: the shape of its errors and the framing of its
// streams. OpenAI/DeepSeek send server-sent events ending in [DONE],
// Anthropic named server-sent events, Ollama newline-delimited JSON.
type frontEnd struct {
	// errorBody is the JSON body of an error: the whole response, or the
	// chunk that ends a stream failing after it started.
	errorBody func(*apiError) any
	// status maps an error to its HTTP status (nil: e.Status).
	status func(*apiError) int
	// contentType is a stream's media type.
	contentType string
	// keepAlive is written to a stream that has been idle for a keep-alive
	// interval (nil: nothing; NDJSON has no comments).
	keepAlive []byte
	// frame encodes one chunk of a stream.
	frame func(v any) []byte
	// done is written after the last chunk (nil: nothing).
	done []byte
}

// writeError sends e as the whole response.
func (f *frontEnd) writeError(w http.ResponseWriter, e *apiError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if e.Status == http.StatusTooManyRequests || e.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
	}
	status := e.Status
	if f.status != nil {
		status = f.status(e)
	}
	w.WriteHeader(status)
	b, _ := json.Marshal(f.errorBody(e))
	w.Write(append(b, '\n'))
}

// openAIFront is DeepSeek's and OpenAI's: {"error": {...}} bodies and
// "data: {json}" events ending with "data: [DONE]", with ": keep-alive"
// comments while a request waits (DeepSeek's behaviour; both official SDKs
// skip comments).
func openAIFront() *frontEnd {
	return &frontEnd{
		errorBody:   func(e *apiError) any { return e.body() },
		contentType: "text/event-stream",
		keepAlive:   []byte(": keep-alive\n\n"),
		frame:       dataLine,
		done:        []byte("data: [DONE]\n\n"),
	}
}

// dataLine frames v as one server-sent event, named when v says its name
// (Anthropic's streams name every event; the Anthropic SDK skips unnamed
// ones).
func dataLine(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		v = serverError("encoding a chunk: %v", err).body()
		b, _ = json.Marshal(v)
	}
	out := make([]byte, 0, len(b)+32)
	if n, ok := v.(namedEvent); ok {
		out = append(out, "event: "...)
		out = append(out, n.eventName()...)
		out = append(out, '\n')
	}
	out = append(out, "data: "...)
	out = append(out, b...)
	return append(out, '\n', '\n')
}

// namedEvent is a chunk sent as a named server-sent event.
type namedEvent interface{ eventName() string }

// ndjsonLine frames v as one line of newline-delimited JSON.
func ndjsonLine(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": "encoding a chunk: " + err.Error()})
	}
	return append(b, '\n')
}
