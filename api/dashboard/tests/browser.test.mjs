// The dashboard in a real browser (Debian's chromium driven by playwright-core) against
// a real devnet running `silica-demo`: every page's figures equal the API's for the same
// request, the Silica reaches FINISHED on the page without a reload, the Network page's
// first load fits the budget (≤ 300 kB transferred, ready in < 1 s), the pages work
// from the keyboard and at phone width. Screenshots go to target/dashboard/.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { CHROMIUM_ARGS, eventually, findChromium, getJson, REPO, startDevnet } from './devnet.mjs';

const browserPath = findChromium();
const skip = browserPath.missing ? `skipped: ${browserPath.missing}` : false;
if (skip) console.log(`# dashboard browser test ${skip}`);

const SHOTS = join(process.env.CARGO_TARGET_DIR ?? join(REPO, 'target'), 'dashboard');
/** Budget of the Network page's first load. */
const MAX_BYTES = 300 * 1024;
const MAX_READY_MS = 1000;

let devnet;
let browser;

before(async () => {
  if (skip) return;
  mkdirSync(SHOTS, { recursive: true });
  devnet = await startDevnet([
    '--scenario', 'silica-demo', '--block-time', '1s',
    '--window-length', '4', '--windows', '3', '--confirmations', '2',
  ]);
  browser = await chromium.launch({ executablePath: browserPath.path, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await devnet?.stop();
});

const digits = (text) => text.replace(/[,\s]/g, '');
const api = (path) => getJson(`${devnet.api}${path}`);

/** Opens `hash` in a fresh page and waits until the app has drawn it. */
async function open(hash, { viewport = { width: 1280, height: 900 } } = {}) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${devnet.api}/${hash}`);
  await page.waitForFunction((key) => document.body.dataset.page === key, hash.replace(/^#\//, ''));
  return { page, context, errors };
}

async function text(page, selector) {
  return (await page.locator(selector).first().textContent()).trim();
}

/** Cell `field` of the row `key` of the table inside `scope`. */
async function cell(page, scope, key, field) {
  return text(page, `${scope} tr[data-key="${key}"] [data-field="${field}"]`);
}

test('the Silica market: the list, then Silica #1 live until FINISHED, equal to the API', { skip }, async () => {
  await eventually(async () => {
    assert.ok((await api('/v1/silica')).silicas.length > 0, 'the demo listed its Silica');
  }, 60_000);
  const list = await open('#/silica');
  await eventually(async () => {
    const silicas = (await api('/v1/silica?limit=100')).silicas;
    for (const s of silicas) {
      assert.equal(await cell(list.page, '', s.id, 'status'), s.status);
      assert.equal(digits(await cell(list.page, '', s.id, 'hashrate')), String(s.hashrate));
      assert.equal(digits(await cell(list.page, '', s.id, 'sold')), String(s.sold));
      assert.equal(digits(await cell(list.page, '', s.id, 'price')), String(s.price));
    }
  });
  // Keyboard: the Silica's link is reachable and opens the detail.
  await list.page.locator('a[href="#/silica/1"]').focus();
  await list.page.keyboard.press('Enter');
  await list.page.waitForFunction(() => document.body.dataset.page === 'silica/1');
  await list.context.close();

  // The detail page stays open while the demo runs: polling alone must bring FINISHED.
  const { page, context, errors } = await open('#/silica/1');
  const first = await text(page, 'h1 [data-field="status"]');
  assert.notEqual(first, 'FINISHED', 'the page opened before the Silica finished, to watch it live');
  const reloads = [];
  page.on('framenavigated', (frame) => reloads.push(frame.url()));
  await page.waitForFunction(
    () => document.querySelector('h1 [data-field="status"]')?.textContent === 'FINISHED',
    null,
    { timeout: 240_000, polling: 250 },
  );
  await eventually(async () => {
    const s = await api('/v1/silica/1');
    assert.equal(s.status, 'FINISHED');
    assert.equal(await text(page, '[data-field="payout_address"]'), s.payout_address);
    assert.match(s.payout_address, /^bcrt1/, 'a regtest bech32 address');
    for (const w of s.per_window) {
      assert.equal(digits(await cell(page, '#deliveries', w.window, 'due')), w.due_sats);
      assert.equal(digits(await cell(page, '#deliveries', w.window, 'attested')), w.attested_delivered_sats);
      assert.equal(digits(await cell(page, '#deliveries', w.window, 'indexed')), String(w.indexed_delivered_sats));
    }
    assert.equal(digits(await text(page, '[data-field="buyers_pool"]')), String(s.settlement.buyers_pool));
    assert.equal(digits(await text(page, '[data-field="miner_amount"]')), String(s.settlement.miner_amount));
  });
  assert.ok((await page.locator('#deliveries canvas').count()) > 0, 'the deliveries chart is drawn');
  await page.screenshot({ path: join(SHOTS, 'silica.png'), fullPage: true });
  assert.deepEqual(reloads, [], `${first} → FINISHED without a reload`);
  assert.deepEqual(errors, [], 'no script error on the page');
  await context.close();
});

test('the Network page: first-load budget, hashprice and latest blocks equal the API', { skip }, async () => {
  // Wait for blocks in a window, so every section has something to show.
  await eventually(async () => {
    const h = await api('/v1/health');
    assert.ok(h.tip && h.tip.height >= 8, 'the devnet has mined a few blocks');
  }, 60_000);

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const measured = [];
  page.on('requestfinished', (request) => {
    measured.push(
      request.sizes().then((s) => ({ url: request.url(), bytes: s.responseBodySize + s.responseHeadersSize })),
    );
  });
  await page.goto(`${devnet.api}/#/network`);
  await page.waitForFunction(() => document.body.dataset.page === 'network');
  const timing = await page.evaluate(() => ({
    ready: performance.getEntriesByName('alkahest-ready')[0].startTime,
    interactive: performance.getEntriesByType('navigation')[0].domInteractive,
  }));
  const sizes = await Promise.all(measured);
  const transferred = sizes.reduce((a, s) => a + s.bytes, 0);
  console.log(
    `# Network first load: ${sizes.length} requests, ${(transferred / 1024).toFixed(1)} kB transferred, ` +
      `DOM interactive ${timing.interactive.toFixed(0)} ms, figures drawn ${timing.ready.toFixed(0)} ms`,
  );
  assert.ok(transferred <= MAX_BYTES, `first load transferred ${transferred} bytes (budget ${MAX_BYTES})`);
  assert.ok(timing.ready < MAX_READY_MS, `figures drawn after ${timing.ready} ms (budget ${MAX_READY_MS})`);

  await eventually(async () => {
    const source = await page.getAttribute('dl.summary', 'data-source');
    const index = await api(source);
    const last = index.windows.at(-1);
    assert.equal(digits(await text(page, '[data-field="last-window"]')), String(last.window));
    assert.equal(await text(page, '[data-field="last-index"]'), last.index.toFixed(2));
    assert.equal(await page.locator('#hashprice canvas').count() > 0, true, 'the hashprice chart is drawn');
  });
  await eventually(async () => {
    const source = await page.getAttribute('[data-source^="/v1/blocks"]', 'data-source');
    const blocks = (await api(source)).blocks;
    const rows = await page.locator('[data-source^="/v1/blocks"] tbody tr').count();
    assert.equal(rows, blocks.length);
    const first = blocks[0].height;
    const last = blocks.at(-1).height;
    const names = new Map(
      (await api(`/v1/pools?from=${first}&to=${last}`)).pools.map((p) => [p.pool_id, p.name]),
    );
    assert.ok([...names.values()].some((n) => n !== 'unknown'), 'the devnet names its pools');
    for (const b of blocks) {
      const scope = '[data-source^="/v1/blocks"]';
      assert.equal(await cell(page, scope, b.height, 'pool'), names.get(b.pool_id) ?? 'unknown');
      assert.equal(digits(await cell(page, scope, b.height, 'fees')), String(b.fees_sats));
      assert.equal(digits(await cell(page, scope, b.height, 'reward')), String(b.subsidy_sats + b.fees_sats));
      assert.equal(digits(await cell(page, scope, b.height, 'txs')), String(b.tx_count));
    }
  });
  assert.ok((await page.locator('#pool-shares canvas').count()) > 0, 'the pool-share chart is drawn');
  await page.screenshot({ path: join(SHOTS, 'network.png'), fullPage: true });
  await context.close();
});

