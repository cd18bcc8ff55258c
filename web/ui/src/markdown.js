// Markdown rendering of model output: marked for parsing, highlight.js for
// code, KaTeX (loaded on first use) for math, and DOMPurify over the result.
// Model output is untrusted: raw HTML in it is shown as text, images become
// links (no request leaves the page on the model's say-so), and the final HTML
// is sanitised before it touches the DOM.
import { Marked } from 'marked';
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import kotlin from 'highlight.js/lib/languages/kotlin';
import latex from 'highlight.js/lib/languages/latex';
import markdown from 'highlight.js/lib/languages/markdown';
import php from 'highlight.js/lib/languages/php';
import plaintext from 'highlight.js/lib/languages/plaintext';
import python from 'highlight.js/lib/languages/python';
import ruby from 'highlight.js/lib/languages/ruby';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import swift from 'highlight.js/lib/languages/swift';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

const languages = {
  bash, c, cpp, csharp, css, diff, go, java, javascript, json, kotlin, latex, markdown,
  php, plaintext, python, ruby, rust, shell, sql, swift, typescript, xml, yaml,
};
for (const [name, lang] of Object.entries(languages)) hljs.registerLanguage(name, lang);

const escapeMap = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHTML = (s) => String(s).replace(/[&<>"']/g, (ch) => escapeMap[ch]);

// Math: $$…$$ and \[…\] as blocks; $…$ and \(…\) inline. The TeX goes into a
// placeholder as text; typesetMath() turns placeholders into KaTeX output.
const mathBlock = {
  name: 'mathBlock',
  level: 'block',
  start(src) { const m = src.match(/\$\$|\\\[/); return m ? m.index : undefined; },
  tokenizer(src) {
    const m = /^ {0,3}(?:\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\])[ \t]*(?:\n|$)/.exec(src);
    if (m) return { type: 'mathBlock', raw: m[0], text: (m[1] ?? m[2]).trim() };
    return undefined;
  },
  renderer(tok) { return `<div class="math math-block" data-display="1">${escapeHTML(tok.text)}</div>\n`; },
};
const mathInline = {
  name: 'mathInline',
  level: 'inline',
  start(src) { const m = src.match(/\$|\\\(|\\\[/); return m ? m.index : undefined; },
  tokenizer(src) {
    let m = /^\$\$([^$]+?)\$\$/.exec(src) || /^\\\[([\s\S]+?)\\\]/.exec(src);
    if (m) return { type: 'mathInline', raw: m[0], text: m[1].trim(), display: true };
    // $…$: no space just inside the dollars, no digit right after the closing one
    // ("costs $5 and $10" stays text).
    m = /^\$(?!\s)((?:\\\$|[^$\n])+?)(?<!\s)\$(?!\d)/.exec(src) || /^\\\(([\s\S]+?)\\\)/.exec(src);
    if (m) return { type: 'mathInline', raw: m[0], text: m[1].trim(), display: false };
    return undefined;
  },
  renderer(tok) {
    const cls = tok.display ? 'math math-block' : 'math math-inline';
    return `<span class="${cls}"${tok.display ? ' data-display="1"' : ''}>${escapeHTML(tok.text)}</span>`;
  },
};

const marked = new Marked({ gfm: true, breaks: false });
marked.use({
  extensions: [mathBlock, mathInline],
  renderer: {
    code({ text, lang }) {
      const name = (lang || '').trim().split(/\s+/)[0].toLowerCase();
      let body;
      if (name && hljs.getLanguage(name)) {
        try { body = hljs.highlight(text, { language: name, ignoreIllegals: true }).value; } catch { body = escapeHTML(text); }
      } else {
        body = escapeHTML(text);
      }
      const label = name ? `<span class="code-lang">${escapeHTML(name)}</span>` : '<span class="code-lang">text</span>';
      return `<div class="code-block">${label}<button type="button" class="copy-code">Copy</button>` +
        `<pre><code class="hljs${name ? ` language-${escapeHTML(name)}` : ''}">${body}</code></pre></div>\n`;
    },
    html({ text }) { return escapeHTML(text); },
    image({ href, text }) {
      return `<a href="${escapeHTML(href)}" rel="noopener noreferrer" target="_blank">${escapeHTML(text || href)}</a>`;
    },
  },
});

const purify = DOMPurify();
purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});
const purifyConfig = {
  FORBID_TAGS: ['style', 'form', 'input', 'textarea', 'select', 'img', 'svg', 'math', 'iframe', 'object', 'embed'],
  FORBID_ATTR: ['style', 'id', 'name'],
  ALLOW_DATA_ATTR: true,
};

/** Returns sanitised HTML for a Markdown string. */
export function renderMarkdown(src) {
  let html;
  try {
    html = marked.parse(src || '');
  } catch {
    html = `<p>${escapeHTML(src)}</p>`;
  }
  return purify.sanitize(html, purifyConfig);
}

let mathModule = null;
function loadMath() {
  if (!mathModule) {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = 'assets/katex/katex.min.css';
    document.head.append(link);
    mathModule = import('./math.js');
  }
  return mathModule;
}

/** Renders the math placeholders inside el with KaTeX, loading it on first use. */
export async function typesetMath(el) {
  const nodes = el.querySelectorAll('.math:not([data-done])');
  if (nodes.length === 0) return;
  const { renderTeX } = await loadMath();
  for (const node of el.querySelectorAll('.math:not([data-done])')) {
    renderTeX(node.textContent, node, node.dataset.display === '1');
    node.dataset.done = '1';
  }
}
