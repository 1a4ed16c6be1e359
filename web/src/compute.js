// Runs the placement of every chosen algorithm over the loads (one matrix, or the windows of a
// history), a chunk of layers at a time (layers are balanced independently), so long runs can
// report progress; then scores each placement with `evaluate` (a history on its sum) and on
// loads it has not seen (next window). Shared by the Web Worker and usable from Node.

const CHUNK_CELLS = 60000; // layers per chunk ~ CHUNK_CELLS / (experts + replicas)

export function chunkSize(experts, replicas, cells = CHUNK_CELLS) {
  return Math.max(1, Math.floor(cells / (experts + replicas)));
}

function sliceWeights(w, from, to) {
  return { data: w.data.slice(from * w.experts, to * w.experts), layers: to - from, experts: w.experts };
}

// Joins placements of consecutive layer ranges into one, re-padding log2phy to the largest
// replica count of all parts.
export function mergePlacements(parts) {
  if (parts.length === 1) return parts[0];
  const first = parts[0];
  const E = first.experts, R = first.replicas;
  const L = parts.reduce((a, p) => a + p.layers, 0);
  const M = parts.reduce((a, p) => Math.max(a, p.maxReplicas), 0);
  const phy2log = new Int32Array(L * R), logcnt = new Int32Array(L * E), log2phy = new Int32Array(L * E * M).fill(-1);
  let l0 = 0;
  for (const p of parts) {
    phy2log.set(p.phy2log, l0 * R);
    logcnt.set(p.logcnt, l0 * E);
    const m = p.maxReplicas;
    for (let k = 0; k < p.layers * E; k++) log2phy.set(p.log2phy.subarray(k * m, k * m + m), (l0 * E + k) * M);
    l0 += p.layers;
  }
  return { ...first, layers: L, maxReplicas: M, phy2log, log2phy, logcnt };
}

// Keeps numbers, strings, typed arrays and arrays of numbers: what a Web Worker can post back cheaply.
export function plain(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || ArrayBuffer.isView(v)) out[k] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'number')) out[k] = v; // e.g. failedGpus
  }
  return out;
}

const loadsOf = (windows) => (windows.length === 1 ? windows[0] : windows);
const sumOf = (windows) => {
  const data = new Float64Array(windows[0].data.length);
  for (const w of windows) for (let i = 0; i < data.length; i++) data[i] += w.data[i];
  return { data, layers: windows[0].layers, experts: windows[0].experts };
};

/**
 * Next-window balancedness (GPU) of an algorithm, or null: with a history, each window left out
 * in turn and placed from the others (deepseek from their sum), measured on it; with one window,
 * its placement measured on each of `unseen`. The mean over the measures.
 */
export function nextWindow(eplb, windows, opts, placement, unseen) {
  const scores = [];
  if (windows.length >= 2) {
    for (let k = 0; k < windows.length; k++) {
      const rest = windows.filter((_, i) => i !== k);
      const p = eplb.rebalance(opts.algorithm === 'deepseek' ? sumOf(rest) : loadsOf(rest), opts);
      scores.push(eplb.evaluate(p, windows[k]).balancednessGpu);
    }
  } else {
    for (const w of unseen) scores.push(eplb.evaluate(placement, w).balancednessGpu);
  }
  return scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null;
}

/**
 * Untimed calls before the first timed one: a freshly instantiated module runs its first calls
 * as baseline code (V8 compiles the hot functions again, optimised, in the background), 10-20
 * times slower than later ones at the DeepSeek-V3 shape. Calls until two in a row agree within
 * 20%, at most 8 calls or 250 ms.
 */
export function warmUp(call, { calls = 8, budgetMs = 250 } = {}) {
  const start = performance.now();
  let previous = Infinity;
  for (let i = 0; i < calls && performance.now() - start < budgetMs; i++) {
    const t0 = performance.now();
    call();
    const t = performance.now() - t0;
    if (Math.abs(t - previous) <= 0.2 * Math.min(t, previous)) break;
    previous = t;
  }
}

/**
 * @param eplb       the loaded module (rebalance, evaluate)
 * @param weights    the windows, oldest first: [{ data: Float64Array, layers, experts }] (or one matrix)
 * @param topology   { replicas, groups, nodes, gpus, policy }
 * @param algorithms names
 * @param onProgress (done, total, label) => void, done/total in layers over all algorithms
 * @param chunkCells  work per rebalance call (tests use small chunks)
 * @param unseen     matrices a single window's placement is measured on next
 * @param warmed     algorithms already run in this module (see warmUp); updated
 */
export function runAll(eplb, weights, topology, algorithms, onProgress = () => {}, chunkCells = CHUNK_CELLS, unseen = [], warmed = new Set()) {
  const windows = Array.isArray(weights) ? weights : [weights];
  const L = windows[0].layers;
  const step = chunkSize(windows[0].experts, topology.replicas, chunkCells);
  const total = L * algorithms.length + algorithms.length; // evaluating counts as one layer's work
  let done = 0;
  const runs = [];
  for (const algorithm of algorithms) {
    const opts = { replicas: topology.replicas, groups: topology.groups, nodes: topology.nodes, gpus: topology.gpus, algorithm };
    if (topology.policy && topology.policy !== 'auto') opts.policy = topology.policy;
    if (topology.failedGpus?.length) opts.failedGpus = topology.failedGpus;
    const parts = [];
    let ms = 0;
    for (let from = 0; from < L; from += step) {
      const to = Math.min(L, from + step);
      onProgress(done, total, `${algorithm}: layers ${from + 1}–${to} of ${L}`);
      const part = windows.map((w) => (step >= L ? w : sliceWeights(w, from, to)));
      const loads = opts.algorithm === 'deepseek' && part.length > 1 ? sumOf(part) : loadsOf(part);
      if (!warmed.has(algorithm)) {
        onProgress(done, total, `${algorithm}: warming up the WebAssembly code`);
        warmUp(() => eplb.rebalance(loads, opts));
        warmed.add(algorithm);
      }
      const t0 = performance.now();
      parts.push(eplb.rebalance(loads, opts));
      ms += performance.now() - t0;
      done += to - from;
    }
    const placement = mergePlacements(parts);
    onProgress(done, total, `${algorithm}: evaluating`);
    const t1 = performance.now();
    const evaluation = eplb.evaluate(placement, loadsOf(windows));
    const evalMs = performance.now() - t1;
    onProgress(done, total, `${algorithm}: next window`);
    const next = nextWindow(eplb, windows, opts, placement, unseen);
    done += 1;
    runs.push({ algorithm, placement: plain(placement), evaluation: { ...plain(evaluation), nextWindowGpu: next }, timeMs: ms, evalMs, chunks: parts.length });
  }
  onProgress(total, total, 'done');
  return runs;
}
