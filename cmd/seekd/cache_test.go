package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCacheCommands(t *testing.T) {
	dir := t.TempDir()
	m := filepath.Join(dir, "0123abcd", "ab")
	os.MkdirAll(m, 0o700)
	os.WriteFile(filepath.Join(dir, "0123abcd", "label"), []byte("tiny\n"), 0o600)
	os.WriteFile(filepath.Join(m, "ab01.kv"), make([]byte, 2048), 0o600)
	out, errs, code := runCmd(t, "cache", "ls", "--cache-dir", dir)
	if code != 0 || !strings.Contains(out, "tiny") || !strings.Contains(out, "0123abcd") || !strings.Contains(out, "2.0 KiB") {
		t.Fatalf("ls: %d %q %q", code, out, errs)
	}
	out, _, code = runCmd(t, "cache", "stats", "--cache-dir", dir)
	if code != 0 || !strings.Contains(out, "blocks: 1") {
		t.Fatalf("stats: %q", out)
	}
	if _, errs, code := runCmd(t, "cache", "clear", "nosuch", "--cache-dir", dir); code != 2 {
		t.Fatalf("clear unknown: %d %q", code, errs)
	}
	if _, _, code := runCmd(t, "cache", "clear", "--cache-dir", dir); code != 0 {
		t.Fatal("clear failed")
	}
	if _, err := os.Stat(filepath.Join(dir, "0123abcd")); !os.IsNotExist(err) {
		t.Fatal("not cleared")
	}
}
