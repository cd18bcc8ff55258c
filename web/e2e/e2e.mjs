// Headless-Chromium scenario for seekd's chat page. Run by `go test ./web/e2e`
// (see web/webtest.Run), or by hand:
//
//   node e2e.mjs --url http://127.0.0.1:PORT [--fixture --model NAME]
//                [--key-url URL --key KEY] [--artifacts DIR] [--docs DIR]
//                [--chromium /usr/bin/chromium]
//
// --url is seekd's server: the page at / and the OpenAI-compatible API at
// /v1. With --fixture its model is the fixture of web/webtest (Script,
// served as --model) and its exact texts are checked; without it (any
// model) only the behaviour is.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    url: { type: 'string' },
    'key-url': { type: 'string' },
    key: { type: 'string' },
    fixture: { type: 'boolean', default: false },
    model: { type: 'string' },
    artifacts: { type: 'string' },
    docs: { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
});
if (!opt.url) throw new Error('usage: node e2e.mjs --url URL [--fixture --model NAME] [--key-url URL --key KEY] [--artifacts DIR] [--docs DIR]');
const base = opt.url.endsWith('/') ? opt.url : `${opt.url}/`;
const T = 15_000; // per-wait timeout

const started = Date.now();
let passed = 0;
async function step(name, fn) {
  const t0 = Date.now();
  await fn();
  passed++;
  console.log(`ok   ${name} (${Date.now() - t0} ms)`);
}

async function shot(page, name, docsName) {
  if (opt.artifacts) {
    mkdirSync(opt.artifacts, { recursive: true });
    await page.screenshot({ path: join(opt.artifacts, `${name}.png`) });
  }
  if (opt.docs && docsName) await page.screenshot({ path: join(opt.docs, docsName) });
}

const profile = mkdtempSync(join(tmpdir(), 'seekd-e2e-profile-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: opt.chromium,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 820 },
  colorScheme: 'light',
  reducedMotion: 'reduce',
});
const pageErrors = [];
function watch(page, allow = []) {
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !allow.some((re) => re.test(m.text()))) pageErrors.push(`console: ${m.text()}`);
  });
  page.setDefaultTimeout(T);
}

// axe-core's WCAG 2.1 A/AA rules, run in the page (page.evaluate is not
// subject to the page's Content-Security-Policy).
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
async function checkA11y(page, where) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
  assert.deepEqual(violations, [], `accessibility problems (${where})`);
}

// Helpers over the page.
const lastAnswer = (page) => page.locator('.msg.assistant').last();
async function ready(page) {
  await page.waitForSelector('body[data-ready="1"]');
}
async function waitAnswerDone(page) {
  // Finished: not busy, the Send button is back.
  await page.locator('#send').waitFor({ state: 'visible' });
  await page.waitForFunction(() => !document.querySelector('.msg.assistant[aria-busy]'));
}
async function sendMessage(page, text) {
  const box = page.locator('#composer-input');
  await box.fill(text);
  await box.press('Enter');
}

