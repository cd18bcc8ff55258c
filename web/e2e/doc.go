// Package e2e runs seekd's chat page in headless Chromium (Debian's chromium
// driven by playwright-core from npm, see e2e.mjs) against seekd's real
// server: server.New with the page mounted (web.New), a scripted fixture
// model (web/webtest.Script over package server/servertest) that reasons
// and then answers, and the history in a temporary folder. Install once:
//
//	apt-get install -y chromium && npm ci --prefix web/e2e
//
// Without them the test skips, except under CI=true where it fails.
// SEEKD_E2E_URL=http://host:port runs the scenario against a running
// `seekd serve` instead (behaviour only, any model); SEEKD_UPDATE_SCREENSHOTS=1
// rewrites docs/web-desktop.png and docs/web-phone.png.
package e2e
