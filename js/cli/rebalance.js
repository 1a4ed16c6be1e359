// eplb rebalance: load files in (one, or a history of several), a placement (SPEC section 2 JSON
// or SGLang's init file) out.
import { nest, placementToJSON } from '../placement-json.js';
import { placementToTRTLLM } from '../trtllm.js';
import { about, parseArgs, UsageError } from './args.js';
import { REBALANCE } from './help.js';
import { loadsArgument, readInputs } from './inputs.js';
import { readText, writeOutput } from './io.js';
import { statsJSON } from './stats.js';

const FLAGS = {
  replicas: 'int', groups: 'int', nodes: 'int', gpus: 'int', algorithm: 'string', policy: 'string',
  previous: 'string', 'max-moves': 'int', tolerance: 'number', 'drop-dense': 'bool', stats: 'bool',
  format: 'string', output: 'string', window: 'int', 'failed-gpus': 'string',
};

// --failed-gpus 3,17: GPU indices, comma-separated (their range is the core's check).
function failedGpus(text) {
  if (text === undefined) return undefined;
  return text.split(',').map((part) => {
    const s = part.trim();
    if (!/^\d+$/.test(s)) throw new UsageError(`--failed-gpus takes GPU indices separated by commas, got '${part}' in '${text}'`);
    return Number(s);
  });
}

// TensorRT-LLM keys the placement by the model's layer index and has no entry for dense layers:
// without --drop-dense, the input's rows are those indices and none may be all zero.
function moeLayersOf(windows) {
  const { layers, experts } = windows[0];
  for (let l = 0; l < layers; l++) {
    let load = 0;
    for (const w of windows) for (let e = 0; e < experts; e++) load += w.data[l * experts + e];
    if (load === 0)
      throw new UsageError(`--format trtllm leaves dense layers out, and layer ${l} of the input is all zero (a dense layer): add --drop-dense`);
  }
  return Array.from({ length: layers }, (_, l) => l);
}

export function rebalanceCommand(eplb, argv) {
  const { flags, positionals } = parseArgs(argv, FLAGS);
  if (flags.help) return writeOutput(null, REBALANCE);
  if (positionals.length === 0) throw new UsageError('rebalance needs an input file of loads (see eplb rebalance --help)');
  if (flags.window !== undefined && flags.window < 1) throw new UsageError(`--window must be at least 1, got ${flags.window}`);
  const format = flags.format ?? 'json';
  if (!['json', 'sglang', 'trtllm'].includes(format)) throw new UsageError(`--format must be json, sglang or trtllm, got '${format}'`);
  if (format === 'sglang' && flags['drop-dense'])
    throw new UsageError('--format sglang writes every layer of the input; leave out --drop-dense');
  if (format === 'trtllm' && flags.stats)
    throw new UsageError('--format trtllm writes TensorRT-LLM options, which have no place for --stats; leave it out');
  const failed = failedGpus(flags['failed-gpus']);
  // Neither engine's start-up file has a way to say that a GPU is gone (docs/failures.md).
  if (failed?.length && format === 'sglang')
    throw new UsageError("--format sglang cannot express failed GPUs: SGLang reads physical_to_logical_map at start-up with an expert in every slot of every rank (a -1 would be read as the last expert); write the JSON placement, or place for the ranks SGLang starts with");
  if (failed?.length && format === 'trtllm')
    throw new UsageError('--format trtllm cannot express failed GPUs: initial_global_assignments gives every slot of every rank an expert; write the JSON placement, or place for the GPUs TensorRT-LLM starts with');

  if (flags.previous === '-' && positionals.includes('-'))
    throw new UsageError('standard input (-) can be read only once: give the load file or --previous as a file');
  const inputs = readInputs(eplb, positionals, { dropDense: !!flags['drop-dense'], window: flags.window });
  const w = inputs.first;
  const loads = loadsArgument(inputs);
  const topo = {};
  for (const key of ['replicas', 'groups', 'nodes', 'gpus']) {
    topo[key] = flags[key] ?? inputs.topology[key];
    if (topo[key] === undefined && (key === 'replicas' || key === 'gpus'))
      throw new UsageError(`--${key} is required (the input file does not record it)`);
  }
  const previous = flags.previous
    ? about(`previous placement ${flags.previous}`, () => eplb.placementFromJSON(readText(flags.previous, 'previous placement'),
      { gpus: topo.gpus, nodes: topo.nodes, groups: topo.groups, experts: w.experts }))
    : undefined;
  const p = eplb.rebalance(loads, {
    ...topo, algorithm: flags.algorithm, policy: flags.policy, previous,
    maxMoves: flags['max-moves'], tolerance: flags.tolerance, failedGpus: failed,
  });

  if (format === 'trtllm') {
    const layers = flags['drop-dense'] ? Array.from(inputs.keptLayers) : moeLayersOf(inputs.windows);
    return writeOutput(flags.output, placementToTRTLLM(p, { layers }));
  }
  const out = format === 'sglang' ? { physical_to_logical_map: nest(p.phy2log, p.replicas) } : placementToJSON(p);
  if (flags['drop-dense']) out.kept_layers = Array.from(inputs.keptLayers);
  if (flags.stats) {
    out.stats = statsJSON(eplb.evaluate(p, loads, { previous }), p.gpus);
    out.stats.input_format = w.format;
    out.stats.windows = inputs.windows.length;
  }
  writeOutput(flags.output, JSON.stringify(out) + '\n');
}
