// Replica map of one layer: which expert sits in which slot. Columns are GPUs (outlined by
// node), rows the slots of a GPU. Colour is the slot's load (its expert's load split over its
// replicas) relative to the mean slot load; the hottest experts are outlined in red.
import { svgDoc, rect, text, esc } from './svg.js';
import { ramp, rampText } from './palette.js';
import { fmtLoad } from '../format.js';

/**
 * @param {object} o
 * @param {ArrayLike<number>} o.phy2log  slots of the layer (length R)
 * @param {ArrayLike<number>} o.logcnt   replicas per expert (length E)
 * @param {ArrayLike<number>} o.weights  expert loads of the layer (length E)
 * @param {number} o.gpus @param {number} o.nodes @param {number} o.groups
 * @param {number} [o.hot]  how many of the hottest experts to outline
 */
export function replicaMapSvg({ phy2log, logcnt, weights, gpus: G, nodes, groups, hot = 10, title, width = 1100 }) {
  const R = phy2log.length, E = logcnt.length, spg = R / G, perNode = G / nodes, perGroup = E / groups;
  let total = 0;
  for (let e = 0; e < E; e++) total += weights[e];
  const order = Array.from({ length: E }, (_, e) => e).sort((a, b) => weights[b] - weights[a] || a - b);
  const hotRank = new Map(order.slice(0, Math.min(hot, E)).map((e, i) => [e, i + 1]));
  let maxRatio = 1;
  let live = 0;
  for (let p = 0; p < R; p++) live += phy2log[p] >= 0;
  const meanSlot = total / live || 1; // over the live slots (-1: a slot of a failed GPU)
  for (let p = 0; p < R; p++) if (phy2log[p] >= 0) maxRatio = Math.max(maxRatio, weights[phy2log[p]] / logcnt[phy2log[p]] / meanSlot);

  const m = { left: 60, right: 12, top: (title ? 40 : 10) + 22, bottom: 58 };
  const cellW = (width - m.left - m.right) / G;
  const cellH = spg <= 12 ? 24 : Math.max(4, 300 / spg);
  const height = Math.round(m.top + m.bottom + cellH * spg);
  const showText = cellW >= 17 && cellH >= 12;
  const fs = Math.min(11, cellW / 2.9);
  let s = '';
  if (title) s += text(m.left, 20, title, { 'font-size': 15, 'font-weight': 700, fill: '#111' });
  let cells = '', hotCells = '';
  for (let p = 0; p < R; p++) {
    const g = Math.floor(p / spg), r = p % spg, e = phy2log[p];
    if (e < 0) { // a slot of a failed GPU: empty
      cells += rect(m.left + g * cellW, m.top + r * cellH, cellW, cellH, { fill: '#d5d8de', stroke: '#fff', 'stroke-width': 0.5, 'data-slot': p, 'data-failed': 1 },
        `slot ${p} · GPU ${g} · node ${Math.floor(g / perNode)}\nfailed GPU: no expert`);
      continue;
    }
    const load = weights[e] / logcnt[e];
    const t = load / meanSlot / maxRatio;
    const x = m.left + g * cellW, y = m.top + r * cellH;
    const tip = `slot ${p} · GPU ${g} · node ${Math.floor(g / perNode)}\nexpert ${e} (group ${Math.floor(e / perGroup)})` +
      `${hotRank.has(e) ? ` · #${hotRank.get(e)} hottest` : ''}\nexpert load ${fmtLoad(weights[e])} tokens over ${logcnt[e]} replica${logcnt[e] > 1 ? 's' : ''}` +
      `\nthis slot: ${fmtLoad(load)} tokens (${(load / meanSlot).toFixed(2)}× mean slot)`;
    cells += rect(x, y, cellW, cellH, { fill: ramp(t), stroke: '#fff', 'stroke-width': 0.5, 'data-slot': p, 'data-expert': e }, tip);
    if (showText) {
      cells += text(x + cellW / 2, y + cellH / 2 + fs * 0.36, e, {
        'text-anchor': 'middle', 'font-size': fs.toFixed(1), fill: rampText(t), 'font-weight': hotRank.has(e) ? 700 : 400, 'pointer-events': 'none',
      });
    }
    if (hotRank.has(e)) hotCells += rect(x + 1, y + 1, cellW - 2, cellH - 2, { fill: 'none', stroke: '#e53935', 'stroke-width': 2, 'pointer-events': 'none' });
  }
  s += `<g class="replica-cells">${cells}</g><g class="replica-hot">${hotCells}</g>`;
  // Node outlines and labels: "node n" where it fits, else the number alone (every k-th one when
  // even that does not fit), with "node" written once in the margin.
  const nodeW = perNode * cellW;
  const full = nodeW >= 58;
  const every = full ? 1 : Math.max(1, Math.ceil(8 * (String(nodes - 1).length + 1) / nodeW));
  if (!full) s += text(m.left - 6, m.top - 8, 'node', { 'text-anchor': 'end', fill: '#222', 'font-weight': 600, class: 'node-caption' });
  for (let n = 0; n < nodes; n++) {
    const x = m.left + n * nodeW;
    s += rect(x, m.top, nodeW, cellH * spg, { fill: 'none', stroke: '#111', 'stroke-width': 2 });
    if (n % every === 0)
      s += text(x + nodeW / 2, m.top - 8, full ? `node ${n}` : n, { 'text-anchor': 'middle', fill: '#222', 'font-weight': 600, class: 'node-label' });
  }
  // Axes labels.
  const step = Math.max(1, Math.ceil(G / Math.floor((width - m.left - m.right) / 26)));
  for (let g = 0; g < G; g += step) s += text(m.left + (g + 0.5) * cellW, m.top + cellH * spg + 14, g, { 'text-anchor': 'middle', fill: '#4a5260', 'font-size': 11 });
  s += text(m.left + (G * cellW) / 2, m.top + cellH * spg + 30, 'GPU', { 'text-anchor': 'middle', fill: '#222', 'font-weight': 600 });
  if (spg <= 40) for (let r = 0; r < spg; r++) s += text(m.left - 6, m.top + (r + 0.5) * cellH + 4, r, { 'text-anchor': 'end', fill: '#4a5260', 'font-size': 11 });
  const mid = m.top + (cellH * spg) / 2;
  s += text(16, mid, 'slot on GPU', { transform: `rotate(-90 16 ${mid})`, 'text-anchor': 'middle', fill: '#222', 'font-weight': 600 });
  // Legend, laid out left to right.
  const ly = height - 12;
  let lx = m.left;
  for (let i = 0; i <= 20; i++) s += rect(lx + i * 6, ly - 10, 6, 12, { fill: ramp(i / 20) });
  const items = [
    [`slot load ÷ mean slot load, 0 to ${maxRatio.toFixed(2)}×`, null],
    [`the ${hotRank.size} hottest experts (by load in this layer)`, '#e53935'],
    ['node', '#111'],
  ];
  lx += 132;
  for (const [label, stroke] of items) {
    if (stroke) {
      s += rect(lx, ly - 10, 14, 12, { fill: 'none', stroke, 'stroke-width': 2 });
      lx += 20;
    }
    s += text(lx, ly, label, { fill: '#222' });
    lx += label.length * 6.4 + 28;
  }
  return svgDoc(width, height, s, { class: 'plot plot-replica-map', role: 'img', 'aria-label': esc(title || 'replica map') });
}
