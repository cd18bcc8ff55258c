package webtest

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
)

// DefaultChromium is where Debian's chromium package puts the browser.
const DefaultChromium = "/usr/bin/chromium"

// Scenario is one run of the browser script web/e2e/e2e.mjs.
type Scenario struct {
	// Dir is the folder with e2e.mjs, package.json and node_modules (web/e2e).
	Dir string
	// URL is the base URL of a server that serves the page at "/" and the
	// OpenAI-compatible API at "/v1": seekd's server over the fixture model,
	// or any running `seekd serve`.
	URL string
	// KeyURL, when set, is a second server that requires the API key Key;
	// the script checks that the page asks for the key and then works.
	KeyURL, Key string
	// Fixture says the model is the fixture (Script, served as
	// FixtureModel), so the scenario may check its exact texts (Markdown,
	// code, math, unsafe HTML, a tool call, a failure). With another model
	// it checks only the shape: reasoning before answer, stop, history.
	Fixture bool
	// Artifacts is the folder for screenshots (created if missing).
	Artifacts string
	// DocsDir, when set, receives web-desktop.png and web-phone.png.
	DocsDir string
	// Timeout bounds the whole run (default 3 minutes: the run takes about
	// 30 s on an idle 2-core machine, and a loaded CI machine may triple it).
	Timeout time.Duration
}

// Run runs the scenario with Node.js, playwright-core and Debian's Chromium.
// When node, Dir/node_modules or the browser is missing it skips the test,
// unless the environment has CI=true: there a missing tool is a failure.
// CHROMIUM overrides the browser's path.
func Run(t testing.TB, sc Scenario) {
	t.Helper()
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = DefaultChromium
	}
	var missing []string
	node, err := exec.LookPath("node")
	if err != nil {
		missing = append(missing, "node (apt-get install nodejs)")
	}
	if _, err := os.Stat(filepath.Join(sc.Dir, "node_modules", "playwright-core")); err != nil {
		missing = append(missing, "playwright-core (npm ci --prefix "+sc.Dir+")")
	}
	if _, err := os.Stat(chromium); err != nil {
		missing = append(missing, chromium+" (apt-get install chromium)")
	}
	if len(missing) > 0 {
		msg := "browser test needs " + strings.Join(missing, ", ")
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " — required when CI=true")
		}
		t.Skip(msg)
	}

	timeout := sc.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	args := []string{"e2e.mjs", "--url", sc.URL, "--chromium", chromium}
	if sc.KeyURL != "" {
		args = append(args, "--key-url", sc.KeyURL, "--key", sc.Key)
	}
	if sc.Fixture {
		args = append(args, "--fixture", "--model", FixtureModel)
	}
	if sc.Artifacts != "" {
		if err := os.MkdirAll(sc.Artifacts, 0o755); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--artifacts", sc.Artifacts)
	}
	if sc.DocsDir != "" {
		args = append(args, "--docs", sc.DocsDir)
	}
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = sc.Dir
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		t.Log(line)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("browser scenario timed out after %v", timeout)
	}
	if err != nil {
		t.Fatalf("browser scenario failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
	}
	t.Logf("browser scenario passed in %v", time.Since(start).Round(time.Millisecond))
}
