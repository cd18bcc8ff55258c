package tensor

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

const hugePageSize = 2 << 20

// hugeAlloc maps n bytes of anonymous memory (rounded up to whole huge
// pages, 2 MiB-aligned so that the kernel can back it with them) and asks
// for transparent huge pages.
func hugeAlloc(n int) ([]byte, error) {
	size := (n + hugePageSize - 1) &^ (hugePageSize - 1)
	raw, err := unix.MmapPtr(-1, 0, nil, uintptr(size+hugePageSize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, err
	}
	// Keep the 2 MiB-aligned part; unmap the rest.
	skip := uintptr(-int(uintptr(raw))) & (hugePageSize - 1)
	if skip > 0 {
		if err := unix.MunmapPtr(raw, skip); err != nil {
			return nil, err
		}
	}
	if tail := hugePageSize - skip; tail > 0 {
		if err := unix.MunmapPtr(unsafe.Add(raw, skip+uintptr(size)), tail); err != nil {
			return nil, err
		}
	}
	buf := unsafe.Slice((*byte)(unsafe.Add(raw, skip)), size)
	_ = unix.Madvise(buf, unix.MADV_HUGEPAGE) // best effort
	return buf, nil
}

func hugeFree(b []byte) error { return unix.MunmapPtr(unsafe.Pointer(&b[0]), uintptr(len(b))) }

// release drops the pages wholly inside b from the process; b stays
// readable. The pages of a file mapping stay in the page cache, unless
// evict is set: then they are dropped from it first (MADV_PAGEOUT, which
// frees clean file pages that no other process maps).
func release(b []byte, evict bool) {
	if len(b) == 0 {
		return
	}
	const page = 4096
	start := uintptr(unsafe.Pointer(&b[0]))
	lo := (start + page - 1) &^ (page - 1)
	hi := (start + uintptr(len(b))) &^ (page - 1)
	if hi <= lo {
		return
	}
	if evict {
		_ = unix.Madvise(b[lo-start:hi-start], unix.MADV_PAGEOUT) // best effort
	}
	_ = unix.Madvise(b[lo-start:hi-start], unix.MADV_DONTNEED)
}

// memAvailable returns MemAvailable from /proc/meminfo in bytes (0 when
// unknown).
func memAvailable() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) >= 2 && string(f[0]) == "MemAvailable:" {
			kb, err := strconv.ParseInt(string(f[1]), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// hugePagesWork reports whether transparent huge pages can back an arena
// (the kernel's setting is "always" or "madvise").
func hugePagesWork() bool {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	return err == nil && (bytes.Contains(b, []byte("[always]")) || bytes.Contains(b, []byte("[madvise]")))
}
