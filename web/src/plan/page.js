// The Plan view: which load files make the history, the redundancies, algorithms and policies to
// try; the run through the worker (the package's plan()); the curve, the table and the chosen
// point, whose placement (JSON or TensorRT-LLM YAML) is one click away. main.js owns the tabs,
// the topology, errors and the busy state.
import { planCurveSvg } from '../plots/plan.js';
import { esc } from '../plots/svg.js';
import { fmtRatio } from '../format.js';
import { saveJson, saveText } from '../downloads.js';

const $ = (id) => document.getElementById(id);
const POLICIES = ['auto', 'hierarchical', 'global', 'hybrid'];
const DEFAULT_ALGORITHMS = ['deepseek', 'default'];
const DEFAULT_POLICIES = ['auto', 'hybrid'];
const widthOf = (id) => Math.max(640, Math.round($(id).clientWidth || 1100));

// "0, 32,64" -> [0, 32, 64]; "" -> undefined (the planner's default).
export function parseRedundant(raw) {
  const s = raw.trim();
  if (!s) return undefined;
  const parts = s.split(',').map((x) => x.trim());
  if (parts.some((x) => !/^\d+$/.test(x))) throw new Error(`redundant experts must be whole numbers ≥ 0 separated by commas (got "${raw}")`);
  return parts.map(Number);
}

