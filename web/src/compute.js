// Runs the placement of every chosen algorithm over a load matrix, a chunk of layers at a time
// (layers are balanced independently), so long runs can report progress; then scores each
// placement with `evaluate`. Shared by the Web Worker and usable from Node.

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

// Keeps numbers, strings and typed arrays: what a Web Worker can post back cheaply.
export function plain(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || ArrayBuffer.isView(v)) out[k] = v;
  }
  return out;
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
 * @param weights    { data: Float64Array, layers, experts }
 * @param topology   { replicas, groups, nodes, gpus, policy }
 * @param algorithms names
 * @param onProgress (done, total, label) => void, done/total in layers over all algorithms
 * @param chunkCells  work per rebalance call (tests use small chunks)
 * @param warmed     algorithms already run in this module (see warmUp); updated
 */
export function runAll(eplb, weights, topology, algorithms, onProgress = () => {}, chunkCells = CHUNK_CELLS, warmed = new Set()) {
  const L = weights.layers;
  const step = chunkSize(weights.experts, topology.replicas, chunkCells);
  const total = L * algorithms.length + algorithms.length; // evaluating counts as one layer's work
  let done = 0;
  const runs = [];
  for (const algorithm of algorithms) {
    const opts = { replicas: topology.replicas, groups: topology.groups, nodes: topology.nodes, gpus: topology.gpus, algorithm };
    if (topology.policy && topology.policy !== 'auto') opts.policy = topology.policy;
    const parts = [];
    let ms = 0;
    for (let from = 0; from < L; from += step) {
      const to = Math.min(L, from + step);
      onProgress(done, total, `${algorithm}: layers ${from + 1}–${to} of ${L}`);
      const part = step >= L ? weights : sliceWeights(weights, from, to);
      if (!warmed.has(algorithm)) {
        onProgress(done, total, `${algorithm}: warming up the WebAssembly code`);
        warmUp(() => eplb.rebalance(part, opts));
        warmed.add(algorithm);
      }
      const t0 = performance.now();
      parts.push(eplb.rebalance(part, opts));
      ms += performance.now() - t0;
      done += to - from;
    }
    const placement = mergePlacements(parts);
    onProgress(done, total, `${algorithm}: evaluating`);
    const t1 = performance.now();
    const evaluation = eplb.evaluate(placement, weights);
    const evalMs = performance.now() - t1;
    done += 1;
    runs.push({ algorithm, placement: plain(placement), evaluation: plain(evaluation), timeMs: ms, evalMs, chunks: parts.length });
  }
  onProgress(total, total, 'done');
  return runs;
}
