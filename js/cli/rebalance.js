// eplb rebalance: a load file in, a placement (SPEC section 2 JSON or SGLang's init file) out.
import { nest, placementToJSON } from '../placement-json.js';
import { about, parseArgs, UsageError } from './args.js';
import { REBALANCE } from './help.js';
import { readText, writeOutput } from './io.js';
import { statsJSON } from './stats.js';

const FLAGS = {
  replicas: 'int', groups: 'int', nodes: 'int', gpus: 'int', algorithm: 'string', policy: 'string',
  previous: 'string', 'max-moves': 'int', tolerance: 'number', 'drop-dense': 'bool', stats: 'bool',
  format: 'string', output: 'string',
};

export function rebalanceCommand(eplb, argv) {
  const { flags, positionals } = parseArgs(argv, FLAGS);
  if (flags.help) return writeOutput(null, REBALANCE);
  if (positionals.length !== 1) throw new UsageError('rebalance takes one input file (see eplb rebalance --help)');
  const format = flags.format ?? 'json';
  if (format !== 'json' && format !== 'sglang') throw new UsageError(`--format must be json or sglang, got '${format}'`);
  if (format === 'sglang' && flags['drop-dense'])
    throw new UsageError('--format sglang writes every layer of the input; leave out --drop-dense');

  const w = eplb.readLoads(readText(positionals[0], 'input file'), { dropDense: !!flags['drop-dense'] });
  const topo = {};
  for (const key of ['replicas', 'groups', 'nodes', 'gpus']) {
    topo[key] = flags[key] ?? w[key];
    if (topo[key] === undefined && (key === 'replicas' || key === 'gpus'))
      throw new UsageError(`--${key} is required (the input file does not record it)`);
  }
  const previous = flags.previous
    ? about(`previous placement ${flags.previous}`, () => eplb.placementFromJSON(readText(flags.previous, 'previous placement'),
      { gpus: topo.gpus, nodes: topo.nodes, groups: topo.groups, experts: w.experts }))
    : undefined;
  const p = eplb.rebalance(w, {
    ...topo, algorithm: flags.algorithm, policy: flags.policy, previous,
    maxMoves: flags['max-moves'], tolerance: flags.tolerance,
  });

  const out = format === 'sglang' ? { physical_to_logical_map: nest(p.phy2log, p.replicas) } : placementToJSON(p);
  if (flags['drop-dense']) out.kept_layers = Array.from(w.keptLayers);
  if (flags.stats) out.stats = statsJSON(eplb.evaluate(p, w, { previous }), p.gpus);
  writeOutput(flags.output, JSON.stringify(out) + '\n');
}
