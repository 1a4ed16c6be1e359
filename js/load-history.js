// Load files read as one load history: each file one window, oldest first (or, with
// windowSteps K, each load_history file cut into K-step windows), all of one shape and keeping
// the same layers. Used by the CLI and the dashboard's Web Worker; mistakes are EplbErrors.
import { EplbError } from './errors.js';
import { fail } from './validate.js';

const TOPOLOGY_KEYS = ['replicas', 'groups', 'nodes', 'gpus'];

function named(name, fn) {
  try {
    return fn();
  } catch (e) {
    if (e instanceof EplbError && !e.message.startsWith(name)) e.message = `${name}: ${e.message}`;
    throw e;
  }
}

/**
 * sources: [{ name, text }] in order. Returns { windows, first, keptLayers, topology, names }:
 * the windows (LoadMatrix each), the first file's reading (format, shape, fileLayers, name), the
 * layers kept, the topology keys the files record (which must agree) and each window's name.
 */
export function readHistory(eplb, sources, { dropDense = false, windowSteps } = {}) {
  if (!sources.length) fail('no load file given');
  const windows = [];
  const names = [];
  const topology = {};
  const from = {};
  let first;
  for (const { name, text } of sources) {
    const read = () => eplb.readLoads(text, { dropDense, windowSteps });
    const w = sources.length > 1 ? named(`load file ${name}`, read) : read();
    if (windowSteps !== undefined && w.format !== 'load_history')
      fail(`windows of ${windowSteps} steps apply to load_history files; ${name} is a '${w.format}' file`);
    if (first === undefined) first = { ...w, name };
    else {
      if (w.layers !== first.layers || w.experts !== first.experts)
        fail(`${name} is ${w.layers} x ${w.experts} (layers x experts), ${first.name} is ${first.layers} x ${first.experts}: the files of a history must have one shape`);
      if (dropDense && w.keptLayers.join() !== first.keptLayers.join())
        fail(`${name} has other all-zero layers than ${first.name}: the files of a history must keep the same layers`);
    }
    for (const key of TOPOLOGY_KEYS) {
      if (w[key] === undefined) continue;
      if (topology[key] !== undefined && topology[key] !== w[key])
        fail(`${name} records num_${key} ${w[key]}, ${from[key]} records ${topology[key]}`);
      topology[key] = w[key];
      from[key] = name;
    }
    if (windowSteps !== undefined) {
      windows.push(...w.windows);
      names.push(...w.windows.map((_, i) => `${name} window ${i + 1}`));
    } else {
      windows.push(w);
      names.push(name);
    }
  }
  return { windows, first, keptLayers: first.keptLayers, topology, names };
}

/** The history argument of rebalance and evaluate: one matrix alone, else the windows. */
export const historyArgument = (h) => (h.windows.length === 1 ? h.windows[0] : h.windows);
