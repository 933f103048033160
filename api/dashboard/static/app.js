// The dashboard shell: a hash router (`#/silica/1`), one page module per section loaded
// on first visit, and a poll that re-reads the visible page every POLL_MS while the tab
// is visible. Unchanged answers are 304s (ETags), and a page is redrawn only when its
// data changed, so a user watching the devnet sees windows get attested without
// reloading, and keyboard focus survives the redraws.

import { get } from './lib/api.js';
import { esc, int, time } from './lib/format.js';

/** How often the visible page re-reads the API. */
export const POLL_MS = 2000;

const PAGES = {
  network: () => import('./pages/network.js'),
  silica: () => import('./pages/silica.js'),
  amm: () => import('./pages/amm.js'),
  lending: () => import('./pages/lending.js'),
  governance: () => import('./pages/governance.js'),
};

/** Sections shown only when the API has something for them. */
const OPTIONAL = {
  lending: { path: '/v1/lending/pools', has: (d) => d.pools.length > 0 },
  governance: { path: '/v1/governance/proposals', has: (d) => d.proposals.length > 0 },
};

const main = document.getElementById('main');
const statusLine = document.getElementById('status');
const alertLine = document.getElementById('alert');

let shown = null; // { key, page, params, json, cleanup }
let busy = false;
let pending = null; // a render asked for while one ran: whether it was a navigation
let polls = 0;

function parseRoute() {
  const parts = location.hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter(Boolean)
    .map(decodeURIComponent);
  const name = Object.hasOwn(PAGES, parts[0] ?? '') ? parts[0] : 'network';
  return { name, params: parts.slice(1), key: [name, ...parts.slice(1)].join('/') };
}

function markNav(name) {
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function refreshNav() {
  await Promise.all(
    Object.entries(OPTIONAL).map(async ([name, probe]) => {
      const li = document.querySelector(`[data-nav="${name}"]`)?.parentElement;
      if (!li) return;
      try {
        li.hidden = !probe.has(await get(probe.path));
      } catch {
        li.hidden = true;
      }
    }),
  );
}

/** What had focus, as something findable again after a redraw. */
function focusToken() {
  const el = document.activeElement;
  if (!el || el === document.body || !main.contains(el)) return null;
  if (el.id) return `#${CSS.escape(el.id)}`;
  for (const attr of ['aria-label', 'href', 'data-key']) {
    const v = el.getAttribute(attr);
    if (v) return `[${attr}="${CSS.escape(v)}"]`;
  }
  return null;
}

/** Loads and draws the current route; `navigated` moves focus to the new heading. */
async function render(navigated) {
  if (busy) {
    pending = Boolean(pending) || navigated;
    return;
  }
  busy = true;
  const route = parseRoute();
  try {
    const page = await PAGES[route.name]();
    const data = await page.load(route.params);
    const json = JSON.stringify(data);
    const same = shown && shown.key === route.key;
    if (!same || shown.json !== json) {
      const focus = same ? focusToken() : null;
      const scroll = window.scrollY;
      shown?.cleanup?.();
      document.title = `${page.title(route.params, data)} · Alkahest`;
      const cleanup = page.render(main, data, route.params);
      shown = { key: route.key, json, cleanup };
      markNav(route.name);
      if (same) {
        window.scrollTo(0, scroll);
        if (focus) main.querySelector(focus)?.focus({ preventScroll: true });
      } else if (navigated) {
        main.querySelector('h1')?.setAttribute('tabindex', '-1');
        main.querySelector('h1')?.focus();
      }
      document.body.dataset.page = route.key;
      document.body.dataset.version = String((Number(document.body.dataset.version) || 0) + 1);
      if (!performance.getEntriesByName('alkahest-ready').length) {
        performance.mark('alkahest-ready');
      }
    }
    alertLine.textContent = '';
  } catch (e) {
    if (!shown || shown.key !== route.key) {
      shown?.cleanup?.();
      shown = null;
      main.innerHTML = `<h1>Cannot load this page</h1><p class="error">${esc(e.message)}</p>`;
    }
    alertLine.textContent = `The API did not answer: ${e.message}`;
  } finally {
    busy = false;
    if (pending !== null) {
      const again = pending;
      pending = null;
      render(again);
    }
  }
}

async function showStatus() {
  try {
    const health = await get('/v1/health');
    statusLine.textContent = health.tip
      ? `Bitcoin tip ${int(health.tip.height)} · updated ${time(Date.now() / 1000).slice(11)} UTC`
      : 'No block indexed yet';
  } catch {
    statusLine.textContent = '';
  }
}

async function poll() {
  polls += 1;
  if (document.visibilityState !== 'visible') return;
  await Promise.all([showStatus(), polls % 10 === 0 ? refreshNav() : null, render(false)]);
}

window.addEventListener('hashchange', () => render(true));
Promise.all([render(false), showStatus(), refreshNav()]);
setInterval(poll, POLL_MS);
