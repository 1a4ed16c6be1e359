// Section (e): next-window balance. A placement serves the loads after it, so it is made from a
// history and measured on a window it has not seen: each real file held out in turn (the other
// files of its phase, in name order, are the history), and the window after the last `history`
// windows of seeded drifting series. The reference is DeepSeek's algorithm on the history's sum.
// Series also run incrementally (each placement given the strategy's previous one): moved slots.
import { nextWindow as spec, quick as quickSpec, realData, topologies } from '../workloads.mjs';
import { attempt, now, progress, realLoads, syntheticSeries, topologyOptions } from './suite.mjs';
import { median, ms } from './report.mjs';

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sumOf = (ws) => {
  const data = new Float64Array(ws[0].data.length);
  for (const w of ws) for (let i = 0; i < data.length; i++) data[i] += w.data[i];
  return { data, layers: ws[0].layers, experts: ws[0].experts };
};

/** (label, group, history, unseen) of every case. */
function cases(eplb, cfg) {
  const out = [];
  const files = realData.files.filter((f) => cfg.files.includes(f.name));
  for (const f of files) {
    const history = files.filter((g) => g.phase === f.phase && g.name !== f.name).map((g) => realLoads(eplb, g.name));
    if (history.length) out.push({ label: f.name, group: f.phase, history, unseen: realLoads(eplb, f.name) });
  }
  for (const seed of cfg.series.seeds) {
    const ws = syntheticSeries(cfg.series.shape, seed, cfg.series.windows);
    for (let i = cfg.series.history - 1; i + 1 < ws.length; i++)
      out.push({ label: `seed ${seed} window ${i + 1}`, group: 'series', history: ws.slice(i + 1 - cfg.series.history, i + 1), unseen: ws[i + 1], seed, index: i });
  }
  return out;
}

export function runNextWindow(eplb, ctx) {
  const cfg = ctx.quick ? quickSpec.nextWindow : spec;
  const all = cases(eplb, cfg);
  const tables = [];
  for (const topoName of cfg.topologies) {
    const topo = topologyOptions(topoName);
    const refEv = all.map((c) => eplb.evaluate(eplb.rebalance(sumOf(c.history), { ...topo, algorithm: ctx.referenceAlgorithm }), c.unseen));
    const ref = refEv.map((e) => e.balancednessGpu);
    const refRep = refEv.map((e) => e.balancednessReplica);
    const policies = topo.nodes > 1 ? ctx.policies : ['auto'];
    const rows = [];
    for (const algorithm of ctx.algorithms)
      for (const policy of policies) {
        progress(`next-window ${topoName} ${algorithm}/${policy}`);
        const r = { algorithm, policy, bal: [], rep: [], home: [], times: [] };
        for (const c of all) {
          const t0 = now();
          const p = attempt(() => eplb.rebalance(c.history, { ...topo, algorithm, policy }));
          r.times.push(now() - t0);
          if (p.error) {
            r.error = p.error;
            break;
          }
          const e = eplb.evaluate(p.value, c.unseen);
          r.bal.push(e.balancednessGpu);
          r.rep.push(e.balancednessReplica);
          r.home.push(e.homeNodeFraction);
        }
        rows.push(r);
      }
    tables.push({ topoName, topo, ref, refRep, rows, incremental: runIncremental(eplb, ctx, cfg, topo) });
  }
  return { cases: all.map(({ label, group }) => ({ label, group })), tables, cfg };
}

// Along each series, every window from the history length on: the reference fresh each window,
// the default algorithm fresh, and the default algorithm given its previous placement.
function runIncremental(eplb, ctx, cfg, topo) {
  const strategies = [
    { key: 'reference', algorithm: ctx.referenceAlgorithm, incremental: false },
    { key: 'default, fresh', algorithm: 'default', incremental: false },
    { key: 'default, incremental', algorithm: 'default', incremental: true },
  ];
  const out = strategies.map((s) => ({ ...s, bal: [], moved: 0, rebalances: 0, times: [] }));
  for (const seed of cfg.series.seeds) {
    const ws = syntheticSeries(cfg.series.shape, seed, cfg.series.windows);
    const prev = strategies.map(() => null);
    for (let i = cfg.series.history - 1; i + 1 < ws.length; i++) {
      const history = ws.slice(i + 1 - cfg.series.history, i + 1);
      strategies.forEach((s, k) => {
        const opts = { ...topo, algorithm: s.algorithm };
        if (s.incremental && prev[k]) opts.previous = prev[k];
        const t0 = now();
        const p = eplb.rebalance(s.algorithm === ctx.referenceAlgorithm ? sumOf(history) : history, opts);
        out[k].times.push(now() - t0);
        const e = eplb.evaluate(p, ws[i + 1], prev[k] ? { previous: prev[k] } : undefined);
        out[k].bal.push(e.balancednessGpu);
        if (prev[k]) out[k].moved += e.movedSlots, out[k].rebalances++;
        prev[k] = p;
      });
    }
  }
  return out;
}