export function createPlan({ client, readTopology, showError, clearError, setBusy, onProgress }) {
  const state = { result: null, request: null, chosen: -1, custom: [], runs: 0 };

  function fill(bundled, algorithms) {
    const files = [...bundled.map((name) => ({ name, url: `data/${name}` })), ...state.custom];
    $('planFiles').innerHTML = files.map((f, i) => `<label><input type="checkbox" value="${i}" checked> ${esc(f.text ? `your file: ${f.name}` : f.name)}</label>`).join('');
    state.files = files;
    if (algorithms) {
      // The defaults first, in the order `eplb plan` uses.
      const rank = (a) => (DEFAULT_ALGORITHMS.includes(a.name) ? DEFAULT_ALGORITHMS.indexOf(a.name) : DEFAULT_ALGORITHMS.length);
      $('planAlgorithms').innerHTML = [...algorithms].sort((a, b) => rank(a) - rank(b)).map((a) => `<label><input type="checkbox" value="${esc(a.name)}"${DEFAULT_ALGORITHMS.includes(a.name) ? ' checked' : ''}> ${esc(a.name)}</label>`).join('');
      $('planPolicies').innerHTML = POLICIES.map((p) => `<label><input type="checkbox" value="${p}"${DEFAULT_POLICIES.includes(p) ? ' checked' : ''}> ${p}</label>`).join('');
    }
    state.bundled = bundled;
  }

  const checked = (id) => [...document.querySelectorAll(`#${id} input:checked`)].map((i) => i.value);

  function request() {
    const { topology, error } = readTopology();
    if (error) throw Object.assign(new Error(error), { title: 'Check the topology: ' });
    const sources = checked('planFiles').map((i) => state.files[Number(i)]);
    if (!sources.length) throw new Error('tick at least one load file (three or more give the next-window figure)');
    const algorithms = checked('planAlgorithms');
    if (!algorithms.length) throw new Error('tick at least one algorithm');
    const policies = checked('planPolicies');
    if (!policies.length) throw new Error('tick at least one policy');
    const { groups, nodes, gpus } = topology;
    return { job: 'plan', sources, topology: { groups, nodes, gpus }, redundant: parseRedundant($('planRedundant').value), algorithms, policies };
  }

  async function run() {
    clearError();
    let req;
    try {
      req = request();
    } catch (err) {
      return showError(err.title || 'Check the plan: ', err.message);
    }
    const token = ++state.runs;
    setBusy(true);
    try {
      const result = await client.run(req, onProgress);
      state.result = result;
      state.request = req;
      const first = result.plan.choices[0];
      state.chosen = first ? result.plan.rows.findIndex((r) => r.policy === first.policy && r.redundant === first.redundant && r.algorithm === first.algorithm) : 0;
      $('planEmpty').hidden = true;
      $('planResults').hidden = false;
      $('planResults').classList.remove('stale');
      render();
      document.body.dataset.planReady = String(Number(document.body.dataset.planReady || 0) + 1);
    } catch (err) {
      if (err.stage === 'cancelled') return;
      const where = err.stage === 'read' ? 'Could not read the load files: ' : err.stage === 'rebalance' ? 'Could not plan with these settings: ' : 'Something went wrong: ';
      showError(where, err.message + (state.result ? '\nThe plan below is still that of the previous run.' : ''));
      if (state.result) $('planResults').classList.add('stale');
    } finally {
      if (token === state.runs) setBusy(false);
    }
  }

  function render() {
    if (!state.result) return;
    const { plan, input } = state.result;
    const t = state.request.topology;
    const auto = t.groups % t.nodes === 0 ? 'hierarchical' : 'global';
    $('planInfo').innerHTML = `${input.names.length} load file${input.names.length === 1 ? '' : 's'} as one history (oldest first) · ${input.layers} MoE layers × ${input.experts} experts · ` +
      `${t.gpus} GPUs in ${t.nodes} nodes, ${t.groups} expert groups (auto → ${auto}) · ` +
      (plan.nextWindow ? `next window: leave-one-out over the ${plan.windows} files (each held out, the placement made from the others, measured on it; the mean)` : 'next window needs at least 3 files');
    $('planNotes').innerHTML = plan.notes.map((n) => `<li>${esc(n)}</li>`).join('');
    $('planChoices').innerHTML = plan.choices.map((c) => {
      const i = plan.rows.findIndex((r) => r.policy === c.policy && r.redundant === c.redundant && r.algorithm === c.algorithm);
      return `<li data-policy="${esc(c.policy)}"><strong>${esc(c.policy)}</strong>: ${c.redundant} redundant (${c.replicas} replicas) with ${esc(c.algorithm)}, ` +
        `${c.measure === 'nextWindowGpu' ? 'next-window' : 'same-window'} balancedness ${fmtRatio(c.value)} (best ${fmtRatio(c.best.value)} at ${c.best.redundant}) ` +
        `<button type="button" class="link" data-row="${i}">choose</button></li>`;
    }).join('');
    $('planPlot').innerHTML = planCurveSvg({ rows: plan.rows, chosen: state.chosen, width: widthOf('planPlot') });
    $('planTable').innerHTML = tableHtml(plan.rows, state.chosen);
    renderChosen();
  }

  function tableHtml(rows, chosen) {
    const head = ['redundant', 'replicas', 'algorithm', 'policy', 'same window', 'next window', 'home node', 'bound'];
    const cells = (r) => [r.redundant, r.replicas, esc(r.algorithm), esc(r.policy), fmtRatio(r.balancednessGpu), r.nextWindowGpu === null ? '–' : fmtRatio(r.nextWindowGpu), fmtRatio(r.homeNodeFraction, 3), fmtRatio(r.upperBound)];
    const keys = ['redundant', 'replicas', 'algorithm', 'policy', 'balancednessGpu', 'nextWindowGpu', 'homeNodeFraction', 'upperBound'];
    return `<table class="summary plan-table"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r, i) =>
      `<tr data-row="${i}"${i === chosen ? ' class="chosen"' : ''}>${cells(r).map((c, k) => `<td data-key="${keys[k]}">${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  }

  function renderChosen() {
    const r = state.result.plan.rows[state.chosen];
    const box = $('planChosen');
    if (!r) { box.innerHTML = ''; return; }
    box.dataset.row = String(state.chosen);
    box.innerHTML = `<p><strong>${r.redundant} redundant experts</strong> (${r.replicas} replicas) · ${esc(r.algorithm)} · ${esc(r.policy)}: ` +
      `same-window balancedness ${fmtRatio(r.balancednessGpu)}, next-window ${r.nextWindowGpu === null ? '–' : fmtRatio(r.nextWindowGpu)}, home node ${fmtRatio(r.homeNodeFraction, 3)}. ` +
      'Its placement, made from all the files:</p>' +
      '<p><button type="button" id="planDlJson">placement.json</button> <button type="button" id="planDlYaml">TensorRT-LLM YAML</button></p>';
  }

  function choose(i) {
    if (!state.result || !(i >= 0 && i < state.result.plan.rows.length)) return;
    state.chosen = i;
    render();
  }

  async function download(kind) {
    const r = state.result.plan.rows[state.chosen];
    const { sources, topology } = state.request;
    clearError();
    setBusy(true);
    try {
      const res = await client.run({ job: 'planPlacement', sources, topology, row: { replicas: r.replicas, algorithm: r.algorithm, policy: r.policy } });
      const stem = `plan.${r.algorithm}.${r.policy}.${r.replicas}`;
      if (kind === 'json') saveJson(`${stem}.placement.json`, res.placement);
      else saveText(`${stem}.trtllm.yaml`, res.trtllm, 'application/yaml');
    } catch (err) {
      if (err.stage !== 'cancelled') showError('Could not make the placement: ', err.message);
    } finally {
      setBusy(false);
    }
  }

  function addFiles(list) {
    Promise.all([...list].map(async (f) => ({ name: f.name, text: await f.text() }))).then((files) => {
      state.custom.push(...files);
      const ticked = new Set(checked('planFiles'));
      const before = state.files.length;
      fill(state.bundled, null);
      for (const input of document.querySelectorAll('#planFiles input')) input.checked = ticked.has(input.value) || Number(input.value) >= before;
    }, (err) => showError('Could not open the file: ', err.message));
  }

  function wire() {
    $('planPlot').addEventListener('click', (ev) => {
      const c = ev.target.closest('[data-row]');
      if (c) choose(Number(c.dataset.row));
    });
    $('planTable').addEventListener('click', (ev) => {
      const tr = ev.target.closest('tr[data-row]');
      if (tr) choose(Number(tr.dataset.row));
    });
    $('planChoices').addEventListener('click', (ev) => {
      const b = ev.target.closest('button[data-row]');
      if (b) choose(Number(b.dataset.row));
    });
    $('planChosen').addEventListener('click', (ev) => {
      if (ev.target.id === 'planDlJson') download('json');
      else if (ev.target.id === 'planDlYaml') download('yaml');
    });
    $('planAll').addEventListener('click', () => { for (const i of document.querySelectorAll('#planFiles input')) i.checked = true; });
    $('planNone').addEventListener('click', () => { for (const i of document.querySelectorAll('#planFiles input')) i.checked = false; });
    $('planFileInput').addEventListener('change', (ev) => {
      if (ev.target.files.length) addFiles(ev.target.files);
      ev.target.value = '';
    });
    const zone = $('planDrop');
    zone.addEventListener('dragover', (ev) => { ev.preventDefault(); zone.classList.add('over'); });
    zone.addEventListener('dragleave', () => zone.classList.remove('over'));
    zone.addEventListener('drop', (ev) => {
      ev.preventDefault();
      zone.classList.remove('over');
      if (ev.dataTransfer.files.length) addFiles(ev.dataTransfer.files);
    });
  }

  return { run, render, wire, fill, hasResult: () => !!state.result };
}
