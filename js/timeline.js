// The timeline evaluation (SPEC section 4): a series of load windows served in turn. For each
// window i, every strategy places from the last `history` windows up to i (an incremental one
// also given its own placement in service) and is measured on window i + 1, the loads that come
// after it: GPU balancedness and the slots moved since its previous placement. With the 'sum'
// predictor the windows themselves are the history (deepseek places their sum, as the reference
// does with a window sum); another predictor's estimate is one matrix.
// Used by the dashboard's timeline (in its Web Worker), `npm run bench` and the tests.
import * as v from './validate.js';

const TIMELINE_OPTIONS = ['replicas', 'groups', 'nodes', 'gpus', 'policy', 'failedGpus', 'strategies', 'history', 'predictor', 'onProgress'];
const STRATEGY_KEYS = ['algorithm', 'incremental'];

function strategyList(value, known) {
  if (!Array.isArray(value) || value.length === 0)
    v.fail('strategies must be a non-empty array of { algorithm, incremental? }');
  return value.map((s, k) => {
    const o = v.options(s, `strategies[${k}]`, STRATEGY_KEYS);
    const algorithm = v.string(o.algorithm, `strategies[${k}].algorithm`, 'default');
    if (!known.includes(algorithm)) v.fail(`strategies[${k}]: unknown algorithm '${algorithm}' (known: ${known.join(', ')})`);
    if (o.incremental !== undefined && typeof o.incremental !== 'boolean') v.fail(`strategies[${k}].incremental must be true or false`);
    return { algorithm, incremental: o.incremental === true };
  });
}

/**
 * api: the package's API (rebalance, evaluate, predictLoads, algorithms). Returns
 * timeline(windows, options) as documented in index.d.ts (TimelineOptions, TimelineResult).
 */
export function createTimeline(api) {
  return function timeline(loads, options) {
    const o = v.options(options, 'options', TIMELINE_OPTIONS);
    const windows = v.typedWindows(loads);
    if (windows.length < 2) v.fail('a timeline needs at least 2 windows: each placement is measured on the window after it');
    const strategies = strategyList(o.strategies, api.algorithms());
    const history = v.optionalCount(o.history, 'history', 1);
    const predictor = v.string(o.predictor, 'predictor', 'sum');
    const onProgress = o.onProgress ?? (() => {});
    if (typeof onProgress !== 'function') v.fail('onProgress must be a function');
    const base = { replicas: o.replicas, groups: o.groups, nodes: o.nodes, gpus: o.gpus };
    if (o.policy !== undefined && o.policy !== 'auto') base.policy = o.policy;
    if (o.failedGpus?.length) base.failedGpus = o.failedGpus;

    const n = windows.length - 1;
    const total = n * strategies.length;
    const out = strategies.map((s) => ({ ...s, next: [], moved: [], ms: [] }));
    const prev = strategies.map(() => null);
    let done = 0;
    for (let i = 0; i < n; i++) {
      const recent = windows.slice(Math.max(0, i + 1 - history), i + 1);
      const estimate = predictor === 'sum' ? recent : api.predictLoads(recent, { predictor });
      strategies.forEach((s, k) => {
        onProgress(done, total, { window: i, strategy: k });
        const opts = { ...base, algorithm: s.algorithm };
        if (s.incremental && prev[k]) opts.previous = prev[k];
        const t0 = performance.now();
        const p = api.rebalance(estimate, opts);
        out[k].ms.push(performance.now() - t0);
        const ev = api.evaluate(p, windows[i + 1], prev[k] ? { previous: prev[k] } : undefined);
        out[k].next.push(ev.balancednessGpu);
        out[k].moved.push(prev[k] ? ev.movedSlots : null);
        prev[k] = p;
        done++;
      });
    }
    onProgress(total, total, null);
    return { strategies: out, slots: windows[0].layers * o.replicas };
  };
}
