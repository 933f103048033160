// Charts are uPlot (npm `uplot`, vendored by `npm run vendor`): small, fast, canvas.
// Each chart also gets its numbers as a table in a <details>, so a screen reader or a
// keyboard user reads the same figures the canvas draws.

import uPlot from '../vendor/uPlot.esm.js';
import { esc } from './format.js';

const COLORS = ['#0b5cad', '#b42318', '#1a7f37', '#9a6700', '#6f42c1', '#0e7490', '#57606a'];
const HEIGHT = 240;

/**
 * The markup of a chart: a figure with a caption, the canvas box (`data-chart=id`,
 * filled by [`drawLines`]) and `dataTable` (markup from `table()`) with the same
 * figures; `source` is the API request they came from.
 */
export function figure(id, caption, dataTable, source) {
  const src = source ? ` data-source="${esc(source)}"` : '';
  return `<figure id="${esc(id)}"${src}>
<figcaption>${esc(caption)}</figcaption>
<div class="chart" data-chart="${esc(id)}" role="img" aria-label="${esc(caption)}, chart; the figures are in the table below"></div>
<details><summary>Figures</summary>${dataTable}</details>
</figure>`;
}

/** Tick steps for whole-number axes (windows): never a tick at window 0.5. */
const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

/**
 * Draws lines over `x` (whole numbers) into the `data-chart=id` box inside `root`, one
 * per `series` entry (`{label, values}`, null for a gap), sized to the box and resized
 * with it; `yRange` fixes the y scale (`[0, 1]` for shares). Returns a function that
 * removes the chart.
 */
export function drawLines(root, id, { x, xLabel, yLabel, series, yRange }) {
  const box = root.querySelector(`[data-chart="${CSS.escape(id)}"]`);
  if (!box || x.length === 0) return () => {};
  const width = () => Math.max(box.clientWidth, 240);
  const plot = new uPlot(
    {
      width: width(),
      height: HEIGHT,
      scales: { x: { time: false }, y: yRange ? { range: yRange } : {} },
      axes: [
        { label: xLabel, stroke: '#4f5a66', incrs: WHOLE_STEPS },
        { label: yLabel, size: 96, stroke: '#4f5a66' },
      ],
      series: [
        { label: xLabel },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length],
          width: 2,
          points: { show: true, size: 6 },
          spanGaps: false,
        })),
      ],
    },
    [x, ...series.map((s) => s.values)],
    box,
  );
  const resize = new ResizeObserver(() => {
    if (plot.width !== width()) plot.setSize({ width: width(), height: HEIGHT });
  });
  resize.observe(box);
  return () => {
    resize.disconnect();
    plot.destroy();
  };
}
