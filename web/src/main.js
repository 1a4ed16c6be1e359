// Dashboard entry point: wires the controls, the worker and the views together.
import { WorkerClient } from './worker-client.js';
import { fillDatasets, fillHistory, chosenHistory, setCustomFile, fillAlgorithms, chosenAlgorithms, readTopology, setTopology, topologyHint, wireFileInput } from './controls.js';
import { renderSummary, renderBalancedness, fillDetailSelects, renderDetail, renderHeatmap, worstLayer } from './views.js';
import { placementDocument, measuresDocument, saveJson } from './downloads.js';
import { createTimeline, orderDumps } from './timeline/page.js';
import { createPlan } from './plan/page.js';

const $ = (id) => document.getElementById(id);
const state = { result: null, topology: null, alg: 0, layer: 0, custom: null, ready: false, runs: 0, view: 'placement', placementDirty: false, files: [], cancelling: false };
const client = new WorkerClient(new URL('./worker.js', import.meta.url));

function showError(title, detail) {
  const box = $('error');
  box.innerHTML = '';
  const t = document.createElement('strong');
  t.textContent = title;
  box.append(t, document.createTextNode(detail));
  box.hidden = false;
  // The button may be far down the page (the timeline's panel is long): bring the message into view.
  if (box.getBoundingClientRect().top < 0) box.scrollIntoView({ block: 'nearest' });
}

function clearError() {
  $('error').hidden = true;
}

function setBusy(busy) {
  $('run').disabled = busy;
  $('cancel').hidden = !busy;
  $('progressBox').hidden = !busy;
  document.body.dataset.busy = busy ? '1' : '0';
}

function currentSource() {
  const v = $('dataset').value;
  if (v === '__custom__' && state.custom) return state.custom;
  return { name: v, url: `data/${v}` };
}

function stem(name) {
  return name.replace(/\.json$/i, '').replace(/[^\w.-]+/g, '_');
}

function showProgress(done, total, label) {
  $('progress').max = total;
  $('progress').value = done;
  $('progressLabel').textContent = `${label} · ${Math.round((100 * done) / total)}%`;
}

const timeline = createTimeline({
  client, readTopology, showError, clearError, onProgress: showProgress, bundled: () => state.files,
  setBusy: (busy) => {
    if (busy) { $('progress').value = 0; $('progressLabel').textContent = 'starting…'; }
    setBusy(busy);
  },
});

const plan = createPlan({
  client, readTopology, showError, clearError, onProgress: showProgress,
  setBusy: (busy) => {
    if (busy) { $('progress').value = 0; $('progressLabel').textContent = 'starting…'; }
    setBusy(busy);
  },
});

function run() {
  if (state.view === 'timeline') return timeline.run();
  if (state.view === 'plan') return plan.run();
  state.placementDirty = false;
  return runPlacement();
}

