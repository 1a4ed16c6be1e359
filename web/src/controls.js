// The control panel: bundled data sets, a dropped or chosen file, topology and algorithms.

const $ = (id) => document.getElementById(id);
const DEFAULT_ALGORITHMS = ['default', 'deepseek'];
const DEFAULT_FILE = 'prefill_in4096.json';

// prefill_in1000out1000.json -> "prefill · 1000 in / 1000 out tokens"
function datasetLabel(f) {
  const m = /^(\w+?)_in(\d+)(?:out(\d+))?\.json$/.exec(f);
  if (!m) return f;
  return m[3] ? `${m[1]} · ${m[2]} in / ${m[3]} out tokens` : `${m[1]} · ${m[2]} input tokens`;
}

export function fillDatasets(list) {
  const sel = $('dataset');
  const groups = {};
  for (const f of list) (groups[f.split('_')[0]] ||= []).push(f);
  sel.innerHTML = Object.entries(groups).map(([phase, files]) => `<optgroup label="${phase}">${files
    .map((f) => `<option value="${f}"${f === DEFAULT_FILE ? ' selected' : ''}>${datasetLabel(f)}</option>`).join('')}</optgroup>`).join('');
  if (!list.includes(DEFAULT_FILE) && list.length) sel.value = list[0];
}

// The bundled files as older windows of a history (none ticked at first).
export function fillHistory(list) {
  $('historyFiles').innerHTML = list.map((f) => `<label class="check"><input type="checkbox" name="history" value="${f}"> ${datasetLabel(f)}</label>`).join('');
}

export function chosenHistory() {
  return [...document.querySelectorAll('#historyFiles input:checked')].map((i) => i.value);
}

// Adds (or updates) the entry for a file the user dropped or chose, and selects it.
export function setCustomFile(name) {
  const sel = $('dataset');
  let opt = sel.querySelector('option[value="__custom__"]');
  if (!opt) {
    opt = document.createElement('option');
    opt.value = '__custom__';
    sel.prepend(opt);
  }
  opt.textContent = `your file: ${name}`;
  sel.value = '__custom__';
}

export function fillAlgorithms(algos) {
  const box = $('algorithms');
  box.innerHTML = algos.map((a) => `<label title="${a.description.replace(/"/g, '&quot;')}"><input type="checkbox" name="algorithm" value="${a.name}"${DEFAULT_ALGORITHMS.includes(a.name) ? ' checked' : ''}> ${a.name}${a.description ? ` <small>${a.description.replace(/</g, '&lt;')}</small>` : ''}</label>`).join('');
  if (!box.querySelector('input:checked')) box.querySelector('input')?.click();
}

export function chosenAlgorithms() {
  return [...document.querySelectorAll('#algorithms input:checked')].map((i) => i.value);
}

// Reads the topology fields. Returns { topology } or { error } (a sentence for the user).
export function readTopology() {
  const t = {};
  for (const k of ['replicas', 'groups', 'nodes', 'gpus']) {
    const raw = $(k).value.trim();
    const v = Number(raw);
    if (!raw || !Number.isInteger(v) || v < 1) return { error: `${k} must be a whole number ≥ 1 (got "${raw}")` };
    t[k] = v;
  }
  t.policy = $('policy').value;
  // Failed GPUs: indices separated by commas or spaces (their range is the core's check).
  const failed = $('failedGpus').value.trim();
  const parts = failed ? failed.split(/[\s,]+/).filter(Boolean) : [];
  if (parts.some((x) => !/^\d+$/.test(x))) return { error: `failed GPUs must be GPU numbers separated by commas (got "${failed}")` };
  t.failedGpus = parts.map(Number);
  return { topology: t };
}

export function setTopology(t) {
  for (const k of ['replicas', 'groups', 'nodes', 'gpus']) if (t[k]) $(k).value = t[k];
}

// One-line hint under the topology: slots per GPU and which policy `auto` picks.
export function topologyHint() {
  const { topology: t, error } = readTopology();
  const el = $('topoHint');
  if (error) { el.textContent = error; el.classList.add('bad'); return; }
  const problems = [];
  if (t.replicas % t.gpus) problems.push('replicas must divide evenly over the GPUs');
  if (t.gpus % t.nodes) problems.push('GPUs must divide evenly over the nodes');
  el.classList.toggle('bad', problems.length > 0);
  const failed = t.failedGpus.length;
  el.textContent = problems.length ? problems.join('; ') : `${t.replicas / t.gpus} slots per GPU, ${t.gpus / t.nodes} GPUs per node; ` +
    (failed ? `${t.gpus - failed} live GPUs (${t.replicas / t.gpus * (t.gpus - failed)} slots); auto → global (failed GPUs)`
      : t.groups % t.nodes === 0 ? `auto → hierarchical (${t.groups / t.nodes} groups per node)` : 'auto → global (groups do not divide by nodes)');
}

export function wireFileInput(onFile) {
  const zone = $('dropzone');
  $('file').addEventListener('change', (ev) => {
    const f = ev.target.files[0];
    if (f) onFile(f);
    ev.target.value = '';
  });
  zone.addEventListener('keydown', (ev) => {
    if (ev.target === zone && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); $('file').click(); }
  });
  zone.addEventListener('dragover', (ev) => { ev.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (ev) => {
    ev.preventDefault();
    zone.classList.remove('over');
    const f = ev.dataTransfer.files[0];
    if (f) onFile(f);
  });
  // Dropping a file anywhere else on the page should not navigate away from it.
  window.addEventListener('dragover', (ev) => ev.preventDefault());
  window.addEventListener('drop', (ev) => ev.preventDefault());
}
