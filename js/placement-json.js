// The SPEC section 2 JSON object of a placement: typed arrays become nested arrays.
import { fail } from './validate.js';

/** Rows of `width` values of a flat typed array, as plain arrays. */
export function nest(flat, width) {
  const rows = [];
  for (let i = 0; i < flat.length; i += width) rows.push(Array.from(flat.subarray(i, i + width)));
  return rows;
}

export function placementToJSON(p) {
  if (p === null || typeof p !== 'object' || !(p.phy2log instanceof Int32Array) ||
      !(p.log2phy instanceof Int32Array) || !(p.logcnt instanceof Int32Array))
    fail('placementToJSON takes a placement returned by rebalance or placementFromJSON');
  const { layers: L, experts: E, replicas: R, maxReplicas: M } = p;
  const log2phy = [];
  for (let l = 0; l < L; l++) log2phy.push(nest(p.log2phy.subarray(l * E * M, (l + 1) * E * M), M));
  return {
    phy2log: nest(p.phy2log, R),
    log2phy,
    logcnt: nest(p.logcnt, E),
    num_replicas: R,
    num_groups: p.groups,
    num_nodes: p.nodes,
    num_gpus: p.gpus,
    algorithm: p.algorithm,
    ...(p.failedGpus?.length ? { failed_gpus: Array.from(p.failedGpus) } : {}),
  };
}