export function nextWindowSection(nw) {
  const groups = [...new Set(nw.cases.map((c) => c.group))];
  const idx = (g) => nw.cases.map((c, i) => (c.group === g ? i : -1)).filter((i) => i >= 0);
  const fmt = (x) => x.toFixed(4);
  const tables = [];
  const series = idx('series');
  const seriesRep = (vals) => (series.length ? fmt(mean(series.map((i) => vals[i]))) : '-');
  for (const { topoName, ref, refRep, rows, incremental } of nw.tables) {
    const refRow = ['reference (deepseek on the sum)', 'auto', ...groups.map((g) => fmt(mean(idx(g).map((i) => ref[i])))), fmt(mean(ref)), seriesRep(refRep), '', '', '', ''];
    tables.push({
      caption: `**${topologies[topoName].label}** (${topoName}): GPU balancedness on the unseen file or window, mean per group.`,
      columns: ['algorithm', 'policy', ...groups.map((g) => `${g} (${idx(g).length})`), 'all', 'series bal. replica', 'gain vs reference', 'worst case vs reference', 'home-node min', 'ms/call (median)'],
      align: ['l', 'l', ...groups.map(() => 'r'), 'r', 'r', 'r', 'r', 'r', 'r'],
      rows: [
        refRow,
        ...rows.map((r) => {
          if (r.error) return [r.algorithm, r.policy, 'unsupported', ...groups.map(() => ''), '', '', '', '', ''].slice(0, groups.length + 8);
          const worst = Math.min(...r.bal.map((b, i) => b - ref[i]));
          return [r.algorithm, r.policy, ...groups.map((g) => fmt(mean(idx(g).map((i) => r.bal[i])))), fmt(mean(r.bal)), seriesRep(r.rep),
            `${mean(r.bal) - mean(ref) >= 0 ? '+' : ''}${(mean(r.bal) - mean(ref)).toFixed(4)}`, `${worst >= 0 ? '+' : ''}${worst.toFixed(4)}`,
            Math.min(...r.home).toFixed(3), ms(median(r.times))];
        }),
      ],
    });
    const refMoved = incremental[0].moved;
    tables.push({
      caption: `${topoName}, series in time (${nw.cfg.series.seeds.length} seeds of ${nw.cfg.series.shape}, history of ${nw.cfg.series.history} windows): each placement measured on the next window; moved slots against the strategy's own previous placement.`,
      columns: ['strategy', 'next-window bal. GPU', 'moved slots / rebalance', 'moved vs reference', 'ms/call (median)'],
      align: ['l', 'r', 'r', 'r', 'r'],
      rows: incremental.map((s) => [s.key, fmt(mean(s.bal)), Math.round(s.moved / Math.max(1, s.rebalances)), refMoved ? `${((100 * s.moved) / refMoved).toFixed(1)}%` : '-', ms(median(s.times))]),
    });
  }
  return {
    title: 'Next-window balance: placed from a history, measured on loads it has not seen',
    command: 'npm run bench -- --only next-window',
    tables,
    notes: [
      'Real files: each held out in turn; the history is the other files of its phase (prefill or decode) in name order.',
      `Series: js/synthetic.js drifting series; the history is the last ${nw.cfg.series.history} windows, the measure the window after them.`,
      'Reference: deepseek on one matrix holding the sum of the history (what a serving engine\'s window sum gives it), auto policy.',
      'Worst case vs reference: the lowest difference over the cases (below 0: a case where the reference was better).',
      'Series bal. replica: the balancedness over the replica slots (SPEC 4) on the series\' unseen windows, the measure of the published evolutionary searches.',
    ],
  };
}
