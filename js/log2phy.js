// log2phy (SPEC section 2) derived from phy2log on first access: each expert's slots ascending,
// padded with -1 to maxReplicas. It is three quarters of a placement's bytes and most callers
// never read it, so it is not copied out of WebAssembly with the rest: computing it here when
// asked keeps each rebalance call's JS allocations (and the process's memory) small.

export function log2phyOf(phy2log, layers, experts, replicas, maxReplicas) {
  const M = maxReplicas;
  const out = new Int32Array(layers * experts * M).fill(-1);
  const fill = new Int32Array(experts);
  for (let l = 0; l < layers; l++) {
    fill.fill(0);
    const base = l * experts * M;
    for (let s = 0; s < replicas; s++) {
      const e = phy2log[l * replicas + s];
      out[base + e * M + fill[e]++] = s;
    }
  }
  return out;
}

/** logcnt (SPEC section 2) derived from phy2log: the replicas of each expert. */
export function logcntOf(phy2log, layers, experts, replicas) {
  const out = new Int32Array(layers * experts);
  for (let l = 0; l < layers; l++) {
    const base = l * experts;
    for (let s = 0; s < replicas; s++) out[base + phy2log[l * replicas + s]]++;
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
