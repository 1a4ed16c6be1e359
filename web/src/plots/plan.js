// The plan's curve: balancedness against redundant experts, one colour per (algorithm, policy);
// next-window figures as solid lines, same-window figures dashed. Every point is clickable
// (data-row: its index in rows). Returns SVG markup.
import { svgDoc, line, text, tag, scale, ticks, yAxis, esc, r2 } from './svg.js';
import { seriesColor } from './palette.js';
import { fmtRatio } from '../format.js';

/** The (algorithm, policy) pairs of the rows, in their order: one series each. */
export function planSeries(rows) {
  const keys = [];
  for (const r of rows) if (!keys.some((k) => k.algorithm === r.algorithm && k.policy === r.policy)) keys.push({ algorithm: r.algorithm, policy: r.policy });
  return keys.map((k, i) => ({ ...k, color: seriesColor(i), rows: rows.map((r, index) => ({ ...r, index })).filter((r) => r.algorithm === k.algorithm && r.policy === k.policy) }));
}

/**
 * @param {object} o
 * @param {object[]} o.rows     plan rows (PlanRow)
 * @param {number}   [o.chosen] index of the chosen row (ringed)
 */
export function planCurveSvg({ rows, chosen = -1, width = 1100, height = 380 }) {
  const series = planSeries(rows);
  const hasNext = rows.some((r) => r.nextWindowGpu !== null);
  const perRow = Math.max(1, Math.floor((width - 84) / 210));
  const legendRows = Math.ceil(series.length / perRow) + 1;
  const m = { left: 64, right: 20, top: 14 + 18 * legendRows, bottom: 46 };
  const x0 = m.left, x1 = width - m.right, yTop = m.top, yBot = height - m.bottom;
  const xs = [...new Set(rows.map((r) => r.redundant))].sort((a, b) => a - b);
  const values = rows.flatMap((r) => [r.balancednessGpu, r.nextWindowGpu].filter((v) => v !== null));
  let lo = Math.min(...values), hi = Math.max(...values);
  const pad = Math.max(0.005, (hi - lo) * 0.08);
  lo = Math.max(0, Math.floor((lo - pad) * 100) / 100);
  hi = Math.min(1, Math.ceil((hi + pad) * 100) / 100);
  const y = scale(lo, hi, yBot, yTop);
  const span = xs[xs.length - 1] - xs[0];
  const x = span ? scale(xs[0], xs[xs.length - 1], x0 + 30, x1 - 30) : () => (x0 + x1) / 2;
  let s = yAxis({ y, ticks: ticks(lo, hi, 5), x0, x1, label: 'balancedness (GPU)', format: (v) => v.toFixed(2) });
  s += line(x0, yBot, x1, yBot, { stroke: '#8a93a0' });
  for (const r of xs) {
    s += line(x(r), yBot, x(r), yBot + 4, { stroke: '#8a93a0' });
    s += text(x(r), yBot + 16, String(r), { 'text-anchor': 'middle', fill: '#4a5260' });
  }
  s += text((x0 + x1) / 2, height - 8, 'redundant experts per layer (replicas = experts + redundant)', { 'text-anchor': 'middle', fill: '#222', 'font-weight': 600 });
  const kinds = [{ kind: 'same', key: 'balancednessGpu', label: 'same window', dash: '5 4' }];
  if (hasNext) kinds.unshift({ kind: 'next', key: 'nextWindowGpu', label: 'next window', dash: null });
  for (const ser of series) {
    let g = '';
    for (const k of kinds) {
      const pts = ser.rows.map((r) => `${r2(x(r.redundant))},${r2(y(r[k.key]))}`).join(' ');
      g += tag('polyline', { points: pts, fill: 'none', stroke: ser.color, 'stroke-width': 2, 'stroke-dasharray': k.dash }, null);
      for (const r of ser.rows) {
        const tip = `${ser.algorithm} · ${ser.policy} · ${r.redundant} redundant (${r.replicas} replicas): ${k.label} balancedness ${fmtRatio(r[k.key])}` +
          ` · click for its placement`;
        g += tag('circle', {
          cx: r2(x(r.redundant)), cy: r2(y(r[k.key])), r: r.index === chosen ? 7 : 4.5, fill: k.kind === 'next' ? ser.color : '#fff', stroke: ser.color,
          'stroke-width': r.index === chosen ? 3 : 2, 'data-row': r.index, 'data-kind': k.kind, 'data-value': r[k.key], class: r.index === chosen ? 'chosen' : null,
          style: 'cursor: pointer',
        }, `<title>${esc(tip)}</title>`);
      }
    }
    s += `<g class="plan-series" data-alg="${esc(ser.algorithm)}" data-policy="${esc(ser.policy)}">${g}</g>`;
  }
  // Legend: a swatch per series, then what solid and dashed mean.
  series.forEach((ser, i) => {
    const lx = x0 + (i % perRow) * 210, ly = 18 + Math.floor(i / perRow) * 18;
    s += line(lx, ly - 4, lx + 22, ly - 4, { stroke: ser.color, 'stroke-width': 3 }) + text(lx + 28, ly, `${ser.algorithm} · ${ser.policy}`, { fill: '#222' });
  });
  s += text(x0, 18 * legendRows, hasNext ? 'solid: next window (leave-one-out) · dashed: same window' : 'dashed: same window (next window needs 3 files)', { fill: '#4a5260' });
  return svgDoc(width, height, s, { class: 'plot plot-plan', role: 'img', 'aria-label': 'balancedness against redundant experts' });
}
