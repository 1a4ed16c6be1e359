// Section (c): placement quality per algorithm and policy on the real files (same-file and
// cross-file) and on synthetic loads at scale (same window and next window).
import { crossFile, quick as quickSpec, sameFile, syntheticQuality, syntheticShapes, topologies } from '../workloads.mjs';
import { attempt, now, progress, realLoads, syntheticSeries, topologyOptions } from './suite.mjs';
import { avgMax, median, minAvg, ms } from './report.mjs';

const samePhy2log = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Rebalances every file once per combination and measures it on the same file and the pair targets. */
export function runQuality(eplb, ctx) {
  const files = ctx.quick ? quickSpec.sameFileFiles : sameFile.files;
  const pairs = ctx.quick ? quickSpec.crossPairs : crossFile.pairs;
  const topoNames = ctx.quick ? quickSpec.topologies : sameFile.topologies;
  const placeOn = [...new Set([...files, ...pairs.map((p) => p.place)])];
  const combos = ctx.algorithms.flatMap((algorithm) => ctx.policies.map((policy) => ({ algorithm, policy })));
  const real = [];
  for (const topoName of topoNames) {
    const topo = topologyOptions(topoName);
    const rows = [];
    for (const { algorithm, policy } of combos) {
      progress(`quality ${topoName} ${algorithm}/${policy}`);
      const r = { algorithm, policy, same: [], cross: {}, times: [], placements: new Map() };
      for (const f of placeOn) {
        const w = realLoads(eplb, f);
        const t0 = now();
        const p = attempt(() => eplb.rebalance(w, { ...topo, algorithm, policy }));
        r.times.push(now() - t0);
        if (p.error) {
          r.error = p.error;
          break;
        }
        r.placements.set(f, p.value);
        if (files.includes(f)) r.same.push(eplb.evaluate(p.value, w));
      }
      if (!r.error)
        for (const pair of pairs) {
          const e = eplb.evaluate(r.placements.get(pair.place), realLoads(eplb, pair.measure));
          (r.cross[pair.kind] ??= []).push(e.balancednessGpu);
        }
      rows.push(r);
    }
    // A policy whose placements equal 'auto''s for every file is shown as such, not repeated.
    for (const r of rows) {
      if (r.error || r.policy === 'auto') continue;
      const auto = rows.find((x) => x.algorithm === r.algorithm && x.policy === 'auto' && !x.error);
      if (auto && placeOn.every((f) => samePhy2log(r.placements.get(f).phy2log, auto.placements.get(f).phy2log))) r.sameAsAuto = true;
    }
    for (const r of rows) r.placements = null;
    real.push({ topoName, topo, rows });
  }

  const synth = [];
  for (const { shape, seeds } of ctx.quick ? quickSpec.syntheticQuality : syntheticQuality.cases) {
    const s = syntheticShapes[shape];
    const topo = topologyOptions(s.topology);
    const rows = [];
    for (const { algorithm, policy } of combos) {
      progress(`quality synthetic ${shape} ${algorithm}/${policy}`);
      const r = { algorithm, policy, same: [], next: [], gap: [], times: [] };
      for (const seed of seeds) {
        const [w0, w1] = syntheticSeries(shape, seed, 2);
        const t0 = now();
        const p = attempt(() => eplb.rebalance(w0, { ...topo, algorithm, policy }));
        r.times.push(now() - t0);
        if (p.error) {
          r.error = p.error;
          break;
        }
        const e = eplb.evaluate(p.value, w0);
        r.same.push(e.balancednessGpu);
        r.gap.push(e.gapToBound);
        r.upper = e.upperBound;
        r.home = [...(r.home ?? []), e.homeNodeFraction];
        r.next.push(eplb.evaluate(p.value, w1).balancednessGpu);
      }
      rows.push(r);
    }
    synth.push({ shape, seeds, topoName: s.topology, rows });
  }
  return { real, synth, files, pairs };
}

