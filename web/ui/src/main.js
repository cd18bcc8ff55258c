// seekd's chat page: wiring, conversation state and streaming.
import { api, APIError, getKey, setKey, streamChat } from './api.js';
import { AssistantView, editView, h, userView } from './view.js';
import { initSidebar } from './sidebar.js';

const $ = (id) => document.getElementById(id);
const els = {
  messages: $('messages'), scroller: $('scroller'), empty: $('empty-state'), title: $('chat-title'),
  form: $('composer'), input: $('composer-input'), send: $('send'), stop: $('stop'),
  model: $('model'), thinking: $('thinking'), settingsBtn: $('settings-btn'), settings: $('settings'),
  temperature: $('temperature'), maxTokens: $('max-tokens'), system: $('system-prompt'),
  changeKey: $('change-key'), status: $('status'),
  keyDialog: $('key-dialog'), keyInput: $('key-input'), keyError: $('key-error'),
};

const SETTINGS = 'seekd.settings';
const state = {
  config: { api_key_required: false, history: false },
  conv: null, // the open conversation's metadata, null for an unsaved new chat
  messages: [], // {role, content, reasoning, model, usage, finish_reason, reasoning_ms, generation_ms, tool_calls}
  streaming: null, // {ctrl, done: Promise}
  sending: false, // a send is saving the user message before streaming starts
  editing: -1,
  views: new Map(), // index -> AssistantView
};

function announce(text) {
  els.status.textContent = '';
  // A fresh text node so screen readers announce repeats too.
  setTimeout(() => { els.status.textContent = text; }, 30);
}

// ---- settings ----------------------------------------------------------

function loadSettings() {
  let s = {};
  try { s = JSON.parse(localStorage.getItem(SETTINGS) || '{}') || {}; } catch { s = {}; }
  els.thinking.checked = s.thinking !== false;
  els.temperature.value = s.temperature ?? '';
  els.maxTokens.value = s.maxTokens ?? '';
  els.system.value = s.system ?? '';
  return s;
}

function saveSettings() {
  const s = {
    model: els.model.value, thinking: els.thinking.checked,
    temperature: els.temperature.value, maxTokens: els.maxTokens.value, system: els.system.value,
  };
  try { localStorage.setItem(SETTINGS, JSON.stringify(s)); } catch { /* storage disabled */ }
}

// ---- API key -----------------------------------------------------------

let keyPrompt = null;
/** Opens the key dialog (once, however many callers ask) and resolves when a key is saved. */
function askKey(message) {
  if (keyPrompt) return keyPrompt;
  keyPrompt = new Promise((resolve) => {
    els.keyError.textContent = message || '';
    els.keyInput.value = '';
    els.keyDialog.addEventListener('close', function onClose() {
      const key = els.keyInput.value.trim();
      if (!key) { els.keyDialog.showModal(); return; } // a key is required: ask again
      els.keyDialog.removeEventListener('close', onClose);
      setKey(key);
      keyPrompt = null;
      resolve(key);
    });
    els.keyDialog.showModal();
    els.keyInput.focus();
  });
  return keyPrompt;
}

/** Runs fn; on a 401 asks for a key and runs it once more. */
async function withKey(fn) {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof APIError) || e.status !== 401) throw e;
    await askKey(getKey() ? 'That key was not accepted. Enter a valid API key.' : '');
    return fn();
  }
}

// ---- models ------------------------------------------------------------

async function loadModels(saved) {
  let models = [];
  try {
    models = await withKey(api.models);
  } catch (e) {
    announce(`Could not load models: ${e.message}`);
  }
  const current = els.model.value || saved;
  els.model.replaceChildren(...models.map((m) => h('option', { value: m.id, text: m.id })));
  if (models.length === 0) els.model.append(h('option', { value: '', text: 'No models' }));
  if (models.some((m) => m.id === current)) els.model.value = current;
}

// ---- rendering ---------------------------------------------------------

function nearBottom() {
  const s = els.scroller;
  return s.scrollHeight - s.scrollTop - s.clientHeight < 120;
}

function scrollToBottom(force) {
  if (force || nearBottom()) els.scroller.scrollTop = els.scroller.scrollHeight;
}

function lastAssistantIndex() {
  for (let i = state.messages.length - 1; i >= 0; i--) if (state.messages[i].role === 'assistant') return i;
  return -1;
}

