//go:build unix

package hub

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// freeDisk returns the bytes available to us on the file system holding dir
// (or its nearest existing parent), or -1 if unknown.
func freeDisk(dir string) int64 {
	for {
		var st unix.Statfs_t
		if err := unix.Statfs(dir, &st); err == nil {
			return int64(st.Bavail) * int64(st.Bsize)
		} else if !os.IsNotExist(err) {
			return -1
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return -1
		}
		dir = parent
	}
}
