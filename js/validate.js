// Checks on what callers pass, before anything reaches WebAssembly. Each failure throws an
// EplbError naming the argument and the value.
import { EplbError } from './errors.js';

// Shapes beyond this many cells are refused before anything is copied into the WASM heap: the
// module's memory is at most 1 GiB, and 2^26 doubles are half of it. This is the package's own
// guard, not one of the core's limits (those are read from the module: limits.js).
export const MAX_CELLS = 2 ** 26;
const MAX_COUNT = 2 ** 31 - 1;

const describe = (v) =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? JSON.stringify(v).slice(0, 40) : typeof v === 'object' ? 'an object' : String(v);

export function fail(message, code) {
  throw new EplbError(message, code);
}

/** A positive integer count (layers, replicas, gpus...). */
export function count(value, name) {
  if (typeof value !== 'number' || !Number.isInteger(value))
    fail(`${name} must be a positive integer, got ${describe(value)}`);
  if (value < 1) fail(`${name} must be a positive integer, got ${value}`);
  if (value > MAX_COUNT) fail(`${name} (${value}) is too large (at most ${MAX_COUNT})`, 'limit-exceeded');
  return value;
}

export function optionalCount(value, name, fallback) {
  return value === undefined || value === null ? fallback : count(value, name);
}

/**
 * An options object (undefined and null: none). With `known`, a key outside it is a mistake
 * (a typo such as { group: 2 } would otherwise run with the default).
 */
export function options(value, name, known) {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) fail(`${name} must be an object, got ${describe(value)}`);
  if (known)
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const near = known.find((k) => distance(k, key) <= 2 || k.toLowerCase() === key.toLowerCase());
      fail(`unknown option '${String(key).slice(0, 40)}' in ${name}${near ? `; did you mean '${near}'?` : ''} (known: ${known.join(', ')})`);
    }
  return value;
}

