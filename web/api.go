package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"

	"github.com/seekd/seekd/history"
)

// maxBodyBytes caps a history API request body.
const maxBodyBytes = 16 << 20

// historyAPI serves /api/conversations:
//
//	GET    /api/conversations?q=TEXT&limit=N   list (newest first), {"object":"list","data":[...]}
//	POST   /api/conversations                  create {"title","model"} -> conversation (201)
//	GET    /api/conversations/{id}             conversation with "messages"
//	PATCH  /api/conversations/{id}             rename {"title"} -> conversation
//	DELETE /api/conversations/{id}             delete (204)
//	POST   /api/conversations/{id}/messages    append {"messages":[...], "replace_from":N?} -> saved messages
//
// Errors use the API's shape: {"error":{"message","type","param","code"}}.
type historyAPI struct {
	store     Conversations
	authorize func(*http.Request) bool
	log       *slog.Logger
}

func (a *historyAPI) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/conversations", a.guard(a.list))
	mux.HandleFunc("POST /api/conversations", a.guard(a.create))
	mux.HandleFunc("GET /api/conversations/{id}", a.guard(a.get))
	mux.HandleFunc("PATCH /api/conversations/{id}", a.guard(a.rename))
	mux.HandleFunc("DELETE /api/conversations/{id}", a.guard(a.remove))
	mux.HandleFunc("POST /api/conversations/{id}/messages", a.guard(a.append))
}

// guard applies the API-key rule and answers 404 when history is off.
func (a *historyAPI) guard(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.authorize != nil && !a.authorize(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="seekd"`)
			writeError(w, http.StatusUnauthorized, "authentication_error", "Authentication Fails: a valid API key is required")
			return
		}
		if a.store == nil {
			writeError(w, http.StatusNotFound, "not_found", "conversation history is off on this server")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r)
	}
}

func (a *historyAPI) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 0
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf("limit %q is not a positive integer", s))
			return
		}
		limit = n
	}
	if len(q.Get("q")) > 1000 {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "search query longer than 1000 bytes")
		return
	}
	convs, err := a.store.List(r.Context(), history.ListOptions{Query: q.Get("q"), Limit: limit})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": convs})
}

func (a *historyAPI) create(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Title string `json:"title"`
		Model string `json:"model"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	c, err := a.store.Create(r.Context(), req.Title, req.Model)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (a *historyAPI) get(w http.ResponseWriter, r *http.Request) {
	c, msgs, err := a.store.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		history.Conversation
		Messages []history.Message `json:"messages"`
	}{c, msgs})
}

func (a *historyAPI) rename(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Title *string `json:"title"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if req.Title == nil {
		writeErrorParam(w, http.StatusBadRequest, "invalid_request_error", "missing field `title`", "title")
		return
	}
	c, err := a.store.Rename(r.Context(), r.PathValue("id"), *req.Title)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (a *historyAPI) remove(w http.ResponseWriter, r *http.Request) {
	if err := a.store.Delete(r.Context(), r.PathValue("id")); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *historyAPI) append(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Messages    []history.Message `json:"messages"`
		ReplaceFrom *int              `json:"replace_from"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	var saved []history.Message
	var err error
	if req.ReplaceFrom != nil {
		saved, err = a.store.Replace(r.Context(), r.PathValue("id"), *req.ReplaceFrom, req.Messages)
	} else {
		saved, err = a.store.Append(r.Context(), r.PathValue("id"), req.Messages)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if saved == nil {
		saved = []history.Message{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": saved})
}

// fail maps a store error to a status: 404, 422, or a logged 500.
func (a *historyAPI) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, history.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "conversation not found")
	case errors.Is(err, history.ErrInvalid):
		writeError(w, http.StatusUnprocessableEntity, "invalid_request_error", err.Error())
	case r.Context().Err() != nil:
		// The client went away; nobody reads the answer.
	default:
		a.log.ErrorContext(r.Context(), "history API", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "server_error", "the history store failed; see the server log")
	}
}

// readJSON decodes a JSON request body into v, answering the error itself
// (415, 413 or 400) and returning false when it cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "invalid_request_error", "Content-Type must be application/json")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "invalid_request_error",
				fmt.Sprintf("request body over %d bytes", maxBodyBytes))
			return false
		}
		writeError(w, http.StatusBadRequest, "invalid_request_error", "malformed JSON body: "+err.Error())
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "malformed JSON body: data after the JSON value")
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // the client may have gone
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	writeErrorParam(w, status, typ, msg, "")
}

func writeErrorParam(w http.ResponseWriter, status int, typ, msg, param string) {
	type body struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    string  `json:"code"`
	}
	b := body{Message: msg, Type: typ, Code: typ}
	if param != "" {
		b.Param = &param
	}
	writeJSON(w, status, map[string]body{"error": b})
}
