// Renders a finished run into the results section.
import { balancednessSvg } from './plots/balancedness.js';
import { gpuBarsSvg } from './plots/gpu-bars.js';
import { drawHeatmap } from './plots/heatmap.js';
import { replicaMapSvg } from './plots/replica-map.js';
import { seriesColor } from './plots/palette.js';
import { summaryTableHtml } from './table.js';
import { fmtLoad } from './format.js';
import { esc } from './plots/svg.js';

const $ = (id) => document.getElementById(id);
const MAX_OPTIONS = 256;
// Plots are drawn at the width they are shown at, so their text keeps its size.
const widthOf = (id) => Math.max(640, Math.round($(id).clientWidth || 1100));

export function worstLayer(run) {
  const v = run.evaluation.layerBalancednessGpu;
  let worst = 0;
  for (let l = 1; l < v.length; l++) if (v[l] < v[worst]) worst = l;
  return worst;
}

export function inputSummary(result, topology) {
  const { input } = result;
  const dropped = input.keptLayers.length && input.fileLayers ? input.fileLayers - input.layers : null;
  const first = input.keptLayers[0], last = input.keptLayers[input.keptLayers.length - 1];
  const span = input.layers > 1 ? ` (model layers ${first}–${last})` : '';
  const steps = input.format === 'load_history' && input.historySteps ? ` (${input.historySteps} steps summed)` : '';
  const windows = input.windows && input.windows.length > 1 ? ` · a history of ${input.windows.length} windows (oldest first: ${input.windows.map(esc).join(', ')}), measured on their sum` : '';
  const next = input.unseen && input.unseen.length ? ` · next window: measured on ${input.unseen.length} other files of its phase` : input.windows && input.windows.length > 1 ? ' · next window: each file left out in turn' : '';
  return `<strong>${esc(input.name)}</strong> · format <code>${esc(input.format)}</code>${steps} · ${input.layers} MoE layers${span} × ${input.experts} experts` +
    `${dropped ? ` · ${dropped} all-zero layers skipped` : ''} · ${topology.replicas} replicas on ${topology.gpus} GPUs in ${topology.nodes} nodes, ${topology.groups} expert groups` +
    ` · loads in tokens routed per expert${windows}${next}`;
}

export function renderSummary(result, topology) {
  $('inputInfo').innerHTML = inputSummary(result, topology);
  $('summary').innerHTML = summaryTableHtml(result.runs);
}

export function renderBalancedness(result, selectedLayer) {
  const { input, runs } = result;
  $('balPlot').innerHTML = balancednessSvg({
    width: widthOf('balPlot'),
    zoom: $('zoomBal').checked,
    layerLabels: input.keptLayers,
    series: runs.map((r) => ({ name: r.algorithm, values: r.evaluation.layerBalancednessGpu, overall: r.evaluation.balancednessGpu })),
    bound: runs[0].evaluation.layerUpperBound,
    selectedLayer,
  });
}

export function fillDetailSelects(result, algIndex, layer) {
  $('detailAlg').innerHTML = result.runs.map((r, i) => `<option value="${i}"${i === algIndex ? ' selected' : ''}>${esc(r.algorithm)}</option>`).join('');
  const b = result.runs[algIndex].evaluation.layerBalancednessGpu;
  // Thousands of options cost the page a layout of each at every change (150 ms at 4,096): past
  // MAX_OPTIONS layers, the list holds the worst ones and the layer shown; the plots pick any.
  const L = result.input.keptLayers.length;
  let shown = Array.from({ length: L }, (_, l) => l);
  if (L > MAX_OPTIONS) {
    shown.sort((x, y) => b[x] - b[y] || x - y);
    shown = shown.slice(0, MAX_OPTIONS);
    if (!shown.includes(layer)) shown.push(layer);
    shown.sort((x, y) => x - y);
  }
  const select = $('detailLayer');
  select.title = L > MAX_OPTIONS ? `the ${MAX_OPTIONS} worst of ${L} layers (and the one shown); click a bar or a heat-map row for any other` : '';
  select.innerHTML = shown.map((l) => `<option value="${l}"${l === layer ? ' selected' : ''}>${result.input.keptLayers[l]} (balancedness ${b[l].toFixed(3)})</option>`).join('');
}

export function renderDetail(result, topology, algIndex, layer) {
  const { input } = result;
  const run = result.runs[algIndex];
  const G = topology.gpus, E = input.experts, R = topology.replicas;
  const ev = run.evaluation;
  const loads = ev.gpuLoads.subarray(layer * G, (layer + 1) * G);
  let sum = 0;
  for (let g = 0; g < G; g++) sum += loads[g];
  const live = G - (run.placement.failedGpus?.length ?? 0);
  const bound = ev.layerUpperBound[layer] > 0 ? sum / live / ev.layerUpperBound[layer] : undefined;
  const modelLayer = input.keptLayers[layer];
  $('gpuPlot').innerHTML = gpuBarsSvg({
    loads, nodes: topology.nodes, bound, color: seriesColor(algIndex), width: widthOf('gpuPlot'), failed: G - live,
    title: `GPU load in layer ${modelLayer} · ${run.algorithm} · balancedness ${ev.layerBalancednessGpu[layer].toFixed(4)}`,
  });
  const p = run.placement;
  $('replicaTitle').textContent = `Replica map · layer ${modelLayer} · ${run.algorithm}`;
  $('replicaPlot').innerHTML = replicaMapSvg({
    phy2log: p.phy2log.subarray(layer * R, (layer + 1) * R),
    logcnt: p.logcnt.subarray(layer * E, (layer + 1) * E),
    weights: input.data.subarray(layer * E, (layer + 1) * E),
    gpus: G, nodes: topology.nodes, groups: topology.groups, width: Math.max(900, widthOf('replicaPlot')),
  });
}

export function renderHeatmap(result, topology, algIndex, layer, onPick) {
  const run = result.runs[algIndex];
  const canvas = $('heatmap');
  const hm = drawHeatmap(canvas, {
    gpuLoads: run.evaluation.gpuLoads, layers: result.input.layers, gpus: topology.gpus, nodes: topology.nodes,
    layerLabels: result.input.keptLayers, selectedLayer: layer, failedGpus: run.placement.failedGpus ?? [],
  });
  const h = hm.hottest;
  $('heatInfo').innerHTML = `${esc(run.algorithm)}: colour is each GPU's load ÷ the mean GPU load of its layer (1.00× is perfectly even). ` +
    `<span id="hottest">Hottest GPU: layer ${result.input.keptLayers[h.layer]}, GPU ${h.gpu}, ${h.ratio.toFixed(2)}× the layer mean (${fmtLoad(h.load)} tokens)</span>. Click a row to inspect that layer.`;
  canvas.onmousemove = (ev) => {
    const c = hm.hit(ev.clientX, ev.clientY);
    canvas.title = c ? `layer ${result.input.keptLayers[c.layer]}, GPU ${c.gpu}: ${fmtLoad(c.load)} tokens (${c.ratio.toFixed(2)}× layer mean)` : '';
  };
  canvas.onclick = (ev) => {
    const c = hm.hit(ev.clientX, ev.clientY);
    if (c) onPick(c.layer);
  };
}
