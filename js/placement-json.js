// The SPEC section 2 JSON object of a placement: typed arrays become nested arrays; or the same
// JSON text written as a stream, a few rows at a time, for placements too large to nest.
import { checkLog2phyCells } from './log2phy.js';
import { fail } from './validate.js';

/** Rows of `width` values of a flat typed array, as plain arrays. */
export function nest(flat, width) {
  const rows = [];
  for (let i = 0; i < flat.length; i += width) rows.push(Array.from(flat.subarray(i, i + width)));
  return rows;
}

function checkPlacementObject(p, name) {
  if (p === null || typeof p !== 'object' || !(p.phy2log instanceof Int32Array) || !(p.logcnt instanceof Int32Array))
    fail(`${name} takes a placement returned by rebalance or placementFromJSON`);
}

export function placementToJSON(p) {
  checkPlacementObject(p, 'placementToJSON');
  if (!(p.log2phy instanceof Int32Array)) fail('placementToJSON takes a placement returned by rebalance or placementFromJSON');
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

// `[[a,b],[c,d]]` of a flat typed array, written a row at a time.
function writeRows(write, flat, width) {
  write('[');
  for (let i = 0; i < flat.length; i += width) write((i ? ',[' : '[') + flat.subarray(i, i + width).join(',') + ']');
  write(']');
}

/**
 * Writes the text of JSON.stringify({ ...placementToJSON(p), ...extra }) through write(text),
 * a row at a time: log2phy is made one layer at a time from phy2log, never whole.
 * format 'sglang': { physical_to_logical_map, ...extra } instead.
 */
export function writePlacementJSON(p, write, { format = 'json', extra = {} } = {}) {
  checkPlacementObject(p, 'writePlacementJSON');
  const { layers: L, experts: E, replicas: R } = p;
  if (format === 'sglang') {
    if (p.failedGpus?.length)
      fail("SGLang's physical_to_logical_map cannot express failed GPUs (it has an expert in every slot of every rank): write the JSON placement");
    write('{"physical_to_logical_map":');
    writeRows(write, p.phy2log, R);
  } else {
    const M = p.maxReplicas;
    checkLog2phyCells(L, E, M);
    write('{"phy2log":');
    writeRows(write, p.phy2log, R);
    write(',"log2phy":[');
    const layer = new Int32Array(E * M);
    const fill = new Int32Array(E);
    for (let l = 0; l < L; l++) {
      layer.fill(-1);
      fill.fill(0);
      for (let s = 0; s < R; s++) {
        const e = p.phy2log[l * R + s];
        if (e >= 0) layer[e * M + fill[e]++] = s; // -1: a failed GPU's slot
      }
      write(l ? ',' : '');
      writeRows(write, layer, M);
    }
    write('],"logcnt":');
    writeRows(write, p.logcnt, E);
    write(`,"num_replicas":${R},"num_groups":${p.groups},"num_nodes":${p.nodes},"num_gpus":${p.gpus},"algorithm":${JSON.stringify(p.algorithm)}`);
    if (p.failedGpus?.length) write(`,"failed_gpus":[${Array.from(p.failedGpus).join(',')}]`);
  }
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) write(`,${JSON.stringify(key)}:${JSON.stringify(value)}`);
  write('}\n');
}