try {
  const page = context.pages()[0] || await context.newPage();
  watch(page);

  await step('page loads, models listed, message box focused', async () => {
    await page.goto(base);
    await ready(page);
    const models = await page.locator('#model option').allTextContents();
    assert.ok(models.length > 0 && models[0] !== 'No models', `models: ${models}`);
    if (opt.model) assert.deepEqual(models, [opt.model, 'deepseek-chat', 'deepseek-reasoner']);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'composer-input');
    await page.getByRole('heading', { name: 'What can I help with?' }).waitFor();
    // Security headers on the page itself.
    const res = await page.request.get(base);
    assert.match(res.headers()['content-security-policy'] || '', /script-src 'self'/);
  });

  await step('Shift+Enter adds a line, Enter sends', async () => {
    const box = page.locator('#composer-input');
    await box.click();
    await page.keyboard.type('Hello');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('world');
    assert.equal(await box.inputValue(), 'Hello\nworld');
    assert.equal(await page.locator('.msg.user').count(), 0);
    // Record the streaming states as the DOM changes, whatever the test's own pace.
    await page.evaluate(() => {
      const seen = { thinkingLive: false, answerAfterCollapse: false, answerWhileThinkingOpen: false };
      window.__seen = seen;
      new MutationObserver(() => {
        const a = [...document.querySelectorAll('.msg.assistant')].pop();
        if (!a || !a.hasAttribute('aria-busy')) return;
        const d = a.querySelector('details.thinking');
        const answer = a.querySelector('.msg-body').textContent;
        if (d && d.open && d.querySelector('.thinking-body').textContent.length > 10 &&
            /\d/.test(d.querySelector('.thinking-time').textContent) && answer === '') seen.thinkingLive = true;
        if (answer && d && !d.open) seen.answerAfterCollapse = true;
        if (answer && d && d.open) seen.answerWhileThinkingOpen = true;
      }).observe(document.getElementById('messages'), { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await page.keyboard.press('Enter');
    await page.locator('.msg.user').first().waitFor();
    assert.equal(await page.locator('.msg.user .msg-body').first().textContent(), 'Hello\nworld');
    assert.equal(await box.inputValue(), '');
  });

  await step('reasoning streams live in an open Thinking panel before the answer', async () => {
    await page.waitForFunction(() => window.__seen.thinkingLive, null, { polling: 50 });
    await shot(page, '01-thinking-live');
    await waitAnswerDone(page);
    const seen = await page.evaluate(() => window.__seen);
    assert.deepEqual(seen, { thinkingLive: true, answerAfterCollapse: true, answerWhileThinkingOpen: false });
    const a = lastAnswer(page);
    assert.equal(await a.locator('details.thinking').getAttribute('open'), null, 'Thinking panel collapsed');
    assert.match(await a.locator('details.thinking summary').textContent(), /Thought for\s*\d+(\.\d)? s/);
    if (opt.fixture) assert.match(await a.locator('.thinking-body').textContent(), /The user wrote "Hello world"/);
    assert.match(await a.locator('.msg-meta').textContent(), /\d+ prompt · \d+ completion.*tok\/s/);
  });

  if (opt.fixture) {
    await step('Markdown, highlighted code with a copy button, math, no HTML injection', async () => {
      const a = lastAnswer(page);
      await a.getByRole('heading', { name: 'Answer', exact: true }).waitFor();
      assert.equal(await a.locator('strong').first().textContent(), 'Hello world');
      assert.ok(await a.locator('.code-block code.hljs.language-go .hljs-keyword').count() > 0, 'go keywords highlighted');
      await a.locator('.katex').nth(1).waitFor(); // KaTeX loaded lazily; inline + display
      assert.equal(await a.locator('.math-block .katex-display, .math-block .katex').count() > 0, true);
      assert.equal(await a.locator('li').count(), 2);
      assert.equal(await page.evaluate(() => window.__xss), undefined, 'model HTML must not run');
      assert.equal(await page.locator('#messages img, #messages script').count(), 0);
      assert.match(await a.textContent(), /<img src=x onerror=/);
      const bad = a.locator('a', { hasText: 'a bad link' });
      assert.ok(!/javascript:/i.test((await bad.getAttribute('href')) || ''), 'javascript: link removed');
      assert.match(await a.locator('.msg-meta').textContent(), /\(\d+ reasoning\) · \d+ cache hit · [\d.]+ tok\/s/);
      await checkA11y(page, 'desktop, answer with code and math');
      await page.emulateMedia({ colorScheme: 'dark' });
      await checkA11y(page, 'desktop, dark theme');
      await shot(page, '02-desktop-dark');
      await page.emulateMedia({ colorScheme: 'light' });
      const copy = a.locator('.copy-code');
      await copy.click();
      await page.waitForFunction((el) => el.textContent === 'Copied', await copy.elementHandle());
    });

    await step('desktop screenshot with the reasoning shown', async () => {
      const a = lastAnswer(page);
      await a.locator('details.thinking summary').click();
      assert.notEqual(await a.locator('details.thinking').getAttribute('open'), null);
      await page.locator('#scroller').evaluate((el) => { el.scrollTop = 0; });
      await shot(page, '02-desktop-answer', 'web-desktop.png');
      await a.locator('details.thinking summary').click();
    });

    await step('regenerate replaces the answer', async () => {
      await lastAnswer(page).getByRole('button', { name: 'Regenerate' }).click();
      await page.locator('.msg.assistant[aria-busy]').waitFor();
      await waitAnswerDone(page);
      await lastAnswer(page).getByRole('heading', { name: 'Answer', exact: true }).waitFor();
      assert.equal(await page.locator('.msg.assistant').count(), 1);
    });

    await step('edit and resend rewrites the conversation from that message', async () => {
      await page.locator('.msg.user').first().getByRole('button', { name: 'Edit' }).click();
      const edit = page.getByLabel('Edit message');
      await edit.fill('Hello again');
      await edit.press('Enter');
      await waitAnswerDone(page);
      assert.equal(await lastAnswer(page).locator('strong').first().textContent(), 'Hello again');
      assert.equal(await page.locator('.msg.user').count(), 1);
      assert.equal(await page.locator('.msg.user .msg-body').textContent(), 'Hello again');
      assert.equal(await page.locator('.msg.assistant').count(), 1);
    });

    await step('thinking off, temperature and max tokens are sent', async () => {
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.getByLabel('Temperature').fill('0.3');
      await page.getByLabel('Max tokens').fill('512');
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.getByText('Thinking', { exact: true }).click(); // the switch's label
      assert.equal(await page.locator('#thinking').isChecked(), false);
      await sendMessage(page, 'No thinking please');
      await waitAnswerDone(page);
      assert.equal(await lastAnswer(page).locator('details.thinking').count(), 0);
      assert.equal(await lastAnswer(page).locator('strong').first().textContent(), 'No thinking please');
      await page.getByText('Thinking', { exact: true }).click();
      assert.equal(await page.locator('#thinking').isChecked(), true);
    });

    await step('a server error is shown with a retry button', async () => {
      await sendMessage(page, 'please fail');
      await lastAnswer(page).getByRole('alert').filter({ hasText: 'failed on purpose' }).waitFor();
      await lastAnswer(page).getByRole('button', { name: 'Retry' }).waitFor();
      await page.locator('#send').waitFor({ state: 'visible' });
    });

    await step('a tool call in a reply is shown', async () => {
      await page.getByText('Thinking', { exact: true }).click();
      await sendMessage(page, 'What is the weather in Tokyo?');
      await waitAnswerDone(page);
      const a = lastAnswer(page);
      await a.getByText('Tool call: get_weather').waitFor();
      assert.equal(await a.locator('.tool-call code').textContent(), '{"location": "Tokyo"}');
      assert.match(await a.locator('.msg-meta').textContent(), /tool call/);
      await page.getByText('Thinking', { exact: true }).click();
    });
  }

  await step('stop aborts a running answer', async () => {
    if (!opt.fixture) {
      await page.getByRole('button', { name: 'Settings' }).click();
      await page.getByLabel('Max tokens').fill('4000');
    }
    await sendMessage(page, 'Tell me a long story');
    await page.waitForFunction(() => {
      const a = [...document.querySelectorAll('.msg.assistant')].pop();
      return a && a.hasAttribute('aria-busy') && a.querySelector('.msg-body').textContent.length > 80;
    }, null, { polling: 100 });
    await page.getByRole('button', { name: 'Stop generating' }).click();
    await waitAnswerDone(page);
    const a = lastAnswer(page);
    assert.match(await a.locator('.msg-meta').textContent(), /stopped/);
    const len = (await a.locator('.msg-body').textContent()).length;
    await page.waitForTimeout(300);
    assert.equal((await a.locator('.msg-body').textContent()).length, len, 'no text after stop');
    await shot(page, '03-stopped');
  });

  const expectedTitle = 'Hello';
  await step('reload keeps the conversation; it opens from the list', async () => {
    await page.goto(base); // no #c=..., so a new chat
    await ready(page);
    const item = page.locator('#conversation-list .conv-link');
    await item.first().waitFor();
    assert.equal(await item.count(), 1);
    assert.equal(await item.first().textContent(), expectedTitle);
    await item.first().click();
    await page.locator('.msg.assistant').first().waitFor();
    assert.equal(await item.first().getAttribute('aria-current'), 'page');
    assert.equal(await page.locator('#chat-title').textContent(), expectedTitle);
    const answers = page.locator('.msg.assistant');
    if (opt.fixture) {
      assert.equal(await answers.count(), 4); // hello again, no thinking, the tool call, the stopped story
      assert.equal(await page.locator('.msg.user').count(), 5);
      await answers.nth(2).getByText('Tool call: get_weather').waitFor();
      const first = answers.first();
      assert.match(await first.locator('details.thinking summary').textContent(), /Thought for/);
      assert.match(await first.locator('.msg-meta').textContent(), /cache hit · [\d.]+ tok\/s/);
      await first.locator('.katex').first().waitFor();
    }
    assert.match(await answers.last().locator('.msg-meta').textContent(), /stopped/);
    // Reloading with the conversation open reopens it.
    await page.reload();
    await ready(page);
    await page.locator('.msg.assistant').first().waitFor();
    assert.equal(await page.locator('#chat-title').textContent(), expectedTitle);
  });

  await step('search, rename', async () => {
    const search = page.getByRole('searchbox', { name: 'Search conversations' });
    await search.fill('long story');
    await page.waitForFunction(() => document.querySelectorAll('#conversation-list li').length === 1);
    await search.fill('zzzz-no-such-text');
    await page.getByText('No conversations match').waitFor();
    await search.fill('');
    await page.locator('#conversation-list li').first().waitFor();
    await page.getByRole('button', { name: `Rename ${expectedTitle}` }).click();
    const input = page.getByRole('textbox', { name: 'Title' });
    await input.fill('Renamed chat');
    await input.press('Enter');
    await page.locator('#conversation-list .conv-link', { hasText: 'Renamed chat' }).waitFor();
    assert.equal(await page.locator('#chat-title').textContent(), 'Renamed chat');
  });

  await step('keyboard focus is visible', async () => {
    await page.locator('#search').focus();
    await page.keyboard.press('Tab');
    const style = await page.evaluate(() => {
      const el = document.activeElement;
      const cs = getComputedStyle(el);
      return { tag: el.tagName, outline: cs.outlineStyle, width: cs.outlineWidth };
    });
    assert.notEqual(style.outline, 'none', `focused ${style.tag} shows no outline`);
  });

  await step('delete removes the conversation for good', async () => {
    await page.getByRole('button', { name: 'Delete Renamed chat' }).click();
    await page.getByRole('dialog', { name: 'Delete conversation?' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No conversations yet.').waitFor();
    assert.equal(await page.locator('#chat-title').textContent(), 'New chat');
    assert.equal(await page.locator('.msg').count(), 0);
    await page.reload();
    await ready(page);
    assert.equal(await page.locator('#conversation-list li').count(), 0);
    await page.getByText('No conversations yet.').waitFor();
  });

  await step('phone width: drawer sidebar, chat works', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(base);
    await ready(page);
    assert.equal(await page.locator('#sidebar').isVisible(), false, 'sidebar hidden on a phone');
    await sendMessage(page, opt.fixture ? 'Hello from a phone' : 'Hi');
    await waitAnswerDone(page);
    const toggle = page.getByRole('button', { name: 'Show conversations' });
    await toggle.click();
    await page.locator('#sidebar').waitFor({ state: 'visible' });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await page.locator('#conversation-list li').first().waitFor();
    await shot(page, '05-phone-drawer');
    await checkA11y(page, 'phone, drawer open');
    await page.keyboard.press('Escape');
    await page.locator('#sidebar').waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate(() => document.activeElement.id), 'open-sidebar');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no horizontal scroll (${width}px)`);
    await lastAnswer(page).locator('details.thinking summary').click().catch(() => {});
    await page.locator('#scroller').evaluate((el) => { el.scrollTop = 0; });
    await shot(page, '04-phone', 'web-phone.png');
    await page.setViewportSize({ width: 1280, height: 820 });
  });

  if (opt['key-url']) {
    await step('a server that needs a key asks for it and then works', async () => {
      const kp = await context.newPage();
      watch(kp, [/401 \(Unauthorized\)/]);
      await kp.goto(opt['key-url'].endsWith('/') ? opt['key-url'] : `${opt['key-url']}/`);
      const dialog = kp.getByRole('dialog', { name: 'API key required' });
      await dialog.waitFor();
      await dialog.getByLabel('API key').fill('sk-wrong');
      await dialog.getByRole('button', { name: 'Save key' }).click();
      await dialog.getByText('not accepted').waitFor();
      await dialog.getByLabel('API key').fill(opt.key);
      await dialog.getByRole('button', { name: 'Save key' }).click();
      await ready(kp);
      assert.ok((await kp.locator('#model option').count()) > 0);
      assert.notEqual(await kp.locator('#model option').first().textContent(), 'No models');
      await sendMessage(kp, 'Hello with a key');
      await waitAnswerDone(kp);
      await kp.locator('#conversation-list li').first().waitFor();
      assert.equal(await kp.evaluate(() => localStorage.getItem('seekd.apiKey')), opt.key);
      await kp.close();
    });
  }

  assert.deepEqual(pageErrors, [], 'errors in the page');
  console.log(`${passed} passed, 0 failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
} catch (e) {
  const page = context.pages()[context.pages().length - 1];
  if (page) await shot(page, 'failure').catch(() => {});
  if (pageErrors.length) console.error(pageErrors.join('\n'));
  console.error(`FAIL after ${passed} steps: ${e.stack || e}`);
  process.exitCode = 1;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
