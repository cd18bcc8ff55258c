package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
)

// apiKey returns the key a request presents: "Authorization: Bearer KEY"
// (OpenAI, DeepSeek) or "x-api-key: KEY" (Anthropic).
func apiKey(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if k, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(k)
		}
		if k, ok := strings.CutPrefix(h, "bearer "); ok {
			return strings.TrimSpace(k)
		}
		return ""
	}
	return strings.TrimSpace(r.Header.Get("x-api-key"))
}

// authorize checks the request's key against the configured ones in
// constant time (keys are compared as SHA-256 digests, so neither their
// contents nor their lengths leak through timing).
func (s *Server) authorize(r *http.Request) (string, bool) {
	if len(s.keys) == 0 {
		return "", true
	}
	key := apiKey(r)
	sum := sha256.Sum256([]byte(key))
	ok := 0
	for i := range s.keys {
		ok |= subtle.ConstantTimeCompare(sum[:], s.keys[i][:])
	}
	return key, ok == 1 && key != ""
}

// authError is DeepSeek's 401, showing at most the key's last four
// characters.
func authError(key string) *apiError {
	shown := "(none)"
	if len(key) >= 8 {
		shown = "****" + key[len(key)-4:]
	} else if key != "" {
		shown = "****"
	}
	return &apiError{Status: http.StatusUnauthorized, Message: "Authentication Fails, Your api key: " + shown + " is invalid", Type: typeAuthentication, Code: "invalid_request_error"}
}

// cacheScope is the prefix-cache isolation scope of a request: a digest of
// its API key and end-user id, so cached prefixes are never shared across
// keys or users.
func cacheScope(r *http.Request, user string) string {
	sum := sha256.Sum256([]byte(apiKey(r) + "\x00" + user))
	return hex.EncodeToString(sum[:16])
}
