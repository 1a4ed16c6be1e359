// eplb evaluate: the SPEC section 4 measures of a placement file on a load file (or on the sum of
// several, a history).
import { about, parseArgs, UsageError } from './args.js';
import { EVALUATE } from './help.js';
import { loadsArgument, readInputs } from './inputs.js';
import { fileReader, writeOutput } from './io.js';
import { createProgress } from './progress.js';
import { evaluationToJSON } from '../evaluation-json.js';

const FLAGS = {
  placement: 'string', gpus: 'int', nodes: 'int', groups: 'int', previous: 'string', 'drop-dense': 'bool',
  output: 'string', window: 'int', progress: 'bool',
};

// A placement of every layer of the file, reduced to the layers the reader kept.
function keepLayers(p, w) {
  if (p.layers === w.layers || p.layers !== w.fileLayers) return p;
  const rows = Array.from(w.keptLayers, (l) => p.phy2log.subarray(l * p.replicas, (l + 1) * p.replicas));
  const phy2log = new Int32Array(rows.length * p.replicas);
  rows.forEach((row, i) => phy2log.set(row, i * p.replicas));
  return { phy2log, layers: rows.length, replicas: p.replicas, gpus: p.gpus, nodes: p.nodes, groups: p.groups };
}

export function evaluateCommand(eplb, argv) {
  const { flags, positionals } = parseArgs(argv, FLAGS);
  if (flags.help) return writeOutput(null, EVALUATE);
  if (!flags.placement) throw new UsageError('evaluate needs --placement P.json (see eplb evaluate --help)');
  if (positionals.length === 0) throw new UsageError('evaluate needs a load file (see eplb evaluate --help)');
  const stdin = [flags.placement, flags.previous, ...positionals].filter((f) => f === '-').length;
  if (stdin > 1) throw new UsageError('standard input (-) can be read only once: give the other inputs as files');
  if (flags.window !== undefined && flags.window < 1) throw new UsageError(`--window must be at least 1, got ${flags.window}`);

  const progress = createProgress(Boolean(flags.progress));
  try {
    run(eplb, flags, positionals, progress);
    progress.end(true);
  } finally {
    progress.end(false);
  }
}

// Marks a topology key the placement file does not record.
const UNSET = 2 ** 31 - 1;

function run(eplb, flags, positionals, progress) {
  const inputs = readInputs(eplb, positionals, { dropDense: !!flags['drop-dense'], window: flags.window, progress });
  const w = { ...inputs.first, ...inputs.topology };
  const topo = { gpus: flags.gpus, nodes: flags.nodes, groups: flags.groups };
  const read = (file, what) => {
    progress.stage(`reading ${file === '-' ? 'standard input' : file}`);
    const reader = fileReader(file, what, (done, total) => progress.update(done, total));
    try {
      // Keys the placement lacks come from the flags; without --gpus and num_gpus in the
      // placement, from the load file (the golden files record the topology).
      const placement = about(`${what} ${file}`, () =>
        eplb.placementFromJSON(reader, { gpus: UNSET, nodes: UNSET, groups: UNSET, experts: w.experts }));
      const fromLoads = placement.gpus === UNSET && topo.gpus === undefined;
      if (fromLoads && w.gpus === undefined) throw new UsageError(`--gpus is required (${what} ${file} does not record num_gpus)`);
      for (const key of ['gpus', 'nodes', 'groups'])
        if (placement[key] === UNSET) placement[key] = topo[key] ?? (fromLoads ? w[key] : undefined) ?? 1;
      return keepLayers(placement, w);
    } finally {
      reader.close();
    }
  };
  const p = read(flags.placement, 'placement');
  const previous = flags.previous ? read(flags.previous, 'previous placement') : undefined;
  const ev = eplb.evaluate(p, loadsArgument(inputs), { ...topo, previous });
  const gpus = topo.gpus ?? p.gpus;
  const out = {
    ...evaluationToJSON(ev),
    num_layers: w.layers, num_experts: w.experts, num_replicas: p.replicas,
    num_gpus: gpus, num_nodes: topo.nodes ?? p.nodes, num_groups: topo.groups ?? p.groups,
  };
  writeOutput(flags.output, JSON.stringify(out) + '\n');
}