function renderAll() {
  const working = busy();
  const lastA = state.messages.length - 1 === lastAssistantIndex() ? lastAssistantIndex() : -1;
  state.views.clear();
  const nodes = state.messages.map((m, i) => {
    if (m.role === 'user') return i === state.editing ? editView(m, i) : userView(m, i, { editable: !working });
    if (m.role === 'assistant') {
      const v = new AssistantView(m, i, { last: i === lastA && !working, streaming: false });
      state.views.set(i, v);
      return v.el;
    }
    return h('article', { class: `msg ${m.role}`, 'data-index': i }, h('div', { class: 'msg-body plain', text: m.content }));
  });
  els.messages.replaceChildren(...nodes);
  els.empty.hidden = state.messages.length > 0;
  els.title.textContent = state.conv ? state.conv.title : 'New chat';
  document.title = state.conv ? `${state.conv.title} · seekd` : 'seekd';
}

function busy() { return Boolean(state.streaming) || state.sending; }

function setBusy(on) {
  els.send.hidden = on;
  els.stop.hidden = !on;
  for (const b of els.messages.querySelectorAll('[data-action="edit"],[data-action="regenerate"]')) b.disabled = on;
}

// ---- persistence -------------------------------------------------------

/** Saves msgs at position from (dropping anything stored from there on). */
async function persist(from, msgs) {
  if (!state.config.history) return;
  try {
    if (!state.conv) {
      const first = msgs.find((m) => m.role === 'user');
      const title = first ? first.content.trim().split('\n')[0].slice(0, 80) : 'New chat';
      state.conv = await withKey(() => api.create(title, els.model.value));
      history.replaceState(null, '', `#c=${encodeURIComponent(state.conv.id)}`);
      els.title.textContent = state.conv.title;
      document.title = `${state.conv.title} · seekd`;
    }
    await withKey(() => api.append(state.conv.id, msgs.map(toStored), from));
    sidebar.refresh(state.conv.id);
  } catch (e) {
    announce(`Not saved to history: ${e.message}`);
    console.error('history', e);
  }
}

function toStored(m) {
  const out = { role: m.role, content: m.content || '' };
  for (const k of ['reasoning', 'model', 'finish_reason']) if (m[k]) out[k] = m[k];
  for (const k of ['reasoning_ms', 'generation_ms']) if (m[k] > 0) out[k] = Math.round(m[k]);
  if (m.usage) out.usage = m.usage;
  if (m.tool_calls && m.tool_calls.length) out.tool_calls = m.tool_calls;
  return out;
}

// ---- chat --------------------------------------------------------------

function requestBody() {
  const messages = [];
  const system = els.system.value.trim();
  if (system) messages.push({ role: 'system', content: system });
  for (const m of state.messages) {
    if (m.role === 'assistant' && !m.content) continue; // stopped while thinking: nothing to send back
    messages.push({ role: m.role, content: m.content });
  }
  const body = {
    model: els.model.value,
    messages,
    thinking: { type: els.thinking.checked ? 'enabled' : 'disabled' },
  };
  const t = parseFloat(els.temperature.value);
  if (Number.isFinite(t)) body.temperature = t;
  const n = parseInt(els.maxTokens.value, 10);
  if (Number.isFinite(n) && n > 0) body.max_tokens = n;
  return body;
}