// Edit distance (insertions, deletions, substitutions), for "did you mean".
function distance(a, b) {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

export function string(value, name, fallback) {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string') fail(`${name} must be a string, got ${describe(value)}`);
  return value;
}

function checkCells(rows, cols, name) {
  if (rows * cols > MAX_CELLS)
    fail(`${name} is ${rows} x ${cols} = ${rows * cols} cells, beyond the limit of ${MAX_CELLS}`, 'limit-exceeded');
}

/**
 * Loads as given by a caller: number[][] or { data: Float64Array | Float32Array, layers, experts }.
 * Returns { data, layers, experts } where data is a typed array (not copied when already one) or
 * the nested array itself (`nested: true`). Values are checked for type here; NaN, infinite and
 * negative loads are rejected by the core, which names the layer and expert.
 */
export function weights(w, name = 'weights') {
  if (Array.isArray(w)) {
    const layers = w.length;
    if (layers === 0) fail(`${name} has no layers`);
    if (!Array.isArray(w[0])) fail(`${name}[0] must be an array of expert loads, got ${describe(w[0])}`);
    const experts = w[0].length;
    if (experts === 0) fail(`${name}[0] has no experts`);
    checkCells(layers, experts, name);
    for (let l = 0; l < layers; l++) {
      const row = w[l];
      if (!Array.isArray(row)) fail(`${name}[${l}] must be an array of expert loads, got ${describe(row)}`);
      if (row.length !== experts)
        fail(`${name} is ragged: layer ${l} has ${row.length} experts, layer 0 has ${experts}`);
      for (let e = 0; e < experts; e++)
        if (typeof row[e] !== 'number') fail(`${name}[${l}][${e}] must be a number, got ${describe(row[e])}`);
    }
    return { data: w, layers, experts, nested: true };
  }
  if (w === null || typeof w !== 'object')
    fail(`${name} must be number[][] or { data: Float64Array, layers, experts }, got ${describe(w)}`);
  const { data } = w;
  if (!(data instanceof Float64Array || data instanceof Float32Array))
    fail(`${name}.data must be a Float64Array or a Float32Array, got ${describe(data)}`);
  const layers = count(w.layers, `${name}.layers`);
  const experts = count(w.experts, `${name}.experts`);
  checkCells(layers, experts, name);
  if (data.length !== layers * experts)
    fail(`${name}.data has ${data.length} values, expected layers x experts = ${layers} x ${experts} = ${layers * experts}`);
  return { data, layers, experts, nested: false };
}

/** True for an array of matrices (a history), false for one matrix (nested or typed). */
export const isHistory = (h) => Array.isArray(h) && h.length > 0 && (!Array.isArray(h[0]) || Array.isArray(h[0][0]));

/**
 * A load matrix, or a history of them (an array of matrices, oldest first, all of one shape).
 * Returns the checked windows (one for a matrix) as weights() returns each.
 */
export function history(h, name = 'weights') {
  if (!isHistory(h)) return [weights(h, name)];
  const ws = h.map((w, i) => weights(w, `${name}[${i}]`));
  const { layers, experts } = ws[0];
  ws.forEach((w, i) => {
    if (w.layers !== layers || w.experts !== experts)
      fail(`${name}[${i}] is ${w.layers} x ${w.experts}, ${name}[0] is ${layers} x ${experts}: the windows of a history must have one shape`);
  });
  checkCells(ws.length * layers, experts, `the load history ${name}`);
  return ws;
}

/** The heap spec of a history's windows, end to end ([windows][layers][experts]). */
export function historyBuffer(ws) {
  return { kind: 'f64', source: ws.flatMap((w) => (w.nested ? w.data : [w.data])), length: ws.length * ws[0].layers * ws[0].experts };
}

/**
 * A phy2log given as Int32Array (with layers and replicas) or number[][]; returns { data, layers,
 * replicas, nested } like weights().
 */
export function phy2log(p, name) {
  if (p === null || typeof p !== 'object') fail(`${name} must be an object with phy2log, got ${describe(p)}`);
  const m = p.phy2log;
  if (Array.isArray(m)) {
    const layers = m.length;
    if (layers === 0 || !Array.isArray(m[0]) || m[0].length === 0)
      fail(`${name}.phy2log must be a non-empty array of non-empty arrays`);
    const replicas = m[0].length;
    checkCells(layers, replicas, `${name}.phy2log`);
    for (let l = 0; l < layers; l++) {
      const row = m[l];
      if (!Array.isArray(row) || row.length !== replicas)
        fail(`${name}.phy2log is ragged: row ${l} differs in length from row 0`);
      for (let s = 0; s < replicas; s++)
        if (!Number.isInteger(row[s]) || row[s] < -MAX_COUNT - 1 || row[s] > MAX_COUNT)
          fail(`${name}.phy2log[${l}][${s}] must be an integer, got ${describe(row[s])}`);
    }
    return { data: m, layers, replicas, nested: true };
  }
  if (!(m instanceof Int32Array))
    fail(`${name}.phy2log must be an Int32Array or number[][], got ${describe(m)}`);
  const layers = count(p.layers, `${name}.layers`);
  const replicas = count(p.replicas, `${name}.replicas`);
  checkCells(layers, replicas, `${name}.phy2log`);
  if (m.length !== layers * replicas)
    fail(`${name}.phy2log has ${m.length} values, expected layers x replicas = ${layers} x ${replicas}`);
  return { data: m, layers, replicas, nested: false };
}

/** A load history (or one matrix) as windows of { data: Float64Array, layers, experts }, checked. */
export function typedWindows(loads) {
  const items = isHistory(loads) ? loads : [loads];
  const checked = history(loads);
  return checked.map((w, i) => (w.nested
    ? { data: Float64Array.from(items[i].flat()), layers: w.layers, experts: w.experts }
    : { data: w.data instanceof Float64Array ? w.data : Float64Array.from(w.data), layers: w.layers, experts: w.experts }));
}