async function runPlacement() {
  clearError();
  const { topology, error } = readTopology();
  if (error) return showError('Check the topology: ', error);
  const algorithms = chosenAlgorithms();
  if (!algorithms.length) return showError('No algorithm chosen: ', 'tick at least one algorithm.');
  const source = currentSource();
  // Older windows first (in the list's order), the chosen file last; with no history, the other
  // bundled files of the chosen file's phase are what its placement is measured on next.
  const older = chosenHistory().filter((f) => f !== source.name).map((f) => ({ name: f, url: `data/${f}` }));
  const phase = (f) => f.split('_')[0];
  const unseen = older.length || source.text ? [] : (state.bundled || []).filter((f) => f !== source.name && phase(f) === phase(source.name)).map((f) => ({ name: f, url: `data/${f}` }));
  const token = ++state.runs; // a newer run replaces this one
  setBusy(true);
  $('progress').value = 0;
  $('progressLabel').textContent = 'starting…';
  const started = performance.now();
  try {
    const adoptTopology = state.adoptTopology && source === state.custom;
    state.adoptTopology = false;
    const result = await client.run({ source, history: older, unseen, topology, algorithms, adoptTopology, dropDense: $('dropDense').checked }, showProgress);
    result.wallMs = performance.now() - started;
    if (!result.runs) {
      // The chosen file records another topology (num_replicas, ...; the core's reader found the
      // keys): the fields take it, and the file is placed with it.
      const keys = result.input.topologyKeys;
      setTopology(keys);
      topologyHint();
      $('fileNote').textContent = `Topology taken from ${source.name}: ${Object.entries(keys).map(([k, v]) => `${v} ${k}`).join(', ')}.`;
      scheduleRun();
      return;
    }
    state.result = result;
    state.topology = topology;
    state.alg = Math.min(state.alg, result.runs.length - 1);
    state.layer = worstLayer(result.runs[state.alg]);
    $('results').hidden = false;
    $('results').classList.remove('stale');
    render();
    document.body.dataset.ready = String(Number(document.body.dataset.ready || 0) + 1);
  } catch (err) {
    if (err.stage === 'cancelled') return;
    const where = err.stage === 'read' ? `Could not read “${source.name}”: ` : err.stage === 'rebalance' ? 'Could not balance with this topology: ' : 'Something went wrong: ';
    showError(where, err.message + (state.result ? `\nThe results below are still those of ${state.result.input.name}.` : ''));
    if (state.result) $('results').classList.add('stale');
  } finally {
    if (token === state.runs) setBusy(false);
  }
}

// Several triggers in a row (a field's change, then the form's submit) make one run.
let runTimer = null;
function scheduleRun() {
  clearTimeout(runTimer);
  runTimer = setTimeout(run, 30);
}

// Settings of the placement view apply at once; in the timeline view (long runs) they wait
// for the button, and the placement view catches up when shown again.
function rerun() {
  if (!state.ready) return;
  // The blur of an edited field, when the pointer goes down on Cancel, is no reason to run again:
  // the edit applies with the next run.
  if (state.cancelling) {
    if (state.result) $('results').classList.add('stale');
    return;
  }
  if (state.view === 'timeline' || state.view === 'plan') state.placementDirty = true;
  else scheduleRun();
}

function setView(view) {
  if (view === state.view) return;
  state.view = view;
  document.body.dataset.view = view;
  for (const b of document.querySelectorAll('nav.tabs button')) b.setAttribute('aria-selected', String(b.dataset.view === view));
  clearError();
  if (view === 'timeline') {
    timeline.render();
    if (state.ready && !timeline.hasResult()) scheduleRun();
  } else if (view === 'plan') {
    plan.render();
    if (state.ready && !plan.hasResult()) scheduleRun();
  } else if (state.ready && (!state.result || state.placementDirty)) {
    scheduleRun();
  } else if (state.result) {
    render();
  }
}

function render() {
  renderSummary(state.result, state.topology);
  renderBalancedness(state.result, state.layer);
  fillDetailSelects(state.result, state.alg, state.layer);
  renderDetailViews();
}

function renderDetailViews() {
  renderDetail(state.result, state.topology, state.alg, state.layer);
  renderHeatmap(state.result, state.topology, state.alg, state.layer, selectLayer);
}

function selectLayer(layer) {
  state.layer = layer;
  // The list may hold only the worst layers (many layers): refill it to hold this one.
  if (![...$('detailLayer').options].some((o) => o.value === String(layer))) fillDetailSelects(state.result, state.alg, layer);
  $('detailLayer').value = String(layer);
  renderBalancedness(state.result, state.layer);
  renderDetailViews();
}

// Topology keys a load file may carry (the golden files do): num_replicas, num_groups, ...
// Files larger than this go to the worker as they are, which reads them a chunk at a time (a
// 205 MB history is never a string).
const LARGE_FILE = 16 * 2 ** 20;

