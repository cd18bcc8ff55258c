package model

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Digest identifies a model's weights and configuration cheaply: a SHA-256
// over config.json, and for every weight file its name, size, first MiB
// (which holds the safetensors or GGUF header) and 64 evenly spaced 4 KiB
// samples. Caches of computed state (the prefix cache) are keyed by it so
// they are only ever used with the weights that made them.
func Digest(path string) (string, error) {
	h := sha256.New()
	h.Write([]byte("seekd-model-digest-v1\x00"))
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("model: %w", err)
	}
	var files []string
	if st.IsDir() {
		if cfg, err := os.ReadFile(filepath.Join(path, "config.json")); err == nil {
			h.Write(cfg)
		}
		entries, err := os.ReadDir(path)
		if err != nil {
			return "", fmt.Errorf("model: %w", err)
		}
		for _, e := range entries {
			n := strings.ToLower(e.Name())
			if strings.HasSuffix(n, ".safetensors") || strings.HasSuffix(n, ".gguf") {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
		sort.Strings(files)
	} else {
		files = []string{path}
	}
	for _, f := range files {
		if err := digestFile(h, f); err != nil {
			return "", fmt.Errorf("model: digest: %w", err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

func digestFile(h io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	h.Write([]byte(filepath.Base(path) + "\x00"))
	binary.Write(h, binary.LittleEndian, size)
	head := min(size, 1<<20)
	if _, err := io.CopyN(h, f, head); err != nil {
		return err
	}
	const samples, chunk = 64, 4096
	buf := make([]byte, chunk)
	for i := int64(0); i < samples && size > head; i++ {
		off := head + (size-head)*i/samples
		n, err := f.ReadAt(buf, off)
		if err != nil && err != io.EOF {
			return err
		}
		h.Write(buf[:n])
	}
	return nil
}
