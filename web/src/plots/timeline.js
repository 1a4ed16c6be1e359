// Timeline plots: next-window balancedness per window (one line per strategy) and moved slots
// per window (grouped bars). Return SVG markup.
import { svgDoc, rect, line, text, tag, scale, ticks, indexTicks, yAxis, xAxisIndex, esc, r2 } from './svg.js';
import { fmtRatio, fmtCompact } from '../format.js';

const AXIS_LABEL = 'rebalance at window i (placed with windows ≤ i, measured on window i + 1)';

// Legend items wrapped into rows that fit between x0 and x1; returns the rows and their markup.
function legend(items, x0, x1, top) {
  const rows = [[]];
  let used = 0;
  for (const it of items) {
    it.w = 34 + it.label.length * 6.5;
    if (used + it.w > x1 - x0 && rows[rows.length - 1].length) { rows.push([]); used = 0; }
    rows[rows.length - 1].push(it);
    used += it.w;
  }
  let s = '';
  rows.forEach((row, i) => {
    let lx = x0;
    const ly = top + i * 18;
    for (const it of row) {
      if (it.line) s += line(lx, ly - 3, lx + 18, ly - 3, { stroke: it.color, 'stroke-width': 2.5 }) + tag('circle', { cx: lx + 9, cy: ly - 3, r: 3.5, fill: it.color }, null);
      else s += rect(lx + 3, ly - 9, 12, 12, { fill: it.color });
      s += text(lx + 23, ly + 1, it.label, { fill: '#222' });
      lx += it.w;
    }
  });
  return { height: rows.length * 18, markup: s };
}

function xAxis(n, x0, x1, yBot, height) {
  const slot = (x1 - x0) / n;
  const xt = indexTicks(n, Math.floor((x1 - x0) / 40));
  return xAxisIndex({ positions: xt.map((i) => x0 + (i + 0.5) * slot), labels: xt.map(String), y0: yBot, x0, x1, label: AXIS_LABEL, labelY: height - 8 });
}

/**
 * @param {object} o
 * @param {{key: string, label: string, color: string, values: number[], mean: number}[]} o.series
 * @param {string[]} o.names     name of each window (tooltips)
 */
export function timelineBalancednessSvg({ series, names, width = 1100, height = 340 }) {
  const n = series[0].values.length;
  const m = { left: 64, right: 16, top: 0, bottom: 46 };
  const x0 = m.left, x1 = width - m.right;
  const items = series.map((s) => ({ label: `${s.label} (mean ${fmtRatio(s.mean)})`, color: s.color, line: true }));
  const leg = legend(items, x0, x1, 18);
  m.top = 18 + leg.height + 8;
  height += leg.height - 18;
  const yTop = m.top, yBot = height - m.bottom;
  let lo = 1, hi = 0;
  for (const s of series) for (const v of s.values) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const pad = Math.max(0.005, (hi - lo) * 0.08);
  lo = Math.max(0, Math.floor((lo - pad) * 100) / 100);
  hi = Math.min(1, Math.ceil((hi + pad) * 100) / 100);
  const y = scale(lo, hi, yBot, yTop);
  const slot = (x1 - x0) / n;
  const xi = (i) => x0 + (i + 0.5) * slot;
  const tv = ticks(lo, hi, 5);
  const digits = tv.length > 1 && tv[1] - tv[0] < 0.01 - 1e-9 ? 3 : 2;
  let s = yAxis({ y, ticks: tv, x0, x1, label: 'next-window balancedness (GPU)', format: (v) => v.toFixed(digits) });
  for (const ser of series) {
    const pts = ser.values.map((v, i) => `${r2(xi(i))},${r2(y(v))}`).join(' ');
    let dots = '';
    ser.values.forEach((v, i) => {
      const tip = `${ser.label} · placed at ${names[i]}, measured on ${names[i + 1]}: balancedness ${fmtRatio(v)}`;
      dots += tag('circle', { cx: r2(xi(i)), cy: r2(y(v)), r: n > 60 ? 2 : 3.5, 'data-window': i }, `<title>${esc(tip)}</title>`);
    });
    s += `<g class="tl-series" data-strategy="${esc(ser.key)}" fill="${ser.color}">` +
      tag('polyline', { points: pts, fill: 'none', stroke: ser.color, 'stroke-width': 2, 'stroke-linejoin': 'round' }, null) + dots + '</g>';
  }
  s += xAxis(n, x0, x1, yBot, height) + leg.markup;
  return svgDoc(width, height, s, { class: 'plot plot-timeline-balancedness', role: 'img', 'aria-label': 'next-window balancedness per window' });
}

/**
 * @param {object} o
 * @param {{key: string, label: string, color: string, moved: (number|null)[], total: number}[]} o.series
 * @param {number} o.slots  slots per placement (layers x replicas)
 * @param {string[]} o.names
 */
export function timelineMovedSvg({ series, slots, names, width = 1100, height = 320 }) {
  const n = series[0].moved.length;
  const m = { left: 64, right: 16, top: 0, bottom: 46 };
  const x0 = m.left, x1 = width - m.right;
  const leg = legend(series.map((s) => ({ label: `${s.label} (${s.total.toLocaleString('en-US')} in all)`, color: s.color })), x0, x1, 18);
  m.top = 18 + leg.height + 8;
  height += leg.height - 18;
  const yTop = m.top, yBot = height - m.bottom;
  let max = 1;
  for (const s of series) for (const v of s.moved) if (v !== null) max = Math.max(max, v);
  const tv = ticks(0, max * 1.05, 5);
  while (tv[tv.length - 1] < max) tv.push(tv[tv.length - 1] + (tv[1] - tv[0]));
  const y = scale(0, tv[tv.length - 1], yBot, yTop);
  const slot = (x1 - x0) / n;
  const pad = Math.min(slot * 0.25, 10);
  const bw = (slot - pad) / series.length;
  let s = yAxis({ y, ticks: tv, x0, x1, label: 'moved slots (weight copies)', format: fmtCompact });
  series.forEach((ser, k) => {
    let bars = '';
    ser.moved.forEach((v, i) => {
      if (v === null) return;
      const tip = `${ser.label} · ${names[i]} (placed for ${names[i + 1]}): ${v.toLocaleString('en-US')} moved slots (${((100 * v) / slots).toFixed(1)}% of ${slots.toLocaleString('en-US')})`;
      bars += rect(x0 + i * slot + pad / 2 + k * bw, y(v), bw, yBot - y(v), { 'data-window': i, 'data-moved': v }, tip);
    });
    s += `<g class="tl-moved" data-strategy="${esc(ser.key)}" fill="${ser.color}">${bars}</g>`;
  });
  if (series[0].moved[0] === null && slot > 60) {
    s += text(x0 + slot / 2, yBot - 8, 'first placement', { 'text-anchor': 'middle', fill: '#8a93a0', 'font-size': 11 });
  }
  s += xAxis(n, x0, x1, yBot, height) + leg.markup;
  return svgDoc(width, height, s, { class: 'plot plot-timeline-moved', role: 'img', 'aria-label': 'moved slots per window' });
}
