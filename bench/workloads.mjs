// The benchmark suite as data: every workload, topology, pair and case of `npm run bench`, listed
// here and nowhere else. bench/run.mjs reads this; tests/js/bench-workloads.test.mjs checks it.
// Algorithms and policies are not listed: the run enumerates eplb.algorithms() and the policies
// the module accepts, so new ones are measured without an edit here.

/** The 12 SGLang dumps of DeepSeek-V3 serving (provenance: data/deepseek-v3-sglang/PROVENANCE.md). */
export const realData = {
  dir: 'data/deepseek-v3-sglang',
  provenance: 'data/deepseek-v3-sglang/PROVENANCE.md',
  /** 61 layers in each file; the first 3 are dense and all zero: 58 MoE layers x 256 experts remain. */
  readOptions: { dropDense: true },
  layers: 58,
  experts: 256,
  files: [
    { name: 'prefill_in512', phase: 'prefill', input: 512, output: null },
    { name: 'prefill_in1024', phase: 'prefill', input: 1024, output: null },
    { name: 'prefill_in2048', phase: 'prefill', input: 2048, output: null },
    { name: 'prefill_in4096', phase: 'prefill', input: 4096, output: null },
    { name: 'prefill_in500out1500', phase: 'prefill', input: 500, output: 1500 },
    { name: 'prefill_in1000out1000', phase: 'prefill', input: 1000, output: 1000 },
    { name: 'prefill_in1800out100', phase: 'prefill', input: 1800, output: 100 },
    { name: 'prefill_in2000out100', phase: 'prefill', input: 2000, output: 100 },
    { name: 'decode_in500out1500', phase: 'decode', input: 500, output: 1500 },
    { name: 'decode_in1000out1000', phase: 'decode', input: 1000, output: 1000 },
    { name: 'decode_in1800out100', phase: 'decode', input: 1800, output: 100 },
    { name: 'decode_in2000out100', phase: 'decode', input: 2000, output: 100 },
  ],
};

/** Topologies by name (SPEC section 1: experts % groups == 0, replicas % gpus == 0, gpus % nodes == 0). */
export const topologies = {
  v3: { replicas: 288, groups: 8, nodes: 4, gpus: 32, label: 'DeepSeek-V3: 288 slots, 8 groups, 4 nodes, 32 GPUs' },
  'v3-1node': { replicas: 288, groups: 8, nodes: 1, gpus: 32, label: 'one node: 288 slots, 8 groups, 32 GPUs' },
  '1node-320-64': { replicas: 320, groups: 8, nodes: 1, gpus: 64, label: 'one node: 320 slots, 8 groups, 64 GPUs' },
  'no-redundancy': { replicas: 256, groups: 8, nodes: 4, gpus: 32, label: 'no redundancy: 256 slots, 8 groups, 4 nodes, 32 GPUs' },
  small: { replicas: 144, groups: 8, nodes: 2, gpus: 16, label: '48x128: 144 slots, 8 groups, 2 nodes, 16 GPUs' },
  '61x512': { replicas: 640, groups: 8, nodes: 8, gpus: 64, label: '61x512: 640 slots, 8 groups, 8 nodes, 64 GPUs' },
  '61x1024': { replicas: 2048, groups: 8, nodes: 8, gpus: 256, label: '61x1024: 2048 slots, 8 groups, 8 nodes, 256 GPUs' },
  'three-nodes': { replicas: 288, groups: 8, nodes: 3, gpus: 24, label: '8 groups on 3 nodes: 288 slots, 24 GPUs' },
  '8-nodes-320-64': { replicas: 320, groups: 8, nodes: 8, gpus: 64, label: '8 nodes: 320 slots, 8 groups, 64 GPUs' },
};

/** Seeded synthetic shapes (js/synthetic.js driftingSeries), from 48x128 up to 61x1024. */
export const syntheticShapes = {
  '48x128': { layers: 48, experts: 128, topology: 'small' },
  '58x256': { layers: 58, experts: 256, topology: 'v3' },
  '61x512': { layers: 61, experts: 512, topology: '61x512' },
  '61x1024': { layers: 61, experts: 1024, topology: '61x1024' },
};
/** Generator parameters shared by every synthetic workload (see DRIFT_DEFAULTS for the rest). */
export const syntheticParams = { sigma: 1.0, decay: 0.95, drift: 0.1, hot: 0.004, boost: 1.2 };

