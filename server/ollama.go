package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/seekd/seekd/model"
)

// Ollama's API (ollama/ollama docs/api.md): discovery (/api/version,
// /api/tags, /api/show, /api/ps), generation (/api/chat, /api/generate,
// which decode into the shared genRequest: ollama_chat.go, with their
// encoder in ollama_encode.go) and the model cache (/api/pull, /api/delete:
// ollama_pull.go). Errors are {"error": "message"}; streams are
// newline-delimited JSON.

// ollamaVersion is the Ollama version whose API this follows; clients such
// as VS Code Copilot check it is a numeric semver and recent enough.
const ollamaVersion = "0.13.0"

func (s *Server) ollamaRoutes(mux *http.ServeMux) {
	api := func(pattern, endpoint string, auth bool, h http.HandlerFunc) {
		mux.Handle(pattern, s.wrap(endpoint, s.ollama, auth, h))
	}
	api("GET /api/version", "ollama", false, s.handleOllamaVersion)
	api("GET /api/tags", "ollama", true, s.handleOllamaTags)
	api("POST /api/show", "ollama", true, s.handleOllamaShow)
	api("GET /api/ps", "ollama", true, s.handleOllamaPS)
	api("POST /api/chat", "ollama_chat", true, s.handleOllamaChat)
	api("POST /api/generate", "ollama_generate", true, s.handleOllamaGenerate)
	api("POST /api/pull", "ollama", true, s.handleOllamaPull)
	api("DELETE /api/delete", "ollama", true, s.handleOllamaDelete)
	for _, p := range []string{"POST /api/embed", "POST /api/embeddings", "POST /api/copy", "POST /api/create", "POST /api/push"} {
		api(p, "ollama", true, func(w http.ResponseWriter, r *http.Request) {
			s.ollama.writeError(w, &apiError{Status: http.StatusNotImplemented, Message: fmt.Sprintf("%s is not supported by seekd", r.URL.Path)})
		})
	}
}

// ollamaFront frames newline-delimited JSON (no keep-alives: Ollama
// clients parse every line) and errors as {"error": "message"}.
func ollamaFront() *frontEnd {
	return &frontEnd{
		errorBody:   func(e *apiError) any { return map[string]string{"error": e.Message} },
		status:      anthropicStatus, // a value out of range is a plain 400 there too
		contentType: "application/x-ndjson",
		frame:       ndjsonLine,
	}
}

// ollamaRoot answers the Ollama listener's / ("Ollama is running", which
// clients probe) and its unknown routes.
func (s *Server) ollamaRoot(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if r.Method == http.MethodGet {
			w.Write([]byte("Ollama is running"))
		}
		return
	}
	s.ollama.writeError(w, &apiError{Status: http.StatusNotFound, Message: fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path)})
}

func (s *Server) handleOllamaVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]string{"version": ollamaVersion})
}

// ollamaModel resolves an Ollama model name: a served name (a ":latest"
// tag is ignored) or the DeepSeek aliases; anything else is a 404.
func (s *Server) ollamaModel(name string) (*servedModel, string, *bool, *apiError) {
	if name == "" {
		return nil, "", nil, badRequest("model", "model is required")
	}
	m, alias, think, e := s.lookupModel(name)
	if e != nil {
		return nil, "", nil, notFound("model", "model %q not found, try pulling it first", name)
	}
	return m, alias, think, nil
}

// ollamaDetailsJSON is a model's details in /api/tags, /api/show, /api/ps.
type ollamaDetailsJSON struct {
	ParentModel       string   `json:"parent_model"`
	Format            string   `json:"format"`
	Family            string   `json:"family"`
	Families          []string `json:"families"`
	ParameterSize     string   `json:"parameter_size"`
	QuantizationLevel string   `json:"quantization_level"`
}

// ollamaModelJSON is one entry of /api/tags and /api/ps.
type ollamaModelJSON struct {
	Name          string            `json:"name"`
	Model         string            `json:"model"`
	ModifiedAt    string            `json:"modified_at,omitempty"`
	Size          int64             `json:"size"`
	Digest        string            `json:"digest"`
	Details       ollamaDetailsJSON `json:"details"`
	ExpiresAt     string            `json:"expires_at,omitempty"`
	SizeVRAM      *int64            `json:"size_vram,omitempty"`
	ContextLength int               `json:"context_length,omitempty"`
}

// modelFacts is what the Ollama endpoints say about a served model, read
// once from its files (model.Inspect) or, for models without readable
// headers, from its configuration.
type modelFacts struct {
	arch     string // GGUF architecture name (deepseek2, qwen2, llama)
	config   *model.Config
	format   string
	params   int64
	quant    string
	size     int64
	modified time.Time
	digest   string
}

// readFacts inspects the model's files.
func readFacts(m Model) *modelFacts {
	f := &modelFacts{config: m.Bundle.Model.Config(), format: "safetensors"}
	if info, err := model.Inspect(m.Bundle.Path); err == nil {
		f.config, f.format, f.params, f.quant = info.Config, info.Format, info.Params, info.Quantization
	}
	f.arch = ggufArch(f.config.Arch)
	// Size and modification time of the weight files.
	filepath.WalkDir(m.Bundle.Path, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if ext := strings.ToLower(filepath.Ext(path)); ext == ".safetensors" || ext == ".gguf" || ext == ".json" {
			if info, err := os.Stat(path); err == nil { // follows the HF cache's links
				f.size += info.Size()
				if info.ModTime().After(f.modified) {
					f.modified = info.ModTime()
				}
			}
		}
		return nil
	})
	if f.modified.IsZero() {
		f.modified = time.Now()
	}
	sum := sha256.Sum256([]byte(m.Name + "\x00" + m.Bundle.Path))
	f.digest = hex.EncodeToString(sum[:])
	return f
}