async function loadFile(file) {
  try {
    const large = file.size > LARGE_FILE;
    const text = large ? null : await file.text();
    state.custom = large ? { name: file.name, file } : { name: file.name, text };
    setCustomFile(file.name);
    state.adoptTopology = true;  // the topology keys the reader finds in it replace the fields once
    $('fileNote').textContent = '';
    scheduleRun();
  } catch (err) {
    showError(`Could not open “${file.name}”: `, err.message);
  }
}

function wire() {
  for (const b of document.querySelectorAll('nav.tabs button')) b.addEventListener('click', () => {
    setView(b.dataset.view);
    history.replaceState(null, '', b.dataset.view === 'placement' ? location.pathname + location.search : `#${b.dataset.view}`);
  });
  timeline.wire(() => state.view === 'timeline' && scheduleRun());
  plan.wire();
  $('controls').addEventListener('submit', (ev) => { ev.preventDefault(); scheduleRun(); });
  // pointerdown comes before the blur (and change) of a field being edited; click after.
  $('cancel').addEventListener('pointerdown', () => { state.cancelling = true; });
  $('cancel').addEventListener('click', () => {
    state.cancelling = false;
    clearTimeout(runTimer);
    client.cancel();
    setBusy(false);
    $('progressLabel').textContent = '';
  });
  window.addEventListener('pointerup', () => setTimeout(() => { state.cancelling = false; }, 0));
  $('dataset').addEventListener('change', () => { $('fileNote').textContent = ''; scheduleRun(); });
  for (const id of ['replicas', 'groups', 'nodes', 'gpus', 'policy', 'failedGpus']) $(id).addEventListener('input', topologyHint);
  // Settings apply at once (a field commits on Enter or when it loses focus).
  for (const id of ['replicas', 'groups', 'nodes', 'gpus', 'policy', 'failedGpus', 'dropDense']) $(id).addEventListener('change', rerun);
  $('algorithms').addEventListener('change', rerun);
  $('historyFiles').addEventListener('change', rerun);
  $('zoomBal').addEventListener('change', () => state.result && renderBalancedness(state.result, state.layer));
  wireFileInput(loadFile);
  $('detailAlg').addEventListener('change', (ev) => { state.alg = Number(ev.target.value); fillDetailSelects(state.result, state.alg, state.layer); renderDetailViews(); });
  $('detailLayer').addEventListener('change', (ev) => selectLayer(Number(ev.target.value)));
  $('worstLayer').addEventListener('click', () => selectLayer(worstLayer(state.result.runs[state.alg])));
  $('balPlot').addEventListener('click', (ev) => {
    const l = ev.target.closest('[data-layer]');
    if (l) selectLayer(Number(l.dataset.layer));
  });
  $('summary').addEventListener('click', (ev) => {
    const b = ev.target.closest('button[data-download]');
    if (!b) return;
    const r = state.result.runs.find((x) => x.algorithm === b.dataset.alg);
    saveJson(`${stem(state.result.input.name)}.${r.algorithm}.placement.json`, placementDocument(r, state.result.input));
  });
  $('dlMeasures').addEventListener('click', () => saveJson(`${stem(state.result.input.name)}.measures.json`, measuresDocument(state.result, state.topology)));
  let resizeTimer;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => (state.view === 'timeline' ? timeline.render() : state.view === 'plan' ? plan.render() : state.result && render()), 150);
  });
}

async function start() {
  wire();
  topologyHint();
  client.onFatal = (msg) => showError('The WebAssembly module did not load: ', msg);
  try {
    const res = await fetch('data/index.json');
    state.bundled = res.ok ? await res.json() : [];
  } catch {
    state.bundled = [];
  }
  fillDatasets(state.bundled);
  fillHistory(state.bundled);
  state.files = orderDumps(state.bundled);
  timeline.sourceHint();
  const algos = await client.ready();
  fillAlgorithms(algos);
  plan.fill(state.files, algos);
  timeline.fillPredictors(client.predictors);
  $('run').disabled = false;
  state.ready = true;
  if (location.hash === '#timeline') setView('timeline');
  else if (location.hash === '#plan') setView('plan');
  else runPlacement();
}

start();
