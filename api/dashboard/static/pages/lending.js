// Lending: each expiry's collateral-rebalancing pool (CRP), its yield-token pool (YTP)
// and, once settled, how it paid out, from /v1/lending/pools. Shown only when the API
// has lending pools (the api binary over a chain without them has none).

import { get } from '../lib/api.js';
import { esc, fixed, int, table } from '../lib/format.js';

export function title() {
  return 'Lending';
}

export async function load() {
  const url = '/v1/lending/pools';
  return { url, pools: (await get(url)).pools };
}

function pct(v) {
  // 8-decimal fraction → percent with 4 decimals, exact in text.
  return v === null || v === undefined ? '—' : `${fixed(v, 6, 4)}%`;
}

export function render(main, { url, pools }) {
  const rows = pools.map((p) => ({
    _key: p.expiry,
    expiry: int(p.expiry),
    collateral: int(p.crp.collateral),
    sbtc: int(p.crp.sbtc),
    yield_supply: int(p.crp.yield_supply),
    key_supply: int(p.crp.key_supply),
    ltv: p.state ? pct(p.state.ltv) : '—',
    term_yield: p.ytp ? pct(p.ytp.term_yield) : '—',
    state: p.settlement
      ? '<span class="badge ok">settled</span>'
      : p.crp.converted
        ? '<span class="badge warn">converted</span>'
        : '<span class="badge info">open</span>',
  }));
  const settled = pools
    .filter((p) => p.settlement)
    .map((p) => ({
      _key: p.expiry,
      expiry: int(p.expiry),
      shortfall: int(p.settlement.shortfall),
      from_reserve: int(p.settlement.from_reserve),
      yield_pool: int(p.settlement.yield_pool),
      key_pool: int(p.settlement.key_pool),
      yield_paid: int(p.settlement.yield_paid),
      key_paid: int(p.settlement.key_paid),
    }));
  main.innerHTML = `<h1>Lending</h1>
<p>Zero-coupon loans to a fixed expiry: a yield token pays 1 sat at expiry; a key token is the borrower's residual claim on the collateral.</p>
<div data-source="${esc(url)}">${table({
    caption: 'Pools by expiry',
    columns: [
      { key: 'expiry', label: 'Expiry height', num: true },
      { key: 'collateral', label: 'STX collateral (µSTX)', num: true },
      { key: 'sbtc', label: 'sBTC (sats)', num: true },
      { key: 'yield_supply', label: 'Yield tokens', num: true },
      { key: 'key_supply', label: 'Key tokens', num: true },
      { key: 'ltv', label: 'LTV', num: true },
      { key: 'term_yield', label: 'Term yield', num: true },
      { key: 'state', label: 'State' },
    ],
    rows,
    empty: 'No lending pool yet.',
  })}
<h2>Settlements (sats)</h2>
${table({
    caption: 'Settlements',
    columns: [
      { key: 'expiry', label: 'Expiry height', num: true },
      { key: 'shortfall', label: 'Shortfall', num: true },
      { key: 'from_reserve', label: 'From reserve', num: true },
      { key: 'yield_pool', label: 'For yield holders', num: true },
      { key: 'key_pool', label: 'For key holders', num: true },
      { key: 'yield_paid', label: 'Paid to yield', num: true },
      { key: 'key_paid', label: 'Paid to key', num: true },
    ],
    rows: settled,
    empty: 'No pool has settled yet.',
  })}</div>`;
  return () => {};
}