/** Use 1: place on a file and measure on the same file. */
export const sameFile = {
  files: realData.files.map((f) => f.name),
  topologies: ['v3', 'v3-1node', '1node-320-64', 'no-redundancy'],
};

/**
 * Use 2: place on one file, measure on another. Prefill to prefill of other lengths (every ordered
 * pair of the input-only prefill runs), and prefill to decode (the same request shape, and the
 * 1024-token prefill to every decode run).
 */
export const crossFile = {
  topologies: sameFile.topologies,
  pairs: [
    ...pairsAmong(['prefill_in512', 'prefill_in1024', 'prefill_in2048', 'prefill_in4096']).map(([place, measure]) => ({ place, measure, kind: 'prefill->prefill' })),
    { place: 'prefill_in500out1500', measure: 'decode_in500out1500', kind: 'prefill->decode' },
    { place: 'prefill_in1000out1000', measure: 'decode_in1000out1000', kind: 'prefill->decode' },
    { place: 'prefill_in1800out100', measure: 'decode_in1800out100', kind: 'prefill->decode' },
    { place: 'prefill_in2000out100', measure: 'decode_in2000out100', kind: 'prefill->decode' },
    { place: 'prefill_in1024', measure: 'decode_in500out1500', kind: 'prefill->decode' },
    { place: 'prefill_in1024', measure: 'decode_in1000out1000', kind: 'prefill->decode' },
    { place: 'prefill_in1024', measure: 'decode_in1800out100', kind: 'prefill->decode' },
    { place: 'prefill_in1024', measure: 'decode_in2000out100', kind: 'prefill->decode' },
  ],
};

function pairsAmong(names) {
  const out = [];
  for (const a of names) for (const b of names) if (a !== b) out.push([a, b]);
  return out;
}

/**
 * Use 3a: quality at scale on synthetic loads: place on window 0, measure on window 0 (same) and
 * window 1 (next), per shape and seed.
 */
export const syntheticQuality = {
  cases: [
    { shape: '48x128', seeds: [1, 2, 3] },
    { shape: '58x256', seeds: [1, 2, 3] },
    { shape: '61x512', seeds: [1, 2] },
    { shape: '61x1024', seeds: [1] },
  ],
};

/**
 * Use 3b: time series. Place with window i's loads, measure on window i+1; count the slots that
 * change expert between consecutive placements. Strategies per algorithm: fresh each window, and
 * incremental (the previous placement passed as `previous`).
 */
export const timeline = {
  cases: [
    { shape: '48x128', seeds: [1, 2, 3, 4], windows: 8 },
    { shape: '58x256', seeds: [1, 2, 3, 4], windows: 8 },
  ],
  /** The reference strategy: DeepSeek's algorithm, a fresh placement every window. */
  reference: 'deepseek',
  policy: 'auto',
  /** The native time-series tool (bench/native/timeline.cpp) as a cross-check, with these arguments. */
  native: { args: ['--preset', 'small,v3', '--seeds', '1,2,3,4', '--windows', '8'] },
};

/**
 * Use 4: next-window balance from a history (bench/lib/next-window.mjs): each real file held out,
 * the other files of its phase the history; and the window after the last `history` windows of
 * drifting series. Every algorithm and policy against deepseek on the history's sum.
 */
export const nextWindow = {
  topologies: ['v3', 'v3-1node', '1node-320-64'],
  files: realData.files.map((f) => f.name),
  series: { shape: '58x256', seeds: [1, 2, 3, 4], windows: 8, history: 4 },
};

/**
 * Use 5: uneven clusters (bench/lib/failures.mjs, docs/failures.md). Failed GPUs on the real
 * files, fresh (global and hybrid) and with the placement in service before the failure (the
 * default global placement), side by side with the elasticity-aware reference: DeepSeek's global
 * policy over the live GPUs (as SGLang places after a failure, and as the failures check defines
 * it). A GPU back in service. Groups that do not divide the nodes. WASM time per call with and
 * without failures.
 */
