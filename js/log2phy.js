// log2phy (SPEC section 2) derived from phy2log on first access: each expert's slots ascending,
// padded with -1 to maxReplicas. Slots of failed GPUs (-1 in phy2log) are in neither log2phy nor
// logcnt (docs/failures.md). It is three quarters of a placement's bytes and most callers
// never read it, so it is not copied out of WebAssembly with the rest: computing it here when
// asked keeps each rebalance call's JS allocations (and the process's memory) small.

import { limit } from './limits.js';
import { fail } from './validate.js';

export function checkLog2phyCells(layers, experts, maxReplicas) {
  // The core's limit on a placement's cells: past it, the padded array (and its JSON) would be
  // gigabytes, mostly -1.
  const max = limit('maxPlacementCells');
  const cells = layers * experts * maxReplicas;
  if (cells > max)
    fail(`log2phy would have ${cells} cells (${layers} layers x ${experts} experts x ${maxReplicas} slots of the most ` +
      `replicated expert), beyond the limit of ${max}: use phy2log, which has no padding ` +
      '(in an all-zero layer one expert gets every spare slot: readLoads with dropDense leaves such layers out)', 'limit-exceeded');
}

export function log2phyOf(phy2log, layers, experts, replicas, maxReplicas) {
  const M = maxReplicas;
  checkLog2phyCells(layers, experts, M);
  const out = new Int32Array(layers * experts * M).fill(-1);
  const fill = new Int32Array(experts);
  for (let l = 0; l < layers; l++) {
    fill.fill(0);
    const base = l * experts * M;
    for (let s = 0; s < replicas; s++) {
      const e = phy2log[l * replicas + s];
      if (e >= 0) out[base + e * M + fill[e]++] = s; // -1: a slot of a failed GPU
    }
  }
  return out;
}

/** logcnt (SPEC section 2) derived from phy2log: the replicas of each expert. */
export function logcntOf(phy2log, layers, experts, replicas) {
  const out = new Int32Array(layers * experts);
  for (let l = 0; l < layers; l++) {
    const base = l * experts;
    for (let s = 0; s < replicas; s++) {
      const e = phy2log[l * replicas + s];
      if (e >= 0) out[base + e]++; // live slots only
    }
  }
  return out;
}

// Accessors shared by every placement (no closures per placement): the first read computes the
// value and replaces the accessor with a plain property.
function lazy(name, compute) {
  const settle = (obj, value) =>
    Object.defineProperty(obj, name, { value, enumerable: true, writable: true, configurable: true });
  return {
    enumerable: true,
    configurable: true,
    get() {
      const value = compute(this);
      settle(this, value);
      return value;
    },
    set(value) {
      settle(this, value);
    },
  };
}

const derived = {
  log2phy: lazy('log2phy', (q) => log2phyOf(q.phy2log, q.layers, q.experts, q.replicas, q.maxReplicas)),
  logcnt: lazy('logcnt', (q) => logcntOf(q.phy2log, q.layers, q.experts, q.replicas)),
  maxReplicas: lazy('maxReplicas', (q) => q.logcnt.reduce((a, c) => (c > a ? c : a), 1)),
};

/**
 * Gives placement p (from the glue: phy2log and the sizes only) its log2phy, logcnt and maxReplicas, each
 * computed once, when first read. Copying only phy2log out of WebAssembly keeps each call's
 * allocations, and so the process's memory over many calls, small.
 */
export function withLazyLog2phy(p) {
  return Object.defineProperties(p, derived);
}

// phy2log of a rebalance result, held packed until first read. Each placement's phy2log is
// 4 bytes a slot (66,816 bytes at the DeepSeek-V3 shape); as an Int32Array made per call, those
// bytes live outside V8's heap, and dead ones are only freed after a young-generation GC, on a
// background thread: over many calls, tens of MiB of dead arrays stayed in the process's memory
// between GCs (and often after a full GC). Packed into plain arrays of small integers
// (30 bits each: as many expert indices as fit), the copy lives in V8's heap: scavenges
// reclaim it at once, and their cadence keeps pace with the calls. The arrays are chunks of at
// most 8192 words: V8 makes a larger `new Array(n)` by a slower path (at 61x1024, 41,643 words
// took 0.27 ms in one array, 0.08 ms in chunks). The Int32Array is made, and then kept, when
// phy2log is first read.
const CHUNK = 8192;

/**
 * phy2log (n expert indices, `bits` each) from the words the glue packed at h[at..]
 * (bindings/placement_glue.cpp pack_phy2log, which chooses `bits`), as { chunks, bits, n, offset }
 * with chunks plain arrays of words. Negative bits: the placement has -1 slots (failed GPUs), so
 * the glue stored every value plus one in -bits bits (offset 1).
 */
export function packedPhy2log(h, at, n, packedBits) {
  const offset = packedBits < 0 ? 1 : 0;
  const bits = Math.abs(packedBits);
  const m = Math.ceil(n / Math.floor(30 / bits));
  const chunks = [];
  for (let c = 0; c < m; c += CHUNK) {
    const words = new Array(Math.min(CHUNK, m - c));
    for (let j = 0; j < words.length; j++) words[j] = h[at + c + j];
    chunks.push(words);
  }
  return { chunks, bits, n, offset };
}

export function unpackPhy2log({ chunks, bits, n, offset = 0 }) {
  const k = Math.floor(30 / bits);
  const mask = 2 ** bits - 1;
  const out = new Int32Array(n);
  let first = 0; // the chunk's first index
  for (const words of chunks) {
    const m = words.length;
    const count = Math.min(n - first, m * k);
    for (let t = 0, shift = 0; t < k; t++, shift += bits) {
      const full = t < count - (m - 1) * k ? m : m - 1; // the last word may hold fewer indices
      if (offset) for (let j = 0, i = first + t; j < full; j++, i += k) out[i] = ((words[j] >>> shift) & mask) - 1;
      else for (let j = 0, i = first + t; j < full; j++, i += k) out[i] = (words[j] >>> shift) & mask;
    }
    first += m * k;
  }
  return out;
}

const PACKED = Symbol('packed phy2log');
const fromPacked = {
  phy2log: lazy('phy2log', (q) => {
    const packed = q[PACKED];
    q[PACKED] = null;
    return unpackPhy2log(packed);
  }),
  ...derived,
};

/**
 * A rebalance result: the sizes, phy2log packed (see packedPhy2log), unpacked to an Int32Array of
 * its own when first read, and log2phy, logcnt and maxReplicas derived from it as in
 * withLazyLog2phy.
 */
export function withLazyPhy2log(p, packed) {
  Object.defineProperty(p, PACKED, { value: packed, writable: true, configurable: true });
  return Object.defineProperties(p, fromPacked);
}
