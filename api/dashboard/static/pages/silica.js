// Silica market: every Silica (/v1/silica) and one Silica's windows (/v1/silica/{id}):
// what was due, what the signers attested as delivered and what this server's own
// indexer saw paid to the payout address, which is shown to paste into a pool.

import { get, getOptional } from '../lib/api.js';
import { drawLines, figure } from '../lib/chart.js';
import { esc, int, statusBadge, table } from '../lib/format.js';

/** Silicas listed per page (the API's maximum is 100). */
const LIST_LIMIT = 100;

export function title(params) {
  return params[0] ? `Silica #${params[0]}` : 'Silica market';
}

export async function load(params) {
  if (params[0] !== undefined) {
    const id = params[0];
    if (!/^\d+$/.test(id)) return { detail: null, id, bad: true };
    const url = `/v1/silica/${id}`;
    return { detail: await getOptional(url), id, url };
  }
  const url = `/v1/silica?limit=${LIST_LIMIT}`;
  return { list: await get(url), url };
}

function renderList(main, { list, url }) {
  const rows = list.silicas.map((s) => ({
    _key: s.id,
    id: `<a href="#/silica/${s.id}">#${int(s.id)}</a>`,
    status: statusBadge(s.status),
    hashrate: int(s.hashrate),
    sold: int(s.sold),
    price: int(s.price),
    windows: int(s.windows),
    attested: int(s.attested.length),
    start: int(s.start),
  }));
  const more = list.next_from !== null
    ? `<p class="muted">Showing the first ${LIST_LIMIT}; more from id ${int(list.next_from)} in the API.</p>`
    : '';
  main.innerHTML = `<h1>Silica market</h1>
<p>A Silica sells a miner's hashrate for a number of day-windows, paid upfront in sBTC, held in escrow and released as the signers attest delivery from Bitcoin.</p>
<div data-source="${esc(url)}">${table({
    caption: 'Silicas',
    columns: [
      { key: 'id', label: 'Silica' },
      { key: 'status', label: 'Status' },
      { key: 'hashrate', label: 'Hashrate (TH/s)', num: true },
      { key: 'sold', label: 'Sold (TH/s)', num: true },
      { key: 'price', label: 'Price (sats per TH/s per window)', num: true },
      { key: 'windows', label: 'Windows', num: true },
      { key: 'attested', label: 'Attested', num: true },
      { key: 'start', label: 'Start height', num: true },
    ],
    rows,
    empty: 'No Silica has been listed yet.',
  })}</div>${more}`;
  return () => {};
}

const num = (v) => (v === null ? null : Number(v));

async function copy(button, text) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Select the address to copy it';
  }
}

function renderDetail(main, { detail: s, url }) {
  const windowRows = s.per_window.map((w) => ({
    _key: w.window,
    window: int(w.window),
    heights: `${int(w.first_height)}–${int(w.last_height)}`,
    due: int(w.due_sats),
    attested: int(w.attested_delivered_sats),
    indexed: int(w.indexed_delivered_sats),
  }));
  const figures = table({
    caption: 'Deliveries per window (sats)',
    columns: [
      { key: 'window', label: 'Window', num: true },
      { key: 'heights', label: 'Heights' },
      { key: 'due', label: 'Due', num: true },
      { key: 'attested', label: 'Attested delivered', num: true },
      { key: 'indexed', label: 'Indexed delivered', num: true },
    ],
    rows: windowRows,
  });
  const settlement = s.settlement
    ? `<dl data-section="settlement">
<dt>Buyers' pool (sats)</dt><dd data-field="buyers_pool">${int(s.settlement.buyers_pool)}</dd>
<dt>Shares outstanding</dt><dd data-field="shares">${int(s.settlement.shares)}</dd>
<dt>Miner's amount (sats)</dt><dd data-field="miner_amount">${int(s.settlement.miner_amount)}</dd>
<dt>Miner collected</dt><dd data-field="collected">${s.settlement.collected ? 'yes' : 'no'}</dd>
</dl>`
    : '<p class="muted">Not settled yet: settlement follows the last window\'s attestation.</p>';
  const address = s.payout_address
    ? `<div class="payout"><code id="payout-address" data-field="payout_address">${esc(s.payout_address)}</code>
<button type="button" id="copy-address">Copy address</button></div>`
    : `<code data-field="payout_script">${esc(s.payout_script)}</code> <span class="muted">(a script with no address form)</span>`;
  main.innerHTML = `<p><a href="#/silica">← All Silicas</a></p>
<h1>Silica #${int(s.id)} ${statusBadge(s.status)}</h1>
<div class="grid" data-source="${esc(url)}">
<section aria-labelledby="h-terms"><h2 id="h-terms">Terms</h2><dl>
<dt>Miner</dt><dd class="mono" data-field="miner">${esc(s.miner)}</dd>
<dt>Hashrate (TH/s)</dt><dd data-field="hashrate">${int(s.hashrate)}</dd>
<dt>Sold (TH/s)</dt><dd data-field="sold">${int(s.sold)}</dd>
<dt>Price (sats per TH/s per window)</dt><dd data-field="price">${int(s.price)}</dd>
<dt>Collateral (sats)</dt><dd data-field="collateral">${int(s.collateral)}</dd>
<dt>Windows</dt><dd data-field="windows">${int(s.windows)} of ${int(s.window_length)} blocks from height ${int(s.start)}</dd>
<dt>Attested</dt><dd data-field="attested-count">${int(s.attested.length)} of ${int(s.windows)}</dd>
</dl></section>
<section aria-labelledby="h-payout"><h2 id="h-payout">Payout address</h2>
<p>The pool pays the miner's hashrate here; deliveries are what Bitcoin's coinbases paid to it.</p>
${address}
<h2 id="h-settlement">Settlement</h2>${settlement}</section>
</div>
<section aria-labelledby="h-windows"><h2 id="h-windows">Deliveries</h2>
${figure('deliveries', 'Due, attested and independently indexed deliveries per window (sats)', figures, url)}
</section>`;
  const button = main.querySelector('#copy-address');
  button?.addEventListener('click', () => copy(button, s.payout_address));
  return drawLines(main, 'deliveries', {
    x: s.per_window.map((w) => w.window),
    xLabel: 'Window',
    yLabel: 'sats',
    series: [
      { label: 'Due', values: s.per_window.map((w) => num(w.due_sats)) },
      { label: 'Attested delivered', values: s.per_window.map((w) => num(w.attested_delivered_sats)) },
      { label: 'Indexed delivered', values: s.per_window.map((w) => w.indexed_delivered_sats) },
    ],
  });
}

export function render(main, data) {
  if (data.list) return renderList(main, data);
  if (!data.detail) {
    main.innerHTML = `<p><a href="#/silica">← All Silicas</a></p><h1>Silica ${esc(data.id)}</h1>
<p class="error">${data.bad ? 'A Silica id is a whole number.' : 'No such Silica (yet).'}</p>`;
    return () => {};
  }
  return renderDetail(main, data);
}
