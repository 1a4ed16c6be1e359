// The JS API over a loaded Emscripten module; shared by the Node and the browser entry points.
import { withBuffers, unwrap } from './heap.js';
import { packedPhy2log, withLazyLog2phy, withLazyPhy2log } from './log2phy.js';
import { checkPlacement } from './placement-check.js';
import { placementToJSON } from './placement-json.js';
import { evaluationToJSON } from './evaluation-json.js';
import { createTimeline } from './timeline.js';
import { EplbError } from './errors.js';
import { adoptLimits, limits } from './limits.js';
import { callerError, callerErrors, withReader } from './source.js';
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

// The keys each options object may have.
const KNOWN = {
  rebalance: ['replicas', 'groups', 'nodes', 'gpus', 'algorithm', 'policy', 'previous', 'maxMoves', 'tolerance', 'failedGpus', 'onProgress'],
  evaluate: ['gpus', 'nodes', 'groups', 'previous'],
  readLoads: ['dropDense', 'window', 'windowSteps'],
  window: ['begin', 'end'],
  predictLoads: ['predictor', 'alpha', 'spread'],
  placementFromJSON: ['gpus', 'nodes', 'groups', 'experts'],
};

export function createApi(Module) {
  const call = (specs, fn) => unwrap(withBuffers(Module, specs, fn));
  adoptLimits(Module.limits());

  function rebalance(loads, options) {
    const o = v.options(options, 'options', KNOWN.rebalance);
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
    if (o.onProgress !== undefined && o.onProgress !== null && typeof o.onProgress !== 'function')
      v.fail(`onProgress must be a function (layers done, layers), got ${typeof o.onProgress}`);
    // An error of the callback is kept and thrown once the core has unwound.
    let progressError = null;
    if (o.onProgress)
      topo.onProgress = (done, total) => {
        try {
          o.onProgress(done, total);
          return 0;
        } catch (e) {
          progressError = e;
          return -1;
        }
      };
    const prev = previousPhy2log(o.previous, w.layers, replicas, 'previous');
    if (!prev && (topo.maxMoves !== -1 || topo.tolerance !== -1))
      v.fail(`${topo.maxMoves !== -1 ? 'maxMoves' : 'tolerance'} applies to rebalancing from a previous placement: pass options.previous (the placement in service) too`);
    const n = w.layers * replicas;
    // The glue writes phy2log packed into `out`; the words are copied into a plain JS array.
    const out = { kind: 'i32', length: n };
    const packed = call([v.historyBuffer(ws), prev && i32(prev), out], ([pw, pp, po]) => {
      const result = Module.rebalance(pw, topo, pp, po);
      if (progressError) throw callerError(progressError);
      const bits = unwrap(result);
      // Module.HEAP32 only after the call: the core may have grown the memory, which replaces
      // the views (an older view reads a detached buffer: zeros).
      return packedPhy2log(Module.HEAP32, po >> 2, n, bits);
    });
    const { layers, experts, groups, nodes, gpus, algorithm, failedGpus } = topo;
    return withLazyPhy2log({ layers, experts, replicas, groups, nodes, gpus, algorithm, failedGpus }, packed);
  }

  function evaluate(placement, loads, options) {
    const o = v.options(options, 'options', KNOWN.evaluate);
    const ws = v.history(loads);
    const w = ws[0];
    const ph = v.phy2log(placement, 'placement');
    if (ph.layers !== w.layers) v.fail(`the placement has ${ph.layers} layers, the loads have ${w.layers}`);
    checkPlacement(placement, ph, w.experts);
    const shape = { windows: ws.length, layers: w.layers, replicas: ph.replicas, experts: w.experts, ...topologyOf(placement, o) };
    const prev = previousPhy2log(o.previous, ph.layers, ph.replicas, 'options.previous');
    return call([i32(ph), v.historyBuffer(ws), prev && i32(prev)], ([pp, pw, pv]) => Module.evaluate(pp, pw, pv, shape));
  }

  /** text: a string, bytes, or a { read(into) } reader (see source.js); read as a stream. */
  function readLoads(text, options) {
    const o = v.options(options, 'options', KNOWN.readLoads);
    let windowBegin = 0;
    let windowEnd = -1;
    if (o.window !== undefined && o.window !== null) {
      const win = Array.isArray(o.window) ? { begin: o.window[0], end: o.window[1] } : v.options(o.window, 'window', KNOWN.window);
      windowBegin = nonNegativeInteger(win.begin, 'window begin', 0);
      windowEnd = nonNegativeInteger(win.end, 'window end', -1);
    }
    if (o.dropDense !== undefined && typeof o.dropDense !== 'boolean') v.fail('dropDense must be a boolean');
    const windowSteps = o.windowSteps === undefined || o.windowSteps === null ? 0 : v.count(o.windowSteps, 'windowSteps');
    const settings = { dropDense: o.dropDense === true, windowBegin, windowEnd, windowSteps };
    return withReader(Module, text, 'readLoads', (read) => unwrap(Module.readLoads(read, settings)));
  }

  function predictLoads(steps, options) {
    const o = v.options(options, 'options', KNOWN.predictLoads);
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

  /** json: a placement object, or its text as readLoads takes it (string, bytes, reader). */
  function placementFromJSON(json, options) {
    const o = v.options(options, 'options', KNOWN.placementFromJSON);
    const plain = json !== null && typeof json === 'object' && !ArrayBuffer.isView(json) && !(json instanceof ArrayBuffer) && typeof json.read !== 'function';
    const text = plain ? JSON.stringify(json) : json;
    const settings = {
      gpus: v.optionalCount(o.gpus, 'gpus', 1),
      nodes: v.optionalCount(o.nodes, 'nodes', 1),
      groups: v.optionalCount(o.groups, 'groups', 1),
      experts: v.optionalCount(o.experts, 'experts', -1),
    };
    return withLazyLog2phy(withReader(Module, text, 'placementFromJSON', (read) => unwrap(Module.placementFromJSON(read, settings))));
  }

  // A trap inside WebAssembly (none is known: the core reports every mistake as data) leaves the
  // module's state undefined: say so once, as an EplbError, and refuse further calls rather
  // than answer from a broken module.
  let broken = null;
  const guarded = (fn) => (...args) => {
    if (broken) throw new EplbError(`the WebAssembly module stopped after an internal error (${broken}); load a new one with loadEplb()`, 'internal');
    try {
      return fn(...args);
    } catch (e) {
      if (!callerErrors.has(e) && (e instanceof WebAssembly.RuntimeError || (e instanceof RangeError && /call stack/i.test(e.message)))) {
        broken = String(e.message).split('\n')[0];
        throw new EplbError(`the WebAssembly module failed (${broken}); load a new one with loadEplb()`, 'internal');
      }
      throw e;
    }
  };

  const algorithms = guarded(() => Module.algorithms());
  const policies = guarded((algorithm) => unwrap(Module.policies(v.string(algorithm, 'algorithm', ''))));
  const api = { rebalance: guarded(rebalance), evaluate: guarded(evaluate) };
  return Object.freeze({
    ...api,
    plan: createPlanner({ ...api, algorithms, policies }),
    timeline: createTimeline({ ...api, algorithms, predictLoads: guarded(predictLoads) }),
    readLoads: guarded(readLoads),
    predictLoads: guarded(predictLoads),
    placementToJSON,
    evaluationToJSON,
    placementFromJSON: guarded(placementFromJSON),
    algorithms,
    /** [{ name, summary }] of every algorithm, in the order of algorithms(). */
    algorithmInfo: guarded(() => Module.algorithmInfo()),
    policies,
    predictors: guarded(() => Module.predictors()),
    /** The core's size limits (docs/limits.md). */
    limits: () => ({ ...limits }),
    /** malloc'd bytes in use and the size of the WASM memory, for leak checks. */
    heapStats: () => ({ inUse: Module.heapInUse(), heapBytes: Module.HEAP8.length }),
  });
}
