// Per-layer balancedness (GPU) of each algorithm as grouped bars, with the per-layer upper
// bound marked over each group. Returns SVG markup.
import { svgDoc, rect, line, text, scale, ticks, indexTicks, yAxis, xAxisIndex, esc } from './svg.js';
import { seriesColor, BOUND_COLOR } from './palette.js';
import { fmtRatio } from '../format.js';

/**
 * @param {object} o
 * @param {number[]} o.layerLabels  model layer index of each plotted layer
 * @param {{name: string, values: ArrayLike<number>, overall: number}[]} o.series
 * @param {ArrayLike<number>} o.bound  per-layer upper bound
 * @param {number} [o.width] @param {number} [o.height] @param {string} [o.title]
 * @param {number} [o.selectedLayer] index into layerLabels to highlight
 */
export function balancednessSvg({ layerLabels, series, bound, width = 1100, height = 380, title, selectedLayer = -1 }) {
  const L = layerLabels.length;
  const m = { left: 64, right: 16, top: title ? 58 : 36, bottom: 46 };
  const x0 = m.left, x1 = width - m.right, yTop = m.top, yBot = height - m.bottom;
  const y = scale(0, 1, yBot, yTop);
  const slot = (x1 - x0) / Math.max(1, L);
  const pad = slot > 6 ? Math.min(slot * 0.2, 6) : 0;
  const bw = (slot - pad) / Math.max(1, series.length);
  let s = '';
  if (title) s += text(x0, 20, title, { 'font-size': 15, 'font-weight': 700, fill: '#111' });
  s += yAxis({ y, ticks: ticks(0, 1, 5), x0, x1, label: 'balancedness (GPU) = mean ÷ max GPU load', format: (v) => v.toFixed(1) });
  if (selectedLayer >= 0 && selectedLayer < L) {
    s += rect(x0 + selectedLayer * slot, yTop, slot, yBot - yTop, { fill: '#fff3c4', class: 'sel-layer' });
  }
  series.forEach((ser, k) => {
    const c = seriesColor(k);
    let bars = '';
    for (let l = 0; l < L; l++) {
      const v = ser.values[l];
      const bx = x0 + l * slot + pad / 2 + k * bw;
      bars += rect(bx, y(v), bw, yBot - y(v), { 'data-layer': l },
        `layer ${layerLabels[l]} · ${ser.name}: balancedness ${fmtRatio(v)} (upper bound ${fmtRatio(bound[l])})`);
    }
    s += `<g class="bal-series" data-alg="${esc(ser.name)}" fill="${c}">${bars}</g>`;
  });
  let bs = '';
  for (let l = 0; l < L; l++) {
    const by = y(bound[l]);
    bs += line(x0 + l * slot + pad / 2 - 1, by, x0 + (l + 1) * slot - pad / 2 + 1, by, { 'data-layer': l, 'data-value': bound[l] });
  }
  s += `<g class="bal-bound" stroke="${BOUND_COLOR}" stroke-width="2">${bs}</g>`;
  const xt = indexTicks(L, Math.floor((x1 - x0) / 34));
  s += xAxisIndex({ positions: xt.map((l) => x0 + (l + 0.5) * slot), labels: xt.map((l) => layerLabels[l]), y0: yBot, x0, x1, label: 'MoE layer (index in the model)', labelY: height - 8 });
  // Legend.
  let lx = x0, ly = yTop - 14;
  series.forEach((ser, k) => {
    const label = `${ser.name} (overall ${fmtRatio(ser.overall)})`;
    s += rect(lx, ly - 9, 12, 12, { fill: seriesColor(k) });
    s += text(lx + 17, ly + 1, label, { fill: '#222' });
    lx += 30 + label.length * 6.6;
  });
  s += line(lx, ly - 3, lx + 16, ly - 3, { stroke: BOUND_COLOR, 'stroke-width': 2 });
  s += text(lx + 21, ly + 1, 'upper bound (per layer)', { fill: '#222' });
  return svgDoc(width, height, s, { class: 'plot plot-balancedness', role: 'img', 'aria-label': 'balancedness per layer' });
}
