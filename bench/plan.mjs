#!/usr/bin/env node
// The capacity plan of the 12 real DeepSeek-V3 dumps at 4 and 8 nodes (what `eplb plan` prints),
// and the wall time of the target sweep through the CLI, as markdown for BENCHMARKS.md.
//   node bench/plan.mjs [--markdown BENCHMARKS.md]   (replaces the text between its markers)
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEplb } from 'eplb-wasm';
import { NEAR_BEST } from '../js/plan.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dataDir = 'data/deepseek-v3-sglang';
const BEGIN = '<!-- node bench/plan.mjs: begin -->';
const END = '<!-- node bench/plan.mjs: end -->';
// One expert of DeepSeek-V3 in one layer: gate, up and down projections, 7168 x 2048 each, FP8.
const EXPERT_BYTES = 3 * 7168 * 2048;
const TOPOLOGIES = [
  { label: '4 nodes', gpus: 32, nodes: 4, groups: 8, redundant: [0, 32, 64, 96, 128] },
  { label: '8 nodes', gpus: 64, nodes: 8, groups: 8, redundant: [0, 32, 64, 128, 192, 256] },
];

const files = readdirSync(path.join(root, dataDir)).filter((f) => f.endsWith('.json')).sort();
const eplb = await loadEplb();
const history = files.map((f) => eplb.readLoads(readFileSync(path.join(root, dataDir, f), 'utf8'), { dropDense: true }));
const f4 = (x) => (x === null ? '–' : x.toFixed(4));
const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();

const out = [
  `Measured at ${head} (${new Date().toISOString().slice(0, 10)}), \`node bench/plan.mjs\`. The 12 files in name order (as the`,
  'shell lists them) are the history; next-window is leave-one-out over them (each file held out, the placement made from the',
  `other 11, measured on it; the mean of the 12 figures). Memory: ${EXPERT_BYTES.toLocaleString('en-US')} bytes an expert (3 x 7168 x 2048 FP8).`,
  'The figures follow the default algorithm of that commit; rerun after it changes.',
  '',
];
for (const t of TOPOLOGIES) {
  const t0 = performance.now();
  const plan = eplb.plan(history, { gpus: t.gpus, nodes: t.nodes, groups: t.groups, redundant: t.redundant, expertBytes: EXPERT_BYTES });
  const seconds = (performance.now() - t0) / 1000;
  out.push(`### ${t.label}: ${t.gpus} GPUs, ${t.groups} groups`, '',
    '```sh', `npx eplb plan ${dataDir}/*.json --gpus ${t.gpus} --nodes ${t.nodes} --groups ${t.groups} --redundant ${t.redundant.join(',')} --drop-dense --expert-bytes ${EXPERT_BYTES}`, '```', '',
    '| redundant | replicas | algorithm | policy | same-window | next-window | home node | bound | GiB per GPU |',
    '|---:|---:|---|---|---:|---:|---:|---:|---:|');
  for (const r of plan.rows)
    out.push(`| ${r.redundant} | ${r.replicas} | ${r.algorithm} | ${r.policy} | ${f4(r.balancednessGpu)} | ${f4(r.nextWindowGpu)} | ${r.homeNodeFraction.toFixed(3)} | ${f4(r.upperBound)} | ${(r.redundantBytesPerGpu / 2 ** 30).toFixed(2)} |`);
  out.push('', `Smallest redundancy within ${NEAR_BEST * 100}% of the best next-window figure:`);
  for (const c of plan.choices)
    out.push(`- ${c.policy}: ${c.redundant} redundant (${c.replicas} replicas), ${c.algorithm}, ${f4(c.value)} (best ${f4(c.best.value)}: ${c.best.redundant} redundant, ${c.best.algorithm})`);
  out.push('', ...plan.notes.map((n) => `Note: ${n}.`), `(${plan.rows.length} rows in ${seconds.toFixed(1)} s in one Node process.)`, '');
}

// The target: 3 files x 3 redundancies x 2 algorithms x 2 policies at the V3 shape, <= 2 s,
// as a user runs it (a fresh Node process: module load, reading, the sweep, output).
const three = ['prefill_in1024.json', 'prefill_in2048.json', 'prefill_in4096.json'].map((f) => `${dataDir}/${f}`);
const args = ['plan', ...three, '--gpus', '32', '--nodes', '4', '--groups', '8', '--redundant', '0,32,64', '--drop-dense', '--json'];
const walls = [];
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [path.join(root, 'js/cli.js'), ...args], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  walls.push((performance.now() - t0) / 1000);
}
walls.sort((a, b) => a - b);
out.push('### Speed of the sweep', '',
  `\`time npx eplb ${args.join(' ')}\` (deepseek has no hybrid policy, so 9 rows of 1 + 3 placements each): `,
  `median ${walls[2].toFixed(2)} s, range ${walls[0].toFixed(2)}–${walls[4].toFixed(2)} s over 5 runs, each a fresh Node process (target <= 2 s).`, '');

const text = out.join('\n');
const mdIndex = process.argv.indexOf('--markdown');
if (mdIndex > 0) {
  const file = process.argv[mdIndex + 1];
  const md = readFileSync(file, 'utf8');
  const a = md.indexOf(BEGIN), b = md.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${file} has no ${BEGIN} ... ${END} markers`);
  writeFileSync(file, `${md.slice(0, a + BEGIN.length)}\n${text}\n${md.slice(b)}`);
} else process.stdout.write(`${text}\n`);
