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

/** Gives placement p (from the glue, without log2phy) a log2phy computed once, when first read. */
export function withLazyLog2phy(p) {
  Object.defineProperty(p, 'log2phy', {
    enumerable: true,
    configurable: true,
    get() {
      const value = log2phyOf(this.phy2log, this.layers, this.experts, this.replicas, this.maxReplicas);
      Object.defineProperty(this, 'log2phy', { value, enumerable: true, writable: true, configurable: true });
      return value;
    },
    set(value) {
      Object.defineProperty(this, 'log2phy', { value, enumerable: true, writable: true, configurable: true });
    },
  });
  return p;
}
