// Web Worker: owns the WASM module and does all computation, so the page never freezes.
// Protocol:
//   page -> worker  { type: 'run', id, source: { name, url } | { name, text } | { name, file }, history: [source], unseen: [source],
//                     topology, algorithms, dropDense }   (history: older windows; unseen: files the
//                     placement is measured on next when there is no history)
//                   { type: 'run', id, job: 'timeline', series, topology, predictor, history }
//                     (series: see timeline/job.js)
//                   { type: 'run', id, job: 'plan' | 'planPlacement', ... }   (see plan/job.js)
//   worker -> page  { type: 'ready', algorithms: [{ name, description }], predictors: [name] }
//                   { type: 'progress', id, done, total, label }
//                   { type: 'result', id, input, runs }       (timeline: { type: 'result', id, input, timeline };
//                                                              plan: { input, plan }; planPlacement: { placement, trtllm })
//                   { type: 'error', id, stage, message }
import { loadEplb } from 'eplb-wasm';
import { readHistory } from '../../js/load-history.js';
import { runAll } from './compute.js';
import { timelineJob } from './timeline/job.js';
import { planJob, planPlacementJob } from './plan/job.js';

// Algorithms this worker's module has run (and so warmed up): their times are steady ones.
const warmed = new Set();
const ready = loadEplb({ locateFile: (file) => new URL(file, self.location.href).href });

function describe(list) {
  return list.map((a) => ({ name: a.name, description: a.summary }));
}

function message(err) {
  const m = err && err.message ? err.message : String(err);
  return m.replace(/^(EplbError|Error):\s*/, '');
}

ready.then(
  (eplb) => self.postMessage({ type: 'ready', algorithms: describe(eplb.algorithmInfo()), predictors: eplb.predictors ? eplb.predictors() : [] }),
  (err) => self.postMessage({ type: 'error', id: null, stage: 'load', message: `could not load the WebAssembly module: ${message(err)}` }),
);

// A File, read a chunk at a time as the core asks for it (FileReaderSync: workers only).
function fileReader(file) {
  const reader = new FileReaderSync();
  let at = 0;
  return {
    read(into) {
      const n = Math.min(into.length, file.size - at);
      if (n <= 0) return 0;
      into.set(new Uint8Array(reader.readAsArrayBuffer(file.slice(at, at + n))));
      at += n;
      return n;
    },
  };
}

async function readSource(source) {
  if (source.file) return fileReader(source.file);
  if (typeof source.text === 'string') return source.text;
  const res = await fetch(source.url);
  if (!res.ok) throw new Error(`could not fetch ${source.url}: HTTP ${res.status}`);
  return res.text();
}

async function run({ id, source, history = [], unseen = [], topology, algorithms, adoptTopology = false, dropDense }) {
  const eplb = await ready;
  let stage = 'read';
  try {
    const sources = [...history, source];
    const texts = [];
    for (const src of sources) {
      self.postMessage({ type: 'progress', id, done: 0, total: 1, label: `reading ${src.name}` });
      texts.push({ name: src.name, text: await readSource(src) });
    }
    const h = readHistory(eplb, texts, { dropDense });
    const w = h.first;
    // A file that records its topology, chosen just now: the page takes those keys and asks again.
    if (adoptTopology && Object.entries(h.topology).some(([k, v]) => topology[k] !== v)) {
      self.postMessage({ type: 'result', id, input: { name: source.name, topologyKeys: h.topology }, runs: null });
      return;
    }
    const keptLayers = w.keptLayers ? Array.from(w.keptLayers) : Array.from({ length: w.layers }, (_, i) => i);
    if (!w.layers) throw new Error('the file has no layers with load');
    const others = [];
    for (const src of unseen) {
      const m = eplb.readLoads(await readSource(src), { dropDense });
      if (m.layers === w.layers && m.experts === w.experts) others.push({ data: m.data, layers: m.layers, experts: m.experts });
    }
    stage = 'rebalance';
    const runs = runAll(eplb, h.windows, topology, algorithms, (done, total, label) => self.postMessage({ type: 'progress', id, done, total, label }), undefined, others, warmed);
    const name = sources.length > 1 ? `${source.name} with ${history.length} older file${history.length > 1 ? 's' : ''}` : source.name;
    const input = { name, topologyKeys: h.topology, windows: h.names, unseen: unseen.map((u) => u.name), format: w.format, layers: w.layers, experts: w.experts, keptLayers,
      fileLayers: w.fileLayers ?? null, historySteps: w.historySteps ?? null, data: h.windows.length === 1 ? w.data : sumData(h.windows) };
    self.postMessage({ type: 'result', id, input, runs });
  } catch (err) {
    self.postMessage({ type: 'error', id, stage, message: message(err) });
  }
}

function sumData(windows) {
  const out = new Float64Array(windows[0].data.length);
  for (const w of windows) for (let i = 0; i < out.length; i++) out[i] += w.data[i];
  return out;
}

async function runTimeline(msg) {
  const eplb = await ready;
  const post = (m) => self.postMessage({ ...m, id: msg.id });
  await timelineJob(eplb, msg, readSource, post, message);
}

async function runPlan(msg) {
  const eplb = await ready;
  const post = (m) => self.postMessage({ ...m, id: msg.id });
  await (msg.job === 'plan' ? planJob : planPlacementJob)(eplb, msg, readSource, post, message);
}

self.onmessage = (ev) => {
  if (!ev.data || ev.data.type !== 'run') return;
  if (ev.data.job === 'timeline') runTimeline(ev.data);
  else if (ev.data.job === 'plan' || ev.data.job === 'planPlacement') runPlan(ev.data);
  else run(ev.data);
};
