// Section (g): uneven clusters (docs/failures.md). For each failure set, on the real files: the
// default algorithm's global placement on the live GPUs against the elasticity-aware reference
// (DeepSeek's global policy over the live GPUs); recovery from the placement in service before
// the failure (moved live slots against the reference's, balancedness); the hybrid policy's
// balancedness and home-node share; the GPU back in service. Then groups that do not divide the
// nodes, and the time per call with and without failures.
import { failures as spec, quick as quickSpec, topologies } from '../workloads.mjs';
import { f4, minAvg, mean, median, ms, pct, ratio } from './report.mjs';
import { attempt, now, progress, realLoads, topologyOptions } from './suite.mjs';

const moved = (now, before) => {
  let m = 0;
  for (let i = 0; i < now.phy2log.length; i++) m += now.phy2log[i] >= 0 && now.phy2log[i] !== before.phy2log[i];
  return m;
};

export function runFailures(eplb, ctx) {
  const cfg = ctx.quick ? quickSpec.failures : spec;
  const cases = [];
  for (const c of cfg.cases) {
    progress(`failures ${c.topology} failed ${c.failed.join(',')}`);
    const topo = topologyOptions(c.topology);
    const r = { ...c, fresh: [], ref: [], recovery: [], movedMine: 0, movedRef: 0, live: 0, hybrid: [], home: [], back: [], movedBack: 0 };
    for (const name of cfg.files) {
      const w = realLoads(eplb, name);
      const before = eplb.rebalance(w, { ...topo, policy: 'global' });
      const p = eplb.rebalance(w, { ...topo, policy: 'global', failedGpus: c.failed });
      const ref = eplb.rebalance(w, { ...topo, algorithm: 'deepseek', policy: 'global', failedGpus: c.failed });
      const q = eplb.rebalance(w, { ...topo, policy: 'global', failedGpus: c.failed, previous: before });
      r.fresh.push(eplb.evaluate(p, w).balancednessGpu);
      r.ref.push(eplb.evaluate(ref, w).balancednessGpu);
      r.recovery.push(eplb.evaluate(q, w).balancednessGpu);
      r.movedMine += moved(q, before);
      r.movedRef += moved(ref, before);
      r.live += w.layers * (topo.replicas / topo.gpus) * (topo.gpus - c.failed.length);
      const h = attempt(() => eplb.rebalance(w, { ...topo, policy: 'hybrid', failedGpus: c.failed }));
      if (h.error) r.hybridError = h.error;
      else {
        const e = eplb.evaluate(h.value, w);
        r.hybrid.push(e.balancednessGpu);
        r.home.push(e.homeNodeFraction);
      }
      // The last failed GPU back in service, from the placement made after the failure.
      const back = eplb.rebalance(w, { ...topo, policy: 'global', failedGpus: c.failed.slice(0, -1), previous: q });
      r.back.push(eplb.evaluate(back, w).balancednessGpu);
      r.movedBack += moved(back, q);
    }
    cases.push(r);
  }
  const uneven = [];
  for (const name of cfg.uneven) {
    progress(`failures: uneven groups ${name}`);
    const topo = topologyOptions(name);
    const row = { name, rows: [] };
    for (const [algorithm, policy] of [['deepseek', 'auto'], ['default', 'auto'], ['default', 'hierarchical'], ['default', 'hybrid']]) {
      const bal = [], home = [];
      for (const f of cfg.files) {
        const w = realLoads(eplb, f);
        const e = eplb.evaluate(eplb.rebalance(w, { ...topo, algorithm, policy }), w);
        bal.push(e.balancednessGpu);
        home.push(e.homeNodeFraction);
      }
      row.rows.push({ algorithm, policy, bal, home });
    }
    uneven.push(row);
  }
  // Time per call (WASM, median), the same call with and without failures, side by side.
  const timing = [];
  const w = realLoads(eplb, cfg.timing.file);
  const v3 = topologyOptions('v3');
  const time = (opts) => {
    eplb.rebalance(w, opts);
    const t = [];
    for (let i = 0; i < cfg.timing.calls; i++) {
      const t0 = now();
      eplb.rebalance(w, opts);
      t.push(now() - t0);
    }
    return median(t);
  };
  const before = eplb.rebalance(w, { ...v3, policy: 'global' });
  for (const [label, opts, failed] of [
    ['default, global', { ...v3, policy: 'global' }, [5, 20]],
    ['deepseek, global', { ...v3, algorithm: 'deepseek', policy: 'global' }, [5, 20]],
    ['default, hybrid', { ...v3, policy: 'hybrid' }, [5, 20]],
    ['default, global, --previous', { ...v3, policy: 'global', previous: before }, [5, 20]],
  ]) {
    progress(`failures: timing ${label}`);
    // Alternating, so that both see the same machine load.
    const a = [], b = [];
    for (let k = 0; k < 3; k++) a.push(time(opts)), b.push(time({ ...opts, failedGpus: failed }));
    timing.push({ label, failed, plain: median(a), failures: median(b) });
  }
  return { cases, uneven, timing, cfg };
}

