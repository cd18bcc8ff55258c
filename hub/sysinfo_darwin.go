package hub

import "golang.org/x/sys/unix"

// totalRAM returns the machine's memory in bytes, or -1 if unknown.
func totalRAM() int64 {
	n, err := unix.SysctlUint64("hw.memsize")
	if err != nil {
		return -1
	}
	return int64(n)
}
