// Package compat tests seekd's server with the real client libraries from
// npm: the Anthropic SDK (@anthropic-ai/sdk) and Ollama's (ollama), pinned
// in package-lock.json. The Go test starts a server over a scripted model
// (package servertest) and runs the node scripts against it. Install once:
//
//	npm ci --prefix server/compat
//
// Without node or server/compat/node_modules the test skips, except under
// CI=true where it fails. The OpenAI-side checks use the Go SDK (openai-go)
// in package server's own tests; the Python clients (openai-python,
// anthropic, ollama-python) cannot be installed here (no PyPI), so these
// npm libraries stand in for them.
package compat

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seekd/seekd/server/servertest"
)

const weatherCall = "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"location\": \"Tokyo\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>"

// script is the scripted model both client scripts talk to (V3.1's
// template): reasoning then an answer in thinking mode, a get_weather call
// when asked about the weather and an answer from its result, code for
// fill-in-the-middle, JSON when asked for it.
func script(prompt string) string {
	thinking := strings.HasSuffix(prompt, "<think>")
	switch {
	case strings.Contains(prompt, "<｜tool▁output▁end｜>"):
		return "It is sunny in Tokyo."
	case strings.Contains(prompt, "weather"):
		if thinking {
			return "I should check the weather.</think>" + weatherCall
		}
		return weatherCall
	case strings.Contains(prompt, "<｜fim▁end｜>"):
		return "    return a + b\n"
	case thinking:
		return "Two plus two is four.</think>The answer is 4."
	case strings.Contains(prompt, "JSON"):
		return `{"answer": 4}`
	case strings.Contains(prompt, "sky"):
		return "The sky is sunny today."
	}
	return "4"
}

// requireNode returns node's path, or skips (fails under CI=true) when node
// or the packages are missing.
func requireNode(t *testing.T, dir string) string {
	t.Helper()
	var missing []string
	node, err := exec.LookPath("node")
	if err != nil {
		missing = append(missing, "node (apt-get install nodejs)")
	}
	for _, pkg := range []string{"@anthropic-ai/sdk", "ollama"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			missing = append(missing, pkg+" (npm ci --prefix server/compat)")
		}
	}
	if len(missing) > 0 {
		msg := "client-library tests need " + strings.Join(missing, ", ")
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " — required when CI=true")
		}
		t.Skip(msg)
	}
	return node
}

func runNode(t *testing.T, node, dir string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		t.Log(line)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("%s timed out", args[0])
	}
	if err != nil {
		t.Fatalf("%s failed: %v", args[0], err)
	}
}

func TestClientLibraries(t *testing.T) {
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	node := requireNode(t, dir)
	ts := servertest.Start(t, servertest.Config{Script: script, Ollama: true})
	t.Run("anthropic-sdk", func(t *testing.T) {
		runNode(t, node, dir, "anthropic.mjs", "--url", ts.URL)
	})
	t.Run("ollama-js", func(t *testing.T) {
		runNode(t, node, dir, "ollama.mjs", "--url", ts.OllamaURL, "--model", "v3")
	})
}
