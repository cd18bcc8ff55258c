package server

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// encoder turns the shared generation events into one API's responses.
type encoder interface {
	// streamEvent returns the chunks to send for ev (streaming).
	streamEvent(ev outEvent) []any
	// streamEnd returns the chunks to send after every choice ended.
	streamEnd() []any
	// add folds ev into the whole response (non-streaming).
	add(ev outEvent)
	// result returns the whole response (non-streaming).
	result() any
}

// generate runs a decoded request through the shared path and writes the
// response with enc.
func (s *Server) generate(w http.ResponseWriter, r *http.Request, g *genRequest, newEnc func(*genRequest, *prepared) encoder) {
	if e := s.begin(); e != nil {
		writeError(w, e)
		return
	}
	defer s.inflight.Done()
	p, e := s.prepare(r.Context(), g)
	if e != nil {
		writeError(w, e)
		return
	}
	engineCtx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.cut, cancel)()
	events, e := s.run(engineCtx, r.Context(), g, p)
	if e != nil {
		writeError(w, e)
		return
	}
	enc := newEnc(g, p)
	if g.Stream {
		s.writeStream(w, r, events, enc)
	} else {
		s.writeWhole(w, r, events, enc)
	}
}

// writeStream sends server-sent events: keep-alive comments while nothing
// is ready, the encoder's chunks, and "data: [DONE]". A failure after the
// stream started is sent as one event {"error": {...}} that ends it.
func (s *Server) writeStream(w http.ResponseWriter, r *http.Request, events <-chan outEvent, enc encoder) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	rc.Flush()
	tick := time.NewTicker(s.opt.KeepAlive)
	defer tick.Stop()
	idle := true
	write := func(b []byte) bool {
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if idle && !write([]byte(": keep-alive\n\n")) {
				return
			}
			idle = true
		case ev, ok := <-events:
			if !ok {
				for _, c := range enc.streamEnd() {
					if !write(dataLine(c)) {
						return
					}
				}
				write([]byte("data: [DONE]\n\n"))
				return
			}
			idle = false
			if ev.Err != nil {
				s.log.Warn("generation failed", "path", r.URL.Path, "err", ev.Err)
				write(dataLine(serverError("%v", ev.Err).body()))
				return
			}
			for _, c := range enc.streamEvent(ev) {
				if !write(dataLine(c)) {
					return
				}
			}
		}
	}
}

func dataLine(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(serverError("encoding a chunk: %v", err).body())
	}
	out := make([]byte, 0, len(b)+8)
	out = append(out, "data: "...)
	out = append(out, b...)
	return append(out, '\n', '\n')
}

// writeWhole collects the whole response. While the request waits it
// sends blank lines (as DeepSeek does), which JSON parsers skip.
func (s *Server) writeWhole(w http.ResponseWriter, r *http.Request, events <-chan outEvent, enc encoder) {
	tick := time.NewTicker(s.opt.KeepAlive)
	defer tick.Stop()
	started := false
	rc := http.NewResponseController(w)
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if !started {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusOK)
				started = true
			}
			w.Write([]byte("\n"))
			rc.Flush()
		case ev, ok := <-events:
			if !ok {
				b, _ := json.Marshal(enc.result())
				if !started {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusOK)
				}
				w.Write(append(b, '\n'))
				return
			}
			if ev.Err != nil {
				s.log.Warn("generation failed", "path", r.URL.Path, "err", ev.Err)
				e := serverError("%v", ev.Err)
				if started {
					b, _ := json.Marshal(e.body())
					w.Write(append(b, '\n'))
				} else {
					writeError(w, e)
				}
				return
			}
			enc.add(ev)
		}
	}
}

// newID returns a response id: a random UUID, as DeepSeek's are.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
