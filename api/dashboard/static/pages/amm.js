// AMM: every pool's tokens, curve, reserves, spot and EMA prices and the fees it booked
// to the reserve, from /v1/amm/pools. Prices and rates are 8-decimal fixed point.

import { get } from '../lib/api.js';
import { contractName, esc, fixed, int, percent8, table } from '../lib/format.js';

export function title() {
  return 'AMM';
}

export async function load() {
  const url = '/v1/amm/pools';
  return { url, pools: (await get(url)).pools };
}

export function render(main, { url, pools }) {
  const rows = pools.map((p) => ({
    _key: p.id,
    id: `#${int(p.id)}`,
    pair: `${esc(contractName(p.token_x))} / ${esc(contractName(p.token_y))}`,
    curve: `${esc(p.curve)}${p.curve === 'weighted' ? ` ${percent8(p.weight_x)}` : ''}`,
    balance_x: int(p.balance_x),
    balance_y: int(p.balance_y),
    spot_price: fixed(p.spot_price),
    ema_price: fixed(p.ema_price),
    fee_rate: percent8(p.fee_rate),
    reserve_fees_x: int(p.reserve_fees_x),
    reserve_fees_y: int(p.reserve_fees_y),
    lp_supply: int(p.lp_supply),
    swaps: int(p.swaps),
    state: p.paused ? '<span class="badge bad">paused</span>' : '<span class="badge ok">open</span>',
  }));
  main.innerHTML = `<h1>AMM</h1>
<p>Prices are of x in y. Fees booked to the reserve are the protocol's share of swap fees.</p>
<div data-source="${esc(url)}">${table({
    caption: 'Pools',
    columns: [
      { key: 'id', label: 'Pool' },
      { key: 'pair', label: 'x / y' },
      { key: 'curve', label: 'Curve' },
      { key: 'balance_x', label: 'Reserve x', num: true },
      { key: 'balance_y', label: 'Reserve y', num: true },
      { key: 'spot_price', label: 'Spot price', num: true },
      { key: 'ema_price', label: 'EMA price', num: true },
      { key: 'fee_rate', label: 'Fee', num: true },
      { key: 'reserve_fees_x', label: 'Fees to reserve (x)', num: true },
      { key: 'reserve_fees_y', label: 'Fees to reserve (y)', num: true },
      { key: 'lp_supply', label: 'LP supply', num: true },
      { key: 'swaps', label: 'Swaps', num: true },
      { key: 'state', label: 'State' },
    ],
    rows,
    empty: 'No AMM pool has been created yet.',
  })}</div>`;
  return () => {};
}