// ggufArch names an architecture as GGUF (and so Ollama) does.
func ggufArch(a model.Arch) string {
	switch a {
	case model.DeepSeekV2, model.DeepSeekV3:
		return "deepseek2"
	case model.Qwen2:
		return "qwen2"
	case model.Llama:
		return "llama"
	}
	return string(a)
}

// paramSize writes a parameter count as Ollama does ("671B", "1.8B").
func paramSize(n int64) string {
	switch {
	case n <= 0:
		return ""
	case n >= 100e9:
		return fmt.Sprintf("%.0fB", float64(n)/1e9)
	case n >= 1e9:
		return fmt.Sprintf("%.1fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1fK", float64(n)/1e3)
}

func (f *modelFacts) details() ollamaDetailsJSON {
	return ollamaDetailsJSON{Format: f.format, Family: f.arch, Families: []string{f.arch}, ParameterSize: paramSize(f.params), QuantizationLevel: f.quant}
}

// ollamaEntry is a served model as /api/tags lists it.
func (s *Server) ollamaEntry(m *servedModel) ollamaModelJSON {
	f := m.facts()
	return ollamaModelJSON{Name: m.Name, Model: m.Name, ModifiedAt: f.modified.Format(time.RFC3339Nano), Size: f.size, Digest: f.digest, Details: f.details()}
}

func (s *Server) handleOllamaTags(w http.ResponseWriter, r *http.Request) {
	list := []ollamaModelJSON{}
	for _, m := range s.models {
		list = append(list, s.ollamaEntry(m))
	}
	writeJSON(w, map[string]any{"models": list})
}

// handleOllamaPS lists the loaded models: every served model, loaded for
// as long as the server runs (keep_alive is accepted and changes nothing).
func (s *Server) handleOllamaPS(w http.ResponseWriter, r *http.Request) {
	list := []ollamaModelJSON{}
	expires := s.started.AddDate(100, 0, 0).UTC().Format(time.RFC3339)
	for _, m := range s.models {
		e := s.ollamaEntry(m)
		e.ModifiedAt = ""
		var vram int64
		e.ExpiresAt, e.SizeVRAM, e.ContextLength = expires, &vram, m.Engine.Context()
		list = append(list, e)
	}
	writeJSON(w, map[string]any{"models": list})
}

// ollamaCapabilities lists what a model can do, in Ollama's words.
func ollamaCapabilities(m *servedModel) []string {
	caps := []string{"completion"}
	b := m.Bundle
	if b.Caps.Tools && b.Template != nil {
		caps = append(caps, "tools")
	}
	if b.Caps.Thinking && b.Template != nil {
		caps = append(caps, "thinking")
	}
	if b.Caps.FIM {
		caps = append(caps, "insert")
	}
	return caps
}

func (s *Server) handleOllamaShow(w http.ResponseWriter, r *http.Request) {
	var j struct {
		Model   string `json:"model"`
		Name    string `json:"name"` // the older field
		Verbose bool   `json:"verbose"`
	}
	if e := decodeJSON(r.Body, &j); e != nil {
		s.ollama.writeError(w, e)
		return
	}
	if j.Model == "" {
		j.Model = j.Name
	}
	m, _, _, e := s.ollamaModel(j.Model)
	if e != nil {
		s.ollama.writeError(w, e)
		return
	}
	f := m.facts()
	c := f.config
	a := f.arch
	info := map[string]any{
		"general.architecture":         a,
		"general.basename":             m.Name,
		"general.parameter_count":      f.params,
		a + ".context_length":          m.Engine.Context(),
		a + ".embedding_length":        c.Hidden,
		a + ".block_count":             c.Layers,
		a + ".attention.head_count":    c.Heads,
		a + ".attention.head_count_kv": c.KVHeads,
		a + ".vocab_size":              c.Vocab,
	}
	if c.Experts > 0 {
		info[a+".expert_count"] = c.Experts
		info[a+".expert_used_count"] = c.ExpertsPerTok
		info[a+".expert_shared_count"] = c.SharedExperts
	}
	if c.Arch.MLA() {
		info[a+".attention.kv_lora_rank"] = c.KVLoraRank
		info[a+".attention.q_lora_rank"] = c.QLoraRank
	}
	b := m.Bundle
	params := "temperature 0.6\ntop_p 0.95"
	if !b.Caps.Thinking {
		params = "temperature 1\ntop_p 1"
	}
	writeJSON(w, map[string]any{
		"license":      "",
		"modelfile":    fmt.Sprintf("# Served by seekd\nFROM %s\n", b.Path),
		"parameters":   params,
		"template":     b.TemplateSource,
		"system":       "",
		"messages":     []any{},
		"details":      f.details(),
		"model_info":   info,
		"capabilities": ollamaCapabilities(m),
		"modified_at":  f.modified.Format(time.RFC3339Nano),
	})
}
