// Network: the hashprice index per window, pool shares per window and the latest
// blocks, from /v1/health, /v1/blocks, /v1/index and /v1/pools.

import { get } from '../lib/api.js';
import { drawLines, figure } from '../lib/chart.js';
import { dec, esc, int, table, time } from '../lib/format.js';

/** Latest blocks listed. */
const LATEST = 10;
/** Windows in the hashprice chart. */
const INDEX_WINDOWS = 30;
/** Windows in the pool-share chart. */
const SHARE_WINDOWS = 8;
/** Pools drawn in the share chart; the rest are summed as "others". */
const TOP_POOLS = 5;

export function title() {
  return 'Network';
}

export async function load() {
  const health = await get('/v1/health');
  if (!health.tip) return { tip: null };
  const tip = health.tip.height;
  const from = Math.max(0, tip - (LATEST - 1));
  const blocksUrl = `/v1/blocks?from=${from}&limit=${LATEST}`;
  const latestPoolsUrl = `/v1/pools?from=${from}&to=${tip}`;
  const [page, latestPools] = await Promise.all([get(blocksUrl), get(latestPoolsUrl)]);
  const blocks = page.blocks.slice().reverse();
  const lastWindow = blocks.find((b) => b.window !== null)?.window;
  let index = null;
  let indexUrl = null;
  let periods = [];
  if (lastWindow !== undefined) {
    const firstWindow = Math.max(0, lastWindow - (INDEX_WINDOWS - 1));
    indexUrl = `/v1/index?from_window=${firstWindow}&to_window=${lastWindow}`;
    index = await get(indexUrl);
    const recent = index.windows.slice(-SHARE_WINDOWS);
    periods = await Promise.all(
      recent.map(async (w) => {
        const to = Math.min(w.first_height + index.window_length - 1, tip);
        const url = `/v1/pools?from=${w.first_height}&to=${to}`;
        return { window: w.window, url, shares: await get(url) };
      }),
    );
  }
  return { tip: health.tip, blocks, blocksUrl, latestPools, index, indexUrl, periods };
}

function poolNames(...shareLists) {
  const names = new Map();
  for (const list of shareLists) {
    for (const p of list.pools) if (p.pool_id !== null) names.set(p.pool_id, p.name);
  }
  return names;
}

function indexSection(data) {
  const { index, indexUrl } = data;
  if (!index || index.windows.length === 0) {
    return '<p class="muted">No window has blocks yet: the index starts at the window origin.</p>';
  }
  const last = index.windows[index.windows.length - 1];
  const rows = index.windows
    .slice()
    .reverse()
    .map((w) => ({
      _key: w.window,
      window: int(w.window),
      first_height: int(w.first_height),
      block_count: int(w.block_count),
      reward_sats: int(w.reward_sats),
      index: dec(w.index),
    }));
  const figures = table({
    caption: 'Hashprice per window',
    columns: [
      { key: 'window', label: 'Window', num: true },
      { key: 'first_height', label: 'First height', num: true },
      { key: 'block_count', label: 'Blocks', num: true },
      { key: 'reward_sats', label: 'Reward (sats)', num: true },
      { key: 'index', label: `Hashprice (${index.unit})`, num: true },
    ],
    rows,
  });
  return `<dl class="summary" data-source="${esc(indexUrl)}">
<dt>Latest window</dt><dd data-field="last-window">${int(last.window)}</dd>
<dt>Its hashprice</dt><dd><span data-field="last-index">${dec(last.index)}</span> ${esc(index.unit)}</dd>
<dt>Blocks in it</dt><dd data-field="last-block-count">${int(last.block_count)} of ${int(index.window_length)}</dd>
</dl>
${figure('hashprice', `Hashprice index per window (${index.unit})`, figures, indexUrl)}`;
}

