// eplb plan: load files in (a history), one row per (redundant, algorithm, policy) out, as a
// table or as {"rows": [...]}. The sweep itself is the package's plan() (js/plan.js).
import { parseArgs, about, UsageError } from './args.js';
import { PLAN } from './help.js';
import { loadsArgument, readInputs } from './inputs.js';
import { readText, writeOutput } from './io.js';
import { planTable } from './plan-table.js';
import { progressReporter } from './progress.js';

const FLAGS = {
  gpus: 'int', nodes: 'int', groups: 'int', redundant: 'string', algorithms: 'string', policies: 'string',
  'expert-bytes': 'number', previous: 'string', 'drop-dense': 'bool', window: 'int', json: 'bool', output: 'string',
  progress: 'bool',
};

function names(flag, value) {
  if (value === undefined) return undefined;
  const list = value.split(',').map((s) => s.trim());
  if (list.some((s) => s === '')) throw new UsageError(`--${flag} must be a comma-separated list of names, got '${value}'`);
  return list;
}

function redundancies(value) {
  if (value === undefined) return undefined;
  const list = value.split(',').map((s) => s.trim());
  for (const s of list)
    if (!/^\d+$/.test(s)) throw new UsageError(`--redundant must be a comma-separated list of non-negative integers, got '${value}'`);
  const numbers = list.map(Number);
  const twice = numbers.find((r, i) => numbers.indexOf(r) !== i);
  if (twice !== undefined) throw new UsageError(`--redundant lists ${twice} twice`);
  return numbers;
}

export const rowJSON = (r) => ({
  redundant: r.redundant,
  replicas: r.replicas,
  algorithm: r.algorithm,
  policy: r.policy,
  balancedness_gpu: r.balancednessGpu,
  next_window_gpu: r.nextWindowGpu,
  home_node_fraction: r.homeNodeFraction,
  moved_slots: r.movedSlots,
  upper_bound: r.upperBound,
  redundant_bytes_per_gpu: r.redundantBytesPerGpu,
});

export function planCommand(eplb, argv) {
  const { flags, positionals } = parseArgs(argv, FLAGS);
  if (flags.help) return writeOutput(null, PLAN);
  if (positionals.length === 0) throw new UsageError('plan needs load files (see eplb plan --help)');
  if (flags.window !== undefined && flags.window < 1) throw new UsageError(`--window must be at least 1, got ${flags.window}`);
  if (flags['expert-bytes'] !== undefined && !(flags['expert-bytes'] > 0))
    throw new UsageError(`--expert-bytes must be a positive number of bytes, got ${flags['expert-bytes']}`);
  if (flags.previous === '-' && positionals.includes('-'))
    throw new UsageError('standard input (-) can be read only once: give the load file or --previous as a file');
  const redundant = redundancies(flags.redundant);
  const algorithms = names('algorithms', flags.algorithms);
  const policies = names('policies', flags.policies);

  const inputs = readInputs(eplb, positionals, { dropDense: !!flags['drop-dense'], window: flags.window });
  const topo = {};
  for (const key of ['gpus', 'nodes', 'groups']) topo[key] = flags[key] ?? inputs.topology[key];
  if (topo.gpus === undefined) throw new UsageError('--gpus is required (the load files do not record num_gpus)');
  const previous = flags.previous
    ? about(`previous placement ${flags.previous}`, () => eplb.placementFromJSON(readText(flags.previous, 'previous placement'),
      { gpus: topo.gpus, nodes: topo.nodes, groups: topo.groups, experts: inputs.first.experts }))
    : undefined;

  const progress = progressReporter('plan', { enabled: Boolean(flags.progress || process.stderr.isTTY) });
  const result = eplb.plan(loadsArgument(inputs), {
    ...topo, redundant, algorithms, policies, previous, expertBytes: flags['expert-bytes'],
    onProgress: (done, total, label) => progress.update(done, total, label),
  });
  progress.finish();
  for (const note of result.notes) process.stderr.write(`eplb plan: note: ${note}\n`);
  const text = flags.json ? `${JSON.stringify({ rows: result.rows.map(rowJSON) })}\n` : planTable(result, { names: inputs.names });
  writeOutput(flags.output, text);
}
