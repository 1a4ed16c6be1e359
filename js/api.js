// The JS API over a loaded Emscripten module; shared by the Node and the browser entry points.
import { withBuffers, unwrap } from './heap.js';
import { packedPhy2log, withLazyLog2phy, withLazyPhy2log } from './log2phy.js';
import { checkPlacement } from './placement-check.js';
import { placementToJSON } from './placement-json.js';
import { createPlanner } from './plan.js';
import * as v from './validate.js';

const i32 = (ph) => ({ kind: 'i32', source: ph.data, length: ph.layers * ph.replicas });

function nonNegativeInteger(value, name, fallback) {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1)
    v.fail(`${name} must be a non-negative integer, got ${String(value)}`);
  return value;
}

function fraction(value, name) {
  if (value === undefined || value === null) return -1;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) v.fail(`${name} must be a number in [0, 1], got ${String(value)}`);
  return value;
}

// The topology of a placement (typed, or a SPEC section 2 object with num_* keys), overridden by opts.
function topologyOf(p, o) {
  const pick = (key, jsonKey, fallback) =>
    v.optionalCount(o[key], `options.${key}`, v.optionalCount(p[key] ?? p[jsonKey], `placement.${key}`, fallback));
  const gpus = pick('gpus', 'num_gpus', undefined);
  if (gpus === undefined) v.fail('the number of GPUs is unknown: pass options.gpus or a placement that records gpus');
  return { gpus, nodes: pick('nodes', 'num_nodes', 1), groups: pick('groups', 'num_groups', 1) };
}

// Failed GPUs: an array of GPU indices (range and repeats are the core's checks), sorted.
function gpuList(value, name) {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) v.fail(`${name} must be an array of GPU indices, got ${typeof value}`);
  return value.map((g, i) => {
    if (typeof g !== 'number' || !Number.isInteger(g) || g < 0 || g > 2 ** 31 - 1)
      v.fail(`${name}[${i}] must be a GPU index (a non-negative integer), got ${String(g)}`);
    return g;
  }).sort((a, b) => a - b);
}

function previousPhy2log(prev, layers, replicas, name) {
  if (prev === undefined || prev === null) return null;
  const ph = v.phy2log(prev, name);
  if (ph.layers !== layers || ph.replicas !== replicas)
    v.fail(`${name} is ${ph.layers} layers x ${ph.replicas} slots; expected ${layers} x ${replicas}`);
  return ph;
}

