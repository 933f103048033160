// Copies the chart library's browser build from node_modules (the version
// package-lock.json pins) into static/vendor/, which is committed and embedded in the
// api binary. `npm test` checks the committed copy is byte-identical to the locked one.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const VENDORED = [
  ['node_modules/uplot/dist/uPlot.esm.js', 'static/vendor/uPlot.esm.js'],
  ['node_modules/uplot/dist/uPlot.min.css', 'static/vendor/uPlot.min.css'],
];

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(join(root, 'static/vendor'), { recursive: true });
  for (const [from, to] of VENDORED) {
    copyFileSync(join(root, from), join(root, to));
    console.log(`${from} → ${to}`);
  }
}
