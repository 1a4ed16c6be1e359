// Shared by the JS tests: one loaded module, the project's data files, the SPEC 2 invariants.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadEplb } from 'eplb-wasm';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const goldenDir = `${root}tests/data/golden/`;
export const realDir = `${root}data/deepseek-v3-sglang/`;

export const eplb = await loadEplb();

export const readJSON = (file) => JSON.parse(readFileSync(file, 'utf8'));
export const goldenCases = () =>
  readdirSync(goldenDir).filter((f) => f.endsWith('.json')).sort().map((f) => ({ file: f, ...readJSON(goldenDir + f) }));
export const realFiles = () => readdirSync(realDir).filter((f) => f.endsWith('.json')).sort();

/** The 58 MoE layers of a real DeepSeek-V3 dump (its first 3 layers are dense, all zero). */
export function realLoads(name) {
  const m = readJSON(realDir + name).logical_count.slice(3);
  return { data: Float64Array.from(m.flat()), layers: m.length, experts: m[0].length };
}

/** SPEC section 2 invariants of a placement returned by the API. */
export function assertPlacement(p, { layers, experts, replicas }) {
  assert.equal(p.layers, layers);
  assert.equal(p.experts, experts);
  assert.equal(p.replicas, replicas);
  assert.equal(p.phy2log.length, layers * replicas);
  assert.equal(p.logcnt.length, layers * experts);
  assert.equal(p.log2phy.length, layers * experts * p.maxReplicas);
  let maxCount = 0;
  for (let l = 0; l < layers; l++) {
    const counts = new Array(experts).fill(0);
    for (let s = 0; s < replicas; s++) counts[p.phy2log[l * replicas + s]]++;
    for (let e = 0; e < experts; e++) {
      const c = p.logcnt[l * experts + e];
      assert.ok(c >= 1, `layer ${l} expert ${e} has no replica`);
      assert.equal(c, counts[e], `layer ${l} expert ${e}: logcnt disagrees with phy2log`);
      maxCount = Math.max(maxCount, c);
      const row = p.log2phy.subarray((l * experts + e) * p.maxReplicas, (l * experts + e + 1) * p.maxReplicas);
      const slots = Array.from(row).filter((s) => s >= 0);
      assert.equal(slots.length, c);
      assert.deepEqual(slots, [...slots].sort((a, b) => a - b), 'log2phy rows ascend');
      for (const s of slots) assert.equal(p.phy2log[l * replicas + s], e);
      for (let k = c; k < p.maxReplicas; k++) assert.equal(row[k], -1);
    }
  }
  assert.equal(p.maxReplicas, maxCount);
}

/** Sorted slot sets of each expert, per layer, from a nested log2phy. */
export const slotSets = (log2phy) => log2phy.map((layer) => layer.map((row) => row.filter((s) => s >= 0).sort((a, b) => a - b)));
