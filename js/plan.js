// The capacity planner: how much balance each number of redundant experts buys. For every
// (redundancy, algorithm, policy) it makes the placement `rebalance` makes from the load history
// and measures it
//  - on the history's sum (same window: what `evaluate` reports for that placement), and
//  - with at least 3 windows, leave-one-out: each window held out in turn, the placement made
//    from the others (in their order) with the same settings and measured on the held-out window;
//    next-window balancedness is the mean of those figures, each window counting once.
// Used by `eplb plan`, the dashboard's Plan tab (in its Web Worker) and the Node demo.
import * as v from './validate.js';
import { typedWindows } from './validate.js';

/** A redundancy is "near the best" when its figure is at least (1 - NEAR_BEST) x the best. */
export const NEAR_BEST = 0.01;
/** Leave-one-out needs this many windows (with two, each placement would see one window only). */
export const MIN_LOO_WINDOWS = 3;
export const DEFAULT_ALGORITHMS = ['deepseek', 'default'];
export const DEFAULT_POLICIES = ['auto', 'hybrid'];

/** `count` redundancies from the smallest that makes experts + redundant divide over the GPUs, a GPU's worth apart. */
export function defaultRedundancies(experts, gpus, count = 5) {
  const first = (gpus - (experts % gpus)) % gpus;
  return Array.from({ length: count }, (_, k) => first + k * gpus);
}

function nameList(value, name, fallback, known) {
  if (value === undefined || value === null) return fallback;
  if (!Array.isArray(value) || value.length === 0) v.fail(`${name} must be a non-empty array of names`);
  const seen = new Set();
  for (const x of value) {
    if (typeof x !== 'string') v.fail(`${name} must hold names (strings), got ${String(x)}`);
    if (!known.includes(x)) v.fail(`${name}: unknown name '${x}' (known: ${known.join(', ')})`);
    if (seen.has(x)) v.fail(`${name} names '${x}' twice`);
    seen.add(x);
  }
  return value;
}

function redundancyList(value, experts, gpus) {
  if (value === undefined || value === null) return defaultRedundancies(experts, gpus);
  if (!Array.isArray(value) || value.length === 0) v.fail('redundant must be a non-empty array of non-negative integers');
  const seen = new Set();
  for (const r of value) {
    if (!Number.isInteger(r) || r < 0) v.fail(`redundant must hold non-negative integers, got ${String(r)}`);
    if (seen.has(r)) v.fail(`redundant lists ${r} twice`);
    seen.add(r);
  }
  return [...value].sort((a, b) => a - b);
}

// Each window as a flat Float64Array matrix, converted once (the sweep passes them many times).
// What evaluate needs of a placement made here: its phy2log and topology. (Reading log2phy would
// derive it, and evaluate would check it against phy2log: a third of the sweep's time, for
// nothing, since rebalance made both from one phy2log.)
const bare = (p) => ({ phy2log: p.phy2log, layers: p.layers, replicas: p.replicas, gpus: p.gpus, nodes: p.nodes, groups: p.groups });

/**
 * Per policy: the smallest redundancy whose figure (next-window balancedness, or same-window
 * without it) is within NEAR_BEST of the best figure of that policy over the rows.
 */
export function chooseRedundancy(rows, policies) {
  const out = [];
  for (const policy of policies) {
    const mine = rows.filter((r) => r.policy === policy);
    if (!mine.length) continue;
    const measure = mine.every((r) => r.nextWindowGpu !== null) ? 'nextWindowGpu' : 'balancednessGpu';
    const best = mine.reduce((a, b) => (b[measure] > a[measure] ? b : a));
    const near = mine.filter((r) => r[measure] >= best[measure] * (1 - NEAR_BEST));
    const pick = near.reduce((a, b) => (b.redundant < a.redundant || (b.redundant === a.redundant && b[measure] > a[measure]) ? b : a));
    out.push({
      policy, measure, redundant: pick.redundant, replicas: pick.replicas, algorithm: pick.algorithm, value: pick[measure],
      best: { redundant: best.redundant, algorithm: best.algorithm, value: best[measure] },
    });
  }
  return out;
}

/**
 * api: the package's API (rebalance, evaluate, algorithms, policies). Returns plan(loads, options)
 * as documented in index.d.ts (PlanOptions, PlanResult).
 */
// The keys plan's options may have (another is a mistake, as for rebalance).
const PLAN_OPTIONS = ['gpus', 'nodes', 'groups', 'redundant', 'algorithms', 'policies', 'previous', 'expertBytes', 'onProgress'];

