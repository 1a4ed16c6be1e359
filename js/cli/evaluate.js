// eplb evaluate: the SPEC section 4 measures of a placement file on a load file.
import { about, parseArgs, UsageError } from './args.js';
import { EVALUATE } from './help.js';
import { readText, writeOutput } from './io.js';
import { statsJSON } from './stats.js';

const FLAGS = {
  placement: 'string', gpus: 'int', nodes: 'int', groups: 'int', previous: 'string', 'drop-dense': 'bool',
  output: 'string',
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
  if (positionals.length !== 1) throw new UsageError('evaluate takes one load file (see eplb evaluate --help)');

  const w = eplb.readLoads(readText(positionals[0], 'load file'), { dropDense: !!flags['drop-dense'] });
  const topo = { gpus: flags.gpus, nodes: flags.nodes, groups: flags.groups };
  const read = (file, what) => {
    const text = readText(file, what);
    if (topo.gpus === undefined && !/"num_gpus"\s*:/.test(text)) {
      // The load file may record the topology (as the golden files do).
      if (w.gpus === undefined) throw new UsageError(`--gpus is required (${what} ${file} does not record num_gpus)`);
      Object.assign(topo, { gpus: w.gpus, nodes: topo.nodes ?? w.nodes, groups: topo.groups ?? w.groups });
    }
    return about(`${what} ${file}`, () => keepLayers(eplb.placementFromJSON(text, { ...topo, experts: w.experts }), w));
  };
  const p = read(flags.placement, 'placement');
  const previous = flags.previous ? read(flags.previous, 'previous placement') : undefined;
  const ev = eplb.evaluate(p, w, { ...topo, previous });
  const gpus = topo.gpus ?? p.gpus;
  const out = {
    ...statsJSON(ev, gpus),
    num_layers: w.layers, num_experts: w.experts, num_replicas: p.replicas,
    num_gpus: gpus, num_nodes: topo.nodes ?? p.nodes, num_groups: topo.groups ?? p.groups,
  };
  writeOutput(flags.output, JSON.stringify(out) + '\n');
}
