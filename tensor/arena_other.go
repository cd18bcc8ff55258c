//go:build !linux

package tensor

const hugePageSize = 2 << 20

// hugeAlloc returns nil: no huge-page memory on this platform, so Adopt
// keeps matrices where they are.
func hugeAlloc(int) ([]byte, error) { return nil, nil }

func hugeFree([]byte) error { return nil }

func release([]byte, bool) {}

func memAvailable() int64 { return 0 }

func hugePagesWork() bool { return false }