export function qualitySections(q) {
  const kinds = [...new Set(q.pairs.map((p) => p.kind))];
  const realTables = q.real.map(({ topoName, rows }) => ({
    caption: `**${topologies[topoName].label}** (${topoName}); ${q.files.length} files placed and measured on themselves; cross-file: ${kinds.map((k) => `${q.pairs.filter((p) => p.kind === k).length} ${k} pairs`).join(', ')}.`,
    columns: ['algorithm', 'policy', 'bal. GPU same-file min / avg', ...kinds.map((k) => `bal. GPU ${k} min / avg`), 'bal. replica min / avg', 'upper bound avg', 'gap to bound avg / max', 'home-node min / avg', 'ms/call (median)'],
    align: ['l', 'l', 'r', ...kinds.map(() => 'r'), 'r', 'r', 'r', 'r', 'r'],
    rows: rows.map((r) => {
      if (r.error) return [r.algorithm, r.policy, 'unsupported', ...kinds.map(() => ''), '', '', '', '', ''];
      if (r.sameAsAuto) return [r.algorithm, r.policy, 'same placements as auto', ...kinds.map(() => ''), '', '', '', '', ''];
      const same = r.same;
      return [
        r.algorithm, r.policy,
        minAvg(same.map((e) => e.balancednessGpu)),
        ...kinds.map((k) => minAvg(r.cross[k] ?? [])),
        minAvg(same.map((e) => e.balancednessReplica)),
        avg(same.map((e) => e.upperBound)),
        avgMax(same.map((e) => e.gapToBound)),
        minAvg(same.map((e) => e.homeNodeFraction), (x) => x.toFixed(3)),
        ms(median(r.times)),
      ];
    }),
  }));
  const synthTables = q.synth.map(({ shape, seeds, topoName, rows }) => ({
    caption: `**synthetic ${shape}**, ${topologies[topoName].label}; seeds ${seeds.join(', ')}: placed on window 0, measured on window 0 (same) and window 1 (next).`,
    columns: ['algorithm', 'policy', 'bal. GPU same min / avg', 'bal. GPU next window min / avg', 'gap to bound avg / max', 'home-node min / avg', 'ms/call (median)'],
    align: ['l', 'l', 'r', 'r', 'r', 'r', 'r'],
    rows: rows.map((r) =>
      r.error
        ? [r.algorithm, r.policy, 'unsupported', '', '', '', '']
        : [r.algorithm, r.policy, minAvg(r.same), minAvg(r.next), avgMax(r.gap), minAvg(r.home, (x) => x.toFixed(3)), ms(median(r.times))],
    ),
  }));
  return [
    {
      title: 'Quality on the real DeepSeek-V3 loads (SGLang dumps, 58 MoE layers x 256 experts)',
      command: 'npm run bench -- --only quality',
      tables: realTables,
      notes: [
        'bal. GPU = balancedness (GPU) of SPEC section 4 (mean/max GPU load summed over layers; 1 is perfect); bal. replica = the same over slots.',
        'Upper bound: sum_l (W/G) / sum_l max(W/G, T*); gap = bound - bal. GPU (lower is better). Home-node: share of load served on its group\'s node.',
        'Cross-file: placed on the first file of a pair, measured on the second (pairs listed in bench/workloads.mjs).',
        "'same placements as auto': the policy gave placements identical to 'auto' on every file of the table.",
        ...unsupportedNotes(q.real.flatMap((t) => t.rows)),
        'ms/call here is a by-product of one call per file (noisy); see the speed table for timings.',
      ],
    },
    {
      title: 'Quality at scale on synthetic loads (seeded, skewed, drifting)',
      command: 'npm run bench -- --only quality',
      tables: synthTables,
      notes: ['Generator: js/synthetic.js driftingSeries, parameters in bench/workloads.mjs (syntheticParams).', ...unsupportedNotes(q.synth.flatMap((t) => t.rows))],
    },
  ];
}

const unsupportedNotes = (rows) => [...new Set(rows.filter((r) => r.error).map((r) => r.error))].map((e) => `unsupported: ${e}`);

const avg = (xs) => (xs.length ? (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(4) : '-');