export const failures = {
  files: realData.files.map((f) => f.name),
  cases: [
    { topology: 'v3', failed: [5] },
    { topology: 'v3', failed: [5, 20] },
    { topology: 'v3', failed: [1, 9, 17] },
    { topology: '8-nodes-320-64', failed: [10] },
    { topology: '8-nodes-320-64', failed: [3, 40] },
  ],
  uneven: ['three-nodes'],
  timing: { file: 'prefill_in1024', calls: 9 },
};

/** Speed: one rebalance call per shape; V3 on a real file, the larger shapes on synthetic loads. */
export const speed = {
  cases: [
    { name: 'v3', source: { real: 'prefill_in1024' }, topology: 'v3' },
    { name: '61x512', source: { synthetic: '61x512', seed: 1, window: 0 }, topology: '61x512' },
    { name: '61x1024', source: { synthetic: '61x1024', seed: 2, window: 0 }, topology: '61x1024' },
  ],
  /** Policies timed per algorithm (those the module knows; 'auto' is the reference's choice). */
  policies: ['auto', 'hybrid'],
  /** Per WASM cell: warm-up calls, then calls until maxCalls or budgetSeconds (at least minCalls). */
  wasm: { warmup: 5, minCalls: 7, maxCalls: 400, budgetSeconds: 3 },
  /** Google Benchmark: repetitions (the median is reported) and minimum time per repetition. */
  native: { repetitions: 5, minTime: 0.2 },
  /**
   * Side by side at the V3 shape: rounds of (one reference call, then WASM calls, then WASM calls
   * at growthCase, then a short native run of both shapes) of the reference algorithm, so that all
   * see the same machine load; the ratios (speed-up, growth) are taken per round.
   */
  sideBySide: { case: 'v3', rounds: 15, wasmCalls: 40, nativeMinTime: 0.1, growthCase: '61x1024', growthCalls: 10 },
  /** DeepSeek's Python reference: timed calls per case after one warm-up call. */
  reference: { calls: { v3: 9, '61x512': 5, '61x1024': 3 } },
};

/** Memory: repeated calls at the V3 shape (RSS and WASM heap before/after); heap size at the largest shape. */
export const memory = {
  case: 'v3',
  calls: 5000,
  warmup: 200,
  /** Algorithms slower than this per call run fewer calls (the count is reported). */
  budgetSeconds: 30,
  largest: '61x1024',
};

/** --quick: the same tables on fewer files, seeds and calls (a smoke run, not for BENCHMARKS.md). */
export const quick = {
  sameFileFiles: ['prefill_in1024', 'prefill_in4096', 'decode_in1000out1000'],
  crossPairs: [
    { place: 'prefill_in1024', measure: 'prefill_in4096', kind: 'prefill->prefill' },
    { place: 'prefill_in1024', measure: 'decode_in1000out1000', kind: 'prefill->decode' },
  ],
  topologies: ['v3', 'v3-1node'],
  syntheticQuality: [{ shape: '48x128', seeds: [1] }, { shape: '61x1024', seeds: [1] }],
  timeline: [{ shape: '58x256', seeds: [1, 2], windows: 4 }],
  nativeTimeline: { args: ['--preset', 'v3', '--seeds', '1,2', '--windows', '4'] },
  speedWasm: { warmup: 2, minCalls: 3, maxCalls: 50, budgetSeconds: 0.4 },
  speedNative: { repetitions: 3, minTime: 0.05 },
  referenceCalls: { v3: 3, '61x512': 1, '61x1024': 1 },
  sideBySide: { case: 'v3', rounds: 3, wasmCalls: 20, nativeMinTime: 0.05, growthCase: '61x1024', growthCalls: 3 },
  nextWindow: { topologies: ['v3'], files: ['prefill_in512', 'prefill_in1024', 'prefill_in2048', 'decode_in500out1500', 'decode_in1000out1000', 'decode_in1800out100'], series: { shape: '58x256', seeds: [1], windows: 6, history: 4 } },
  failures: { files: ['prefill_in1024', 'prefill_in4096', 'decode_in1000out1000'], cases: [{ topology: 'v3', failed: [5] }], uneven: ['three-nodes'], timing: { file: 'prefill_in1024', calls: 3 } },
  memoryCalls: 1000,
  memoryBudgetSeconds: 10,
};
