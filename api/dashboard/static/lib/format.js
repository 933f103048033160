// Formatting that never loses a digit: the API sends Clarity uints as decimal strings
// (they can exceed what a JS number holds exactly), so integers are grouped as text.

/** Escapes text for HTML. */
export function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({
    '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
  })[c]);
}

/** An integer (number, bigint or decimal string) with thousands separators. */
export function int(value) {
  if (value === null || value === undefined || value === '') return '—';
  const text = String(value);
  if (!/^-?\d+$/.test(text)) return esc(text);
  const neg = text.startsWith('-');
  const digits = neg ? text.slice(1) : text;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return neg ? `-${grouped}` : grouped;
}

/** A fixed-point decimal string with `decimals` places (the contracts use 8) as text. */
export function fixed(value, decimals = 8, shown = decimals) {
  if (value === null || value === undefined) return '—';
  const text = String(value);
  if (!/^\d+$/.test(text)) return esc(text);
  const padded = text.padStart(decimals + 1, '0');
  const whole = padded.slice(0, padded.length - decimals);
  const frac = padded.slice(padded.length - decimals, padded.length - decimals + shown);
  return shown > 0 ? `${int(whole)}.${frac}` : int(whole);
}

/** A fixed-point 8-decimal fraction as a percentage (5000000 → "5%"). */
export function percent8(value) {
  const n = Number(value) / 1e6;
  return Number.isFinite(n) ? `${+n.toFixed(4)}%` : '—';
}

/** A float with `places` decimals. */
export function dec(value, places = 2) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(places) : '—';
}

/** Unix seconds as a UTC date and time. */
export function time(seconds) {
  return new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 19);
}

/** A contract principal shortened to its name (`SP…deployer.name` → `name`). */
export function contractName(principal) {
  const text = String(principal ?? '');
  const dot = text.lastIndexOf('.');
  return dot >= 0 ? text.slice(dot + 1) : text;
}

const STATUS_CLASS = {
  OPEN: 'info', RUNNING: 'warn', FINISHED: 'ok', DEFAULTED: 'bad', EXPIRED: 'bad', CANCELLED: 'bad',
};

/** A Silica or proposal status as a labelled badge. */
export function statusBadge(status) {
  const cls = STATUS_CLASS[String(status).toUpperCase()] ?? 'info';
  return `<span class="badge ${cls}" data-field="status">${esc(status)}</span>`;
}

/**
 * A table: `columns` are `{key, label, num?}`, `rows` objects whose values are
 * already-escaped HTML. Each cell carries `data-field` so readers (and tests) can find
 * a figure without depending on the column order.
 */
export function table({ caption, columns, rows, empty = 'Nothing yet.' }) {
  if (rows.length === 0) return `<p class="muted">${esc(empty)}</p>`;
  const head = columns
    .map((c) => `<th scope="col"${c.num ? ' class="num"' : ''}>${esc(c.label)}</th>`)
    .join('');
  const body = rows
    .map((r) => {
      const cells = columns
        .map((c, i) => {
          const tag = i === 0 ? 'th scope="row"' : 'td';
          const close = i === 0 ? 'th' : 'td';
          return `<${tag} data-field="${c.key}"${c.num ? ' class="num"' : ''}>${r[c.key] ?? '—'}</${close}>`;
        })
        .join('');
      const key = r._key !== undefined ? ` data-key="${esc(r._key)}"` : '';
      return `<tr${key}>${cells}</tr>`;
    })
    .join('');
  return `<div class="table-wrap" tabindex="0" role="region" aria-label="${esc(caption)}">
<table><caption>${esc(caption)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}
