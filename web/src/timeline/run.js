// The timeline evaluation (SPEC section 4, issue 8): for each window i, place from the last
// `history` windows up to i, then measure on window i + 1 the balancedness (GPU) and the slots
// moved since the strategy's own previous placement. With the 'sum' predictor the windows
// themselves are the history (the reference places their sum, the default algorithm all of them
// at once); another predictor's estimate is one matrix.
// Runs in the Web Worker and in Node.

/** The three strategies compared, in plotting order. */
export const STRATEGIES = [
  { key: 'reference', label: 'reference', algorithm: 'deepseek', incremental: false, about: "DeepSeek's algorithm, a fresh placement every window" },
  { key: 'fresh', label: 'best fresh', algorithm: 'default', incremental: false, about: 'the default algorithm, a fresh placement every window' },
  { key: 'incremental', label: 'incremental', algorithm: 'default', incremental: true, about: 'the default algorithm given the placement in service (default tolerance)' },
];

/** Windows the predictor sees when placing at window i. */
export function historyOf(windows, i, history) {
  return windows.slice(Math.max(0, i + 1 - history), i + 1);
}

/**
 * @param eplb      the loaded module
 * @param windows   load matrices, oldest first (at least 2)
 * @param topology  { replicas, groups, nodes, gpus, policy }
 * @param options   { predictor, history }
 * @param onProgress (done, total, label) => void
 * @returns {{ strategies: {key, label, algorithm, incremental, about, next: number[], moved: (number|null)[], ms: number[]}[],
 *            slots: number }}  one entry per placement (windows.length - 1)
 */
export function runTimeline(eplb, windows, topology, { predictor = 'sum', history = 1 } = {}, onProgress = () => {}) {
  const known = eplb.algorithms();
  for (const s of STRATEGIES) if (!known.includes(s.algorithm)) throw new Error(`the package has no algorithm "${s.algorithm}"`);
  const base = { replicas: topology.replicas, groups: topology.groups, nodes: topology.nodes, gpus: topology.gpus };
  if (topology.policy && topology.policy !== 'auto') base.policy = topology.policy;
  const n = windows.length - 1;
  const total = n * STRATEGIES.length;
  const out = STRATEGIES.map((s) => ({ ...s, next: [], moved: [], ms: [] }));
  const prev = STRATEGIES.map(() => null);
  let done = 0;
  for (let i = 0; i < n; i++) {
    const recent = historyOf(windows, i, history);
    const estimate = eplb.predictLoads(recent, { predictor });
    STRATEGIES.forEach((s, k) => {
      onProgress(done, total, `window ${i + 1} of ${n}: ${s.label} (${s.algorithm}${s.incremental && prev[k] ? ', previous placement' : ''})`);
      const opts = { ...base, algorithm: s.algorithm };
      if (s.incremental && prev[k]) opts.previous = prev[k];
      const t0 = performance.now();
      const p = eplb.rebalance(predictor === 'sum' && s.algorithm !== 'deepseek' ? recent : estimate, opts);
      out[k].ms.push(performance.now() - t0);
      const ev = eplb.evaluate(p, windows[i + 1], prev[k] ? { previous: prev[k] } : undefined);
      out[k].next.push(ev.balancednessGpu);
      out[k].moved.push(prev[k] ? ev.movedSlots : null);
      prev[k] = p;
      done++;
    });
  }
  onProgress(total, total, 'done');
  return { strategies: out, slots: windows[0].layers * topology.replicas };
}

/** Per strategy: mean and lowest next-window balancedness, total and mean moved slots, moved vs the reference. */
export function summarize({ strategies }) {
  const rows = strategies.map((s) => {
    const moved = s.moved.filter((m) => m !== null);
    const sorted = [...s.ms].sort((a, b) => a - b);
    return {
      key: s.key,
      meanNext: s.next.reduce((a, b) => a + b, 0) / s.next.length,
      minNext: Math.min(...s.next),
      totalMoved: moved.reduce((a, b) => a + b, 0),
      movedPerRebalance: moved.length ? moved.reduce((a, b) => a + b, 0) / moved.length : NaN,
      rebalances: moved.length,
      medianMs: sorted[Math.floor(sorted.length / 2)],
    };
  });
  const ref = rows.find((r) => r.key === 'reference');
  for (const r of rows) r.movedVsReference = ref && ref.totalMoved > 0 ? r.totalMoved / ref.totalMoved : NaN;
  return rows;
}
