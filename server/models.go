package server

import (
	"encoding/json"
	"net/http"
)

// modelEntries lists the served models and the DeepSeek aliases.
func (s *Server) modelEntries() []modelJSON {
	var out []modelJSON
	for _, m := range s.models {
		out = append(out, modelJSON{ID: m.Name, Object: "model", Created: m.created, OwnedBy: "seekd"})
	}
	for _, alias := range []string{"deepseek-chat", "deepseek-reasoner"} {
		if _, taken := s.byName[alias]; !taken {
			out = append(out, modelJSON{ID: alias, Object: "model", Created: s.models[0].created, OwnedBy: "seekd"})
		}
	}
	return out
}

// handleModels serves GET /models.
func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, modelListJSON{Object: "list", Data: s.modelEntries()})
}

// handleModel serves GET /models/{id}.
func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	for _, m := range s.modelEntries() {
		if m.ID == id {
			writeJSON(w, m)
			return
		}
	}
	writeError(w, notFound("model", "Model Not Exist: the model %q does not exist", id))
}

// handleHealth serves GET /health: 200 with each model's queue while
// serving, 503 once shutdown has started.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	type modelHealth struct {
		Name    string `json:"name"`
		Waiting int    `json:"waiting"`
		Running int    `json:"running"`
	}
	body := struct {
		Status string        `json:"status"`
		Models []modelHealth `json:"models"`
	}{Status: "ok"}
	for _, m := range s.models {
		st := m.Engine.Stats()
		body.Models = append(body.Models, modelHealth{Name: m.Name, Waiting: st.Waiting, Running: st.Running})
	}
	if closing {
		body.Status = "shutting_down"
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(body)
		return
	}
	writeJSON(w, body)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, serverError("encoding the response: %v", err))
		return
	}
	w.Write(append(b, '\n'))
}
