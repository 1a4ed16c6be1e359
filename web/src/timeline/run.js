// The dashboard's timeline: three strategies through the package's timeline() (js/timeline.js:
// for each window i, place from the last `history` windows up to i, measure on window i + 1),
// and their summary. Runs in the Web Worker and in Node.

/** The three strategies compared, in plotting order. */
export const STRATEGIES = [
  { key: 'reference', label: 'reference', algorithm: 'deepseek', incremental: false, about: "DeepSeek's algorithm, a fresh placement every window" },
  { key: 'fresh', label: 'best fresh', algorithm: 'default', incremental: false, about: 'the default algorithm, a fresh placement every window' },
  { key: 'incremental', label: 'incremental', algorithm: 'default', incremental: true, about: 'the default algorithm given the placement in service (default tolerance)' },
];

/**
 * @param eplb      the loaded module
 * @param windows   load matrices, oldest first (at least 2)
 * @param topology  { replicas, groups, nodes, gpus, policy }
 * @param options   { predictor, history }
 * @param onProgress (done, total, label) => void
 * @returns {{ strategies: {key, label, algorithm, incremental, about, next: number[], moved: (number|null)[], ms: number[]}[],
 *            slots: number }}  one entry per placement (windows.length - 1): the package's timeline()
 */
export function runTimeline(eplb, windows, topology, { predictor = 'sum', history = 1 } = {}, onProgress = () => {}) {
  const known = eplb.algorithms();
  for (const s of STRATEGIES) if (!known.includes(s.algorithm)) throw new Error(`the package has no algorithm "${s.algorithm}"`);
  const n = windows.length - 1;
  const result = eplb.timeline(windows, {
    replicas: topology.replicas, groups: topology.groups, nodes: topology.nodes, gpus: topology.gpus, policy: topology.policy,
    strategies: STRATEGIES.map(({ algorithm, incremental }) => ({ algorithm, incremental })),
    history, predictor,
    onProgress: (done, total, at) => {
      if (!at) return onProgress(total, total, 'done');
      const s = STRATEGIES[at.strategy];
      onProgress(done, total, `window ${at.window + 1} of ${n}: ${s.label} (${s.algorithm}${s.incremental && at.window > 0 ? ', previous placement' : ''})`);
    },
  });
  return { ...result, strategies: result.strategies.map((r, k) => ({ ...STRATEGIES[k], next: r.next, moved: r.moved, ms: r.ms })) };
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
