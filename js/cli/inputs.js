// The load files of a command: one file, or several that make a history (oldest first), each
// read by the core as a stream (never whole in memory); a load_history file with --window K
// gives K-step windows.
import { about, UsageError } from './args.js';
import { fileReader } from './io.js';

const TOPOLOGY_KEYS = ['replicas', 'groups', 'nodes', 'gpus'];

/**
 * files: paths ('-' is standard input, at most once). Returns { windows, first, keptLayers,
 * topology }: the windows in order (LoadMatrix each), the first file's reading (format, shape,
 * fileLayers), the layers kept, and the topology keys the files record (which must agree).
 * progress (see progress.js), when given, sees each file's bytes.
 */
export function readInputs(eplb, files, { dropDense = false, window, progress } = {}) {
  if (files.filter((f) => f === '-').length > 1) throw new UsageError('standard input (-) can be read only once');
  const windows = [];
  const topology = {};
  const from = {};
  let first;
  for (const file of files) {
    const name = file === '-' ? 'standard input' : file;
    progress?.stage(`reading ${name}`);
    const reader = fileReader(file, 'load file', (done, total) => progress?.update(done, total));
    const read = () => {
      try {
        return eplb.readLoads(reader, { dropDense, windowSteps: window });
      } catch (e) {
        if (window !== undefined && /^a window of steps applies to a load_history file/.test(e.message))
          throw new UsageError(`--window applies to load_history files; ${name} is a '${/'(\w+)' file$/.exec(e.message)?.[1]}' file`);
        throw e;
      } finally {
        reader.close();
      }
    };
    const w = files.length > 1 ? about(`load file ${name}`, read) : read();
    if (first === undefined) first = { ...w, name };
    else {
      if (w.layers !== first.layers || w.experts !== first.experts)
        throw new UsageError(`${name} is ${w.layers} x ${w.experts} (layers x experts), ${first.name} is ${first.layers} x ${first.experts}: the files of a history must have one shape`);
      if (dropDense && w.keptLayers.join() !== first.keptLayers.join())
        throw new UsageError(`${name} has other all-zero layers than ${first.name}: the files of a history must keep the same layers`);
    }
    for (const key of TOPOLOGY_KEYS) {
      if (w[key] === undefined) continue;
      if (topology[key] !== undefined && topology[key] !== w[key])
        throw new UsageError(`${name} records num_${key} ${w[key]}, ${from[key]} records ${topology[key]}`);
      topology[key] = w[key];
      from[key] = name;
    }
    if (window !== undefined) windows.push(...w.windows);
    else windows.push(w);
  }
  return { windows, first, keptLayers: first.keptLayers, topology };
}

/** The history argument of rebalance and evaluate: one matrix alone, else the windows. */
export const loadsArgument = (inputs) => (inputs.windows.length === 1 ? inputs.windows[0] : inputs.windows);
