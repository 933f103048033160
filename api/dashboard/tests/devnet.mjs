// Starts the real devnet binary (built by cargo from this checkout) and Debian's
// chromium for the browser test. Nothing here is a mock: the page under test is the
// one the devnet's API serves at `/`, reading the devnet's own chain.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where chromium is, or why the browser test cannot run. */
export function findChromium() {
  const candidates = [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((p) => p && existsSync(p));
  return found
    ? { path: found }
    : { missing: 'chromium is not installed (Debian: apt-get install -y chromium; .ci/run does it)' };
}

/** Chromium's flags for a closed network: no background fetches, no sandbox as root. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Builds the devnet binary (a no-op when `cargo test --workspace` already did). */
export function devnetBinary() {
  const built = spawnSync('cargo', ['build', '-p', 'alkahest-devnet', '--bin', 'devnet'], {
    cwd: REPO,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (built.status !== 0) throw new Error('cargo build -p alkahest-devnet failed');
  const target = process.env.CARGO_TARGET_DIR ?? join(REPO, 'target');
  return join(target, 'debug', 'devnet');
}

/**
 * Starts `devnet` with `args` in a fresh data folder and resolves once its API listens,
 * with `{ api, lines, stop }`. `lines` collects its output; `stop` ends it.
 */
export async function startDevnet(args, { patienceMs = 120_000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'alkahest-dashboard-'));
  const child = spawn(
    devnetBinary(),
    ['--data-dir', join(dir, 'data'), '--api-addr', '127.0.0.1:0', '--stacks-rpc-addr', '127.0.0.1:0', ...args],
    { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines = [];
  let exited = null;
  const api = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the devnet's API did not start:\n${lines.join('\n')}`)), patienceMs);
    const read = (chunk) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        lines.push(line);
        const m = line.match(/API listening on (http:\/\/[\d.:]+)/);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => {
      exited = code;
      clearTimeout(timer);
      reject(new Error(`the devnet exited (${code}):\n${lines.join('\n')}`));
    });
  });
  const stop = async () => {
    if (exited === null) {
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { api, lines, stop };
}

/** GETs `url` as JSON. */
export async function getJson(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: ${r.status} ${await r.text()}`);
  return r.json();
}

/**
 * Retries `check` (which throws on a mismatch) until it passes or `patienceMs` runs
 * out: the devnet mines on, so the page (polling) and a fresh API read can be one
 * block apart for a moment; a real disagreement persists and fails.
 */
export async function eventually(check, patienceMs = 15_000) {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
