package model

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/seekd/seekd/tensor"
)

// Weights in huge pages: products read MoE experts scattered over
// gigabytes far faster from anonymous memory backed by transparent huge
// pages than from the file's 4 KiB page-cache mapping (tensor.Arena), so
// the loaders copy the weight matrices there when they fit in memory with
// room to spare (tensor.NewArenaFor; SEEKD_WEIGHTS=mapped|resident
// overrides), one matrix at a time, releasing the file pages as they go
// (the sources map their files: AdoptMapped must not see heap memory).

// weightsLoader returns a loader over src whose matrices move into an
// arena when the weights' bytes allow it, and the closer that frees the
// arena after closing c (the loader frees it itself if loading fails).
func weightsLoader(src source, bytes int64, c interface{ Close() error }) (*loader, interface{ Close() error }) {
	if bytes <= 0 { // not a file of ours (a source parsed from memory)
		return &loader{src: src}, c
	}
	a := tensor.NewArenaFor(bytes)
	if a == nil {
		return &loader{src: src, mapped: true}, c
	}
	return &loader{src: src, arena: a, mapped: true}, closeBoth{c, a}
}

// closeBoth closes the source, then frees the arena.
type closeBoth struct {
	src   interface{ Close() error }
	arena *tensor.Arena
}

func (c closeBoth) Close() error { return errors.Join(c.src.Close(), c.arena.Close()) }

// fileBytes returns the size of a file, or the total size of the
// safetensors files in a folder (0 when unknown).
func fileBytes(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	if !st.IsDir() {
		return st.Size()
	}
	var n int64
	files, _ := filepath.Glob(filepath.Join(path, "*.safetensors"))
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			n += st.Size()
		}
	}
	return n
}
