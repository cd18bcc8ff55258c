//go:build !linux && !darwin

package hub

// totalRAM returns -1: unknown on this system.
func totalRAM() int64 { return -1 }
