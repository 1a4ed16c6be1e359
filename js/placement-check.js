// Consistency of a placement's logcnt and log2phy with its phy2log, for placements the caller
// passes in (evaluate scores phy2log as given; extra arrays must agree with it).
import { fail } from './validate.js';

const cell = (m, nested, i, j, width) => (nested ? m[i][j] : m[i * width + j]);

/** ph: validated phy2log (see validate.phy2log); experts: from the loads. */
export function checkPlacement(p, ph, experts, name = 'placement') {
  const { layers: L, replicas: R } = ph;
  const E = experts;
  const counts = new Int32Array(L * E);
  for (let l = 0; l < L; l++)
    for (let s = 0; s < R; s++) {
      const e = cell(ph.data, ph.nested, l, s, R);
      if (e === -1) continue; // a slot of a failed GPU: that whole GPUs are -1 is the core's check
      if (e < 0 || e >= E) fail(`${name}.phy2log[${l}][${s}] = ${e} is not an expert index in [0, ${E}) (or -1 for a failed GPU)`);
      counts[l * E + e]++;
    }
  if (p.logcnt !== undefined && p.logcnt !== null) checkLogcnt(p.logcnt, counts, L, E, name);
  if (p.log2phy !== undefined && p.log2phy !== null) checkLog2phy(p, ph, counts, L, E, name);
}

function checkLogcnt(logcnt, counts, L, E, name) {
  const nested = Array.isArray(logcnt);
  if (nested ? logcnt.length !== L : !(logcnt instanceof Int32Array) || logcnt.length !== L * E)
    fail(`${name}.logcnt must be ${L} x ${E} (layers x experts) like the loads`);
  for (let l = 0; l < L; l++) {
    if (nested && (!Array.isArray(logcnt[l]) || logcnt[l].length !== E))
      fail(`${name}.logcnt[${l}] must have ${E} entries`);
    for (let e = 0; e < E; e++) {
      const c = cell(logcnt, nested, l, e, E);
      if (c !== counts[l * E + e])
        fail(`${name}.logcnt[${l}][${e}] = ${c} disagrees with phy2log (${counts[l * E + e]} slots)`);
    }
  }
}

function checkLog2phy(p, ph, counts, L, E, name) {
  const m = p.log2phy;
  const nested = Array.isArray(m);
  let M = 0;
  if (nested) {
    if (m.length !== L) fail(`${name}.log2phy must have ${L} layers`);
  } else {
    if (!(m instanceof Int32Array)) fail(`${name}.log2phy must be an Int32Array or nested arrays`);
    M = p.maxReplicas ?? m.length / (L * E);
    if (!Number.isInteger(M) || M < 1 || m.length !== L * E * M)
      fail(`${name}.log2phy has ${m.length} values, not layers x experts x maxReplicas`);
  }
  const seen = new Int32Array(ph.replicas);
  let stamp = 0;
  for (let l = 0; l < L; l++) {
    if (nested && (!Array.isArray(m[l]) || m[l].length !== E)) fail(`${name}.log2phy[${l}] must have ${E} rows`);
    for (let e = 0; e < E; e++) {
      const row = nested ? m[l][e] : m.subarray((l * E + e) * M, (l * E + e + 1) * M);
      if (nested && !Array.isArray(row)) fail(`${name}.log2phy[${l}][${e}] must be an array`);
      stamp++;
      let n = 0;
      for (const s of row) {
        if (!Number.isInteger(s)) fail(`${name}.log2phy[${l}][${e}] holds a non-integer`);
        if (s < 0) continue;
        if (s >= ph.replicas || seen[s] === stamp || cell(ph.data, ph.nested, l, s, ph.replicas) !== e)
          fail(`${name}.log2phy[${l}][${e}] disagrees with phy2log`);
        seen[s] = stamp;
        n++;
      }
      if (n !== counts[l * E + e]) fail(`${name}.log2phy[${l}][${e}] disagrees with phy2log`);
    }
  }
}
