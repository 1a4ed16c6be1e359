// Web Worker: owns the WASM module and does all computation, so the page never freezes.
// Protocol:
//   page -> worker  { type: 'run', id, source: { name, url } | { name, text } | { name, file }, topology, algorithms, dropDense }
//                   { type: 'run', id, job: 'timeline', series, topology, predictor, history }
//                     (series: see timeline/job.js)
//   worker -> page  { type: 'ready', algorithms: [{ name, description }], predictors: [name] }
//                   { type: 'progress', id, done, total, label }
//                   { type: 'result', id, input, runs }       (timeline: { type: 'result', id, input, timeline })
//                   { type: 'error', id, stage, message }
import { loadEplb } from 'eplb-wasm';
import { runAll } from './compute.js';
import { timelineJob } from './timeline/job.js';

// Algorithms this worker's module has run (and so warmed up): their times are steady ones.
const warmed = new Set();
const ready = loadEplb({ locateFile: (file) => new URL(file, self.location.href).href });

function describe(list) {
  return (list || []).map((a) => (typeof a === 'string' ? { name: a, description: '' } : { name: a.name, description: a.description || '' }));
}

function message(err) {
  const m = err && err.message ? err.message : String(err);
  return m.replace(/^(EplbError|Error):\s*/, '');
}

ready.then(
  (eplb) => self.postMessage({ type: 'ready', algorithms: describe(eplb.algorithms()), predictors: eplb.predictors ? eplb.predictors() : [] }),
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

async function run({ id, source, topology, algorithms, dropDense }) {
  const eplb = await ready;
  let stage = 'read';
  try {
    self.postMessage({ type: 'progress', id, done: 0, total: 1, label: `reading ${source.name}` });
    const text = await readSource(source);
    const w = eplb.readLoads(text, { dropDense });
    const keptLayers = w.keptLayers ? Array.from(w.keptLayers) : Array.from({ length: w.layers }, (_, i) => i);
    const weights = { data: w.data, layers: w.layers, experts: w.experts };
    if (!w.layers) throw new Error('the file has no layers with load');
    stage = 'rebalance';
    const runs = runAll(eplb, weights, topology, algorithms, (done, total, label) => self.postMessage({ type: 'progress', id, done, total, label }), undefined, warmed);
    const input = { name: source.name, format: w.format, layers: w.layers, experts: w.experts, keptLayers, fileLayers: w.fileLayers ?? null, historySteps: w.historySteps ?? null, data: w.data };
    self.postMessage({ type: 'result', id, input, runs });
  } catch (err) {
    self.postMessage({ type: 'error', id, stage, message: message(err) });
  }
}

async function runTimeline(msg) {
  const eplb = await ready;
  const post = (m) => self.postMessage({ ...m, id: msg.id });
  await timelineJob(eplb, msg, readSource, post, message);
}

self.onmessage = (ev) => {
  if (!ev.data || ev.data.type !== 'run') return;
  if (ev.data.job === 'timeline') runTimeline(ev.data);
  else run(ev.data);
};
