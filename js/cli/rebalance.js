// eplb rebalance: load files in (one, or a history of several), a placement (SPEC section 2 JSON
// or SGLang's init file, or TensorRT-LLM's options) out, written as a stream.
import { limit } from '../limits.js';
import { checkLog2phyCells } from '../log2phy.js';
import { writePlacementJSON } from '../placement-json.js';
import { placementToTRTLLM } from '../trtllm.js';
import { about, parseArgs, UsageError } from './args.js';
import { REBALANCE } from './help.js';
import { loadsArgument, readInputs } from './inputs.js';
import { fileReader, openOutput, writeOutput } from './io.js';
import { createProgress, fmtCount } from './progress.js';
import { evaluationToJSON } from '../evaluation-json.js';

const FLAGS = {
  replicas: 'int', groups: 'int', nodes: 'int', gpus: 'int', algorithm: 'string', policy: 'string',
  previous: 'string', 'max-moves': 'int', tolerance: 'number', 'drop-dense': 'bool', stats: 'bool',
  format: 'string', output: 'string', window: 'int', progress: 'bool', 'failed-gpus': 'string',
};

// Placements of this many slots (layers x replicas) or more take seconds (the default
// algorithm's local search: up to minutes at many GPUs, docs/limits.md): say so first.
export const LARGE_SLOTS = 2 ** 20;

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
  for (const flag of ['max-moves', 'tolerance'])
    if (flags[flag] !== undefined && flags.previous === undefined)
      throw new UsageError(`--${flag} applies to rebalancing from the placement in service: give it with --previous PREV.json`);
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

  const progress = createProgress(Boolean(flags.progress));
  try {
    run(eplb, flags, positionals, format, progress);
    progress.end(true);
  } finally {
    progress.end(false);
  }
}

function run(eplb, flags, positionals, format, progress) {
  const inputs = readInputs(eplb, positionals, { dropDense: !!flags['drop-dense'], window: flags.window, progress });
  const w = inputs.first;
  const loads = loadsArgument(inputs);
  const topo = {};
  for (const key of ['replicas', 'groups', 'nodes', 'gpus']) {
    topo[key] = flags[key] ?? inputs.topology[key];
    if (topo[key] === undefined && (key === 'replicas' || key === 'gpus'))
      throw new UsageError(`--${key} is required (the input file does not record it)`);
  }
  let previous;
  if (flags.previous) {
    progress.stage(`reading ${flags.previous === '-' ? 'standard input' : flags.previous}`);
    const reader = fileReader(flags.previous, 'previous placement', (done, total) => progress.update(done, total));
    try {
      previous = about(`previous placement ${flags.previous}`, () =>
        eplb.placementFromJSON(reader, { gpus: topo.gpus, nodes: topo.nodes, groups: topo.groups, experts: w.experts }));
    } finally {
      reader.close();
    }
  }
  const slots = w.layers * (Number.isSafeInteger(topo.replicas) ? topo.replicas : 0);
  if (slots >= LARGE_SLOTS && slots <= limit('maxSlots'))
    progress.note(`${w.layers} layers x ${fmtCount(topo.replicas)} replicas = ${fmtCount(slots)} slots: a large placement; ` +
      (flags.algorithm === 'deepseek' ? 'it takes seconds' : 'it may take minutes (--algorithm deepseek: seconds)') +
      ', and the placement file is large');
  progress.stage(`placing ${w.layers} layers x ${fmtCount(topo.replicas)} slots (${flags.algorithm ?? 'default'}), layers`);
  const p = eplb.rebalance(loads, {
    ...topo, algorithm: flags.algorithm, policy: flags.policy, previous,
    maxMoves: flags['max-moves'], tolerance: flags.tolerance, failedGpus: failedGpus(flags['failed-gpus']),
    ...(progress.enabled && { onProgress: (done, total) => progress.update(done, total, false) }),
  });

  if (format === 'trtllm') {
    const layers = flags['drop-dense'] ? Array.from(inputs.keptLayers) : moeLayersOf(inputs.windows);
    return writeOutput(flags.output, placementToTRTLLM(p, { layers }));
  }
  // The output is checked before any of it is written: log2phy pads every expert to the most
  // replicated one.
  if (format === 'json') {
    try {
      checkLog2phyCells(p.layers, p.experts, p.maxReplicas);
    } catch (e) {
      e.message = e.message.replace(/: use phy2log.*$/, ': --format sglang writes phy2log alone' +
        (flags['drop-dense'] ? '' : ', and --drop-dense leaves out all-zero layers, where one expert gets every spare slot'));
      throw e;
    }
  }

  const extra = {};
  if (flags['drop-dense']) extra.kept_layers = Array.from(inputs.keptLayers);
  if (flags.stats) {
    progress.stage('measuring');
    extra.stats = evaluationToJSON(eplb.evaluate(p, loads, { previous }));
    extra.stats.input_format = w.format;
    extra.stats.windows = inputs.windows.length;
  }
  progress.stage(`writing ${flags.output ?? 'the placement'}`);
  const out = openOutput(flags.output, (bytes) => progress.update(bytes, 0));
  try {
    writePlacementJSON(p, (text) => out.write(text), { format, extra });
    out.end();
  } finally {
    out.discard();
  }
}
