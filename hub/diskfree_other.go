//go:build !unix

package hub

// freeDisk returns -1: unknown on this system.
func freeDisk(string) int64 { return -1 }
