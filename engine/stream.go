package engine

import (
	"context"
	"sync"
)

// Stream delivers one request's events. The engine never blocks on a slow
// reader: events queue up in the stream until they are read.
type Stream struct {
	mu     sync.Mutex
	events []Event
	notify chan struct{} // signalled when events are added
	closed chan struct{} // closed by Close
	once   sync.Once
	ended  bool // the final event has been queued
}

func newStream() *Stream {
	return &Stream{notify: make(chan struct{}, 1), closed: make(chan struct{})}
}

// push queues an event (engine side).
func (s *Stream) push(ev Event) {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return
	}
	s.events = append(s.events, ev)
	s.ended = ev.Done
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// Next returns the next event, waiting for it. It returns ctx's error if ctx
// ends first. After the final event (Done), Next is not to be called again.
func (s *Stream) Next(ctx context.Context) (Event, error) {
	for {
		s.mu.Lock()
		if len(s.events) > 0 {
			ev := s.events[0]
			s.events[0] = Event{}
			s.events = s.events[1:]
			s.mu.Unlock()
			return ev, nil
		}
		s.mu.Unlock()
		select {
		case <-s.notify:
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

// Pending returns a channel that receives a value whenever events may be
// waiting (for callers that select on several things).
func (s *Stream) Pending() <-chan struct{} { return s.notify }

// TryNext returns the next event if one is queued.
func (s *Stream) TryNext() (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.events) == 0 {
		return Event{}, false
	}
	ev := s.events[0]
	s.events[0] = Event{}
	s.events = s.events[1:]
	return ev, true
}

// Close stops the generation (within one decode step) and frees its cache.
// It is safe to call more than once and after the end.
func (s *Stream) Close() { s.once.Do(func() { close(s.closed) }) }

func (s *Stream) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}