/** Share (0–1) per window of the top pools, the rest summed. */
function shareSeries(periods) {
  const totals = new Map();
  for (const p of periods) {
    for (const s of p.shares.pools) totals.set(s.name, (totals.get(s.name) ?? 0) + s.blocks);
  }
  const top = [...totals.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, TOP_POOLS)
    .map(([name]) => name);
  const series = top.map((name) => ({
    label: name,
    values: periods.map((p) => p.shares.pools.find((s) => s.name === name)?.share ?? 0),
  }));
  if (totals.size > top.length) {
    series.push({
      label: 'others',
      values: periods.map((p) =>
        p.shares.pools.filter((s) => !top.includes(s.name)).reduce((a, s) => a + s.share, 0),
      ),
    });
  }
  return series;
}

function sharesSection(periods) {
  if (periods.length === 0) return '';
  const rows = [];
  for (const p of periods.slice().reverse()) {
    for (const s of p.shares.pools) {
      rows.push({
        window: int(p.window),
        pool: esc(s.name),
        blocks: int(s.blocks),
        share: `${(s.share * 100).toFixed(1)}%`,
      });
    }
  }
  const figures = table({
    caption: 'Pool shares per window',
    columns: [
      { key: 'window', label: 'Window', num: true },
      { key: 'pool', label: 'Pool' },
      { key: 'blocks', label: 'Blocks', num: true },
      { key: 'share', label: 'Share', num: true },
    ],
    rows,
  });
  return figure('pool-shares', 'Pool shares per window (fraction of blocks)', figures);
}

function blocksSection(data) {
  const names = poolNames(data.latestPools, ...data.periods.map((p) => p.shares));
  const rows = data.blocks.map((b) => ({
    _key: b.height,
    height: int(b.height),
    time: time(b.time),
    pool: esc(b.pool_id === null ? 'unknown' : (names.get(b.pool_id) ?? `pool ${b.pool_id}`)),
    txs: int(b.tx_count),
    fees: int(b.fees_sats),
    reward: int(b.subsidy_sats + b.fees_sats),
  }));
  return `<div data-source="${esc(data.blocksUrl)}">${table({
    caption: 'Latest blocks',
    columns: [
      { key: 'height', label: 'Height', num: true },
      { key: 'time', label: 'Time (UTC)' },
      { key: 'pool', label: 'Pool' },
      { key: 'txs', label: 'Transactions', num: true },
      { key: 'fees', label: 'Fees (sats)', num: true },
      { key: 'reward', label: 'Subsidy + fees (sats)', num: true },
    ],
    rows,
  })}</div>`;
}

export function render(main, data) {
  if (!data.tip) {
    main.innerHTML = '<h1>Network</h1><p class="muted">No block indexed yet.</p>';
    return () => {};
  }
  main.innerHTML = `<h1>Network</h1>
<section aria-labelledby="h-index"><h2 id="h-index">Hashprice</h2>${indexSection(data)}</section>
<section aria-labelledby="h-pools"><h2 id="h-pools">Mining pools</h2>
<div class="grid">${sharesSection(data.periods)}</div></section>
<section aria-labelledby="h-blocks"><h2 id="h-blocks">Latest blocks</h2>${blocksSection(data)}</section>`;
  const cleanups = [];
  if (data.index && data.index.windows.length > 0) {
    cleanups.push(
      drawLines(main, 'hashprice', {
        x: data.index.windows.map((w) => w.window),
        xLabel: 'Window',
        yLabel: data.index.unit,
        series: [{ label: 'Hashprice', values: data.index.windows.map((w) => w.index) }],
      }),
    );
  }
  if (data.periods.length > 0) {
    cleanups.push(
      drawLines(main, 'pool-shares', {
        x: data.periods.map((p) => p.window),
        xLabel: 'Window',
        yLabel: 'Share of blocks',
        series: shareSeries(data.periods),
        yRange: [0, 1],
      }),
    );
  }
  return () => cleanups.forEach((c) => c());
}
