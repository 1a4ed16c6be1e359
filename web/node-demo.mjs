// `npm run demo:node`: balances the bundled DeepSeek-V3 loads with every algorithm of the
// package, prints the comparison table (same window, and next window: each file placed from the
// other files of its phase and measured on itself), writes the per-layer balancedness plot as SVG,
// and prints the capacity plan of the bundled files (eplb plan: balance per redundant experts).
//   node web/node-demo.mjs [--replicas 288 --groups 8 --nodes 4 --gpus 32] [--file prefill_in4096.json] [--out plot.svg]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEplb } from 'eplb-wasm';
import { balancednessSvg } from './src/plots/balancedness.js';
import { fmtRatio, fmtMs } from './src/format.js';
import { planTable } from '../js/cli/plan-table.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dataDir = path.join(here, '..', 'data', 'deepseek-v3-sglang');

const USAGE = `Usage: node web/node-demo.mjs [options]     (npm run demo:node -- [options])

Balances the bundled DeepSeek-V3 SGLang dumps with every algorithm of the package, prints the
comparison table (same window and next window), writes the per-layer balancedness plot of one
file as SVG, and prints the capacity plan of the bundled files.

  --replicas R   physical expert slots per layer (default 288)
  --groups G     expert groups (default 8)
  --nodes N      nodes (default 4)
  --gpus P       GPUs (default 32)
  --file NAME    the dump to plot (default prefill_in4096.json)
  --out FILE     where the SVG goes (default build-demo/balancedness-per-layer.svg)
  --repeat K     rebalance calls timed per file and algorithm (default 5)
  --help         this text
`;

// A mistake: one line on stderr and exit code 2 (as the eplb CLI).
class UsageError extends Error {}

