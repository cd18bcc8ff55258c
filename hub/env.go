package hub

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DefaultEndpoint is the Hugging Face Hub's address, used when HF_ENDPOINT is unset.
const DefaultEndpoint = "https://huggingface.co"

// Settings are the Hugging Face locations and credentials, read from the same
// environment variables huggingface_hub reads.
type Settings struct {
	// CacheDir is the hub cache folder (the one holding models--org--name folders).
	CacheDir string
	// Endpoint is the Hub's base URL without a trailing slash.
	Endpoint string
	// Token is the access token for gated and private repos; empty for none.
	Token string
	// TokenSource says where Token came from (for messages), e.g. "HF_TOKEN".
	TokenSource string
	// Offline is set by HF_HUB_OFFLINE=1: nothing is downloaded.
	Offline bool
}

// SettingsFromEnv reads Settings from the environment through getenv (os.Getenv
// when nil):
//   - HF_HUB_CACHE (or the older HUGGINGFACE_HUB_CACHE) for the cache folder,
//     else $HF_HOME/hub, with HF_HOME defaulting to $XDG_CACHE_HOME/huggingface
//     or ~/.cache/huggingface;
//   - HF_ENDPOINT for mirrors (and tests);
//   - HF_TOKEN (or HUGGING_FACE_HUB_TOKEN), else the token file at
//     $HF_TOKEN_PATH or $HF_HOME/token written by `huggingface-cli login`;
//   - HF_HUB_OFFLINE.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var s Settings
	home := getenv("HF_HOME")
	if home == "" {
		base := getenv("XDG_CACHE_HOME")
		if base == "" {
			userHome := getenv("HOME")
			if userHome == "" {
				h, err := os.UserHomeDir()
				if err != nil {
					return s, fmt.Errorf("hub: no HF_HOME, XDG_CACHE_HOME or home folder to put the model cache in: %w", err)
				}
				userHome = h
			}
			base = filepath.Join(userHome, ".cache")
		}
		home = filepath.Join(base, "huggingface")
	}
	home = expandHome(home, getenv)
	s.CacheDir = firstNonEmpty(getenv("HF_HUB_CACHE"), getenv("HUGGINGFACE_HUB_CACHE"))
	if s.CacheDir == "" {
		s.CacheDir = filepath.Join(home, "hub")
	}
	s.CacheDir = expandHome(s.CacheDir, getenv)

	s.Endpoint = strings.TrimRight(firstNonEmpty(getenv("HF_ENDPOINT"), DefaultEndpoint), "/")
	if !strings.HasPrefix(s.Endpoint, "http://") && !strings.HasPrefix(s.Endpoint, "https://") {
		return s, fmt.Errorf("hub: HF_ENDPOINT %q is not an http(s) URL", s.Endpoint)
	}

	switch {
	case strings.TrimSpace(getenv("HF_TOKEN")) != "":
		s.Token, s.TokenSource = strings.TrimSpace(getenv("HF_TOKEN")), "HF_TOKEN"
	case strings.TrimSpace(getenv("HUGGING_FACE_HUB_TOKEN")) != "":
		s.Token, s.TokenSource = strings.TrimSpace(getenv("HUGGING_FACE_HUB_TOKEN")), "HUGGING_FACE_HUB_TOKEN"
	default:
		path := firstNonEmpty(getenv("HF_TOKEN_PATH"), filepath.Join(home, "token"))
		path = expandHome(path, getenv)
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			s.Token, s.TokenSource = strings.TrimSpace(string(b)), path
		case !errors.Is(err, fs.ErrNotExist):
			return s, fmt.Errorf("hub: reading token file: %w", err)
		}
	}
	switch strings.ToLower(getenv("HF_HUB_OFFLINE")) {
	case "1", "true", "yes", "on":
		s.Offline = true
	}
	return s, nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// expandHome replaces a leading "~/" by the home folder, as Python's expanduser does.
func expandHome(p string, getenv func(string) string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home := getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return p
		}
		home = h
	}
	return filepath.Join(home, strings.TrimPrefix(p, "~"))
}
