package history

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// AppName is the folder name seekd uses inside the platform's data folder.
const AppName = "seekd"

// DefaultDir returns seekd's data folder for this user and platform, the
// default of `seekd serve --data-dir`:
//
//   - Linux and other Unix: $XDG_DATA_HOME/seekd, else ~/.local/share/seekd
//   - macOS: ~/Library/Application Support/seekd
//   - Windows: %LocalAppData%\seekd
//
// It does not create the folder; [Open] does.
func DefaultDir() (string, error) {
	return defaultDir(runtime.GOOS, os.Getenv, os.UserHomeDir)
}

// defaultDir is DefaultDir with its inputs passed in, so every platform's rule
// can be tested on any platform.
func defaultDir(goos string, getenv func(string) string, home func() (string, error)) (string, error) {
	switch goos {
	case "windows":
		if d := getenv("LocalAppData"); d != "" {
			return filepath.Join(d, AppName), nil
		}
		return "", errors.New("history: data folder: %LocalAppData% is not set")
	case "darwin", "ios":
		h, err := home()
		if err != nil {
			return "", fmt.Errorf("history: data folder: %w", err)
		}
		return filepath.Join(h, "Library", "Application Support", AppName), nil
	case "plan9":
		h, err := home()
		if err != nil {
			return "", fmt.Errorf("history: data folder: %w", err)
		}
		return filepath.Join(h, "lib", AppName), nil
	default:
		// XDG Base Directory spec: a relative $XDG_DATA_HOME is invalid and ignored.
		if d := getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
			return filepath.Join(d, AppName), nil
		}
		h, err := home()
		if err != nil {
			return "", fmt.Errorf("history: data folder: %w", err)
		}
		return filepath.Join(h, ".local", "share", AppName), nil
	}
}
