// Shared by the sections of the benchmark: the inputs of the suite (real files, synthetic loads),
// the algorithms and policies the module offers, and small helpers.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { realData, syntheticShapes, syntheticParams, topologies } from '../workloads.mjs';
import { driftingSeries } from '../../js/synthetic.js';

export const root = fileURLToPath(new URL('../../', import.meta.url));

/** Progress on stderr, so that stdout holds only the tables. */
export const progress = (msg) => process.stderr.write(`[bench] ${msg}\n`);

/** The algorithms of the module, in its order. */
export const algorithmsOf = (eplb) => eplb.algorithms();

/**
 * The policies the module accepts: eplb.policies() when the API offers it, otherwise the list an
 * unknown policy's error message names ("... (known: a, b, c)"), otherwise the SPEC's four.
 */
export function policiesOf(eplb) {
  if (typeof eplb.policies === 'function') return { policies: eplb.policies(), source: 'eplb.policies()' };
  try {
    eplb.rebalance({ data: new Float64Array([1, 1]), layers: 1, experts: 2 }, { replicas: 2, gpus: 1, policy: '?' });
  } catch (e) {
    const m = /known:\s*([^)]*)\)/.exec(String(e?.message));
    if (m) return { policies: m[1].split(',').map((s) => s.trim()).filter(Boolean), source: "the module's error for an unknown policy" };
  }
  return { policies: ['auto', 'hierarchical', 'global', 'hybrid'], source: 'fallback list (the module names none)' };
}

const realCache = new Map();
/** A real file's MoE layers as { data, layers, experts } (dense all-zero layers dropped). */
export function realLoads(eplb, name) {
  if (!realCache.has(name)) {
    const text = readFileSync(path.join(root, realData.dir, `${name}.json`), 'utf8');
    const f = eplb.readLoads(text, realData.readOptions);
    realCache.set(name, { data: f.data, layers: f.layers, experts: f.experts });
  }
  return realCache.get(name);
}

const seriesCache = new Map();
/** The synthetic series of a shape and seed (all windows up to `windows`). */
export function syntheticSeries(shapeName, seed, windows) {
  const shape = syntheticShapes[shapeName];
  if (!shape) throw new Error(`unknown synthetic shape ${shapeName}`);
  const key = `${shapeName}/${seed}/${windows}`;
  if (!seriesCache.has(key))
    seriesCache.set(key, driftingSeries({ layers: shape.layers, experts: shape.experts, seed, windows, ...syntheticParams }));
  return seriesCache.get(key);
}

/** The loads of a speed case's source: { real: NAME } or { synthetic: SHAPE, seed, window }. */
export function sourceLoads(eplb, source) {
  if (source.real) return realLoads(eplb, source.real);
  return syntheticSeries(source.synthetic, source.seed, (source.window ?? 0) + 1)[source.window ?? 0];
}

/** Topology by name, without its label: the options rebalance takes. */
export function topologyOptions(name) {
  const t = topologies[name];
  if (!t) throw new Error(`unknown topology ${name}`);
  const { label, ...rest } = t;
  return rest;
}

export const shapeLabel = (w, t) => `${w.layers}x${w.experts} -> ${t.replicas} slots, ${t.groups} groups, ${t.nodes} nodes, ${t.gpus} GPUs`;

/** Writes a matrix as raw little-endian float64 (what the native target and the reference read). */
export function writeMatrix(file, w) {
  const bytes = new Uint8Array(w.data.length * 8);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < w.data.length; i++) dv.setFloat64(i * 8, w.data[i], true);
  writeFileSync(file, bytes);
}

/** Runs fn and returns { value } or { error: message }. */
export function attempt(fn) {
  try {
    return { value: fn() };
  } catch (e) {
    return { error: String(e?.message ?? e) };
  }
}

export const now = () => Number(process.hrtime.bigint()) / 1e6;
