// The human output of a plan (eplb plan, the Node demo): a table of the rows, then per policy
// the smallest redundancy within 1% of the best figure.
import { NEAR_BEST } from '../plan.js';

const fixed = (x, d = 4) => (x === null || x === undefined ? '-' : x.toFixed(d));
const gib = (bytes) => (bytes === null ? '-' : (bytes / 2 ** 30).toFixed(2));

function table(header, rows, right) {
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (right[i] ? c.padStart(width[i]) : c.padEnd(width[i]))).join('  ').trimEnd();
  return [line(header), width.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** result: what eplb.plan returns; names: the windows' names (files), for the header. */
export function planTable(result, { names } = {}) {
  const { rows, choices, windows, layers, experts, gpus, nodes, groups } = result;
  const auto = groups % nodes === 0 ? 'hierarchical' : 'global';
  const moved = rows.some((r) => r.movedSlots !== null);
  const memory = rows.some((r) => r.redundantBytesPerGpu !== null);
  const header = ['redundant', 'replicas', 'algorithm', 'policy', 'same-window', 'next-window', 'home node', 'bound'];
  if (moved) header.push('moved');
  if (memory) header.push('GiB/GPU');
  const body = rows.map((r) => {
    const cells = [String(r.redundant), String(r.replicas), r.algorithm, r.policy, fixed(r.balancednessGpu), fixed(r.nextWindowGpu),
      fixed(r.homeNodeFraction, 3), fixed(r.upperBound)];
    if (moved) cells.push(r.movedSlots === null ? '-' : String(r.movedSlots));
    if (memory) cells.push(gib(r.redundantBytesPerGpu));
    return cells;
  });
  const right = header.map((h) => !['algorithm', 'policy'].includes(h));
  const what = names && names.length ? `${names.length === 1 ? names[0] : `${names.length} load files (windows, oldest first)`}` : `${windows} window${windows === 1 ? '' : 's'}`;
  const lines = [
    `Plan: ${what}; ${layers} MoE layers x ${experts} experts; ${gpus} GPUs in ${nodes} node${nodes === 1 ? '' : 's'}, ${groups} expert group${groups === 1 ? '' : 's'} (auto is ${auto} here)`,
    'same-window: the placement made from all the files, measured on their sum (balancedness, GPU)',
    result.nextWindow
      ? `next-window: leave-one-out: each of the ${windows} files held out, the placement made from the others, measured on it; the mean`
      : `next-window: needs at least 3 files (leave-one-out); ${windows} given`,
    '',
    table(header, body, right),
    '',
  ];
  const measure = choices.some((c) => c.measure === 'nextWindowGpu') ? 'next-window' : 'same-window';
  lines.push(`Smallest redundancy within ${NEAR_BEST * 100}% of the best ${measure} balancedness, per policy:`);
  const pw = Math.max(...choices.map((c) => c.policy.length));
  for (const c of choices) {
    const best = c.best.redundant === c.redundant && c.best.algorithm === c.algorithm ? 'the best' : `best ${fixed(c.best.value)}: ${c.best.redundant} redundant, ${c.best.algorithm}`;
    lines.push(`  ${`${c.policy}:`.padEnd(pw + 1)} ${c.redundant} redundant (${c.replicas} replicas), ${c.algorithm}: ${fixed(c.value)} (${best})`);
  }
  return `${lines.join('\n')}\n`;
}
