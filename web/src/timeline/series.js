// The windows of a timeline run, each a load matrix { data: Float64Array, layers, experts }:
// a seeded synthetic drifting series, load files in a row, or a vLLM-style load_history cut
// into windows of K steps. Runs in the Web Worker (and in Node); errors are sentences for the user.
import { driftingSeries } from '../../../js/synthetic.js';

const MAX_WINDOWS = 200;
const MAX_CELLS = 3e7; // loads held at once in the worker (8 bytes each)

export class SeriesError extends Error {}

function whole(v, name, min, max) {
  if (!Number.isInteger(v) || v < min || v > max) throw new SeriesError(`${name} must be a whole number from ${min} to ${max} (got ${v})`);
  return v;
}

/** Seeded drifting loads (js/synthetic.js): lognormal popularity, slow random walk, hot experts now and then. */
export function syntheticWindows({ layers, experts, windows, seed }) {
  whole(layers, 'layers', 1, 1024);
  whole(experts, 'experts', 2, 4096);
  whole(windows, 'windows', 2, MAX_WINDOWS);
  whole(seed, 'seed', 0, 0xffffffff);
  const cells = layers * experts * windows;
  if (cells > MAX_CELLS) throw new SeriesError(`${layers} × ${experts} × ${windows} windows is ${(cells / 1e6).toFixed(0)} million loads, more than ${MAX_CELLS / 1e6} million (choose fewer windows, layers or experts)`);
  const series = driftingSeries({ layers, experts, windows, seed });
  return {
    windows: series,
    names: series.map((_, i) => `window ${i}`),
    layers, experts, keptLayers: Array.from({ length: layers }, (_, l) => l),
    description: `synthetic drifting series, ${layers} layers × ${experts} experts, ${windows} windows, seed ${seed}`,
  };
}

/**
 * A vLLM-style {"load_history": [...]} cut into windows of `steps` steps, each summed (a shorter
 * last window is kept). Layers all zero over the whole history (dense layers) are left out.
 */
export function historyWindows(eplb, name, text, steps) {
  whole(steps, 'steps per window', 1, 1e7);
  const all = eplb.readLoads(text, { dropDense: true });
  if (all.format !== 'load_history') {
    throw new SeriesError(`it holds a single load matrix (format ${all.format}), not a {"load_history": [...]} of steps; ` +
      'the timeline needs steps to cut into windows (or pick the bundled files or the synthetic series)');
  }
  if (!all.layers) throw new SeriesError('every layer of the history is all zero');
  const total = all.historySteps;
  const count = Math.ceil(total / steps);
  if (count < 2) throw new SeriesError(`it has ${total} step${total === 1 ? '' : 's'}: with ${steps} steps per window that is one window, and the timeline needs at least 2 (choose fewer steps per window)`);
  if (count > MAX_WINDOWS) throw new SeriesError(`${total} steps in windows of ${steps} make ${count} windows, more than ${MAX_WINDOWS} (choose more steps per window)`);
  const kept = Array.from(all.keptLayers);
  // One more pass cuts every window (the core sums the steps as it reads them; a window per pass
  // read a large history once a window).
  const windows = eplb.readLoads(text, { dropDense: true, windowSteps: steps }).windows.map(({ data, layers, experts }) => ({ data, layers, experts }));
  const names = windows.map((_, i) => `steps ${i * steps}–${Math.min(total, (i + 1) * steps) - 1}`);
  const short = total % steps ? `; the last window has ${total % steps} step${total % steps === 1 ? '' : 's'}` : '';
  return {
    windows, names, layers: kept.length, experts: all.experts, keptLayers: kept,
    description: `${name}: ${total} steps of load_history in ${count} windows of ${steps} step${steps === 1 ? '' : 's'}${short}; ${kept.length} MoE layers × ${all.experts} experts`,
  };
}

/** Load files (any SPEC 5 shape), one window each, in the given order; they must have the same shape. */
export function fileWindows(eplb, files) {
  if (files.length < 2) throw new SeriesError('the timeline needs at least 2 files');
  const windows = [], names = [];
  let first = null;
  for (const { name, text } of files) {
    let m;
    try {
      m = eplb.readLoads(text, { dropDense: true });
    } catch (err) {
      throw new SeriesError(`${name}: ${err.message}`);
    }
    if (first && (m.layers !== first.layers || m.experts !== first.experts)) {
      throw new SeriesError(`${name} is ${m.layers} × ${m.experts}, ${first.name} is ${first.layers} × ${first.experts}`);
    }
    first ||= { name, layers: m.layers, experts: m.experts, keptLayers: Array.from(m.keptLayers) };
    windows.push({ data: m.data, layers: m.layers, experts: m.experts });
    names.push(name);
  }
  return {
    windows, names, layers: first.layers, experts: first.experts, keptLayers: first.keptLayers,
    description: `${files.length} bundled DeepSeek-V3 SGLang dumps in a row, ${first.layers} MoE layers × ${first.experts} experts`,
  };
}

// Prefill before decode; input-only runs before those with output tokens; then by input and
// output tokens: prefill_in512, …, prefill_in4096, prefill_in500out1500, …, decode_in2000out100.
export function orderDumps(names) {
  const key = (f) => {
    const m = /^(\w+?)_in(\d+)(?:out(\d+))?\.json$/.exec(f);
    return m ? [m[1] === 'prefill' ? 0 : 1, m[3] ? 1 : 0, Number(m[2]), Number(m[3] || 0)] : [2, 0, 0, 0];
  };
  return [...names].sort((a, b) => {
    const ka = key(a), kb = key(b);
    return ka[0] - kb[0] || ka[1] - kb[1] || ka[2] - kb[2] || ka[3] - kb[3] || (a < b ? -1 : 1);
  });
}
