// Section (d): time series. Per window i, place with window i's loads and measure on window i+1;
// count the slots whose expert changed since the strategy's previous placement.
// Strategies, per algorithm of the module: fresh each window, and incremental (the previous
// placement passed as `previous`). The reference strategy is DeepSeek's algorithm, fresh.
import { quick as quickSpec, syntheticShapes, timeline as spec, topologies } from '../workloads.mjs';
import { spawnSync } from 'node:child_process';
import { attempt, progress, root, syntheticSeries, topologyOptions } from './suite.mjs';
import { buildNative } from './speed.mjs';
import { f4, mean, median, ms, pct } from './report.mjs';

export function runTimeline(eplb, ctx) {
  const cases = ctx.quick ? quickSpec.timeline : spec.cases;
  const policy = ctx.policies.includes(spec.policy) ? spec.policy : 'auto';
  const strategies = [
    ...ctx.algorithms.map((algorithm) => ({ mode: 'fresh', algorithm })),
    ...ctx.algorithms.map((algorithm) => ({ mode: 'incremental', algorithm })),
  ];
  const out = [];
  for (const c of cases) {
    const shape = syntheticShapes[c.shape];
    const topo = topologyOptions(shape.topology);
    const rows = [];
    for (const s of strategies) {
      progress(`timeline ${c.shape} ${s.mode} ${s.algorithm}`);
      const r = { ...s, next: [], moved: [], times: [] };
      for (const seed of c.seeds) {
        const series = syntheticSeries(c.shape, seed, c.windows);
        const t = attempt(() => eplb.timeline(series, { ...topo, policy, strategies: [{ algorithm: s.algorithm, incremental: s.mode === 'incremental' }] }));
        if (t.error) {
          r.error = t.error;
          break;
        }
        const [run] = t.value.strategies;
        r.next.push(...run.next);
        r.moved.push(...run.moved.slice(1));
        // An incremental strategy's first placement has no placement in service: a fresh one, untimed.
        r.times.push(...(s.mode === 'incremental' ? run.ms.slice(1) : run.ms));
      }
      rows.push(r);
    }
    out.push({ ...c, topoName: shape.topology, policy, rows });
  }
  return { cases: out, native: ctx.noNative ? { status: 'skipped (--no-native)' } : runNativeTimeline(ctx) };
}

/** The native time-series tool (bench/native/timeline.cpp, its own generator): its table as is. */
function runNativeTimeline(ctx) {
  const built = buildNative(ctx, 'eplb_timeline', 'cpp/eplb_timeline');
  if (built.error) return { status: built.error };
  const cfg = ctx.quick ? quickSpec.nativeTimeline : spec.native;
  progress(`timeline native: eplb_timeline ${cfg.args.join(' ')}`);
  const r = spawnSync(built.exe, cfg.args, { cwd: root, encoding: 'utf8', timeout: 1800e3 });
  if (r.status !== 0) return { status: `eplb_timeline failed: ${String(r.stderr ?? r.error?.message).trim().slice(-200)}` };
  const split = (line) => line.trim().replace(/^\||\|$/g, '').split('|').map((x) => x.trim());
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('|'));
  if (lines.length < 3) return { status: 'eplb_timeline printed no table' };
  return { status: 'ok', args: cfg.args, columns: split(lines[0]), rows: lines.slice(2).map(split) };
}

export function timelineSection({ cases, native }) {
  const tables = cases.map((c) => {
    const ref = c.rows.find((r) => r.mode === 'fresh' && r.algorithm === spec.reference && !r.error);
    const fresh = c.rows.filter((r) => r.mode === 'fresh' && !r.error && r.next.length);
    const best = fresh.reduce((a, b) => (mean(b.next) > mean(a.next) ? b : a), fresh[0]);
    const refMoved = ref ? mean(ref.moved) : NaN;
    const refNext = ref ? mean(ref.next) : NaN;
    return {
      caption: `**synthetic ${c.shape}**, ${topologies[c.topoName].label}, policy ${c.policy}; seeds ${c.seeds.join(', ')} x ${c.windows} windows (${c.seeds.length * (c.windows - 1)} placements per strategy, ${c.seeds.length * (c.windows - 2)} with a previous one).`,
      columns: ['strategy', 'algorithm', 'next-window bal. GPU avg / min', 'vs reference', 'moved slots / rebalance', 'moved vs reference', 'ms/call'],
      align: ['l', 'l', 'r', 'r', 'r', 'r', 'r'],
      rows: c.rows.map((r) => {
        const tag = r === ref ? 'reference (fresh)' : r === best ? `${r.mode} (best fresh)` : r.mode;
        if (r.error) return [tag, r.algorithm, 'unsupported', '', '', '', ''];
        const next = mean(r.next);
        const moved = mean(r.moved);
        return [
          tag, r.algorithm, `${f4(next)} / ${f4(Math.min(...r.next))}`, signed(next - refNext), moved.toFixed(1), pct(moved / refMoved),
          ms(median(r.times)),
        ];
      }),
    };
  });
  if (native.status === 'ok')
    tables.push({
      caption: `Native cross-check: \`eplb_timeline ${native.args.join(' ')}\` (bench/native/timeline.cpp: its own seeded generator; reference = deepseek fresh, fresh = default, incremental = default with the previous placement), its table as printed.`,
      columns: native.columns,
      align: native.columns.map((_, i) => (i < 3 ? 'l' : 'r')),
      rows: native.rows,
    });
  return {
    title: 'Time series: next-window balancedness and moved slots (fresh vs incremental)',
    command: 'npm run bench -- --only timeline',
    tables,
    notes: [
      'Each window is placed with its own loads and measured on the next window (SPEC 4: next-window balancedness).',
      "Moved slots: slots whose expert differs from the strategy's previous placement (weight copies), per rebalance after the first.",
      "incremental: rebalance(..., { previous }) with the algorithm's default tolerance; 'best fresh' is the fresh strategy with the best average next-window balancedness.",
      ...[...new Set(cases.flatMap((c) => c.rows.filter((r) => r.error).map((r) => r.error)))].map((e) => `unsupported: ${e}`),
      'ms/call: median of the calls (incremental: the calls given a previous placement).',
      native.status === 'ok' ? 'The last table is the native time-series tool on its own generator: the same measures, a cross-check of the JS figures.' : `Native time-series tool: ${native.status}.`,
    ],
  };
}

const signed = (x) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(4)}` : '-');
