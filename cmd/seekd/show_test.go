package main

import (
	"strings"
	"testing"
)

func TestShowCommand(t *testing.T) {
	out, errs, code := runCmd(t, "show", "../../testdata/distill/tiny-r1-distill-qwen/hf")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"qwen2 (safetensors)", "capabilities       completion, thinking, tools", "BF16", "context length     131072"} {
		if !strings.Contains(out, want) {
			t.Errorf("show output lacks %q:\n%s", want, out)
		}
	}
	out, _, code = runCmd(t, "show", "--template", "../../testdata/distill/tiny-r1-distill-qwen/hf")
	if code != 0 || !strings.Contains(out, "<｜Assistant｜>") {
		t.Fatalf("--template: %d %q", code, out)
	}
	if _, errs, code := runCmd(t, "show", "no-such-org/no-such-model"); code != 2 || !strings.Contains(errs, "pull") {
		t.Fatalf("missing model: %d %q", code, errs)
	}
}
