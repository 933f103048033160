// The committed chart library is byte-identical to the version package-lock.json pins.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { VENDORED } from '../scripts/vendor.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

test('static/vendor holds the locked uplot build (npm run vendor)', () => {
  for (const [from, to] of VENDORED) {
    assert.ok(
      readFileSync(join(root, from)).equals(readFileSync(join(root, to))),
      `${to} differs from ${from}: run npm run vendor`,
    );
  }
});
