// DOM for chat messages. Text from the model or the user only ever enters the
// page as textContent or through renderMarkdown (sanitised).
import { renderMarkdown, typesetMath } from './markdown.js';

/** Creates an element with attributes and children (strings become text). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

function icon(name) { return h('span', { class: `i i-${name}`, 'aria-hidden': 'true' }); }

export function formatSeconds(ms) {
  const s = ms / 1000;
  return s < 10 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`;
}

/** One line of usage numbers for an assistant message. */
export function usageLine(msg) {
  const parts = [];
  const u = msg.usage;
  if (u) {
    if (u.prompt_tokens !== undefined) parts.push(`${u.prompt_tokens} prompt`);
    if (u.completion_tokens !== undefined) {
      const r = u.completion_tokens_details && u.completion_tokens_details.reasoning_tokens;
      parts.push(`${u.completion_tokens} completion${r ? ` (${r} reasoning)` : ''}`);
    }
    const hit = u.prompt_cache_hit_tokens ?? (u.prompt_tokens_details && u.prompt_tokens_details.cached_tokens);
    if (hit !== undefined && hit !== null) parts.push(`${hit} cache hit`);
    if (u.completion_tokens && msg.generation_ms > 0) {
      parts.push(`${(u.completion_tokens / (msg.generation_ms / 1000)).toFixed(1)} tok/s`);
    }
  }
  if (msg.finish_reason === 'aborted') parts.push('stopped');
  else if (msg.finish_reason === 'length') parts.push('cut off at max tokens');
  else if (msg.finish_reason === 'tool_calls') parts.push('tool call');
  return parts.join(' · ');
}

export function userView(msg, index, { editable }) {
  const body = h('div', { class: 'msg-body plain', text: msg.content });
  const actions = h('div', { class: 'msg-actions' });
  if (editable) {
    actions.append(h('button', { type: 'button', class: 'btn ghost small', 'data-action': 'edit', 'data-index': index },
      icon('edit'), 'Edit'));
  }
  return h('article', { class: 'msg user', 'data-index': index, 'aria-label': 'You said' }, body, actions);
}

/** The editor that replaces a user message while it is being edited. */
export function editView(msg, index) {
  const id = `edit-${index}`;
  const area = h('textarea', { id, class: 'edit-input', rows: '3' });
  area.value = msg.content;
  return h('article', { class: 'msg user editing', 'data-index': index, 'aria-label': 'Edit your message' },
    h('label', { for: id, class: 'visually-hidden', text: 'Edit message' }),
    area,
    h('div', { class: 'msg-actions' },
      h('button', { type: 'button', class: 'btn ghost small', 'data-action': 'cancel-edit' }, 'Cancel'),
      h('button', { type: 'button', class: 'btn primary small', 'data-action': 'save-edit', 'data-index': index }, 'Send')));
}

/** An assistant message; the streaming code updates it through its methods. */
export class AssistantView {
  constructor(msg, index, { last, streaming }) {
    this.msg = msg;
    this.index = index;
    this.thinking = null;
    this.body = h('div', { class: 'msg-body markdown' });
    this.tools = h('div', { class: 'tool-calls', hidden: true });
    this.error = h('p', { class: 'error', role: 'alert', hidden: true });
    this.meta = h('p', { class: 'msg-meta' });
    this.actions = h('div', { class: 'msg-actions' });
    this.el = h('article', { class: 'msg assistant', 'data-index': index, 'aria-label': 'Assistant said' },
      this.tools, this.body, this.error, this.meta, this.actions);
    this.renderTimer = 0;
    this.lastRender = 0;
    if (msg.reasoning) {
      this.ensureThinking();
      this.setReasoning(msg.reasoning);
      this.endThinking(msg.reasoning_ms, msg.finish_reason === 'aborted' && !msg.content, false);
    }
    if (msg.tool_calls && msg.tool_calls.length) this.setToolCalls(msg.tool_calls);
    if (streaming) {
      this.el.setAttribute('aria-busy', 'true');
    } else {
      this.renderNow();
      this.finish(last);
    }
  }

  ensureThinking() {
    if (this.thinking) return;
    const label = h('span', { class: 'thinking-label', text: 'Thinking' });
    const time = h('span', { class: 'thinking-time' });
    const text = h('div', { class: 'thinking-body' });
    const details = h('details', { class: 'thinking' }, h('summary', {}, icon('chevron'), label, time), text);
    this.thinking = { details, label, time, text, done: false };
    this.el.prepend(details);
  }

  /** Shows the live "Thinking" panel, open, with a running clock. */
  startThinking() {
    this.ensureThinking();
    this.thinking.details.open = true;
    this.thinking.details.classList.add('live');
  }

  tickThinking(ms) {
    if (this.thinking && !this.thinking.done) this.thinking.time.textContent = formatSeconds(ms);
  }

  setReasoning(text) {
    this.ensureThinking();
    this.thinking.text.textContent = text;
  }

  /** Freezes the clock and collapses the panel (the answer has started). */
  endThinking(ms, stopped, announce = true) {
    const t = this.thinking;
    if (!t) return;
    if (!t.text.textContent) { t.details.remove(); this.thinking = null; return; }
    t.done = true;
    t.details.classList.remove('live');
    t.details.open = false;
    t.label.textContent = stopped ? 'Stopped thinking after' : 'Thought for';
    t.time.textContent = ms > 0 ? formatSeconds(ms) : '';
    if (announce) t.details.querySelector('summary').setAttribute('aria-label', `${t.label.textContent} ${t.time.textContent}, show reasoning`);
  }

  setToolCalls(calls) {
    this.tools.hidden = false;
    this.tools.replaceChildren(...calls.filter(Boolean).map((c) => {
      const fn = c.function || {};
      return h('div', { class: 'tool-call' },
        h('span', { class: 'tool-name', text: `Tool call: ${fn.name || '?'}` }),
        h('pre', {}, h('code', { text: fn.arguments || '' })));
    }));
  }

  /** Re-renders the answer soon (at most ~12 times a second while streaming). */
  setContent() {
    if (this.renderTimer) return;
    const wait = Math.max(0, 80 - (performance.now() - this.lastRender));
    this.renderTimer = setTimeout(() => { this.renderTimer = 0; this.renderNow(); }, wait);
  }

  renderNow() {
    clearTimeout(this.renderTimer);
    this.renderTimer = 0;
    this.lastRender = performance.now();
    this.body.innerHTML = renderMarkdown(this.msg.content);
    typesetMath(this.body).catch(() => {});
  }

  setError(text) {
    this.error.hidden = !text;
    this.error.textContent = text || '';
  }

  /** Final state: usage line, actions; last says whether it may be regenerated. */
  finish(last) {
    this.el.removeAttribute('aria-busy');
    this.meta.textContent = usageLine(this.msg);
    this.actions.replaceChildren();
    if (this.msg.content) {
      this.actions.append(h('button', { type: 'button', class: 'btn ghost small', 'data-action': 'copy', 'data-index': this.index },
        icon('copy'), 'Copy'));
    }
    if (last) {
      this.actions.append(h('button', { type: 'button', class: 'btn ghost small', 'data-action': 'regenerate', 'data-index': this.index },
        icon('refresh'), 'Regenerate'));
    }
  }
}
