// Summary table: one row per algorithm with the SPEC section 4 measures and the time taken.
import { fmtRatio, fmtMs } from './format.js';
import { seriesColor } from './plots/palette.js';
import { esc } from './plots/svg.js';

const COLUMNS = [
  { key: 'balancednessGpu', label: 'Balancedness (GPU)', hint: 'sum of mean GPU load ÷ sum of max GPU load over layers, on the loads placed for (a history: their sum); 1 is perfect', better: 'high' },
  { key: 'nextWindowGpu', label: 'Next window (GPU)', hint: 'balancedness on loads the placement was not made from: with a history, each file left out in turn and placed from the others; with one bundled file, its placement measured on the other files of its phase', better: 'high' },
  { key: 'balancednessReplica', label: 'Balancedness (replica)', hint: 'the same over the replica slots instead of GPUs', better: 'high' },
  { key: 'upperBound', label: 'Upper bound', hint: 'no placement with this topology can do better (GPU)', better: null },
  { key: 'gapToBound', label: 'Gap to bound', hint: 'upper bound − balancedness (GPU)', better: 'low' },
  { key: 'homeNodeFraction', label: 'Home-node fraction', hint: "share of load served on its group's home node", better: 'high' },
];

export function summaryTableHtml(runs) {
  const best = {};
  for (const c of COLUMNS) {
    if (!c.better || runs.length < 2) continue;
    const vals = runs.map((r) => r.evaluation[c.key]).filter((v) => typeof v === 'number');
    if (!vals.length) continue;
    best[c.key] = c.better === 'high' ? Math.max(...vals) : Math.min(...vals);
  }
  const head = `<tr><th scope="col">Algorithm</th>${COLUMNS.map((c) => `<th scope="col" title="${esc(c.hint)}">${c.label}</th>`).join('')}` +
    '<th scope="col" title="largest replica count of any expert">Max replicas</th>' +
    '<th scope="col" title="wall time of rebalance in WebAssembly, all layers, after a warm-up: the first calls of a freshly loaded module run 10-20 times slower, until V8 has optimised its code">Time (ms)<sup>*</sup></th><th scope="col">Download</th></tr>';
  const rows = runs.map((r, i) => {
    const cells = COLUMNS.map((c) => {
      const v = r.evaluation[c.key];
      if (typeof v !== 'number') return `<td class="num" data-key="${c.key}" title="no loads left to measure on: tick older files under History">–</td>`;
      const isBest = best[c.key] !== undefined && Math.abs(v - best[c.key]) < 5e-5;
      return `<td class="num${isBest ? ' best' : ''}" data-key="${c.key}">${fmtRatio(v)}</td>`;
    }).join('');
    return `<tr data-alg="${esc(r.algorithm)}"><th scope="row"><span class="swatch" style="background:${seriesColor(i)}"></span>${esc(r.algorithm)}</th>${cells}` +
      `<td class="num" data-key="maxReplicas">${r.placement.maxReplicas}</td>` +
      `<td class="num" data-key="timeMs">${fmtMs(r.timeMs)}</td>` +
      `<td><button type="button" class="link" data-download="placement" data-alg="${esc(r.algorithm)}">placement.json</button></td></tr>`;
  }).join('');
  return `<table class="summary"><thead>${head}</thead><tbody>${rows}</tbody></table>` +
    '<p class="info table-note"><sup>*</sup> Wall time of the rebalance calls in WebAssembly, after a warm-up of each algorithm ' +
    '(the first calls of a freshly loaded module run 10–20× slower, until the browser has optimised its code).</p>';
}
