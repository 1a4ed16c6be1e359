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
 * @param {string} [o.background] fill behind the plot (for standalone files)
 * @param {boolean} [o.zoom] start the y axis near the lowest value instead of at 0
 */
export function balancednessSvg({ layerLabels, series, bound, width = 1100, height = 380, title, selectedLayer = -1, background, zoom = false }) {
  const m = { left: 64, right: 16, top: 0, bottom: 46 };
  const x0 = m.left, x1 = width - m.right;
  // More layers than the width shows (thousands): each bar is a bin of consecutive layers, at
  // its worst layer; a bar per layer would be thousands of elements that no one can see apart.
  const layers = layerLabels.length;
  const per = Math.max(1, Math.ceil(layers / Math.max(1, Math.floor((x1 - x0) / 3))));
  const L = Math.ceil(layers / per);
  const binned = per > 1;
  const first = (b) => b * per, last = (b) => Math.min(layers, (b + 1) * per) - 1;
  const worstIn = (values, b) => {
    let w = first(b);
    for (let l = w + 1; l <= last(b); l++) if (values[l] < values[w]) w = l;
    return w;
  };
  // Layers (or bins) where every series is equal to 3 decimals: the bars look identical, and are
  // marked so.
  const key = (v) => Math.round(v * 1000);
  const same = new Uint8Array(L);
  let sameCount = 0;
  if (series.length > 1)
    for (let b = 0; b < L; b++) {
      const k = key(series[0].values[worstIn(series[0].values, b)]);
      same[b] = series.every((ser) => key(ser.values[worstIn(ser.values, b)]) === k) ? 1 : 0;
      sameCount += same[b];
    }
  // Legend entries, wrapped into rows that fit the plot width.
  const items = series.map((ser, k) => ({ label: `${ser.name} (overall ${fmtRatio(ser.overall)})`, color: seriesColor(k) }));
  items.push({ label: binned ? `upper bound (lowest of each bar's ${per} layers)` : 'upper bound (per layer)', bound: true });
  if (sameCount) items.push({ label: `equal to 3 decimals (${sameCount} of ${L} ${binned ? 'bars' : 'layers'})`, same: true });
  const rows = [[]];
  let used = 0;
  for (const it of items) {
    it.w = 30 + it.label.length * 6.6;
    if (used + it.w > x1 - x0 && rows[rows.length - 1].length) { rows.push([]); used = 0; }
    rows[rows.length - 1].push(it);
    used += it.w;
  }
  const legendTop = title ? 44 : 18;
  m.top = legendTop + rows.length * 18 + 6;
  height += rows.length * 18 - 18;
  const yTop = m.top, yBot = height - m.bottom;
  let lo = 0;
  if (zoom) {
    let min = 1;
    for (const ser of series) for (let l = 0; l < layers; l++) min = Math.min(min, ser.values[l]);
    lo = Math.max(0, Math.floor(min * 20 - 1) / 20);
  }
  const y = scale(lo, 1, yBot, yTop);
  const slot = (x1 - x0) / Math.max(1, L);
  const pad = slot > 6 ? Math.min(slot * 0.2, 6) : 0;
  const bw = (slot - pad) / Math.max(1, series.length);
  let s = background ? rect(0, 0, width, height, { fill: background }) : '';
  if (title) s += text(x0, 20, title, { 'font-size': 15, 'font-weight': 700, fill: '#111' });
  const tv = ticks(lo, 1, 5);
  const digits = tv.length > 1 && tv[1] - tv[0] < 0.1 - 1e-9 ? 2 : 1;
  s += yAxis({ y, ticks: tv, x0, x1, label: lo > 0 ? 'balancedness (axis from ' + lo.toFixed(2) + ')' : 'balancedness (mean ÷ max GPU load)', format: (v) => v.toFixed(digits) });
  if (selectedLayer >= 0 && selectedLayer < layers) {
    s += rect(x0 + Math.floor(selectedLayer / per) * slot, yTop, slot, yBot - yTop, { fill: '#fff3c4', class: 'sel-layer' });
  }
  series.forEach((ser, k) => {
    const c = seriesColor(k);
    let bars = '';
    for (let b = 0; b < L; b++) {
      const l = worstIn(ser.values, b);
      const v = ser.values[l];
      const bx = x0 + b * slot + pad / 2 + k * bw;
      const tip = binned
        ? `layers ${layerLabels[first(b)]}–${layerLabels[last(b)]} · ${ser.name}: lowest balancedness ${fmtRatio(v)}, layer ${layerLabels[l]} (upper bound ${fmtRatio(bound[l])})`
        : `layer ${layerLabels[l]} · ${ser.name}: balancedness ${fmtRatio(v)} (upper bound ${fmtRatio(bound[l])})${same[b] ? ' · all algorithms equal to 3 decimals' : ''}`;
      bars += rect(bx, y(v), bw, yBot - y(v), { 'data-layer': l }, tip);
    }
    s += `<g class="bal-series" data-alg="${esc(ser.name)}" fill="${c}">${bars}</g>`;
  });
  let bs = '';
  for (let b = 0; b < L; b++) {
    const l = worstIn(bound, b);
    const by = y(bound[l]);
    bs += line(x0 + b * slot + pad / 2 - 1, by, x0 + (b + 1) * slot - pad / 2 + 1, by, { 'data-layer': l, 'data-value': bound[l] });
  }
  s += `<g class="bal-bound" stroke="${BOUND_COLOR}" stroke-width="2">${bs}</g>`;
  // "=" over the groups whose bars are equal to 3 decimals, where there is room for it.
  if (sameCount && slot >= 7) {
    let marks = '';
    for (let b = 0; b < L; b++) {
      if (!same[b]) continue;
      const top = Math.min(...series.map((ser) => y(ser.values[worstIn(ser.values, b)])));
      marks += text(x0 + (b + 0.5) * slot, top - 4, '=', { 'text-anchor': 'middle' });
    }
    s += `<g class="bal-same" fill="#444" font-size="11" font-weight="700" pointer-events="none">${marks}</g>`;
  }
  const xt = indexTicks(L, Math.floor((x1 - x0) / 34));
  s += xAxisIndex({ positions: xt.map((b) => x0 + (b + 0.5) * slot), labels: xt.map((b) => layerLabels[first(b)]), y0: yBot, x0, x1,
    label: binned ? `MoE layer (index in the model; each bar ${per} layers, at its worst)` : 'MoE layer (index in the model)', labelY: height - 8 });
  // Legend.
  rows.forEach((row, i) => {
    let lx = x0;
    const ly = legendTop + i * 18;
    for (const it of row) {
      if (it.bound) s += line(lx, ly - 3, lx + 16, ly - 3, { stroke: BOUND_COLOR, 'stroke-width': 2 });
      else if (it.same) s += text(lx + 6, ly + 1, '=', { 'text-anchor': 'middle', fill: '#444', 'font-weight': 700 });
      else s += rect(lx, ly - 9, 12, 12, { fill: it.color });
      s += text(lx + (it.bound ? 21 : 17), ly + 1, it.label, { fill: '#222', class: it.same ? 'same-legend' : null });
      lx += it.w;
    }
  });
  return svgDoc(width, height, s, { class: 'plot plot-balancedness', role: 'img', 'aria-label': 'balancedness per layer' });
}
