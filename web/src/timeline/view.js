// Renders a finished timeline run: the series described, the summary table, and the two plots.
import { STRATEGIES, summarize } from './run.js';
import { timelineBalancednessSvg, timelineMovedSvg } from '../plots/timeline.js';
import { seriesColor } from '../plots/palette.js';
import { fmtRatio, fmtMs } from '../format.js';
import { esc } from '../plots/svg.js';

const $ = (id) => document.getElementById(id);
const widthOf = (id) => Math.max(640, Math.round($(id).clientWidth || 1100));

/** reference orange, best fresh blue, incremental green (the placement view's first colours). */
export const STRATEGY_COLORS = { reference: seriesColor(1), fresh: seriesColor(0), incremental: seriesColor(2) };

const COLUMNS = [
  { key: 'meanNext', label: 'Next-window balancedness (GPU), mean', hint: 'placed on window i, measured on window i + 1; mean over the placements', fmt: (v) => fmtRatio(v), better: 'high' },
  { key: 'minNext', label: 'lowest', hint: 'the worst placement of the run', fmt: (v) => fmtRatio(v), better: 'high' },
  { key: 'totalMoved', label: 'Moved slots, total', hint: "slots whose expert differs from the strategy's previous placement, summed over the rebalances", fmt: (v) => v.toLocaleString('en-US'), better: 'low' },
  { key: 'movedPerRebalance', label: 'per rebalance', hint: 'mean over the rebalances after the first placement', fmt: (v) => (Number.isFinite(v) ? v.toFixed(1) : '–'), better: 'low' },
  { key: 'movedVsReference', label: "moved vs the reference's", hint: "total moved slots ÷ the reference's total", fmt: (v) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : '–'), better: 'low' },
  { key: 'medianMs', label: 'ms per rebalance (median)', hint: 'wall time of one rebalance call in WebAssembly, all layers', fmt: fmtMs, better: null },
];

function tableHtml(rows) {
  const best = {};
  for (const c of COLUMNS) {
    if (!c.better) continue;
    const vals = rows.map((r) => r[c.key]).filter(Number.isFinite);
    best[c.key] = c.better === 'high' ? Math.max(...vals) : Math.min(...vals);
  }
  const head = `<tr><th scope="col">Strategy</th>${COLUMNS.map((c) => `<th scope="col" title="${esc(c.hint)}">${esc(c.label)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => {
    const s = STRATEGIES.find((x) => x.key === r.key);
    const cells = COLUMNS.map((c) => {
      const v = r[c.key];
      const isBest = c.better && Number.isFinite(v) && Math.abs(v - best[c.key]) < (c.key.endsWith('Next') ? 5e-5 : 1e-9);
      return `<td class="num${isBest ? ' best' : ''}" data-key="${c.key}">${c.fmt(v)}</td>`;
    }).join('');
    return `<tr data-strategy="${r.key}"><th scope="row" title="${esc(s.about)}"><span class="swatch" style="background:${STRATEGY_COLORS[r.key]}"></span>${esc(s.label)} ` +
      `<small>${esc(s.algorithm)}${s.incremental ? ' + previous' : ', fresh'}</small></th>${cells}</tr>`;
  }).join('');
  return `<table class="summary tl-summary"><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function inputHtml(result, topology, options) {
  const { input, timeline } = result;
  const pol = topology.policy === 'auto' ? 'policy auto' : `policy ${topology.policy}`;
  const pred = `predictor <code>${esc(options.predictor)}</code> over the last ${options.history} window${options.history > 1 ? 's' : ''}`;
  return `<strong>${esc(input.description)}</strong> · ${timeline.strategies[0].next.length} placements, each measured on the next window · ${pred}` +
    ` · ${topology.replicas} replicas on ${topology.gpus} GPUs in ${topology.nodes} nodes, ${topology.groups} expert groups, ${pol}` +
    ` · ${timeline.slots.toLocaleString('en-US')} slots per placement`;
}

export function renderTimeline(result, topology, options) {
  const { input, timeline } = result;
  const rows = summarize(timeline);
  $('tlInfo').innerHTML = inputHtml(result, topology, options);
  $('tlBundledNote').hidden = input.kind !== 'files';
  $('tlOrder').textContent = input.kind === 'files' ? `Windows in order: ${input.names.map((n, i) => `${i} ${n.replace(/\.json$/, '')}`).join(', ')}.` : '';
  $('tlSummary').innerHTML = tableHtml(rows);
  const names = input.names;
  $('tlBalPlot').innerHTML = timelineBalancednessSvg({
    width: widthOf('tlBalPlot'), names,
    series: timeline.strategies.map((s, k) => ({ key: s.key, label: s.label, color: STRATEGY_COLORS[s.key], values: s.next, mean: rows[k].meanNext })),
  });
  $('tlMovedPlot').innerHTML = timelineMovedSvg({
    width: widthOf('tlMovedPlot'), names, slots: timeline.slots,
    series: timeline.strategies.map((s, k) => ({ key: s.key, label: s.label, color: STRATEGY_COLORS[s.key], moved: s.moved, total: rows[k].totalMoved })),
  });
}
