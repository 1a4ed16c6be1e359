// Runs the placement of every chosen algorithm over the loads (one matrix, or the windows of a
// history) in one rebalance call each, reporting progress a range of layers at a time from the
// core's per-layer callback; then scores each placement with `evaluate` (a history on its sum)
// and on loads it has not seen (next window). Shared by the Web Worker and usable from Node.

const PROGRESS_CELLS = 60000; // progress reported every ~PROGRESS_CELLS / (experts + replicas) layers

export function progressStep(experts, replicas, cells = PROGRESS_CELLS) {
  return Math.max(1, Math.floor(cells / (experts + replicas)));
}

function sliceWeights(w, from, to) {
  return { data: w.data.subarray(from * w.experts, to * w.experts), layers: to - from, experts: w.experts };
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

// A history goes to rebalance as it is: deepseek places its sum, as the reference does.
const loadsOf = (windows) => (windows.length === 1 ? windows[0] : windows);

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
      const p = eplb.rebalance(loadsOf(rest), opts);
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
 * @param topology   { replicas, groups, nodes, gpus, policy, failedGpus }
 * @param algorithms names
 * @param onProgress (done, total, label) => void, done/total in layers over all algorithms
 * @param progressCells  work between progress reports (tests use small steps)
 * @param unseen     matrices a single window's placement is measured on next
 * @param warmed     algorithms already run in this module (see warmUp); updated
 */
export function runAll(eplb, weights, topology, algorithms, onProgress = () => {}, progressCells = PROGRESS_CELLS, unseen = [], warmed = new Set()) {
  const windows = Array.isArray(weights) ? weights : [weights];
  const L = windows[0].layers;
  const step = progressStep(windows[0].experts, topology.replicas, progressCells);
  const total = L * algorithms.length + algorithms.length; // evaluating counts as one layer's work
  let done = 0;
  const runs = [];
  for (const algorithm of algorithms) {
    const opts = { replicas: topology.replicas, groups: topology.groups, nodes: topology.nodes, gpus: topology.gpus, algorithm };
    if (topology.policy && topology.policy !== 'auto') opts.policy = topology.policy;
    if (topology.failedGpus?.length) opts.failedGpus = topology.failedGpus;
    if (!warmed.has(algorithm)) {
      onProgress(done, total, `${algorithm}: warming up the WebAssembly code`);
      // On the first layers only: a warm-up of a large input would take as long as the run.
      const first = windows.map((w) => sliceWeights(w, 0, Math.min(L, step)));
      warmUp(() => eplb.rebalance(loadsOf(first), opts));
      warmed.add(algorithm);
    }
    let reported = 0;
    const report = () => {
      onProgress(done + reported, total, `${algorithm}: layers ${reported + 1}–${Math.min(L, reported + step)} of ${L}`);
    };
    report();
    const t0 = performance.now();
    const placement = eplb.rebalance(loadsOf(windows), {
      ...opts,
      onProgress: (k) => {
        if (k - reported >= step && k < L) {
          reported = k;
          report();
        }
      },
    });
    const ms = performance.now() - t0;
    done += L;
    onProgress(done, total, `${algorithm}: evaluating`);
    const t1 = performance.now();
    const evaluation = eplb.evaluate(placement, loadsOf(windows));
    const evalMs = performance.now() - t1;
    onProgress(done, total, `${algorithm}: next window`);
    const next = nextWindow(eplb, windows, opts, placement, unseen);
    done += 1;
    runs.push({ algorithm, placement: plain(placement), evaluation: { ...plain(evaluation), nextWindowGpu: next }, timeMs: ms, evalMs });
  }
  onProgress(total, total, 'done');
  return runs;
}