/** Streams an assistant answer to the messages so far and saves it at their end. */
async function generate() {
  const index = state.messages.length;
  const msg = { role: 'assistant', content: '', reasoning: '', model: els.model.value, usage: null,
    finish_reason: '', reasoning_ms: 0, generation_ms: 0, tool_calls: [] };
  const view = new AssistantView(msg, index, { last: true, streaming: true });
  els.messages.append(view.el);
  els.empty.hidden = true;
  scrollToBottom(true);

  const ctrl = new AbortController();
  let resolveDone;
  state.streaming = { ctrl, done: new Promise((r) => { resolveDone = r; }) };
  setBusy(true);

  const t0 = performance.now();
  let tFirst = 0;
  let tLast = 0;
  let answering = false;
  let clock = 0;
  if (els.thinking.checked) {
    view.startThinking();
    announce('Thinking');
    clock = setInterval(() => view.tickThinking(performance.now() - t0), 100);
  }
  const stopClock = (stopped) => {
    clearInterval(clock);
    clock = 0;
    msg.reasoning_ms = performance.now() - t0;
    view.endThinking(msg.reasoning_ms, stopped);
  };

  let error = null;
  try {
    await streamChat(requestBody(), ctrl.signal, (chunk) => {
      if (chunk.usage) msg.usage = chunk.usage;
      const choice = chunk.choices && chunk.choices[0];
      if (!choice) return;
      const d = choice.delta || {};
      const now = performance.now();
      const reasoning = d.reasoning_content ?? d.reasoning;
      if (reasoning) {
        if (!tFirst) tFirst = now;
        tLast = now;
        if (!clock && !answering) {
          view.startThinking();
          clock = setInterval(() => view.tickThinking(performance.now() - t0), 100);
        }
        msg.reasoning += reasoning;
        view.setReasoning(msg.reasoning);
      }
      if (d.content) {
        if (!tFirst) tFirst = now;
        tLast = now;
        if (!answering) {
          answering = true;
          if (view.thinking) stopClock(false);
          announce('Answering');
        }
        msg.content += d.content;
        view.setContent();
      }
      if (Array.isArray(d.tool_calls)) {
        tLast = now;
        for (const tc of d.tool_calls) {
          const i = tc.index ?? 0;
          const cur = msg.tool_calls[i] || (msg.tool_calls[i] = { id: '', type: 'function', function: { name: '', arguments: '' } });
          if (tc.id) cur.id = tc.id;
          if (tc.function && tc.function.name) cur.function.name += tc.function.name;
          if (tc.function && tc.function.arguments) cur.function.arguments += tc.function.arguments;
        }
        view.setToolCalls(msg.tool_calls);
      }
      if (choice.finish_reason) msg.finish_reason = choice.finish_reason;
      scrollToBottom(false);
    });
  } catch (e) {
    if (e.name === 'AbortError') msg.finish_reason = 'aborted';
    else error = e;
  }

  const stopped = msg.finish_reason === 'aborted';
  if (view.thinking && !answering) stopClock(stopped || !msg.content);
  clearInterval(clock);
  msg.generation_ms = tFirst && tLast > tFirst ? tLast - tFirst : 0;
  msg.tool_calls = msg.tool_calls.filter(Boolean);
  view.renderNow();
  state.streaming = null;

  if (error) {
    view.setError(error.message);
    view.finish(false);
    state.views.set(index, view);
    announce(`Error: ${error.message}`);
    setBusy(false);
    // Offer a retry in place of the failed answer (which is not saved).
    view.actions.append(h('button', { type: 'button', class: 'btn ghost small', 'data-action': 'retry' }, 'Retry'));
    if (error.status === 401) askKey('That key was not accepted. Enter a valid API key.');
    resolveDone();
    return;
  }

  state.messages.push(msg);
  announce(stopped ? 'Stopped' : 'Answer complete');
  renderAll();
  setBusy(false);
  scrollToBottom(false);
  if (msg.content || msg.reasoning || msg.tool_calls.length) await persist(index, [msg]);
  resolveDone();
}

async function stop() {
  if (!state.streaming) return;
  state.streaming.ctrl.abort();
  await state.streaming.done;
}

/** Sends a user message, replacing the conversation from position from on. */
async function send(text, from = state.messages.length) {
  if (busy() || !text.trim()) return;
  state.sending = true;
  state.editing = -1;
  state.messages.length = from;
  const msg = { role: 'user', content: text };
  state.messages.push(msg);
  renderAll();
  setBusy(true);
  scrollToBottom(true);
  try {
    await persist(from, [msg]);
  } finally {
    state.sending = false;
  }
  await generate();
}

async function regenerate(index) {
  if (busy()) return;
  state.messages.length = index;
  renderAll();
  await generate();
}

// ---- conversations -----------------------------------------------------

async function openConversation(id) {
  await stop();
  if (!id) {
    state.conv = null;
    state.messages = [];
    state.editing = -1;
    renderAll();
    sidebar.setActive('');
    return;
  }
  try {
    const c = await withKey(() => api.get(id));
    state.conv = c;
    state.messages = c.messages || [];
    state.editing = -1;
    if (c.model && [...els.model.options].some((o) => o.value === c.model)) els.model.value = c.model;
    renderAll();
    sidebar.setActive(c.id);
    scrollToBottom(true);
  } catch (e) {
    announce(`Could not open the conversation: ${e.message}`);
    history.replaceState(null, '', location.pathname + location.search);
    state.conv = null;
    state.messages = [];
    renderAll();
  }
}

