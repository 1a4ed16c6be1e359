// Seeded synthetic expert loads (the benchmark suite, the dashboard's timeline): skewed popularity (a few hot experts per
// layer), drifting from one window to the next, with now and then an expert that turns hot.
// Pure JS and deterministic: the same parameters and seed give the same loads bit for bit on every
// platform (32-bit integer PRNG, Math.log/exp/cos/sin only on its output, integer token counts
// rounded from them; the tests check the determinism, not exact values across Node versions).

/** mulberry32: a small 32-bit PRNG; uniform() in [0, 1). */
export function createRng(seed) {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be a 32-bit unsigned integer, got ${seed}`);
  let a = seed >>> 0;
  let spare = null;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  // Box-Muller, both deviates used.
  const normal = () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u1 = Math.max(uniform(), 1e-300);
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  };
  return { uniform, normal };
}

/** Defaults of the drifting generator (overridable per workload in workloads.mjs). */
export const DRIFT_DEFAULTS = Object.freeze({
  windows: 8,
  /** Spread of log-popularity: 1.0 puts the hottest of 256 experts at ~4-8x the layer mean, as in the real dumps. */
  sigma: 1.0,
  /** Per window: log-popularity <- decay * log-popularity + drift * N(0, 1). */
  decay: 0.95,
  drift: 0.1,
  /** Per window and expert: probability of turning hot, and the log-popularity it gains. */
  hot: 0.004,
  boost: 1.2,
  /** Tokens per layer and window (the real prefill dumps have ~6.7e7). */
  tokens: 2 ** 26,
});

/**
 * A seeded series of load matrices [windows] of { data: Float64Array (layers x experts, row-major),
 * layers, experts }: per layer and expert a log-popularity ~ N(0, sigma^2) that drifts by a slow
 * random walk; an expert turns hot now and then; each window's loads are the layer's tokens split
 * in proportion to exp(log-popularity), rounded to whole tokens.
 */
export function driftingSeries({ layers, experts, seed, ...params }) {
  const p = { ...DRIFT_DEFAULTS, ...params };
  for (const [k, v] of Object.entries({ layers, experts, windows: p.windows }))
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${k} must be a positive integer, got ${v}`);
  const rng = createRng(seed);
  const n = layers * experts;
  const logp = new Float64Array(n);
  for (let i = 0; i < n; i++) logp[i] = p.sigma * rng.normal();
  const series = [];
  for (let w = 0; w < p.windows; w++) {
    for (let i = 0; i < n; i++) logp[i] = p.decay * logp[i] + p.drift * rng.normal();
    for (let i = 0; i < n; i++) if (rng.uniform() < p.hot) logp[i] += p.boost;
    const data = new Float64Array(n);
    for (let l = 0; l < layers; l++) {
      let sum = 0;
      for (let e = 0; e < experts; e++) sum += Math.exp(logp[l * experts + e]);
      for (let e = 0; e < experts; e++) data[l * experts + e] = Math.round((Math.exp(logp[l * experts + e]) / sum) * p.tokens);
    }
    series.push({ data, layers, experts });
  }
  return series;
}

/** One window of a drifting series (window 0 by default): a single skewed load matrix. */
export function skewedLoads({ window = 0, ...spec }) {
  const windows = Math.max(spec.windows ?? 1, window + 1);
  return driftingSeries({ ...spec, windows })[window];
}