test('the AMM page: reserves, prices and reserve fees equal the API', { skip }, async () => {
  const { page, context } = await open('#/amm');
  await eventually(async () => {
    const pools = (await api('/v1/amm/pools')).pools;
    assert.ok(pools.length > 0, 'the devnet created pools');
    for (const p of pools) {
      assert.equal(digits(await cell(page, '', p.id, 'balance_x')), p.balance_x);
      assert.equal(digits(await cell(page, '', p.id, 'balance_y')), p.balance_y);
      assert.equal(digits(await cell(page, '', p.id, 'reserve_fees_x')), p.reserve_fees_x);
      assert.equal(digits(await cell(page, '', p.id, 'swaps')), String(p.swaps));
      const ema = digits(await cell(page, '', p.id, 'ema_price')).replace('.', '');
      assert.equal(BigInt(ema), BigInt(p.ema_price));
    }
  });
  await page.screenshot({ path: join(SHOTS, 'amm.png'), fullPage: true });
  await context.close();
});

test('lending and governance links show exactly when the API has their data', { skip }, async () => {
  const { page, context } = await open('#/network');
  const lending = (await api('/v1/lending/pools')).pools.length > 0;
  const governance = (await api('/v1/governance/proposals')).proposals.length > 0;
  await eventually(async () => {
    assert.equal(await page.locator('[data-nav="lending"]').isVisible(), lending);
    assert.equal(await page.locator('[data-nav="governance"]').isVisible(), governance);
  });
  if (lending) {
    await page.goto(`${devnet.api}/#/lending`);
    await page.waitForFunction(() => document.body.dataset.page === 'lending');
    await eventually(async () => {
      for (const p of (await api('/v1/lending/pools')).pools) {
        assert.equal(digits(await cell(page, '', p.expiry, 'collateral')), p.crp.collateral);
        assert.equal(digits(await cell(page, '', p.expiry, 'sbtc')), p.crp.sbtc);
        assert.equal(digits(await cell(page, '', p.expiry, 'yield_supply')), p.crp.yield_supply);
        assert.equal(digits(await cell(page, '', p.expiry, 'key_supply')), p.crp.key_supply);
      }
    });
    await page.screenshot({ path: join(SHOTS, 'lending.png'), fullPage: true });
  }
  // A hidden section's page still answers when opened directly, and says it is empty.
  for (const [name, shown, empty] of [
    ['lending', lending, 'No lending pool yet.'],
    ['governance', governance, 'No proposal yet.'],
  ]) {
    if (shown) continue;
    await page.goto(`${devnet.api}/#/${name}`);
    await page.waitForFunction((n) => document.body.dataset.page === n, name);
    assert.equal(await text(page, 'main p.muted'), empty);
  }
  if (governance) {
    await page.goto(`${devnet.api}/#/governance`);
    await page.waitForFunction(() => document.body.dataset.page === 'governance');
    await eventually(async () => {
      for (const p of (await api('/v1/governance/proposals')).proposals) {
        assert.equal(await cell(page, '', p.id, 'status'), p.status);
        assert.equal(digits(await cell(page, '', p.id, 'votes_for')), p.votes_for);
        assert.equal(digits(await cell(page, '', p.id, 'votes_against')), p.votes_against);
      }
    });
  }
  await context.close();
});

test('keyboard and phone width: skip link, nav by keys, nothing wider than the screen', { skip }, async () => {
  const { page, context } = await open('#/network', { viewport: { width: 375, height: 740 } });
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
  await page.keyboard.press('Tab'); // brand
  await page.keyboard.press('Tab'); // Network
  await page.keyboard.press('Tab'); // Silica market
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('href')), '#/silica');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.body.dataset.page === 'silica');
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H1', 'focus moves to the new page');
  for (const hash of ['#/network', '#/silica/1', '#/amm']) {
    await page.goto(`${devnet.api}/${hash}`);
    await page.waitForFunction((k) => document.body.dataset.page === k, hash.slice(2));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${hash} is ${overflow}px wider than a 375px screen`);
  }
  await page.screenshot({ path: join(SHOTS, 'phone-amm.png'), fullPage: true });
  await context.close();
});
