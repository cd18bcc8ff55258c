// Package e2e runs seekd's chat page in headless Chromium (Debian's chromium
// driven by playwright-core from npm, see e2e.mjs) against the web handler
// and a fake OpenAI-compatible backend. Install once:
//
//	apt-get install -y chromium && npm ci --prefix web/e2e
//
// Without them the test skips, except under CI=true where it fails.
// SEEKD_E2E_BACKEND=http://host:port runs the page against a real server's
// /v1 instead of the fake; SEEKD_UPDATE_SCREENSHOTS=1 rewrites
// docs/web-desktop.png and docs/web-phone.png.
package e2e
