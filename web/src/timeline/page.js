// The timeline view on the page: its controls (series, prediction), its run through the
// worker, and its rendering. main.js owns the tabs, the topology, errors and the busy state.
import { STRATEGIES } from './run.js';
import { renderTimeline, STRATEGY_COLORS } from './view.js';
import { orderDumps } from './series.js';
import { esc } from '../plots/svg.js';

const $ = (id) => document.getElementById(id);

const PREDICTOR_HINTS = {
  sum: 'sum: the windows’ total, what the reference balances (history 1: the window itself).',
  ema: 'ema: exponential moving average of the windows, newest weighted most.',
  robust: 'robust: per expert mean + spread × std over the windows, so experts whose load swings weigh more.',
};

export function createTimeline({ client, readTopology, showError, clearError, setBusy, onProgress, bundled }) {
  const state = { result: null, topology: null, options: null, file: null, runs: 0 };

  function sourceHint() {
    const kind = $('tlSource').value;
    document.body.dataset.tlSource = kind;
    const el = $('tlSourceHint');
    el.classList.remove('bad');
    if (kind === 'synthetic') el.textContent = 'Lognormal expert popularity per layer, a slow random walk per window, now and then an expert turning hot (js/synthetic.js). The same seed gives the same loads.';
    else if (kind === 'files') el.textContent = `Prefill, then decode, by request length: ${bundled().length} separate aggregates, not a real time series.`;
    else el.textContent = state.file ? `${state.file.name}: cut into windows of K steps, each summed.` : 'No file yet: drop or choose one.';
  }

  function predictorHint() {
    const p = $('tlPredictor').value;
    $('tlPredictorHint').textContent = `${PREDICTOR_HINTS[p] || p} The estimate at window i uses the last ${$('tlHistory').value || '?'} window(s) up to i.`;
  }

  function fillPredictors(names) {
    const list = names && names.length ? names : ['sum'];
    $('tlPredictor').innerHTML = list.map((n) => `<option value="${esc(n)}"${n === 'sum' ? ' selected' : ''}>${esc(n)}</option>`).join('');
    predictorHint();
  }

  function fillStrategies() {
    $('tlStrategies').innerHTML = STRATEGIES.map((s) => `<li><span class="swatch" style="background:${STRATEGY_COLORS[s.key]}"></span><strong>${esc(s.label)}</strong> ` +
      `<code>${esc(s.algorithm)}</code><small>${esc(s.about)}</small></li>`).join('');
  }

  function wholeField(id, name, min, max) {
    const raw = $(id).value.trim();
    const v = Number(raw);
    if (!raw || !Number.isInteger(v) || v < min || v > max) throw new Error(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
    return v;
  }

  function series() {
    const kind = $('tlSource').value;
    if (kind === 'synthetic') {
      return {
        kind, layers: wholeField('tlLayers', 'layers', 1, 1024), experts: wholeField('tlExperts', 'experts', 2, 4096),
        windows: wholeField('tlWindows', 'windows', 2, 200), seed: wholeField('tlSeed', 'seed', 0, 0xffffffff),
      };
    }
    if (kind === 'files') return { kind, files: bundled().map((f) => ({ name: f, url: `data/${f}` })) };
    if (!state.file) throw new Error('drop a load_history file on the drop zone or choose one, or pick another series');
    return { kind, name: state.file.name, text: state.file.text, steps: wholeField('tlSteps', 'steps per window', 1, 1e7) };
  }

  async function run() {
    clearError();
    const { topology, error } = readTopology();
    if (error) return showError('Check the topology: ', error);
    let request;
    try {
      const history = wholeField('tlHistory', 'history', 1, 64);
      request = { job: 'timeline', series: series(), topology, predictor: $('tlPredictor').value, history };
    } catch (err) {
      return showError('Check the load series: ', err.message);
    }
    const token = ++state.runs;
    setBusy(true);
    const name = request.series.name || (request.series.kind === 'files' ? 'the bundled dumps' : 'the synthetic series');
    try {
      const result = await client.run(request, onProgress);
      state.result = result;
      state.topology = topology;
      state.options = { predictor: request.predictor, history: request.history };
      $('tlEmpty').hidden = true;
      $('tlResults').hidden = false;
      $('tlResults').classList.remove('stale');
      render();
      document.body.dataset.tlReady = String(Number(document.body.dataset.tlReady || 0) + 1);
    } catch (err) {
      if (err.stage === 'cancelled') return;
      const where = err.stage === 'read' ? `Could not use “${name}”: ` : err.stage === 'rebalance' ? 'Could not balance with this topology: ' : 'Something went wrong: ';
      showError(where, err.message + (state.result ? '\nThe timeline below is still that of the previous run.' : ''));
      if (state.result) $('tlResults').classList.add('stale');
    } finally {
      if (token === state.runs) setBusy(false);
    }
  }

  function render() {
    if (state.result) renderTimeline(state.result, state.topology, state.options);
  }

  async function loadFile(file) {
    try {
      state.file = { name: file.name, text: await file.text() };
      $('tlSource').value = 'history';
      sourceHint();
    } catch (err) {
      showError(`Could not open “${file.name}”: `, err.message);
    }
  }

  function wire(scheduleRun) {
    fillStrategies();
    $('tlSource').addEventListener('change', sourceHint);
    $('tlPredictor').addEventListener('change', () => {
      // ema and robust need more than one window to differ from the window itself.
      if ($('tlPredictor').value !== 'sum' && $('tlHistory').value === '1') $('tlHistory').value = '4';
      predictorHint();
    });
    $('tlHistory').addEventListener('input', predictorHint);
    $('tlFile').addEventListener('change', (ev) => {
      const f = ev.target.files[0];
      if (f) loadFile(f).then(scheduleRun);
      ev.target.value = '';
    });
    const zone = $('tlDrop');
    zone.addEventListener('keydown', (ev) => {
      if (ev.target === zone && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); $('tlFile').click(); }
    });
    zone.addEventListener('dragover', (ev) => { ev.preventDefault(); zone.classList.add('over'); });
    zone.addEventListener('dragleave', () => zone.classList.remove('over'));
    zone.addEventListener('drop', (ev) => {
      ev.preventDefault();
      zone.classList.remove('over');
      const f = ev.dataTransfer.files[0];
      if (f) loadFile(f).then(scheduleRun);
    });
    sourceHint();
    predictorHint();
  }

  return { run, render, wire, fillPredictors, sourceHint, hasResult: () => !!state.result };
}

export { orderDumps };