function route() {
  const m = /^#c=([^&]+)/.exec(location.hash);
  return openConversation(m ? decodeURIComponent(m[1]) : '');
}

function newChat() {
  if (location.hash) history.pushState(null, '', location.pathname + location.search);
  openConversation('');
  els.input.focus();
}

// ---- events ------------------------------------------------------------

function autosize() {
  els.input.style.height = 'auto';
  els.input.style.height = `${Math.min(els.input.scrollHeight, 220)}px`;
}

async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Not a secure context (plain http on a LAN address): the old way.
    const ta = h('textarea', { class: 'visually-hidden' });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
  }
  const old = button.lastChild.textContent;
  button.lastChild.textContent = 'Copied';
  announce('Copied to the clipboard');
  setTimeout(() => { button.lastChild.textContent = old; }, 1500);
}

function wire() {
  els.form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = els.input.value;
    if (!text.trim() || busy()) return;
    els.input.value = '';
    autosize();
    send(text);
  });
  els.input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      els.form.requestSubmit();
    }
  });
  els.input.addEventListener('input', autosize);
  els.stop.addEventListener('click', () => { stop(); els.input.focus(); });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && state.streaming && !document.querySelector('dialog[open]')) stop();
  });

  els.settingsBtn.addEventListener('click', () => {
    const open = els.settings.hidden;
    els.settings.hidden = !open;
    els.settingsBtn.setAttribute('aria-expanded', String(open));
  });
  for (const el of [els.model, els.thinking, els.temperature, els.maxTokens, els.system]) {
    el.addEventListener('change', saveSettings);
  }
  els.changeKey.addEventListener('click', async () => {
    await askKey('');
    await reload();
  });
  els.keyDialog.addEventListener('cancel', (e) => e.preventDefault()); // Escape cannot skip a required key

  els.messages.addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (!b) return;
    if (b.classList.contains('copy-code')) {
      const code = b.closest('.code-block').querySelector('code');
      copyText(code.textContent, b);
      return;
    }
    const i = Number(b.dataset.index);
    switch (b.dataset.action) {
      case 'copy': copyText(state.messages[i].content, b); break;
      case 'regenerate': regenerate(i); break;
      case 'retry': regenerate(state.messages.length); break;
      case 'edit':
        state.editing = i;
        renderAll();
        els.messages.querySelector('.edit-input').focus();
        break;
      case 'cancel-edit':
        state.editing = -1;
        renderAll();
        break;
      case 'save-edit': {
        const text = els.messages.querySelector('.edit-input').value;
        if (text.trim()) send(text, i);
        break;
      }
      default:
    }
  });
  els.messages.addEventListener('keydown', (e) => {
    if (!e.target.classList.contains('edit-input')) return;
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      e.target.closest('article').querySelector('[data-action="save-edit"]').click();
    } else if (e.key === 'Escape') {
      e.stopPropagation();
      state.editing = -1;
      renderAll();
    }
  });
  window.addEventListener('hashchange', route);
}

const sidebar = initSidebar({
  api, withKey, announce,
  onNew: newChat,
  onDeleted: (id) => { if (state.conv && state.conv.id === id) newChat(); },
  onRenamed: (c) => { if (state.conv && state.conv.id === c.id) { state.conv.title = c.title; renderAll(); } },
});

async function reload() {
  const saved = loadSettings();
  await loadModels(saved.model);
  await sidebar.refresh(state.conv && state.conv.id);
}

async function init() {
  wire();
  const saved = loadSettings();
  try {
    state.config = await api.config();
  } catch {
    state.config = { api_key_required: false, history: false };
  }
  sidebar.setEnabled(state.config.history);
  els.changeKey.hidden = !state.config.api_key_required;
  if (state.config.api_key_required && !getKey()) await askKey('');
  await loadModels(saved.model);
  await Promise.all([sidebar.refresh(''), route()]);
  document.body.dataset.ready = '1';
  els.input.focus();
}

init();
