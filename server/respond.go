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
	// streamStart returns the chunks to send when the stream starts.
	streamStart() []any
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
// response with enc, in the front end's framing.
func (s *Server) generate(w http.ResponseWriter, r *http.Request, g *genRequest, fe *frontEnd, newEnc func(*genRequest, *prepared) encoder) {
	if e := s.begin(); e != nil {
		fe.writeError(w, e)
		return
	}
	defer s.inflight.Done()
	p, e := s.prepare(r.Context(), g)
	if e != nil {
		fe.writeError(w, e)
		return
	}
	engineCtx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.cut, cancel)()
	events, e := s.run(engineCtx, r.Context(), g, p)
	if e != nil {
		fe.writeError(w, e)
		return
	}
	enc := newEnc(g, p)
	if g.Stream {
		s.writeStream(w, r, events, fe, enc)
	} else {
		s.writeWhole(w, r, events, fe, enc)
	}
}

// writeStream sends the stream: keep-alives while nothing is ready, the
// encoder's chunks, and the front end's end marker ("data: [DONE]"). A
// failure after the stream started is sent as one error chunk that ends it.
func (s *Server) writeStream(w http.ResponseWriter, r *http.Request, events <-chan outEvent, fe *frontEnd, enc encoder) {
	h := w.Header()
	h.Set("Content-Type", fe.contentType)
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
	for _, c := range enc.streamStart() {
		if !write(fe.frame(c)) {
			return
		}
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if idle && fe.keepAlive != nil && !write(fe.keepAlive) {
				return
			}
			idle = true
		case ev, ok := <-events:
			if !ok {
				for _, c := range enc.streamEnd() {
					if !write(fe.frame(c)) {
						return
					}
				}
				if fe.done != nil {
					write(fe.done)
				}
				return
			}
			idle = false
			if ev.Err != nil {
				s.log.Warn("generation failed", "path", r.URL.Path, "err", ev.Err)
				write(fe.frame(fe.errorBody(serverError("%v", ev.Err))))
				return
			}
			for _, c := range enc.streamEvent(ev) {
				if !write(fe.frame(c)) {
					return
				}
			}
		}
	}
}

// writeWhole collects the whole response. While the request waits it
// sends blank lines (as DeepSeek does), which JSON parsers skip.
func (s *Server) writeWhole(w http.ResponseWriter, r *http.Request, events <-chan outEvent, fe *frontEnd, enc encoder) {
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
					b, _ := json.Marshal(fe.errorBody(e))
					w.Write(append(b, '\n'))
				} else {
					fe.writeError(w, e)
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