export function failuresSection(res) {
  const tables = [];
  tables.push({
    caption: `Failed GPUs, global policy, on ${res.cfg.files.length} real files (min / average over the files): the default algorithm on the live GPUs, the elasticity-aware reference (DeepSeek's global policy over the live GPUs), and recovery from the default global placement in service before the failure (moved live slots against the same placement, and the reference's).`,
    columns: ['topology', 'failed GPUs', 'default fresh', 'reference', 'recovery', 'recovery moved slots', 'reference moved slots', 'recovery / reference moves', 'GPU back: balancedness', 'GPU back: moved slots'],
    rows: res.cases.map((c) => [c.topology, c.failed.join(','), minAvg(c.fresh), minAvg(c.ref), minAvg(c.recovery), c.movedMine, c.movedRef,
      pct(c.movedMine / c.movedRef), minAvg(c.back), `${c.movedBack} (${pct(c.movedBack / c.live)} of live slots)`]),
  });
  tables.push({
    caption: 'Failed GPUs, hybrid policy (first replicas at home where the node has room): balancedness and home-node fraction (min / average).',
    columns: ['topology', 'failed GPUs', 'balancedness', 'home-node fraction'],
    rows: res.cases.map((c) => [c.topology, c.failed.join(','), c.hybridError ? c.hybridError : minAvg(c.hybrid), c.hybridError ? '-' : minAvg(c.home)]),
  });
  for (const u of res.uneven)
    tables.push({
      caption: `Groups that do not divide the nodes: ${topologies[u.name].label} (min / average over the files; auto is the reference's rule, global).`,
      columns: ['algorithm', 'policy', 'balancedness', 'home-node fraction'],
      rows: u.rows.map((r) => [r.algorithm, r.policy, minAvg(r.bal), minAvg(r.home)]),
    });
  tables.push({
    caption: 'Time per call (WASM, median; the same call with and without failures, alternated in 3 rounds).',
    columns: ['call', 'failed GPUs', 'no failure', 'with failures', 'ratio'],
    rows: res.timing.map((t) => [t.label, t.failed.join(','), `${ms(t.plain)} ms`, `${ms(t.failures)} ms`, ratio(t.failures / t.plain)]),
  });
  return {
    title: 'Uneven clusters: failed GPUs, recovery, groups that do not divide the nodes',
    command: 'npm run bench -- --only failures',
    tables,
    notes: [
      'Moved slots: live slots whose expert differs from the placement in service (a failed GPU\'s slots need no copy). The reference moves nearly every slot: it places afresh.',
      'The GPU back in service: the last failed GPU returns, from the recovery placement; its slots are filled and the mend evens the load again.',
      `Average of the recovery rows: ${res.cases.map((c) => `${f4(mean(c.recovery))} vs reference ${f4(mean(c.ref))}`).join('; ')}.`,
    ],
  };
}
