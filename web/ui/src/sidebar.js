// The conversation list: search, open, rename, delete; a drawer on narrow screens.
import { h } from './view.js';

const $ = (id) => document.getElementById(id);

export function initSidebar({ api, withKey, announce, onNew, onDeleted, onRenamed }) {
  const els = {
    app: $('app'), sidebar: $('sidebar'), list: $('conversation-list'), empty: $('conv-empty'),
    off: $('history-off'), search: $('search'), open: $('open-sidebar'), close: $('close-sidebar'),
    scrim: $('scrim'), newChat: $('new-chat'), newChatTop: $('new-chat-top'),
    renameDialog: $('rename-dialog'), renameInput: $('rename-input'),
    deleteDialog: $('delete-dialog'), deleteText: $('delete-text'),
  };
  let enabled = true;
  let active = '';
  let items = [];
  let searchTimer = 0;
  const narrow = window.matchMedia('(max-width: 800px)');

  function isDrawerOpen() { return els.app.classList.contains('drawer-open'); }

  function openDrawer() {
    els.app.classList.add('drawer-open');
    els.scrim.hidden = false;
    els.open.setAttribute('aria-expanded', 'true');
    els.search.focus();
  }

  function closeDrawer(focusToggle = true) {
    if (!isDrawerOpen()) return;
    els.app.classList.remove('drawer-open');
    els.scrim.hidden = true;
    els.open.setAttribute('aria-expanded', 'false');
    if (focusToggle) els.open.focus();
  }

  function render() {
    els.list.replaceChildren(...items.map((c) => {
      const link = h('a', { class: 'conv-link', href: `#c=${encodeURIComponent(c.id)}`, text: c.title,
        'aria-current': c.id === active ? 'page' : false });
      return h('li', { class: 'conv-item', 'data-id': c.id },
        link,
        h('button', { type: 'button', class: 'icon-btn small', 'data-action': 'rename', 'aria-label': `Rename ${c.title}` },
          h('span', { class: 'i i-edit', 'aria-hidden': 'true' })),
        h('button', { type: 'button', class: 'icon-btn small', 'data-action': 'delete', 'aria-label': `Delete ${c.title}` },
          h('span', { class: 'i i-trash', 'aria-hidden': 'true' })));
    }));
    const q = els.search.value.trim();
    els.empty.hidden = !enabled || items.length > 0;
    els.empty.textContent = q ? `No conversations match “${q}”.` : 'No conversations yet.';
  }

  async function refresh(activeId) {
    if (activeId !== undefined) active = activeId || '';
    if (!enabled) return;
    try {
      items = await withKey(() => api.list(els.search.value.trim()));
    } catch (e) {
      announce(`Could not load conversations: ${e.message}`);
      items = [];
    }
    render();
  }

  function setActive(id) {
    active = id || '';
    for (const a of els.list.querySelectorAll('.conv-link')) {
      if (a.closest('li').dataset.id === active) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  }

  function ask(dialog) {
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue), { once: true });
      dialog.returnValue = '';
      dialog.showModal();
    });
  }

  async function rename(c, button) {
    els.renameInput.value = c.title;
    const p = ask(els.renameDialog);
    els.renameInput.select();
    const ok = (await p) === 'ok';
    const title = els.renameInput.value.trim();
    if (ok && title && title !== c.title) {
      try {
        const updated = await withKey(() => api.rename(c.id, title));
        onRenamed(updated);
        announce(`Renamed to ${updated.title}`);
        await refresh();
      } catch (e) {
        announce(`Could not rename: ${e.message}`);
      }
    }
    const again = els.list.querySelector(`li[data-id="${CSS.escape(c.id)}"] [data-action="rename"]`);
    (again || button).focus();
  }

  async function remove(c) {
    els.deleteText.textContent = `“${c.title}” and its messages will be deleted for good.`;
    if ((await ask(els.deleteDialog)) !== 'ok') return;
    try {
      await withKey(() => api.remove(c.id));
      announce(`Deleted ${c.title}`);
      onDeleted(c.id);
      await refresh();
      els.search.focus();
    } catch (e) {
      announce(`Could not delete: ${e.message}`);
    }
  }

  for (const d of [els.renameDialog, els.deleteDialog]) {
    d.addEventListener('click', (e) => { if (e.target.closest('[data-close]')) d.close('cancel'); });
  }
  els.list.addEventListener('click', (e) => {
    const li = e.target.closest('li');
    if (!li) return;
    const c = items.find((x) => x.id === li.dataset.id);
    const b = e.target.closest('button');
    if (b && c && b.dataset.action === 'rename') rename(c, b);
    else if (b && c && b.dataset.action === 'delete') remove(c);
    else if (e.target.closest('a') && narrow.matches) closeDrawer(false);
  });
  els.search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => refresh(), 200);
  });
  els.open.addEventListener('click', () => (isDrawerOpen() ? closeDrawer() : openDrawer()));
  els.close.addEventListener('click', () => closeDrawer());
  els.scrim.addEventListener('click', () => closeDrawer());
  els.sidebar.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && isDrawerOpen()) { e.stopPropagation(); closeDrawer(); }
  });
  const newChat = () => { closeDrawer(false); onNew(); };
  els.newChat.addEventListener('click', newChat);
  els.newChatTop.addEventListener('click', newChat);
  narrow.addEventListener('change', () => { if (!narrow.matches) closeDrawer(false); });

  return {
    refresh,
    setActive,
    setEnabled(on) {
      enabled = on;
      els.off.hidden = on;
      els.search.closest('.search').hidden = !on;
      if (!on) { items = []; render(); els.empty.hidden = true; }
    },
  };
}