export function createApi(Module) {
  const call = (specs, fn) => unwrap(withBuffers(Module, specs, fn));

  function rebalance(loads, options) {
    const o = v.options(options, 'options');
    const ws = v.history(loads);
    const w = ws[0];
    const replicas = v.count(o.replicas, 'replicas');
    const topo = {
      windows: ws.length,
      layers: w.layers,
      experts: w.experts,
      replicas,
      groups: v.optionalCount(o.groups, 'groups', 1),
      nodes: v.optionalCount(o.nodes, 'nodes', 1),
      gpus: v.count(o.gpus, 'gpus'),
      algorithm: v.string(o.algorithm, 'algorithm', 'default'),
      policy: v.string(o.policy, 'policy', 'auto'),
      maxMoves: nonNegativeInteger(o.maxMoves, 'maxMoves', -1),
      tolerance: fraction(o.tolerance, 'tolerance'),
      failedGpus: gpuList(o.failedGpus, 'failedGpus'),
    };
    const prev = previousPhy2log(o.previous, w.layers, replicas, 'previous');
    const n = w.layers * replicas;
    // The glue writes phy2log packed into `out`; the words are copied into a plain JS array.
    const out = { kind: 'i32', length: n };
    const packed = call([v.historyBuffer(ws), prev && i32(prev), out], ([pw, pp, po]) =>
      packedPhy2log(Module.HEAP32, po >> 2, n, unwrap(Module.rebalance(pw, topo, pp, po))));
    const { layers, experts, groups, nodes, gpus, algorithm, failedGpus } = topo;
    return withLazyPhy2log({ layers, experts, replicas, groups, nodes, gpus, algorithm, failedGpus }, packed);
  }

  function evaluate(placement, loads, options) {
    const o = v.options(options, 'options');
    const ws = v.history(loads);
    const w = ws[0];
    const ph = v.phy2log(placement, 'placement');
    if (ph.layers !== w.layers) v.fail(`the placement has ${ph.layers} layers, the loads have ${w.layers}`);
    checkPlacement(placement, ph, w.experts);
    const shape = { windows: ws.length, layers: w.layers, replicas: ph.replicas, experts: w.experts, ...topologyOf(placement, o) };
    const prev = previousPhy2log(o.previous, ph.layers, ph.replicas, 'options.previous');
    return call([i32(ph), v.historyBuffer(ws), prev && i32(prev)], ([pp, pw, pv]) => Module.evaluate(pp, pw, pv, shape));
  }

  function readLoads(text, options) {
    const o = v.options(options, 'options');
    if (text instanceof Uint8Array) text = new TextDecoder().decode(text);
    if (typeof text !== 'string') v.fail(`readLoads takes the text of a load file, got ${typeof text}`);
    let windowBegin = 0;
    let windowEnd = -1;
    if (o.window !== undefined && o.window !== null) {
      const win = Array.isArray(o.window) ? { begin: o.window[0], end: o.window[1] } : v.options(o.window, 'window');
      windowBegin = nonNegativeInteger(win.begin, 'window begin', 0);
      windowEnd = nonNegativeInteger(win.end, 'window end', -1);
    }
    if (o.dropDense !== undefined && typeof o.dropDense !== 'boolean') v.fail('dropDense must be a boolean');
    const windowSteps = o.windowSteps === undefined || o.windowSteps === null ? 0 : v.count(o.windowSteps, 'windowSteps');
    return unwrap(Module.readLoads(text, { dropDense: o.dropDense === true, windowBegin, windowEnd, windowSteps }));
  }

  function predictLoads(steps, options) {
    const o = v.options(options, 'options');
    if (!Array.isArray(steps) || steps.length === 0) v.fail('predictLoads takes a non-empty array of load matrices');
    const ws = steps.map((s, i) => v.weights(s, `steps[${i}]`));
    const { layers, experts } = ws[0];
    ws.forEach((s, i) => {
      if (s.layers !== layers || s.experts !== experts)
        v.fail(`steps[${i}] is ${s.layers} x ${s.experts}, steps[0] is ${layers} x ${experts}`);
    });
    if (ws.length * layers * experts > v.MAX_CELLS) v.fail('the load history is too large', 'limit-exceeded');
    const num = (x, name, d) => (x === undefined ? d : typeof x === 'number' && Number.isFinite(x) ? x : v.fail(`${name} must be a finite number`));
    const spec = { kind: 'f64', source: ws.flatMap((s) => (s.nested ? s.data : [s.data])), length: ws.length * layers * experts };
    const args = {
      steps: ws.length, layers, experts,
      predictor: v.string(o.predictor, 'predictor', 'sum'),
      alpha: num(o.alpha, 'alpha', 0.5),
      spread: num(o.spread, 'spread', 1),
    };
    return call([spec], ([ps]) => Module.predictLoads(ps, args));
  }

  function placementFromJSON(json, options) {
    const o = v.options(options, 'options');
    const text = typeof json === 'string' ? json : JSON.stringify(json);
    if (typeof text !== 'string') v.fail('placementFromJSON takes a placement object or its JSON text');
    return withLazyLog2phy(unwrap(Module.placementFromJSON(text, {
      gpus: v.optionalCount(o.gpus, 'gpus', 1),
      nodes: v.optionalCount(o.nodes, 'nodes', 1),
      groups: v.optionalCount(o.groups, 'groups', 1),
      experts: v.optionalCount(o.experts, 'experts', -1),
    })));
  }

  const algorithms = () => Module.algorithms();
  const policies = (algorithm) => unwrap(Module.policies(v.string(algorithm, 'algorithm', '')));
  return Object.freeze({
    rebalance,
    evaluate,
    plan: createPlanner({ rebalance, evaluate, algorithms, policies }),
    readLoads,
    predictLoads,
    placementToJSON,
    placementFromJSON,
    algorithms,
    policies,
    predictors: () => Module.predictors(),
    /** malloc'd bytes in use and the size of the WASM memory, for leak checks. */
    heapStats: () => ({ inUse: Module.heapInUse(), heapBytes: Module.HEAP8.length }),
  });
}