function parseArgs(argv) {
  const o = { replicas: 288, groups: 8, nodes: 4, gpus: 32, file: 'prefill_in4096.json', out: path.join(here, '..', 'build-demo', 'balancedness-per-layer.svg'), repeat: 5 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--help' || argv[i] === '-h') return null;
    const eq = argv[i].indexOf('=');
    const key = argv[i].startsWith('--') ? argv[i].slice(2, eq < 0 ? undefined : eq) : undefined;
    if (key === undefined || !(key in o)) throw new UsageError(`unknown option ${argv[i]} (see --help)`);
    const v = eq >= 0 ? argv[i].slice(eq + 1) : argv[++i];
    if (v === undefined) throw new UsageError(`--${key} needs a value`);
    if (typeof o[key] === 'number') {
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--${key} must be a positive whole number, got '${v}'`);
      o[key] = Number(v);
    } else {
      o[key] = v;
    }
  }
  return o;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function table(header, rows, left = 2) {
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i < left ? String(c).padEnd(width[i]) : String(c).padStart(width[i]))).join('  ');
  return [line(header), width.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(opts) {
  const topology = { replicas: opts.replicas, groups: opts.groups, nodes: opts.nodes, gpus: opts.gpus };
  const eplb = await loadEplb();
  const algorithms = eplb.algorithms();
  const files = fs.readdirSync(dataDir).filter((f) => f.endsWith('.json')).sort();
  if (!files.includes(opts.file)) throw new UsageError(`--file must be one of: ${files.join(', ')}`);
  // The topology first (a mistake is one line, before any output).
  eplb.rebalance(eplb.readLoads(fs.readFileSync(path.join(dataDir, opts.file)), { dropDense: true }), topology);

  console.log(`eplb-wasm on ${files.length} DeepSeek-V3 SGLang dumps (dense layers skipped), ` +
    `${topology.replicas} replicas, ${topology.groups} groups, ${topology.nodes} nodes, ${topology.gpus} GPUs; ` +
    `time = median of ${opts.repeat} rebalance calls over all layers\n`);
  const rows = [];
  const perAlg = Object.fromEntries(algorithms.map((a) => [a, []]));
  let plotInput = null;
  for (const file of files) {
    const w = eplb.readLoads(fs.readFileSync(path.join(dataDir, file), 'utf8'), { dropDense: true });
    const weights = { data: w.data, layers: w.layers, experts: w.experts };
    const runs = [];
    for (const algorithm of algorithms) {
      const times = [];
      let p;
      for (let k = 0; k < opts.repeat; k++) {
        const t0 = performance.now();
        p = eplb.rebalance(weights, { ...topology, algorithm });
        times.push(performance.now() - t0);
      }
      const ev = eplb.evaluate(p, weights);
      const ms = median(times);
      perAlg[algorithm].push({ ev, ms });
      runs.push({ algorithm, ev });
      rows.push([file.replace(/\.json$/, ''), algorithm, fmtRatio(ev.balancednessGpu), fmtRatio(ev.balancednessReplica), fmtRatio(ev.upperBound),
        fmtRatio(ev.gapToBound), fmtRatio(ev.homeNodeFraction), fmtMs(ms)]);
    }
    if (file === opts.file) plotInput = { w, runs };
  }
  console.log(table(['file', 'algorithm', 'bal. GPU', 'bal. replica', 'bound', 'gap', 'home node', 'time ms'], rows));

  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log('\nmean over the files:');
  console.log(table(['algorithm', 'bal. GPU', 'bal. replica', 'gap', 'time ms'], algorithms.map((a) => [a,
    fmtRatio(mean(perAlg[a].map((x) => x.ev.balancednessGpu))), fmtRatio(mean(perAlg[a].map((x) => x.ev.balancednessReplica))),
    fmtRatio(mean(perAlg[a].map((x) => x.ev.gapToBound))), fmtMs(median(perAlg[a].map((x) => x.ms)))]), 1));

  // Next window: a placement serves the loads after it. Each file held out in turn, the other files
  // of its phase (prefill or decode) are the history; deepseek places the history's sum.
  const loads = Object.fromEntries(files.map((f) => {
    const w = eplb.readLoads(fs.readFileSync(path.join(dataDir, f), 'utf8'), { dropDense: true });
    return [f, { data: w.data, layers: w.layers, experts: w.experts }];
  }));
  const phase = (f) => f.split('_')[0];
  const sum = (ws) => ({ data: ws[0].data.map((_, i) => ws.reduce((a, w) => a + w.data[i], 0)), layers: ws[0].layers, experts: ws[0].experts });
  const next = Object.fromEntries(algorithms.map((a) => [a, []]));
  for (const file of files) {
    const history = files.filter((g) => g !== file && phase(g) === phase(file)).map((g) => loads[g]);
    for (const algorithm of algorithms) {
      const p = eplb.rebalance(algorithm === 'deepseek' ? sum(history) : history, { ...topology, algorithm });
      next[algorithm].push({ file, phase: phase(file), b: eplb.evaluate(p, loads[file]).balancednessGpu });
    }
  }
  const phases = [...new Set(files.map(phase))];
  const nextMean = (a, ph) => mean(next[a].filter((x) => !ph || x.phase === ph).map((x) => x.b));
  console.log('\nnext window (each file placed from the other files of its phase, measured on itself; deepseek places their sum):');
  console.log(table(['algorithm', 'same window', ...phases.map((ph) => `next: ${ph}`), 'next: all', 'vs deepseek'], algorithms.map((a) => [a,
    fmtRatio(mean(perAlg[a].map((x) => x.ev.balancednessGpu))), ...phases.map((ph) => fmtRatio(nextMean(a, ph))), fmtRatio(nextMean(a)),
    `${nextMean(a) >= nextMean('deepseek') ? '+' : ''}${(nextMean(a) - nextMean('deepseek')).toFixed(4)}`]), 1));

  const svg = balancednessSvg({
    layerLabels: Array.from(plotInput.w.keptLayers),
    series: plotInput.runs.map((r) => ({ name: r.algorithm, values: r.ev.layerBalancednessGpu, overall: r.ev.balancednessGpu })),
    bound: plotInput.runs[0].ev.layerUpperBound,
    title: `Balancedness (GPU) per layer · ${opts.file} · ${topology.replicas} replicas on ${topology.gpus} GPUs, ${topology.nodes} nodes, ${topology.groups} groups`,
    background: '#fff',
  });
  fs.mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
  fs.writeFileSync(opts.out, svg);
  console.log(`\nper-layer balancedness plot (${opts.file}): ${path.resolve(opts.out)}`);

  // The plan: the 12 files as one history (leave-one-out over them), redundant experts from 0 up,
  // the topology's auto policy and hybrid, deepseek and default (what `eplb plan` prints).
  const history = files.map((f) => eplb.readLoads(fs.readFileSync(path.join(dataDir, f), 'utf8'), { dropDense: true }));
  const { groups, nodes, gpus } = topology;
  console.log(`\ncapacity plan of the ${files.length} files (eplb plan ${files.length === 12 ? 'data/deepseek-v3-sglang/*.json' : '...'} --gpus ${gpus} --nodes ${nodes} --groups ${groups} --drop-dense):`);
  const t0 = performance.now();
  const plan = eplb.plan(history, { gpus, nodes, groups });
  console.log(planTable(plan, { names: files }).trimEnd());
  for (const note of plan.notes) console.log(`note: ${note}`);
  console.log(`(${plan.rows.length} rows, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

try {
  const opts = parseArgs(process.argv.slice(2));
  if (opts === null) process.stdout.write(USAGE);
  else await main(opts);
} catch (e) {
  // A mistake in the options (a topology the package refuses is an EplbError): one line.
  const user = e instanceof UsageError || (e?.name === 'EplbError' && e.code !== 'internal');
  console.error(`node-demo: ${user ? '' : 'internal error: '}${String(e?.message ?? e).split('\n')[0]}`);
  process.exitCode = user ? 2 : 1;
}
