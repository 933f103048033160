// Governance: every Alkahest Governance Proposal (AGP) with its votes, quorum and
// status, from /v1/governance/proposals. Shown only when proposals exist.

import { get } from '../lib/api.js';
import { contractName, esc, int, statusBadge, table } from '../lib/format.js';

export function title() {
  return 'Governance';
}

export async function load() {
  const url = '/v1/governance/proposals';
  return { url, proposals: (await get(url)).proposals };
}

export function render(main, { url, proposals }) {
  const rows = proposals.map((p) => ({
    _key: p.id,
    id: int(p.id),
    proposal: `<span class="mono" title="${esc(p.proposal)}">${esc(contractName(p.proposal))}</span>`,
    status: statusBadge(p.status),
    votes_for: int(p.votes_for),
    votes_against: int(p.votes_against),
    quorum: int(p.quorum),
    heights: `${int(p.start_height)}–${int(p.end_height)}`,
    timelock_end: int(p.timelock_end),
  }));
  main.innerHTML = `<h1>Governance</h1>
<p>ALEX holders vote on proposals; a passed proposal waits out its timelock before it executes. Votes are in ALEX base units.</p>
<div data-source="${esc(url)}">${table({
    caption: 'Proposals',
    columns: [
      { key: 'id', label: 'AGP', num: true },
      { key: 'proposal', label: 'Proposal' },
      { key: 'status', label: 'Status' },
      { key: 'votes_for', label: 'For', num: true },
      { key: 'votes_against', label: 'Against', num: true },
      { key: 'quorum', label: 'Quorum', num: true },
      { key: 'heights', label: 'Voting heights' },
      { key: 'timelock_end', label: 'Executable from', num: true },
    ],
    rows,
    empty: 'No proposal yet.',
  })}</div>`;
  return () => {};
}
