package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/seekd/seekd/hub"
)

// ollamaModelRequestJSON is the body of /api/pull and /api/delete.
type ollamaModelRequestJSON struct {
	Model    string `json:"model"`
	Name     string `json:"name"` // the older field
	Insecure bool   `json:"insecure"`
	Stream   *bool  `json:"stream"`
}

// ollamaRef reads the model reference of a pull or delete: an alias
// ("deepseek-r1:1.5b") or a Hugging Face repo ("org/name[:QUANT][@REV]"),
// never a path.
func (s *Server) ollamaRef(r *http.Request) (string, *ollamaModelRequestJSON, *apiError) {
	var j ollamaModelRequestJSON
	if e := decodeJSON(r.Body, &j); e != nil {
		return "", nil, e
	}
	if s.opt.Hub == nil {
		return "", nil, &apiError{Status: http.StatusNotImplemented, Message: "this server has no model cache to pull into or delete from"}
	}
	name := j.Model
	if name == "" {
		name = j.Name
	}
	name = strings.TrimSuffix(name, ":latest")
	if name == "" {
		return "", nil, badRequest("model", "model is required")
	}
	if strings.ContainsAny(name[:1], "/.~") || filepath.IsAbs(name) {
		return "", nil, badRequest("model", "%q: give a model name (an alias such as deepseek-r1:1.5b, or a Hugging Face repo org/name), not a path", name)
	}
	if _, err := hub.ParseModelRef(name); err != nil {
		return "", nil, badRequest("model", "%v", err)
	}
	return name, &j, nil
}

// pullStatusJSON is one line of a pull's progress, in Ollama's shape.
type pullStatusJSON struct {
	Status    string `json:"status"`
	Digest    string `json:"digest,omitempty"`
	Total     int64  `json:"total,omitempty"`
	Completed int64  `json:"completed,omitempty"`
}

// handleOllamaPull serves POST /api/pull: the Hugging Face pull of package
// hub (resumable, verified), its progress streamed as Ollama's status
// lines. The model is then in the cache, ready for `seekd serve`; this
// server's own models do not change while it runs.
func (s *Server) handleOllamaPull(w http.ResponseWriter, r *http.Request) {
	name, j, e := s.ollamaRef(r)
	if e != nil {
		s.ollama.writeError(w, e)
		return
	}
	ctx := r.Context()
	events := make(chan hub.Event, 64)
	result := make(chan error, 1)
	go func() {
		defer close(events)
		_, err := s.opt.Hub.Pull(ctx, name, hub.PullOptions{
			Progress: hub.ProgressFunc(func(ev hub.Event) {
				if ev.Kind == hub.EventFileProgress { // progress may be dropped, never the rest
					select {
					case events <- ev:
					default:
					}
					return
				}
				select {
				case events <- ev:
				case <-ctx.Done():
				}
			}),
			Confirm: func(_ context.Context, p *hub.Plan) error {
				if !p.FitsDisk() {
					return fmt.Errorf("%s needs %d bytes but the cache folder has %d free", name, p.DownloadBytes(), p.FreeDisk)
				}
				return nil
			},
		})
		result <- err
	}()
	stream := j.Stream == nil || *j.Stream
	started := false
	rc := http.NewResponseController(w)
	for ev := range events {
		if !stream {
			continue
		}
		if !started {
			w.Header().Set("Content-Type", "application/x-ndjson")
			w.WriteHeader(http.StatusOK)
			started = true
		}
		st := pullStatusJSON{Status: ev.Status()}
		switch ev.Kind {
		case hub.EventFileStart, hub.EventFileProgress, hub.EventFileDone:
			st.Digest, st.Total, st.Completed = ev.Digest, ev.Total, ev.Completed
			if ev.Kind == hub.EventFileDone {
				st.Completed = ev.Total
			}
		}
		if _, err := w.Write(ndjsonLine(st)); err != nil {
			return
		}
		rc.Flush()
	}
	err := <-result
	switch {
	case err == nil && started:
		// The hub's EventDone already said "success".
	case err == nil:
		writeJSON(w, pullStatusJSON{Status: "success"})
	case started:
		w.Write(ndjsonLine(map[string]string{"error": err.Error()}))
	default:
		s.ollama.writeError(w, pullError(err))
	}
}

// pullError maps a pull's failure to a status.
func pullError(err error) *apiError {
	e := &apiError{Status: http.StatusInternalServerError, Message: err.Error()}
	switch {
	case errors.Is(err, hub.ErrRepoNotFound), errors.Is(err, hub.ErrRevisionNotFound), errors.Is(err, hub.ErrFileNotFound):
		e.Status = http.StatusNotFound
	case errors.Is(err, hub.ErrGated):
		e.Status = http.StatusForbidden
	case errors.Is(err, hub.ErrUnauthorized):
		e.Status = http.StatusUnauthorized
	case errors.Is(err, hub.ErrSelection):
		e.Status = http.StatusBadRequest
	}
	return e
}

// handleOllamaDelete serves DELETE /api/delete: the model leaves the Hugging
// Face cache. A model this server is serving is refused.
func (s *Server) handleOllamaDelete(w http.ResponseWriter, r *http.Request) {
	name, _, e := s.ollamaRef(r)
	if e != nil {
		s.ollama.writeError(w, e)
		return
	}
	c := s.opt.Hub.Cache
	m, err := c.Resolve(name)
	var np *hub.NotPulledError
	switch {
	case errors.As(err, &np) || (err == nil && m.Local):
		s.ollama.writeError(w, notFound("model", "model %q not found", name))
		return
	case err != nil:
		s.ollama.writeError(w, serverError("%v", err))
		return
	}
	repoDir := filepath.Clean(c.RepoDir(m.Ref.Repo)) + string(filepath.Separator)
	for _, sm := range s.models {
		if strings.HasPrefix(filepath.Clean(sm.Bundle.Path)+string(filepath.Separator), repoDir) {
			s.ollama.writeError(w, badRequest("model", "model %q is being served as %q; stop the server before deleting it", name, sm.Name))
			return
		}
	}
	if _, err := c.Remove(name); err != nil {
		s.ollama.writeError(w, serverError("%v", err))
		return
	}
	w.WriteHeader(http.StatusOK)
}
