// GPU load of one layer as bars, grouped by node, with the max and the mean marked.
import { svgDoc, rect, line, text, scale, ticks, indexTicks, yAxis, esc } from './svg.js';
import { fmtLoad, fmtCompact } from '../format.js';

/**
 * @param {object} o
 * @param {ArrayLike<number>} o.loads  load of each GPU in the layer
 * @param {number} o.nodes
 * @param {number} [o.bound]  lower bound on the max GPU load (dotted line), optional
 * @param {string} o.color
 * @param {string} [o.title]
 */
export function gpuBarsSvg({ loads, nodes, bound, color, title, width = 1100, height = 330, failed = 0 }) {
  const G = loads.length;
  const perNode = G / nodes;
  let max = 0, sum = 0, argmax = 0, min = Infinity;
  for (let g = 0; g < G; g++) {
    sum += loads[g];
    min = Math.min(min, loads[g]);
    if (loads[g] > max) { max = loads[g]; argmax = g; }
  }
  const mean = sum / (G - failed); // over the live GPUs (`failed` GPUs carry nothing)
  const m = { left: 72, right: 150, top: title ? 44 : 16, bottom: 50 };
  const x0 = m.left, x1 = width - m.right, yTop = m.top, yBot = height - m.bottom;
  const top = Math.max(max, bound || 0) * 1.08 || 1;
  const tv = ticks(0, top, 5);
  while (tv.length > 1 && tv[tv.length - 1] < top) tv.push(tv[tv.length - 1] + (tv[1] - tv[0]));
  const y = scale(0, tv[tv.length - 1], yBot, yTop);
  const slot = (x1 - x0) / G;
  const gap = slot > 5 ? Math.min(2, slot * 0.15) : 0;
  let s = '';
  if (title) s += text(x0, 20, title, { 'font-size': 15, 'font-weight': 700, fill: '#111' });
  for (let n = 0; n < nodes; n++) {
    if (n % 2 === 1) s += rect(x0 + n * perNode * slot, yTop, perNode * slot, yBot - yTop, { fill: '#f2f4f7' });
  }
  s += yAxis({ y, ticks: tv, x0, x1, label: 'GPU load (tokens)', format: fmtCompact });
  let bars = '';
  for (let g = 0; g < G; g++) {
    const v = loads[g];
    bars += rect(x0 + g * slot + gap / 2, y(v), slot - gap, yBot - y(v),
      { fill: color, 'fill-opacity': g === argmax ? 1 : 0.72, 'data-gpu': g, 'data-value': v },
      `GPU ${g} (node ${Math.floor(g / perNode)}): ${fmtLoad(v)} tokens`);
  }
  s += `<g class="gpu-bars">${bars}</g>`;
  // Labels at the right of their lines; when the max and the mean are closer than a line of text,
  // the max goes above its line and the mean below, so that neither covers the other.
  const mark = (v, label, stroke, dash, cls, dy = 4) => {
    const yy = y(v);
    return line(x0, yy, x1 + 4, yy, { stroke, 'stroke-width': 2, 'stroke-dasharray': dash, class: cls }) +
      text(x1 + 8, yy + dy, label, { fill: stroke, 'font-weight': 600, class: cls + '-label' });
  };
  const apart = y(mean) - y(max) >= 14;
  s += mark(mean, `mean ${fmtLoad(mean)}`, '#333', '6 4', 'mark-mean', apart ? 4 : 16);
  s += mark(max, `max ${fmtLoad(max)}`, '#c62828', null, 'mark-max', apart ? 4 : -5);
  // Bars that differ by less than the eye sees: say so.
  if (G > 1 && max > 0 && (max - min) / max < 5e-4)
    s += text(x1, title ? 37 : 12, `the ${G} GPU loads are equal to 3 decimals (within 0.05% of each other)`, { 'text-anchor': 'end', fill: '#555', 'font-size': 12, class: 'equal-note' });
  // The best possible max for this layer, when it differs visibly from the mean and the max.
  if (bound && Math.abs(y(bound) - y(mean)) > 14 && Math.abs(y(bound) - y(max)) > 14) s += mark(bound, `best max ${fmtLoad(bound)}`, '#555', '2 3', 'mark-bound');
  // x axis: GPU ticks and node spans
  s += line(x0, yBot, x1, yBot, { stroke: '#8a93a0' });
  for (const g of indexTicks(G, Math.floor((x1 - x0) / 28))) {
    const px = x0 + (g + 0.5) * slot;
    s += line(px, yBot, px, yBot + 4, { stroke: '#8a93a0' }) + text(px, yBot + 15, g, { 'text-anchor': 'middle', fill: '#4a5260', 'font-size': 11 });
  }
  // Node spans under the GPU numbers: "node n" where it fits, else the number (every k-th one
  // when even that does not fit); each row named in the margin.
  if (nodes > 1) {
    const nodeW = perNode * slot;
    const full = nodeW >= 50;
    const every = full ? 1 : Math.max(1, Math.ceil((7 * (String(nodes - 1).length + 1)) / nodeW));
    for (let n = 0; n < nodes; n++) {
      const a = x0 + n * nodeW, b = a + nodeW;
      if (nodeW >= 4) s += line(a + 1, yBot + 22, b - 1, yBot + 22, { stroke: '#8a93a0' });
      if (n % every === 0) s += text((a + b) / 2, yBot + 35, full ? `node ${n}` : n, { 'text-anchor': 'middle', fill: '#222', 'font-size': 11, class: 'node-label' });
    }
    if (!full) s += text(x0 - 8, yBot + 35, 'node', { 'text-anchor': 'end', fill: '#222', 'font-weight': 600 });
  }
  s += text(x0 - 8, yBot + 15, 'GPU', { 'text-anchor': 'end', fill: '#222', 'font-weight': 600 });
  return svgDoc(width, height, s, { class: 'plot plot-gpu-bars', role: 'img', 'aria-label': esc(title || 'GPU load') });
}
