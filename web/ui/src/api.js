// HTTP clients for the OpenAI-compatible API (/v1) and the history API
// (/api/conversations). URLs are relative so the page also works when the
// server mounts it under a path prefix ending in "/".

const KEY_STORAGE = 'seekd.apiKey';

/** An API error with the HTTP status and the server's message. */
export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function getKey() {
  try { return localStorage.getItem(KEY_STORAGE) || ''; } catch { return ''; }
}

export function setKey(key) {
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  } catch { /* storage disabled: the key lives for this page only */ }
}

function headers(json) {
  const h = {};
  if (json) h['Content-Type'] = 'application/json';
  const key = getKey();
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

async function errorFrom(res) {
  let msg = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    if (body && body.error && body.error.message) msg = body.error.message;
  } catch { /* not JSON */ }
  return new APIError(res.status, msg);
}

async function call(method, url, body, signal) {
  const res = await fetch(url, {
    method,
    headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return null;
  return res.json();
}

export const api = {
  config: () => call('GET', 'api/config'),
  models: () => call('GET', 'v1/models').then((r) => (r && r.data) || []),
  list: (q) => call('GET', `api/conversations?limit=200&q=${encodeURIComponent(q || '')}`).then((r) => r.data),
  get: (id) => call('GET', `api/conversations/${encodeURIComponent(id)}`),
  create: (title, model) => call('POST', 'api/conversations', { title, model }),
  rename: (id, title) => call('PATCH', `api/conversations/${encodeURIComponent(id)}`, { title }),
  remove: (id) => call('DELETE', `api/conversations/${encodeURIComponent(id)}`),
  /** Appends messages; with replaceFrom, first drops the messages from that position on. */
  append: (id, messages, replaceFrom) => call('POST', `api/conversations/${encodeURIComponent(id)}/messages`,
    replaceFrom === undefined ? { messages } : { messages, replace_from: replaceFrom }).then((r) => r.data),
};

/**
 * Streams a chat completion. onChunk is called with each parsed SSE chunk.
 * Resolves when the stream ends ([DONE] or EOF); rejects with an AbortError
 * when signal aborts, or an APIError on an HTTP or stream error.
 */
export async function streamChat(body, signal, onChunk) {
  const res = await fetch('v1/chat/completions', {
    method: 'POST',
    headers: { ...headers(true), Accept: 'text/event-stream' },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
    signal,
  });
  if (!res.ok) throw await errorFrom(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let end;
    // Events end with a blank line; accept \n\n and \r\n\r\n.
    while ((end = buf.search(/\r?\n\r?\n/)) >= 0) {
      const event = buf.slice(0, end);
      buf = buf.slice(end).replace(/^\r?\n\r?\n/, '');
      const data = event.split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''))
        .join('\n');
      if (!data) continue; // a ": keep-alive" comment or an empty event
      if (data.startsWith('[DONE]')) { reader.cancel().catch(() => {}); return; }
      let chunk;
      try { chunk = JSON.parse(data); } catch { throw new APIError(0, 'The server sent a malformed stream chunk.'); }
      if (chunk && chunk.error) throw new APIError(0, chunk.error.message || 'The server reported an error.');
      onChunk(chunk);
    }
  }
}