export function createPlanner(api) {
  return function plan(loads, options) {
    const o = v.options(options, 'options', PLAN_OPTIONS);
    const windows = typedWindows(loads);
    const { layers, experts } = windows[0];
    const gpus = v.count(o.gpus, 'gpus');
    const nodes = v.optionalCount(o.nodes, 'nodes', 1);
    const groups = v.optionalCount(o.groups, 'groups', 1);
    const redundancies = redundancyList(o.redundant, experts, gpus);
    const algorithms = nameList(o.algorithms, 'algorithms', DEFAULT_ALGORITHMS, api.algorithms());
    const policies = nameList(o.policies, 'policies', DEFAULT_POLICIES, api.policies());
    let expertBytes = null;
    if (o.expertBytes !== undefined && o.expertBytes !== null) {
      if (typeof o.expertBytes !== 'number' || !(o.expertBytes > 0) || !Number.isFinite(o.expertBytes))
        v.fail(`expertBytes must be a positive number of bytes, got ${String(o.expertBytes)}`);
      expertBytes = o.expertBytes;
    }
    const onProgress = o.onProgress ?? (() => {});
    if (typeof onProgress !== 'function') v.fail('onProgress must be a function');
    let previousReplicas = null;
    if (o.previous !== undefined && o.previous !== null) {
      const ph = v.phy2log(o.previous, 'previous');
      if (ph.layers !== layers) v.fail(`previous has ${ph.layers} layers, the loads have ${layers}`);
      previousReplicas = ph.replicas;
    }

    const notes = [];
    const pairs = [];
    for (const algorithm of algorithms) {
      const known = api.policies(algorithm);
      for (const policy of policies) {
        if (known.includes(policy)) pairs.push({ algorithm, policy });
        else notes.push(`${algorithm} has no ${policy} policy (it has ${known.join(', ')}): left out`);
      }
    }
    const sizes = [];
    for (const redundant of redundancies) {
      const replicas = experts + redundant;
      if (replicas % gpus) notes.push(`redundant ${redundant} skipped: ${replicas} replicas do not divide over ${gpus} GPUs`);
      else sizes.push({ redundant, replicas });
    }
    if (previousReplicas !== null && !sizes.some((s) => s.replicas === previousReplicas))
      notes.push(`the previous placement has ${previousReplicas} slots, no row has that many: moved slots are not counted`);
    else if (previousReplicas !== null && sizes.length > 1)
      notes.push(`moved slots (and the previous placement) only in the rows of ${previousReplicas} replicas, the previous placement's slots`);
    if (!pairs.length) v.fail('no algorithm has any of the policies asked for');
    if (!sizes.length) v.fail(`no redundancy asked for makes the replicas (experts ${experts} + redundant) divide over ${gpus} GPUs`);

    const K = windows.length;
    const heldOut = K >= MIN_LOO_WINDOWS;
    const history = K === 1 ? windows[0] : windows;
    const others = heldOut ? windows.map((_, i) => windows.filter((__, j) => j !== i)) : [];
    const total = sizes.length * pairs.length * (1 + (heldOut ? K : 0));
    let done = 0;
    const rows = [];
    for (const { redundant, replicas } of sizes) {
      for (const { algorithm, policy } of pairs) {
        const previous = previousReplicas === replicas ? o.previous : undefined;
        const settings = { replicas, groups, nodes, gpus, algorithm, policy, ...(previous && { previous }) };
        const label = `${algorithm}, ${policy}, ${redundant} redundant`;
        onProgress(done, total, label);
        const p = bare(api.rebalance(history, settings));
        const ev = api.evaluate(p, history, previous && { previous });
        done++;
        let nextWindowGpu = null;
        if (heldOut) {
          let sum = 0;
          for (let i = 0; i < K; i++) {
            onProgress(done, total, `${label}, window ${i + 1} of ${K} held out`);
            sum += api.evaluate(bare(api.rebalance(others[i], settings)), windows[i]).balancednessGpu;
            done++;
          }
          nextWindowGpu = sum / K;
        }
        rows.push({
          redundant, replicas, algorithm, policy,
          balancednessGpu: ev.balancednessGpu,
          nextWindowGpu,
          homeNodeFraction: ev.homeNodeFraction,
          movedSlots: previous ? ev.movedSlots : null,
          upperBound: ev.upperBound,
          redundantBytesPerGpu: expertBytes === null ? null : (layers * redundant * expertBytes) / gpus,
        });
      }
    }
    onProgress(total, total, 'done');
    return {
      rows, choices: chooseRedundancy(rows, policies), notes,
      windows: K, layers, experts, gpus, nodes, groups, nextWindow: heldOut ? 'leave-one-out' : null,
    };
  };
}
